"""Chengdu's 政府信息公开目录 (gkml) platform, on the city portal and the districts' sites.

A column is ``/gkml/<department>/<category>/`` whose list pages are
``column-index-1.shtml``, ``column-index-2.shtml`` …; report pages are
``/gkml/<department>/<category>/<19-digit id>.shtml``. The list does not link its items:
each is a ``<div class="li" onclick="window.open('<url>','_blank')">`` (or an ``li`` with
the same ``onclick``) holding the title and the date, so items are read from the
``onclick`` attribute. Attachments sit in ``<div class="other">`` beside the article.

The real sites answer a first visit with ``412`` and a cookie challenge computed by
script; the crawler does not run scripts, so those sites stay failing (and say so in the
run's per-site stats) until a challenge-free way in is known.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain

from scrapy.http import Response

from crawler.spiders.base.platform import ListItem, Platform, iso_date, merged, text_of

_OPEN = re.compile(r"""window\.open\(\s*['"]([^'"]+)['"]""")


class Gkml(Platform):
    name = "gkml"
    detail_path = re.compile(r"/gkml/(?:[\w-]+/)+\d{15,20}\.shtml$")
    list_page_path = re.compile(r"/column-index-\d+\.shtml$")

    def list_items(self, response: Response) -> Iterator[ListItem]:
        return merged(chain(super().list_items(response), self._opened(response)))

    def _opened(self, response: Response) -> Iterator[ListItem]:
        """Items a script opens: ``onclick="window.open('…')"``."""
        for node in response.xpath("//*[@onclick]"):
            if m := _OPEN.search(node.attrib["onclick"]):
                url = response.urljoin(m.group(1).strip()).split("#", 1)[0]
                title = self._title(node)
                if self.is_listed_report(url, title):
                    yield ListItem(url=url, title=title, date=iso_date(text_of(node)))

    @staticmethod
    def _title(node) -> str | None:
        """The ``title`` attribute of the item or its title span, else the span's text."""
        if title := (node.xpath("(descendant-or-self::*/@title)[1]").get() or "").strip():
            return title
        spans = node.xpath(".//*[contains(concat(' ', @class, ' '), ' s2 ') or contains(concat(' ', @class, ' '), ' cont ')]")
        return (text_of(spans[0]) if spans else text_of(node)) or None
