"""City Scrapers-style helpers: saved pages as Scrapy responses, spiders without a crawl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

FIXTURES = Path(__file__).parent / "fixtures"


def file_response(name: str | Path, url: str, *, meta: dict[str, Any] | None = None, body: bytes | None = None,
                  status: int = 200, headers: dict[str, str] | None = None,
                  response_cls: type[Response] = HtmlResponse) -> Response:
    """A response for `url` whose body is the saved page `name` (under tests/fixtures/); an
    `XmlResponse` for a saved answer a server sends as XML (``response_cls=XmlResponse``)."""
    if body is None:
        body = (FIXTURES / name).read_bytes()
    request = Request(url, meta=dict(meta or {}))
    return response_cls(url=url, request=request, body=body, status=status, headers=headers or {})


def make_spider(spider_cls, data_dir: Path, **arguments: Any):
    """The spider as `scrapy crawl` makes it (from a crawler), not started: no engine, no network."""
    crawler = get_crawler(spider_cls, settings_dict={"DATA_DIR": str(data_dir), "LOG_ENABLED": False})
    crawler.spider = spider = spider_cls.from_crawler(crawler, **arguments)
    crawler.stats.open_spider()
    return spider
