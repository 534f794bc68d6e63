"""`TRSSpider`: portals published with TRS WCM, the CMS of Chongqing's unified platform
(and of Beijing, Fujian and many others).

What a TRS portal looks like:

- a column is a directory: ``/zwgk_175/zfxxgknb/`` serves its first list page
  (``index.html``); further pages are ``index_1.html``, ``index_2.html``, … and their number
  is only printed in the pager script, ``createPageHTML('page_div', 3, 0, 'index', 'html', 45)``
  (or ``createPageHTML(3, 0, "index", "html")``);
- a column's children are linked from its page as sub-directories (``./dzq/``);
- report pages are ``…/YYYYMM/tYYYYMMDD_<docid>.html`` (``_wap.html``: the same page for
  phones, skipped), and may live anywhere on the host: district columns list department
  reports stored under ``/bm_229/…`` and street reports under ``/jz_229/…``;
- attachments are linked from the article as ``./P0YYYYMMDD….pdf`` (or .doc, .docx, .wps …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.spiders.base.portal import ListItem, PortalSpider
from normalize.metadata import is_report_title

DETAIL_PATH = re.compile(r"/\d{6}/t\d{8}_\d+\.s?html?$")
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".txt", ".ofd", ".zip", ".rar")
_PAGER = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_REPORT_WORDS = re.compile(r"年度报告|年报|附件")
#: a bogus pager must not make us request thousands of pages
MAX_PAGES = 1000


def _text(node) -> str:
    return " ".join("".join(node.xpath(".//text()").getall()).split())


def _directory(url: str) -> str | None:
    """The column directory a link points to (``…/dzq/`` or ``…/dzq/index.html``), else None."""
    path = urlsplit(url).path
    if path.endswith("/"):
        return path
    if re.search(r"/index(?:_\d+)?\.s?html?$", path):
        return path.rsplit("/", 1)[0] + "/"
    return None


def page_count(html: str) -> int:
    """Number of list pages the TRS pager script announces (1 when there is none)."""
    if m := _PAGER.search(html):
        numbers = [int(a) for a in (x.strip().strip("'\"") for x in m.group(1).split(",")) if a.isdigit()]
        if numbers:
            return max(1, min(numbers[0], MAX_PAGES))
    if m := _COUNT_PAGE.search(html):
        return max(1, min(int(m.group(1)), MAX_PAGES))
    return 1


class TRSSpider(PortalSpider):
    def list_items(self, response: Response) -> Iterator[ListItem]:
        seen: set[str] = set()
        for a in response.xpath("//a[@href]"):
            url = response.urljoin(a.attrib["href"].strip())
            path = urlsplit(url).path
            title = (a.attrib.get("title") or "").strip() or _text(a) or None
            # a report page, or a report file listed directly (some columns link the PDF itself)
            direct_file = path.lower().endswith(ATTACHMENT_EXTENSIONS) and title and is_report_title(title)
            if not (DETAIL_PATH.search(path) or direct_file) or path.endswith("_wap.html") or url in seen:
                continue
            seen.add(url)
            date = None
            around = " ".join(a.xpath("following-sibling::*[1]//text() | following-sibling::text()[1]").getall())
            if m := _DATE.search(around):
                date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            yield ListItem(url=url, title=title, date=date)

    def sub_columns(self, response: Response, root: str) -> Iterator[str]:
        here = _directory(response.url)
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip())
            directory = _directory(url)
            if directory and directory.startswith(root) and directory != here and directory != root:
                yield url.split("#", 1)[0]

    def more_pages(self, response: Response) -> Iterable[str]:
        path = urlsplit(response.url).path
        if re.search(r"/index_\d+\.s?html?$", path):
            return []  # only the first page announces the others
        suffix = ".shtml" if path.endswith(".shtml") else ".html"
        count = page_count(response.text)
        return [f"index_{i}{suffix}" for i in range(1, count)]

    def attachments(self, response: Response) -> Iterator[str]:
        """Files the article attaches: stored beside the page (TRS puts them in the page's
        YYYYMM directory), or elsewhere but named as the report. Site-wide files linked from
        the page chrome (a manual, a logo PDF) are neither."""
        here = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
        for a in response.xpath("//a[@href]"):
            url = response.urljoin(a.attrib["href"].strip())
            path = urlsplit(url).path
            if not path.lower().endswith(ATTACHMENT_EXTENSIONS):
                continue
            label = (a.attrib.get("title") or "") + _text(a)
            if path.startswith(here) or _REPORT_WORDS.search(label):
                yield url.split("#", 1)[0]

    def page_title(self, response: Response) -> str | None:
        for candidate in (
            response.xpath("//meta[@name='ArticleTitle']/@content").get(),
            response.xpath("//title/text()").get(),
        ):
            if candidate and candidate.strip():
                return candidate.strip().split("_")[0].strip() or None
        return None
