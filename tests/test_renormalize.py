"""`govreports renormalize`: the raw store normalized again, on a local process pool or a
Dask cluster, into the same dataset.

One real `scrapy crawl cq` of fzggw.cq.gov.cn (module fixture) against the bundled replica
(its reports are HTML pages and a notice page with a PDF attached); the replica server is
stopped before any test runs, so every run here is offline. Each test works on its own copy
of the crawl's data folder. The Dask tests run a `LocalCluster` of two worker processes
(one thread each) in this process.
"""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest
from click.testing import CliRunner

import crawler.publish
from crawler.publish import publish_dataset
from crawler.rawstore import RawStore
from crawler.state import CrawlState
from govreports.cli import main
from govreports.renormalize import RenormalizeError, renormalize
from govreports.replica.server import ReplicaServer
from tests.crawl import REPLICA, crawl, expected, table

HOST = "fzggw.cq.gov.cn"
#: a notice page whose report is its PDF attachment
WITH_PDF = f"https://{HOST}/zfxxgk/zfxxgknb/202102/t20210205_8865647.html"
#: an HTML report page
PAGE = f"https://{HOST}/zfxxgk/zfxxgknb/202403/t20240302_13005533.html"


# -- fakes for the crash tests: module-level, so worker processes (pool, Dask) import them

def raising_normalizer(parts, source):
    if source.source_url == PAGE:
        raise RuntimeError("boom on purpose")
    return crawler.publish.normalize_report(parts, source)


def dying_normalizer(parts, source):
    if source.source_url == WITH_PDF:
        os._exit(13)  # the worker process dies, as in a segfault or the OOM killer
    return raising_normalizer(parts, source)


# -- fixtures

@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with ReplicaServer(REPLICA) as server:
        crawl(data, server.url, f"sites={HOST}")
    return data


@pytest.fixture
def data(crawled, tmp_path):
    return shutil.copytree(crawled, tmp_path / "data", symlinks=True)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as c:
        yield c


# -- helpers

def report_rows(data, *, with_path=False):
    """Every reports column but source_path (an absolute path into the copy's raw store)."""
    return sorted((tuple((k, repr(v)) for k, v in sorted(r.items()) if with_path or k != "source_path")
                   for r in table(data, "reports")))


def fact_rows(data):
    return sorted(tuple((k, repr(v)) for k, v in sorted(f.items())) for f in table(data, "facts"))


def document_rows(data):
    return sorted(tuple((k, repr(v)) for k, v in sorted(d.items())) for d in table(data, "documents"))


def parquet_bytes(data) -> dict[str, str]:
    """A hash of every Parquet file of the published dataset, by its path in the build."""
    root = data / "dataset"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.parquet"))}


def by_url(data):
    return {r["source_url"]: r for r in table(data, "reports")}


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def pages(data) -> int:
    state = CrawlState(data / "crawl.sqlite")
    try:
        return state.count_reports()
    finally:
        state.close()


# -- the local pool

def test_the_local_pool_gives_the_crawls_dataset(crawled, data):
    summary = renormalize(data, workers=2, force=True, progress=False)
    assert summary.normalized == summary.pages == pages(crawled) and summary.cached == 0 and not summary.crashed
    assert "process pool, 2 workers" in summary.engine
    assert {r["source_url"] for r in table(data, "reports")} == {r["source_url"] for r in expected()["reports"] if r["host"] == HOST}
    assert report_rows(data) == report_rows(crawled)
    assert fact_rows(data) == fact_rows(crawled)
    assert document_rows(data) == document_rows(crawled)
    assert os.readlink(data / "dataset") != os.readlink(crawled / "dataset")  # a new build, published


def test_in_process_and_pool_write_the_same_bytes(data):
    renormalize(data, workers=1, force=True, progress=False)
    inline = parquet_bytes(data)
    renormalize(data, workers=2, force=True, progress=False, window=1)
    assert parquet_bytes(data) == inline
    renormalize(data, workers=2, force=True, progress=False)
    assert parquet_bytes(data) == inline


def test_unchanged_reports_come_from_the_cache(crawled, data, monkeypatch):
    def no_normalizing(*args):
        raise AssertionError("normalized again although nothing changed")

    monkeypatch.setattr(crawler.publish, "normalize_report", no_normalizing)
    summary = renormalize(data, workers=1, progress=False)
    assert summary.cached == summary.pages and summary.normalized == 0 and not summary.crashed
    assert report_rows(data) == report_rows(crawled)


def test_a_parser_upgrade_normalizes_again_and_the_next_publish_reuses_the_records(crawled, data, monkeypatch):
    monkeypatch.setattr(crawler.publish, "PARSER_VERSION", "9.9.9-test")
    summary = renormalize(data, workers=1, progress=False)
    assert summary.normalized == summary.pages and summary.cached == 0
    state = CrawlState(data / "crawl.sqlite")
    try:
        assert {v for (v,) in state.db.execute("select parser_version from records")} == {"9.9.9-test"}

        def no_normalizing(*args):
            raise AssertionError("the crawl's publish normalized again what renormalize cached")

        monkeypatch.setattr(crawler.publish, "normalize_report", no_normalizing)
        publish_dataset(data, state, RawStore(data / "raw"))
    finally:
        state.close()
    assert report_rows(data) == report_rows(crawled) and fact_rows(data) == fact_rows(crawled)


# -- Dask

def test_dask_writes_the_same_bytes_as_the_local_pool(crawled, data, cluster):
    result = cli("renormalize", "-d", str(data), "--force", "-q", "-j", "2")
    assert result.exit_code == 0, result.output
    local = parquet_bytes(data)
    local_rows = report_rows(data, with_path=True), fact_rows(data), document_rows(data)
    result = cli("renormalize", "-d", str(data), "--force", "-q", "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert f"{pages(crawled)} normalized (Dask cluster at {cluster.scheduler_address}, 2 workers" in result.stderr
    assert parquet_bytes(data) == local  # byte-identical Parquet files, table by table, partition by partition
    assert (report_rows(data, with_path=True), fact_rows(data), document_rows(data)) == local_rows
    assert report_rows(data) == report_rows(crawled) and fact_rows(data) == fact_rows(crawled)


def test_a_task_raising_on_dask_is_a_failed_row(crawled, data, cluster):
    summary = renormalize(data, scheduler=cluster.scheduler_address, force=True, progress=False,
                          normalizer=raising_normalizer)
    assert [url for url, _ in summary.crashed] == [PAGE]
    check_crash_rows(crawled, data, {PAGE: "internal.error"})


def test_dask_workers_must_see_the_data_folder(data, cluster):
    shutil.rmtree(data / "raw")
    before = os.readlink(data / "dataset")
    with pytest.raises(RenormalizeError, match="not visible on Dask worker"):
        renormalize(data, scheduler=cluster.scheduler_address, force=True, progress=False)
    assert os.readlink(data / "dataset") == before


def test_an_unreachable_scheduler_publishes_nothing(data):
    before = os.readlink(data / "dataset")
    with pytest.raises(RenormalizeError, match="cannot reach the Dask scheduler"):
        renormalize(data, scheduler="tcp://127.0.0.1:9", force=True, progress=False, connect_timeout=1)
    assert os.readlink(data / "dataset") == before


# -- crashes: nothing is lost

def check_crash_rows(crawled, data, codes: dict[str, str]) -> None:
    """Every report is still there; the crashed ones are failed rows with their issue, uncached."""
    got, want = by_url(data), by_url(crawled)
    assert set(got) == set(want)
    for url, code in codes.items():
        row = got[url]
        assert row["status"] == "failed" and row["year"] == 0 and row["facts_count"] == 0
        assert [i["code"] for i in row["issues"]] == [code] and row["issues"][0]["severity"] == "error"
        assert row["portal"] == "cq" and row["document_url"] == url
    for url in set(want) - set(codes):
        assert got[url] == {**want[url], "source_path": got[url]["source_path"]}
    state = CrawlState(data / "crawl.sqlite")
    try:  # the crash was not cached: the crawl's good record is still there for the next publish
        for url in codes:
            cached = state.db.execute("select record from records where source_url = ?", (url,)).fetchone()[0]
            assert '"failed"' not in cached
    finally:
        state.close()


def test_a_task_raising_in_process_is_a_failed_row_and_exit_status_3(crawled, data, monkeypatch):
    real = crawler.publish.normalize_report

    def crashing(parts, source):
        if source.source_url == PAGE:
            raise RuntimeError("boom on purpose")
        return real(parts, source)

    monkeypatch.setattr(crawler.publish, "normalize_report", crashing)
    result = cli("renormalize", "-d", str(data), "--force", "-q", "-j", "1")
    assert result.exit_code == 3, result.output
    assert "1 report(s) crashed the normalizer" in result.stderr and PAGE in result.stderr and "boom on purpose" in result.stderr
    check_crash_rows(crawled, data, {PAGE: "internal.error"})


def test_a_dying_worker_loses_no_report_on_the_local_pool(crawled, data):
    summary = renormalize(data, workers=2, force=True, progress=False, normalizer=dying_normalizer)
    assert sorted(url for url, _ in summary.crashed) == sorted([PAGE, WITH_PDF])
    assert summary.normalized == summary.pages - 2
    check_crash_rows(crawled, data, {PAGE: "internal.error", WITH_PDF: "internal.worker_crash"})


def test_a_corrupt_raw_file_is_a_failed_row_not_a_crash(crawled, data):
    state = CrawlState(data / "crawl.sqlite")
    sha = state.file(PAGE)["sha256"]
    state.close()
    path = RawStore(data / "raw").path(sha)
    path.write_bytes(b"\x00\xff garbage \x89PNG" * 50)
    summary = renormalize(data, workers=1, force=True, progress=False)
    assert not summary.crashed
    reports = by_url(data)
    assert set(reports) == set(by_url(crawled)) and reports[PAGE]["status"] in ("failed", "not_a_report")


# -- the command

def test_help_and_exit_statuses(tmp_path, data):
    result = cli("renormalize", "--help")
    assert result.exit_code == 0
    for option in ("--data", "--workers", "--scheduler", "--force", "--quiet"):
        assert option in result.output
    assert "renormalize" in cli("--help").output
    result = cli("renormalize", "-d", str(tmp_path / "nothing"))
    assert result.exit_code == 4 and "no crawl state" in result.stderr
    assert cli("renormalize", "-d", str(data), "-j", "0").exit_code == 2
    result = cli("renormalize", "-d", str(data), "-q")
    assert result.exit_code == 0 and "from the cache" in result.stderr
