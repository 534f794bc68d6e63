"""Downloader middlewares of the project."""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

log = logging.getLogger(__name__)


def retry_after(response: Response | None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), if any."""
    if response is None:
        return None
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone at all: HTTP dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with backoff: a 429, a 5xx or a connection error slows the whole host
    down (its download slot's delay doubles per retry, from `RETRY_BACKOFF_BASE` up to
    `RETRY_BACKOFF_MAX` seconds, or what `Retry-After` asks for), instead of asking again at
    once. AutoThrottle lowers the delay again as the host answers normally."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def process_response(self, request: Request, response: Response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self._back_off(request, response)
        return result

    def process_exception(self, request: Request, exception: Exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._back_off(request, None)
        return result

    def _back_off(self, request: Request, response: Response | None) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        tries = request.meta.get("retry_times", 0) + 1
        wanted = retry_after(response)
        delay = min(self.cap, wanted if wanted is not None else self.base * 2 ** (tries - 1))
        if delay > slot.delay:
            log.info("backing off %s: %.1f s between requests (retry %d of %s)", key, delay, tries, request.url)
            slot.delay = delay


class GovernmentHostsOnly:
    """No request leaves for a host the spider does not allow (*.gov.cn and the registry's
    hosts) — whatever its `dont_filter` says. Scrapy's offsite filter lets `dont_filter`
    requests through, and a redirect copies the flag: an attachment redirected to a spam
    host would otherwise be fetched. The refused request's errback says why."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> "GovernmentHostsOnly":
        return cls(crawler)

    def process_request(self, request: Request, spider=None):
        allowed = getattr(self.crawler.spider, "allowed_host", None)
        host = urlsplit(request.url).hostname
        if allowed is None or allowed(host):
            return None
        self.crawler.stats.inc_value("govreports/requests_offsite_refused")
        log.info("refused %s: %s is not a government host", request.url, host)
        raise IgnoreRequest(f"{host} is not a government host")
