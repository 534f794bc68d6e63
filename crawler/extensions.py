"""Scrapy extensions of the project.

`StatsFile`: when the spider closes, write the crawl's final stats as JSON to the file named
by the setting ``GOVREPORTS_STATS_FILE`` (unset: nothing is written). `govreports build` reads
it for the run summary.

Order at close (Scrapy's engine): the item pipelines close first — `ReportPipeline.close_spider`
publishes the dataset and sets the ``govreports/dataset_*`` stats — then ``spider_closed`` is
sent to its receivers in the order they connected: CoreStats (``finish_reason``,
``finish_time``), Spidermon (order 500: the monitors of crawler/monitors.py, which record
their results in the ``govreports/monitors`` stat), then this extension (order 900, see
``EXTENSIONS`` in crawler/settings.py). So the file holds the published dataset's counts and
the monitors' verdicts. A crawl killed hard (SIGKILL) writes no file: that is how the build
tells a crawl that closed from one that died.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

log = logging.getLogger(__name__)


def _json_value(o: Any) -> Any:
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, timedelta):
        return o.total_seconds()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return str(o)


def write_json_atomically(path: Path, data: Any) -> None:
    """Write `data` as JSON to `path` through a temporary file and a rename: readers see the old
    file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2, sort_keys=True, default=_json_value)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class StatsFile:
    def __init__(self, crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler) -> "StatsFile":
        path = crawler.settings.get("GOVREPORTS_STATS_FILE")
        if not path:
            raise NotConfigured("GOVREPORTS_STATS_FILE is not set")
        ext = cls(crawler, Path(path))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_reason", reason)
        write_json_atomically(self.path, stats)
        log.info("stats written to %s", self.path)
