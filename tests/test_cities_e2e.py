"""Every city spider, end to end: `scrapy crawl CITY` (the real engine, a subprocess) against
the bundled replica's sites of that city, one site or more per publishing platform. Each
spider must find every report of its sites exactly once, fetch each report page once,
store the printed numbers, place every report on the map, and never fall for the traps
(spam mirrors, Beijing's Big5 gateway copies, guides listed among the reports)."""

from __future__ import annotations

import collections
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.crawl import crawl, expected, served_copy, table

CITIES = ("bj", "tj", "nj", "sh", "gz", "hz", "cd", "sq")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl per city spider, four at a time, against one served copy of the replica."""
    with served_copy(tmp_path_factory.mktemp("replica") / "replica") as (_, server):
        def run(city: str):
            data = tmp_path_factory.mktemp(f"data-{city}")
            crawl(data, server.url, "sites=" + ",".join(s["host"] for s in expected(city)["sites"]), spider=city)
            return city, data

        with ThreadPoolExecutor(max_workers=4) as pool:
            done = dict(pool.map(run, CITIES))
        yield done, server.requests


def reports_of(crawled, city):
    done, _ = crawled
    return table(done[city], "reports")


def requested(crawled) -> collections.Counter:
    _, requests = crawled
    return collections.Counter(f"https://{r['host']}{r['path']}" for r in requests)


@pytest.mark.parametrize("city", CITIES)
def test_every_report_of_the_city_is_found_once(crawled, city):
    got = collections.Counter(r["source_url"] for r in reports_of(crawled, city))
    assert set(got) == {r["source_url"] for r in expected(city)["reports"]}
    assert set(got.values()) == {1}


@pytest.mark.parametrize("city", CITIES)
def test_every_report_page_is_fetched_once(crawled, city):
    counts = requested(crawled)
    assert {r["source_url"]: counts[r["source_url"]] for r in expected(city)["reports"]} == {
        r["source_url"]: 1 for r in expected(city)["reports"]}


@pytest.mark.parametrize("city", CITIES)
def test_every_report_is_ok_with_the_printed_numbers(crawled, city):
    done, _ = crawled
    rows = {r["report_id"]: r for r in reports_of(crawled, city)}
    assert {r["status"] for r in rows.values()} == {"ok"}
    got = collections.defaultdict(set)
    for f in table(done[city], "facts"):
        got[rows[f["report_id"]]["source_url"]].add((f["table"], f["row_key"], f["col_key"], f["value"]))
    for r in expected(city)["reports"]:
        assert got[r["source_url"]] == {tuple(f[:4]) for f in r["facts"]}, r["source_url"]


@pytest.mark.parametrize("city", CITIES)
def test_every_report_is_placed_on_the_map(crawled, city):
    want = {r["source_url"]: r for r in expected(city)["reports"]}
    for row in reports_of(crawled, city):
        assert row["admin_code"] and len(row["admin_code"]) == 6, row["source_url"]
        assert row["province"] and row["city"], row["source_url"]
        assert row["agency_kind"] == want[row["source_url"]]["agency_kind"], row["agency_name"]
        region = want[row["source_url"]]["agency_name"]
        if "区" in region.split("市", 1)[-1][:4]:  # a district's agency: the county is filled too
            assert row["county"] and row["county"] in region, row["agency_name"]


@pytest.mark.parametrize("city", CITIES)
def test_traps_are_not_fetched(crawled, city):
    counts = requested(crawled)
    for trap in expected(city)["traps"]:
        if trap["kind"] in ("mirror_link", "big5_copy", "non_report"):
            assert counts[trap["url"]] == 0, trap


def test_the_jcms_column_is_read_through_its_data_proxy(crawled):
    """西湖区's column page holds two records; the others come only from the data proxy."""
    _, requests = crawled
    proxy = [r for r in requests if r["host"] == "www.hzxh.gov.cn" and r["path"].endswith("/dataproxy.jsp")]
    assert len(proxy) == 3 and {r["status"] for r in proxy} == {200}


def test_the_per_year_sub_columns_are_walked(crawled):
    counts = requested(crawled)
    for year in (2022, 2023):
        for sub in ("dcqzf", "dcgzfbm"):
            assert counts[f"https://www.bjdch.gov.cn/zfxxgkzl/zfxxgknb/{year}nb/{sub}{year}/"] == 1


def test_an_attachment_on_the_provinces_storage_host_is_fetched(crawled):
    (report,) = [r for r in expected("hz")["reports"] if r["format"] == "pdf"]
    assert report["document_url"].startswith("https://zjjcmspublic.")
    assert requested(crawled)[report["document_url"]] == 1
