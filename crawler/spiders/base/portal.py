"""`PortalSpider`: what every portal spider does, whatever the CMS.

A city spider is a registry (which sites, which columns) plus a base spider for the CMS
its sites run. This class reads the registry and the spider arguments, walks columns →
list pages → report pages → attachments, and hands fetched files and reports to the
pipelines. How a CMS lays out its lists (items, sub-columns, paging, attachments) is
the business of the site's platform (`crawler/spiders/base/platforms.py`), chosen per site
by the registry's ``cms`` key: one city's sites may run several CMSs.

Arguments (``scrapy crawl cq -a NAME=VALUE``):

- ``years=2019-2024`` — report years to collect (also ``2023`` or ``2019,2021-2022``),
  read from the report's title, never from its URL or column;
- ``sites=www.dazu.gov.cn,cqyz.gov.cn`` — only these registry sites;
- ``start_urls=https://HOST/COLUMN/,…`` — crawl these columns (government hosts only)
  with this city's CMS spider, whether the registry lists them or not;
- ``recheck=1`` — ask again for report pages already fetched (a conditional request:
  unchanged pages answer 304); by default they are not requested at all.

Per-site stats (``govreports/site/<host>/…``, read by crawler/monitors.py and the run
summary of `govreports build`): ``list_pages`` read, ``list_failed`` (list pages that could
not be fetched), ``columns_failed`` (of those, a column's first page), ``reports`` (reports
found), ``reports_unchanged`` (listed, already complete, not fetched again) and
``report_pages_failed``. A site whose every column failed is *failing*.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.items import FetchedFile, ReportFound
from crawler.middlewares import NotGovernmentHost
from crawler.registry import Registry, Site, is_government_host, load_registry
from crawler.spiders.base.platform import ListItem, Platform
from crawler.spiders.base.platforms import platform_named
from crawler.replica import replica_url
from crawler.state import state_for
from normalize.metadata import is_report_title, title_year
from normalize.years import parse_years as _parse_years

log = logging.getLogger(__name__)

#: how deep sub-columns may nest below a registry column (real portals: 1–3)
MAX_COLUMN_DEPTH = 5


def parse_years(spec: str | None) -> frozenset[int] | None:
    """``2019-2024``, ``2023``, ``2019,2021-2022`` → the set of years; None/empty → every year
    (normalize.years.parse_years, with Scrapy's UsageError for what it cannot read)."""
    try:
        return _parse_years(spec)
    except ValueError as e:
        raise UsageError(str(e)) from None


def split_arg(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [v.strip() for v in value if v and v.strip()]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class PortalSpider(scrapy.Spider):
    #: the registry file (crawler/registry/<registry_name>.toml); defaults to the spider's name
    registry_name: ClassVar[str | None] = None

    def __init__(self, *args: Any, years: str | None = None, sites: str | None = None,
                 start_urls: str | None = None, recheck: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registry: Registry = load_registry(self.registry_name or self.name)
        self.years = parse_years(years)
        self.recheck = str(recheck or "").lower() in ("1", "true", "yes")
        self.sites: dict[str, Site] = {}  # canonical host → site
        self.starts: list[tuple[Site, str]] = []  # (site, column URL)
        urls = split_arg(start_urls)
        if urls:
            for url in urls:
                site, column = self._site_for_start_url(url)
                self.sites.setdefault(site.host, site)
                self.starts.append((site, f"{site.scheme}://{site.host}{column}"))
        else:
            try:
                chosen = self.registry.select(split_arg(sites)) if sites else list(self.registry.sites)
            except ValueError as e:
                raise UsageError(str(e)) from e
            for site in chosen:
                self.sites[site.host] = site
                self.starts += [(site, url) for url in site.column_urls()]
        self._requested: set[str] = set()  # report pages considered in this run (without a JOBDIR)
        # the offsite filter: government hosts, plus registry hosts that are not under gov.cn
        self._registry_hosts = self.registry.hosts()
        self.allowed_domains = ["gov.cn", *sorted(h for h in self._registry_hosts if not is_government_host(h))]

    def _site_for_start_url(self, url: str) -> tuple[Site, str]:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise UsageError(f"start_urls: {url!r} is not an http(s) URL")
        site = self.registry.site_for_host(host)
        if site is None and not is_government_host(host):
            raise UsageError(f"start_urls: {host} is not a government host (*.gov.cn) nor a registry site")
        path = parts.path or "/"
        if not path.endswith("/"):
            path = path.rsplit("/", 1)[0] + "/"
        if site is None:
            site = Site(host=host, name=host, columns=(path,), scheme=parts.scheme, cms=self.registry.cms,
                        verified=False, notes="from start_urls")
        return site, path

    def allowed_host(self, host: str | None) -> bool:
        """Hosts any request may go to: government hosts and the registry's (see GovernmentHostsOnly)."""
        return is_government_host(host) or (host or "").lower() in self._registry_hosts

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.crawl_state = state_for(crawler)  # not `state`: Scrapy's SpiderState owns that name under JOBDIR
        contact = crawler.settings.get("GOVREPORTS_CONTACT")
        if contact:
            spider.user_agent = f"{crawler.settings.get('USER_AGENT')} contact: {contact}"
        elif not replica_url(crawler.settings):
            log.warning("GOVREPORTS_CONTACT is not set: portal operators cannot reach you from the User-Agent")
        return spider

    # -- the walk

    async def start(self):
        for site, url in self.starts:
            root = urlsplit(url).path.rsplit("/", 1)[0] + "/"  # the column's directory
            yield scrapy.Request(url, callback=self.parse_list, errback=self.list_failed,
                                 meta={"site": site.host, "root": root, "depth": 0, "column": True})

    @property
    def requested(self) -> set[str]:
        """Report pages considered in this crawl. Under a JOBDIR they are kept in `self.state`,
        which Scrapy saves with the job: a paused crawl, resumed, does not count again the
        reports its pending lists share with the lists it read before."""
        state = getattr(self, "state", None)  # set by Scrapy's SpiderState extension at open
        return self._requested if state is None else state.setdefault("requested", set())

    def site_of(self, response: Response) -> Site:
        return self.sites[response.meta["site"]]

    def parse_list(self, response: Response) -> Iterator[Any]:
        """A column's list page: more pages, sub-columns, and the report pages it lists."""
        site = self.site_of(response)
        meta = response.meta
        self.crawler.stats.inc_value("govreports/list_pages")
        self.crawler.stats.inc_value(f"govreports/site/{site.host}/list_pages")
        for url in self.more_pages(response):
            yield response.follow(url, self.parse_list, errback=self.list_failed,
                                  meta={k: meta[k] for k in ("site", "root", "depth")})
        if meta["depth"] < MAX_COLUMN_DEPTH:
            for url in self.sub_columns(response, meta["root"]):
                if urlsplit(url).hostname in site.hosts:
                    yield scrapy.Request(url, self.parse_list, errback=self.list_failed,
                                         meta={"site": site.host, "root": meta["root"], "depth": meta["depth"] + 1})
        for item in self.list_items(response):
            yield from self.consider(item, site, response.url)

    def list_failed(self, failure) -> None:
        """A list page could not be fetched (after the retries): its reports stay unknown this run."""
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # robots.txt or the offsite filter said no: nothing was fetched
        meta = failure.request.meta
        stats = self.crawler.stats
        stats.inc_value("govreports/list_failed")
        stats.inc_value(f"govreports/site/{meta['site']}/list_failed")
        if meta.get("column"):
            stats.inc_value(f"govreports/site/{meta['site']}/columns_failed")
        error = f"HTTP {failure.value.response.status}" if failure.check(HttpError) else f"{type(failure.value).__name__}: {failure.value}"
        log.warning("could not fetch the list page %s of %s: %s", failure.request.url, meta["site"], error)

    def consider(self, item: ListItem, site: Site, list_url: str) -> Iterator[scrapy.Request]:
        """Follow a list entry if it is a report page of this site, of a wanted year, not yet fetched."""
        stats = self.crawler.stats
        if urlsplit(item.url).hostname not in site.hosts:
            stats.inc_value("govreports/items_offsite")  # spam mirrors copy pages under the same paths
            log.debug("not following %s (listed on %s): another host", item.url, list_url)
            return
        if item.title and not is_report_title(item.title):
            stats.inc_value("govreports/items_not_report")
            log.debug("skipping %s: %r is not an annual report", item.url, item.title)
            return
        year = title_year(item.title) if item.title else None
        if self.years and year is not None and year not in self.years:
            stats.inc_value("govreports/items_other_year")
            return
        if item.url in self.requested:
            stats.inc_value("govreports/items_listed_again")  # a parent column lists its children's reports too
            return
        self.requested.add(item.url)
        # allow_offsite: a redirect to another host is then refused by GovernmentHostsOnly before
        # download, and report_page_failed records it; Scrapy's offsite filter would drop it
        # silently when it is scheduled (the page's own host was checked above)
        meta = {"site": site.host, "list_url": list_url, "list_title": item.title, "list_date": item.date,
                "allow_offsite": True}
        if self.crawl_state.is_complete(item.url):
            if not self.recheck:
                self.crawl_state.touch_report(item.url)
                stats.inc_value("govreports/reports_unchanged")
                stats.inc_value(f"govreports/site/{site.host}/reports_unchanged")
                return
            entry = self.crawl_state.report(item.url)
            known = self.crawl_state.file(entry.files[0]) or {}
            headers = {}
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
            meta["handle_httpstatus_list"] = [304]
            yield scrapy.Request(item.url, self.parse_report_page, errback=self.report_page_failed, meta=meta, headers=headers)
            return
        yield scrapy.Request(item.url, self.parse_report_page, errback=self.report_page_failed, meta=meta)

    def parse_report_page(self, response: Response) -> Iterator[Any]:
        site = self.site_of(response)
        meta = response.meta
        listed = (meta.get("redirect_urls") or [response.url])[0]  # the report is known by the URL its list gives
        if response.status == 304:
            self.crawl_state.touch_report(listed)
            self.crawler.stats.inc_value("govreports/reports_unchanged")
            self.crawler.stats.inc_value(f"govreports/site/{site.host}/reports_unchanged")
            return
        self.crawler.stats.inc_value("govreports/report_pages")
        yield self.fetched(response, referer=meta.get("list_url"))
        if not isinstance(response, TextResponse):  # the list linked the report file itself
            self.crawler.stats.inc_value(f"govreports/site/{site.host}/reports")
            yield ReportFound(source_url=listed, portal=self.name, spider=self.name, files=[response.url],
                              list_url=meta.get("list_url"), list_title=meta.get("list_title"),
                              title=meta.get("list_title"), publish_date=meta.get("list_date"))
            return
        title = self.page_title(response) or meta.get("list_title")
        if not meta.get("list_title") and title:
            year = title_year(title)
            if self.years and year is not None and year not in self.years:
                self.crawler.stats.inc_value("govreports/items_other_year")
                return
        report = {
            "source_url": listed, "portal": self.name, "spider": self.name, "files": [response.url],
            "complete": True, "list_url": meta.get("list_url"), "list_title": meta.get("list_title"),
            "title": title, "publish_date": meta.get("list_date"),
        }
        pending = []
        for url in self.attachments(response):
            host = urlsplit(url).hostname
            if url != response.url and url not in pending and (host in site.hosts or is_government_host(host)):
                pending.append(url)
        yield from self._next_file(report, pending, site.host)

    def _next_file(self, report: dict, pending: list[str], site: str) -> Iterator[Any]:
        """Attachments are fetched one after another; the report is emitted after the last."""
        if not pending:
            self.crawler.stats.inc_value(f"govreports/site/{site}/reports")
            yield ReportFound(**report)
            return
        url, rest = pending[0], pending[1:]
        report["files"].append(url)
        # dont_filter: an attachment shared by two pages must not leave the second report unfinished
        # (hosts were checked above; robots.txt still applies)
        yield scrapy.Request(url, self.parse_attachment, errback=self.attachment_failed, dont_filter=True, priority=10,
                             meta={"site": site, "report": report, "pending": rest})

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        report = response.meta["report"]
        self.crawler.stats.inc_value("govreports/attachments")
        yield self.fetched(response, referer=report["source_url"])
        yield from self._next_file(report, response.meta["pending"], response.meta["site"])

    def attachment_failed(self, failure) -> Iterator[Any]:
        request = failure.request
        report = request.meta["report"]
        report["complete"] = False
        self.crawler.stats.inc_value("govreports/attachments_failed")
        yield self.failed(failure, referer=report["source_url"])
        yield from self._next_file(report, request.meta["pending"], request.meta["site"])

    def report_page_failed(self, failure) -> Iterator[Any]:
        if failure.check(IgnoreRequest) and not failure.check(HttpError, NotGovernmentHost):
            return  # robots.txt said no: nothing was fetched (a redirect off-site is a failure)
        self.crawler.stats.inc_value("govreports/report_pages_failed")
        self.crawler.stats.inc_value(f"govreports/site/{failure.request.meta['site']}/report_pages_failed")
        yield self.failed(failure, referer=failure.request.meta.get("list_url"))

    # -- items

    def fetched(self, response: Response, referer: str | None) -> FetchedFile:
        headers = response.headers
        return FetchedFile(
            url=response.url, body=response.body, portal=self.name, referer=referer, http_status=response.status,
            content_type=_header(headers, b"Content-Type"), etag=_header(headers, b"ETag"),
            last_modified=_header(headers, b"Last-Modified"), fetched_at=_now(),
        )

    def failed(self, failure, referer: str | None) -> FetchedFile:
        status = None
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            error = f"HTTP {status}"
        else:
            error = f"{type(failure.value).__name__}: {failure.value}"
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the row belongs to the URL that was linked
        if url != request.url:
            error = f"redirected to {request.url}: {error}"
        log.warning("could not fetch %s: %s", url, error)
        return FetchedFile(url=url, body=None, portal=self.name, referer=referer, http_status=status,
                           fetched_at=_now(), error=error)

    # -- what the site's platform says

    def platform(self, response: Response) -> Platform:
        return platform_named(self.site_of(response).cms)

    def list_items(self, response: Response) -> Iterable[ListItem]:
        return self.platform(response).list_items(response)

    def sub_columns(self, response: Response, root: str) -> Iterable[str]:
        return self.platform(response).sub_columns(response, root)

    def more_pages(self, response: Response) -> Iterable[str]:
        return self.platform(response).more_pages(response)

    def attachments(self, response: Response) -> Iterable[str]:
        return self.platform(response).attachments(response)

    def page_title(self, response: Response) -> str | None:
        return self.platform(response).page_title(response)


def _header(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
