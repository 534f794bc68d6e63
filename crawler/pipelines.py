"""Item pipelines: store what was fetched, normalize reports as they arrive, publish at close.

- `StorePipeline`: a `FetchedFile` goes to the content-addressed raw store
  (`DATA_DIR/raw/`) and its row to the crawl state (`DATA_DIR/crawl.sqlite`).
- `ReportPipeline`: a `ReportFound` is recorded in the crawl state and normalized (in a
  worker process, so the crawl keeps going); when the spider closes, the dataset under
  `DATA_DIR/dataset/` is rebuilt from the whole crawl state and switched in atomically.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from crawler.items import FetchedFile, ReportFound
from crawler.publish import bundle_inputs, normalize_report, publish_dataset, report_files, to_cache
from crawler.rawstore import RawStore
from crawler.state import data_dir, state_for
from normalize.record import PARSER_VERSION

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
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.state = state_for(crawler)
        self.data_dir = data_dir(crawler.settings)
        self.store = RawStore(self.data_dir / "raw")
        self.workers = crawler.settings.getint("NORMALIZE_WORKERS", 1)
        self.executor: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler) -> "ReportPipeline":
        return cls(crawler)

    def open_spider(self, spider=None) -> None:
        if self.workers > 0:
            from govreports.runner import _mp_context

            self.executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=_mp_context())

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
            parts, source = bundle_inputs(entry, files, self.store)
            if self.executor is not None:
                future = self.executor.submit(normalize_report, parts, source)
                records = await asyncio.wrap_future(future)
            else:
                records = normalize_report(parts, source)
            self.state.put_record(item.source_url, key, PARSER_VERSION, to_cache(records))
            for record in records:
                status = record.report.get("status")
                self.crawler.stats.inc_value(f"govreports/reports_normalized/{status}")
                log.info("%s: %s, %s, %d facts", item.source_url, record.report.get("title"), status, len(record.facts))
        return item

    def close_spider(self, spider=None) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        if not self.settings.getbool("PUBLISH_DATASET", True):
            return
        writer = publish_dataset(self.data_dir, self.state, self.store)
        stats = self.crawler.stats
        stats.set_value("govreports/dataset_reports", writer.counts["reports"])
        stats.set_value("govreports/dataset_facts", writer.counts["facts"])
        stats.set_value("govreports/dataset_reports_failing_checks", writer.reports_failing_checks)
        for status, n in writer.status_counts.items():
            stats.set_value(f"govreports/dataset_status/{status}", n)
