"""The report generator: deterministic, arithmetically consistent, and readable by
independent libraries in every format it renders."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from govreports.corpus import (IDENTITIES, QUIRKS, expected_facts, identity_failures, make_spec, parse_cell,
                               render_docx, render_html, render_pdf, render_text, write_corpus)
from govreports.corpus.tables import T3_COLUMNS, t3_outcome_rows, t3_rows


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\u00a0", " "))


def _printed_values(spec) -> list[str]:
    return [f.value_raw for f in expected_facts(spec) if f.value_raw]


# ------------------------------------------------------------------ specs
def test_same_seed_same_bytes():
    for seed in (1, 2, 40):
        a, b = make_spec(seed, year=2023), make_spec(seed, year=2023)
        assert render_html(a) == render_html(b)
        assert render_html(a, encoding="gbk", word_spans=True) == render_html(b, encoding="gbk", word_spans=True)
        assert render_text(a) == render_text(b)
        assert render_docx(a) == render_docx(b)
        assert render_pdf(a) == render_pdf(b)
    assert render_text(make_spec(1, year=2023)) != render_text(make_spec(2, year=2023))


def test_identities_hold_for_generated_specs():
    versions = set()
    for seed in range(250):
        spec = make_spec(seed, quirks="random")
        versions.add(spec.format_version)
        assert identity_failures(spec) == {}, (seed, spec.quirks)
    assert versions == {"2021", "2019", "pre2019"}


def test_identities_hold_on_the_numbers_not_only_the_printed_cells():
    # with clean printing every cell is a number, so every identity instance is decidable
    for seed in range(60):
        spec = make_spec(seed, year=2019 + seed % 7, quirks=())
        v = {k: parse_cell(s)[0] for k, s in spec.cells.items()}
        assert None not in v.values()
        rows = t3_rows(spec.format_version, spec.t3_other_rows)
        for c in T3_COLUMNS:
            t = lambda r: v[("t3", r, c)]  # noqa: E731
            assert t("new_received") + t("carried_over") == t("total_processed") + t("carried_forward")
            assert sum(t(r) for r in t3_outcome_rows(spec.format_version, spec.t3_other_rows)) == t("total_processed")
        for r in rows:
            assert sum(v[("t3", r, c)] for c in T3_COLUMNS[:6]) == v[("t3", r, "total")]
        for r in ("review", "litigation_direct", "litigation_after_review"):
            assert sum(v[("t4", r, c)] for c in ("upheld", "corrected", "other", "pending")) == v[("t4", r, "total")]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_broken_spec_breaks_exactly_one_identity(identity):
    for seed in range(25):
        spec = make_spec(seed, year=2019 + seed % 7, break_identity=identity)
        fails = identity_failures(spec)
        assert list(fails) == [identity], (seed, fails)


def test_formats_and_row_counts():
    s21 = make_spec(5, year=2023, t3_other_rows="split", quirks=())
    s21single = make_spec(5, year=2023, t3_other_rows="single", quirks=())
    s19 = make_spec(5, year=2020, quirks=())
    pre = make_spec(5, year=2016)
    assert len(t3_rows("2021", "split")) == 25 and len(t3_rows("2019")) == 23
    facts = expected_facts(s21)
    assert sum(f.table == "t3" and f.value_flag != "derived" for f in facts) == 25 * 7
    derived = [f for f in facts if f.value_flag == "derived"]
    assert {f.row_key for f in derived} == {"other_handling"} and len(derived) == 7
    assert sum(f.table == "t2" for f in facts) == 10 and sum(f.table == "t4" for f in facts) == 15
    assert not any(f.value_flag == "derived" for f in expected_facts(s21single))
    f19 = expected_facts(s19)
    assert sum(f.table == "t3" for f in f19) == 23 * 7 and sum(f.table == "t2" for f in f19) == 22
    assert {f.row_key for f in f19 if f.table == "t2"} >= {"other_services", "procurement"}
    assert pre.format_version == "pre2019" and {f.table for f in expected_facts(pre)} == {"appendix"}
    mismatch = make_spec(5, year=2021, format_version="2019")
    assert mismatch.format_version == "2019" and "2021年" in mismatch.title


def test_parse_cell_rules():
    assert parse_cell("") == (None, "blank", None)
    assert parse_cell("\u00a0") == (None, "blank", None)
    assert parse_cell("/") == (None, "slash", None)
    assert parse_cell("—") == (None, "dash", None)
    assert parse_cell("22（其中修订16件）") == (22.0, "annotated", None)
    assert parse_cell("251000元") == (251000.0, "unit", "元")
    assert parse_cell("1,036") == (1036.0, None, None)
    assert parse_cell("１２") == (12.0, None, None)
    assert parse_cell("+3") == (3.0, None, None)


def test_quirks_show_in_printed_cells_and_facts():
    spec = make_spec(11, year=2023, quirks=QUIRKS)
    flags = {f.value_flag for f in expected_facts(spec)}
    assert {"blank", "derived"} <= flags
    cells = spec.cells.values()
    assert any(re.fullmatch(r"[０-９]+", c) for c in cells)
    spec = make_spec(12, year=2022, agency="重庆市北碚区人民政府", quirks=("annotated", "yuan", "slash"))
    f = {(x.row_key, x.col_key): x for x in expected_facts(spec) if x.table == "t2"}
    assert f[("normative_documents", "issued")].value_flag == "annotated"
    assert f[("regulations", "issued")].value_flag == "slash"


def test_text_quotes_agree_with_tables():
    for seed in range(40):
        spec = make_spec(seed, year=2022)
        text = spec.full_text()
        for q in spec.quotes:
            assert q.text in text
            assert q.value == sum(parse_cell(spec.cells[k])[0] or 0 for k in q.keys) or any(
                parse_cell(spec.cells[k])[1] == "blank" for k in q.keys)


# ------------------------------------------------------------------ renderers, read back independently
def test_html_trs_page():
    import lxml.html

    spec = make_spec(3, year=2023)
    data = render_html(spec)
    assert 30_000 < len(data) < 90_000
    doc = lxml.html.fromstring(data.decode("utf-8"))
    assert doc.xpath('//meta[@name="ArticleTitle"]/@content') == [spec.title]
    assert doc.xpath('//meta[@name="PubDate"]/@content')[0].startswith(spec.publish_date.isoformat())
    editor = doc.xpath('//div[@class="TRS_Editor"]')
    assert len(editor) == 1
    tables = editor[0].xpath(".//table")
    assert len(tables) == 3
    t3 = tables[1]
    spans = {(td.text_content().strip(), td.get("rowspan"), td.get("colspan")) for td in t3.xpath(".//td")}
    assert ("三、本年度办理结果", "22" if spec.t3_other_rows == "split" else "20", None) in spans
    assert ("（三）不予公开", "8", None) in spans
    assert ("申请人情况", None, "7") in spans and ("法人或其他组织", None, "5") in spans
    cells = [td.text_content().strip().replace("\u00a0", "") for t in tables for td in t.xpath(".//td")]
    for raw in _printed_values(spec):
        assert raw in cells


def test_html_word_spans_split_numbers():
    import lxml.html

    spec = make_spec(3, year=2023, quirks=())
    data = render_html(spec, word_spans=True).decode()
    assert re.search(r"\d</span><span[^>]*>\d", data)
    editor = lxml.html.fromstring(data).xpath('//div[@class="TRS_Editor"]')[0]
    cells = [td.text_content().strip().replace("\u00a0", "") for td in editor.xpath(".//td")]
    for raw in _printed_values(spec):
        assert raw in cells


def test_html_merge_styles():
    import lxml.html

    spec = make_spec(4, year=2022)
    flat = lxml.html.fromstring(render_html(spec, merge_style="flat"))
    assert not flat.xpath('//div[@class="TRS_Editor"]//td[@rowspan]')
    shifted = lxml.html.fromstring(render_html(spec, merge_style="shifted"))
    t3 = shifted.xpath('//div[@class="TRS_Editor"]//table')[1]
    assert any(td.text_content().strip() == "自然人" and td.get("colspan") == "2" for td in t3.xpath(".//td"))


def test_gbk_without_charset_decodes_only_as_gb18030():
    spec = make_spec(6, year=2021)
    data = render_html(spec, encoding="gbk", declare_charset=False)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gb18030")
    assert "charset" not in text.lower()
    assert spec.agency.name in text and spec.title in text
    declared = render_html(spec, encoding="gbk", charset_label="gb2312")
    assert b"charset=gb2312" in declared


def test_docx_real_merges():
    import docx

    spec = make_spec(8, year=2023, t3_other_rows="split")
    data = render_docx(spec)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "w:vMerge" in xml and "w:gridSpan" in xml
    d = docx.Document(io.BytesIO(data))
    assert len(d.tables) == 3
    t3 = d.tables[1]
    assert len(t3.rows) == 3 + 25
    # python-docx returns the same cell for every grid position a merge covers
    assert t3.cell(5, 0)._tc is t3.cell(20, 0)._tc and "本年度办理结果" in t3.cell(5, 0).text
    assert t3.cell(7, 1)._tc is t3.cell(14, 1)._tc and "不予公开" in t3.cell(7, 1).text
    assert t3.cell(0, 3)._tc is t3.cell(0, 9)._tc
    # tables sit between paragraphs of the body
    body = [el.tag.rsplit("}", 1)[1] for el in d.element.body]
    assert body.count("tbl") == 3 and body.index("tbl") > 5
    text = [c.text for t in d.tables for row in t.rows for c in row.cells]
    for raw in _printed_values(spec):
        assert raw in text


def test_text_layout_like_the_seed():
    spec = make_spec(9, year=2023)
    text = render_text(spec).decode("utf-8")
    assert "\t商业\n企业" in text and "\t（三）不予公开\n" in text
    assert "\n\t\n\t\n\t2.其他法律行政法规禁止公开\n" in text or "\n\t\n\t\n\t2、其他法律行政法规禁止公开\n" in text
    assert text.rstrip().endswith(f"{spec.publish_date.year}年{spec.publish_date.month}月{spec.publish_date.day}日")
    lines = {line.strip() for line in text.splitlines()}
    for raw in _printed_values(spec):
        assert raw in lines


@pytest.mark.parametrize("seed,year", [(3, 2023), (6, 2020), (7, 2016)])
def test_pdf_text_layer(seed, year):
    import pdfplumber
    import pypdfium2 as pdfium

    spec = make_spec(seed, year=year)
    data = render_pdf(spec)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        plumber_pages = [p.extract_text() or "" for p in pdf.pages]
    doc = pdfium.PdfDocument(data)
    pdfium_pages = [p.get_textpage().get_text_range() for p in doc]
    assert len(pdfium_pages) == len(plumber_pages) >= 2
    for pages in (plumber_pages, pdfium_pages):
        flat = _flat("".join(pages))
        assert _flat(spec.title) in flat
        for raw in _printed_values(spec):
            assert _flat(raw) in flat
        assert any("— 1 —" in p or "—1—" in _flat(p) for p in pages)
    if spec.format_version != "pre2019":
        first = next(i for i, p in enumerate(pdfium_pages) if "本年新收政府信息公开申请数量" in p)
        last = next(i for i, p in enumerate(pdfium_pages) if "结转下年度继续办理" in p)
        assert last == first + 1  # table 3 continues on the next page
        for ch in "三、本年度办理结果":  # the vertical merged label survives pdfium
            assert ch in "".join(pdfium_pages)


def test_pdf_table3_on_one_page_when_asked():
    import pypdfium2 as pdfium

    spec = make_spec(3, year=2023)
    doc = pdfium.PdfDocument(render_pdf(spec, split_table3_across_pages=False))
    pages = [p.get_textpage().get_text_range() for p in doc]
    first = next(i for i, p in enumerate(pages) if "本年新收政府信息公开申请数量" in p)
    assert "结转下年度继续办理" in pages[first]


# ------------------------------------------------------------------ the corpus
def test_write_corpus(tmp_path):
    paths = write_corpus(tmp_path, n=24, seed=0)
    assert len(paths) == 24 and all(p.exists() for p in paths)
    expected = json.loads((tmp_path / "expected.json").read_text("utf-8"))["files"]
    assert set(expected) == {p.name for p in paths}
    for p in paths:  # names give nothing away
        assert not re.search(r"20[12]\d", p.name)
    entries = list(expected.values())
    reports = [e for e in entries if e["kind"] == "report"]
    assert {e["format_version"] for e in reports} == {"2021", "2019", "pre2019"}
    assert {e["source_format"] for e in reports} == {"html", "pdf", "docx", "txt"}
    years = {e["year"] for e in reports}
    assert min(years) == 2014 and max(years) == 2025
    assert sum(bool(e["identity_failures"]) for e in reports) == 1
    assert {e["status"] for e in entries} == {"ok", "failed", "not_a_report"}
    assert any(e["size"] == 0 for e in entries)
    assert any(e.get("format_mismatch") for e in reports)
    gbk = [p for p in paths if p.suffix == ".html" and expected[p.name].get("render", {}).get("encoding") == "gbk"]
    assert len(gbk) >= 2
    for e in reports:
        assert e["facts"] and all({"table", "row_key", "col_key", "value", "value_raw", "value_flag", "unit"} <= set(f)
                                  for f in e["facts"])
    # deterministic
    again = write_corpus(tmp_path / "again", n=24, seed=0)
    assert [p.name for p in again] == [p.name for p in paths]
