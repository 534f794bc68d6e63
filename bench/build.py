"""`make bench`: building the dataset from 100,000 reports, in bounded memory.

Real records are made once: a few generated reports (govreports.corpus, 2014–2025, every
format version, HTML) go through the normalizer. Each build then streams N clones of them
through `normalize.dataset.DatasetWriter`, each clone with its own report_id, year (so
every year partition fills), agency, URLs, file hash and numbers, and publishes the
dataset as `govreports renormalize` and the crawl's publish do. What is measured, per N,
in a fresh process of its own (so that one build's peak is not another's):

- wall time of the build, from the first `add` to the published dataset;
- peak resident memory (`getrusage(RUSAGE_SELF).ru_maxrss`), and its growth over the
  process's RSS before the build (interpreter, pyarrow, the normalizer and the templates);
- rows and bytes written, checked against N from the Parquet footers.

Memory is bounded when the peak does not grow with N: the writer holds at most one batch
per partition (`batch_rows`) and `batch_bytes` (128 MB by its own estimate) over all of
them, never the whole dataset. The peak is reached once that budget first fills (~15,000
of these reports), then stays; hence the 30,000 build besides 10,000 and 100,000. What
does grow with N is one small entry per report (its id → year, to keep one row per
report), ~100 bytes a report.

    python -m bench.build                         # 10,000, 30,000 and 100,000 reports (~75 s on 2 cores)
    python -m bench.build --reports 1000,10000    # other sizes
    python -m bench.build --json out.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = 12  # distinct normalized reports the clones are made from
YEARS = range(2014, 2026)  # 12 year partitions


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def templates():
    """Normalized records of generated reports (status ok, all tables), one per year."""
    from govreports.corpus import make_spec, render_html
    from normalize.record import Source, normalize_bytes

    out = []
    for k, year in enumerate(YEARS):
        spec = make_spec(1000 + k, year=year)
        record = normalize_bytes(render_html(spec), Source(source_url=f"https://www.example.gov.cn/nb/{k}.html", portal="cq"))
        assert record.report["status"] == "ok" and record.facts, (year, record.report["status"])
        out.append(record)
    return out[:TEMPLATES]


def clone(template, i: int):
    """Report i: the template's text and tables, with its own identity and numbers."""
    from normalize.record import Fact, Record

    digest = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
    report = dict(template.report)
    report.update(
        report_id=digest[:20],
        agency_name=f"{template.report.get('agency_name') or '某局'}第{i}号",
        source_url=f"https://www.example.gov.cn/zfxxgk/nb/t{i}.html",
        document_url=f"https://www.example.gov.cn/zfxxgk/nb/t{i}.html",
        doc_sha256=digest,
        facts_count=None,
    )
    for k in ("title", "section_overview", "section_problems", "section_other", "full_text"):
        if report.get(k):  # a string of its own, as a real report's (a shared one would hide its memory)
            report[k] = f"{report[k]}（{i}）"
    shift = i % 97
    facts = [Fact(f.table, f.row_key, f.col_key,
                  None if f.value is None else f.value + shift,
                  f.value_raw if f.value is None else str(int(f.value) + shift) if float(f.value).is_integer() else f.value_raw,
                  f.value_flag, f.unit) for f in template.facts]
    return Record(report=report, facts=facts)


def build_once(n: int, out: Path) -> dict:
    """One build of n reports into `out`, in this process; returns the measurements."""
    import pyarrow.parquet as pq

    from normalize.dataset import DatasetWriter

    tpl = templates()
    clone(tpl[0], 0)  # warm up: every import done before the baseline
    baseline = _rss_mb()
    t0 = time.perf_counter()
    with DatasetWriter(out) as writer:
        for i in range(n):
            writer.add(clone(tpl[i % len(tpl)], i))
        for i in range(n):  # one documents row per fetched file, as the crawl's publish writes
            writer.add_document({"url": f"https://www.example.gov.cn/zfxxgk/nb/t{i}.html", "sha256": "0" * 64,
                                 "content_type": "text/html", "size": 60_000, "portal": "cq"})
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    rows = {t: sum(pq.ParquetFile(p).metadata.num_rows for p in (out / t).rglob("*.parquet"))
            for t in ("reports", "facts", "documents")}
    assert rows["reports"] == n == rows["documents"], rows
    assert rows == writer.counts, (rows, writer.counts)
    size = sum(p.stat().st_size for p in out.resolve().rglob("*") if p.is_file())
    return {"reports": n, "facts": rows["facts"], "seconds": round(seconds, 1),
            "reports_per_s": round(n / seconds), "peak_rss_mb": round(peak), "baseline_rss_mb": round(baseline),
            "growth_mb": round(peak - baseline), "dataset_mb": round(size / 2**20, 1),
            "files": len(list(out.resolve().rglob("*.parquet")))}


def measure(n: int) -> dict:
    """build_once(n) in a fresh process: its peak is its own."""
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        cmd = [sys.executable, "-m", "bench.build", "--one", str(n), "--out", str(Path(tmp) / "dataset")]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        if result.returncode != 0:
            raise SystemExit(f"bench.build: the build of {n} reports failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import pyarrow

    return (f"{len(os.sched_getaffinity(0))} cores ({cpu}), {mem:.0f} GB RAM, Python {platform.python_version()}, "
            f"pyarrow {pyarrow.__version__}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", default="10000,30000,100000", help="comma-separated build sizes (default 10000,30000,100000)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # a child: one build, JSON on stdout
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(build_once(args.one, args.out)))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.reports.split(",") if s.strip()]
    print(f"bench.build: DatasetWriter streaming N generated reports (~{TEMPLATES} templates, HTML, "
          f"{len(YEARS)} year partitions) — {machine()}", flush=True)
    results = []
    header = "| reports | facts | wall s | reports/s | peak RSS MB | RSS before MB | growth MB | dataset MB |"
    print(header + "\n" + "|---" * 8 + "|", flush=True)
    for n in sizes:
        r = measure(n)
        results.append(r)
        print(f"| {r['reports']:,} | {r['facts']:,} | {r['seconds']} | {r['reports_per_s']:,} | {r['peak_rss_mb']} | "
              f"{r['baseline_rss_mb']} | {r['growth_mb']} | {r['dataset_mb']} |", flush=True)
    if len(results) > 1:
        print("\npeak RSS by reports built: " + ", ".join(f"{r['reports']:,}: {r['peak_rss_mb']} MB" for r in results)
              + " (the writer's batch_bytes budget first fills at ~15,000 reports; from then on the peak stays)")
    print(f"reproduce: .venv/bin/python -m bench.build --reports {','.join(map(str, sizes))}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
