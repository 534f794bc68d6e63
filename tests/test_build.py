"""`govreports build` as cron runs it: the real CLI in a subprocess, `scrapy crawl cq` under it,
against copies of the bundled replica served on 127.0.0.1 (its five sites only: --sites)."""

from __future__ import annotations

import collections
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from govreports.replica.server import ReplicaServer
from tests.crawl import FAST, copy_replica, expected, replica_sites, report_pages, served_copy, table

CONSOLE = Path(sys.executable).parent / "govreports"
NOT_FOUND = next(t["url"] for t in expected()["traps"] if t["kind"] == "not_found")
SMALL_SITE = "fzggw.cq.gov.cn"  # one column, three list pages
FAILING_SITE = "www.cqyz.gov.cn"


def build_command(data: Path, url: str, *extra: str) -> list[str]:
    settings = [a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]
    return [str(CONSOLE), "build", "cq", "-d", str(data), "--replica-url", url, "--sites", ",".join(replica_sites()),
            *settings, *extra]


def build(data: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(build_command(data, url, *extra), capture_output=True, text=True, timeout=300)


def runs(data: Path) -> list[dict]:
    """The run summaries, oldest first."""
    return [json.loads((d / "summary.json").read_text("utf-8"))
            for d in sorted((data / "runs").iterdir()) if d.is_dir()]


def monitor(summary: dict, name: str) -> dict:
    (m,) = [m for m in summary["crawls"]["cq"]["monitors"] if m["name"] == name]
    return m


def per_host(reports) -> dict[str, int]:
    return dict(collections.Counter(r["host"] for r in reports))


def fetched_files(requests: list[dict]) -> list[str]:
    """Report pages and attachments answered 200 (not list pages, not robots.txt)."""
    return [f"{r['host']}{r['path']}" for r in requests if r["status"] == 200
            and (re.search(r"/t\d{8}_\d+\.html$", r["path"]) or re.search(r"\.(pdf|docx?|wps|xlsx?)$", r["path"], re.I))]


def wait_for(predicate, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def slowed_replica(dest: Path) -> Path:
    """A replica copy whose report pages answer after 0.3 s, so a run can be stopped halfway."""
    root = copy_replica(dest)
    ruled = {r["path"] for r in tomllib.loads((root / "_replica.toml").read_text("utf-8")).get("rule", [])}
    pages = {r["source_url"].split("://", 1)[1] for r in expected()["reports"]} - ruled
    rules = "".join(f'\n[[rule]]\npath = "{page}"\ndelay = 0.3\n' for page in sorted(pages))
    with (root / "_replica.toml").open("a", encoding="utf-8") as f:
        f.write(rules)
    return root


# -- two runs in a row, then one after a site lost its list entries


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    with served_copy(tmp_path_factory.mktemp("replica") / "replica") as served:
        yield served


@pytest.fixture(scope="module")
def twice(replica, tmp_path_factory):
    _, server = replica
    data = tmp_path_factory.mktemp("data")
    server.reset_requests()
    first = build(data, server.url)
    requests_first = server.requests
    server.reset_requests()
    second = build(data, server.url)
    return data, (first, requests_first), (second, server.requests)


@pytest.fixture(scope="module")
def after_lists_emptied(twice, replica):
    """A third run after the small site's column lists no report any more."""
    data, _, _ = twice
    root, server = replica
    column = root / SMALL_SITE / "zfxxgk" / "zfxxgknb"
    for page in column.glob("index*.html"):
        page.unlink()
    (column / "index.html").write_text("<html><body><div class='list'>暂无信息</div></body></html>", encoding="utf-8")
    server.reset_requests()
    return data, build(data, server.url)


def test_two_runs_in_a_row_both_exit_0(twice):
    _, (first, _), (second, _) = twice
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert [s["status"] for s in runs(twice[0])] == ["ok", "ok"]


def test_the_second_run_fetches_no_report_page_it_has(twice):
    _, (_, requests_first), (_, requests_second) = twice
    assert set(report_pages(requests_first)) > {NOT_FOUND}
    assert set(report_pages(requests_second)) <= {NOT_FOUND}  # only the page that answered 404 is asked again
    assert not [r for r in requests_second if r["path"].lower().endswith((".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx"))]


def test_every_run_keeps_its_log_and_summary_and_latest_is_the_last(twice):
    data, _, _ = twice
    folders = sorted(d for d in (data / "runs").iterdir() if d.is_dir())
    assert len(folders) == 2
    for folder in folders:
        assert "Spider closed (finished)" in (folder / "cq.log").read_text("utf-8")
        assert (folder / "summary.json").exists()
    latest = json.loads((data / "runs" / "latest.json").read_text("utf-8"))
    assert latest == runs(data)[-1] and latest["run_id"] == folders[-1].name


def test_the_summary_counts_reports_per_site(twice):
    data, _, _ = twice
    first, second = runs(data)
    want = per_host(expected()["reports"])
    for summary in (first, second):
        sites = summary["crawls"]["cq"]["sites"]
        assert {h: s["reports_listed"] for h, s in sites.items() if s["reports_listed"]} == want
        assert not summary["crawls"]["cq"]["failing_sites"]
    assert sum(s["reports"] for s in first["crawls"]["cq"]["sites"].values()) == len(expected()["reports"])
    assert sum(s["reports"] for s in second["crawls"]["cq"]["sites"].values()) == 0  # all unchanged
    assert second["crawls"]["cq"]["dataset"]["reports"] == len(expected()["reports"])


def test_the_monitors_pass_and_the_second_run_compares_with_the_first(twice):
    data, _, _ = twice
    first, second = runs(data)
    names = {"reports per site", "error rate", "retry rate", "failing checks", "failing sites"}
    for summary in (first, second):
        assert {m["name"] for m in summary["crawls"]["cq"]["monitors"]} == names
        assert all(m["passed"] for m in summary["crawls"]["cq"]["monitors"])
    assert monitor(first, "reports per site")["status"] == "SKIPPED"  # nothing to compare with
    assert monitor(second, "reports per site")["status"] == "OK"
    assert second["crawls"]["cq"]["previous_run"] == first["run_id"]


def test_stderr_has_one_line_per_city_and_a_final_line(twice):
    _, _, (second, _) = twice
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 2, second.stderr
    assert "cq: ok" in lines[0] and lines[1].endswith("summary.json") and "ok (exit 0)" in lines[1]


def test_a_finished_crawl_leaves_no_job_queue(twice):
    data, _, _ = twice
    assert not (data / "jobs" / "cq").exists()


def test_a_site_listing_no_reports_any_more_fails_the_monitor(after_lists_emptied):
    data, result = after_lists_emptied
    assert result.returncode == 3, result.stderr
    summary = runs(data)[-1]
    assert summary["status"] == "degraded"
    m = monitor(summary, "reports per site")
    assert not m["passed"] and SMALL_SITE in m["message"]
    site = summary["crawls"]["cq"]["sites"][SMALL_SITE]
    assert site["reports_listed"] == 0 and site["previous_reports_listed"] == per_host(expected()["reports"])[SMALL_SITE]
    assert not site["failing"]  # its list was read: it lists nothing
    assert "degraded (exit 3)" in result.stderr


# -- a site whose columns answer 500


def test_a_failing_site_degrades_the_run_and_is_named(tmp_path):
    root = copy_replica(tmp_path / "replica")
    with (root / "_replica.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[[rule]]\npath = "{FAILING_SITE}/zwgk_229/zfxxgknan_ew/"\nstatus = 500\n')
    with ReplicaServer(root) as server:
        result = build(tmp_path / "data", server.url)
    assert result.returncode == 3, result.stderr
    (summary,) = runs(tmp_path / "data")
    crawl = summary["crawls"]["cq"]
    assert summary["status"] == "degraded" and crawl["failing_sites"] == [FAILING_SITE]
    assert crawl["sites"][FAILING_SITE]["columns_failed"] == 1
    m = monitor(summary, "failing sites")
    assert not m["passed"] and FAILING_SITE in m["message"]
    assert FAILING_SITE in result.stderr
    # the other sites were published all the same
    got = per_host(r | {"host": r["source_url"].split("/")[2]} for r in table(tmp_path / "data", "reports"))
    assert got == {h: n for h, n in per_host(expected()["reports"]).items() if h != FAILING_SITE}


# -- stopped runs resume


def test_a_build_stopped_by_sigterm_resumes_and_fetches_nothing_twice(tmp_path):
    root = slowed_replica(tmp_path / "replica")
    data = tmp_path / "data"
    with ReplicaServer(root) as server:
        proc = subprocess.Popen(build_command(data, server.url), stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: len(report_pages(server.requests, status=200)) >= 8, what="8 report pages")
            # meanwhile a second run finds the lock taken and leaves at once
            second = build(data, server.url)
            assert second.returncode == 5 and "another build holds" in second.stderr
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 4, err
        (stopped,) = runs(data)
        assert stopped["interrupted"] == "SIGTERM" and stopped["crawls"]["cq"]["finish_reason"] == "shutdown"
        assert (data / "jobs" / "cq").is_dir()
        before = len(report_pages(server.requests, status=200))
        assert before < len(expected()["reports"])

        resumed = build(data, server.url)
        assert resumed.returncode == 0, resumed.stderr
        last = runs(data)[-1]
        assert last["crawls"]["cq"]["resumed"] and last["status"] == "ok"
        # the job's parts add up: each report counted once
        sites = last["crawls"]["cq"]["sites"]
        assert {h: s["reports_listed"] for h, s in sites.items()} == per_host(expected()["reports"])
        files = fetched_files(server.requests)
    assert len(files) == len(set(files))  # nothing fetched twice across the stop
    assert {r["source_url"] for r in table(data, "reports")} == {r["source_url"] for r in expected()["reports"]}
    assert not (data / "jobs" / "cq").exists()


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def test_a_crawl_killed_hard_is_crawled_again_without_refetching_what_was_complete(tmp_path):
    root = slowed_replica(tmp_path / "replica")
    data = tmp_path / "data"
    with ReplicaServer(root) as server:
        proc = subprocess.Popen(build_command(data, server.url), stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: len(report_pages(server.requests, status=200)) >= 8, what="8 report pages")
            (crawl,) = _children(proc.pid)  # python -m scrapy crawl cq
            os.kill(crawl, signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 4, err
        (killed,) = runs(data)
        assert killed["status"] == "failed" and "died" in " ".join(killed["problems"])
        with sqlite3.connect(data / "crawl.sqlite") as db:
            complete = {u for (u,) in db.execute("select source_url from reports where complete = 1")}
        assert complete
        server.reset_requests()

        again = build(data, server.url)
        assert again.returncode == 0, again.stderr
        assert not runs(data)[-1]["crawls"]["cq"]["resumed"]  # the queue of a killed crawl is not trusted
        refetched = set(report_pages(server.requests, status=200)) & complete
    assert not refetched
    assert {r["source_url"] for r in table(data, "reports")} == {r["source_url"] for r in expected()["reports"]}


# -- what a run refuses before crawling


def test_an_unknown_city_or_bad_years_is_a_usage_error(tmp_path):
    unknown = subprocess.run([str(CONSOLE), "build", "atlantis", "-d", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "no spider for atlantis" in unknown.stderr
    years = subprocess.run([str(CONSOLE), "build", "cq", "-d", str(tmp_path), "--years", "soon"], capture_output=True, text=True, timeout=60)
    assert years.returncode == 2 and "years" in years.stderr
    assert not (tmp_path / "runs").exists()
