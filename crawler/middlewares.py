"""Downloader middlewares of the project."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

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
    once. AutoThrottle lowers the delay again as the host answers normally.

    A `Retry-After` is a promise to the host, kept whatever AutoThrottle does meanwhile (it
    lowers the slot's delay as soon as another page of the host answers 200): no request
    leaves for that host before the time it asked for (capped at `RETRY_BACKOFF_MAX`) —
    neither those queued in its download slot nor those arriving later."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self._not_before: dict[str, float] = {}  # slot key → time.monotonic() its Retry-After ends

    async def process_request(self, request: Request, spider=None):
        """Hold a request for a host whose `Retry-After` has not run out yet."""
        if not self._not_before:
            return None
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return None
        key = downloader.get_slot_key(request)
        until = self._not_before.get(key)
        if until is None:
            return None
        wait = until - time.monotonic()
        if wait <= 0:
            self._not_before.pop(key, None)
            return None
        log.debug("holding %s for %.1f s: %s asked to wait (Retry-After)", request.url, wait, key)
        await sleep(wait)
        return None

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
        if wanted is not None:
            until = max(self._not_before.get(key, 0.0), time.monotonic() + delay)
            self._not_before[key] = until  # requests that reach the downloader later wait (process_request)
            # requests already queued in the slot: it lets the next one go `delay` after `lastseen`
            # (Scrapy's downloader, time.monotonic like ours), so the next leaves after `until`
            if isinstance(getattr(slot, "lastseen", None), (int, float)):
                slot.lastseen = max(slot.lastseen, until)
        if delay > slot.delay:
            log.info("backing off %s: %.1f s between requests (retry %d of %s)", key, delay, tries, request.url)
            slot.delay = delay


class NotGovernmentHost(IgnoreRequest):
    """A request refused by `GovernmentHostsOnly`: unlike robots.txt's or the offsite filter's
    IgnoreRequest, the spider records it as a failed fetch (it was linked or redirected to)."""


class GovernmentHostsOnly:
    """No request leaves for a host the spider does not allow (*.gov.cn and the registry's
    hosts) — whatever its `dont_filter` or `allow_offsite` says. Scrapy's offsite filter lets
    `dont_filter` requests through, and a redirect copies the flag: an attachment redirected
    to a spam host would otherwise be fetched. Report pages carry `allow_offsite`, so that a
    redirect of theirs is judged here, before download, rather than dropped by the offsite
    filter when it is scheduled (where no errback runs). The refused request's errback gets
    a `NotGovernmentHost` saying why."""

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
        raise NotGovernmentHost(f"{host} is not a government host")
