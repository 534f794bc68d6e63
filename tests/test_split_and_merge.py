"""Several reports in one file, and one report across a page and its attachment."""

from __future__ import annotations

import lxml.html

from govreports.corpus import expected_facts, make_spec
from govreports.corpus.render_html import render_html
from govreports.corpus.render_text import render_text
from govreports.runner import normalize_paths
from normalize.bundle import Part, normalize_bundle
from normalize.model import Cell, Document, Paragraph, Table
from normalize.record import Source, normalize_bytes_all
from normalize.split import split_reports
from tests.crawl import table as dataset_table

TITLE = "重庆市测试区人民政府办公室2023年政府信息公开工作年度报告"


def facts_of(record):
    return {(f.table, f.row_key, f.col_key): f.value for f in record.facts}


def expected(spec):
    return {(f.table, f.row_key, f.col_key): f.value for f in expected_facts(spec)}


def codes(record):
    return [i["code"] for i in record.report["issues"]]


def two_reports():
    a, b = make_spec(3, year=2023, quirks=()), make_spec(4, year=2022, quirks=())
    return a, b, render_text(a) + b"\n\n" + render_text(b)


def test_two_reports_in_one_file_are_two_records_with_their_own_numbers():
    a, b, data = two_reports()
    first, second = normalize_bytes_all(data)
    assert (first.report["agency_name"], first.report["year"]) == (a.agency.name, 2023)
    assert (second.report["agency_name"], second.report["year"]) == (b.agency.name, 2022)
    assert facts_of(first) == expected(a) and facts_of(second) == expected(b)
    assert first.report["report_id"] != second.report["report_id"]


def test_each_part_says_it_shares_its_file():
    records = normalize_bytes_all(two_reports()[2])
    assert all("extract.several_reports" in codes(r) for r in records)


def test_a_folder_run_writes_a_row_per_report_and_one_document_per_file(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "two.txt").write_bytes(two_reports()[2])
    normalize_paths([tmp_path / "in"], tmp_path / "dataset", workers=1, progress=False)
    assert len(dataset_table(tmp_path, "reports")) == 2 and len(dataset_table(tmp_path, "documents")) == 1


def _doc(*blocks):
    return Document(blocks=list(blocks), source_format="txt")


def _table():
    return Table([Cell("一、本年新收政府信息公开申请数量", 0, 0), Cell("5", 0, 1)])


def test_a_title_repeated_as_a_page_header_does_not_split():
    doc = _doc(Paragraph(TITLE), _table(), Paragraph(TITLE), _table())
    assert split_reports(doc) == [doc]


def test_a_title_quoted_in_a_sentence_does_not_split():
    other = TITLE.replace("2023", "2022")
    doc = _doc(Paragraph(TITLE), _table(), Paragraph(f"现将《{other}》予以公布，全文如下。"), _table())
    assert split_reports(doc) == [doc]


def test_a_part_without_tables_does_not_split():
    doc = _doc(Paragraph(TITLE), _table(), Paragraph(TITLE.replace("2023", "2022")), Paragraph("正文"))
    assert split_reports(doc) == [doc]


# -- one report, two files


def _page_and_tables(spec):
    """The report's page with its tables taken out, and a second page holding only the tables."""
    page = lxml.html.fromstring(render_html(spec).decode("utf-8"))
    tables = page.xpath("//table[.//td[contains(., '本年新收') or contains(., '行政复议') or contains(., '规章')]]")
    only = "".join(lxml.html.tostring(t, encoding="unicode") for t in tables)
    for t in tables:
        t.getparent().remove(t)
    attachment = f"<html><head><meta charset='utf-8'></head><body>{only}</body></html>".encode()
    return lxml.html.tostring(page, encoding="utf-8"), attachment


def test_a_page_with_the_text_and_an_attachment_with_the_tables_are_read_together():
    spec = make_spec(21, year=2023, quirks=())
    page, attachment = _page_and_tables(spec)
    source = Source(source_url="https://www.example-qu.gov.cn/a/202401/t20240101_1.html", portal="cq",
                    title_hint=spec.title)
    (record,) = normalize_bundle([Part(source.source_url, page), Part(source.source_url[:-5] + "_tables.html", attachment)],
                                 source)
    assert record.report["status"] == "ok" and facts_of(record) == expected(spec)
    assert "crawl.files_merged" in codes(record) and record.report["agency_name"] == spec.agency.name
