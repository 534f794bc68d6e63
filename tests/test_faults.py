"""Network faults, against the replica: real `scrapy crawl cq` and `govreports build` subprocesses.

One crawl of two sites meets every transient fault at once (a connection reset, a hanging
server, a truncated download, 429 with Retry-After, a burst of 500s on a list page) and one
permanent one (a page whose every connection is reset). The server's request log shows that
each protection acted (the page was asked again, after the wait it asked for, before the
hang ended); the dataset shows that every report arrived whole and nothing broken was kept.
Then a site down for a whole `govreports build`, and the next build catching up.
"""

from __future__ import annotations

import collections
import hashlib
import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from govreports.replica.server import ReplicaServer
from tests.crawl import REPLICA, copy_replica, crawl, expected, table

FZGGW = "fzggw.cq.gov.cn"
DAZU = "www.dazu.gov.cn"
COLUMN = f"https://{FZGGW}/zfxxgk/zfxxgknb/"
RESET_TWICE = f"{COLUMN}201902/t20190216_3572587.html"  # listed on index_2.html only
HANGS_ONCE = f"{COLUMN}202002/t20200210_5176160.html"
TRUNCATED_ONCE = f"{COLUMN}202202/t20220202_10366709.html"
ALWAYS_RESET = f"{COLUMN}202501/t20250117_14209814.html"
LIST_500 = f"{COLUMN}index_2.html"
TOO_MANY = f"https://{DAZU}/zwgk_175/zfxxgknb/dzq/202202/t20220212_10400743.html"

HANG = 30  # seconds the server keeps a hanging request open: far beyond the crawl's timeout
TIMEOUT = 2  # DOWNLOAD_TIMEOUT of the crawl
RETRY_AFTER = 3  # seconds; above AUTOTHROTTLE_MAX_DELAY of tests.crawl.FAST (2), which would otherwise cap the wait
RETRY_TIMES = 3  # crawler/settings.py

RULES = {
    RESET_TWICE: "reset = 2",
    HANGS_ONCE: f"hang = {HANG}\nfail = 1",
    TRUNCATED_ONCE: "truncate = 1",
    ALWAYS_RESET: "reset = 1000",
    LIST_500: "fail = 3\nstatus = 500",
    TOO_MANY: f"fail = 2\nstatus = 429\nretry_after = {RETRY_AFTER}",
}


def add_rules(root: Path, rules: dict[str, str], why: str) -> None:
    """Append [[rule]]s (URL → TOML lines) to the replica copy's _replica.toml."""
    with (root / "_replica.toml").open("a", encoding="utf-8") as f:
        f.write(f"\n# tests/test_faults.py: {why}\n")
        for url, lines in rules.items():
            f.write(f'[[rule]]\npath = "{url.split("://", 1)[1]}"\n{lines}\n')


def asked(requests: list[dict], url: str) -> list[dict]:
    """The logged requests for one URL, in order."""
    parts = urlsplit(url)
    return [r for r in requests if r["host"] == parts.hostname and r["path"] == parts.path and r["method"] == "GET"]


def replica_file(url: str) -> bytes:
    parts = urlsplit(url)
    return (REPLICA / parts.hostname / parts.path.lstrip("/")).read_bytes()


def by_url(rows: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: r for r in rows}


def facts_of(data: Path) -> dict[str, dict]:
    reports = {r["report_id"]: r["source_url"] for r in table(data, "reports")}
    facts: dict[str, dict] = collections.defaultdict(dict)
    for f in table(data, "facts"):
        facts[reports[f["report_id"]]][(f["table"], f["row_key"], f["col_key"])] = f["value"]
    return facts


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """One crawl of fzggw.cq.gov.cn and www.dazu.gov.cn with every fault of RULES."""
    root = copy_replica(tmp_path_factory.mktemp("replica") / "replica")
    add_rules(root, RULES, "transient faults, and a page that always resets")
    data = tmp_path_factory.mktemp("data")
    stats = data / "stats.json"
    with ReplicaServer(root) as server:
        crawl(data, server.url, f"sites={FZGGW},{DAZU}", DOWNLOAD_TIMEOUT=str(TIMEOUT), GOVREPORTS_STATS_FILE=str(stats))
        requests = server.requests
    return data, requests, json.loads(stats.read_text("utf-8"))


def test_a_connection_reset_is_retried_until_the_page_answers(faulty):
    data, requests, _ = faulty
    assert [(r["status"], r["fault"]) for r in asked(requests, RESET_TWICE)] == [(0, "reset"), (0, "reset"), (200, None)]
    assert by_url(table(data, "reports"), "source_url")[RESET_TWICE]["status"] == "ok"


def test_a_hanging_server_is_given_up_on_at_the_timeout_and_asked_again(faulty):
    data, requests, stats = faulty
    hung, answered = asked(requests, HANGS_ONCE)
    assert (hung["fault"], answered["status"]) == ("hang", 200)
    # asked again long before the server would have closed the hanging connection: the
    # download timeout gave up on it (without one, the retry could only follow the close)
    assert answered["t"] - hung["t"] < HANG - 5
    assert stats["downloader/exception_type_count/scrapy.exceptions.DownloadTimeoutError"] == 1
    assert by_url(table(data, "reports"), "source_url")[HANGS_ONCE]["status"] == "ok"


def test_a_truncated_download_is_never_stored(faulty):
    data, requests, _ = faulty
    body = replica_file(TRUNCATED_ONCE)
    cut, whole = asked(requests, TRUNCATED_ONCE)
    assert (cut["fault"], cut["bytes"], whole["fault"], whole["bytes"]) == ("truncate", len(body) // 2, None, len(body))
    complete = hashlib.sha256(body).hexdigest()
    partial = hashlib.sha256(body[: len(body) // 2]).hexdigest()
    assert by_url(table(data, "documents"), "url")[TRUNCATED_ONCE]["sha256"] == complete
    with sqlite3.connect(data / "crawl.sqlite") as db:
        assert db.execute("select sha256, error from files where url = ?", (TRUNCATED_ONCE,)).fetchone() == (complete, None)
    stored = {p.name for p in (data / "raw").rglob("*") if p.is_file()}
    assert complete in stored and partial not in stored
    assert by_url(table(data, "reports"), "source_url")[TRUNCATED_ONCE]["status"] == "ok"


def test_429_is_retried_no_sooner_than_retry_after_says(faulty):
    data, requests, _ = faulty
    tries = asked(requests, TOO_MANY)
    assert [r["status"] for r in tries] == [429, 429, 200]
    gaps = [b["t"] - a["t"] for a, b in zip(tries, tries[1:])]
    assert all(gap >= RETRY_AFTER - 0.1 for gap in gaps), gaps  # the server logs before it answers
    assert by_url(table(data, "reports"), "source_url")[TOO_MANY]["status"] == "ok"


def test_retry_after_holds_every_request_for_that_host(faulty):
    """Not just the page that got the 429: nothing goes to its host until Retry-After has
    passed (a request already on its way when the 429 came may arrive just after it)."""
    _, requests, _ = faulty
    for refused in (r for r in requests if r["status"] == 429):
        during = [r["path"] for r in requests if r["host"] == DAZU and refused["t"] + 1 <= r["t"] <= refused["t"] + RETRY_AFTER - 0.1]
        assert not during, during


def test_a_burst_of_500s_on_a_list_page_is_retried_and_its_reports_found(faulty):
    data, requests, stats = faulty
    assert [r["status"] for r in asked(requests, LIST_500)] == [500] * 3 + [200]
    assert RESET_TWICE in by_url(table(data, "reports"), "source_url")  # listed on that page only
    assert not stats.get(f"govreports/site/{FZGGW}/list_failed")


def test_a_page_that_always_resets_is_recorded_as_failed(faulty):
    data, requests, stats = faulty
    assert [r["fault"] for r in asked(requests, ALWAYS_RESET)] == ["reset"] * (RETRY_TIMES + 1)  # then it gives up
    doc = by_url(table(data, "documents"), "url")[ALWAYS_RESET]
    assert doc["sha256"] is None and doc["http_status"] is None
    with sqlite3.connect(data / "crawl.sqlite") as db:
        (error,) = db.execute("select error from files where url = ?", (ALWAYS_RESET,)).fetchone()
    assert error and "DownloadFailedError" in error
    assert stats[f"govreports/site/{FZGGW}/report_pages_failed"] == 1
    assert ALWAYS_RESET not in by_url(table(data, "reports"), "source_url")


def test_every_other_report_is_in_the_dataset_with_its_facts(faulty):
    data, _, stats = faulty
    want = [e for e in expected()["reports"] if e["host"] in (FZGGW, DAZU) and e["source_url"] != ALWAYS_RESET]
    reports = by_url(table(data, "reports"), "source_url")
    assert set(reports) == {e["source_url"] for e in want}
    facts = facts_of(data)
    for e in want:
        assert reports[e["source_url"]]["status"] == "ok", e["source_url"]
        assert facts[e["source_url"]] == {(t, r, c): v for t, r, c, v, *_ in e["facts"]}, e["source_url"]
    assert stats["finish_reason"] == "finished"


def test_every_stored_file_is_whole(faulty):
    """The dataset's documents and the raw store agree, byte for byte: nothing broken was kept."""
    data, _, _ = faulty
    for doc in table(data, "documents"):
        if doc["sha256"] is not None:
            raw = data / doc["stored_path"] if doc["stored_path"] else next((data / "raw").rglob(doc["sha256"]))
            assert hashlib.sha256(raw.read_bytes()).hexdigest() == doc["sha256"], doc["url"]
    for blob in (data / "raw").rglob("*"):
        if blob.is_file():
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name


def test_the_project_settings_retry_these_faults():
    """What the crawl above relies on, as configured (not Scrapy's defaults by chance)."""
    from scrapy.settings import Settings

    from crawler import settings as project

    s = Settings()
    s.setmodule(project, priority="project")
    assert {429, 500, 502, 503, 504}.issubset(s.getlist("RETRY_HTTP_CODES"))
    assert s.getint("RETRY_TIMES") == RETRY_TIMES
    assert s.getbool("DOWNLOAD_FAIL_ON_DATALOSS") is True
    assert 0 < s.getfloat("DOWNLOAD_TIMEOUT") <= 180
    retried = {e if isinstance(e, str) else f"{e.__module__}.{e.__qualname__}" for e in s.getlist("RETRY_EXCEPTIONS")}
    assert {"scrapy.exceptions.DownloadFailedError", "scrapy.exceptions.DownloadTimeoutError",
            "scrapy.exceptions.ResponseDataLossError"} <= retried


# -- a site down for a whole run, then back


DOWN = "www.cqyz.gov.cn"


def test_a_site_down_for_a_whole_run_degrades_it_and_the_next_run_catches_up(tmp_path):
    from tests.test_build import build, per_host, runs

    root = copy_replica(tmp_path / "replica")
    toml = root / "_replica.toml"
    healthy = toml.read_text("utf-8")
    site = next(s for s in expected()["sites"] if s["host"] == DOWN)
    add_rules(root, {url: "reset = 1000" for url in (f"https://{DOWN}/robots.txt", *site["columns"])},
              "the site drops every connection")
    data = tmp_path / "data"
    want = per_host(expected()["reports"])
    with ReplicaServer(root) as server:
        down = build(data, server.url)
        assert [r for r in server.requests if r["host"] == DOWN and r["status"]] == []  # it never answered
    assert down.returncode == 3, down.stderr
    (summary,) = runs(data)
    assert summary["status"] == "degraded" and summary["crawls"]["cq"]["failing_sites"] == [DOWN]
    assert DOWN in down.stderr
    got = per_host({"host": r["source_url"].split("/")[2]} for r in table(data, "reports"))
    assert got == {h: n for h, n in want.items() if h != DOWN}  # the others completed

    toml.write_text(healthy, encoding="utf-8")  # the site is back
    with ReplicaServer(root) as server:
        back = build(data, server.url)
        refetched = {f"https://{r['host']}{r['path']}" for r in server.requests if r["status"] == 200 and r["host"] != DOWN}
    assert back.returncode == 0, back.stderr
    last = runs(data)[-1]
    assert last["status"] == "ok" and not last["crawls"]["cq"]["failing_sites"]
    assert last["crawls"]["cq"]["sites"][DOWN]["reports"] == want[DOWN]  # fetched in this run
    got = per_host({"host": r["source_url"].split("/")[2]} for r in table(data, "reports"))
    assert got == want
    assert not refetched & {r["source_url"] for r in expected()["reports"]}  # the others were not fetched again
