"""`make bench`: normalizer throughput per format against the raw-parse limit.

For each source format (HTML TRS pages, DOCX, seed-style text, PDF, DOC, XLSX) a
corpus of generated reports is written to a temporary directory, then measured on ONE
core, in the same run:

  (a) the raw-parse limit — the least work any reader of that format must do:
      HTML  `lxml.html.fromstring` + walk every table cell's text
      DOCX  unzip + lxml walk of every `w:tc` in word/document.xml
      PDF   pypdfium2: load, then every character's box on every page
      text  decode + split into lines
      DOC   LibreOffice's conversion to DOCX (no reader that keeps the tables does less;
            see docs/benchmarks.md, Converters); LibreOffice runs as its own process
      XLSX  openpyxl: load the workbook, read every cell
      scan  an image-only PDF: PDFium renders every page at 300 dpi and Tesseract reads it
            once as text (chi_sim) — OCR is the floor; the normalizer reads each table
            cell apart, so it does more
  (b) the full normalizer, `normalize.record.normalize_bytes` (reports/s/core),

and the ratio (b)/(a): how close the normalizer runs to the parse limit. Each
report's record is also compared with the generator's expected facts (a correct
value for each printed cell), so a fast but wrong normalizer shows as such.

    python -m bench.normalizer [--quick] [--json FILE] [--seconds S] [--docs N]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import io
import json
import os
import platform
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

FORMATS = ("html", "docx", "txt", "pdf", "doc", "xlsx", "scan")


# ------------------------------------------------------------------ raw-parse limits
def raw_html(data: bytes) -> int:
    import lxml.html

    doc = lxml.html.fromstring(data)
    n = 0
    for td in doc.iter("td", "th"):
        td.text_content()
        n += 1
    return n


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def raw_docx(data: bytes) -> int:
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    n = 0
    for tc in root.iter(_W + "tc"):
        "".join(t.text or "" for t in tc.iter(_W + "t"))
        n += 1
    return n


def raw_pdf(data: bytes) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    n = 0
    try:
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            count = tp.count_chars()
            for k in range(count):
                tp.get_charbox(k)
            tp.get_text_range()
            n += count
            tp.close()
            page.close()
    finally:
        doc.close()
    return n


def raw_txt(data: bytes) -> int:
    return len(data.decode("utf-8").splitlines())


def raw_doc(data: bytes) -> int:
    from normalize.convert import convert

    return len(convert(data, "doc", "docx"))


def raw_xlsx(data: bytes) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return sum(1 for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None)


def raw_scan(data: bytes) -> int:
    import subprocess

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    n = 0
    try:
        for i in range(len(doc)):
            image = doc[i].render(scale=300 / 72).to_pil()
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            out = subprocess.run(["tesseract", "-", "-", "-l", "chi_sim"], input=buf.getvalue(), capture_output=True,
                                 env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=True)
            n += len(out.stdout)
    finally:
        doc.close()
    return n


RAW: dict[str, Callable[[bytes], int]] = {"html": raw_html, "docx": raw_docx, "pdf": raw_pdf, "txt": raw_txt,
                                          "doc": raw_doc, "xlsx": raw_xlsx, "scan": raw_scan}


# ------------------------------------------------------------------ corpus
def make_corpus(root: Path, fmt: str, n: int) -> list[tuple[Path, dict]]:
    """n reports of one format (years 2014–2025, all format versions, the usual quirks),
    written to `root`; returns (path, expected facts by key)."""
    from govreports.corpus import expected_facts, make_spec, render

    out = []
    for i in range(n):
        seed = 10_000 + i
        year = (2021, 2022, 2023, 2024, 2025, 2019, 2020, 2016)[i % 8]
        if fmt == "scan":  # scans print the 2021 tables (the OCR reader's scope), plain cells
            year = 2021 + i % 5
        spec = make_spec(seed, year=year, **({"quirks": ()} if fmt == "scan" else {}))
        options = {}
        if fmt == "html":
            options = {"word_spans": i % 5 == 4, "merge_style": ("national", "national", "flat", "shifted")[i % 4]}
            if i % 6 == 5:
                options.update(encoding="gbk", declare_charset=i % 12 == 5)
        if fmt == "doc":  # the corpus's Word file, saved as Word 97-2003 by LibreOffice
            from normalize.convert import convert

            data = convert(render(spec, "docx"), "docx", "doc")
        else:
            data = render(spec, fmt, **options)
        path = root / f"{fmt}_{i:03d}.{fmt}"
        path.write_bytes(data)
        facts = {(f.table, f.row_key, f.col_key): f.value for f in expected_facts(spec)
                 if fmt != "scan" or f.table in ("t3", "t4")}  # table 2 is never taken from a scan
        out.append((path, facts))
    return out


# ------------------------------------------------------------------ timing
def rate(fn: Callable[[bytes], object], docs: list[bytes], seconds: float) -> tuple[float, int]:
    """Documents per second: whole passes over `docs` until `seconds` have gone by."""
    fn(docs[0])  # warm up: imports, caches
    done, start = 0, time.perf_counter()
    while True:
        for d in docs:
            fn(d)
        done += len(docs)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed, done


def normalizer_available() -> str | None:
    """None when the normalizer can run, else why not."""
    try:
        if importlib.util.find_spec("normalize.pipeline") is None:
            return "normalize/pipeline.py does not exist yet"
        importlib.import_module("normalize.pipeline")
    except Exception as e:  # noqa: BLE001 - report, do not crash the bench
        return f"normalize.pipeline does not import: {type(e).__name__}: {e}"
    return None


def accuracy(paths: list[tuple[Path, dict]], accepted: tuple[str, ...] = ("ok",)) -> tuple[float, float]:
    """(share of reports with an accepted status, share of expected facts read with the right value)."""
    from normalize.record import Source, normalize_bytes

    ok = right = total = 0
    for path, expected in paths:
        rec = normalize_bytes(path.read_bytes(), Source(path=str(path)))
        ok += rec.report.get("status") in accepted
        got = {(f.table, f.row_key, f.col_key): f.value for f in rec.facts}
        for key, value in expected.items():
            total += 1
            g = got.get(key, "missing")
            if g == value or (value is not None and isinstance(g, (int, float)) and abs(g - value) < 1e-9):
                right += 1
    return ok / max(len(paths), 1), right / max(total, 1)


# ------------------------------------------------------------------ machine
def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for mod in ("lxml", "pypdfium2", "pdfplumber", "docx", "reportlab"):
        try:
            from importlib.metadata import version

            versions[mod] = version({"docx": "python-docx"}.get(mod, mod))
        except Exception:  # noqa: BLE001
            pass
    return {"nproc": os.cpu_count(), "cpu_model": model or platform.processor() or "unknown",
            "python": platform.python_version(), "platform": platform.platform(), "libraries": versions}


def pin_one_core() -> int | None:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):
        return None


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.normalizer", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer documents, shorter timings (a smoke run)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--seconds", type=float, help="time per measurement (default 5, quick 1)")
    ap.add_argument("--docs", type=int, help="reports per format (default 16, quick 6)")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset of " + ",".join(FORMATS))
    args = ap.parse_args(argv)
    seconds = args.seconds or (1.0 if args.quick else 5.0)
    n_docs = args.docs or (6 if args.quick else 16)
    formats = [f for f in args.formats.split(",") if f]

    cpu = pin_one_core()
    info = machine()
    unavailable = normalizer_available()
    t0 = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-normalizer-") as tmp:
        for fmt in formats:
            try:
                corpus = make_corpus(Path(tmp), fmt, n_docs)
            except Exception as e:  # noqa: BLE001 - e.g. LibreOffice missing: say so, measure the rest
                results.append({"format": fmt, "docs": 0, "avg_kb": 0.0, "raw_per_s": 0.0, "norm_per_s": None,
                                "ratio": None, "status_ok": None, "facts_ok": None,
                                "error": f"no corpus: {type(e).__name__}: {e}"})
                continue
            docs = [p.read_bytes() for p, _ in corpus]
            row = {"format": fmt, "docs": len(docs), "avg_kb": sum(map(len, docs)) / len(docs) / 1024}
            row["raw_per_s"], _ = rate(RAW[fmt], docs, seconds)
            row.update(norm_per_s=None, ratio=None, status_ok=None, facts_ok=None, error=None)
            if unavailable is None:
                from normalize.record import Source, normalize_bytes

                try:
                    row["norm_per_s"], _ = rate(lambda d: normalize_bytes(d, Source()), docs, seconds)
                    row["ratio"] = row["norm_per_s"] / row["raw_per_s"]
                    # a scan at best is partial: its table 2 is not taken (no identity checks it)
                    row["status_ok"], row["facts_ok"] = accuracy(corpus, ("ok", "partial") if fmt == "scan" else ("ok",))
                except Exception as e:  # noqa: BLE001
                    row["error"] = f"{type(e).__name__}: {e}"
            results.append(row)
    wall = time.perf_counter() - t0

    cmd = "python -m bench.normalizer" + (" --quick" if args.quick else "") + \
          (f" --seconds {args.seconds:g}" if args.seconds else "") + (f" --docs {args.docs}" if args.docs else "") + \
          (f" --formats {args.formats}" if args.formats != ",".join(FORMATS) else "")
    print(f"normalizer throughput vs raw-parse limit — one core (cpu {cpu}), {seconds:g} s per measurement")
    print()
    head = f"{'format':<7} {'docs':>4} {'avg KB':>7} {'reports/s/core':>15} {'raw-parse/s':>12} {'ratio':>7} {'status ok':>10} {'facts ok':>9}"
    print(head)
    print("-" * len(head))
    for r in results:
        def f(x, spec):
            return "—" if x is None else format(x, spec)
        print(f"{r['format']:<7} {r['docs']:>4} {r['avg_kb']:>7.1f} {f(r['norm_per_s'], '15.1f'):>15} "
              f"{r['raw_per_s']:>12.1f} {f(r['ratio'], '7.3f'):>7} "
              f"{f(None if r['status_ok'] is None else 100 * r['status_ok'], '9.0f') + ('%' if r['status_ok'] is not None else ''):>10} "
              f"{f(None if r['facts_ok'] is None else 100 * r['facts_ok'], '8.1f') + ('%' if r['facts_ok'] is not None else ''):>9}")
        if r["error"]:
            print(f"        normalizer failed: {r['error']}")
    print()
    if unavailable:
        print(f"normalizer unavailable: {unavailable} — raw-parse limits only")
    print("ratio = normalizer reports/s ÷ raw-parse reports/s (1.0 = as fast as merely parsing the file)")
    if "scan" in formats:
        print("scan: status ok counts partial (table 2 is never taken from a scan); facts = tables 3 and 4")
    print(f"reproduce: {cmd}")
    print(f"machine: nproc={info['nproc']}, CPU: {info['cpu_model']}, Python {info['python']} ({info['platform']})")
    print("libraries: " + ", ".join(f"{k} {v}" for k, v in info["libraries"].items()))
    print(f"bench wall time: {wall:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"command": cmd, "cpu_pinned": cpu, "seconds_per_measurement": seconds,
                                               "machine": info, "normalizer_unavailable": unavailable,
                                               "results": results, "wall_s": wall}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
