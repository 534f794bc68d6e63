"""Scrapy settings: polite by default.

These defaults are the project's promise to the portals it reads: obey robots.txt, few
requests per host, adaptive delays, backoff on errors, and a User-Agent that says who we
are (set GOVREPORTS_CONTACT to an e-mail or URL where portal operators can reach you).

Project settings (``-s NAME=VALUE``):

- ``DATA_DIR`` (default ``data``): raw store (``raw/``), crawl state (``crawl.sqlite``) and
  the dataset (``dataset/``);
- ``REPLICA_URL`` (or the environment variable ``GOVREPORTS_REPLICA``): fetch every
  ``http(s)://HOST/PATH`` from ``REPLICA_URL/HOST/PATH`` instead (tests and the demo);
- ``NORMALIZE_WORKERS`` (default 1): processes normalizing reports while the crawl goes
  on (0: normalize in the crawling process, unbounded); ``NORMALIZE_TIMEOUT`` (default 120 s)
  and ``NORMALIZE_MEMORY_LIMIT`` (default 3 GiB of address space): the bounds of one report
  in a worker (defaults in govreports/runner.py; 0 turns one off) — a report past either is
  a ``failed`` row (``internal.timeout``, ``internal.worker_crash``) and the crawl goes on;
- ``PUBLISH_DATASET`` (default True): rebuild ``DATA_DIR/dataset`` when the spider closes;
- ``REDIS_URL`` (or the environment variable ``GOVREPORTS_REDIS_URL``): a distributed
  crawl — every process started with the same URL shares one request queue and one
  duplicate filter in Redis (crawler/distributed.py); ``REDIS_WORKER_TIMEOUT`` (default
  30 s): a worker silent that long is taken for dead and its requests are done by others;
- ``GOVREPORTS_CONTACT``: appended to the User-Agent;
- ``GOVREPORTS_STATS_FILE``: write the final stats as JSON there at close
  (crawler/extensions.py; `govreports build` sets it);
- monitors at close (Spidermon, crawler/monitors.py): ``GOVREPORTS_PREVIOUS_SUMMARY`` (the
  last run's summary.json, for reports per site), ``GOVREPORTS_EARLIER_STATS`` (stats files of
  the earlier parts of a resumed job) and the thresholds ``GOVREPORTS_MIN_REPORTS_RATIO``,
  ``GOVREPORTS_MAX_ERROR_RATE``, ``GOVREPORTS_MAX_RETRY_RATE``,
  ``GOVREPORTS_MAX_FAILING_CHECKS_SHARE``.
"""

import os

BOT_NAME = "govreports"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "govreports/0.2 (an open research dataset of government information-disclosure annual reports;)"
GOVREPORTS_CONTACT = os.environ.get("GOVREPORTS_CONTACT")
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 1.0  # seconds; doubles per retry (crawler.middlewares.BackoffRetryMiddleware)
RETRY_BACKOFF_MAX = 60.0
# Scrapy's default RETRY_EXCEPTIONS retry resets, timeouts and truncated bodies (tests/test_faults.py);
# these two make sure a truncated body is an error, never a stored file, and a hanging host a timeout.
DOWNLOAD_FAIL_ON_DATALOSS = True
DOWNLOAD_TIMEOUT = 180
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.GovernmentHostsOnly": 60,  # after the offsite filter, before anything is fetched
}
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024

# Scrapy 2.19 enables an extension that runs posted code on a localhost port: never wanted here.
REMOTE_CONTROL_ENABLED = False

FEED_EXPORT_ENCODING = "utf-8"

DATA_DIR = os.environ.get("GOVREPORTS_DATA_DIR", "data")
REPLICA_URL = os.environ.get("GOVREPORTS_REPLICA")
NORMALIZE_WORKERS = 1
PUBLISH_DATASET = True

# Same HTTP handler as Scrapy's, able to answer from a local replica of the portals.
DOWNLOAD_HANDLERS = {
    "http": "crawler.replica.ReplicaDownloadHandler",
    "https": "crawler.replica.ReplicaDownloadHandler",
}
# At close: Spidermon runs the monitors (results into the stats), then StatsFile writes the
# stats (after the pipelines published the dataset): the order of spider_closed receivers is
# the order of these numbers (crawler/extensions.py).
EXTENSIONS = {
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    "crawler.extensions.StatsFile": 900,
}
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["crawler.monitors.CloseMonitorSuite"]
GOVREPORTS_STATS_FILE = None
GOVREPORTS_PREVIOUS_SUMMARY = None
GOVREPORTS_EARLIER_STATS = None
GOVREPORTS_MIN_REPORTS_RATIO = 0.5  # a site listing fewer than half its reports of the last run fails
GOVREPORTS_MAX_ERROR_RATE = 0.1  # failed fetches / requests
GOVREPORTS_MAX_RETRY_RATE = 0.2  # retries / requests
GOVREPORTS_MAX_FAILING_CHECKS_SHARE = 0.2  # published reports failing a check / published reports

# Distributed crawl: with REDIS_URL set, the add-on puts the scheduler's queue and duplicate
# filter in Redis (scrapy-redis, with leases so a killed worker's requests are done by others);
# without it, Scrapy's own scheduler (and JOBDIR) as before.
REDIS_URL = os.environ.get("GOVREPORTS_REDIS_URL") or None
REDIS_WORKER_TIMEOUT = 30.0
ADDONS = {"crawler.distributed.RedisFrontier": 0}

ITEM_PIPELINES = {
    "crawler.pipelines.StorePipeline": 100,
    "crawler.pipelines.ReportPipeline": 200,
}
LOG_LEVEL = "INFO"
