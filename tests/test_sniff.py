"""Format sniffing from bytes alone. Fixtures are built here: DOCX with python-docx, OLE2
compound files with a minimal hand-made directory, magic numbers for the rest."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import docx
import pytest

from normalize.sniff import FORMATS, ole_stream_names, sniff

SEED = Path("/work/shared/seed/000_4ffaf3414a688a66.txt")


def _ole(*streams: str) -> bytes:
    """A minimal OLE2 compound file: header, one FAT sector, one directory sector
    holding the root entry and up to three stream entries (no stream data)."""
    assert len(streams) <= 3
    free, end, fatsect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<I", header, 0x4C, 0)  # the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 0x4C + 4 * i, free)
    fat = struct.pack("<128I", fatsect, end, *([free] * 126))
    entries = bytearray()
    for kind, name in [(5, "Root Entry")] + [(2, s) for s in streams]:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e = bytearray(128)
        e[: len(raw)] = raw
        struct.pack_into("<HBB", e, 0x40, len(raw), kind, 1)
        struct.pack_into("<III", e, 0x44, free, free, free)
        entries += e
    directory = bytes(entries).ljust(512, b"\x00")
    return bytes(header) + fat + directory


def _zip(names: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, content in names.items():
            zf.writestr(n, content)
    return buf.getvalue()


def _docx_bytes() -> bytes:
    d = docx.Document()
    d.add_paragraph("某区政府信息公开工作年度报告")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_ole_directory_is_read():
    assert ole_stream_names(_ole("WordDocument", "1Table")) >= {"Root Entry", "WordDocument", "1Table"}


@pytest.mark.parametrize(
    "streams, fmt",
    [
        (("WordDocument", "1Table"), "doc"),
        (("WordDocument", "1Table", "WpsCustomData"), "wps"),
        (("Workbook",), "xls"),
        (("Book",), "xls"),
        (("EncryptedPackage", "EncryptionInfo"), "doc"),
        (("PowerPoint Document",), "unknown"),
    ],
)
def test_ole_formats_by_stream_names(streams, fmt):
    assert sniff(_ole(*streams)) == fmt


def test_damaged_ole_falls_back_to_scanning_names():
    data = bytearray(_ole("WordDocument"))
    struct.pack_into("<I", data, 0x30, 999)  # the directory points past the end
    assert sniff(bytes(data)) == "doc"
    assert sniff(_ole("WordDocument")[:600]) == "doc"


def test_docx_and_xlsx_and_other_zip():
    assert sniff(_docx_bytes()) == "docx"
    ct = '<Types><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    assert sniff(_zip({"[Content_Types].xml": ct, "xl/workbook.xml": "<workbook/>"})) == "xlsx"
    assert sniff(_zip({"报告.pdf": "%PDF-1.4", "说明.txt": "x"})) == "zip"
    assert sniff(_zip({"word/document.xml": "<w:document/>"})) == "docx"


def test_corrupt_docx_is_still_recognised_by_its_entry_names():
    data = _docx_bytes()
    assert sniff(data[: len(data) // 2]) == "docx"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(50),
        b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(50),
        b"GIF89a" + bytes(50),
        b"II*\x00" + bytes(50),
        b"MM\x00*" + bytes(50),
        b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(50),
        b"BM" + struct.pack("<IIII", 70, 0, 54, 40) + bytes(60),
    ],
)
def test_images(data):
    assert sniff(data) == "image"


def test_pdf_including_junk_before_header():
    assert sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == "pdf"
    assert sniff(b"\r\n\r\n%PDF-1.4\n") == "pdf"


@pytest.mark.parametrize(
    "page",
    [
        "<!DOCTYPE html><html><head><title>年度报告</title></head><body><p>正文</p></body></html>",
        "\n\n  <!-- 注释 --><html><body>正文</body></html>",
        '<?xml version="1.0" encoding="gbk"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x"><html xmlns="http://www.w3.org/1999/xhtml"><body>正文</body></html>',
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><div>正文</div>',
        "<table><tr><td>自然人</td></tr></table>",
        "<p>本机关全年共收到申请六百五十三件。</p>",
    ],
)
def test_html_in_gbk_and_utf8(page):
    assert sniff(page.encode("gbk")) == "html"
    assert sniff(page.encode("utf-8")) == "html"
    assert sniff(b"\xef\xbb\xbf" + page.encode("utf-8")) == "html"


def test_text_in_any_encoding_and_the_seed():
    text = "重庆市某局\n2023年政府信息公开工作年度报告\n\t自然人\n\t607\n"
    for enc in ("utf-8", "gb18030", "utf-16"):
        assert sniff(text.encode(enc)) == "txt", enc
    assert sniff(SEED.read_bytes()) == "txt"
    assert sniff("正文里提到<html>标签的纯文本，没有网页结构。".encode("gbk") * 300) == "txt"


def test_html_after_junk_needs_two_page_tags():
    junk = b"Warning: session_start() failed in /var/www/index.php on line 3\n"
    assert sniff(junk + "<html><head><title>报告</title></head><body>正文</body></html>".encode("gbk")) == "html"
    assert sniff("正文里提到<html>标签的纯文本。".encode("gbk")) == "txt"


def test_mhtml_rtf_and_word_xml():
    assert sniff(b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"x\"\r\n\r\n--x\r\n") == "html"
    assert sniff(b"{\\rtf1\\ansi\\ansicpg936 some text}") == "doc"
    word_xml = '<?xml version="1.0"?><?mso-application progid="Word.Document"?><w:wordDocument xmlns:w="x"/>'
    assert sniff(word_xml.encode()) == "doc"


def test_empty_and_unknown():
    assert sniff(b"") == "empty"
    assert sniff(b" \r\n\t\x00\x00") == "empty"
    assert sniff(random.Random(0).randbytes(4096)) == "unknown"
    assert sniff(b"Rar!\x1a\x07\x00" + bytes(30)) == "unknown"


def test_never_raises_and_always_a_known_format():
    rng = random.Random(1)
    samples = [rng.randbytes(n) for n in (1, 7, 100, 513, 2000)]
    samples += [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(600), b"PK\x03\x04" + rng.randbytes(300)]
    for data in samples:
        assert sniff(data) in FORMATS
