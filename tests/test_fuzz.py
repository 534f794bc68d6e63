"""A fuzz target for sniffing and the extractors: mutated report files must never break them.

Seeds are reports we generate (govreports.corpus): an HTML page (UTF-8 and GBK), a DOCX, an
XLSX, a PDF and a text export. Hypothesis mutates them — bit flips, overwritten bytes,
truncations, deleted ranges, chunks of another seed spliced in, chunks repeated — and feeds
each result to `sniff` + the extractor dispatch and to `normalize_bytes`. For every input:

* the dispatch returns a `Document` or raises `ExtractionError` — no other exception;
* `normalize_bytes` never raises and returns a record whose status is one of the schema's,
  that fits the dataset's schema (`report_row`, `fact_rows`), with finite values;
* each input is done within PER_INPUT_SECONDS.

LibreOffice and Tesseract are switched off (GOVREPORTS_SOFFICE / GOVREPORTS_TESSERACT name
no program): the target is our own parsing code, and a converter's seconds per file would
leave no time for it. Their failure path (ExtractionError) is still exercised.

In CI (`make test`) the run is reproducible and bounded: derandomized (the same examples
every run), at most MAX_EXAMPLES inputs and about 40 s of wall clock. To fuzz longer and
with fresh randomness locally:

    GOVREPORTS_FUZZ_SECONDS=1800 .venv/bin/python -m pytest tests/test_fuzz.py -q

(GOVREPORTS_FUZZ_EXAMPLES raises the example cap too; it defaults to 1,000,000 when
GOVREPORTS_FUZZ_SECONDS is set.) A failure prints the seed name and the mutations that
produced it; hypothesis keeps failing examples in .hypothesis/ and replays them first.
"""

from __future__ import annotations

import math
import os
import time
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govreports.corpus import make_spec, render_docx, render_html, render_pdf, render_text, render_xlsx
from normalize.dataset import fact_rows, report_row
from normalize.extract import extract
from normalize.model import Document, ExtractionError
from normalize.record import STATUSES, Source, normalize_bytes
from normalize.sniff import FORMATS, sniff

LONG_RUN = "GOVREPORTS_FUZZ_SECONDS" in os.environ
BUDGET_SECONDS = float(os.environ.get("GOVREPORTS_FUZZ_SECONDS", "40"))
MAX_EXAMPLES = int(os.environ.get("GOVREPORTS_FUZZ_EXAMPLES", 1_000_000 if LONG_RUN else 600))
PER_INPUT_SECONDS = 20.0  # generous: a loaded 2-core CI machine; a seed takes well under a second


@cache
def seeds() -> dict[str, bytes]:
    spec = make_spec(11, year=2023)
    old = make_spec(5, year=2020)
    return {
        "html": render_html(spec),
        "html-gbk": render_html(old, encoding="gbk", declare_charset=False),
        "docx": render_docx(spec),
        "xlsx": render_xlsx(old),
        "pdf": render_pdf(spec),
        "txt": render_text(old),
    }


NAMES = ["docx", "html", "html-gbk", "pdf", "txt", "xlsx"]  # the keys of seeds(), built once per process


@st.composite
def mutations(draw):
    """(seed name, list of mutation ops) — ops are applied in order by `mutate`."""
    name = draw(st.sampled_from(NAMES))
    position = st.integers(min_value=0, max_value=2**31)
    op = st.one_of(
        st.tuples(st.just("flip"), position, st.integers(0, 7)),
        st.tuples(st.just("set"), position, st.integers(0, 255)),
        st.tuples(st.just("truncate"), position),
        st.tuples(st.just("delete"), position, st.integers(1, 4096)),
        st.tuples(st.just("splice"), st.sampled_from(NAMES), position, st.integers(1, 4096), position),
        st.tuples(st.just("repeat"), position, st.integers(1, 512), st.integers(2, 50)),
        st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=64)),
    )
    return name, draw(st.lists(op, min_size=1, max_size=6))


def mutate(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for op in ops:
        kind, *args = op
        n = len(buf)
        if kind == "flip" and n:
            buf[args[0] % n] ^= 1 << args[1]
        elif kind == "set" and n:
            buf[args[0] % n] = args[1]
        elif kind == "truncate":
            del buf[args[0] % (n + 1):]
        elif kind == "delete" and n:
            at = args[0] % n
            del buf[at:at + args[1]]
        elif kind == "splice":
            other, src, length, dst = args
            donor = seeds()[other]
            start = src % len(donor)
            buf[dst % (n + 1):dst % (n + 1)] = donor[start:start + length]
        elif kind == "repeat" and n:
            at = args[0] % n
            chunk = bytes(buf[at:at + args[1]])
            buf[at:at] = chunk * (args[2] - 1)
        elif kind == "insert":
            at = args[0] % (n + 1)
            buf[at:at] = args[1]
    return bytes(buf)


@pytest.fixture(autouse=True)
def _no_external_tools(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_SOFFICE", "/nonexistent/soffice")
    monkeypatch.setenv("GOVREPORTS_TESSERACT", "")


def test_the_seeds_themselves_read_as_reports():
    assert sorted(seeds()) == NAMES
    for name, data in seeds().items():
        record = normalize_bytes(data, Source(path=f"seed.{name}"))
        assert record.report["status"] in ("ok", "partial"), (name, record.report["issues"])
        assert record.facts, name


_started: list[float] = []


@given(mutations())
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=not LONG_RUN, suppress_health_check=list(HealthCheck))
def test_mutated_files_never_break_sniffing_extraction_or_normalizing(case):
    if not _started:
        _started.append(time.monotonic())
    if time.monotonic() - _started[0] > BUDGET_SECONDS:
        return  # the wall-clock budget is spent: the remaining examples are skipped
    name, ops = case
    data = mutate(seeds()[name], ops)
    what = f"seed {name}, mutations {ops}"

    t0 = time.monotonic()
    fmt = sniff(data)
    assert fmt in FORMATS, what
    try:
        doc = extract(data, fmt)
    except ExtractionError as exc:
        assert exc.status in STATUSES, what
    else:
        assert isinstance(doc, Document), what

    record = normalize_bytes(data, Source(path=f"fuzz.{name}"))
    elapsed = time.monotonic() - t0
    assert elapsed < PER_INPUT_SECONDS, f"{elapsed:.1f} s for {what}"

    row = report_row(record)  # fits the dataset's schema (raises ValueError otherwise)
    assert row["status"] in STATUSES, what
    for fact in fact_rows(record, row):
        assert fact["value"] is None or math.isfinite(fact["value"]), (fact, what)
    crashes = [i for i in row["issues"] if i["code"] in ("extract.crash", "normalize.crash")]
    assert not crashes, f"{crashes} for {what}"


# ---------------------------------------------------------------- what the fuzzer found

#: a PDF whose text layer decodes to a lone surrogate (one byte of the seed changed)
SURROGATE_PDF = ("pdf", [("set", 22144131, 89)])


def test_a_lone_surrogate_in_a_record_is_written_to_the_dataset(tmp_path):
    """The PDF readers now drop surrogates (below); the writer still must not fail a whole
    build on one string Parquet cannot hold, whatever extractor let it through."""
    import pyarrow.dataset as pads

    from normalize.dataset import DatasetWriter

    record = normalize_bytes(seeds()["pdf"], Source(path="report.pdf"))
    record.report["full_text"] = (record.report.get("full_text") or "") + "\ud800"
    with DatasetWriter(tmp_path / "dataset") as writer:  # one such record used to fail the whole build
        writer.add(record)
    (row,) = pads.dataset(tmp_path / "dataset" / "reports", partitioning="hive").to_table().to_pylist()
    assert "\ufffd" in row["full_text"] and row["report_id"] == record.report["report_id"]


def test_a_garbled_text_layer_with_a_lone_surrogate_does_not_crash_normalizing():
    name, ops = SURROGATE_PDF
    record = normalize_bytes(mutate(seeds()[name], ops), Source(path="garbled.pdf"))
    assert not [i for i in report_row(record)["issues"] if i["code"] in ("extract.crash", "normalize.crash")]
