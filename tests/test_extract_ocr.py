"""Scans: image files and image-only PDFs read with Tesseract (normalize/extract/ocr.py), and
the pipeline's rule that a scan's numbers are kept only when tables 3 and 4 verify.

The scans are drawn by the corpus generator (govreports/corpus/render_scan.py): report pages with a Noto CJK font, table 3
and 4 ruled as the national 2021 format prints them, numbers from `make_spec`. What OCR reads
is compared with `expected_facts(spec)`. Tesseract is slow (about 3 s a table page), so each
scan is read once per module; the tests that need no Tesseract (the acceptance rule on a
text-layer document marked as OCR'd, missing Tesseract, bombs, timeouts) run without it.
"""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import time
import zlib
from pathlib import Path

import pytest

from govreports.corpus import expected_facts, make_spec, render_html
from normalize import checks, pipeline
from normalize.extract import extract as extract_any
from normalize.extract import ocr
from normalize.model import Cell, Table
from normalize.record import Fact, Source, normalize_bytes
from govreports.corpus.render_scan import image_pdf, png, report_pages
from tests.tools import requires_tesseract

T34 = ("t3", "t4")


def t34(facts) -> dict:
    return {(f.table, f.row_key, f.col_key): f for f in facts if f.table in T34}


def assert_facts_as_printed(record, spec) -> None:
    """Tables 3 and 4 read as printed: values equal; a plain number flagged ocr, others their own flag."""
    want, got = t34(expected_facts(spec)), t34(record.facts)
    assert set(got) == set(want)
    wrong = {k: (want[k].value, got[k].value) for k in want if got[k].value != want[k].value}
    assert not wrong, f"numbers misread: {wrong}"
    for key, fact in want.items():
        assert got[key].value_flag == (fact.value_flag or "ocr"), key
        if fact.value_flag is None:
            assert got[key].value_raw == fact.value_raw, key


def issue(record, code: str) -> dict | None:
    return next((i for i in record.report["issues"] if i["code"] == code), None)


def png_header(width: int, height: int) -> bytes:
    """A valid PNG header claiming `width`×`height` grey pixels, with a few bytes of data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
            + chunk(b"IEND", b""))


def small_image(text_like: bool = True):
    from PIL import Image, ImageDraw

    im = Image.new("L", (1600, 600), 255)
    if text_like:
        draw = ImageDraw.Draw(im)
        for k in range(8):
            draw.rectangle((100 + 150 * k, 200, 180 + 150 * k, 260), fill=0)
    return im


# ---------------------------------------------------------------- scans read by Tesseract


@pytest.fixture(scope="module")
@requires_tesseract
def png_scan():
    """A portal's "long picture" of a report: one tall PNG, clean tables."""
    spec = make_spec(16, year=2023, quirks=())
    data = png(report_pages(spec, one_page=True)[0])
    started = time.monotonic()
    record = normalize_bytes(data, Source(path="scan.png"))
    return spec, record, time.monotonic() - started


@pytest.fixture(scope="module")
@requires_tesseract
def pdf_scan():
    """A scanner's PDF: two JPEG page images, no text layer; table 3 leaves its zeros blank."""
    spec = make_spec(7, year=2023, quirks=("blank_zeros",))
    data = image_pdf(report_pages(spec))
    record = normalize_bytes(data, Source(path="scan.pdf"))
    return spec, record


@pytest.fixture(scope="module")
@requires_tesseract
def altered_scan():
    """Table 3's page of the PNG report with one number changed: the balance no longer holds."""
    spec = make_spec(16, year=2023, quirks=())
    key = ("t3", "new_received", "natural_person")
    cells = dict(spec.cells)
    cells[key] = str(int(cells[key]) + 3)
    altered = dataclasses.replace(spec, cells=cells)
    data = png(report_pages(altered)[0])
    return altered, normalize_bytes(data, Source(path="altered.png")), cells[key]


def test_png_scan_gives_tables_3_and_4_as_printed(png_scan):
    spec, record, _ = png_scan
    assert_facts_as_printed(record, spec)
    report = record.report
    assert report["source_format"] == "image"
    assert report["year"] == 2023 and report["agency_name"] == spec.agency.name
    assert report["format_version"] == "2021"
    assert spec.agency.name in report["full_text"]


def test_png_scan_is_partial_without_table_2(png_scan):
    """The scan prints no table 2 (and one that did would not be kept: see below)."""
    _, record, _ = png_scan
    assert record.report["status"] == "partial"
    assert not [f for f in record.facts if f.table == "t2"]
    assert issue(record, "t2.missing")
    assert issue(record, "extract.ocr_rejected") is None
    note = next(i["message"] for i in record.report["issues"] if "mean word confidence" in i["message"])
    assert "Tesseract" in note or "tesseract" in note


def test_derived_facts_keep_their_flag(png_scan):
    spec, record, _ = png_scan
    assert spec.t3_other_rows == "split"
    derived = [f for f in record.facts if f.row_key == "other_handling"]
    assert len(derived) == 7 and all(f.value_flag == "derived" for f in derived)


def test_png_scan_time(png_scan):
    *_, elapsed = png_scan
    assert elapsed < 45  # ~4 s here; generous for loaded CI machines


def test_image_only_pdf_gives_tables_3_and_4_blanks_blank(pdf_scan):
    spec, record = pdf_scan
    assert_facts_as_printed(record, spec)
    blanks = [f for f in record.facts if f.value_flag == "blank"]
    assert blanks and all(f.value is None for f in blanks)  # blank stays blank, never a 0
    report = record.report
    assert report["status"] == "partial"
    assert report["source_format"] == "pdf"
    assert report["year"] == 2023 and report["agency_name"] == spec.agency.name
    messages = " ".join(i["message"] for i in report["issues"])
    assert "no text layer" in messages and "read by OCR" in messages


def test_a_scan_whose_balance_fails_keeps_no_number(altered_scan):
    spec, record, printed = altered_scan
    report = record.report
    assert report["status"] == "needs_ocr"
    assert record.facts == [] and report["facts_count"] == 0
    rejected = issue(record, "extract.ocr_rejected")
    assert rejected and rejected["severity"] == "error"
    assert "t3.balance" in rejected["message"] and "natural_person" in rejected["message"]
    # what OCR read is kept as text; the failed checks are OCR's, not the agency's
    assert spec.agency.name in report["full_text"] and printed in report["full_text"]
    assert report["checks_failed"] == 0
    assert not [i for i in report["issues"] if i["code"].split(".")[0] in ("t2", "t3", "t4")]


@requires_tesseract
def test_an_image_without_text_needs_ocr():
    blank = png(small_image(text_like=False))
    record = normalize_bytes(blank, Source())
    assert record.report["status"] == "needs_ocr"
    assert "no text" in record.report["issues"][0]["message"]
    from PIL import Image, ImageDraw

    shapes = Image.new("L", (1200, 900), 255)
    draw = ImageDraw.Draw(shapes)
    draw.ellipse((200, 200, 700, 700), outline=0, width=6)
    draw.rectangle((800, 100, 1100, 800), outline=0, width=4)
    record = normalize_bytes(png(shapes), Source())
    assert record.report["status"] == "needs_ocr" and record.facts == []


# ---------------------------------------------------------------- without Tesseract


def test_missing_tesseract_names_the_packages(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_TESSERACT", "/nonexistent/tesseract")
    record = normalize_bytes(png(small_image()), Source())
    assert record.report["status"] == "needs_ocr"
    message = record.report["issues"][0]["message"]
    assert "tesseract-ocr" in message and "tesseract-ocr-chi-sim" in message and "make system-deps" in message
    # an image-only PDF says both what the PDF lacks and what to install
    record = normalize_bytes(image_pdf([small_image()]), Source())
    assert record.report["status"] == "needs_ocr"
    message = record.report["issues"][0]["message"]
    assert "no text layer" in message and "tesseract-ocr-chi-sim" in message


def test_missing_language_data_names_its_package(monkeypatch):
    monkeypatch.setattr(ocr, "_languages", lambda exe: frozenset({"eng", "osd"}))
    monkeypatch.setattr(ocr.shutil, "which", lambda name: "/usr/bin/tesseract")
    with pytest.raises(ocr.ExtractionError) as err:
        ocr._tesseract()
    assert err.value.status == "needs_ocr" and "tesseract-ocr-chi-sim" in err.value.reason


@pytest.mark.parametrize("width, height", [(30_000, 30_000), (8_000, 8_000)])
def test_a_decompression_bomb_is_refused_quickly(width, height):
    """900 M pixels (past Pillow's own guard) and 64 M (past ours): refused from the header."""
    data = png_header(width, height)
    assert len(data) < 1000
    started = time.monotonic()
    record = normalize_bytes(data, Source())
    assert time.monotonic() - started < 2
    assert record.report["status"] == "failed"
    assert "decompression bomb" in record.report["issues"][0]["message"]


def test_a_broken_image_fails():
    record = normalize_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200), Source())
    assert record.report["status"] == "failed"
    assert "image" in record.report["issues"][0]["message"]


def test_tesseract_is_stopped_at_its_time_limit(tmp_path, monkeypatch):
    """A Tesseract that hangs is killed with its whole process group when the page's time is up."""
    pidfile = tmp_path / "child.pid"
    fake = tmp_path / "tesseract"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  --list-langs) printf 'List of available languages (3):\\nchi_sim\\neng\\nosd\\n'; exit 0;;\n"
        "  --version) echo 'tesseract 0.0-fake'; exit 0;;\n"
        "esac\n"
        f"sleep 60 & echo $! > {pidfile}\n"
        "wait\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("GOVREPORTS_TESSERACT", str(fake))
    monkeypatch.setattr(ocr, "PAGE_TIMEOUT", 1.5)
    started = time.monotonic()
    with pytest.raises(ocr.ExtractionError) as err:
        ocr.extract(png(small_image()))
    assert time.monotonic() - started < 10
    assert err.value.status == "needs_ocr" and "time limit" in err.value.reason
    child = int(pidfile.read_text())
    for _ in range(50):  # the orphaned sleep is gone (or a zombie waiting to be reaped)
        status = Path(f"/proc/{child}/status")
        if not status.exists() or "\nState:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the child of a timed-out Tesseract was left running")


# ---------------------------------------------------------------- the acceptance rule, on a text-layer document


def ocr_record(spec):
    """The record of `spec` rendered as HTML, read as if OCR had read it (Document.ocr set)."""
    data = render_html(spec)
    doc = dataclasses.replace(extract_any(data, "html"), ocr=True)
    return pipeline.from_document(data, doc, "image", Source())[0]


def test_verified_tables_are_kept_with_the_ocr_flag():
    spec = make_spec(21, year=2023, quirks=("blank_zeros",))
    record = ocr_record(spec)
    assert record.report["status"] == "partial"
    assert_facts_as_printed(record, spec)
    # table 2 has no identity to verify it: a scan's table 2 is never kept
    assert {f.table for f in record.facts} == set(T34)
    assert "no check can verify" in issue(record, "t2.missing")["message"]


def test_a_failed_identity_rejects_the_tables():
    spec = make_spec(21, year=2023, quirks=(), break_identity="t4.rows")
    record = ocr_record(spec)
    assert record.report["status"] == "needs_ocr" and record.facts == []
    assert "t4.rows" in issue(record, "extract.ocr_rejected")["message"]
    assert record.report["full_text"] and record.report["year"] == 2023


def test_a_document_not_read_by_ocr_is_untouched():
    spec = make_spec(21, year=2023, quirks=())
    data = render_html(spec)
    record = pipeline.from_document(data, extract_any(data, "html"), "html", Source())[0]
    assert record.report["status"] == "ok"
    assert not [f for f in record.facts if f.value_flag == "ocr"]
    assert {f.table for f in record.facts} == {"t2", "t3", "t4"}


def test_merged_files_with_a_scan_are_checked_as_a_scan():
    spec = make_spec(21, year=2023, quirks=(), break_identity="t3.balance")
    data = render_html(spec)
    page = extract_any(data, "html")
    scan = dataclasses.replace(page, ocr=True)
    record = pipeline.run_merged([(data, page), (data, scan)], Source())
    assert record.report["status"] == "needs_ocr"


def fact(table, row, col, value, flag=None):
    raw = "" if value is None else str(value)
    return Fact(table, row, col, None if value is None else float(value), raw, flag if value is None or flag else None)


def t4_row(row, upheld, corrected, other, pending, total):
    return [fact("t4", row, c, v, "blank" if v is None else None)
            for c, v in zip(("upheld", "corrected", "other", "pending", "total"), (upheld, corrected, other, pending, total))]


def test_verify_ocr_counts_blanks_as_zero():
    facts = t4_row("review", 2, None, None, 1, 3) + t4_row("litigation_direct", 0, 0, 0, 0, 0)
    assert checks.verify_ocr(facts) == []
    # a number dropped by OCR (blank) no longer adds up, where the standard check skips the row
    facts = t4_row("review", 2, None, None, None, 3)
    assert checks.check_t4(facts) == []
    assert "fail" in checks.verify_ocr(facts)[0]


def test_verify_ocr_wants_every_number_checked():
    # the total prints nothing: the row's numbers take part in no identity
    facts = t4_row("review", 2, 1, 0, 0, None)
    reasons = checks.verify_ocr(facts)
    assert reasons and "no identity" in reasons[0]


def test_verify_ocr_refuses_cells_read_as_text():
    facts = t4_row("review", 1, 0, 0, 0, 1) + [fact("t4", "litigation_direct", "upheld", None, "text")]
    facts[-1].value_raw = "\ufffd"
    assert "do not read as numbers" in checks.verify_ocr(facts)[0]


# ---------------------------------------------------------------- pieces


@pytest.mark.parametrize("printed, read", [
    ("O", "0"), ("l2", "12"), ("1O5", "105"), ("ll", "11"), ("0.", "0"), ("，12", "12"),
    ("12", "12"), ("1.5", "1.5"), ("其他", "其他"), ("—", "—"), ("", ""),
])
def test_mend_digits_read_as_letters(printed, read):
    table = Table([Cell("label", 0, 0), Cell(printed, 0, 1)])
    assert ocr._mend(table, ocr._Stats()).cells[1].text == read


@pytest.mark.parametrize("angle", [0.0, 0.8, -2.5])
def test_skew_is_measured(angle):
    from PIL import Image, ImageDraw

    page = Image.new("L", (2000, 2800), 255)
    draw = ImageDraw.Draw(page)
    for k in range(30):
        draw.rectangle((200, 300 + 70 * k, 1800, 330 + 70 * k), fill=0)  # lines of "text"
    turned = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    assert abs(ocr._skew(ocr._binary(turned)) + angle) <= 0.1


def test_ruling_lines_become_a_grid():
    """Rules drawn on an image are found as runs and read by the PDF lattice as a grid with a span."""
    from PIL import Image, ImageDraw

    from normalize.extract.pdf.lattice import _find_grids

    im = Image.new("L", (1200, 600), 255)
    draw = ImageDraw.Draw(im)
    for y in (100, 200, 300):
        draw.line((100, y, 1100, y), fill=0, width=3)
    for x in (100, 600, 1100):
        draw.line((x, 100, x, 300), fill=0, width=3)
    draw.line((850, 200, 850, 300), fill=0, width=3)  # the top row's right cell spans two
    h, v = ocr._rule_runs(ocr._binary(im), 50)
    scale, page_h = 72 / 150, 600 * 72 / 150
    grids = _find_grids([(page_h - y * scale, a * scale, b * scale) for y, a, b in h],
                        [(x * scale, page_h - b * scale, page_h - a * scale) for x, a, b in v])
    assert len(grids) == 1
    assert sorted(grids[0].spans) == [(0, 0, 1, 1), (0, 1, 1, 2), (1, 0, 1, 1), (1, 1, 1, 1), (1, 2, 1, 1)]


def test_image_frames_are_bounded(monkeypatch):
    from PIL import Image

    monkeypatch.setattr(ocr, "MAX_PAGES", 2)
    frames = [Image.new("L", (300, 200), 255) for _ in range(4)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    pages, warnings = ocr._image_pages(buf.getvalue())
    assert len(pages) == 2 and "4 image frames" in warnings[0]


@pytest.mark.parametrize("pack", [False, True])
def test_cells_fill_as_many_mosaic_sheets_as_they_need(monkeypatch, pack):
    from PIL import Image

    monkeypatch.setattr(ocr, "MAX_SHEET_PX", 400)
    page = Image.new("L", (1000, 1000), 255)
    slots = [ocr._Slot(0, k, (10, 10, 60 + k, 40)) for k in range(60)]
    placed, sheets = 0, 0
    while placed < len(slots):
        sheet, n = ocr._mosaic(page, slots[placed:], 30, pack)
        assert n >= 1 and sheet.height <= 400 + 100
        boxes = [(s.at[0], s.at[1], s.at[0] + s.w, s.at[1] + s.h) for s in slots[placed:placed + n]]
        assert all(b[2] <= sheet.width and b[3] <= sheet.height for b in boxes)
        assert not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                       for i, a in enumerate(boxes) for b in boxes[i + 1:])  # no two cells overlap
        placed, sheets = placed + n, sheets + 1
    assert sheets > 1
