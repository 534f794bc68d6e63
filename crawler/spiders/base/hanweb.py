"""Hanweb JCMS (大汉), the platform of Zhejiang's sites (杭州 and its departments, 宁波 …).

What a JCMS column looks like:

- the column is ``/col/col<column id>/index.html``; report pages are
  ``/art/<Y>/<M>/<D>/art_<column id>_<doc id>.html``;
- the list is not in the page's markup: it is an XML island,
  ``<script type="text/xml"><datastore><nextgroup>…</nextgroup><recordset>
  <record><![CDATA[<li><a href="/art/…">title</a><span>date</span></li>]]></record>…``,
  holding the first group of records (``groupSize`` pages of ``perPage``), which the
  ``jpage`` script shows page by page;
- further records come from the data proxy, ``/module/web/jpage/dataproxy.jsp?
  startrecord=46&endrecord=90&perpage=15`` with the column's parameters (``col``,
  ``appid``, ``webid``, ``path``, ``columnid``, ``sourceContentType``, ``unitid``,
  ``webname``, ``permissiontype``, printed in the page's ``jpage({...})`` call), which
  answers ``<datastore><totalrecord>…<recordset>`` with records of the same form.
  The site's script POSTs the column's parameters as a form; we send them in the query
  string instead, as the ``<nextgroup>`` link itself does (a JSP reads request parameters
  from either — inferred, not tried on a live site), which keeps every list page a plain GET
  the dupefilter and the cache understand;
- attachments are ``/module/download/downfile.jsp?…&filename=<name>.pdf`` links or
  files under ``/picture/…``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain
from urllib.parse import parse_qsl, urlencode, urlsplit

from parsel import Selector
from scrapy.http import Response

from crawler.spiders.base.platform import ATTACHMENT_EXTENSIONS, MAX_PAGES, ListItem, Platform, merged

PROXY = "/module/web/jpage/dataproxy.jsp"
#: parameters of the column the proxy needs, in the order the sites' scripts send them
PROXY_PARAMS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_JPAGE = re.compile(r"\.jpage\s*\(\s*\{(.*?)\}\s*\)", re.S)
_SETTING = re.compile(r"""\b(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([\w.]+))""")
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S)


def records(text: str) -> list[Selector]:
    """The datastore's records, each an HTML fragment."""
    return [Selector(text=fragment) for fragment in _RECORD.findall(text)]


def jpage_settings(text: str) -> dict[str, str]:
    """The ``jpage({...})`` call's settings, its ``ajaxParam`` flattened in."""
    m = _JPAGE.search(text)
    if not m:
        return {}
    return {k: next(v for v in vals if v) if any(vals) else "" for k, *vals in _SETTING.findall(m.group(1))}


class Hanweb(Platform):
    name = "hanweb"
    detail_path = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$")

    def list_items(self, response: Response) -> Iterator[ListItem]:
        # records first: a data-proxy answer served as text/html parses its CDATA as markup, where
        # a date inside the link (``<a><span>title</span><i>date</i></a>``) is not beside it
        in_records = (item for record in records(response.text)
                      for item in self.links(record.xpath("//a[@href]"), response,
                                             date_text=" ".join(record.xpath("//text()").getall())))
        return merged(chain(in_records, super().list_items(response)))  # and a column rendered as plain markup

    def sub_columns(self, response: Response, root: str) -> Iterable[str]:
        return []  # a JCMS column's children are other /col/col<id>/ columns: the registry names them

    def more_pages(self, response: Response) -> Iterable[str]:
        """The data proxy's answers for the records the page does not hold."""
        if urlsplit(response.url).path.endswith(PROXY):
            return []  # only the column page plans the others
        text = response.text
        settings = jpage_settings(text)
        try:
            total = int(settings.get("totalRecord") or 0)
            per_page = max(1, int(settings.get("perPage") or 15))
            group = max(1, int(settings.get("groupSize") or 3))
        except ValueError:
            return []
        shown = len(records(text))
        params = {k: settings[k] for k in PROXY_PARAMS if k in settings}
        if m := _NEXTGROUP.search(text):  # older pages print the column's parameters only here
            href = Selector(text=m.group(1)).xpath("//a/@href").get() or ""
            for k, v in parse_qsl(urlsplit(href).query, keep_blank_values=True):
                if k in PROXY_PARAMS:
                    params.setdefault(k, v)
        if "columnid" not in params or total <= shown:
            return []
        step = per_page * group
        urls = []
        for start in range(shown + 1, total + 1, step):
            query = {"startrecord": start, "endrecord": min(start + step - 1, total), "perpage": per_page, **params}
            urls.append(response.urljoin(f"{PROXY}?{urlencode(query)}"))
        return urls[:MAX_PAGES]

    def attachments(self, response: Response) -> Iterator[str]:
        yield from super().attachments(response)
        for a in response.xpath("//a[@href]"):
            url = response.urljoin(a.attrib["href"].strip()).split("#", 1)[0]
            parts = urlsplit(url)
            if parts.path.endswith("downfile.jsp"):
                name = dict(parse_qsl(parts.query)).get("filename", "")
                if name.lower().endswith(ATTACHMENT_EXTENSIONS):
                    yield url
