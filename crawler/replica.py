"""Fetch real URLs from a local replica of the portals, without the spiders knowing.

With `REPLICA_URL` (Scrapy setting) or `GOVREPORTS_REPLICA` (environment) set to e.g.
``http://127.0.0.1:8765``, a request for ``https://www.dazu.gov.cn/zwgk_175/…`` is fetched
from ``http://127.0.0.1:8765/www.dazu.gov.cn/zwgk_175/…`` and its response keeps the real
URL. The mapping happens in the download handler, below every middleware: robots.txt,
the offsite filter, per-host slots, retries, the dupefilter and the items all see the
real URLs, exactly as on the web. Without a replica this is Scrapy's HTTP handler.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response


def replica_url(settings) -> str | None:
    url = settings.get("REPLICA_URL") or os.environ.get("GOVREPORTS_REPLICA") or None
    return url.rstrip("/") if url else None


def to_replica(url: str, replica: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{replica}/{parts.hostname}{path}{query}"


class ReplicaDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.replica = replica_url(crawler.settings)

    async def download_request(self, request: Request) -> Response:
        if not self.replica:
            return await super().download_request(request)
        mapped = request.replace(url=to_replica(request.url, self.replica))  # a copy of the meta, too
        try:
            response = await super().download_request(mapped)
        finally:
            # what the handler notes on the request (AutoThrottle reads download_latency: without
            # it, a replica crawl never lowers a host's delay again after a backoff)
            for key in ("download_latency",):
                if key in mapped.meta:
                    request.meta[key] = mapped.meta[key]
        return response.replace(url=request.url)
