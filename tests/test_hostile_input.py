"""Hostile input is refused or contained with a clear status, in bounded time and memory.

Every input is made here from our own bytes (small to ship, pathological to parse), and read
the way the crawler and `govreports normalize` read it: in a worker process under the memory
cap with a wall-clock limit (govreports.runner.run_alone). A test passes only when the file
gets a status (never a hang, never a dead run) well inside the limit.

- PDFs with pathological object graphs: a /Pages tree 10,000 levels deep, /Kids holding its
  own parent, a page count claim of 10^9, an object stream that extends itself, resources and
  form XObjects that reference themselves, a content stream of 10^6 operators, a Flate bomb.
- HTML: a page over the 20 MiB cap, 100,000 nested tags, a table of 100,000 rows.
- XLSX: more cells than the cell cap.
- Names: URLs with ``../``, ``%2e%2e``, absolute paths, NUL bytes and very long names are
  stored under ``DATA_DIR/raw/<sha[:2]>/<sha256>`` and nowhere else.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import time
import zlib
from pathlib import Path

import pytest

from govreports import runner

#: the memory cap the inputs are read under (a worker reading an ordinary report needs far less)
CAP = 1024 * 2**20
#: generous for a loaded 2-core CI machine; each input here takes well under a second or two
LIMIT = 30.0


# -------------------------------------------------------------------------- PDF builders

def build_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF of `objects` (numbered from 1) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Annual report) Tj ET\n"


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _page(parent: int = 2, contents: int = 4) -> bytes:
    return (b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % (parent, contents))


def _one_page(pages: bytes, content: bytes, *more: bytes) -> bytes:
    return build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", pages, FONT, content, _page(), *more])


def deep_page_tree(depth: int = 10_000) -> bytes:
    first = 5
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % first, FONT,
            _stream(TEXT)]
    for k in range(depth):
        objs.append(b"<< /Type /Pages /Parent %d 0 R /Kids [%d 0 R] /Count 1 >>" % (2 if k == 0 else first + k - 1,
                                                                                 first + k + 1))
    objs.append(_page(first + depth - 1))
    return build_pdf(objs)


def kids_loop() -> bytes:
    return _one_page(b"<< /Type /Pages /Kids [2 0 R 5 0 R 2 0 R] /Count 3 >>", _stream(TEXT))


def page_count_claim() -> bytes:
    return _one_page(b"<< /Type /Pages /Kids [5 0 R] /Count 1000000000 >>", _stream(TEXT))


def object_stream_loop() -> bytes:
    return _one_page(b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>", _stream(TEXT),
                     _stream(b"7 0 << /Loop 6 0 R >>", b"/Type /ObjStm /N 1 /First 4 /Extends 6 0 R"))


def reference_loops() -> bytes:
    """Contents an array holding itself; resources and a form XObject that draw themselves."""
    return build_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Self 3 0 R >>", b"[6 0 R 4 0 R]",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 7 0 R /Contents 4 0 R >>",
        _stream(TEXT + b"/X0 Do"), b"<< /Font << /F1 3 0 R >> /XObject << /X0 8 0 R >> /Loop 7 0 R >>",
        _stream(b"/X0 Do", b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources 7 0 R")])


def million_operators(n: int = 1_000_000) -> bytes:
    body = TEXT + b"q Q\n" * (n // 2) + b"BT /F1 1 Tf " + b"1 0 0 1 10 10 Tm (a) Tj\n" * (n // 4) + b"ET\n"
    return _one_page(b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>", _stream(zlib.compress(body, 9), b"/Filter /FlateDecode"))


@functools.lru_cache(maxsize=1)
def flate_bomb_pdf(inflated: int = 1 << 30) -> bytes:
    """~1 MB: a content stream that inflates to `inflated` bytes of spaces (PDFium inflates it whole)."""
    z = zlib.compressobj(9)
    parts = [z.compress(TEXT)]
    chunk = b" " * (1 << 20)
    parts += [z.compress(chunk) for _ in range(inflated >> 20)]
    parts.append(z.flush())
    return _one_page(b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>", _stream(b"".join(parts), b"/Filter /FlateDecode"))


# -------------------------------------------------------------------------- reading, bounded

def _read(data: bytes) -> dict:
    """In the worker: the first record's report row, with how long it took."""
    from normalize.record import normalize_bytes_all

    started = time.monotonic()
    report = normalize_bytes_all(data)[0].report
    issues = [i if isinstance(i, dict) else {"code": i.code, "message": i.message} for i in report["issues"]]
    return {"status": report["status"], "issues": issues, "seconds": time.monotonic() - started}


def bounded(data: bytes) -> dict:
    started = time.monotonic()
    code, value = runner.run_alone(_read, data, timeout=LIMIT, memory_limit=CAP)
    assert code is None, f"not contained: {code}: {value}"
    assert time.monotonic() - started < LIMIT
    return value


def messages(report: dict) -> str:
    return "\n".join(i["message"] for i in report["issues"])


# -------------------------------------------------------------------------- PDFs

def test_a_page_tree_10000_levels_deep_is_refused():
    report = bounded(deep_page_tree())
    assert report["status"] == "failed" and "no page could be read" in messages(report)


@pytest.mark.parametrize("make", [kids_loop, page_count_claim, object_stream_loop, reference_loops])
def test_cyclic_object_graphs_and_lying_counts_are_read_in_bounded_time(make):
    report = bounded(make())
    assert report["status"] in {"not_a_report", "failed", "partial", "needs_ocr", "ok"}
    assert report["seconds"] < 10
    if make is kids_loop:  # the page that is its own parent is skipped, the real one is read
        assert "could not load the page" in messages(report)


def test_a_million_operators_on_a_page_skip_table_detection():
    report = bounded(million_operators())
    assert "graphics objects; tables not looked for" in messages(report)  # MAX_OBJECTS_PER_PAGE


def test_a_flate_bomb_in_a_content_stream_is_stopped_by_the_memory_cap():
    data = flate_bomb_pdf()
    assert len(data) < 2 * 2**20
    started = time.monotonic()
    code, reason = runner.run_alone(_read, data, timeout=LIMIT, memory_limit=CAP)
    assert code == runner.CRASH_CODE, reason  # PDFium aborts on the failed allocation: the worker, not the run
    assert time.monotonic() - started < LIMIT


# -------------------------------------------------------------------------- HTML

HEAD = "<html><head><meta charset='utf-8'><title>2023年政府信息公开工作年度报告</title></head><body>".encode()


def test_html_over_the_size_cap_is_refused_fast():
    from normalize.extract.html import MAX_BYTES

    page = HEAD + b"<p>" + "公开".encode() * (MAX_BYTES // 6 + 1) + b"</p></body></html>"
    assert len(page) > MAX_BYTES
    report = bounded(page)
    assert report["status"] == "failed" and "page too large" in messages(report)
    assert report["seconds"] < 5


def test_html_with_100000_nested_tags_is_contained():
    page = HEAD + "<p>本机关2023年政府信息公开工作年度报告。</p>".encode() + b"<div>" * 100_000 + "正文".encode() \
        + b"</div>" * 100_000 + b"</body></html>"
    report = bounded(page)
    assert report["status"] in {"not_a_report", "partial", "failed"}
    assert report["seconds"] < 10


def test_an_html_table_of_100000_rows_is_bounded():
    rows = b"".join(b"<tr><td>%d</td><td>%d</td><td>x</td></tr>" % (i, i) for i in range(100_000))
    report = bounded(HEAD + b"<table>" + rows + b"</table></body></html>")
    assert report["status"] in {"not_a_report", "partial"}
    assert report["seconds"] < LIMIT


# -------------------------------------------------------------------------- XLSX

def test_the_xlsx_cell_cap_skips_sheets_past_it(monkeypatch):
    import openpyxl

    from normalize.extract import sheet

    wb = openpyxl.Workbook()
    wb.active.title = "small"
    wb.active["A1"] = "2023年政府信息公开工作年度报告"
    big = wb.create_sheet("big")
    for r in range(1, 61):
        for c in range(1, 11):
            big.cell(r, c, r * c)
    buf = io.BytesIO()
    wb.save(buf)
    monkeypatch.setattr(sheet, "MAX_CELLS", 500)
    doc = sheet.extract(buf.getvalue(), "xlsx")
    assert any("'big' skipped: more than 500 cells" in w for w in doc.warnings)
    assert "2023年政府信息公开工作年度报告" in "\n".join(p.text for p in doc.paragraphs())


# -------------------------------------------------------------------------- names

HOSTILE_URLS = [
    "https://www.cq.gov.cn/../../../../etc/passwd",
    "https://www.cq.gov.cn/%2e%2e/%2e%2e/%2e%2e/tmp/evil.pdf",
    "https://www.cq.gov.cn/a/..%2f..%2f..%2fevil.docx",
    "file:///etc/cron.d/evil",
    "/abs/path/evil.pdf",
    "https://www.cq.gov.cn/nul\x00byte.pdf",
    "https://www.cq.gov.cn/" + "长" * 3000 + ".pdf",
    "https://www.cq.gov.cn/download?filename=../../../../evil.xls",
    "C:\\Windows\\evil.doc",
]


def _tree(root: Path) -> set[str]:
    return {str(Path(d, f).relative_to(root)) for d, _, fs in os.walk(root) for f in fs} | \
        {str(Path(d).relative_to(root)) + "/" for d, _, _ in os.walk(root)}


def test_hostile_names_are_stored_by_hash_only_inside_data_dir(tmp_path):
    from scrapy.utils.test import get_crawler

    from crawler.items import FetchedFile, ReportFound
    from crawler.pipelines import ReportPipeline, StorePipeline
    from crawler.state import state_for

    data = tmp_path / "data"
    outside_before = _tree(tmp_path)
    crawler_ = get_crawler(settings_dict={"DATA_DIR": str(data), "LOG_ENABLED": False, "NORMALIZE_WORKERS": 0})
    store, reports = StorePipeline(crawler_), ReportPipeline(crawler_)
    reports.open_spider()
    for k, url in enumerate(HOSTILE_URLS):
        body = b"<html><body><p>hostile %d</p></body></html>" % k
        store.process_item(FetchedFile(url=url, body=body, portal="cq", referer=None, http_status=200,
                                       content_type="text/html", fetched_at="2024-01-01T00:00:00+00:00"))
        asyncio.run(reports.process_item(ReportFound(source_url=url, portal="cq", spider="cq", files=[url])))
    reports.close_spider()
    state_for(crawler_).close()

    created = _tree(tmp_path) - outside_before
    assert all(p.startswith("data") for p in created), sorted(p for p in created if not p.startswith("data"))
    raw = sorted(p for p in created if p.startswith("data/raw/") and not p.endswith("/"))
    assert len(raw) == len(HOSTILE_URLS)
    for p in raw:
        _, _, prefix, name = p.split("/")
        assert len(name) == 64 and all(c in "0123456789abcdef" for c in name) and prefix == name[:2]
    for p in created:  # everything else under DATA_DIR has a fixed name
        assert p.split("/")[1] in {"raw", "crawl.sqlite", "crawl.sqlite-wal", "crawl.sqlite-shm", "dataset", ""} \
            or p.split("/")[1].startswith((".dataset-", ".dataset.lock")), p
    for name in ("evil.pdf", "evil.docx", "evil.xls", "evil.doc", "abs"):
        assert not (tmp_path / name).exists() and not Path("/tmp", name).exists()
