"""normalize.extract.pdf: text-layer PDF → Document (tables as logical grids, paragraphs)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from normalize.extract import pdf as pdf_extract
from normalize.extract.pdf import extract
from normalize.model import Document, ExtractionError, Paragraph, Table
from tests import pdf_fixtures as fx

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
HUAIAN = SAMPLES / "huaian-hongze-2024.pdf"
needs_huaian = pytest.mark.skipif(not HUAIAN.exists(), reason="shared/samples is not beside the repo")

MARKER = re.compile(r"[-—–]\s*\d+\s*[-—–]|第\s*\d+\s*页")

T3_COLS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
]

# Table 3 of the sample as printed, row by row: the label cells (merged group cells repeated
# on every row they cover, '' for an empty label cell) and the 7 values.
T3_PAGE3 = [
    (["一、本年新收政府信息公开申请数量"] * 3, "new_received", "95 0 0 0 0 0 95"),
    (["二、上年结转政府信息公开申请数量"] * 3, "carried_over", "0 0 0 0 0 0 0"),
    (["三、本年度办理结果", "（一）予以公开", "（一）予以公开"], "granted", "50 0 0 0 0 0 50"),
    (
        ["三、本年度办理结果"] + ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）"] * 2,
        "partially_granted",
        "9 0 0 0 0 0 9",
    ),
    (["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"], "withheld_state_secret", "0 0 0 0 0 0 0"),
    (["三、本年度办理结果", "（三）不予公开", "2.其他法律行政止公开"], "withheld_prohibited_by_law", "0 0 0 0 0 0 0"),
    (["三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"], "withheld_security_stability", "1 0 0 0 0 0 1"),
    (["三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"], "withheld_third_party_rights", "0 0 0 0 0 0 0"),
    (["三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"], "withheld_internal_affairs", "0 0 0 0 0 0 0"),
    (["三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"], "withheld_process_information", "1 0 0 0 0 0 1"),
    (["三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"], "withheld_law_enforcement_files", "1 0 0 0 0 0 1"),
    (["三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"], "withheld_administrative_query", "0 0 0 0 0 0 0"),
    (["三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"], "unavailable_not_held", "31 0 0 0 0 0 31"),
]
T3_PAGE4 = [
    (["", "", "2.没有现成信息需要另行制作"], "unavailable_needs_creation", "1 0 0 0 0 0 1"),
    (["", "", "3.补正后申请内容仍不明确"], "unavailable_unclear_after_correction", "0 0 0 0 0 0 0"),
    (["", "（五）不予处理", "1.信访举报投诉类申请"], "not_processed_petition", "1 0 0 0 0 0 1"),
    (["", "（五）不予处理", "2.重复申请"], "not_processed_duplicate", "0 0 0 0 0 0 0"),
    (["", "（五）不予处理", "3.要求提供公开出版物"], "not_processed_publication", "0 0 0 0 0 0 0"),
    (["", "（五）不予处理", "4.无正当理由大量反复申请"], "not_processed_excessive", "0 0 0 0 0 0 0"),
    (["", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"], "not_processed_confirmation", "0 0 0 0 0 0 0"),
    (["", "（六）其他处理", ""], "other_handling", "0 0 0 0 0 0 0"),
    (["", "（七）总计", ""], "total_processed", "95 0 0 0 0 0 95"),
    (["四、结转下年度继续办理"] * 3, "carried_forward", "0 0 0 0 0 0 0"),
]


@pytest.fixture(scope="module")
def huaian() -> Document:
    return extract(HUAIAN.read_bytes())


def _tables(doc: Document) -> list[Table]:
    return list(doc.tables())


def _all_text(doc: Document) -> list[str]:
    out = [p.text for p in doc.paragraphs()]
    for t in doc.tables():
        out.extend(c.text for c in t.cells)
    return out


def _table_with(doc: Document, text: str) -> Table:
    for t in doc.tables():
        if any(c.text == text for c in t.cells):
            return t
    raise AssertionError(f"no table has a cell {text!r}")


# ---------------------------------------------------------------------------------------------
# the real sample


@needs_huaian
def test_huaian_document_shape(huaian):
    assert huaian.source_format == "pdf"
    assert huaian.pages == 5
    assert huaian.warnings == []
    assert huaian.title == "淮安市洪泽区人民政府2024年政府信息公开工作年度报告"
    tables = _tables(huaian)
    assert [(t.page, t.n_rows, t.n_cols) for t in tables] == [(2, 7, 4), (3, 7, 2), (3, 16, 10), (4, 10, 10), (4, 4, 15)]


@needs_huaian
def test_huaian_table3_rows(huaian):
    tables = _tables(huaian)
    t3_p3, t3_p4 = tables[2], tables[3]
    assert (t3_p3.page, t3_p4.page) == (3, 4)
    for table, expected in ((t3_p3, T3_PAGE3), (t3_p4, T3_PAGE4)):
        rows = table.rows()
        data_rows = [r for r in rows if all(re.fullmatch(r"\d+", v) for v in r[3:])]
        assert len(data_rows) == len(expected)
        for got, (labels, _key, values) in zip(data_rows, expected):
            assert got[:3] == labels
            assert " ".join(got[3:]) == values


@needs_huaian
def test_huaian_table3_merged_cells(huaian):
    t3 = _tables(huaian)[2]
    cells = {c.text: c for c in t3.cells}
    assert (cells["三、本年度办理结果"].col, cells["三、本年度办理结果"].rowspan) == (0, 11)
    assert (cells["（三）不予公开"].col, cells["（三）不予公开"].rowspan, cells["（三）不予公开"].colspan) == (1, 8, 1)
    assert cells["一、本年新收政府信息公开申请数量"].colspan == 3
    assert cells["申请人情况"].colspan == 7
    assert (cells["法人或其他组织"].colspan, cells["自然人"].rowspan) == (5, 2)
    assert [c.text for c in t3.cells if c.row == 2 and c.col >= 4] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    header = cells["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"]
    assert (header.row, header.col, header.rowspan, header.colspan) == (0, 0, 3, 3)


@needs_huaian
def test_huaian_values_match_expected_json(huaian):
    expected = json.loads((SAMPLES / "huaian-hongze-2024.expected.json").read_text(encoding="utf-8"))
    facts = {(f["table"], f["row_key"], f["col_key"]): f["value"] for f in expected["facts"]}
    tables = _tables(huaian)
    for table, rows in ((tables[2], T3_PAGE3), (tables[3], T3_PAGE4)):
        data_rows = [r for r in table.rows() if all(re.fullmatch(r"\d+", v) for v in r[3:])]
        for got, (_labels, key, _values) in zip(data_rows, rows):
            for col, v in zip(T3_COLS, got[3:]):
                assert facts[("t3", key, col)] == int(v), (key, col)
    t4 = tables[4]
    t4_values = [facts[k] for k in facts if k[0] == "t4"]
    assert [int(v) for v in t4.rows()[-1]] == t4_values


@needs_huaian
def test_huaian_table4(huaian):
    t4 = _tables(huaian)[4]
    rows = t4.rows()
    assert rows[-1] == "1 1 0 0 2 1 0 0 0 1 2 0 1 0 3".split()
    assert rows[0][0] == "行政复议" and rows[0][-1] == "行政诉讼"
    assert rows[1][5] == "未经复议直接起诉" and rows[1][10] == "复议后起诉"
    assert rows[1][:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert rows[2][5:] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2


@needs_huaian
def test_huaian_table2(huaian):
    t_a, t_b = _tables(huaian)[:2]
    assert t_a.rows() == [
        ["第二十条第（一）项"] * 4,
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"],
        ["行政规范性文件", "3", "0", "8"],
        ["第二十条第（五）项"] * 4,
        ["信息内容"] + ["本年处理决定数量"] * 3,
        ["行政许可"] + ["9487"] * 3,
    ]
    assert t_b.rows() == [
        ["第二十条第（六）项"] * 2,
        ["信息内容", "本年处理决定数量"],
        ["行政处罚", "2776"],
        ["行政强制", "84"],
        ["第二十条第（八）项"] * 2,
        ["信息内容", "本年收费金额（单位：万元）"],
        ["行政事业性收费", "7545"],
    ]


@needs_huaian
def test_huaian_no_page_markers(huaian):
    texts = _all_text(huaian)
    assert not [t for t in texts if MARKER.search(t)]
    assert "- 3 -" not in huaian.text


@needs_huaian
def test_huaian_headings_and_order(huaian):
    headings = [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    paragraphs = [p.text for p in huaian.paragraphs()]
    positions = [paragraphs.index(h) for h in headings]
    assert positions == sorted(positions)
    # headings sit right before their tables; the two parts of table 3 are adjacent blocks
    blocks = huaian.blocks
    kinds = [b.text if isinstance(b, Paragraph) else f"T{b.page}" for b in blocks]
    i = kinds.index("三、收到和处理政府信息公开申请情况")
    assert kinds[i + 1 : i + 4] == ["T3", "T4", "四、政府信息公开行政复议、行政诉讼情况"]
    assert kinds[i + 4] == "T4" and kinds[i + 5] == "五、存在的主要问题及改进情况"
    assert kinds[kinds.index("二、主动公开政府信息情况") + 1] == "T2"


@needs_huaian
def test_huaian_paragraphs_joined(huaian):
    paragraphs = [p for p in huaian.paragraphs()]
    first = next(p for p in paragraphs if p.text.startswith("本报告由"))
    assert first.text.endswith("电话：0517-87290606）。")
    assert "《中华人民共和国政府信息公开条例》（国令第711号）" in first.text
    # （一）… starts a paragraph that runs on over its wrapped lines
    sub = next(p for p in paragraphs if p.text.startswith("（一）主动公开情况"))
    assert sub.text.endswith("解读信息发布7条。")
    # a paragraph that runs from page 4 onto page 5 is one paragraph
    cross = next(p for p in paragraphs if p.text.startswith("针对存在问题"))
    assert cross.page == 4
    assert "答复书模板，使各行政机关答复的方式" in cross.text
    assert cross.text.endswith("业务工作水平。")
    assert not any("  " in p.text for p in paragraphs)


@needs_huaian
def test_huaian_matches_pdfplumber_grids(huaian):
    """On the table pages our grids read like pdfplumber's `extract_tables()` (whitespace aside;
    pdfplumber's None — a position covered by a merged cell — is our merged cell's text)."""
    pdfplumber = pytest.importorskip("pdfplumber")

    def norm(s):
        return re.sub(r"\s+", "", s or "")

    ours = [t for t in _tables(huaian) if t.page in (3, 4)]
    theirs = []
    with pdfplumber.open(HUAIAN) as pdf:
        for page in (3, 4):
            theirs.extend(t for t in pdf.pages[page - 1].extract_tables() if len(t[0]) > 1)
    assert len(ours) == len(theirs) == 4
    for table, ref in zip(ours, theirs):
        grid = table.grid()
        assert (len(grid), len(grid[0])) == (len(ref), len(ref[0]))
        for r, row in enumerate(ref):
            for c, value in enumerate(row):
                cell = grid[r][c]
                if value is None:  # covered by a merged cell that starts elsewhere
                    assert cell is not None and (cell.row, cell.col) != (r, c)
                else:
                    assert cell is not None and (cell.row, cell.col) == (r, c)
                    assert norm(cell.text) == norm(value), (table.page, r, c)


@needs_huaian
def test_huaian_is_fast():
    data = HUAIAN.read_bytes()
    extract(data)
    start = time.perf_counter()
    for _ in range(5):
        extract(data)
    assert (time.perf_counter() - start) / 5 < 0.25  # ~0.02 s on one core; pdfplumber takes ~0.2 s


# ---------------------------------------------------------------------------------------------
# fixtures built with reportlab


def test_cjk_font_extracts_as_unicode():
    doc = extract(fx.stream_table_pdf())
    assert "二、主动公开政府信息情况" in [p.text for p in doc.paragraphs()]


@pytest.mark.parametrize("style", ["lines", "filled", "cellrects", "path", "form", "stray"])
def test_ruled_table_with_spans(style):
    doc = extract(fx.ruled_table_pdf(style) if style != "stray" else fx.ruled_table_pdf(stray=True))
    tables = _tables(doc)
    assert len(tables) == 1
    t = tables[0]
    assert t.page == 1
    assert t.rows() == [
        ["项目", "申请人情况", "申请人情况", "申请人情况"],
        ["项目", "自然人", "商业企业", "总计"],
        ["一、本年新收政府信息公开申请数量", "95", "0", "95"],
        ["二、上年结转", "—", "", "3"],
        ["（七）总计", "1,234", "0", "1234"],
    ]
    spans = {(c.text, c.row, c.col, c.rowspan, c.colspan) for c in t.cells if c.rowspan > 1 or c.colspan > 1}
    assert spans == {("项目", 0, 0, 2, 1), ("申请人情况", 0, 1, 1, 3)}
    assert len(t.cells) == 4 + 3 + 4 * 3 - 2  # 17 grid positions covered by 15 cells + 2 merged


@pytest.mark.parametrize("style", ["lines", "cellrects"])
def test_ruled_fixture_paragraphs(style):
    doc = extract(fx.ruled_table_pdf(style))
    assert doc.title == "某某区人民政府2024年政府信息公开工作年度报告"
    texts = [b.text if isinstance(b, Paragraph) else "<table>" for b in doc.blocks]
    assert texts == [
        "某某区人民政府",
        "2024年政府信息公开工作年度报告",
        "一、总体情况",
        fx.PARAGRAPH,
        "<table>",
        "四、政府信息公开行政复议、行政诉讼情况",
        "本年度无行政复议。",
    ]


def test_table_continued_on_next_page():
    doc = extract(fx.two_page_table_pdf())
    assert doc.pages == 2
    kinds = [b.text if isinstance(b, Paragraph) else f"T{b.page}" for b in doc.blocks]
    assert kinds == ["三、收到和处理政府信息公开申请情况", "T1", "T2", "五、存在的主要问题及改进情况"]
    t1, t2 = _tables(doc)
    assert t1.rows()[-1] == ["（三）不予公开", "0", "0"]
    # the footer printed into a cell is dropped, the value kept
    assert t2.rows() == [["（四）无法提供", "31", "31"], ["（七）总计", "95", "95"], ["四、结转下年度继续办理", "0", "0"]]
    assert not [t for t in _all_text(doc) if MARKER.search(t)]


def test_bare_page_number_printed_into_a_cell():
    doc = extract(fx.footer_in_cell_pdf())
    (t,) = _tables(doc)
    assert t.rows() == [["（六）其他处理", "5", "5"], ["（七）总计", "7", "3"]]


def test_stream_table_without_rules():
    doc = extract(fx.stream_table_pdf())
    kinds = [b.text if isinstance(b, Paragraph) else "<table>" for b in doc.blocks]
    assert kinds == ["二、主动公开政府信息情况", "<table>", "三、收到和处理政府信息公开申请情况"]
    (t,) = _tables(doc)
    assert t.rows() == [
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"],
        ["行政规范性文件", "3", "0", "8"],
    ]
    assert "第 1 页" not in doc.text and "第1页" not in doc.text


def test_text_pdfium_cannot_measure_is_read_with_pdfminer():
    doc = extract(fx.single_char_runs_pdf())
    assert doc.title == "某某县人民政府2024年政府信息公开工作年度报告"
    (t,) = _tables(doc)
    assert t.rows() == [
        ["办理结果", "予以公开", "无"],
        ["办理结果", "部分公开", "是"],
        ["办理结果", "不予公开", "0"],
        ["办理结果", "其他处理", "否"],
    ]


@needs_huaian
def test_huaian_needs_no_pdfminer(monkeypatch):
    def refuse(self, index):
        raise AssertionError("pdfminer fallback used on a file PDFium reads whole")

    monkeypatch.setattr(pdf_extract._Pdfminer, "chars", refuse)
    assert len(_tables(extract(HUAIAN.read_bytes()))) == 5


def test_one_column_frame_is_text_and_rows_at_wide_gaps_are_a_table():
    doc = extract(fx.framed_layout_pdf())
    kinds = [b.text if isinstance(b, Paragraph) else "<table>" for b in doc.blocks]
    assert kinds == [
        "一、总体情况",
        "本年度政府信息公开工作有序开展。",
        "二、主动公开政府信息情况",
        "<table>",
        "三、收到和处理政府信息公开申请情况",
    ]
    (t,) = _tables(doc)
    assert t.rows() == [
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"],
        ["行政规范性文件", "3", "0", "8"],
    ]


def test_running_header_and_footer_dropped():
    doc = extract(fx.running_header_pdf())
    assert [p.text for p in doc.paragraphs()] == [line for body in fx.RUNNING_BODY for line in body]
    assert [p.page for p in doc.paragraphs()] == [1, 1, 2, 2, 3, 3]


def test_stream_rows_single_spaces_and_blank_cells():
    doc = extract(fx.stream_rows_pdf())
    kinds = [b.text if isinstance(b, Paragraph) else "<table>" for b in doc.blocks]
    assert kinds == [
        "三、收到和处理政府信息公开申请情况",
        "<table>",
        "本年度收取信息处理费0元。",
        "<table>",
        "四、政府信息公开行政复议、行政诉讼情况",
    ]
    t1, t2 = _tables(doc)
    assert t1.rows() == [
        ["一、本年新收政府信息公开申请数量", "95", "0", "0", "0", "0", "0", "95"],
        ["二、上年结转政府信息公开申请数量", "3", "0", "0", "0", "0", "0", "3"],
    ]
    assert t2.rows() == [
        ["", "自然人", "法人", "总计"],
        ["（一）予以公开", "50", "", "50"],
        ["（二）部分公开", "9", "1", "10"],
        ["收费金额", "1.5万元", "0", "1.5万元"],
    ]


@pytest.mark.parametrize("script", ["latin", "cjk"])
@pytest.mark.parametrize("rotate_flag", [True, False], ids=["rotate90", "sideways"])
def test_rotated_page(script, rotate_flag):
    doc = extract(fx.rotated_table_pdf(script, rotate_flag))
    assert [p.text for p in doc.paragraphs()] == [fx.ROTATED_HEADING[script]]
    (t,) = _tables(doc)
    assert t.rows() == [list(row) for row in fx.ROTATED_ROWS[script]]


@pytest.mark.parametrize("script", ["latin", "cjk"])
def test_sideways_label_in_a_cell(script):
    (t,) = _tables(extract(fx.sideways_label_pdf(script)))
    label = "Results" if script == "latin" else "办理结果"
    assert t.rows() == [[label, "予以公开", "50"], [label, "部分公开", "9"], [label, "不予公开", "0"]]


def test_slanted_watermark_is_left_out():
    doc = extract(fx.ruled_table_pdf(watermark=True))
    (t,) = _tables(doc)
    assert t.rows()[2:] == [
        ["一、本年新收政府信息公开申请数量", "95", "0", "95"],
        ["二、上年结转", "—", "", "3"],
        ["（七）总计", "1,234", "0", "1234"],
    ]
    assert fx.PARAGRAPH in [p.text for p in doc.paragraphs()]
    assert not any("水印" in text for text in _all_text(doc))
    assert any("slant" in w for w in doc.warnings)


# ---------------------------------------------------------------------------------------------
# bad input


def _error(data: bytes) -> ExtractionError:
    with pytest.raises(ExtractionError) as info:
        extract(data)
    return info.value


def test_zero_bytes():
    err = _error(b"")
    assert err.status == "failed" and "empty" in err.reason


def test_random_bytes():
    err = _error(fx.random_bytes())
    assert err.status == "failed" and "not a PDF" in err.reason


def test_html_is_not_a_pdf():
    assert _error(b"<!DOCTYPE html><html><body>404</body></html>").status == "failed"


def test_garbage_after_pdf_header():
    err = _error(b"%PDF-1.7\n" + fx.random_bytes(2000))
    assert err.status == "failed" and "corrupt" in err.reason


def test_encrypted_with_password():
    err = _error(fx.encrypted_pdf("secret"))
    assert err.status == "failed"
    assert "encrypted" in err.reason


def test_encrypted_owner_password_only_is_read():
    doc = extract(fx.encrypted_pdf(""))
    assert [p.text for p in doc.paragraphs()] == ["一、总体情况", "本年度共受理申请95件。"]
    assert any("encrypted" in w for w in doc.warnings)


def test_image_only_needs_ocr():
    err = _error(fx.image_only_pdf())
    assert err.status == "needs_ocr"
    assert "OCR" in err.reason


def test_truncated_beyond_repair():
    data = fx.ruled_table_pdf()
    for cut in (len(data) // 2, len(data) // 4, 200, 20):
        err = _error(data[:cut])
        assert err.status == "failed", cut
        assert "corrupt" in err.reason


@pytest.mark.parametrize("where", ["in_xref", "in_trailer"])
def test_truncated_end_is_repaired(where):
    """A download cut in its last bytes: PDFium rebuilds some of these itself, the rest get a
    rebuilt cross-reference table (and a warning)."""
    data = fx.ruled_table_pdf()
    cut = data.find(b"\nxref") + 40 if where == "in_xref" else data.find(b"trailer") + 20
    doc = extract(data[:cut])
    assert _tables(doc)[0].rows()[2] == ["一、本年新收政府信息公开申请数量", "95", "0", "95"]
    assert doc.paragraphs().__next__().text == "某某区人民政府"
    if where == "in_trailer":
        assert any("damaged" in w for w in doc.warnings)


def test_broken_xref_offsets_are_repaired():
    data = fx.ruled_table_pdf()
    at = data.rfind(b"startxref")
    broken = data[:at] + b"startxref\n12345\n%%EOF\n"
    doc = extract(broken)
    assert len(_tables(doc)) == 1


@needs_huaian
def test_truncated_sample_never_crashes():
    data = HUAIAN.read_bytes()
    for k in range(1, 20):
        cut = data[: len(data) * k // 20]
        try:
            doc = extract(cut)
        except ExtractionError as err:
            assert err.status in ("failed", "needs_ocr")
        else:
            assert isinstance(doc, Document) and doc.pages


@needs_huaian
def test_corrupted_sample_never_crashes():
    import random

    data = bytearray(HUAIAN.read_bytes())
    rng = random.Random(3)
    for _ in range(6):
        bad = bytearray(data)
        for _ in range(30):
            bad[rng.randrange(200, len(bad))] = rng.randrange(256)
        try:
            extract(bytes(bad))
        except ExtractionError as err:
            assert err.status in ("failed", "needs_ocr")


def test_page_cap(monkeypatch):
    monkeypatch.setattr(pdf_extract, "MAX_PAGES", 5)
    doc = extract(fx.many_pages_pdf(8))
    assert doc.pages == 8
    assert [p.text for p in doc.paragraphs()] == [f"第{k}段正文。" for k in range(1, 6)]
    assert any("only the first 5" in w for w in doc.warnings)


def test_registry_reaches_pdf_extractor():
    from normalize.extract import extract as by_format

    assert _tables(by_format(fx.ruled_table_pdf(), "pdf"))
