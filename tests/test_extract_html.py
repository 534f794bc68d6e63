"""HTML extractor: encodings, body detection, title, split numbers, table grids.

Fixture pages are written here in our own words (numbers from real reports); a
realistic ~60 KB TRS-style page (`realistic_page()`) doubles as the benchmark input:

    taskset -c 0 .venv/bin/python -c "from tests.test_extract_html import bench; bench()"
"""

from __future__ import annotations

import time

import pytest

from normalize.extract.html import extract
from normalize.model import ExtractionError, Paragraph, Table

# ----------------------------------------------------------------------------- fixtures

_NAV = "".join(f'<li><a href="/col{i}/index.html">栏目名称{i}</a></li>' for i in range(60))
_T3_ROWS = [
    ("一、本年新收政府信息公开申请数量", None, [607, 43, 0, 0, 3, 0, 653]),
    ("二、上年结转政府信息公开申请数量", None, [56, 1, 0, 0, 0, 0, 57]),
    ("三、本年度办理结果", "（一）予以公开", [197, 18, 0, 0, 2, 0, 217]),
    ("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [0] * 7),
] + [("", f"（三）不予公开 {i}.某种情形", [i, 0, 0, 0, 0, 0, i]) for i in range(1, 9)] + [
    ("", f"（四）无法提供 {i}.某种情形", [i, 0, 0, 0, 0, 0, i]) for i in range(1, 4)
] + [("", f"（五）不予处理 {i}.某种情形", [0] * 7) for i in range(1, 6)] + [
    ("", f"（六）其他处理 {i}.某种情形", [0] * 7) for i in range(1, 4)
] + [("", "（七）总计", [607, 41, 0, 0, 3, 0, 651]), ("四、结转下年度继续办理", None, [56, 3, 0, 0, 0, 0, 59])]


def _word_p(text: str) -> str:
    """A paragraph as Word pastes it: styled spans, the text split into pieces."""
    pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
    spans = "".join(
        f'<span style="font-size:16.0pt;font-family:仿宋_GB2312;color:black">{p}</span>' for p in pieces
    )
    return f'<p class="MsoNormal" style="text-indent:32.0pt;line-height:28.0pt;mso-line-height-rule:exactly">{spans}</p>\n'


def _word_td(text: str, attrs: str = "") -> str:
    return (
        f'<td{attrs} style="border:solid windowtext 1.0pt">'
        f'<p class="MsoNormal" align="center" style="text-align:center"><span style="font-size:10.5pt">{text}</span></p></td>'
    )


def realistic_page(encoding: str = "utf-8") -> bytes:
    """A TRS-style report page of about 60 KB: header, nav menu, Word-pasted article
    with the three report tables (rowspans and colspans), footer and scripts."""
    body = [
        '<div class="TRS_Editor"><div class="view TRS_UEDITOR trs_paper_default trs_web">',
        _word_p("本报告依照有关条例和格式要求编写，所列数据的统计期限自2023年1月1日起至2023年12月31日止。"),
        _word_p("一、总体情况"),
    ]
    sentence = "本机关持续推进政务公开工作，围绕重点领域主动发布信息，规范办理依申请公开，全年办理申请六百余件。"
    for _ in range(6):
        body.append(_word_p(sentence * 2))
    body.append(_word_p("二、主动公开政府信息情况"))
    t2 = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="600">']
    t2.append("<tr>" + _word_td("第二十条第（一）项", ' colspan="4"') + "</tr>")
    t2.append("<tr>" + "".join(_word_td(x) for x in ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数")) + "</tr>")
    t2.append("<tr>" + "".join(_word_td(x) for x in ("规章", "13", "11", "148")) + "</tr>")
    t2.append("<tr>" + "".join(_word_td(x) for x in ("行政规范性文件", "25", "252", "608")) + "</tr>")
    t2.append("<tr>" + _word_td("第二十条第（五）项", ' colspan="4"') + "</tr>")
    t2.append("<tr>" + _word_td("行政许可") + _word_td("0", ' colspan="3"') + "</tr>")
    t2.append("</table>")
    body += t2
    body.append(_word_p("三、收到和处理政府信息公开申请情况"))
    t3 = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0">']
    t3.append("<tr>" + _word_td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", ' colspan="3" rowspan="3"')
              + _word_td("申请人情况", ' colspan="7"') + "</tr>")
    t3.append("<tr>" + _word_td("自然人", ' rowspan="2"') + _word_td("法人或其他组织", ' colspan="5"')
              + _word_td("总计", ' rowspan="2"') + "</tr>")
    t3.append("<tr>" + "".join(_word_td(x) for x in ("商业<br>企业", "科研机构", "社会公益组织", "法律服务机构", "其他")) + "</tr>")
    for first, second, nums in _T3_ROWS:
        tds = []
        if second is None:
            tds.append(_word_td(first, ' colspan="3"'))
        else:
            if first:
                tds.append(_word_td(first, ' rowspan="22"'))
            tds.append(_word_td(second, ' colspan="2"'))
        tds += [_word_td(str(n)) for n in nums]
        t3.append("<tr>" + "".join(tds) + "</tr>")
    t3.append("</table>")
    body += t3
    body.append(_word_p("四、政府信息公开行政复议、行政诉讼情况"))
    t4 = ['<table border="1">', "<tr>" + _word_td("行政复议", ' colspan="5"') + _word_td("行政诉讼", ' colspan="10"') + "</tr>"]
    t4.append("<tr>" + "".join(_word_td(x, ' rowspan="2"') for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
              + _word_td("未经复议直接起诉", ' colspan="5"') + _word_td("复议后起诉", ' colspan="5"') + "</tr>")
    t4.append("<tr>" + "".join(_word_td(x) for x in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2) + "</tr>")
    t4.append("<tr>" + "".join(_word_td(str(n)) for n in (11, 0, 1, 2, 14, 14, 0, 1, 1, 16, 7, 0, 0, 1, 8)) + "</tr></table>")
    body += t4
    body.append(_word_p("五、存在的主要问题及改进情况"))
    for _ in range(6):
        body.append(_word_p("工作中仍有不足，下一步将加强培训，完善制度，提升信息发布质量和办理效率。" * 2))
    body.append(_word_p("六、其他需要报告的事项"))
    body.append(_word_p("本机关本年度未收取信息处理费。"))
    body.append("</div></div>")
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<title>某区人民政府办公室2023年政府信息公开工作年度报告_某区人民政府</title>"
        '<meta name="ArticleTitle" content="某区人民政府办公室2023年政府信息公开工作年度报告">'
        '<meta name="PubDate" content="2024-01-23 10:00">'
        '<link rel="stylesheet" href="/css/main.css"><script src="/js/jquery.js"></script>'
        "<script>var site = {id: 1, name: 'x'}; function share(){ return 1; }</script>"
        "<style>.nav li{float:left} .TRS_Editor p{line-height:2}</style></head><body>"
        '<div class="header"><div class="logo"><a href="/"><img src="/logo.png" alt="某区人民政府"></a></div>'
        f'<div class="nav"><ul>{_NAV}</ul></div></div>'
        '<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/nb/">年度报告</a></div>'
        '<div class="main"><div class="article"><h1 class="title">某区人民政府办公室2023年政府信息公开工作年度报告</h1>'
        '<div class="info"><span>发布日期：2024-01-23</span><span>来源：区政府办公室</span></div>'
        + "".join(body)
        + '<div class="share"><a href="#">微信</a><a href="#">微博</a></div></div></div>'
        '<div class="footer"><p>主办：某区人民政府办公室 地址：某区某路1号 邮编：400000</p>'
        '<p><a href="/about">网站地图</a> | <a href="/contact">联系我们</a></p></div>'
        "<script>document.write('');</script></body></html>"
    )
    return page.encode(encoding) if encoding != "gb18030-nometa" else page.replace('<meta charset="utf-8">', "").encode("gb18030")


def bench(n: int = 600) -> None:
    """Pages per second on one core: wall clock and CPU time (CPU time is the figure to
    trust on a machine shared with other jobs)."""
    page = realistic_page()
    extract(page)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        extract(page)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"html: {len(page) / 1024:.0f} KB page, {n / dc:.0f} pages/s CPU ({dc / n * 1000:.2f} ms/page), "
          f"{n / dt:.0f} pages/s wall")


def _html(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def _only_table(doc) -> Table:
    tables = list(doc.tables())
    assert len(tables) == 1, tables
    return tables[0]


# ----------------------------------------------------------------------------- encodings

PARA = "本机关全年主动公开政府信息一千二百条，办理依申请公开六百五十三件。"


def test_gbk_page_without_charset_declaration():
    page = _html(f"<p>{PARA}</p><p>第二段文字内容。</p>").encode("gbk")
    doc = extract(page)
    assert [p.text for p in doc.paragraphs()] == [PARA, "第二段文字内容。"]
    assert any("gb18030" in w for w in doc.warnings)


def test_page_declaring_utf8_but_encoded_gbk():
    page = _html(f"<p>{PARA}</p>", head='<meta charset="utf-8">').encode("gbk")
    doc = extract(page)
    assert doc.text == PARA
    assert any("declared utf-8" in w and "gb18030" in w for w in doc.warnings), doc.warnings


def test_page_declaring_gbk_but_encoded_utf8():
    page = _html(f"<p>{PARA}</p>", head='<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("utf-8")
    doc = extract(page)
    assert doc.text == PARA
    assert any("declared gb2312" in w for w in doc.warnings), doc.warnings


def test_correctly_declared_page_has_no_warnings():
    page = _html(f"<p>{PARA}</p>", head='<meta charset="utf-8">').encode("utf-8")
    assert extract(page).warnings == []
    page = _html(f"<p>{PARA}</p>", head='<meta charset="gbk">').encode("gbk")
    assert extract(page).warnings == []


def test_hidden_copies_are_dropped_unless_all_is_hidden():
    page = _html(f'<div id="zoom"><p>{PARA}</p><div style="DISPLAY: none"><p>隐藏的副本文字</p></div>'
                 '<p hidden>另一段隐藏文字</p>尾巴</div>')
    assert [p.text for p in extract(page.encode()).paragraphs()] == [PARA, "尾巴"]
    page = _html(f'<div id="zoom" style="display:none"><p>{PARA}</p></div>')
    doc = extract(page.encode())
    assert doc.text == PARA and any("hidden" in w for w in doc.warnings)


def test_utf8_bom_and_big5_declared():
    assert extract(b"\xef\xbb\xbf" + _html(f"<p>{PARA}</p>").encode("utf-8")).text == PARA
    big5 = _html("<p>政府資訊公開年度報告</p>", head='<meta charset="big5">').encode("big5")
    assert extract(big5).text == "政府資訊公開年度報告"


def test_gbk_page_with_one_broken_byte_still_decodes():
    good = _html(f"<p>{PARA * 20}</p>").encode("gbk")
    broken = good[:200] + b"\xff" + good[200:]
    doc = extract(broken)
    assert "办理依申请公开六百五十三件" in doc.text
    assert any("replaced" in w for w in doc.warnings)


# ----------------------------------------------------------------------------- text

def test_numbers_split_across_spans_are_joined():
    page = _html('<div id="zoom"><p><span>共收到申请</span><span>6</span><span>53</span><span>件，其中</span>'
                 '<span lang="EN-US">20</span><span lang="EN-US">23</span><span>年</span></p></div>')
    assert extract(page.encode()).text == "共收到申请653件，其中2023年"


def test_source_line_wrap_inside_chinese_text_is_dropped_but_spaces_kept():
    page = _html('<div id="zoom"><p>政府信息\n      公开工作 annual\n report 总  计</p></div>')
    assert extract(page.encode()).text == "政府信息公开工作 annual report 总 计"


def test_block_elements_and_br_split_paragraphs():
    page = _html('<div class="TRS_Editor"><div>第一段<br>第二段</div><p>第三段<span>续</span></p><ul><li>甲项</li><li>乙项</li></ul></div>')
    assert [p.text for p in extract(page.encode()).paragraphs()] == ["第一段", "第二段", "第三段续", "甲项", "乙项"]


def test_nbsp_and_ideographic_space_are_whitespace():
    page = _html('<div id="zoom"><p>&nbsp;&nbsp;\u3000\u3000一、总体情况&nbsp;</p><p>&nbsp;</p></div>')
    assert [p.text for p in extract(page.encode()).paragraphs()] == ["一、总体情况"]


def test_no_nfkc_applied():
    page = _html('<div id="zoom"><p>２０２３年（全角）ＡＢＣ</p></div>')
    assert extract(page.encode()).text == "２０２３年（全角）ＡＢＣ"


# ----------------------------------------------------------------------------- body and title

def test_body_detection_ignores_nav_menu_header_and_footer():
    nav = "".join(f'<li><a href="/c{i}">导航栏目{i}</a></li>' for i in range(40))
    page = _html(
        f'<div class="top"><ul>{nav}</ul></div>'
        f'<div class="wrap"><div class="left"><a href="/x">相关链接一</a><a href="/y">相关链接二</a></div>'
        f'<div class="right"><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></div>'
        '<div class="bottom">网站标识码 5000000000 备案号</div>'
    )
    doc = extract(page.encode())
    assert [p.text for p in doc.paragraphs()] == [PARA] * 3


def test_known_container_wins_over_bigger_sidebar():
    side = "<p>" + "侧栏里的其他文字内容" * 30 + "</p>"
    page = _html(f'<div class="side">{side}</div><div class="TRS_Editor"><p>{PARA}</p></div>')
    assert extract(page.encode()).text == PARA


def test_title_from_meta_then_h1_then_title_element():
    head = '<title>站点首页</title><meta name="ArticleTitle" content="某局2022年政府信息公开工作年度报告">'
    assert extract(_html(f"<p>{PARA}</p>", head).encode()).title == "某局2022年政府信息公开工作年度报告"
    page = _html(f'<h1>某镇2021年政府信息公开工作年度报告</h1><div id="zoom"><p>{PARA}</p></div>', "<title>某镇人民政府</title>")
    assert extract(page.encode()).title == "某镇2021年政府信息公开工作年度报告"
    page = _html(f"<p>{PARA}</p>", "<title>某县2020年政府信息公开工作年度报告_某县人民政府网</title>")
    assert extract(page.encode()).title == "某县2020年政府信息公开工作年度报告"


def test_realistic_page():
    doc = extract(realistic_page())
    assert doc.title == "某区人民政府办公室2023年政府信息公开工作年度报告"
    texts = [p.text for p in doc.paragraphs()]
    assert texts[1] == "一、总体情况"
    assert not any("栏目名称" in t or "主办" in t or "share" in t for t in texts)
    t2, t3, t4 = doc.tables()
    assert t2.rows()[5] == ["行政许可", "0", "0", "0"]
    rows = t3.rows()
    assert rows[2][3] == "自然人" and rows[2][4] == "商业企业"
    assert rows[3] == ["一、本年新收政府信息公开申请数量"] * 3 + ["607", "43", "0", "0", "3", "0", "653"]
    assert rows[5][:3] == ["三、本年度办理结果", "（一）予以公开", "（一）予以公开"]
    assert rows[26][0] == "三、本年度办理结果" and rows[26][9] == "651"
    assert t4.n_rows == 4 and t4.n_cols == 15 and t4.rows()[3][14] == "8"


def test_gbk_realistic_page_without_declaration():
    doc = extract(realistic_page("gb18030-nometa"))
    assert len(list(doc.tables())) == 3
    assert doc.title == "某区人民政府办公室2023年政府信息公开工作年度报告"


# ----------------------------------------------------------------------------- tables

def test_rowspan_colspan_grid_positions():
    page = _html(
        '<div id="zoom"><table>'
        '<tr><td rowspan="2" colspan="2">甲</td><td colspan="2">乙</td></tr>'
        "<tr><td>丙</td><td rowspan=2>丁</td></tr>"
        "<tr><td>戊</td><td>己</td><td>庚</td></tr>"
        "</table></div>"
    )
    cells = {(c.row, c.col): (c.text, c.rowspan, c.colspan) for c in _only_table(extract(page.encode())).cells}
    assert cells == {
        (0, 0): ("甲", 2, 2), (0, 2): ("乙", 1, 2),
        (1, 2): ("丙", 1, 1), (1, 3): ("丁", 2, 1),
        (2, 0): ("戊", 1, 1), (2, 1): ("己", 1, 1), (2, 2): ("庚", 1, 1),
    }


def test_garbage_and_huge_spans_are_clamped_and_cells_never_overlap():
    page = _html(
        '<div id="zoom"><table>'
        '<tr><td colspan="abc">一</td><td rowspan="99999">二</td><td colspan="100000">三</td></tr>'
        '<tr><td colspan="3;">四</td><td>五</td></tr>'
        "</table></div>"
    )
    t = _only_table(extract(page.encode()))
    by_text = {c.text: c for c in t.cells}
    assert by_text["一"].colspan == 1
    assert by_text["二"].rowspan == 2  # no more rows than the table has
    assert by_text["三"].colspan == 50
    covered = set()
    for c in t.cells:
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                assert (r, k) not in covered
                covered.add((r, k))


def test_nbsp_cells_are_empty_cells():
    page = _html('<div id="zoom"><table><tr><td>&nbsp;</td><td>自然人</td></tr><tr><td>合计</td><td>\u3000</td></tr></table></div>')
    assert _only_table(extract(page.encode())).rows() == [["", "自然人"], ["合计", ""]]


def test_cell_lines_join_without_space_between_cjk_and_digits():
    page = _html('<div id="zoom"><table><tr><td><p>法人或</p><p>其他组织</p></td><td>12<br>34</td><td>Total<br>count</td></tr>'
                 "<tr><td>1</td><td>2</td><td>3</td></tr></table></div>")
    assert _only_table(extract(page.encode())).rows()[0] == ["法人或其他组织", "1234", "Total count"]


def test_tables_in_reading_order_and_layout_table_is_a_frame():
    inner = "<table><tr><td>项目</td><td>数量</td></tr><tr><td>规章</td><td>13</td></tr></table>"
    page = _html(f"<table><tr><td><p>前言段落。</p>{inner}<p>结尾段落。</p></td></tr></table>")
    doc = extract(page.encode())
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Paragraph", "Table", "Paragraph"]
    assert doc.blocks[1].rows() == [["项目", "数量"], ["规章", "13"]]


def test_nested_table_in_data_cell_is_flattened():
    page = _html('<div id="zoom"><table><tr><td>甲</td><td>乙</td><td>丙</td></tr>'
                 "<tr><td>一</td><td>二</td><td><table><tr><td>内一</td><td>内二</td></tr><tr><td>内三</td></tr></table></td></tr>"
                 "<tr><td>1</td><td>2</td><td>3</td></tr></table></div>")
    t = _only_table(extract(page.encode()))
    assert t.rows()[1] == ["一", "二", "内一 内二内三"]


def test_thead_tbody_rows_in_order():
    page = _html('<div id="zoom"><table><thead><tr><th>名称</th><th>数量</th></tr></thead>'
                 "<tbody><tr><td>规章</td><td>1</td></tr></tbody></table></div>")
    assert _only_table(extract(page.encode())).rows() == [["名称", "数量"], ["规章", "1"]]


# ----------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("data", [b"", b"   \n ", b"<html><body><script>var a=1;</script></body></html>",
                                  b"<html><body><img src='a.png'></body></html>"])
def test_pages_without_text_are_not_reports(data):
    with pytest.raises(ExtractionError) as e:
        extract(data)
    assert e.value.status == "not_a_report"


def test_oversized_page_is_refused():
    with pytest.raises(ExtractionError) as e:
        extract(b"<p>" + b"a" * (21 * 1024 * 1024))
    assert e.value.status == "failed"


@pytest.mark.parametrize("data", [b"\x00\x01\x02\xff" * 100, bytes(range(256)) * 10, b"<<<>>>", b"<table><tr><td>",
                                  b"<p>\xff\xfe\x00</p>", "<p>孤立</p>".encode("utf-16-le")])
def test_garbage_never_raises_anything_but_extraction_error(data):
    try:
        doc = extract(data)
    except ExtractionError:
        return
    assert all(isinstance(b, (Paragraph, Table)) for b in doc.blocks)


def test_mhtml_word_single_file_page():
    html = _html(f"<p>{PARA}</p>").encode("gbk")
    import quopri

    mht = (
        b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_NextPart_01\"\r\n\r\n"
        b"------=_NextPart_01\r\nContent-Location: file:///C:/report.htm\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        b"Content-Type: text/html; charset=\"gb2312\"\r\n\r\n" + quopri.encodestring(html) + b"\r\n------=_NextPart_01--\r\n"
    )
    assert extract(mht).text == PARA


# ----------------------------------------------------------------------------- the one-pass walk

def test_cell_texts_that_look_like_walk_tokens_are_text():
    page = _html('<div id="zoom"><table><tr><td>T</td><td>E</td></tr><tr><td>R</td><td>Cx</td></tr></table>'
                 "<p>后文</p></div>")
    doc = extract(page.encode())
    assert [type(b).__name__ for b in doc.blocks] == ["Table", "Paragraph"]
    assert doc.blocks[0].rows() == [["T", "E"], ["R", "Cx"]]


def test_character_references_to_internal_marks_read_as_spaces():
    page = _html('<div id="zoom"><p>前&#xFDD2;T&#xFDD2;后</p><table><tr><td>&#64976;甲</td><td>&#xfdd1;乙&#xFDD2;C</td></tr>'
                 "<tr><td>1</td><td>2</td></tr></table></div>")
    doc = extract(page.encode())
    assert doc.blocks[0].text == "前 T 后"
    assert doc.blocks[1].rows() == [["甲", "乙 C"], ["1", "2"]]


def test_text_in_a_row_outside_its_cells_goes_to_the_cell_before():
    page = _html('<div id="zoom"><table><tr><td>甲</td><td>乙</td></tr><tr>外<td>1</td><td>2</td></tr></table></div>')
    assert _only_table(extract(page.encode())).rows() == [["甲", "乙外"], ["1", "2"]]


def test_data_table_of_empty_cells_is_no_block():
    page = _html('<div id="zoom"><table><tr><td><br></td><td>&nbsp;</td></tr><tr><td> </td><td><p></p></td></tr></table>'
                 "<p>后文</p></div>")
    assert [b.text for b in extract(page.encode()).blocks] == ["后文"]


def test_table_in_a_layout_frame_inside_a_data_cell_is_flattened():
    inner = "<table><tr><td>框</td></tr><tr><td><table><tr><td>内一</td><td>内二</td></tr></table></td></tr></table>"
    page = _html(f'<div id="zoom"><table><tr><td>甲</td><td>乙</td><td>丙</td></tr>'
                 f"<tr><td>1</td><td>2</td><td>{inner}</td></tr></table></div>")
    assert _only_table(extract(page.encode())).rows() == [["甲", "乙", "丙"], ["1", "2", "框内一 内二"]]


def test_control_character_references_never_crash():
    page = _html('<div id="zoom"><p>前文前文前文前文前文前文前文前文前文前文</p><p style="display:none">隐</p>a&#16;b'
                 "<table><tr><td>x&#1;</td><td>y</td></tr></table></div>")
    doc = extract(page.encode())
    assert [b.text for b in doc.paragraphs()][:2] == ["前文前文前文前文前文前文前文前文前文前文", "ab"]


def test_walk_is_the_same_in_other_threads():
    import threading

    page = realistic_page()
    want = extract(page)
    got = []
    threads = [threading.Thread(target=lambda: got.append(extract(page))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 3 and all(d.blocks == want.blocks for d in got)


def test_collapse_pieces_is_collapse_of_each_piece():
    import random
    import re

    from normalize.extract.text import collapse, collapse_pieces

    rng = random.Random(7)
    alphabet = ["中", "文", "1", "a", " ", "\n", "\r", "\t", "\xa0", "\u3000", "\u200b", "\ufeff", "\u2028", "\x85",
                "，", "\ufdd0", "\ufdd2", "\ufdd1"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        pieces = re.split("([\ufdd0\ufdd2])", text.replace("\ufdd1", " "))
        want = "".join(p if i % 2 else collapse(p) for i, p in enumerate(pieces))
        assert collapse_pieces(text, "\ufdd0\ufdd2", "\ufdd1") == want, repr(text)
