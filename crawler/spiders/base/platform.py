"""`Platform`: what one publishing platform (CMS) decides about a portal's pages.

A city's sites do not all run the same CMS (Chengdu's portal and districts run the gkml
platform, its departments Sichuan's), so a city spider does not inherit its CMS: `PortalSpider` asks the platform of each site (the registry's
``cms`` key) five questions — which report pages a list links, which sub-columns it has,
where its further pages are, which files an article attaches, and what its title is.

This base class answers them the way most platforms need: report pages are the links
whose path matches `detail_path`, sub-columns are the directories below the column,
further pages are the pager's links, attachments are office files beside the page or
named as the report. A platform module overrides what differs, and is listed in
`crawler/spiders/base/platforms.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from scrapy.http import Response

from normalize.metadata import is_report_title

#: office files a report may be published as, or attached to its page as
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".txt", ".ofd", ".zip", ".rar")
#: a bogus pager must not make us request thousands of pages
MAX_PAGES = 1000
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_REPORT_WORDS = re.compile(r"年度报告|年报|附件")
_INDEX_PAGE = re.compile(r"(?:index|list)(?:_\d+)?\.s?html?")  # a column's list page, by its file name
_INDEX_PATH = re.compile(r"/" + _INDEX_PAGE.pattern + "$")
_URL_STRIPPED = str.maketrans("", "", "\t\r\n")  # urllib.parse drops these anywhere in a URL


@dataclass(frozen=True, slots=True)
class ListItem:
    """One entry of a column's list: a link to a report page (as far as the list says)."""

    url: str
    title: str | None
    date: str | None = None  # ISO date shown next to the title


def merged(items: Iterable[ListItem]) -> Iterator[ListItem]:
    """Each URL once, in first-seen order; an item listed twice, the first time without its
    date (Shanghai prints every item twice), keeps the date the other copy shows."""
    kept: dict[str, ListItem] = {}
    for item in items:
        known = kept.get(item.url)
        if known is None:
            kept[item.url] = item
        elif known.date is None and item.date:
            kept[item.url] = ListItem(url=item.url, title=known.title or item.title, date=item.date)
    yield from kept.values()


def text_of(node) -> str:
    return " ".join("".join(node.xpath(".//text()").getall()).split())


def iso_date(text: str) -> str | None:
    """``2024-01-30``, ``2024/1/30``, ``2024年1月30日`` → ``2024-01-30``."""
    if m := _DATE.search(text or ""):
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def last_segment(href: str) -> str | None:
    """The last path segment of the URL a link names once joined to its page, read from the
    raw href (a cheap test, so the many chrome links of a page need no `urljoin`): ``""`` for a
    directory (``…/``, ``.``, ``..``), None when the href has no path (the page's own, or a
    bare ``https://host``: joining decides)."""
    path = href.strip().translate(_URL_STRIPPED).split("#", 1)[0].split("?", 1)[0]  # what urlsplit drops
    if not path or ("//" in path and path.split("//", 1)[1].count("/") == 0):
        return None
    last = path.rsplit("/", 1)[-1]
    return "" if last in (".", "..") else last


def _may_be_file(href: str) -> bool:
    """False when the link, joined, cannot name a file with an attachment extension."""
    last = last_segment(href)
    return last is None or last.lower().endswith(ATTACHMENT_EXTENSIONS)


def hrefs(response: Response) -> list[str]:
    """Every ``<a href>`` of the page in document order (``//a/@href``), read from lxml at once:
    a parsel Selector per link costs more than the test most links then fail."""
    return [str(h) for h in response.selector.root.xpath("//a/@href")]


def directory_of(url: str) -> str | None:
    """The column directory a link points to (``…/dzq/`` or ``…/dzq/index.html``), else None."""
    path = urlsplit(url).path
    if path.endswith("/"):
        return path
    if _INDEX_PATH.search(path):
        return path.rsplit("/", 1)[0] + "/"
    return None


class Platform:
    #: the registry's ``cms`` value that selects this platform
    name: ClassVar[str] = ""
    #: the path of a report (article) page on this platform
    detail_path: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    #: the path of a list page after the first (``index_2.html``); the pager's links that match are followed
    list_page_path: ClassVar[re.Pattern[str]] = re.compile(r"/(?:index|list)_\d+\.s?html?$")

    def is_detail(self, url: str) -> bool:
        return bool(self.detail_path.search(urlsplit(url).path))

    # -- lists

    def list_items(self, response: Response) -> Iterator[ListItem]:
        """Links to report pages (or to report files, when a list links the file itself),
        with the title the list prints (the ``title`` attribute holds it untruncated) and
        the date printed next to it."""
        return merged(self.links(response.xpath("//a[@href]"), response))

    def links(self, anchors, response: Response, date_text: str | None = None) -> Iterator[ListItem]:
        """The report links among `anchors`, dated by the text beside each (or by `date_text`)."""
        for a in anchors:
            url = response.urljoin(a.attrib["href"].strip()).split("#", 1)[0]
            if not self.is_detail(url) and not urlsplit(url).path.lower().endswith(ATTACHMENT_EXTENSIONS):
                continue  # is_listed_report says no whatever the title: the page chrome, read without its text
            title = (a.attrib.get("title") or "").strip() or text_of(a) or None
            if self.is_listed_report(url, title):
                beside = " ".join(a.xpath("following-sibling::*[1]//text() | following-sibling::text()[1]").getall())
                yield ListItem(url=url, title=title, date=iso_date(date_text if date_text is not None else beside))

    def is_listed_report(self, url: str, title: str | None) -> bool:
        path = urlsplit(url).path
        direct_file = path.lower().endswith(ATTACHMENT_EXTENSIONS) and bool(title) and is_report_title(title)
        return self.is_detail(url) or direct_file

    def sub_columns(self, response: Response, root: str) -> Iterator[str]:
        """Directories below the registry column, linked from this list page."""
        here = directory_of(response.url)
        for href in hrefs(response):
            last = last_segment(href)
            if last and not _INDEX_PAGE.fullmatch(last):
                continue  # a file, not a column directory (what directory_of says of the joined URL)
            url = response.urljoin(href.strip())
            directory = directory_of(url)
            if directory and directory.startswith(root) and directory not in (here, root):
                yield url.split("#", 1)[0]

    def more_pages(self, response: Response) -> Iterable[str]:
        """The pager's links to further pages of this column (the dupefilter drops repeats)."""
        here = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
        pages = []
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            path = urlsplit(url).path
            if url == response.url:
                continue  # the pager links the page it is on (gkml's column-index-1.shtml)
            if path.startswith(here) and "/" not in path[len(here):] and self.list_page_path.search(path):
                pages.append(url)
        return list(dict.fromkeys(pages))[:MAX_PAGES]

    # -- articles

    def attachments(self, response: Response) -> Iterator[str]:
        """Files the article attaches: stored beside the page, or elsewhere but named as the
        report. Site-wide files linked from the page chrome (a manual, a logo PDF) are neither."""
        here = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
        for a in response.selector.root.xpath("//a[@href]"):  # lxml elements: no Selector per link
            href = a.get("href")
            if not _may_be_file(href):
                continue  # not a file (what the test below says of the joined URL, without joining it)
            url = response.urljoin(href.strip())
            path = urlsplit(url).path
            if not path.lower().endswith(ATTACHMENT_EXTENSIONS):
                continue
            label = (a.get("title") or "") + " ".join("".join(a.xpath(".//text()")).split())  # text_of(a)
            if path.startswith(here) or _REPORT_WORDS.search(label):
                yield url.split("#", 1)[0]

    def page_title(self, response: Response) -> str | None:
        for candidate in (
            response.xpath("//meta[@name='ArticleTitle']/@content").get(),
            response.xpath("//title/text()").get(),
        ):
            if candidate and candidate.strip():
                return re.split(r"[_|｜]", candidate.strip())[0].strip() or None
        return None
