"""No request leaves for a non-government host, not even through a redirect.

Scrapy's offsite filter lets `dont_filter` requests (attachments) and the redirects they
lead to through; `GovernmentHostsOnly` refuses them before anything is fetched."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import pytest

from govreports.replica.server import ReplicaServer
from tests.crawl import copy_replica, crawl, expected, table

SPAM = "http://gahcep.com"


@pytest.fixture(scope="module")
def redirected(tmp_path_factory):
    """A crawl of a site whose one attachment and one report page redirect to a spam host."""
    reports = expected()["reports"]
    attached = next(r for r in reports if r["format"] == "pdf")
    host = attached["host"]
    page = next(r for r in reports if r["format"] == "html" and r["host"] == host)
    root = copy_replica(tmp_path_factory.mktemp("replica") / "replica")
    with open(root / "_replica.toml", "a", encoding="utf-8") as f:  # rules are read when the server starts
        for url, target in ((attached["document_url"], f"{SPAM}/evil.pdf"), (page["source_url"], f"{SPAM}/evil.html")):
            f.write(f'\n[[rule]]\npath = "{host}{urlsplit(url).path}"\nredirect = "{target}"\n')
    data = tmp_path_factory.mktemp("data")
    with ReplicaServer(root) as server:
        crawl(data, server.url, f"sites={host}", GOVREPORTS_STATS_FILE=str(data / "stats.json"))
        return data, server.requests, attached, page


def test_a_redirect_to_a_spam_host_is_never_followed(redirected):
    _, requests, _, _ = redirected
    assert not [r for r in requests if not r["host"].endswith(".gov.cn")]
    assert [r for r in requests if r["status"] == 302]  # the redirects were served


def test_the_attachment_that_redirected_off_site_is_a_documents_row_saying_so(redirected):
    data, _, attached, _ = redirected
    docs = {d["url"]: d for d in table(data, "documents")}
    assert docs[attached["document_url"]]["sha256"] is None


def test_its_report_is_kept_and_says_the_file_is_missing(redirected):
    data, _, attached, _ = redirected
    report = {r["source_url"]: r for r in table(data, "reports")}[attached["source_url"]]
    (missing,) = [i for i in report["issues"] if i["code"] == "crawl.file_missing"]
    assert "gahcep.com" in missing["message"] and "not a government host" in missing["message"]


def test_the_report_page_that_redirected_off_site_is_recorded_as_failed(redirected):
    """Not dropped silently by the offsite filter at scheduling (threat model, former gap 1):
    GovernmentHostsOnly refuses the redirect before download and the errback records it."""
    data, requests, _, page = redirected
    path = urlsplit(page["source_url"]).path
    assert [r["status"] for r in requests if r["path"] == path] == [302]  # asked once, not followed
    docs = {d["url"]: d for d in table(data, "documents")}
    assert docs[page["source_url"]]["sha256"] is None
    with sqlite3.connect(data / "crawl.sqlite") as db:
        (error,) = db.execute("select error from files where url = ?", (page["source_url"],)).fetchone()
    assert error.startswith(f"redirected to {SPAM}/evil.html") and "gahcep.com is not a government host" in error
    stats = json.loads((data / "stats.json").read_text("utf-8"))
    assert stats[f"govreports/site/{page['host']}/report_pages_failed"] == 1
    assert page["source_url"] not in {r["source_url"] for r in table(data, "reports")}


def test_the_spider_allows_government_and_registry_hosts_only(tmp_path):
    from crawler.spiders.cq import ChongqingSpider
    from tests.spiders import make_spider

    spider = make_spider(ChongqingSpider, tmp_path)
    assert spider.allowed_host("www.dazu.gov.cn") and spider.allowed_host("fzggw.cq.gov.cn")
    assert not spider.allowed_host("gahcep.com") and not spider.allowed_host("gov.cn.evil.com")
    assert not spider.allowed_host(None)
