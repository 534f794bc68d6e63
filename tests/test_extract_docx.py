"""DOCX extractor: merged cells on the grid, paragraphs, title, zip bombs, bad zips.

Fixtures are built here (python-docx, or a hand-written document.xml) in our own
words. `typical_docx()` doubles as the benchmark input:

    taskset -c 0 .venv/bin/python -c "from tests.test_extract_docx import bench; bench()"
"""

from __future__ import annotations

import functools
import io
import struct
import time
import zipfile
import zlib

import docx
import pytest

from normalize.extract.docx import extract
from normalize.model import ExtractionError

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'wordprocessingml.document.main+xml"/></Types>'
)


def _docx_from_body(body: str, core_title: str | None = None) -> bytes:
    """A minimal DOCX whose document.xml body is `body`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document {W} {MC}><w:body>{body}</w:body></w:document>')
        if core_title is not None:
            zf.writestr(
                "docProps/core.xml",
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{core_title}</dc:title></cp:coreProperties>',
            )
    return buf.getvalue()


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"


def _tc(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{_p(text)}</w:tc>"


def _python_docx_bytes(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@functools.cache
def typical_docx() -> bytes:
    """A report as agencies publish it: title lines, sections, the three tables with
    merged header cells (built with python-docx's `merge`)."""
    d = docx.Document()
    d.add_paragraph("某区人民政府办公室")
    d.add_paragraph("2023年政府信息公开工作年度报告")
    d.add_paragraph("本报告依照有关条例和格式要求编写，所列数据的统计期限自2023年1月1日起至2023年12月31日止。")
    for section in ("一、总体情况", "二、主动公开政府信息情况"):
        d.add_paragraph(section)
        for _ in range(8):
            d.add_paragraph("本机关持续推进政务公开工作，围绕重点领域主动发布信息，规范办理依申请公开。" * 3)
    t2 = d.add_table(rows=6, cols=4)
    t2.cell(0, 0).merge(t2.cell(0, 3)).text = "第二十条第（一）项"
    for j, v in enumerate(("信息内容", "本年制发件数", "本年废止件数", "现行有效件数")):
        t2.cell(1, j).text = v
    for j, v in enumerate(("规章", "13", "11", "148")):
        t2.cell(2, j).text = v
    for j, v in enumerate(("行政规范性文件", "25", "252", "608")):
        t2.cell(3, j).text = v
    t2.cell(4, 0).merge(t2.cell(4, 3)).text = "第二十条第（五）项"
    t2.cell(5, 0).text = "行政许可"
    t2.cell(5, 1).merge(t2.cell(5, 3)).text = "0"
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    t3 = d.add_table(rows=28, cols=10)
    t3.cell(0, 0).merge(t3.cell(2, 2)).text = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    t3.cell(0, 3).merge(t3.cell(0, 9)).text = "申请人情况"
    t3.cell(1, 3).merge(t3.cell(2, 3)).text = "自然人"
    t3.cell(1, 4).merge(t3.cell(1, 8)).text = "法人或其他组织"
    t3.cell(1, 9).merge(t3.cell(2, 9)).text = "总计"
    for j, v in enumerate(("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"), start=4):
        t3.cell(2, j).text = v
    t3.cell(3, 0).merge(t3.cell(3, 2)).text = "一、本年新收政府信息公开申请数量"
    t3.cell(4, 0).merge(t3.cell(4, 2)).text = "二、上年结转政府信息公开申请数量"
    t3.cell(5, 0).merge(t3.cell(26, 0)).text = "三、本年度办理结果"
    for r in range(5, 27):
        t3.cell(r, 1).merge(t3.cell(r, 2)).text = f"情形{r - 4}"
    t3.cell(27, 0).merge(t3.cell(27, 2)).text = "四、结转下年度继续办理"
    for r in range(3, 28):
        for j, v in enumerate((607, 43, 0, 0, 3, 0, 653), start=3):
            t3.cell(r, j).text = str(v)
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    t4 = d.add_table(rows=4, cols=15)
    t4.cell(0, 0).merge(t4.cell(0, 4)).text = "行政复议"
    t4.cell(0, 5).merge(t4.cell(0, 14)).text = "行政诉讼"
    for j, v in enumerate(("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")):
        t4.cell(1, j).merge(t4.cell(2, j)).text = v
    t4.cell(1, 5).merge(t4.cell(1, 9)).text = "未经复议直接起诉"
    t4.cell(1, 10).merge(t4.cell(1, 14)).text = "复议后起诉"
    for j in range(5, 15):
        t4.cell(2, j).text = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")[(j - 5) % 5]
    for j, v in enumerate((11, 0, 1, 2, 14, 14, 0, 1, 1, 16, 7, 0, 0, 1, 8)):
        t4.cell(3, j).text = str(v)
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.add_paragraph("工作中仍有不足，下一步将加强培训，完善制度。")
    return _python_docx_bytes(d)


def bench(n: int = 300) -> None:
    """Documents per second on one core: wall clock and CPU time (CPU time is the figure
    to trust on a machine shared with other jobs)."""
    data = typical_docx()
    extract(data)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        extract(data)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"docx: {len(data) / 1024:.0f} KB file, {n / dc:.0f} docs/s CPU ({dc / n * 1000:.2f} ms/doc), "
          f"{n / dt:.0f} docs/s wall")


# ----------------------------------------------------------------------------- grid

def test_vmerge_and_gridspan_from_python_docx_land_on_the_grid():
    d = docx.Document()
    t = d.add_table(rows=3, cols=4)
    t.cell(0, 0).merge(t.cell(1, 0)).text = "信息内容"  # vertical
    t.cell(0, 1).merge(t.cell(0, 3)).text = "申请人情况"  # horizontal
    t.cell(1, 1).text, t.cell(1, 2).text, t.cell(1, 3).text = "自然人", "商业企业", "总计"
    t.cell(2, 0).merge(t.cell(2, 1)).text = "合计"
    t.cell(2, 2).text, t.cell(2, 3).text = "43", "650"
    data = _python_docx_bytes(d)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert 'w:vMerge w:val="restart"' in xml and "<w:vMerge/>" in xml and 'w:gridSpan w:val="3"' in xml
    table = next(extract(data).tables())
    cells = {(c.row, c.col): (c.text, c.rowspan, c.colspan) for c in table.cells}
    assert cells == {
        (0, 0): ("信息内容", 2, 1), (0, 1): ("申请人情况", 1, 3),
        (1, 1): ("自然人", 1, 1), (1, 2): ("商业企业", 1, 1), (1, 3): ("总计", 1, 1),
        (2, 0): ("合计", 1, 2), (2, 2): ("43", 1, 1), (2, 3): ("650", 1, 1),
    }
    # python-docx would repeat 申请人情况 in three cells; the grid keeps one
    assert sum(c.text == "申请人情况" for c in table.cells) == 1


def test_grid_before_and_hmerge_shift_cells():
    restart, cont = '<w:hMerge w:val="restart"/>', "<w:hMerge/>"
    bad, huge = '<w:gridSpan w:val="abc"/>', '<w:gridSpan w:val="999"/>'
    body = (
        "<w:tbl>"
        f"<w:tr>{_tc('甲')}{_tc('乙')}{_tc('丙')}</w:tr>"
        f"<w:tr><w:trPr><w:gridBefore w:val=\"1\"/><w:gridAfter w:val=\"1\"/></w:trPr>{_tc('丁')}</w:tr>"
        f"<w:tr>{_tc('戊', restart)}{_tc('', cont)}{_tc('己')}</w:tr>"
        f"<w:tr>{_tc('庚', bad)}{_tc('辛', huge)}</w:tr>"
        "</w:tbl>"
    )
    table = next(extract(_docx_from_body(body)).tables())
    cells = {(c.row, c.col): (c.text, c.colspan) for c in table.cells}
    assert cells[(1, 1)] == ("丁", 1)
    assert (1, 0) not in cells
    assert cells[(2, 0)] == ("戊", 2) and cells[(2, 2)] == ("己", 1)
    assert cells[(3, 0)] == ("庚", 1) and cells[(3, 1)][1] <= 64


def test_vmerge_continue_without_restart_and_broken_chains():
    body = (
        "<w:tbl>"
        f"<w:tr>{_tc('A', '<w:vMerge/>')}{_tc('B')}</w:tr>"  # a continue with nothing above
        f"<w:tr>{_tc('', '<w:vMerge/>')}{_tc('C')}</w:tr>"
        f"<w:tr>{_tc('D')}{_tc('E')}</w:tr>"
        f"<w:tr>{_tc('', '<w:vMerge/>')}{_tc('F')}</w:tr>"  # D did not start a merge
        "</w:tbl>"
    )
    table = next(extract(_docx_from_body(body)).tables())
    cells = {(c.row, c.col): (c.text, c.rowspan) for c in table.cells}
    assert cells[(0, 0)] == ("A", 2)
    assert cells[(2, 0)] == ("D", 1) and cells[(3, 0)] == ("", 1)


def test_typical_report_tables():
    doc = extract(typical_docx())
    t2, t3, t4 = doc.tables()
    assert t2.rows()[5] == ["行政许可", "0", "0", "0"]
    rows = t3.rows()
    assert rows[2][3] == "自然人" and rows[2][4] == "商业企业"
    assert rows[3] == ["一、本年新收政府信息公开申请数量"] * 3 + ["607", "43", "0", "0", "3", "0", "653"]
    assert rows[26][0] == "三、本年度办理结果" and rows[26][1] == "情形22"
    assert [c for c in t3.cells if c.text == "三、本年度办理结果"][0].rowspan == 22
    assert t4.n_rows == 4 and t4.n_cols == 15 and t4.rows()[3][14] == "8"
    assert doc.title == "某区人民政府办公室2023年政府信息公开工作年度报告"


# ----------------------------------------------------------------------------- text

def test_runs_join_without_separators_tab_and_break():
    body = (
        '<w:p><w:r><w:t>共收到申请</w:t></w:r><w:r><w:t>6</w:t></w:r><w:r><w:t>53</w:t></w:r>'
        '<w:r><w:t>件</w:t><w:tab/><w:t>合计</w:t><w:br/><w:t>第二行</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs></w:pPr><w:r><w:t>无制表符</w:t></w:r></w:p>'
        '<w:p><w:r><w:delText>删除的文字</w:delText></w:r><w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:t>保留</w:t></w:r></w:p>'
    )
    doc = extract(_docx_from_body(body))
    assert [p.text for p in doc.paragraphs()] == ["共收到申请653件\t合计", "第二行", "无制表符", "保留"]


def test_nested_table_flattened_and_one_cell_frame_read_as_blocks():
    inner = f"<w:tbl><w:tr>{_tc('内一')}{_tc('内二')}</w:tr><w:tr>{_tc('内三')}{_tc('内四')}</w:tr></w:tbl>"
    data_table = f"<w:tbl><w:tr>{_tc('甲')}{_tc('乙')}</w:tr><w:tr>{_tc('丙')}<w:tc>{inner}<w:p/></w:tc></w:tr></w:tbl>"
    frame = f"<w:tbl><w:tr><w:tc>{_p('框内段落')}{data_table}</w:tc></w:tr></w:tbl>"
    doc = extract(_docx_from_body(_p("前言") + frame))
    assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Paragraph", "Table"]
    assert doc.blocks[2].rows() == [["甲", "乙"], ["丙", "内一 内二内三 内四"]]


def test_text_box_fallback_not_duplicated_and_sdt_read():
    box = (
        '<w:p><w:r><w:t>正文</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
        f"{_p('文本框')}</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>{_p('文本框')}"
        "</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    sdt = f"<w:sdt><w:sdtPr/><w:sdtContent>{_p('控件内段落')}</w:sdtContent></w:sdt>"
    doc = extract(_docx_from_body(box + sdt))
    assert [p.text for p in doc.paragraphs()] == ["正文", "文本框", "控件内段落"]


def test_whitespace_collapsed_without_nfkc():
    doc = extract(_docx_from_body(_p("\u3000\u3000２０２３年  全角\u00a0文字 ")))
    assert doc.text == "２０２３年 全角 文字"


# ----------------------------------------------------------------------------- title

def test_title_from_core_properties_only_when_it_names_the_report():
    body = _p("某县人民政府") + _p("2022年政府信息公开工作年度报告") + _p("一、总体情况")
    assert extract(_docx_from_body(body, "某县2022年政府信息公开工作年度报告")).title == "某县2022年政府信息公开工作年度报告"
    assert extract(_docx_from_body(body, "Normal")).title == "某县人民政府2022年政府信息公开工作年度报告"
    assert extract(_docx_from_body(_p("根据条例规定，编制本报告。") + _p("正文"))).title is None


# ----------------------------------------------------------------------------- refusals

MB = 1024 * 1024


def _deflated_zeros(n_mb: int) -> bytes:
    """A raw deflate stream of `n_mb` MiB of zeros, made without compressing them all:
    after a full flush the compressor's output for the next MiB repeats byte for byte."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    assert again == block
    return first + block * (n_mb - 1) + c.flush(zlib.Z_FINISH)


def _zip_with(name: str, deflated: bytes, declared_size: int, crc: int = 0) -> bytes:
    """A zip holding [Content_Types].xml and `name` with the given deflate stream and
    declared uncompressed size (true or not)."""
    entries = [("[Content_Types].xml", 0, CT.encode(), len(CT), zlib.crc32(CT.encode())), (name, 8, deflated, declared_size, crc)]
    out, central = bytearray(), bytearray()
    for fname, method, payload, usize, c in entries:
        offset = len(out)
        fn = fname.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, c, len(payload), usize, len(fn), 0) + fn + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, c, len(payload), usize,
                               len(fn), 0, 0, 0, 0, 0, offset) + fn
    cd_offset = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), cd_offset, 0)
    return bytes(out)


def test_zip_bomb_declaring_2gb_is_refused_before_inflating():
    bomb = _zip_with("word/document.xml", _deflated_zeros(2048), 2048 * MB)
    assert len(bomb) < 4 * MB
    t = time.perf_counter()
    with pytest.raises(ExtractionError) as e:
        extract(bomb)
    assert time.perf_counter() - t < 0.5
    assert "zip bomb" in e.value.reason and e.value.status == "failed"


def test_zip_bomb_with_lying_header_is_bounded():
    # declares 1000 bytes; the stream would inflate to 2 GiB
    bomb = _zip_with("word/document.xml", _deflated_zeros(2048), 1000)
    t = time.perf_counter()
    with pytest.raises(ExtractionError) as e:
        extract(bomb)
    assert time.perf_counter() - t < 0.5
    assert e.value.status == "failed"


def test_high_ratio_part_is_refused():
    bomb = _zip_with("word/document.xml", _deflated_zeros(40), 40 * MB)  # under the size cap, ratio ~1000:1
    with pytest.raises(ExtractionError) as e:
        extract(bomb)
    assert "ratio" in e.value.reason


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PK\x03\x04" + b"\x00" * 100,
        b"not a zip at all",
        bytes(range(256)) * 4,
    ],
)
def test_corrupt_input_is_extraction_error(data):
    with pytest.raises(ExtractionError) as e:
        extract(data)
    assert e.value.status == "failed"


def test_truncated_docx_is_extraction_error():
    data = typical_docx()
    for cut in (len(data) // 3, len(data) - 30):
        with pytest.raises(ExtractionError):
            extract(data[:cut])


def test_zip_without_document_xml_and_bad_xml():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/styles.xml", "<x/>")
    with pytest.raises(ExtractionError) as e:
        extract(buf.getvalue())
    assert "word/document.xml missing" in e.value.reason
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(ExtractionError):
        extract(buf.getvalue())


def test_xml_entities_are_not_expanded():
    evil = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        f'<w:document {W}><w:body><w:p><w:r><w:t>&c;正文</w:t></w:r></w:p></w:body></w:document>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", evil)
    try:
        doc = extract(buf.getvalue())
    except ExtractionError:
        return
    assert "aaaaaaaaaa" not in doc.text


def test_document_without_text_is_not_a_report():
    with pytest.raises(ExtractionError) as e:
        extract(_docx_from_body("<w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p>"))
    assert e.value.status == "not_a_report"
