"""DOC readers compared: LibreOffice (→ DOCX, tables kept) vs antiword and catdoc (→ text).

Corpus reports (2021 and 2019 formats, three tables each) are rendered as DOCX and
converted to DOC by LibreOffice; then each DOC is read by every converter, and the result
normalized (`normalize_bytes`): the DOCX LibreOffice writes, or the text antiword/catdoc
print, read as a plain-text report. Per converter: median seconds per file for the
conversion alone, the share of expected facts that came back, and how many reports were
`ok`.

    python -m bench.converters [--docs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def _text_converter(cmd: list[str]):
    def run(path: Path) -> bytes:
        return subprocess.run([*cmd, str(path)], capture_output=True, check=True, timeout=60).stdout
    return run


def main() -> None:
    from govreports.corpus import expected_facts, make_spec, render_docx
    from normalize.convert import convert
    from normalize.record import normalize_bytes

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=6)
    args = ap.parse_args()

    converters = {"libreoffice": lambda p: convert(p.read_bytes(), "doc", "docx")}
    if shutil.which("antiword"):
        converters["antiword"] = _text_converter(["antiword", "-m", "UTF-8.txt"])
    if shutil.which("catdoc"):
        converters["catdoc"] = _text_converter(["catdoc", "-d", "utf-8"])
    with tempfile.TemporaryDirectory() as tmp:
        specs, paths = [], []
        for i in range(args.docs):
            version = ("2021", "2019")[i % 2]
            spec = make_spec(100 + i, format_version=version, year=2023 if version == "2021" else 2020, quirks=())
            path = Path(tmp, f"r{i}.doc")
            path.write_bytes(convert(render_docx(spec), "docx", "doc"))
            specs.append(spec)
            paths.append(path)
        size = statistics.mean(p.stat().st_size for p in paths) / 1024
        print(f"{args.docs} DOC files, {size:.0f} KB average, 3 tables each")
        print("| converter | s/file (median) | facts recovered | reports ok |")
        print("| --- | --- | --- | --- |")
        for name, run in converters.items():
            times, got, want, ok = [], 0, 0, 0
            for spec, path in zip(specs, paths):
                started = time.perf_counter()
                out = run(path)
                times.append(time.perf_counter() - started)
                record = normalize_bytes(out)
                expected = {(f.table, f.row_key, f.col_key): (f.value, f.value_flag) for f in expected_facts(spec)}
                read = {(f.table, f.row_key, f.col_key): (f.value, f.value_flag) for f in record.facts}
                got += sum(read.get(k) == v for k, v in expected.items())
                want += len(expected)
                ok += record.report["status"] == "ok"
            print(f"| {name} | {statistics.median(times):.3f} | {got / want:.0%} | {ok}/{len(paths)} |")


if __name__ == "__main__":
    main()
