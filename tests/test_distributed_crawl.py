"""Distributed crawl (crawler/distributed.py), for real: a redis-server on 127.0.0.1, two
`scrapy crawl cq` processes sharing it and one DATA_DIR, against copies of the bundled
replica served on 127.0.0.1.

- two workers started together fetch every report once between them, and both work; the
  next run is a new (incremental) crawl;
- a worker killed (SIGKILL) while requests are in flight: the other takes them back and
  finishes, and only those are fetched twice;
- without REDIS_URL, Scrapy's own scheduler, as before.
"""

from __future__ import annotations

import collections
import json
import os
import pickle
import signal
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.distributed import RedisFrontier
from crawler.registry import load_registry
from crawler.state import CrawlState
from govreports.crawl import crawl_command
from govreports.replica.server import ReplicaServer
from tests.crawl import FAST, ROOT, copy_replica, expected, replica_sites, report_pages, table
from tests.redis_server import RedisServer
from tests.tools import requires_redis

SITES = ",".join(replica_sites())
EXPECTED = {r["source_url"] for r in expected()["reports"]}
TIMEOUT = "3"  # REDIS_WORKER_TIMEOUT: a killed worker is taken for dead after 3 s


@pytest.fixture(scope="module")
@requires_redis  # skipped without redis-server locally, failed in CI
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis(redis_server):
    """The module's server, emptied for each test."""
    redis_server.client().flushall()
    return redis_server


def slowed_replica(dest: Path, slow_page: str | None = None, slow_columns: bool = False) -> Path:
    """A replica copy whose report pages answer after 0.3 s (`slow_page`: after 2.5 s), so
    the crawl lasts long enough for both workers to take part; `slow_columns`: the columns
    the crawl starts from answer after 1.5 s, time for the second worker to join."""
    root = copy_replica(dest)
    ruled = {r["path"] for r in tomllib.loads((root / "_replica.toml").read_text("utf-8")).get("rule", [])}
    delays = {page: 2.5 if page == slow_page else 0.3 for page in {u.split("://", 1)[1] for u in EXPECTED} - ruled}
    if slow_columns:
        delays |= {url.split("://", 1)[1]: 1.5 for site in load_registry("cq").select(replica_sites())
                   for url in site.column_urls()}
    with (root / "_replica.toml").open("a", encoding="utf-8") as f:
        f.write("".join(f'\n[[rule]]\npath = "{page}"\ndelay = {delay}\n' for page, delay in sorted(delays.items())))
    return root


def start_worker(name: str, data: Path, replica_url: str, redis_url: str | None, *, via_env: bool = False,
                 **settings: str) -> subprocess.Popen:
    """`scrapy crawl cq` in its own session (its normalizing workers die with it), with
    REDIS_URL as a setting (or, `via_env`, as GOVREPORTS_REDIS_URL); the log and the final
    stats go to DATA_DIR/<name>.log and <name>.json."""
    env = {k: v for k, v in os.environ.items() if k not in ("GOVREPORTS_REDIS_URL", "GOVREPORTS_DATA_DIR")}
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    if redis_url:
        settings = {"REDIS_WORKER_TIMEOUT": TIMEOUT, **settings}
        if via_env:
            env["GOVREPORTS_REDIS_URL"] = redis_url
        else:
            settings["REDIS_URL"] = redis_url
    cmd = crawl_command("cq", arguments={"sites": SITES}, settings={
        **FAST, "DATA_DIR": str(data), "REPLICA_URL": replica_url, "LOG_FILE": str(data / f"{name}.log"),
        "GOVREPORTS_STATS_FILE": str(data / f"{name}.json"), **settings})
    if not (data / "crawl.sqlite").exists():
        # workers opening a new crawl state at the same moment: one of them may find it locked
        # while another switches it to WAL (crawler/state.py); once created, they share it
        CrawlState(data / "crawl.sqlite").close()
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen, data: Path, name: str, timeout: float = 120) -> dict:
    """Wait for a worker to end well; its final stats."""
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        kill(proc)  # (only if it is still running: timed out, or the test failed)
    log = data / f"{name}.log"
    assert proc.returncode == 0, f"{name} failed ({proc.returncode}):\n{err[-3000:]}\n{log.read_text()[-3000:] if log.exists() else ''}"
    return json.loads((data / f"{name}.json").read_text("utf-8"))


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and the processes it started (its session), if it still runs."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def leases(client) -> dict[int, list[str]]:
    """Leased request URLs by worker process id (worker ids are host:pid:random)."""
    held = {}
    for key in client.keys("govreports:cq:requests:leases:*"):
        pid = int(key.decode().rsplit(":", 2)[1])
        held[pid] = [pickle.loads(v)["url"] for v in client.hvals(key)]
    return held


def fetched_twice(requests: list[dict]) -> set[str]:
    """URLs answered 200 more than once (robots.txt aside: each worker reads it)."""
    counts = collections.Counter(f"https://{r['host']}{r['path']}" for r in requests
                                 if r["status"] == 200 and r["path"] != "/robots.txt")
    return {u for u, n in counts.items() if n > 1}


def dataset_reports(data: Path) -> collections.Counter:
    return collections.Counter(r["source_url"] for r in table(data, "reports"))


def test_two_workers_share_one_frontier(redis, tmp_path):
    data = tmp_path / "data"
    with ReplicaServer(slowed_replica(tmp_path / "replica", slow_columns=True)) as server:
        # one worker configured by the setting, the other by the environment variable
        a = start_worker("a", data, server.url, redis.url)
        b = start_worker("b", data, server.url, redis.url, via_env=True)
        stats = [finish(a, data, "a"), finish(b, data, "b")]
        requests = server.requests
        # the next run with the same Redis is a new crawl (an incremental one): it reads the
        # lists again, and fetches no report page it has
        server.reset_requests()
        finish(start_worker("again", data, server.url, redis.url), data, "again")
        requests_again = server.requests

    # every report in the dataset, once
    counts = dataset_reports(data)
    assert set(counts) == EXPECTED and max(counts.values()) == 1
    # every report page (and list page and attachment) fetched once between the two workers
    ok = report_pages(requests, status=200)
    assert set(ok) >= EXPECTED - {t["url"] for t in expected()["traps"]} and len(ok) == len(set(ok))
    assert not fetched_twice(requests)
    # both took requests from the shared queue and fetched report pages
    for s in stats:
        assert s["scheduler/dequeued/redis"] > 0 and s.get("govreports/report_pages", 0) > 0, s
        assert "scheduler/enqueued/memory" not in s
    assert sum(s["govreports/report_pages"] for s in stats) == len(set(ok))
    # the workers left; the frontier keeps only the fingerprints of the finished crawl
    assert {k.decode() for k in redis.client().keys("*")} == {"govreports:cq:dupefilter"}
    assert "(a new crawl)" in (data / "again.log").read_text("utf-8")
    assert any(r["path"].endswith("/index_1.html") for r in requests_again)
    (missing,) = [t["url"] for t in expected()["traps"] if t["kind"] == "not_found"]
    assert set(report_pages(requests_again)) <= {missing}  # only the page that answered 404 is asked again


def test_a_killed_workers_requests_are_finished_by_the_other(redis, tmp_path):
    data = tmp_path / "data"
    slow = next(r["source_url"] for r in expected()["reports"] if r["format"] == "pdf")  # a page and its attachment
    client = redis.client()
    with ReplicaServer(slowed_replica(tmp_path / "replica", slow_page=slow.split("://", 1)[1])) as server:
        workers = [start_worker(name, data, server.url, redis.url) for name in ("a", "b")]
        try:
            # the slow page answers after 2.5 s: once a worker leased it, it is in flight there
            deadline = time.monotonic() + 60
            while not (holder := next((pid for pid, urls in leases(client).items() if slow in urls), None)):
                assert time.monotonic() < deadline, "no worker took the slow page"
                time.sleep(0.02)
            (victim,) = [w for w in workers if w.pid == holder]
            (survivor,) = [w for w in workers if w is not victim]
            kill(victim)
            killed_at = time.time()
            in_flight = set(leases(client)[holder])
            stats = finish(survivor, data, "b" if survivor is workers[1] else "a")
        finally:
            for w in workers:
                kill(w)
        requests = server.requests

    assert slow in in_flight
    # the survivor put the killed worker's requests back in the queue once the killed one's
    # heartbeat expired, and did them: the slow page was answered after that (an answer to
    # the killed worker, had it sent the request, came 2.5 s after it leased the page)
    assert stats["govreports/distributed/requeued"] == len(in_flight)
    assert [r for r in requests if slow == f"https://{r['host']}{r['path']}" and r["t"] > killed_at + float(TIMEOUT)]
    # only what the killed worker held was fetched twice
    assert fetched_twice(requests) <= in_flight
    # and nothing is missing
    counts = dataset_reports(data)
    assert set(counts) == EXPECTED and max(counts.values()) == 1
    assert not client.keys("govreports:cq:requests:leases:*") and not client.smembers("govreports:cq:requests:workers")


def test_without_redis_url_scrapys_scheduler_is_used(tmp_path):
    plain = get_project_settings().copy()
    assert "crawler.distributed.RedisFrontier" in plain.getdict("ADDONS")
    plain.set("REDIS_URL", None)
    RedisFrontier().update_settings(plain)
    assert plain["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert plain["DUPEFILTER_CLASS"] == "scrapy.dupefilters.RFPDupeFilter"
    # a real crawl, with the project's settings, REDIS_URL unset
    data = tmp_path / "data"
    data.mkdir()
    with ReplicaServer(copy_replica(tmp_path / "replica")) as server:
        proc = subprocess.Popen(
            crawl_command("cq", arguments={"sites": "fzggw.cq.gov.cn"}, settings={
                **FAST, "DATA_DIR": str(data), "REPLICA_URL": server.url, "LOG_FILE": str(data / "c.log"),
                "GOVREPORTS_STATS_FILE": str(data / "c.json")}),
            cwd=ROOT, env={k: v for k, v in os.environ.items() if k != "GOVREPORTS_REDIS_URL"},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        stats = finish(proc, data, "c")
    assert stats["scheduler/enqueued/memory"] > 0 and not [k for k in stats if "redis" in k]
    assert "distributed crawl" not in (data / "c.log").read_text("utf-8")
    assert {r["source_url"] for r in table(data, "reports")} == {u for u in EXPECTED if "fzggw" in u}


def test_redis_url_switches_the_frontier_and_refuses_a_jobdir():
    settings = Settings({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    RedisFrontier().update_settings(settings)
    assert settings["SCHEDULER"] == "crawler.distributed.LeasingScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    with pytest.raises(UsageError, match="JOBDIR"):
        RedisFrontier().update_settings(Settings({"REDIS_URL": "redis://127.0.0.1:6379/0", "JOBDIR": "jobs/cq"}))


def test_a_scheduled_build_runs_distributed_when_redis_is_configured(redis, tmp_path):
    """`govreports build` keeps its queue in a JOBDIR, which a distributed crawl refuses: with
    GOVREPORTS_REDIS_URL set it leaves the JOBDIR out and the build completes."""
    import sys

    console = Path(sys.executable).parent / "govreports"
    data = tmp_path / "data"
    with ReplicaServer(copy_replica(tmp_path / "replica")) as server:
        settings = [a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]
        env = {**os.environ, "GOVREPORTS_REDIS_URL": redis.url}
        result = subprocess.run([str(console), "build", "cq", "-d", str(data), "--replica-url", server.url,
                                 "--sites", SITES, *settings], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode in (0, 3), result.stderr[-3000:]
    run = json.loads((data / "runs" / "latest.json").read_text())["run_id"]
    assert "distributed crawl" in (data / "runs" / run / "cq.log").read_text()
    assert not list((data / "jobs").rglob("requests.queue"))  # no JOBDIR queue
    assert set(dataset_reports(data)) == EXPECTED and set(dataset_reports(data).values()) == {1}
