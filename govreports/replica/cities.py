"""Replica sites of the cities beyond Chongqing: at least one site per publishing platform
(TRS with per-year sub-columns, Hanweb JCMS, Jiangsu's gknb, Guangdong, Shanghai,
Sichuan, Chengdu's gkml), each laid out as the real portals named in shared/PORTALS.md
and notes/cities-research are (hosts, column paths, URL patterns, paging), with the traps
those portals set. `build_cities()` returns the files, rules, expected reports and traps;
`govreports.replica.build` writes them beside the Chongqing sites.

Page chrome (header, navigation, article markup) is the corpus's TRS-like template on
every platform: what a platform's spider reads is the URL scheme, the list markup and
the pager, and those are each platform's own here.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode, urlsplit

from govreports.corpus.agencies import Agency
from govreports.corpus.render_docx import render_docx
from govreports.corpus.render_html import render_guide, render_html, render_list_page, render_page
from govreports.corpus.render_pdf import render_pdf
from govreports.corpus.spec import ReportSpec, expected_facts, make_spec
from govreports.replica.server import canonical_query

SEED0 = 8000  # report i of the cities' plan is make_spec(SEED0 + i, …)
OSS_HOST = "zjjcmspublic.oss-cn-hangzhou-zwynet-d01-a.internet.cloud.zj.gov.cn"  # Zhejiang JCMS attachments
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"


@dataclass(frozen=True)
class Report:
    column: str  # the list column (directory) that lists it
    name: str  # the publishing agency
    kind: str  # government, general_office, department, township, development_zone
    year: int
    fmt: str = "html"  # html, pdf, docx (pdf/docx: a notice page with the file attached)


@dataclass(frozen=True)
class CitySite:
    spider: str
    host: str
    aliases: tuple[str, ...]
    name: str  # the portal's name
    region: str  # 北京市东城区
    short: str
    cms: str
    start: str  # the registry column: a directory or its list page
    columns: tuple[tuple[str, str], ...]  # (directory, name), parents before children
    reports: tuple[Report, ...]
    page_size: int
    copies: str  # README: which real pages this site copies
    level: str = "city"

    def agency(self, r: Report) -> Agency:
        return Agency(r.name, self.region, r.kind, self.host, r.column, self.name, self.short, self.level)

    @property
    def chrome(self) -> Agency:
        return Agency(self.name, self.region, "government", self.host, self.columns[0][0], self.name, self.short,
                      self.level)


def _site(spider, host, aliases, name, region, short, cms, start, columns, reports, page_size, copies, level="city"):
    return CitySite(spider, host, tuple(aliases), name, region, short, cms, start, tuple(columns), tuple(reports),
                    page_size, copies, level)


BJ, BJDC = "/gongkai/zfxxgk/gknb/", "/zfxxgkzl/zfxxgknb/"
TJ, TJFG = "/zwgk/zfxxgkzl/gknb/", "/zwgk_47325/zfxxgk1/zfxxgknb1/"
JN, SH = "/jnqrmzf/xxgkzl/zfxxgkndbg/", "/nw12344/"
GZ, XH, CGW = "/zfjgzy/gzsrmzfbgt/zfxxgknb/", "/col/col1229312560/", "/col/col1229473546/"
CD, CDRSS, KFQ = "/gkml/cdsrmzfbgt/zfxxgknb/", "/cdrss/c130702/", "/sjjkfq/gknb/"

SITES: tuple[CitySite, ...] = (
    _site("bj", "www.beijing.gov.cn", ["beijing.gov.cn"], "北京市人民政府", "北京市", "市政府", "trs", BJ,
          [(BJ, "政府信息公开年度报告")],
          [Report(BJ, "北京市人民政府", "government", y) for y in (2021, 2022, 2023)]
          + [Report(BJ, "北京市人民政府", "government", 2024, "pdf")], 3,
          "www.beijing.gov.cn: 2024 report https://www.beijing.gov.cn/gongkai/zfxxgk/gknb/202503/t20250331_4050078.html "
          "(TRS); every page has a Traditional-Chinese copy under /gate/big5/www.beijing.gov.cn/…; hackwaw.com "
          "mirrors the same paths.", "municipal"),
    _site("bj", "www.bjdch.gov.cn", ["bjdch.gov.cn"], "北京市东城区人民政府", "北京市东城区", "东城区政府", "trs", BJDC,
          [(BJDC, "政府信息公开年度报告"), (f"{BJDC}2022nb/", "2022年度"), (f"{BJDC}2022nb/dcqzf2022/", "区政府"),
           (f"{BJDC}2022nb/dcgzfbm2022/", "区政府部门"), (f"{BJDC}2023nb/", "2023年度"),
           (f"{BJDC}2023nb/dcqzf2023/", "区政府"), (f"{BJDC}2023nb/dcgzfbm2023/", "区政府部门")],
          [Report(f"{BJDC}2022nb/dcqzf2022/", "北京市东城区人民政府", "government", 2022),
           Report(f"{BJDC}2022nb/dcgzfbm2022/", "北京市东城区教育委员会", "department", 2022),
           Report(f"{BJDC}2023nb/dcqzf2023/", "北京市东城区人民政府", "government", 2023),
           Report(f"{BJDC}2023nb/dcgzfbm2023/", "北京市东城区住房和城乡建设委员会", "department", 2023, "pdf"),
           Report(f"{BJDC}2023nb/dcgzfbm2023/", "北京市东城区东华门街道办事处", "township", 2023)], 10,
          "www.bjdch.gov.cn: per-year sub-columns, 2023 reports …/zfxxgknb/2023nb/dcqzf2023/202403/t20240305_3580286.html "
          "(区政府) and …/2023nb/dcgzfbm2023/202401/t20240119_3540002.html (区住房城乡建设委).", "county"),
    _site("tj", "www.tj.gov.cn", ["tj.gov.cn"], "天津市人民政府", "天津市", "市政府", "trs", TJ,
          [(TJ, "政府信息公开年度报告")] + [(f"{TJ}xxgknb{y}/", f"{y}年") for y in (2022, 2023, 2024)]
          + [(f"{TJ}xxgknb{y}/tjsrmzf/", "市政府") for y in (2022, 2023, 2024)],
          [Report(f"{TJ}xxgknb2022/tjsrmzf/", "天津市人民政府", "government", 2022),
           Report(f"{TJ}xxgknb2023/tjsrmzf/", "天津市人民政府", "government", 2023),
           Report(f"{TJ}xxgknb2024/tjsrmzf/", "天津市人民政府", "government", 2024, "pdf")], 10,
          "www.tj.gov.cn: one sub-column per year, …/gknb/xxgknb2020/tjsrmzf/202103/t20210330_5402052.html; TRS "
          "attachments W0<date><digits>.pdf beside the page.", "municipal"),
    _site("tj", "fzgg.tj.gov.cn", [], "天津市发展和改革委员会", "天津市", "市发展改革委", "trs", TJFG,
          [(TJFG, "政府信息公开年度报告")],
          [Report(TJFG, "天津市发展和改革委员会", "department", y) for y in (2021, 2022)]
          + [Report(TJFG, "天津市发展和改革委员会", "department", 2023, "docx")], 2,
          "fzgg.tj.gov.cn: …/zfxxgknb1/202301/t20230129_6089291.html; paged 2 a page here (TRS createPageHTML).",
          "municipal"),
    _site("nj", "www.jiangning.gov.cn", ["jiangning.gov.cn"], "南京市江宁区人民政府", "江苏省南京市江宁区", "江宁区政府",
          "trs", JN, [(JN, "政府信息公开年度报告")],
          [Report(JN, "南京市江宁区人民政府", "government", y) for y in (2021, 2022, 2023, 2024)]
          + [Report(JN, "南京市江宁区教育局", "department", 2023, "pdf")], 2,
          "www.jiangning.gov.cn: …/jnqrmzf/xxgkzl/zfxxgkndbg/202502/t20250211_5071981.html (TRS, Nanjing-wide docids).",
          "county"),
    _site("sh", "www.shanghai.gov.cn", ["shanghai.gov.cn"], "上海市人民政府", "上海市", "市政府", "shanghai", SH,
          [(SH, "政府信息公开年度报告")],
          [Report(SH, "上海市人民政府", "government", y) for y in (2020, 2021, 2022, 2023)]
          + [Report(SH, "上海市人民政府办公厅", "general_office", 2023, "pdf")], 2,
          "www.shanghai.gov.cn: /nw12344/20240329/d7775c906c0b402a93cbebf4e979c002.html (2023); the list prints every "
          "item twice, with and without its date (seen by crawler code).", "municipal"),
    _site("gz", "www.gz.gov.cn", ["gz.gov.cn"], "广州市人民政府", "广东省广州市", "市政府", "guangdong", GZ,
          [(GZ, "政府信息公开年报"), (f"{GZ}sbj/", "市本级"), (f"{GZ}bm/", "市政府部门"), (f"{GZ}bm/2023n/", "2023年"),
           (f"{GZ}bm/2024n/", "2024年"), (f"{GZ}gq/", "各区")],
          [Report(f"{GZ}sbj/", "广州市人民政府", "government", 2022),
           Report(f"{GZ}sbj/", "广州市人民政府", "government", 2023),
           Report(f"{GZ}bm/2023n/", "广州市人民政府办公厅", "general_office", 2023),
           Report(f"{GZ}bm/2023n/", "广州市城市管理和综合执法局", "department", 2023, "pdf"),
           Report(f"{GZ}bm/2024n/", "广州市人民政府办公厅", "general_office", 2024),
           Report(f"{GZ}gq/", "广州市花都区人民政府", "government", 2023)], 10,
          "www.gz.gov.cn: …/zfxxgknb/bm/2023n/content/post_9469010.html, …/sbj/content/post_9530991.html, "
          "…/gq/content/post_9492822.html (花都区); attachments /attachment/7/7952/7952736/….pdf; 156152.com mirrors "
          "the paths.", "city"),
    _site("hz", "www.hzxh.gov.cn", ["hzxh.gov.cn"], "杭州市西湖区人民政府", "浙江省杭州市西湖区", "西湖区政府", "hanweb",
          f"{XH}index.html", [(XH, "政府信息公开年报")],
          [Report(XH, "杭州市西湖区人民政府", "government", y) for y in (2020, 2021, 2022, 2023, 2024)]
          + [Report(XH, "杭州市西湖区人民政府办公室", "general_office", 2024)], 2,
          "www.hzxh.gov.cn: /art/2025/2/8/art_1229312560_4330958.html in column 1229312560 (JCMS: list in a "
          "<datastore> island, further records from /module/web/jpage/dataproxy.jsp).", "county"),
    _site("hz", "cgw.hangzhou.gov.cn", [], "杭州市城市管理局", "浙江省杭州市", "市城管局", "hanweb", f"{CGW}index.html",
          [(CGW, "政府信息公开年报")],
          [Report(CGW, "杭州市城市管理局", "department", 2022),
           Report(CGW, "杭州市城市管理局", "department", 2023, "pdf")], 15,
          "cgw.hangzhou.gov.cn: /art/2024/1/22/art_1229473546_88138.html; JCMS attachments on the province's OSS host "
          f"{OSS_HOST}.", "city"),
    _site("cd", "www.chengdu.gov.cn", ["chengdu.gov.cn"], "成都市人民政府", "四川省成都市", "市政府办公厅", "gkml",
          f"{CD}column-index-1.shtml", [(CD, "政府信息公开年度报告")],
          [Report(CD, "成都市人民政府办公厅", "general_office", y) for y in (2021, 2022, 2023, 2024)], 3,
          "www.chengdu.gov.cn gkml platform (crawler code: /gkml/<dept>/<category>/column-index-<n>.shtml, items opened "
          "by onclick=window.open, 19-digit article ids); the 年报 column slug is a guess.", "city"),
    _site("cd", "cdhrss.chengdu.gov.cn", [], "成都市人力资源和社会保障局", "四川省成都市", "市人社局", "sichuan",
          f"{CDRSS}list.shtml", [(CDRSS, "政府信息公开年报")],
          [Report(CDRSS, "成都市人力资源和社会保障局", "department", y) for y in (2022, 2023)]
          + [Report(CDRSS, "成都市人力资源和社会保障局", "department", 2024, "docx")], 2,
          "cdhrss.chengdu.gov.cn: Sichuan /<site>/c<column>/list.shtml columns (/cdrss/c130700/list.shtml in crawler "
          "code) and /c<column>/<YYYYMM>/<32 hex>.shtml pages (fgw.my.gov.cn); this column id is a guess.", "city"),
    _site("sq", "kfq.suqian.gov.cn", [], "宿迁经济技术开发区管理委员会", "江苏省宿迁市", "经开区管委会", "jiangsu",
          f"{KFQ}index.shtml", [(KFQ, "政府信息公开年报")],
          [Report(KFQ, "宿迁经济技术开发区管理委员会", "development_zone", y) for y in (2021, 2022, 2023)], 2,
          "kfq.suqian.gov.cn: /sjjkfq/gknb/202402/858cfdc6846d406797098669520e29bb.shtml (Jiangsu intensive platform).",
          "city"),
)


# ------------------------------------------------------------------ URLs per platform
def _hex(rng: random.Random) -> str:
    return "%032x" % rng.getrandbits(128)


def page_url(site: CitySite, column: str, day: date, rng: random.Random) -> str:
    base = f"https://{site.host}{column}"
    match site.cms:
        case "trs":
            return f"{base}{day:%Y%m}/t{day:%Y%m%d}_{rng.randint(3_000_000, 7_900_000)}.html"
        case "guangdong":
            return f"{base}content/post_{rng.randint(9_000_000, 10_900_000)}.html"
        case "shanghai":
            return f"{base}{day:%Y%m%d}/{_hex(rng)}.html"
        case "jiangsu" | "sichuan":
            return f"{base}{day:%Y%m}/{_hex(rng)}.shtml"
        case "gkml":
            return f"{base}{rng.randint(10**18, 2 * 10**18)}.shtml"
        case "hanweb":
            col = column.strip("/").rsplit("col", 1)[1]
            return f"https://{site.host}/art/{day.year}/{day.month}/{day.day}/art_{col}_{rng.randint(80_000, 4_400_000)}.html"
    raise ValueError(f"no URL scheme for platform {site.cms!r}")


def attachment_url(site: CitySite, page: str, ext: str, rng: random.Random) -> str:
    here = page.rsplit("/", 1)[0] + "/"
    match site.cms:
        case "trs":  # W0 + the page's date + digits, as on tj.gov.cn
            day = page.rsplit("/t", 1)[1][:8]
            return f"{here}W0{day}{rng.randint(10**11, 10**12 - 1)}.{ext}"
        case "guangdong":
            n = rng.randint(7_000_000, 7_999_999)
            return f"https://{site.host}/attachment/7/{str(n)[:4]}/{n}/{page.rsplit('_', 1)[1].split('.')[0]}.{ext}"
        case "hanweb":
            return f"https://{OSS_HOST}/jcms_files/jcms1/web{rng.randint(1000, 4000)}/site/attach/0/{_hex(rng)}.{ext}"
        case "sichuan":
            return f"{page.rsplit('.', 1)[0]}/files/{_hex(rng)}.{ext}"
    return f"{here}{_hex(rng)}.{ext}"


# ------------------------------------------------------------------ pages
@dataclass
class Published:
    site: CitySite
    report: Report
    spec: ReportSpec
    document_url: str
    files: dict[str, bytes] = field(default_factory=dict)

    def entry(self) -> dict:
        return {"spider": self.site.spider, **report_entry(
            self.spec, document_url=self.document_url, host=self.site.host, column=self.report.column,
            fmt=self.report.fmt, encoding="utf-8" if self.report.fmt == "html" else None)}


def report_entry(spec: ReportSpec, *, document_url: str, host: str, column: str, fmt: str,
                 encoding: str | None) -> dict:
    """A report as expected.json lists it: where it is published, and the facts a correct
    normalization gives."""
    return {
        "source_url": spec.url, "document_url": document_url, "host": host, "column": column,
        "agency_name": spec.agency.name, "agency_kind": spec.agency.kind, "year": spec.year, "format": fmt,
        "format_version": spec.format_version, "title": spec.title, "publish_date": spec.publish_date.isoformat(),
        "encoding": encoding, "seed": spec.seed,
        "facts": [[f.table, f.row_key, f.col_key, f.value, f.value_flag, f.unit] for f in expected_facts(spec)],
    }


def _tree(url: str) -> str:
    return url.split("://", 1)[1]


def publish(site: CitySite, report: Report, seed: int) -> Published:
    rng = random.Random(f"city-replica-{seed}")
    spec = make_spec(seed, year=report.year, agency=site.agency(report), quirks=())
    spec = replace(spec, page_url=page_url(site, report.column, spec.publish_date, rng))
    if report.fmt == "html":
        return Published(site, report, spec, spec.url, {_tree(spec.url): render_html(spec)})
    doc_url = attachment_url(site, spec.url, report.fmt, rng)
    data = {"pdf": render_pdf, "docx": render_docx}[report.fmt](spec)
    t = html.escape(spec.title, quote=False)
    here = spec.url.rsplit("/", 1)[0] + "/"
    href = "./" + doc_url[len(here):] if doc_url.startswith(here) else doc_url
    body = "\n".join([
        f'<p style="text-indent:2em">《{t}》全文见附件。</p>',
        f'<div class="other"><p>附件：</p><a href="{html.escape(href)}" title="{html.escape(spec.title)}.{report.fmt}">'
        f"{t}.{report.fmt}</a></div>",
        '<p><a href="/images/site_manual.pdf">网站使用手册.pdf</a></p>',
    ])
    page = render_page(agency=spec.agency, title=spec.title, publish_date=spec.publish_date, seed=spec.seed,
                       url=spec.url, body=body, column="政府信息公开年报")
    return Published(site, report, spec, doc_url, {_tree(spec.url): page, _tree(doc_url): data})


@dataclass
class Entry:
    url: str
    title: str
    day: date


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def _name(cms: str, n: int, first: str) -> str:
    """The file name of list page n (0-based) on a platform."""
    if n == 0:
        return first
    stem, ext = first.rsplit(".", 1)
    return {"trs": f"index_{n}.{ext}", "jiangsu": f"index_{n}.{ext}", "gkml": f"column-index-{n + 1}.{ext}"}.get(
        cms, f"{stem}_{n + 1}.{ext}")


def list_pages(site: CitySite, column: str, name: str, entries: list[Entry]) -> dict[str, bytes]:
    """A column's list pages on the site's platform ("host/path" → bytes)."""
    first = (site.start.rsplit("/", 1)[1] if site.start.startswith(column) and not site.start.endswith("/")
             else "index.html")
    if site.cms == "hanweb":
        return _hanweb_pages(site, column, name, entries)
    pages = _chunks(entries, site.page_size)
    subs = [(n, "./" + p[len(column):]) for p, n in site.columns
            if p != column and p.startswith(column) and "/" not in p[len(column):].rstrip("/")]
    out = {}
    for i, chunk in enumerate(pages):
        url = f"https://{site.host}{column}{_name(site.cms, i, first)}"
        items = [(e.url.split(site.host, 1)[1] if urlsplit(e.url).hostname == site.host else e.url, e.title,
                  e.day.isoformat()) for e in chunk]
        if site.cms == "trs":
            pager = None
        else:  # a markup pager: first, previous, numbered, next and last pages (repeats included, as printed)
            names = [_name(site.cms, k, first) for k in range(len(pages))]
            pager = [("首页", names[0])] + ([("上一页", names[i - 1])] if i else [])
            pager += [(str(k + 1), n) for k, n in enumerate(names)]
            pager += ([("下一页", names[i + 1])] if i + 1 < len(pages) else []) + [("尾页", names[-1])]
        data = render_list_page(site=site.chrome, column=name, url=url, seed=f"{site.host}{column}", items=items,
                                page=i, pages=len(pages), total=len(entries), sub_columns=subs if i == 0 else [],
                                side_columns=[("首页", "/")], breadcrumb=[(name, column)], pager_links=pager)
        if site.cms == "gkml":
            data = _onclick_items(data)
        if site.cms == "shanghai":
            data = _twice(data, items)
        out[_tree(url)] = data
    return out


def _onclick_items(page: bytes) -> bytes:
    """gkml lists open items by script: ``<div class="li" onclick="window.open('…')">``, no link."""
    from lxml import html as lhtml

    text = page.decode("utf-8")
    doc = lhtml.fromstring(page)
    for li in doc.xpath('//ul[@class="list"]/li'):
        a = li.find("a")
        old = lhtml.tostring(li, encoding="unicode").strip()
        new = (f'<div class="li" onclick="window.open(\'{a.get("href")}\',\'_blank\')">'
               f'<span class="s2" title="{html.escape(a.get("title"))}">{html.escape(a.text_content())}</span>'
               f'<span class="s3">{html.escape(li.findtext("span") or "")}</span></div>')
        text = text.replace(old, new, 1)
    return text.encode("utf-8")


def _twice(page: bytes, items: list[tuple[str, str, str]]) -> bytes:
    """Shanghai's list prints each item twice: the dated list, and a compact one without dates."""
    compact = "".join(f'<li><a href="{href}" title="{html.escape(title)}">{html.escape(title)}</a></li>'
                      for href, title, _ in items)
    return page.replace(b'<div class="page">', f'<ul class="list-compact">{compact}</ul>\n<div class="page">'.encode(), 1)


def _record(e: Entry, host: str) -> str:
    href = e.url.split(host, 1)[1] if urlsplit(e.url).hostname == host else e.url
    return (f"<record><![CDATA[<li><a href=\"{href}\" target=\"_blank\" title=\"{html.escape(e.title)}\">"
            f"{html.escape(e.title)}</a><span>{e.day.isoformat()}</span></li>]]></record>")


def hanweb_params(site: CitySite, column: str) -> dict[str, str]:
    rng = random.Random(f"jcms-{site.host}{column}")
    return {"col": "1", "appid": "1", "webid": str(rng.randint(1, 4000)), "path": "/",
            "columnid": column.strip("/").rsplit("col", 1)[1], "sourceContentType": "1",
            "unitid": str(rng.randint(100_000, 7_000_000)), "webname": site.name, "permissiontype": "0"}


def _hanweb_pages(site: CitySite, column: str, name: str, entries: list[Entry]) -> dict[str, bytes]:
    """The column page holds the first group of records in its <datastore>; the data proxy
    answers the others, stored as dataproxy.jsp@<query> (the replica server's convention)."""
    per_page, group = site.page_size, 1
    p = hanweb_params(site, column)
    shown = entries[:per_page * group]
    nextgroup = f"{HANWEB_PROXY}?" + urlencode({"page": 1, **{k: p[k] for k in p if k not in ("col", "sourceContentType")}})
    island = (f'<div id="{p["unitid"]}"><script type="text/xml"><datastore>\n'
              f"<nextgroup><![CDATA[<a href=\"{html.escape(nextgroup)}\"></a>]]></nextgroup>\n<recordset>\n"
              + "\n".join(_record(e, site.host) for e in shown) + "\n</recordset>\n</datastore></script></div>\n")
    ajax = ",".join(f"{k}:'{v}'" for k, v in p.items())
    script = (f"<script type=\"text/javascript\">$('#{p['unitid']}').jpage({{themeName:'default',showMode:'full',"
              f"totalRecord:{len(entries)},openCookies:false,dataStore:dataStore,groupSize:{group},"
              f"proxyUrl:'{HANWEB_PROXY}',perPage:{per_page},barPosition:'bottom',ajaxParam:{{{ajax}}}}});</script>")
    url = f"https://{site.host}{column}index.html"
    data = render_list_page(site=site.chrome, column=name, url=url, seed=f"{site.host}{column}", items=[], page=0,
                            pages=1, total=len(entries), side_columns=[("首页", "/")], breadcrumb=[(name, column)],
                            pager_links=[])
    data = data.replace(b'<ul class="list">\n</ul>', (island + script).encode("utf-8"), 1)
    out = {_tree(url): data}
    step = per_page * group
    for start in range(len(shown) + 1, len(entries) + 1, step):
        end = min(start + step - 1, len(entries))
        query = canonical_query(urlencode({"startrecord": start, "endrecord": end, "perpage": per_page, **p}))
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
               f"<totalrecord>{len(entries)}</totalrecord>\n<totalpage>{-(-len(entries) // per_page)}</totalpage>\n"
               "<recordset>\n" + "\n".join(_record(e, site.host) for e in entries[start - 1:end])
               + "\n</recordset>\n</datastore>\n")
        out[f"{site.host}{HANWEB_PROXY}@{query}"] = xml.encode("utf-8")
    return out


# ------------------------------------------------------------------ the build
@dataclass
class Cities:
    files: dict[str, bytes]
    published: list[Published]
    traps: list[dict]
    aliases: dict[str, str]


def build_cities(gambling: Callable[[bytes], bytes]) -> Cities:
    """Every file of the cities' sites, their expected reports and their traps."""
    files: dict[str, bytes] = {}
    published: list[Published] = []
    i = 0
    for site in SITES:
        for report in site.reports:
            published.append(publish(site, report, SEED0 + i))
            i += 1
    for p in published:
        files.update(p.files)
    entries: dict[tuple[str, str], list[Entry]] = {(s.host, c): [] for s in SITES for c, _ in s.columns}
    for p in published:
        entries[(p.site.host, p.report.column)].append(Entry(p.spec.url, p.spec.title, p.spec.publish_date))
    traps: list[dict] = []
    by_site = {s.host: s for s in SITES}

    def first(host: str, year: int, column: str | None = None) -> Published:
        return next(p for p in published if p.site.host == host and p.spec.year == year
                    and (column is None or p.report.column == column))

    def trap(kind: str, url: str, host: str, column: str, note: str) -> None:
        traps.append({"kind": kind, "url": url, "linked_from": [f"https://{host}{column}"], "note": note})

    # Beijing: each page's Big5 gateway copy is linked beside it; a spam mirror copies the 2023 page
    bj = first("www.beijing.gov.cn", 2022)
    big5 = bj.spec.url.replace("https://www.beijing.gov.cn/", "https://www.beijing.gov.cn/gate/big5/www.beijing.gov.cn/")
    files[_tree(big5)] = bj.files[_tree(bj.spec.url)]
    entries[("www.beijing.gov.cn", BJ)].append(Entry(big5, bj.spec.title + "（繁体）", bj.spec.publish_date))
    trap("big5_copy", big5, "www.beijing.gov.cn", BJ, "the Traditional-Chinese gateway copy of a listed report: "
         "the same report, never fetched as another")
    bj23 = first("www.beijing.gov.cn", 2023)
    mirror = "http://hackwaw.com" + bj23.spec.url.split("www.beijing.gov.cn", 1)[1]
    files[_tree(mirror)] = gambling(bj23.files[_tree(bj23.spec.url)])
    entries[("www.beijing.gov.cn", BJ)].append(Entry(mirror, bj23.spec.title, bj23.spec.publish_date))
    trap("mirror_link", mirror, "www.beijing.gov.cn", BJ, "spam mirror hackwaw.com (same path as the portal's page): "
         "not a government host, never fetched")

    # 东城: the newest year's reports are also listed on the root column (duplicate links)
    for p in published:
        if p.site.host == "www.bjdch.gov.cn" and p.spec.year == 2023:
            entries[("www.bjdch.gov.cn", BJDC)].append(Entry(p.spec.url, p.spec.title, p.spec.publish_date))
    dc = first("www.bjdch.gov.cn", 2023, f"{BJDC}2023nb/dcqzf2023/")
    trap("duplicate_link", dc.spec.url, "www.bjdch.gov.cn", BJDC, "the root column repeats the newest year's "
         "reports that the per-year sub-columns list: expected once")

    # Shanghai: a 政府信息公开指南 page in the reports' channel
    sh = by_site["www.shanghai.gov.cn"]
    gday, grng = date(2023, 2, 10), random.Random("sh-guide")
    guide = page_url(sh, SH, gday, grng)
    office = sh.agency(sh.reports[-1])
    files[_tree(guide)] = render_guide(office, gday, 91001, guide)
    entries[("www.shanghai.gov.cn", SH)].append(Entry(guide, f"{office.name}政府信息公开指南", gday))
    trap("non_report", guide, "www.shanghai.gov.cn", SH, "a 政府信息公开指南 page on the report URL pattern: not a report")

    # Guangzhou: a spam mirror with the same path as the 花都区 report
    gq = first("www.gz.gov.cn", 2023, f"{GZ}gq/")
    mirror = "http://156152.com" + gq.spec.url.split("www.gz.gov.cn", 1)[1]
    files[_tree(mirror)] = gambling(gq.files[_tree(gq.spec.url)])
    entries[("www.gz.gov.cn", f"{GZ}gq/")].append(Entry(mirror, gq.spec.title, gq.spec.publish_date))
    trap("mirror_link", mirror, "www.gz.gov.cn", f"{GZ}gq/", "spam mirror 156152.com: never fetched")

    # 西湖区: a guide among the records, so the proxy's pages mix reports and other items
    xh = by_site["www.hzxh.gov.cn"]
    gday = date(2022, 3, 1)
    guide = page_url(xh, XH, gday, random.Random("xh-guide"))
    files[_tree(guide)] = render_guide(xh.agency(xh.reports[0]), gday, 91002, guide)
    entries[("www.hzxh.gov.cn", XH)].append(Entry(guide, "杭州市西湖区人民政府政府信息公开指南", gday))
    trap("non_report", guide, "www.hzxh.gov.cn", XH, "a guide among the JCMS records (on a data-proxy page): "
         "not a report")
    trap("data_proxy", f"https://www.hzxh.gov.cn{HANWEB_PROXY}", "www.hzxh.gov.cn", f"{XH}index.html",
         "the column page holds the first records only; the rest come from the JCMS data proxy")

    for site in SITES:
        for column, name in site.columns:
            its = sorted(entries[(site.host, column)], key=lambda e: (e.day, e.url), reverse=True)
            files.update(list_pages(site, column, name, its))
    urls = [p.spec.url for p in published]
    if len(set(urls)) != len(urls):
        raise AssertionError("two city reports share a URL; change a seed")
    aliases = {a: s.host for s in SITES for a in s.aliases}
    return Cities(files, published, traps, aliases)
