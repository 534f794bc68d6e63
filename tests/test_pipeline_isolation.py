"""A report that kills, hangs or bloats its parser is contained: it becomes a `failed` row
(`internal.worker_crash`, `internal.timeout`), its worker pool is replaced, every other
report is kept, and the run (crawl, `govreports normalize`, publish at close) goes on.

The crash input is real, not a monkeypatch: a 1 MB PDF whose content stream is a Flate bomb
(1 GiB of spaces). PDFium inflates content streams whole; under the workers' memory cap
(RLIMIT_AS) its allocation fails and PDFium aborts the process (SIGABRT). Without the cap it
takes ~2 GiB of memory; without the isolation the crawl's pool stays broken (and the publish
at close, which used to normalize in the crawl process, would die with it).
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from scrapy.utils.test import get_crawler

import crawler.publish
from crawler.pipelines import ReportPipeline
from crawler.state import CrawlState
from govreports import runner
from govreports.corpus import make_spec, render_docx
from tests.crawl import crawl, served_copy, table
from tests.test_hostile_input import flate_bomb_pdf

#: the crash input needs more than this; a worker reading an ordinary report far less
CAP = 768 * 2**20

HOST = "fzggw.cq.gov.cn"
#: a notice page whose report is its PDF attachment (tests/test_renormalize.py)
WITH_PDF = f"https://{HOST}/zfxxgk/zfxxgknb/202102/t20210205_8865647.html"
PDF_IN_REPLICA = f"{HOST}/zfxxgk/zfxxgknb/202102/P020210205073450385166.pdf"


# -- module-level task functions, so worker processes can import them

def address_space_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_AS)[0]


def sleep_then(value, seconds):
    time.sleep(seconds)
    return value


def die():
    os._exit(13)


def slow_normalizer(path):
    """Hangs on files whose name says so (a parser stuck in a loop); reads the others."""
    if Path(path).name.startswith("hang"):
        time.sleep(600)
    from normalize.record import normalize_file_all

    return normalize_file_all(path)


def slow_report_normalizer(parts, source):
    if "hang" in (source.source_url or ""):
        time.sleep(600)
    return crawler.publish.normalize_report(parts, source)


# -- the shared helpers (govreports.runner)

def test_the_memory_cap_is_set_in_the_worker_only():
    before = resource.getrlimit(resource.RLIMIT_AS)
    code, limit = runner.run_alone(address_space_limit, memory_limit=CAP)
    assert code is None and limit == CAP
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # the parent is untouched
    with runner.worker_pool(2, CAP) as pool:
        assert pool.submit(address_space_limit).result() == CAP


def test_a_task_past_its_time_is_stopped_and_a_dying_one_reported():
    started = time.monotonic()
    assert runner.run_alone(sleep_then, "late", 60, timeout=1) == (runner.TIMEOUT_CODE, runner.timeout_reason(1))
    assert time.monotonic() - started < 20
    code, reason = runner.run_alone(die, timeout=30)
    assert code == runner.CRASH_CODE and "died" in reason
    assert runner.run_alone(sleep_then, "fine", 0, timeout=30) == (None, "fine")


# -- govreports normalize

@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("inbox")
    for k in range(3):
        (root / f"good{k}.docx").write_bytes(render_docx(make_spec(10 + k, format_version="2021", year=2023, quirks=())))
    (root / "bomb.pdf").write_bytes(flate_bomb_pdf())
    (root / "hang.docx").write_bytes((root / "good0.docx").read_bytes())
    return root


def test_normalize_contains_a_crash_and_a_hang(inbox, tmp_path):
    out = tmp_path / "dataset"
    started = time.monotonic()
    summary = runner.normalize_paths([inbox], out, workers=2, progress=False, normalizer=slow_normalizer,
                                     timeout=5, memory_limit=CAP)
    assert time.monotonic() - started < 60
    rows = {Path(r["source_path"]).name: r
            for r in ds.dataset(out / "reports", format="parquet", partitioning="hive").to_table().to_pylist()}
    assert rows["bomb.pdf"]["status"] == "failed"
    assert [i["code"] for i in rows["bomb.pdf"]["issues"]] == [runner.CRASH_CODE]
    assert rows["hang.docx"]["status"] == "failed"
    assert [i["code"] for i in rows["hang.docx"]["issues"]] == [runner.TIMEOUT_CODE]
    for k in range(3):
        assert rows[f"good{k}.docx"]["status"] == "ok", rows[f"good{k}.docx"]["issues"]
    assert summary.files == 5


# -- the crawler's pipeline

def _pipeline(tmp_path, **settings) -> ReportPipeline:
    crawler_ = get_crawler(settings_dict={"DATA_DIR": str(tmp_path), "LOG_ENABLED": False, **settings})
    return ReportPipeline(crawler_)


def test_the_pipeline_stops_a_report_past_its_time_and_keeps_the_next(tmp_path):
    from crawler.rawstore import RawStore
    from crawler.state import ReportEntry

    store = RawStore(tmp_path / "raw")
    docx = render_docx(make_spec(3, format_version="2021", year=2023, quirks=()))
    sha = store.put(docx)
    pipeline = _pipeline(tmp_path, NORMALIZE_WORKERS=1, NORMALIZE_TIMEOUT=3, NORMALIZE_MEMORY_LIMIT=CAP,
                         PUBLISH_DATASET=False)
    pipeline.normalizer = slow_report_normalizer
    pipeline.open_spider()

    def entry(url):
        return ReportEntry(source_url=url, files=[url], complete=True, portal="cq", spider="cq", list_url=None,
                           list_title=None, title=None, publish_date=None,
                           first_seen="2024-01-01", last_seen="2024-01-01")

    files = {u: {"url": u, "sha256": sha} for u in ("https://a.gov.cn/hang.docx", "https://a.gov.cn/ok.docx")}

    async def both():
        return await asyncio.gather(
            pipeline._outcome(entry("https://a.gov.cn/hang.docx"), {"https://a.gov.cn/hang.docx": files["https://a.gov.cn/hang.docx"]}),
            pipeline._outcome(entry("https://a.gov.cn/ok.docx"), {"https://a.gov.cn/ok.docx": files["https://a.gov.cn/ok.docx"]}))

    try:
        started = time.monotonic()
        hang, ok = asyncio.run(both())
        assert time.monotonic() - started < 40
    finally:
        pipeline.close_spider()
    assert hang == (False, runner.timeout_reason(3), runner.TIMEOUT_CODE)
    assert ok[0] is True and '"status": "ok"' in ok[1]


@pytest.fixture(scope="module")
def bombed_crawl(tmp_path_factory):
    """A real crawl of one site whose PDF attachment is the Flate bomb, with the memory cap lowered to CAP."""
    base = tmp_path_factory.mktemp("bombed")
    data = base / "data"
    with served_copy(base / "replica") as (root, server):
        (root / PDF_IN_REPLICA).write_bytes(flate_bomb_pdf())
        crawl(data, server.url, f"sites={HOST}", NORMALIZE_MEMORY_LIMIT=str(CAP))  # raises unless it exits 0
    return data


def test_a_report_that_kills_its_worker_is_a_failed_row_and_the_crawl_goes_on(bombed_crawl):
    rows = table(bombed_crawl, "reports")  # the dataset was published and is readable
    bombed = [r for r in rows if r["source_url"] == WITH_PDF]
    assert len(bombed) == 1 and bombed[0]["status"] == "failed"
    assert [i["code"] for i in bombed[0]["issues"]] == [runner.CRASH_CODE]
    others = [r for r in rows if r["source_url"] != WITH_PDF]
    assert len(others) >= 3
    assert all(r["status"] != "failed" for r in others), [(r["source_url"], r["status"]) for r in others]
    assert not any(i["code"].startswith("internal.") for r in others for i in r["issues"])
    log = "\n".join(p.read_text() for p in bombed_crawl.glob("crawl-*.log"))
    assert "re-running" in log and "govreports/normalize_failed/internal.worker_crash" in log


def test_the_failed_row_is_kept_for_the_publish_but_the_next_crawl_retries_it(bombed_crawl):
    state = CrawlState(bombed_crawl / "crawl.sqlite")
    try:
        entry = state.report(WITH_PDF)
        files, key = crawler.publish.report_files(entry, state)
        assert state.record(WITH_PDF, key, crawler.publish.PARSER_VERSION) is None  # retried next time
        kept = state.record(WITH_PDF, crawler.publish.CRASHED + key, crawler.publish.PARSER_VERSION)
        assert kept[0]["report"]["status"] == "failed"
        # a publish from the state alone (the demo's, after all cities) reuses it: nothing is normalized
        out = crawler.publish.publish_dataset(bombed_crawl, state, crawler.publish.RawStore(bombed_crawl / "raw"),
                                              normalize=_no_normalizing)
        assert out.status_counts["failed"] >= 1
    finally:
        state.close()


def _no_normalizing(entry, files):
    raise AssertionError(f"{entry.source_url} was normalized again")


def test_at_close_reports_the_cache_lacks_are_normalized_in_the_crawls_pool(tmp_path, monkeypatch):
    """After a parser upgrade every report the crawl did not fetch again lacks a cached record:
    the publish at close normalizes them in the crawl's bounded pool, not one fresh process
    each (run_alone: a process start per report would take hours on a big crawl)."""
    from crawler.rawstore import RawStore

    store = RawStore(tmp_path / "raw")
    state = CrawlState(tmp_path / "crawl.sqlite")
    urls = [f"https://a.gov.cn/report{k}.docx" for k in range(3)]
    for k, url in enumerate(urls):
        sha = store.put(render_docx(make_spec(20 + k, format_version="2021", year=2023, quirks=())))
        state.put_file(url, sha256=sha, http_status=200, portal="cq")
        state.put_report(url, files=[url], complete=True, portal="cq", spider="cq")
    state.close()

    def no_process_per_report(*args, **kwargs):
        raise AssertionError("a report was run alone in a fresh process")

    monkeypatch.setattr(runner, "run_alone", no_process_per_report)
    pipeline = _pipeline(tmp_path, NORMALIZE_WORKERS=1, NORMALIZE_MEMORY_LIMIT=CAP)
    pipeline.open_spider()
    pipeline.close_spider()
    rows = ds.dataset(tmp_path / "dataset" / "reports", format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted(r["source_url"] for r in rows) == urls and {r["status"] for r in rows} == {"ok"}
    assert pipeline.executor is None  # the pool is shut down after the publish
