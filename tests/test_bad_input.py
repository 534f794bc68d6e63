"""Bad input never crashes a run and never vanishes: each file gets a row, a status and a reason.

One folder holds a good report next to a zero-byte file, random bytes, a truncated PDF,
an encrypted PDF, a DOCX zip bomb, a broken image, a corrupt DOCX and a page that is not a
report. The run completes; the dataset has one row per file saying what went wrong.
"""

import io
import time
import zipfile

import pandas as pd
import pytest

from govreports.corpus import make_spec, render_docx, render_pdf
from govreports.runner import normalize_paths
from tests import pdf_fixtures


def zip_bomb_docx() -> bytes:
    """A DOCX whose word/document.xml inflates to 2 GiB of spaces (a few MB compressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(2048):
                member.write(chunk)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("inbox")
    good = render_docx(make_spec(4, format_version="2021", year=2023, quirks=()))
    pdf = render_pdf(make_spec(6, format_version="2021", year=2022, quirks=()))
    files = {
        "good.docx": good,
        "zero.pdf": b"",
        "noise.pdf": pdf_fixtures.random_bytes(),
        "truncated.pdf": pdf[: len(pdf) // 3],
        "encrypted.pdf": pdf_fixtures.encrypted_pdf(),
        "bomb.docx": zip_bomb_docx(),
        "corrupt.docx": good[:2000],
        "scan.png": b"\x89PNG\r\n\x1a\n" + bytes(200),
        "guide.html": "<html><head><meta charset='utf-8'><title>政府信息公开指南</title></head><body>"
                      "<div class='TRS_Editor'><p>为方便公民申请政府信息，特编制本指南。</p></div></body></html>".encode(),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


@pytest.fixture(scope="module")
def run(bad_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "dataset"
    started = time.monotonic()
    summary = normalize_paths([bad_folder], out, workers=2, progress=False)
    elapsed = time.monotonic() - started
    reports = pd.read_parquet(out / "reports")
    reports["name"] = reports["source_path"].map(lambda p: p.rsplit("/", 1)[-1])
    return summary, reports.set_index("name"), elapsed


def test_every_file_has_a_row(run, bad_folder):
    _, reports, _ = run
    assert sorted(reports.index) == sorted(p.name for p in bad_folder.iterdir())


@pytest.mark.parametrize(
    "name, status, reason",
    [
        ("good.docx", "ok", None),
        ("zero.pdf", "failed", "empty"),
        ("noise.pdf", "failed", "not a"),  # bytes of no known format
        ("truncated.pdf", None, None),  # repaired and partly read, or refused: never lost
        ("encrypted.pdf", "failed", "encrypt"),
        ("bomb.docx", "failed", "bomb"),
        ("corrupt.docx", "failed", None),
        ("scan.png", "failed", "image"),  # a PNG signature and nothing else: no image to OCR
        ("guide.html", "not_a_report", "not a"),
    ],
)
def test_status_and_reason(run, name, status, reason):
    _, reports, _ = run
    row = reports.loc[name]
    if status is not None:
        assert row["status"] == status
    if status != "ok":
        assert row["status"] != "ok"
        messages = " ".join(i["message"] for i in row["issues"])
        assert messages, "a file that is not ok must say why"
        if reason:
            assert reason.lower() in messages.lower()


def test_the_zip_bomb_is_refused_quickly(run):
    _, _, elapsed = run
    assert elapsed < 60  # inflating 2 GiB would take far longer and exhaust memory


def test_the_summary_counts_every_status(run):
    summary, reports, _ = run
    assert summary.reports == len(reports) == summary.files


def test_every_file_is_a_documents_row_with_its_hash(run, bad_folder):
    summary, reports, _ = run
    documents = pd.read_parquet(summary.out / "documents").set_index("stored_path")
    assert len(documents) == len(reports)
    for name, row in reports.iterrows():
        doc = documents.loc[row["source_path"]]
        assert doc["sha256"] == row["doc_sha256"]
        assert doc["size"] == (bad_folder / name).stat().st_size
        assert doc["url"].startswith("file://")
    assert documents.loc[str(bad_folder / "encrypted.pdf"), "content_type"] == "application/pdf"
