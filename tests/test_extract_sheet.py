"""XLSX and XLS attachments give the canonical facts of the tables they hold.

Fixtures are made by the tests: the corpus grids (tables 2, 3, 4 with their merged cells)
written with openpyxl under a title row naming the agency and the year
(`tests.office_fixtures.xlsx_from_spec`), and the XLS made from that XLSX by LibreOffice.
Tests needing LibreOffice skip locally without it and fail in CI (`tests.tools`).
"""

import datetime as dt
import io
import struct
import time
import zipfile

import pytest

from govreports.corpus import make_spec
from normalize.convert import convert
from normalize.extract import sheet
from normalize.model import ExtractionError, Paragraph, Table
from normalize.record import normalize_bytes
from normalize.sniff import sniff
from tests.office_fixtures import write_ole, xlsx_from_spec
from tests.test_formats_e2e import QUIRK_SETS, assert_identity, assert_same_facts
from tests.tools import requires_soffice

VERSIONS = {"2021": 2023, "2019": 2020}


@pytest.fixture(scope="module")
def specs():
    return {v: make_spec(11, format_version=v, year=y, quirks=()) for v, y in VERSIONS.items()}


@pytest.fixture(scope="module")
def xlsx(specs):
    return {v: xlsx_from_spec(spec) for v, spec in specs.items()}


@pytest.fixture(scope="module")
@requires_soffice
def xls(xlsx):
    return {v: convert(data, "xlsx", "xls") for v, data in xlsx.items()}


@pytest.mark.parametrize("version", VERSIONS)
def test_xlsx_gives_the_printed_facts(xlsx, specs, version):
    assert sniff(xlsx[version]) == "xlsx"
    record = normalize_bytes(xlsx[version])
    assert (record.report["source_format"], record.report["status"]) == ("xlsx", "ok"), record.report["issues"]
    assert_identity(record, specs[version])
    assert_same_facts(record, specs[version])


@pytest.mark.parametrize("version", VERSIONS)
def test_xls_gives_the_printed_facts(xls, specs, version):
    assert sniff(xls[version]) == "xls"
    record = normalize_bytes(xls[version])
    assert (record.report["source_format"], record.report["status"]) == ("xls", "ok"), record.report["issues"]
    assert_identity(record, specs[version])
    assert_same_facts(record, specs[version])


@pytest.mark.parametrize("quirks", QUIRK_SETS)
def test_cell_quirks(quirks):
    spec = make_spec(5, format_version="2021", year=2022, quirks=QUIRK_SETS[quirks])
    assert_same_facts(normalize_bytes(xlsx_from_spec(spec, one_sheet=True)), spec)


def test_blocks_merges_and_paragraphs(xlsx):
    doc = sheet.extract(xlsx["2021"], "xlsx")
    assert doc.source_format == "xlsx"
    assert doc.title and doc.title.endswith("年度报告") and "2023" in doc.title
    paragraphs = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert "统计表" in paragraphs and "表4 复议诉讼" in paragraphs  # sheet names
    assert "三、收到和处理政府信息公开申请情况" in paragraphs  # the heading above table 3
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    assert len(tables) == 3
    t3 = tables[1]
    corner = t3.grid()[0][0]
    assert (corner.rowspan, corner.colspan) == (3, 3) and corner.text.startswith("（本列数据")
    assert t3.grid()[0][3].colspan == 7 and t3.grid()[0][3].text == "申请人情况"
    assert t3.grid()[2][4].text == "商业企业"  # a line break inside a cell joins like Word's


def _workbook(fill) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    fill(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_values_print_as_the_sheet_shows_them():
    def fill(ws):
        rows = [
            ("项目", "数值"),
            ("整数", 607), ("浮点整数", 12.0), ("小数", 0.1 + 0.2), ("两位小数", 5), ("千分位", 1234567),
            ("百分比", 0.256), ("带单位", 251000), ("日期", dt.datetime(2024, 3, 17)),
            ("时间", dt.datetime(2024, 3, 17, 9, 30)), ("文本数字", "0012"), ("逻辑", True),
        ]
        for r, row in enumerate(rows, 1):
            for c, v in enumerate(row, 1):
                ws.cell(r, c, v)
        ws["B5"].number_format = "0.00"
        ws["B6"].number_format = "#,##0"
        ws["B7"].number_format = "0.0%"
        ws["B8"].number_format = '0"元"'

    doc = sheet.extract(_workbook(fill), "xlsx")
    values = dict(next(doc.tables()).rows())
    assert values == {"项目": "数值", "整数": "607", "浮点整数": "12", "小数": "0.3", "两位小数": "5.00",
                      "千分位": "1,234,567", "百分比": "25.6%", "带单位": "251000元", "日期": "2024-03-17",
                      "时间": "2024-03-17 09:30:00", "文本数字": "0012", "逻辑": "TRUE"}


def test_title_rows_and_notes_become_paragraphs():
    def fill(ws):
        ws["A1"] = "某某区人民政府2022年政府信息公开工作年度报告统计表"
        ws.merge_cells("A1:C1")
        ws["A2"], ws["B2"], ws["C2"] = "项目", "本年", "上年"
        ws["A3"], ws["B3"], ws["C3"] = "申请", 5, 4
        ws["A4"] = "注：数据截至12月31日"
        ws["A7"] = "第二段 单独一行"

    doc = sheet.extract(_workbook(fill), "xlsx")
    kinds = [(type(b).__name__, b.text if isinstance(b, Paragraph) else b.rows()) for b in doc.blocks]
    assert kinds == [
        ("Paragraph", "某某区人民政府2022年政府信息公开工作年度报告统计表"),
        ("Table", [["项目", "本年", "上年"], ["申请", "5", "4"]]),
        ("Paragraph", "注：数据截至12月31日"),
        ("Paragraph", "第二段 单独一行"),
    ]


def test_an_empty_workbook_is_not_a_report():
    with pytest.raises(ExtractionError) as e:
        sheet.extract(_workbook(lambda ws: None), "xlsx")
    assert e.value.status == "not_a_report"


def _rewrite(data: bytes, replace: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def test_zip_bomb_is_refused_fast(xlsx):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        src = zipfile.ZipFile(io.BytesIO(xlsx["2021"]))
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, src.read(info.filename))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(300):  # 300 MB of spaces, ~0.3 MB compressed
                member.write(chunk)
    bomb = buf.getvalue()
    started = time.monotonic()
    record = normalize_bytes(bomb)
    assert time.monotonic() - started < 5
    assert record.report["status"] == "failed"
    assert "zip bomb" in record.report["issues"][0]["message"]


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')


@pytest.mark.parametrize("part", [
    BILLION_LAUGHS,
    BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    .encode("utf-16"),
    b'<?xml version="1.0" encoding="UTF-7"?>+ADw-+ACE-DOCTYPE x+AD4-<worksheet/>',
], ids=["utf-8", "utf-16", "utf-7"])
def test_xml_with_a_dtd_is_refused(xlsx, part):
    data = _rewrite(xlsx["2021"], {"xl/worksheets/sheet2.xml": part})
    record = normalize_bytes(data)
    assert record.report["status"] == "failed"
    message = record.report["issues"][0]["message"]
    assert "xl/worksheets/sheet2.xml" in message and "refused" in message


def _biff(*records: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack("<HH", t, len(b)) + b for t, b in records)


def test_hollow_or_foreign_xls_fails_before_converting(monkeypatch):
    monkeypatch.setenv("GOVREPORTS_SOFFICE", "/nonexistent")
    for data, reason in [(write_ole({("Workbook",): b""}), "empty"),
                         (write_ole({("Workbook",): b"\x00" * 5000}), "BOF")]:
        assert sniff(data) == "xls"
        r = normalize_bytes(data).report
        assert r["status"] == "failed" and reason in r["issues"][0]["message"]


def test_missing_libreoffice_fails_naming_the_calc_package(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVREPORTS_SOFFICE", str(tmp_path / "soffice"))
    data = write_ole({("Workbook",): _biff((0x0809, bytes(16)), (0x000A, b"")).ljust(5000, b"\0")})
    r = normalize_bytes(data).report
    assert (r["source_format"], r["status"]) == ("xls", "failed")
    assert "libreoffice-calc-nogui" in r["issues"][0]["message"]


@requires_soffice
def test_encrypted_xls_fails_naming_the_password():
    stream = _biff((0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)),
                   (0x002F, struct.pack("<HHH", 1, 1, 1) + bytes(48)), (0x000A, b""))
    r = normalize_bytes(write_ole({("Workbook",): stream.ljust(5000, b"\0")})).report
    assert r["status"] == "failed" and "password" in r["issues"][0]["message"]
