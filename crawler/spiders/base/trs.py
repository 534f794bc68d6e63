"""TRS WCM: the CMS of Chongqing's unified platform, and of Beijing, Tianjin, Nanjing's
city portal, Fujian and many others.

What a TRS portal looks like:

- a column is a directory: ``/zwgk_175/zfxxgknb/`` serves its first list page
  (``index.html``); further pages are ``index_1.html``, ``index_2.html``, … and their number
  is only printed in the pager script, ``createPageHTML('page_div', 3, 0, 'index', 'html', 45)``
  (or ``createPageHTML(3, 0, "index", "html")``);
- a column's children are linked from its page as sub-directories (``./dzq/``), per-year
  ones included (Beijing's districts: ``zfxxgknb/2023nb/dcqzf2023/``);
- report pages are ``…/YYYYMM/tYYYYMMDD_<docid>.html`` (``_wap.html``: the same page for
  phones, skipped), and may live anywhere on the host: district columns list department
  reports stored under ``/bm_229/…`` and street reports under ``/jz_229/…``; Beijing's
  portal links each page's Traditional-Chinese copy, ``/gate/big5/www.beijing.gov.cn/…``,
  which is not another report;
- attachments are linked from the article as ``./P0YYYYMMDD….pdf`` (or .doc, .docx, .wps …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.spiders.base.platform import MAX_PAGES, Platform

_PAGER = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d+)")


def page_count(html: str) -> int:
    """Number of list pages the TRS pager script announces (1 when there is none)."""
    if m := _PAGER.search(html):
        numbers = [int(a) for a in (x.strip().strip("'\"") for x in m.group(1).split(",")) if a.isdigit()]
        if numbers:
            return max(1, min(numbers[0], MAX_PAGES))
    if m := _COUNT_PAGE.search(html):
        return max(1, min(int(m.group(1)), MAX_PAGES))
    return 1


class TRS(Platform):
    name = "trs"
    detail_path = re.compile(r"/\d{6}/t\d{8}_\d+\.s?html?$")

    def is_detail(self, url: str) -> bool:
        path = urlsplit(url).path
        # _wap.html: the phone copy; /gate/big5/<host>/…: Beijing's Traditional-Chinese gateway copy
        return bool(self.detail_path.search(path)) and not path.endswith("_wap.html") and not path.startswith("/gate/")

    def more_pages(self, response: Response) -> Iterable[str]:
        path = urlsplit(response.url).path
        if re.search(r"/index_\d+\.s?html?$", path):
            return []  # only the first page announces the others
        suffix = ".shtml" if path.endswith(".shtml") else ".html"
        count = page_count(response.text)
        return [response.urljoin(f"index_{i}{suffix}") for i in range(1, count)]
