"""BackoffRetryMiddleware and `retry_after`: units on real Responses, then a real `scrapy crawl cq`
against a replica whose report page answers 503 twice before it answers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from scrapy.http import Response

from crawler.middlewares import retry_after
from govreports.replica.server import ReplicaServer
from tests.crawl import copy_replica, crawl, table


HOST = "fzggw.cq.gov.cn"
FLAKY = f"https://{HOST}/zfxxgk/zfxxgknb/202403/t20240302_13005533.html"


def response(**headers: str) -> Response:
    return Response("https://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/", status=429, headers=headers)


# -- retry_after


def test_retry_after_in_seconds():
    assert retry_after(response(**{"Retry-After": "120"})) == 120.0


def test_retry_after_with_spaces():
    assert retry_after(response(**{"Retry-After": " 7 "})) == 7.0


def test_retry_after_as_an_http_date():
    when = datetime.now(timezone.utc) + timedelta(seconds=90)
    wait = retry_after(response(**{"Retry-After": format_datetime(when, usegmt=True)}))
    assert 80 <= wait <= 91


def test_retry_after_a_date_in_the_past_is_zero():
    assert retry_after(response(**{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0


@pytest.mark.parametrize("value", ["soon", "-5", "1.5e3 seconds", ""])
def test_retry_after_garbage_is_none(value):
    assert retry_after(response(**{"Retry-After": value})) is None


@pytest.mark.parametrize("value", ["Wed, 21 Oct 2015 07:28:00 -0000", "Wed, 21 Oct 2015 07:28:00"])
def test_retry_after_a_date_without_a_zone_does_not_raise(value):
    wait = retry_after(response(**{"Retry-After": value}))
    assert wait is None or wait == 0.0


def test_no_retry_after_header_is_none():
    assert retry_after(response()) is None


def test_no_response_is_none():
    assert retry_after(None) is None


# -- backoff, in a real crawl


@pytest.fixture(scope="module")
def flaky_crawl(tmp_path_factory):
    """One crawl of fzggw.cq.gov.cn whose report page FLAKY answers 503 to its first two requests."""
    root = copy_replica(tmp_path_factory.mktemp("replica") / "replica")
    path = FLAKY.split("://", 1)[1]
    with open(root / "_replica.toml", "a", encoding="utf-8") as f:
        f.write(f'\n# test_middlewares: a report page that is unavailable twice\n[[rule]]\npath = "{path}"\n'
                f"fail = 2\nstatus = 503\n")
    data = tmp_path_factory.mktemp("data")
    with ReplicaServer(root) as server:
        crawl(data, server.url, f"sites={HOST}")  # RETRY_BACKOFF_BASE 0.2 s (tests.crawl.FAST)
        requests = server.requests
    return data, requests, (data / "crawl-0.log").read_text("utf-8")


def test_the_page_is_asked_again_until_it_answers(flaky_crawl):
    _, requests, _ = flaky_crawl
    path = FLAKY.split(HOST, 1)[1]
    assert [r["status"] for r in requests if r["host"] == HOST and r["path"] == path] == [503, 503, 200]


def test_the_host_is_backed_off_when_it_fails(flaky_crawl):
    _, _, log = flaky_crawl
    lines = [line for line in log.splitlines() if f"backing off {HOST}:" in line]
    assert lines and all(FLAKY in line for line in lines)
    delays = [float(re.search(r": ([\d.]+) s between requests", line).group(1)) for line in lines]
    assert delays == sorted(delays) and max(delays) <= 60  # doubles per retry, capped


def test_the_page_that_failed_is_in_the_dataset_in_the_end(flaky_crawl):
    data, _, _ = flaky_crawl
    assert FLAKY in {r["source_url"] for r in table(data, "reports")}
    docs = {d["url"]: d for d in table(data, "documents")}
    assert docs[FLAKY]["http_status"] == 200 and docs[FLAKY]["sha256"]


def test_a_page_that_failed_before_it_answered_is_not_a_failure(flaky_crawl):
    _, _, log = flaky_crawl
    assert f"could not fetch {FLAKY}" not in log
