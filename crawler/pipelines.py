"""Item pipelines: store what was fetched, normalize reports as they arrive, publish at close.

- `StorePipeline`: a `FetchedFile` goes to the content-addressed raw store
  (`DATA_DIR/raw/`) and its row to the crawl state (`DATA_DIR/crawl.sqlite`).
- `ReportPipeline`: a `ReportFound` is recorded in the crawl state and normalized (in a
  bounded worker process — memory cap, time limit, crash isolation — so the crawl keeps
  going whatever the bytes do); when the spider closes, the dataset under
  `DATA_DIR/dataset/` is rebuilt from the whole crawl state and switched in atomically.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from typing import Any

from crawler.items import FetchedFile, ReportFound
from crawler.publish import (CRASHED, bundle_inputs, from_cache, normalize_report, publish_dataset, report_files,
                             to_cache)
from crawler.rawstore import RawStore
from crawler.state import ReportEntry, data_dir, state_for
from normalize.record import PARSER_VERSION, Record

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.state = state_for(crawler)
        self.store = RawStore(data_dir(crawler.settings) / "raw")

    @classmethod
    def from_crawler(cls, crawler) -> "StorePipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedFile):
            return item
        if item.body is None and (prior := self.state.file(item.url)) and prior.get("sha256"):
            # a re-fetch failed: keep the last good copy (its bytes are in the raw store), note the failure
            keep = {k: prior[k] for k in ("sha256", "size", "content_type", "http_status", "etag", "last_modified",
                                          "referer", "portal", "fetched_at")}
            self.state.put_file(item.url, **keep, error=f"re-fetch at {item.fetched_at} failed: {item.error}")
            self.crawler.stats.inc_value("govreports/refetch_failed_kept")
            item.body = None
            return item
        sha = self.store.put(item.body) if item.body is not None else None
        self.state.put_file(
            item.url, sha256=sha, size=len(item.body) if item.body is not None else None,
            content_type=item.content_type, http_status=item.http_status, etag=item.etag,
            last_modified=item.last_modified, referer=item.referer, portal=item.portal, error=item.error,
            fetched_at=item.fetched_at,
        )
        self.crawler.stats.inc_value("govreports/files_stored" if sha else "govreports/files_failed")
        item.body = None  # the bytes are in the raw store; feeds and logs get the metadata only
        return item


class ReportPipeline:
    """Normalizes each report as it arrives, in bounded worker processes.

    Settings: ``NORMALIZE_WORKERS`` (processes; 0 = in the crawl process, unbounded: tests
    only), ``NORMALIZE_TIMEOUT`` (seconds of wall clock one report may take, default 120;
    0 = none) and ``NORMALIZE_MEMORY_LIMIT`` (bytes of address space of a worker, set with
    RLIMIT_AS in the worker only; default 3 GiB; 0 = none). A report past its time, or whose
    worker dies (a crash in a parsing library, PDFium aborting at the memory cap), becomes a
    ``failed`` row with ``internal.timeout`` / ``internal.worker_crash``; the pool is replaced
    and the reports that shared it are re-run one by one, so nothing else is lost and the
    crawl goes on. Such rows are kept under a separate key (``publish.CRASHED``): the
    publish at close reuses them, the next crawl tries the report again. At close, reports
    the cache does not hold are normalized through the same bounded path, never in the
    crawl process.
    """

    def __init__(self, crawler) -> None:
        from govreports import runner

        self.crawler = crawler
        self.settings = crawler.settings
        self.state = state_for(crawler)
        self.data_dir = data_dir(crawler.settings)
        self.store = RawStore(self.data_dir / "raw")
        self.workers = crawler.settings.getint("NORMALIZE_WORKERS", 1)
        self.timeout = crawler.settings.getfloat("NORMALIZE_TIMEOUT", runner.NORMALIZE_TIMEOUT) or None
        self.memory_limit = crawler.settings.getint("NORMALIZE_MEMORY_LIMIT", runner.NORMALIZE_MEMORY_LIMIT) or None
        self.executor: ProcessPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        #: tests only: a picklable module-level (parts, source) → records run in the workers
        self.normalizer = None

    @classmethod
    def from_crawler(cls, crawler) -> "ReportPipeline":
        return cls(crawler)

    def open_spider(self, spider=None) -> None:
        if self.workers > 0:
            from govreports.runner import worker_pool

            self.executor = worker_pool(self.workers, self.memory_limit)

    # ------------------------------------------------------------ bounded normalization

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        """Kill `pool` (a worker died or is stuck) and start a fresh one, once per broken pool."""
        from govreports.runner import kill_pool, worker_pool

        if pool is self.executor:
            kill_pool(pool)
            self.executor = worker_pool(self.workers, self.memory_limit)

    async def _outcome(self, entry: ReportEntry, files: dict[str, dict[str, Any]]) -> tuple[bool, str, str]:
        """(ok, records JSON or why not, issue code), from a bounded worker."""
        from govreports import runner
        from govreports.renormalize import normalize_entry

        args = (str(self.store.root), entry, files, self.normalizer)
        if self._slots is None:  # one report per worker at a time: its clock starts when it starts
            self._slots = asyncio.Semaphore(self.workers)
        async with self._slots:
            pool = self.executor
            future = pool.submit(normalize_entry, *args)
            try:
                ok, value = await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
                return ok, value, "internal.error"
            except asyncio.TimeoutError:
                log.warning("%s: past the %g s time limit; stopping its worker", entry.source_url, self.timeout)
                self._replace(pool)
                return False, runner.timeout_reason(self.timeout), runner.TIMEOUT_CODE
            except BrokenProcessPool:
                log.warning("a normalizing worker died; re-running %s alone", entry.source_url)
                self._replace(pool)
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise  # the crawl itself is stopping
                self._replace(pool)  # its pool was killed before the report started: run it alone
            # the worker died with this report or a neighbour in it: this one alone tells which
            code, value = await asyncio.to_thread(runner.run_alone, normalize_entry, *args, timeout=self.timeout,
                                                  memory_limit=self.memory_limit)
        if code is not None:
            return False, value, code
        ok, value = value
        return ok, value, "internal.error"

    def _records(self, entry: ReportEntry, files: dict[str, dict[str, Any]], key: str,
                 outcome: tuple[bool, str, str]) -> list[Record]:
        """Records from an outcome, cached: a good one under its key, a failure under publish.CRASHED."""
        from govreports.renormalize import crash_record

        ok, value, code = outcome
        if ok:
            data = json.loads(value)
            self.state.put_record(entry.source_url, key, PARSER_VERSION, data)
            return from_cache(data)
        log.warning("%s: %s (%s)", entry.source_url, value, code)
        self.crawler.stats.inc_value(f"govreports/normalize_failed/{code}")
        record = crash_record(entry, files, value, code)
        record.report["issues"] = [asdict(i) if not isinstance(i, dict) else i for i in record.report["issues"]]
        self.state.put_record(entry.source_url, CRASHED + key, PARSER_VERSION, to_cache([record]))
        return [record]

    def _normalize_at_close(self, entry: ReportEntry, files: dict[str, dict[str, Any]]) -> list[Record]:
        """publish_dataset's normalizer for reports the cache lacks (after a parser upgrade:
        every report the crawl did not fetch again). In the crawl's pool, still open, one
        report at a time with its time limit; a report past it, or whose worker dies, is
        settled as during the crawl (the pool replaced, the report run alone to tell)."""
        from concurrent.futures import TimeoutError as FutureTimeout

        from govreports import runner
        from govreports.renormalize import normalize_entry

        _, key = report_files(entry, self.state)
        args = (str(self.store.root), entry, files, self.normalizer)
        pool = self.executor
        try:
            ok, value = pool.submit(normalize_entry, *args).result(timeout=self.timeout)
            return self._records(entry, files, key, (ok, value, "internal.error"))
        except FutureTimeout:
            self._replace(pool)
            return self._records(entry, files, key, (False, runner.timeout_reason(self.timeout), runner.TIMEOUT_CODE))
        except BrokenProcessPool:
            self._replace(pool)
        code, value = runner.run_alone(normalize_entry, *args, timeout=self.timeout, memory_limit=self.memory_limit)
        outcome = (False, value, code) if code is not None else (*value, "internal.error")
        return self._records(entry, files, key, outcome)

    # ------------------------------------------------------------ Scrapy

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReportFound):
            return item
        self.state.put_report(
            item.source_url, files=item.files, complete=item.complete, portal=item.portal, spider=item.spider,
            list_url=item.list_url, list_title=item.list_title, title=item.title, publish_date=item.publish_date,
        )
        entry = self.state.report(item.source_url)
        files, key = report_files(entry, self.state)
        if self.state.record(item.source_url, key, PARSER_VERSION) is None:
            if self.executor is not None:
                records = self._records(entry, files, key, await self._outcome(entry, files))
            else:
                parts, source = bundle_inputs(entry, files, self.store)
                records = normalize_report(parts, source)
                self.state.put_record(item.source_url, key, PARSER_VERSION, to_cache(records))
            for record in records:
                status = record.report.get("status")
                self.crawler.stats.inc_value(f"govreports/reports_normalized/{status}")
                log.info("%s: %s, %s, %d facts", item.source_url, record.report.get("title"), status, len(record.facts))
        return item

    def close_spider(self, spider=None) -> None:
        try:
            if not self.settings.getbool("PUBLISH_DATASET", True):
                return
            bounded = self._normalize_at_close if self.executor is not None else None
            writer = publish_dataset(self.data_dir, self.state, self.store, bounded)
        finally:
            if self.executor is not None:  # open until the publish is done: it normalizes what the cache lacks
                self.executor.shutdown(wait=True)
                self.executor = None
        stats = self.crawler.stats
        stats.set_value("govreports/dataset_reports", writer.counts["reports"])
        stats.set_value("govreports/dataset_facts", writer.counts["facts"])
        stats.set_value("govreports/dataset_reports_failing_checks", writer.reports_failing_checks)
        for status, n in writer.status_counts.items():
            stats.set_value(f"govreports/dataset_status/{status}", n)
