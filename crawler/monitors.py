"""Spidermon monitors run when a crawl closes (``SPIDERMON_SPIDER_CLOSE_MONITORS`` in
crawler/settings.py): is this run as good as the last one?

- **reports per site**: every site that listed reports in the last run lists some now, and
  not fewer than ``GOVREPORTS_MIN_REPORTS_RATIO`` (default 0.5) times as many. "Listed" means
  a report of a wanted year that the site's columns link to, fetched now or known unchanged
  (``govreports/site/<host>/reports`` + ``reports_unchanged``). The last run's counts are read
  from the run summary named by ``GOVREPORTS_PREVIOUS_SUMMARY`` (`govreports build` passes
  the last summary whose crawl of this spider finished, with the same years); without one
  the monitor is skipped.
- **error rate**: (downloader exceptions + list pages, report pages and attachments that
  failed) / requests ≤ ``GOVREPORTS_MAX_ERROR_RATE`` (default 0.1).
- **retry rate**: retries / requests ≤ ``GOVREPORTS_MAX_RETRY_RATE`` (default 0.2).
- **failing checks**: the share of published reports failing a consistency check
  (``govreports/dataset_reports_failing_checks`` / ``dataset_reports``) ≤
  ``GOVREPORTS_MAX_FAILING_CHECKS_SHARE`` (default 0.2); skipped when nothing was published.
- **failing sites**: no site is failing — a site fails when none of its list pages could be
  read (every column's first page failed after the retries, or robots.txt forbids them).

The results go into the stats: ``govreports/monitors`` (a list of {name, passed, status,
message}), ``govreports/monitors_failed`` (how many failed) and ``govreports/sites`` (the
per-site counts the monitors judged, {host: {...}}), so the stats file of
crawler/extensions.py and the run summary of `govreports build` carry them.

A crawl resumed from its JOBDIR is one job in several parts: ``GOVREPORTS_EARLIER_STATS``
names the stats files of the earlier parts (JSON list or comma-separated), whose counters
are added to this part's so the monitors judge the whole job.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from spidermon import Action, Monitor, MonitorSuite, monitors

log = logging.getLogger(__name__)

# Spidermon 1.27 logs its results with Spider.log(), which Scrapy 2.19 deprecates: one warning
# per crawl in every log, about a library's internals, is noise for whoever reads the log.
warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated", module=r"spidermon\.")

#: counters summed over the parts of a resumed job (everything else is this part's)
SUMMED = re.compile(r"^(govreports/(?!dataset_|monitors|sites$)|downloader/|retry/|log_count/|item_scraped_count$|response_received_count$)")
_SITE = re.compile(r"^govreports/site/([^/]+)/(.+)$")
SITE_COUNTERS = ("list_pages", "list_failed", "columns_failed", "reports", "reports_unchanged", "report_pages_failed")

DEFAULTS = {
    "GOVREPORTS_MIN_REPORTS_RATIO": 0.5,
    "GOVREPORTS_MAX_ERROR_RATE": 0.1,
    "GOVREPORTS_MAX_RETRY_RATE": 0.2,
    "GOVREPORTS_MAX_FAILING_CHECKS_SHARE": 0.2,
}


def read_stats_files(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    parts = []
    for path in paths:
        try:
            parts.append(json.loads(Path(path).read_text("utf-8")))
        except (OSError, ValueError) as e:
            log.warning("cannot read the stats of an earlier part of this job (%s): %s", path, e)
    return parts


def job_stats(stats: Mapping[str, Any], earlier: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """This part's stats with the counters of the job's earlier parts added."""
    total = dict(stats)
    for part in earlier:
        for key, value in part.items():
            if SUMMED.match(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


def site_counts(stats: Mapping[str, Any], columns: Mapping[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """Per-site counters from the ``govreports/site/<host>/…`` stats, for the sites in `columns`
    (host → number of start columns) and any other site the stats name."""
    sites: dict[str, dict[str, Any]] = {host: {} for host in (columns or {})}
    for key, value in stats.items():
        if m := _SITE.match(key):
            sites.setdefault(m.group(1), {})[m.group(2)] = value
    out = {}
    for host in sorted(sites):
        counts = {name: int(sites[host].get(name, 0)) for name in SITE_COUNTERS}
        counts["columns"] = (columns or {}).get(host)
        counts["reports_listed"] = counts["reports"] + counts["reports_unchanged"]
        counts["failing"] = counts["list_pages"] == 0
        out[host] = counts
    return out


def previous_site_counts(path: str | Path | None, spider: str) -> tuple[str | None, dict[str, dict[str, Any]] | None]:
    """(run id, {host: counts}) of the summary at `path` for `spider`, or (None, None)."""
    if not path:
        return None, None
    try:
        summary = json.loads(Path(path).read_text("utf-8"))
        return summary.get("run_id"), summary["crawls"][spider]["sites"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("no previous run to compare with (%s): %s", path, e)
        return None, None


def _settings_float(settings, name: str) -> float:
    return settings.getfloat(name, DEFAULTS[name])


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


class _Judged:
    """What the monitors judge, computed once per close from the crawler and its settings."""

    def __init__(self, data) -> None:
        crawler = data.crawler
        spider = data.spider
        self.settings = crawler.settings
        earlier = self.settings.get("GOVREPORTS_EARLIER_STATS") or []
        if isinstance(earlier, str):
            earlier = json.loads(earlier) if earlier.lstrip().startswith("[") else [p for p in earlier.split(",") if p]
        self.stats = job_stats(dict(data.stats), read_stats_files(earlier))
        columns: dict[str, int] = {}
        for site, _url in getattr(spider, "starts", ()):
            columns[site.host] = columns.get(site.host, 0) + 1
        self.sites = site_counts(self.stats, columns)
        self.previous_run, self.previous = previous_site_counts(self.settings.get("GOVREPORTS_PREVIOUS_SUMMARY"), spider.name)
        for host, counts in self.sites.items():
            counts["previous_reports_listed"] = (self.previous or {}).get(host, {}).get("reports_listed")


def judged(monitor: Monitor) -> _Judged:
    crawler = monitor.data.crawler
    j = getattr(crawler, "_govreports_judged", None)
    if j is None:
        j = crawler._govreports_judged = _Judged(monitor.data)
    return j


class _Base(Monitor):
    #: one line saying what was measured, set by the test before it asserts (passed or not)
    summary: str | None = None
    longMessage = False


@monitors.name("reports per site")
class ReportsPerSiteMonitor(_Base):
    """No site lost its reports since the last run (none, or fewer than half)."""

    def test_reports_per_site(self):
        j = judged(self)
        if j.previous is None:
            self.summary = "no previous run to compare with"
            self.skipTest(self.summary)
        ratio = _settings_float(j.settings, "GOVREPORTS_MIN_REPORTS_RATIO")
        dropped = []
        for host, counts in j.sites.items():
            before = counts["previous_reports_listed"]
            now = counts["reports_listed"]
            if before and (now == 0 or now < before * ratio):
                dropped.append(f"{host}: {now} reports listed, {before} in run {j.previous_run}")
        compared = sum(1 for c in j.sites.values() if c["previous_reports_listed"])
        self.summary = f"{compared} sites compared with run {j.previous_run}; none below {ratio:g}× its reports"
        if dropped:
            self.summary = "; ".join(dropped)
        self.assertFalse(dropped, self.summary)


@monitors.name("error rate")
class ErrorRateMonitor(_Base):
    """Requests that failed (network errors, and list pages, report pages and attachments
    that could not be fetched) stay under GOVREPORTS_MAX_ERROR_RATE."""

    def test_error_rate(self):
        j = judged(self)
        s = j.stats
        requests = s.get("downloader/request_count", 0)
        # downloader exceptions, less the requests robots.txt forbade (IgnoreRequest): those were never sent
        exceptions = s.get("downloader/exception_count", 0) - s.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0)
        errors = (exceptions + s.get("govreports/list_failed", 0)
                  + s.get("govreports/report_pages_failed", 0) + s.get("govreports/attachments_failed", 0))
        limit = _settings_float(j.settings, "GOVREPORTS_MAX_ERROR_RATE")
        rate = errors / requests if requests else 0.0
        self.summary = f"error rate {_pct(rate)} ({errors} errors, {requests} requests; limit {_pct(limit)})"
        self.assertLessEqual(rate, limit, self.summary)


@monitors.name("retry rate")
class RetryRateMonitor(_Base):
    """Retries stay under GOVREPORTS_MAX_RETRY_RATE of the requests."""

    def test_retry_rate(self):
        j = judged(self)
        s = j.stats
        requests = s.get("downloader/request_count", 0)
        retries = s.get("retry/count", 0)
        limit = _settings_float(j.settings, "GOVREPORTS_MAX_RETRY_RATE")
        rate = retries / requests if requests else 0.0
        self.summary = f"retry rate {_pct(rate)} ({retries} retries, {requests} requests; limit {_pct(limit)})"
        self.assertLessEqual(rate, limit, self.summary)


@monitors.name("failing checks")
class FailingChecksMonitor(_Base):
    """Few published reports fail a consistency check."""

    def test_failing_checks(self):
        j = judged(self)
        s = j.stats
        reports = s.get("govreports/dataset_reports")
        if reports is None:
            self.summary = "no dataset was published"
            self.skipTest(self.summary)
        failing = s.get("govreports/dataset_reports_failing_checks", 0)
        limit = _settings_float(j.settings, "GOVREPORTS_MAX_FAILING_CHECKS_SHARE")
        share = failing / reports if reports else 0.0
        self.summary = f"{failing} of {reports} reports fail a check ({_pct(share)}; limit {_pct(limit)})"
        self.assertLessEqual(share, limit, self.summary)


@monitors.name("failing sites")
class FailingSitesMonitor(_Base):
    """Every site crawled had at least one list page read."""

    def test_failing_sites(self):
        j = judged(self)
        failing = [h for h, c in j.sites.items() if c["failing"]]
        self.summary = (f"no list page read on {len(failing)} of {len(j.sites)} sites: {', '.join(failing)}" if failing
                        else f"every one of {len(j.sites)} sites had its lists read")
        self.assertFalse(failing, self.summary)


class RecordResults(Action):
    """Put the monitors' verdicts and the per-site counts into the crawl's stats."""

    def run_action(self):
        results = []
        for r in self.result.monitor_results:
            monitor = r.item
            passed = r.status in ("OK", "SKIPPED", "EXPECTED FAILURE", "UNEXPECTED SUCCESS")
            message = getattr(monitor, "summary", None)
            if r.status == "ERROR":
                message = f"the monitor raised: {(r.error or '').strip().splitlines()[-1] if r.error else '?'}"
            elif r.status == "SKIPPED":
                message = f"skipped: {r.reason or message}"
            results.append({"name": monitor.monitor_name, "passed": passed, "status": r.status, "message": message})
        stats = self.data.crawler.stats
        stats.set_value("govreports/monitors", results)
        stats.set_value("govreports/monitors_failed", sum(1 for r in results if not r["passed"]))
        j = getattr(self.data.crawler, "_govreports_judged", None)
        if j is not None:
            stats.set_value("govreports/sites", j.sites)
        for r in results:
            if not r["passed"]:
                log.warning("monitor failed: %s: %s", r["name"], r["message"])


class CloseMonitorSuite(MonitorSuite):
    """What `govreports build` checks when a crawl closes (crawler/monitors.py)."""

    monitors = [ReportsPerSiteMonitor, ErrorRateMonitor, RetryRateMonitor, FailingChecksMonitor, FailingSitesMonitor]
    monitors_finished_actions = [RecordResults]
