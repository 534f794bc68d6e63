"""The platforms' link readers skip most links before joining them (bench/crawl.py found
`urljoin` and a Selector per link the crawl's hottest code): they must answer exactly what
the plain versions below — the code before that change — answer, on every saved page, every
page of the bundled replica and a page of awkward links."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse

from crawler.spiders.base.platform import (ATTACHMENT_EXTENSIONS, _REPORT_WORDS, Platform, directory_of, iso_date,
                                           last_segment, ListItem, merged, text_of)
from crawler.spiders.base.platforms import PLATFORMS

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the plain versions
def plain_attachments(response) -> list[str]:
    here = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
    out = []
    for a in response.xpath("//a[@href]"):
        url = response.urljoin(a.attrib["href"].strip())
        path = urlsplit(url).path
        if not path.lower().endswith(ATTACHMENT_EXTENSIONS):
            continue
        label = (a.attrib.get("title") or "") + text_of(a)
        if path.startswith(here) or _REPORT_WORDS.search(label):
            out.append(url.split("#", 1)[0])
    return out


def plain_sub_columns(response, root: str) -> list[str]:
    here = directory_of(response.url)
    out = []
    for href in response.xpath("//a/@href").getall():
        url = response.urljoin(href.strip())
        directory = directory_of(url)
        if directory and directory.startswith(root) and directory not in (here, root):
            out.append(url.split("#", 1)[0])
    return out


def plain_list_items(platform: Platform, response) -> list[ListItem]:
    def links():
        for a in response.xpath("//a[@href]"):
            url = response.urljoin(a.attrib["href"].strip()).split("#", 1)[0]
            title = (a.attrib.get("title") or "").strip() or text_of(a) or None
            if platform.is_listed_report(url, title):
                beside = " ".join(a.xpath("following-sibling::*[1]//text() | following-sibling::text()[1]").getall())
                yield ListItem(url=url, title=title, date=iso_date(beside))
    return list(merged(links()))


# ------------------------------------------------------------------ pages
AWKWARD = [
    "", "#top", "?page=2", "./", ".", "..", "../", "../..", "./.", "a/./", "sub/", "sub/index.html", "sub/index_3.shtml",
    "sub/list_2.htm", "sub/Index.html", "sub/index.html#x", "sub/index.html?x=1", "P020240101.pdf", "P0.PDF",
    "file.pdf?download=1", "file.pdf#page=2", "file.pdf;jsessionid=1", "file.p\ndf", " file.docx ", "\tfile.xls\n",
    "file.pdf/", "file.pdf/.", "file.pdf/..", "dir.pdf/x.html", "/zwgk/a.wps", "//www.x.gov.cn/a.doc",
    "https://www.x.gov.cn", "https://www.x.gov.cn/", "https://a.pdf", "https://www.x.gov.cn/a/b.zip",
    "javascript:void(0)", "javascript:open('a.pdf')", "mailto:a@b.pdf", "ftp://x.gov.cn/a.pdf", "http://h/dir/..",
    "../other/2023年度报告.pdf", "%E5%B9%B4%E6%8A%A5.pdf", "t20240101_1.html", "../202401/t20240101_2.html",
    "/zwgk_175/zfxxgknb/dzq/", "/zwgk_175/zfxxgknb/dzq/index.html", "/zwgk_175/zfxxgknb/", "/zwgk_175/zfxxgknb",
]


def awkward_page(url: str) -> HtmlResponse:
    links = "\n".join(f'<li><a href="{h}" title="年报 {i}">链接{i}</a><span>2024-01-{1 + i % 28:02d}</span></li>'
                      for i, h in enumerate(AWKWARD))
    links += '\n<li><a href="x.pdf">附件</a></li><li><a href="/site/manual.pdf">操作手册</a></li>'
    body = f"<html><head><title>t</title></head><body><ul>{links}</ul></body></html>".encode()
    return HtmlResponse(url=url, body=body, encoding="utf-8")


def replica_pages() -> list[tuple[str, HtmlResponse]]:
    """(the platform of its site, the page) for every HTML page of the bundled replica."""
    from govreports.replica.cities import SITES

    cms = {s.host: s.cms for s in SITES}
    out = []
    for f in sorted((ROOT / "replica").glob("*/**/*")):
        if f.suffix not in (".html", ".shtml", ".htm") or not f.is_file():
            continue
        host = f.relative_to(ROOT / "replica").parts[0]
        url = "https://" + "/".join(f.relative_to(ROOT / "replica").parts)
        out.append((cms.get(host, "trs"), HtmlResponse(url=url, body=f.read_bytes())))
    return out


def fixture_pages() -> list[tuple[str, HtmlResponse]]:
    out = []
    for f in sorted((ROOT / "tests" / "fixtures").glob("*/*")):
        if f.suffix in (".html", ".shtml"):
            out.append((f.parent.name, HtmlResponse(url=f"https://www.x.gov.cn/a/b/{f.name}", body=f.read_bytes())))
    return out


def _check(platform: Platform, response: HtmlResponse) -> None:
    base = Platform.attachments.__get__(platform)  # the platforms that override attachments do not use this one
    assert list(base(response)) == plain_attachments(response)
    path = urlsplit(response.url).path
    for root in {path.rsplit("/", 1)[0] + "/", path.rsplit("/", 2)[0] + "/", "/"}:
        assert list(Platform.sub_columns(platform, response, root)) == plain_sub_columns(response, root)
    assert list(Platform.list_items(platform, response)) == plain_list_items(platform, response)


@pytest.mark.parametrize("url", ["https://www.x.gov.cn/a/b/t20240101_9.html", "https://www.x.gov.cn/a/b/",
                                 "https://www.x.gov.cn/a/b/index_1.html", "https://www.x.gov.cn/file.pdf"])
def test_awkward_links_are_read_as_before(url):
    for platform in PLATFORMS.values():
        _check(platform, awkward_page(url))


def test_every_saved_page_is_read_as_before():
    pages = fixture_pages()
    assert len(pages) >= 10
    for name, response in pages:
        _check(PLATFORMS.get(name, PLATFORMS["trs"]), response)


def test_every_replica_page_is_read_as_before():
    pages = replica_pages()
    assert len(pages) > 100
    found = 0
    for cms, response in pages:
        _check(PLATFORMS[cms], response)
        found += len(plain_attachments(response))
    assert found > 0  # the replica attaches files: the comparison saw some


def test_last_segment():
    assert last_segment("a/b.pdf?x#y") == "b.pdf"
    assert last_segment("a/b.p\ndf") == "b.pdf"
    assert [last_segment(h) for h in ("a/", ".", "..", "a/.", "a/..")] == [""] * 5
    assert [last_segment(h) for h in ("", "#x", "?q", "https://host", "//host")] == [None] * 5
    assert re.fullmatch(r"P0\d+\.pdf", last_segment("https://h/a/P020240101.pdf"))
