"""Plain-text extractor: the real seed (read in place), encodings, both table layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from normalize.extract.text import collapse, extract, guess_title, join_lines
from normalize.model import ExtractionError, Paragraph, Table

SEED = Path("/work/shared/seed/000_4ffaf3414a688a66.txt")
needs_seed = pytest.mark.skipif(not SEED.exists(), reason="the shared seed report is not on this machine")


@pytest.fixture(scope="module")
def seed_doc():
    return extract(SEED.read_bytes())


# ----------------------------------------------------------------------------- the seed

@needs_seed
def test_seed_title_and_tables(seed_doc):
    assert seed_doc.title == "重庆市人民政府办公厅2023年政府信息公开工作年度报告"
    assert seed_doc.source_format == "txt"
    assert len(list(seed_doc.tables())) == 3


@needs_seed
def test_seed_table3_rows(seed_doc):
    t3 = list(seed_doc.tables())[1]
    rows = [[c for c in row if c] for row in t3.rows()]
    assert ["一、本年新收政府信息公开申请数量", "607", "43", "0", "0", "3", "0", "653"] in rows
    assert ["二、上年结转政府信息公开申请数量", "56", "1", "0", "0", "0", "0", "57"] in rows
    assert ["四、结转下年度继续办理", "56", "3", "0", "0", "0", "0", "59"] in rows
    # the row as printed: the merged first column is an empty cell at column 0
    grid = t3.rows()
    assert grid[3][:8] == ["一、本年新收政府信息公开申请数量", "607", "43", "0", "0", "3", "0", "653"]
    total = next(r for r in grid if "（七）总计" in r)
    assert total[:9] == ["", "（七）总计", "607", "41", "0", "0", "3", "0", "651"]


@needs_seed
def test_seed_continuation_lines_join_the_cell(seed_doc):
    t3 = list(seed_doc.tables())[1]
    header = t3.rows()[2]
    assert header[:7] == ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    t4 = list(seed_doc.tables())[2]
    assert "结果维持" in t4.rows()[1] and "尚未审结" in t4.rows()[2]
    assert t4.rows()[3] == ["11", "0", "1", "2", "14", "14", "0", "1", "1", "16", "7", "0", "0", "1", "8"]


@needs_seed
def test_seed_table2_and_paragraphs(seed_doc):
    t2 = list(seed_doc.tables())[0]
    assert t2.rows()[2] == ["规章", "13", "11", "148"]
    texts = [p.text for p in seed_doc.paragraphs()]
    assert "一、总体情况" in texts and "六、其他需要报告的事项" in texts
    assert not any("bookmark" in t for t in texts)
    assert any(t.startswith("（一）依法依规深化主动公开") for t in texts)
    # reading order: the section heading, then its table
    kinds = [(type(b).__name__, b.text if isinstance(b, Paragraph) else None) for b in seed_doc.blocks]
    i = kinds.index(("Paragraph", "三、收到和处理政府信息公开申请情况"))
    assert kinds[i + 1][0] == "Table"


@needs_seed
@pytest.mark.parametrize("enc", ["gb18030", "utf-16", "utf-8-sig"])
def test_seed_in_other_encodings_reads_the_same(seed_doc, enc):
    doc = extract(SEED.read_text("utf-8").encode(enc))
    assert doc.title == seed_doc.title
    assert [t.rows() for t in doc.tables()] == [t.rows() for t in seed_doc.tables()]
    assert doc.text == seed_doc.text


def test_crlf_line_endings_and_empty_cells():
    text = "某局年度报告\r\n\r\n正文段落。\r\n\t项目\r\n\t\r\n\t数量\r\n\r\n\t规章\r\n\t\r\n\t13\r\n\r\n结尾。\r\n"
    doc = extract(text.encode("gbk"))
    table = next(doc.tables())
    assert table.rows() == [["项目", "", "数量"], ["规章", "", "13"]]
    assert [p.text for p in doc.paragraphs()] == ["某局年度报告", "正文段落。", "结尾。"]


# ----------------------------------------------------------------------------- row-per-line tables

def test_tab_separated_rows():
    text = (
        "三、收到和处理政府信息公开申请情况\n"
        "申请人情况\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计\n"
        "一、本年新收政府信息公开申请数量\t607\t43\t0\t0\t3\t0\t653\n"
        "二、上年结转政府信息公开申请数量\t56\t1\t0\t0\t0\t0\t57\n"
        "四、政府信息公开行政复议、行政诉讼情况\n"
    )
    doc = extract(text.encode())
    table = next(doc.tables())
    assert table.rows()[1] == ["一、本年新收政府信息公开申请数量", "607", "43", "0", "0", "3", "0", "653"]
    assert [p.text for p in doc.paragraphs()] == ["三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"]


def test_space_separated_rows_with_blank_lines_between():
    text = "信息内容    本年制发件数    本年废止件数\n\n规章    13    11\n\n行政规范性文件  25  252\n"
    table = next(extract(text.encode()).tables())
    assert table.rows() == [["信息内容", "本年制发件数", "本年废止件数"], ["规章", "13", "11"], ["行政规范性文件", "25", "252"]]


def test_lone_spaced_line_and_indented_paragraphs_stay_paragraphs():
    text = "\u3000\u3000一、总体情况\n本年度  工作平稳。\n\t第一段缩进的正文。\n\t第二段缩进的正文。\n"
    doc = extract(text.encode())
    assert not list(doc.tables())
    assert [p.text for p in doc.paragraphs()] == ["一、总体情况", "本年度 工作平稳。", "第一段缩进的正文。", "第二段缩进的正文。"]


# ----------------------------------------------------------------------------- helpers

def test_collapse_and_join_rules():
    assert collapse("  政府信息\n  公开 \u3000 工作\xa0 ") == "政府信息公开 工作"
    assert collapse("２０２３年") == "２０２３年"  # no NFKC
    assert join_lines(["商业", "企业"]) == "商业企业"
    assert join_lines(["12", "34"]) == "1234"
    assert join_lines(["Total", "count", "", "合计"]) == "Total count 合计"


def test_guess_title():
    assert guess_title(["", "重庆市某局", "2023年政府信息公开工作年度报告", "正文"]) == "重庆市某局2023年政府信息公开工作年度报告"
    assert guess_title(["某镇2021年政府信息公开年报"]) == "某镇2021年政府信息公开年报"
    assert guess_title(["一、总体情况", "正文"]) is None
    assert guess_title(["根据条例规定编制本报告。"]) is None


# ----------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf", "\t\n\t\n".encode()])
def test_no_text_is_not_a_report(data):
    with pytest.raises(ExtractionError) as e:
        extract(data)
    assert e.value.status == "not_a_report"


@pytest.mark.parametrize("data", [bytes(range(256)) * 20, b"\x00" * 100 + "文字".encode("utf-16-le"), b"\xff\xfe\xfd" * 50])
def test_garbage_never_raises_anything_but_extraction_error(data):
    try:
        doc = extract(data)
    except ExtractionError:
        return
    assert all(isinstance(b, (Paragraph, Table)) for b in doc.blocks)
