"""DOC and WPS reports give the same canonical facts as the DOCX they were made from.

Fixtures are made by the tests: corpus reports (2021 and 2019 formats) rendered as DOCX,
converted to DOC with LibreOffice; the WPS file is that DOC rebuilt with Kingsoft's
``WpsCustomData`` stream added (LibreOffice cannot write WPS; see `tests.office_fixtures`).
Tests needing LibreOffice skip locally without it and fail in CI (`tests.tools`).
"""

import struct

import pytest

from govreports.corpus import make_spec, render_docx
from normalize.convert import convert
from normalize.extract import office
from normalize.model import ExtractionError, Table
from normalize.record import normalize_bytes
from normalize.sniff import sniff
from tests.office_fixtures import encrypted_doc, wps_from_doc, write_ole
from tests.test_formats_e2e import assert_identity, assert_same_facts
from tests.tools import requires_soffice

VERSIONS = {"2021": 2023, "2019": 2020}


@pytest.fixture(scope="module")
def specs():
    return {v: make_spec(11, format_version=v, year=y, quirks=()) for v, y in VERSIONS.items()}


@pytest.fixture(scope="module")
@requires_soffice
def docs(specs):
    """version → DOC bytes (made from the corpus DOCX by LibreOffice)."""
    return {v: convert(render_docx(spec), "docx", "doc") for v, spec in specs.items()}


@pytest.fixture(scope="module")
def records(docs):
    """(format, version) → the normalized record, each file normalized once."""
    out = {}
    for v, doc in docs.items():
        out["doc", v] = normalize_bytes(doc)
        out["wps", v] = normalize_bytes(wps_from_doc(doc))
    return out


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("fmt", ["doc", "wps"])
def test_doc_and_wps_give_the_docx_facts(records, specs, fmt, version):
    record, spec = records[fmt, version], specs[version]
    assert record.report["source_format"] == fmt
    assert record.report["status"] == "ok", record.report["issues"]
    assert_identity(record, spec)
    assert_same_facts(record, spec)


def test_the_wps_fixture_is_a_word_document_with_kingsofts_stream(docs):
    from normalize.sniff import ole_stream_names

    wps = wps_from_doc(docs["2021"])
    assert sniff(docs["2021"]) == "doc" and sniff(wps) == "wps"
    assert {"WordDocument", "1Table", "WpsCustomData"} <= ole_stream_names(wps)


def test_the_document_keeps_tables_title_and_says_its_format(docs):
    doc = office.extract(docs["2021"], "doc")
    assert doc.source_format == "doc"
    assert len(list(doc.tables())) == 3
    t3 = max(doc.tables(), key=lambda t: t.n_rows)
    assert any(c.rowspan > 1 for c in t3.cells) and any(c.colspan > 1 for c in t3.cells)
    assert "年度报告" in (doc.title or "")


def test_wps_converts_as_a_word_document_and_says_wps(monkeypatch, specs):
    calls = []
    docx = render_docx(specs["2019"])

    def fake_convert(data, src, dst, **kw):
        calls.append((src, dst, kw.get("label")))
        return docx

    monkeypatch.setattr(office, "convert", fake_convert)
    doc = office.extract(_word_ole(WpsCustomData=b"\x01" * 32), "wps")
    assert doc.source_format == "wps" and len(list(doc.tables())) == 3
    assert calls == [("doc", "docx", "wps")]  # LibreOffice's Word filter; reasons say wps


def _word_ole(**streams: bytes) -> bytes:
    """A compound file with a Word FIB (magic 0xA5EC) and nothing readable behind it."""
    fib = bytearray(1024)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)
    return write_ole({("WordDocument",): bytes(fib), ("1Table",): bytes(600),
                      **{(k,): v for k, v in streams.items()}})


@pytest.mark.parametrize("fmt, extra", [("doc", {}), ("wps", {"WpsCustomData": b"\x01" * 32})])
def test_missing_libreoffice_fails_naming_the_package(monkeypatch, tmp_path, fmt, extra):
    monkeypatch.setenv("GOVREPORTS_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    data = _word_ole(**extra)
    assert sniff(data) == fmt
    r = normalize_bytes(data).report
    assert (r["source_format"], r["status"]) == (fmt, "failed")
    message = r["issues"][0]["message"]
    assert "libreoffice-writer-nogui" in message and "make system-deps" in message


def test_encrypted_word_document_fails_without_converting(monkeypatch, docs):
    monkeypatch.setenv("GOVREPORTS_SOFFICE", "/nonexistent")  # (it must not get that far)
    r = normalize_bytes(encrypted_doc(docs["2019"])).report
    assert r["status"] == "failed" and "encrypted" in r["issues"][0]["message"]


def test_encrypted_ooxml_fails():
    data = write_ole({("EncryptionInfo",): bytes(200), ("EncryptedPackage",): bytes(5000)})
    assert sniff(data) == "doc"
    r = normalize_bytes(data).report
    assert r["status"] == "failed" and "password" in r["issues"][0]["message"]


def test_corrupt_doc_fails_with_a_reason(docs):
    with pytest.raises(ExtractionError) as e:
        office.extract(docs["2021"][:30000], "doc")  # truncated: LibreOffice tries, and cannot
    assert e.value.status == "failed" and e.value.reason.startswith("doc: LibreOffice could not convert")
    # a compound file whose WordDocument stream holds nothing: refused before converting
    with pytest.raises(ExtractionError) as e:
        office.extract(write_ole({("WordDocument",): b"", ("1Table",): b"x" * 100}), "doc")
    assert "damaged" in e.value.reason


def test_bytes_that_are_no_word_file_are_not_converted(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_SOFFICE", "/nonexistent")
    with pytest.raises(ExtractionError) as e:
        office.extract(b"\x00\x01 random bytes " * 50, "doc")
    assert e.value.status == "failed" and "not a Word document" in e.value.reason


@requires_soffice
def test_rtf_published_as_doc():
    rtf = (r"{\rtf1\ansi\ansicpg936{\fonttbl{\f0 SimSun;}}"
           r"\pard\f0 \u37325?\u24198?2023\u24180?\par"
           r"\trowd\cellx2000\cellx4000\intbl A\cell 12\cell\row"
           r"\trowd\cellx2000\cellx4000\intbl B\cell 7\cell\row}").encode()
    assert sniff(rtf) == "doc"
    doc = office.extract(rtf, "doc")
    assert doc.source_format == "doc"
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert table.rows() == [["A", "12"], ["B", "7"]]
    assert "重庆2023年" in doc.text
