"""Publishing the dataset from the crawl state and the raw store (no network), the record
cache, and `normalize_bundle`, which makes one record of a page and its attachments.

One real `scrapy crawl cq` of fzggw.cq.gov.cn (module fixture) against the bundled replica;
the replica server is stopped before any test runs, so every publish here is offline. Tests
that change the crawl's data work on their own copy of it.
"""

from __future__ import annotations

import shutil

import pytest

import crawler.publish
from crawler.publish import publish_dataset
from crawler.rawstore import RawStore
from crawler.state import CrawlState
from govreports.corpus import expected_facts, make_spec, render_html, render_pdf
from govreports.replica.build import notice_page
from govreports.replica.server import ReplicaServer
from normalize.bundle import Part, normalize_bundle
from normalize.record import Source
from tests.crawl import REPLICA, crawl, expected, table


HOST = "fzggw.cq.gov.cn"
#: published as a notice page with the report attached as a PDF
WITH_PDF = f"https://{HOST}/zfxxgk/zfxxgknb/202102/t20210205_8865647.html"
PDF = f"https://{HOST}/zfxxgk/zfxxgknb/202102/P020210205073450385166.pdf"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with ReplicaServer(REPLICA) as server:
        crawl(data, server.url, f"sites={HOST}")
    return data


@pytest.fixture
def data(crawled, tmp_path):
    """A copy of the crawl's data folder (the dataset link kept a link)."""
    return shutil.copytree(crawled, tmp_path / "data", symlinks=True)


@pytest.fixture
def opened(data):
    state = CrawlState(data / "crawl.sqlite")
    yield data, state, RawStore(data / "raw")
    state.close()


def report_rows(data):
    return sorted(((r["source_url"], r["report_id"], r["status"], r["year"], r["document_url"], r["title"],
                    r["facts_count"]) for r in table(data, "reports")), key=repr)


def fact_rows(data):
    return sorted(((f["report_id"], f["table"], f["row_key"], f["col_key"], f["value"], f["value_raw"],
                   f["value_flag"], f["unit"]) for f in table(data, "facts")), key=repr)


def by_url(data):
    return {r["source_url"]: r for r in table(data, "reports")}


def codes(report):
    return [i["code"] for i in report["issues"]]


def test_the_crawl_published_every_report_of_the_site(crawled):
    want = {r["source_url"] for r in expected()["reports"] if r["host"] == HOST}
    assert WITH_PDF in want
    assert set(by_url(crawled)) == want


def test_publishing_again_offline_gives_the_same_reports_and_facts(crawled, opened):
    data, state, store = opened
    writer = publish_dataset(data, state, store)
    assert report_rows(data) == report_rows(crawled)
    assert fact_rows(data) == fact_rows(crawled)
    assert writer.counts["reports"] == len(report_rows(crawled))


def test_publishing_again_reads_the_cache(crawled, opened, monkeypatch):
    data, state, store = opened

    def no_normalizing(*args):
        raise AssertionError("normalized again although nothing changed")

    monkeypatch.setattr(crawler.publish, "normalize_report", no_normalizing)
    publish_dataset(data, state, store)
    assert report_rows(data) == report_rows(crawled)


def test_a_new_parser_version_normalizes_again_from_the_raw_store(crawled, opened, monkeypatch):
    data, state, store = opened
    before = {v for (v,) in state.db.execute("select distinct parser_version from records")}
    monkeypatch.setattr(crawler.publish, "PARSER_VERSION", "9.9.9-test")
    publish_dataset(data, state, store)
    after = [v for (v,) in state.db.execute("select parser_version from records")]
    assert "9.9.9-test" not in before
    assert len(after) == len(report_rows(crawled)) and set(after) == {"9.9.9-test"}
    assert fact_rows(data) == fact_rows(crawled)
    assert report_rows(data) == report_rows(crawled)


def test_reports_carry_the_registry_region_of_their_site(crawled):
    assert crawler.publish.region_hint("cq", WITH_PDF) == "500000"  # fzggw: a municipal department
    assert {r["admin_code"] for r in by_url(crawled).values() if r["status"] != "failed"} == {"500000"}


def test_a_changed_registry_region_normalizes_again(crawled, opened, monkeypatch):
    data, state, store = opened
    monkeypatch.setattr(crawler.publish, "region_hint", lambda portal, url: "500111")
    normalized = []
    real = crawler.publish.normalize_report
    monkeypatch.setattr(crawler.publish, "normalize_report", lambda parts, source: normalized.append(source) or real(parts, source))
    publish_dataset(data, state, store)
    assert len(normalized) == len(report_rows(crawled))
    assert {s.region_hint for s in normalized} == {"500111"}


def test_a_report_whose_attachment_left_the_raw_store_is_published_from_the_cache(crawled, opened):
    data, state, store = opened
    store.path(state.file(PDF)["sha256"]).unlink()
    publish_dataset(data, state, store)
    report = by_url(data)[WITH_PDF]
    assert report == by_url(crawled)[WITH_PDF]
    assert report["status"] == "ok" and report["document_url"] == PDF
    assert fact_rows(data) == fact_rows(crawled)


def test_without_the_cache_a_missing_attachment_is_a_file_missing_issue(crawled, opened):
    data, state, store = opened
    store.path(state.file(PDF)["sha256"]).unlink()
    state.db.execute("delete from records")
    publish_dataset(data, state, store)
    reports = by_url(data)
    assert set(reports) == set(by_url(crawled))  # still in the dataset
    report = reports[WITH_PDF]
    assert "crawl.file_missing" in codes(report)
    (issue,) = [i for i in report["issues"] if i["code"] == "crawl.file_missing"]
    assert issue["severity"] == "error" and PDF in issue["message"]
    assert report["document_url"] == WITH_PDF and report["status"] != "ok"
    others = [r for u, r in reports.items() if u != WITH_PDF]
    assert all(r["status"] == "ok" and "crawl.file_missing" not in codes(r) for r in others)


def test_two_reports_with_no_file_left_are_two_rows(crawled, opened):
    data, state, store = opened
    pages = sorted(u for u, r in by_url(crawled).items() if r["source_format"] == "html")[:2]
    for url in pages:
        store.path(state.file(url)["sha256"]).unlink()
    state.db.execute("delete from records")
    publish_dataset(data, state, store)
    reports = by_url(data)
    for url in pages:
        assert url in reports and "crawl.file_missing" in codes(reports[url])


def test_a_report_that_fails_on_a_recheck_keeps_its_record(crawled, data, tmp_path):
    page = f"https://{HOST}/zfxxgk/zfxxgknb/202403/t20240302_13005533.html"
    root = shutil.copytree(REPLICA, tmp_path / "replica")
    with open(root / "_replica.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[[rule]]\npath = "{page.split("://", 1)[1]}"\nstatus = 500\n')
    with ReplicaServer(root) as server:
        crawl(data, server.url, f"sites={HOST}", "recheck=1", RETRY_TIMES="1")
        assert [r["status"] for r in server.requests if page.endswith(r["path"])] == [500, 500]
    before, after = by_url(crawled)[page], by_url(data)[page]
    assert (after["status"], after["report_id"], after["facts_count"]) == (
        before["status"], before["report_id"], before["facts_count"])


# -- normalize_bundle

PAGE_URL = "https://www.example-qu.gov.cn/zwgk_175/zfxxgknb/202401/t20240120_12870001.html"
PDF_URL = "https://www.example-qu.gov.cn/zwgk_175/zfxxgknb/202401/P020240120123456789012.pdf"


@pytest.fixture(scope="module")
def spec():
    return make_spec(11, year=2023, quirks=())


@pytest.fixture(scope="module")
def pdf(spec):
    return render_pdf(spec)


def source(spec):
    return Source(source_url=PAGE_URL, portal="cq", title_hint=spec.title, publish_date_hint=spec.publish_date)


def facts_of(record):
    return {(f.table, f.row_key, f.col_key): f.value for f in record.facts}


def test_a_notice_page_with_a_pdf_is_the_pdfs_record(spec, pdf):
    (record,) = normalize_bundle([Part(PAGE_URL, notice_page(spec, "pdf")), Part(PDF_URL, pdf)], source(spec))
    assert record.report["source_url"] == PAGE_URL and record.report["document_url"] == PDF_URL
    assert record.report["source_format"] == "pdf" and record.report["status"] == "ok"
    assert facts_of(record) == {(f.table, f.row_key, f.col_key): f.value for f in expected_facts(spec)}
    (bundled,) = [i for i in record.report["issues"] if i["code"] == "crawl.files_bundled"]
    assert bundled["severity"] == "warning" and PDF_URL in bundled["message"] and PAGE_URL in bundled["message"]


def test_a_full_page_with_the_same_report_attached_is_read_once(spec, pdf):
    (record,) = normalize_bundle([Part(PAGE_URL, render_html(spec)), Part(PDF_URL, pdf)], source(spec))
    assert record.report["status"] == "ok" and record.report["source_url"] == PAGE_URL
    assert record.report["document_url"] in (PAGE_URL, PDF_URL)
    assert facts_of(record) == {(f.table, f.row_key, f.col_key): f.value for f in expected_facts(spec)}


def test_a_single_page_report_has_no_bundle_warning(spec):
    (record,) = normalize_bundle([Part(PAGE_URL, render_html(spec))], source(spec))
    assert record.report["document_url"] == PAGE_URL and record.report["status"] == "ok"
    assert not [c for c in codes(record.report) if c.startswith("crawl.")]


def test_a_part_that_was_not_fetched_is_a_file_missing_error(spec):
    (record,) = normalize_bundle([Part(PAGE_URL, notice_page(spec, "pdf")), Part(PDF_URL, None, error="HTTP 404")],
                              source(spec))
    assert record.report["source_url"] == PAGE_URL and record.report["document_url"] == PAGE_URL
    (missing,) = [i for i in record.report["issues"] if i["code"] == "crawl.file_missing"]
    assert missing["severity"] == "error" and PDF_URL in missing["message"] and "HTTP 404" in missing["message"]
    assert "crawl.files_bundled" not in codes(record.report)


def test_nothing_fetched_is_a_failed_row_not_an_exception(spec):
    (record,) = normalize_bundle([Part(PAGE_URL, None, error="HTTP 500"), Part(PDF_URL, None)], source(spec))
    assert record.report["status"] == "failed" and not record.facts
    assert record.report["source_url"] == PAGE_URL and record.report["document_url"] == PAGE_URL
    missing = [i["message"] for i in record.report["issues"] if i["code"] == "crawl.file_missing"]
    assert len(missing) == 2 and "HTTP 500" in missing[0] and PDF_URL in missing[1]


def test_a_report_needs_at_least_its_page(spec):
    with pytest.raises(ValueError):
        normalize_bundle([], source(spec))
