"""`scrapy crawl cq` end to end: the real Scrapy engine, the project's settings and pipelines,
against the bundled replica of real Chongqing portals served on 127.0.0.1.

One crawl (module fixture) is shared by the tests that only read its results; the
incremental runs build on it in order: a second run, then a run after a report is added.
"""

from __future__ import annotations

import collections
import hashlib

import pytest

from govreports.replica.build import add_report
from tests.crawl import crawl, expected, replica_sites, report_pages, served_copy, table


SITES = "sites=" + ",".join(replica_sites())


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    with served_copy(tmp_path_factory.mktemp("replica") / "replica") as served:
        yield served


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A replica copy no test changes (the incremental tests add a report to `replica`)."""
    with served_copy(tmp_path_factory.mktemp("pristine") / "replica") as (_, server):
        yield server


@pytest.fixture(scope="module")
def first(replica, tmp_path_factory):
    root, server = replica
    data = tmp_path_factory.mktemp("data")
    server.reset_requests()
    crawl(data, server.url, SITES)
    return data, server.requests, expected()


@pytest.fixture(scope="module")
def second(first, replica):
    data, _, _ = first
    _, server = replica
    server.reset_requests()
    crawl(data, server.url, SITES)
    return data, server.requests


@pytest.fixture(scope="module")
def after_new_report(second, replica):
    data, _ = second
    root, server = replica
    entry = add_report(root, host="www.dazu.gov.cn", column="/zwgk_175/zfxxgknb/qzfbm_68864/qzfbgs/", year=2025,
                       fmt="pdf", seed=99_001)
    server.reset_requests()
    crawl(data, server.url, SITES)
    return data, server.requests, entry


def by_url(reports):
    return {r["source_url"]: r for r in reports}


# -- the first crawl


def test_every_expected_report_is_in_the_dataset(first):
    data, _, exp = first
    got = {r["source_url"] for r in table(data, "reports")}
    assert got == {r["source_url"] for r in exp["reports"]}


def test_every_report_is_in_the_dataset_once(first):
    data, _, _ = first
    counts = collections.Counter(r["source_url"] for r in table(data, "reports"))
    assert max(counts.values()) == 1


def test_every_report_page_is_fetched_once(first):
    _, requests, _ = first
    ok = report_pages(requests, status=200)
    assert len(ok) == len(set(ok))


def test_facts_equal_the_fixtures_numbers(first):
    data, _, exp = first
    reports = by_url(table(data, "reports"))
    facts = collections.defaultdict(dict)
    for f in table(data, "facts"):
        facts[f["report_id"]][(f["table"], f["row_key"], f["col_key"])] = f["value"]
    for e in exp["reports"]:
        got = facts[reports[e["source_url"]]["report_id"]]
        want = {(t, r, c): v for t, r, c, v, *_ in e["facts"]}
        assert got == want, e["source_url"]


def test_reports_carry_year_agency_and_where_they_came_from(first):
    data, _, exp = first
    reports = by_url(table(data, "reports"))
    for e in exp["reports"]:
        r = reports[e["source_url"]]
        assert (r["year"], r["agency_name"], r["portal"]) == (e["year"], e["agency_name"], "cq")
        assert r["document_url"] == e["document_url"]
        assert r["status"] == "ok" and r["checks_failed"] == 0


def test_attachments_are_read_for_reports_published_as_files(first):
    data, _, exp = first
    reports = by_url(table(data, "reports"))
    attached = [e for e in exp["reports"] if e["format"] != "html"]
    assert attached
    assert {reports[e["source_url"]]["source_format"] for e in attached} == {e["format"] for e in attached}


def test_the_mirror_host_is_never_requested(first):
    _, requests, _ = first
    assert not [r for r in requests if not r["host"].endswith(".gov.cn")]


def test_robots_disallowed_pages_are_never_requested(first):
    _, requests, exp = first
    (trap,) = [t for t in exp["traps"] if t["kind"] == "robots_disallowed"]
    assert not [r for r in requests if trap["url"].endswith(r["path"]) and r["host"] in trap["url"]]
    assert any(r["path"] == "/robots.txt" and r["host"] == "www.cqstl.gov.cn" for r in requests)


def test_non_report_items_are_not_fetched(first):
    _, requests, exp = first
    (trap,) = [t for t in exp["traps"] if t["kind"] == "non_report"]
    assert trap["url"] not in report_pages(requests)


def test_the_page_that_failed_once_is_retried_and_kept(first):
    data, requests, exp = first
    (trap,) = [t for t in exp["traps"] if t["kind"] == "retry_500"]
    statuses = [r["status"] for r in requests if trap["url"].endswith(r["path"])]
    assert statuses == [500, 200]
    assert trap["url"] in by_url(table(data, "reports"))


def test_the_gbk_page_without_a_charset_is_read(first):
    data, _, exp = first
    (trap,) = [t for t in exp["traps"] if t["kind"] == "gbk"]
    report = by_url(table(data, "reports"))[trap["url"]]
    assert report["status"] == "ok" and "政府信息公开" in report["title"]


def test_a_missing_page_is_a_documents_row_with_its_status(first):
    data, _, exp = first
    (trap,) = [t for t in exp["traps"] if t["kind"] == "not_found"]
    docs = {d["url"]: d for d in table(data, "documents")}
    assert docs[trap["url"]]["http_status"] == 404 and docs[trap["url"]]["sha256"] is None


def test_every_fetched_file_is_in_the_raw_store(first):
    data, _, _ = first
    stored = [d for d in table(data, "documents") if d["sha256"]]
    assert stored
    for d in stored:
        assert hashlib.sha256((data / d["stored_path"]).read_bytes()).hexdigest() == d["sha256"]


def test_reports_join_their_documents(first):
    data, _, _ = first
    shas = {d["sha256"] for d in table(data, "documents")}
    assert all(r["doc_sha256"] in shas for r in table(data, "reports"))


# -- incremental runs


def test_a_second_run_fetches_no_report_page_it_has(second, first):
    _, requests = second
    _, _, exp = first
    (missing,) = [t["url"] for t in exp["traps"] if t["kind"] == "not_found"]
    assert set(report_pages(requests)) <= {missing}  # only the page that answered 404 is asked again


def test_a_second_run_fetches_the_lists_again(second):
    _, requests = second
    assert any(r["path"].endswith("/index_1.html") for r in requests)


def test_a_second_run_publishes_the_whole_dataset(second, first):
    data, _ = second
    _, _, exp = first
    assert {r["source_url"] for r in table(data, "reports")} == {r["source_url"] for r in exp["reports"]}


def test_a_report_added_to_a_portal_is_picked_up(after_new_report):
    data, requests, entry = after_new_report
    reports = by_url(table(data, "reports"))
    assert entry["source_url"] in reports
    assert reports[entry["source_url"]]["year"] == 2025 and reports[entry["source_url"]]["status"] == "ok"
    assert entry["source_url"] in report_pages(requests)
    assert any(r["path"].endswith(".pdf") for r in requests)


def test_only_the_new_report_is_fetched_after_it_is_added(after_new_report, first):
    _, requests, entry = after_new_report
    _, _, exp = first
    (missing,) = [t["url"] for t in exp["traps"] if t["kind"] == "not_found"]
    assert set(report_pages(requests)) == {entry["source_url"], missing}


# -- arguments, end to end


def test_years_are_read_from_titles_not_columns(pristine, tmp_path):
    server = pristine
    crawl(tmp_path, server.url, "sites=www.cqyz.gov.cn", "years=2025")
    want = {r["source_url"] for r in expected()["reports"] if r["host"] == "www.cqyz.gov.cn" and r["year"] == 2025}
    assert want and {r["source_url"] for r in table(tmp_path, "reports")} == want
    assert any("/2020_504392/" in u for u in want)  # the 2025 report filed under a column named 2020_…


def test_start_urls_crawl_one_column(pristine, tmp_path):
    server = pristine
    crawl(tmp_path, server.url, "start_urls=https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/")
    want = {r["source_url"] for r in expected()["reports"] if r["host"] == "fzggw.cq.gov.cn"}
    assert {r["source_url"] for r in table(tmp_path, "reports")} == want


def test_a_paused_crawl_resumes_from_its_jobdir(pristine, tmp_path):
    server = pristine
    jobdir = tmp_path / "job"
    server.reset_requests()
    crawl(tmp_path, server.url, "sites=www.dazu.gov.cn,fzggw.cq.gov.cn", JOBDIR=str(jobdir), CLOSESPIDER_ITEMCOUNT="4")
    paused = set(u for u in report_pages(server.requests))
    crawl(tmp_path, server.url, "sites=www.dazu.gov.cn,fzggw.cq.gov.cn", JOBDIR=str(jobdir))
    want = {r["source_url"] for r in expected()["reports"] if r["host"] in ("www.dazu.gov.cn", "fzggw.cq.gov.cn")}
    assert paused and paused < want | {t["url"] for t in expected()["traps"]}
    assert {r["source_url"] for r in table(tmp_path, "reports")} == want
    pages = report_pages(server.requests, status=200)
    assert len(pages) == len(set(pages))  # nothing fetched twice across the pause


def test_every_report_is_placed_on_the_map(first):
    data, _, exp = first
    kinds = {r["source_url"]: r["agency_kind"] for r in exp["reports"]}
    for row in table(data, "reports"):  # (later tests add a report to this crawl's replica: it is placed too)
        assert row["admin_code"] and row["province"] == "重庆市" and row["city"] == "重庆市", row["agency_name"]
        assert row["agency_kind"] == kinds.get(row["source_url"], row["agency_kind"]), row["agency_name"]
        if "区" in row["agency_name"][3:7]:  # a district's agency: its county too
            assert row["county"] and row["county"] in row["agency_name"], row["agency_name"]
