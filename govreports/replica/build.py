"""The bundled replica of real Chongqing portals: `build_replica(out)` writes
``out/<host>/<path>`` for five sites (list pages, report pages, attachments, traps),
plus ``out/_replica.toml`` (server rules), ``out/expected.json`` (what a correct crawl
finds) and ``out/README.md`` (what each site copies and where the traps are).

Everything is drawn from fixed seeds, so two builds are byte-identical; the committed
``replica/`` tree is this function's output (tests/test_replica_build.py checks it).
`add_report` publishes one more report into a built tree, for re-crawl tests.

Layout copied from the real portals (shared/PORTALS.md): TRS column directories whose
``index.html`` (then ``index_1.html`` …) lists the column's articles newest first, a
parent column listing its sub-columns' articles too, detail pages at
``<column>/YYYYMM/tYYYYMMDD_<docid>.html`` with platform-wide docids, and reports
published either as the page itself or as a ``P0YYYYMMDD…`` attachment beside it.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from govreports.corpus.agencies import Agency, docid_for
from govreports.corpus.render_docx import render_docx
from govreports.corpus.render_text import render_text
from govreports.corpus.render_html import render_guide, render_html, render_list_page, render_page
from govreports.corpus.render_pdf import render_pdf
from govreports.corpus.spec import ReportSpec, make_spec
from govreports.replica.cities import SITES as CITY_SITES
from govreports.replica.cities import Cities, build_cities, report_entry

GENERATOR = "govreports.replica.build"
RULES_NAME = "_replica.toml"
EXPECTED_NAME = "expected.json"
README_NAME = "README.md"
MIRROR_HOST = "gahcep.com"
COLUMN_NAME = "政府信息公开年报"  # what a detail page's breadcrumb and ColumnName say


# ------------------------------------------------------------------ sites
@dataclass(frozen=True)
class Column:
    path: str  # /zwgk_175/zfxxgknb/dzq/
    name: str  # what the parent's sub-column link and the breadcrumb say
    agencies: tuple[Agency, ...] = ()  # who publishes here (their Agency.column is where pages are stored)
    page_size: int = 10


@dataclass(frozen=True)
class Site:
    host: str
    aliases: tuple[str, ...]
    name: str  # the portal's name
    region: str
    short: str
    level: str
    roots: tuple[str, ...]  # the annual-report columns a crawler starts from (the registry's)
    columns: tuple[Column, ...]
    zwgk: str  # the site's 政务公开 channel (breadcrumb)
    side: tuple[tuple[str, str], ...]  # other columns of the site, for the side menu
    copies: str  # README: which real portal pages this site copies

    def column(self, path: str) -> Column:
        for c in self.columns:
            if c.path == path:
                return c
        raise KeyError(f"{self.host} has no column {path!r}; columns: {[c.path for c in self.columns]}")

    def parent(self, col: Column) -> Column | None:
        cands = [c for c in self.columns if c.path != col.path and col.path.startswith(c.path)]
        return max(cands, key=lambda c: len(c.path)) if cands else None

    def children(self, col: Column) -> list[Column]:
        return [c for c in self.columns if self.parent(c) == col]

    def ancestors(self, col: Column) -> list[Column]:
        out, p = [], self.parent(col)
        while p is not None:
            out.append(p)
            p = self.parent(p)
        return out

    @property
    def chrome(self) -> Agency:
        """The portal itself, for the list pages' header, navigation and footer."""
        return Agency(self.name, self.region, "government", self.host, self.roots[0], self.name, self.short,
                      self.level)


def _ag(name: str, region: str, kind: str, host: str, column: str, site: str, short: str,
        level: str = "county") -> Agency:
    return Agency(name, region, kind, host, column, site, short, level)


def _side(zwgk: str, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("政府信息公开指南", f"{zwgk}zfxxgkzn/"), ("政府信息公开制度", f"{zwgk}zfxxgkzd/"),
            ("法定主动公开内容", f"{zwgk}fdzdgknr/"), ("政策文件", f"{zwgk}zcwj/"),
            ("政策解读", f"{zwgk}zcjd/"), *extra)


def _sites() -> tuple[Site, ...]:
    cq, cq_site = "www.cq.gov.cn", "重庆市人民政府"
    cq_root = "/zwgk/zfxxgkzl/zfxxgknb/"
    dz, dz_site, dz_root = "www.dazu.gov.cn", "重庆市大足区人民政府", "/zwgk_175/zfxxgknb/"
    yz, yz_site, yz_root = "www.cqyz.gov.cn", "重庆市渝中区人民政府", "/zwgk_229/zfxxgknan_ew/"
    tl, tl_site, tl_root = "www.cqstl.gov.cn", "重庆市铜梁区人民政府", "/zwgk_171/zfxxgknb/"
    tl_sww, tl_plj = "/bm/qsww_71114/zwgk_70831/zfxxgknb_70842/", "/jz/pljd_70777/zwgk_70755/zfxxgknb_70772/"
    fz, fz_site, fz_root = "fzggw.cq.gov.cn", "重庆市发展和改革委员会", "/zfxxgk/zfxxgknb/"
    return (
        Site(cq, ("cq.gov.cn",), cq_site, "重庆市", "市政府", "municipal", (cq_root,), (
            Column(cq_root, COLUMN_NAME),
            Column(f"{cq_root}szf/", "市政府", (
                _ag("重庆市人民政府", "重庆市", "government", cq, f"{cq_root}szf/", cq_site, "市政府", "municipal"),),
                page_size=5),
            Column(f"{cq_root}szfbgt/", "市政府办公厅", (
                _ag("重庆市人民政府办公厅", "重庆市", "general_office", cq, f"{cq_root}szfbgt/", cq_site, "市政府办公厅",
                    "municipal"),), page_size=5),
        ), "/zwgk/", _side("/zwgk/zfxxgkzl/", ("政府公报", "/zwgk/zfgb/")),
            "www.cq.gov.cn 政府信息公开专栏 (column /zwgk/zfxxgkzl/zfxxgknb/ with 市政府 and 市政府办公厅 "
            "sub-columns). The municipal report page itself was not among the stored real pages; its text "
            "survives only on mirror sites (ztkycw.com, xasits.com), so the layout follows the district "
            "portals of the same TRS platform."),
        Site(dz, ("dazu.gov.cn",), dz_site, "重庆市大足区", "大足区政府", "county", (dz_root,), (
            Column(dz_root, COLUMN_NAME),
            Column(f"{dz_root}dzq/", "区政府", (
                _ag("重庆市大足区人民政府", "重庆市大足区", "government", dz, f"{dz_root}dzq/", dz_site, "大足区政府"),)),
            Column(f"{dz_root}qzfbm_68864/", "区政府部门"),
            Column(f"{dz_root}qzfbm_68864/qzfbgs/", "区政府办公室", (
                _ag("重庆市大足区人民政府办公室", "重庆市大足区", "general_office", dz, f"{dz_root}qzfbm_68864/qzfbgs/",
                    dz_site, "大足区政府办"),)),
            Column(f"{dz_root}qzfbm_68864/qjjxxw_68873/", "区经济信息委", (
                _ag("重庆市大足区经济和信息化委员会", "重庆市大足区", "department", dz,
                    f"{dz_root}qzfbm_68864/qjjxxw_68873/", dz_site, "区经济信息委"),)),
            Column(f"{dz_root}jznb_68866/", "镇街"),
            Column(f"{dz_root}jznb_68866/lgjd_68870/", "龙岗街道", (
                _ag("重庆市大足区龙岗街道办事处", "重庆市大足区", "township", dz, f"{dz_root}jznb_68866/lgjd_68870/",
                    dz_site, "龙岗街道", "township"),)),
        ), "/zwgk_175/", _side("/zwgk_175/"),
            "www.dazu.gov.cn: 区政府 report http://www.dazu.gov.cn/zwgk_175/zfxxgknb/dzq/202303/t20230331_11835636.html, "
            "区政府办公室 …/qzfbm_68864/qzfbgs/202401/t20240130_12882382.html, 区经济信息委 "
            "…/qzfbm_68864/qjjxxw_68873/202501/t20250117_14175876.html; the street column jznb_68866/lgjd_68870/ "
            "follows the same numbering. Its pages are copied under the same paths by the spam site gahcep.com."),
        Site(yz, ("cqyz.gov.cn",), yz_site, "重庆市渝中区", "渝中区政府", "county", (yz_root,), (
            Column(yz_root, COLUMN_NAME),
            Column(f"{yz_root}2020_504392/", "区政府"),
            Column(f"{yz_root}2020_504392/qzfbgs/", "区政府办公室", (
                _ag("重庆市渝中区人民政府办公室", "重庆市渝中区", "general_office", yz, f"{yz_root}2020_504392/qzfbgs/",
                    yz_site, "渝中区政府办"),)),
            Column(f"{yz_root}bmnb/", "部门年报", (
                _ag("重庆市渝中区经济和信息化委员会", "重庆市渝中区", "department", yz,
                    "/bm_229/qjjxxw/zwgk_97157/zfxxgknb_97166/", yz_site, "区经济信息委"),
                _ag("重庆市渝中区大数据应用发展管理局", "重庆市渝中区", "department", yz,
                    "/bm_229/qdsjfzj/zwgk_97157/zfxxgknb_97166/", yz_site, "区大数据发展局"))),
            Column(f"{yz_root}jznb/", "街道年报", (
                _ag("重庆市渝中区朝天门街道办事处", "重庆市渝中区", "township", yz,
                    "/jz_229/ctmjdbsc/zwgk_97157/zfxxgknb_97166/", yz_site, "朝天门街道", "township"),)),
        ), "/zwgk_229/", _side("/zwgk_229/"),
            "www.cqyz.gov.cn: 区政府办公室 2025 report https://www.cqyz.gov.cn/zwgk_229/zfxxgknan_ew/2020_504392/qzfbgs/"
            "202601/t20260129_15364021.html (the odd slugs zfxxgknan_ew and 2020_504392 are real); department and "
            "street reports stored on their own channels, e.g. /bm_229/qdsjfzj/zwgk_97157/zfxxgknb_97166/202501/"
            "t20250121_14188822.html, /bm_229/qjjxxw/…/202401/t20240116_12826120.html, /jz_229/ctmjdbsc/…/202601/"
            "t20260120_15339453.html, linked from the year-report column's lists."),
        Site(tl, ("cqstl.gov.cn",), tl_site, "重庆市铜梁区", "铜梁区政府", "county", (tl_root, tl_sww, tl_plj), (
            Column(tl_root, COLUMN_NAME),
            Column(f"{tl_root}tlq/", "铜梁区"),
            Column(f"{tl_root}tlq/qzfxx/", "区政府", (
                _ag("重庆市铜梁区人民政府", "重庆市铜梁区", "government", tl, f"{tl_root}tlq/qzfxx/", tl_site, "铜梁区政府"),)),
            Column(f"{tl_root}qzfbm/", "区政府部门"),
            Column(f"{tl_root}qzfbm/qzfbgs/", "区政府办公室", (
                _ag("重庆市铜梁区人民政府办公室", "重庆市铜梁区", "general_office", tl, f"{tl_root}qzfbm/qzfbgs/",
                    tl_site, "铜梁区政府办"),)),
            Column(tl_sww, "区商务委", (
                _ag("重庆市铜梁区商务委员会", "重庆市铜梁区", "department", tl, tl_sww, tl_site, "区商务委"),)),
            Column(tl_plj, "蒲吕街道", (
                _ag("重庆市铜梁区蒲吕街道办事处", "重庆市铜梁区", "township", tl, tl_plj, tl_site, "蒲吕街道", "township"),)),
        ), "/zwgk_171/", _side("/zwgk_171/", ("区商务委年报", tl_sww), ("蒲吕街道年报", tl_plj)),
            "www.cqstl.gov.cn / cqstl.gov.cn: 铜梁区 report https://cqstl.gov.cn/zwgk_171/zfxxgknb/tlq/qzfxx/202403/"
            "t20240325_13074802.html, 区政府办公室 …/qzfbm/qzfbgs/202301/t20230130_11545140.html and 202601/"
            "t20260123_15350406.html, 区商务委 /bm/qsww_71114/zwgk_70831/zfxxgknb_70842/202301/t20230117_11516121.html, "
            "蒲吕街道 /jz/pljd_70777/zwgk_70755/zfxxgknb_70772/202401/t20240123_12853398.html."),
        Site(fz, (), fz_site, "重庆市", "市发展改革委", "municipal", (fz_root,), (
            Column(fz_root, COLUMN_NAME, (
                _ag("重庆市发展和改革委员会", "重庆市", "department", fz, fz_root, fz_site, "市发展改革委", "municipal"),),
                page_size=3),
        ), "/zfxxgk/", _side("/zfxxgk/"),
            "fzggw.cq.gov.cn: 2020 report http://fzggw.cq.gov.cn/zfxxgk/zfxxgknb/202101/t20210125_8814859.html and the "
            "2018 report …/202002/t20200212_5185059_wap.html (pre-2019 format), all in one column; paged 3 a page "
            "here so the crawl has to follow TRS pagination."),
    )


SITES: tuple[Site, ...] = _sites()
SITE_BY_HOST = {s.host: s for s in SITES}


# ------------------------------------------------------------------ the reports
@dataclass(frozen=True)
class Planned:
    host: str
    column: str  # the list column that links it (path)
    year: int
    fmt: str = "html"  # html, pdf, docx, txt (pdf/docx/txt: a notice page with the file attached)
    quirks: tuple[str, ...] = ()
    agency: int = 0  # index into the column's agencies
    gbk: bool = False  # GBK page without a charset declaration


_CQ, _DZ, _YZ, _TL, _FZ = (s.host for s in SITES)
_CQR, _DZR, _YZR, _TLR = "/zwgk/zfxxgkzl/zfxxgknb/", "/zwgk_175/zfxxgknb/", "/zwgk_229/zfxxgknan_ew/", "/zwgk_171/zfxxgknb/"
_TL_SWW, _TL_PLJ = "/bm/qsww_71114/zwgk_70831/zfxxgknb_70842/", "/jz/pljd_70777/zwgk_70755/zfxxgknb_70772/"

PLAN: tuple[Planned, ...] = (
    Planned(_CQ, f"{_CQR}szf/", 2019),
    Planned(_CQ, f"{_CQR}szf/", 2020, quirks=("dash",)),
    Planned(_CQ, f"{_CQR}szf/", 2021),
    Planned(_CQ, f"{_CQR}szf/", 2022),
    Planned(_CQ, f"{_CQR}szf/", 2023),
    Planned(_CQ, f"{_CQR}szf/", 2024),
    Planned(_CQ, f"{_CQR}szfbgt/", 2021),
    Planned(_CQ, f"{_CQR}szfbgt/", 2022, "pdf"),
    Planned(_CQ, f"{_CQR}szfbgt/", 2023, quirks=("blank_zeros",)),
    Planned(_DZ, f"{_DZR}dzq/", 2021),
    Planned(_DZ, f"{_DZR}dzq/", 2022),  # retry_500
    Planned(_DZ, f"{_DZR}dzq/", 2023),  # mirrored on gahcep.com
    Planned(_DZ, f"{_DZR}qzfbm_68864/qzfbgs/", 2022),
    Planned(_DZ, f"{_DZR}qzfbm_68864/qzfbgs/", 2023),
    Planned(_DZ, f"{_DZR}qzfbm_68864/qjjxxw_68873/", 2023),  # duplicate_link: also in qzfbgs/
    Planned(_DZ, f"{_DZR}qzfbm_68864/qjjxxw_68873/", 2024, "pdf"),
    Planned(_DZ, f"{_DZR}jznb_68866/lgjd_68870/", 2024, "docx"),
    Planned(_YZ, f"{_YZR}2020_504392/qzfbgs/", 2021),
    Planned(_YZ, f"{_YZR}2020_504392/qzfbgs/", 2022, gbk=True),
    Planned(_YZ, f"{_YZR}2020_504392/qzfbgs/", 2023),
    Planned(_YZ, f"{_YZR}2020_504392/qzfbgs/", 2024, quirks=("dash",)),
    Planned(_YZ, f"{_YZR}2020_504392/qzfbgs/", 2025),
    Planned(_YZ, f"{_YZR}bmnb/", 2023, agency=0),
    Planned(_YZ, f"{_YZR}bmnb/", 2024, "pdf", agency=1),
    Planned(_YZ, f"{_YZR}jznb/", 2025, "docx"),
    Planned(_TL, f"{_TLR}tlq/qzfxx/", 2020),
    Planned(_TL, f"{_TLR}tlq/qzfxx/", 2023),
    Planned(_TL, f"{_TLR}qzfbm/qzfbgs/", 2022),
    Planned(_TL, f"{_TLR}qzfbm/qzfbgs/", 2025, "pdf"),
    Planned(_TL, _TL_SWW, 2022),
    Planned(_TL, _TL_PLJ, 2023, "docx"),
    Planned(_FZ, "/zfxxgk/zfxxgknb/", 2018),
    Planned(_FZ, "/zfxxgk/zfxxgknb/", 2019),
    Planned(_FZ, "/zfxxgk/zfxxgknb/", 2020, "pdf"),
    Planned(_FZ, "/zfxxgk/zfxxgknb/", 2021),
    Planned(_FZ, "/zfxxgk/zfxxgknb/", 2022, "docx"),
    Planned(_FZ, "/zfxxgk/zfxxgknb/", 2023, quirks=("blank_zeros",)),
    Planned(_FZ, "/zfxxgk/zfxxgknb/", 2024),
    Planned(_CQ, f"{_CQR}szfbgt/", 2024, "txt"),  # a plain-text attachment (纯文本版)
)
SEED0 = 7000  # report i of PLAN is make_spec(SEED0 + i, …)


@dataclass
class Item:
    """One `<li>` of a list page."""

    url: str  # the real absolute URL it links (https://host/path)
    title: str
    day: date
    href: str | None = None  # printed href; None: relative to the list column when on the same host


@dataclass
class Built:
    """One report as published: its spec, its URLs and the files to write."""

    spec: ReportSpec
    host: str
    column: str
    fmt: str
    encoding: str | None
    files: dict[str, bytes] = field(default_factory=dict)  # "host/path" → bytes

    @property
    def source_url(self) -> str:
        return self.spec.url

    @property
    def document_url(self) -> str:
        if self.fmt == "html":
            return self.spec.url
        return self.source_url.rsplit("/", 1)[0] + "/" + attachment_name(self.spec, self.fmt)

    def entry(self) -> dict:
        return report_entry(self.spec, document_url=self.document_url, host=self.host, column=self.column,
                            fmt=self.fmt, encoding=self.encoding)


def _path_of(url: str) -> str:
    """https://host/a/b.html → host/a/b.html (the tree path)."""
    return url.split("://", 1)[1]


def attachment_name(spec: ReportSpec, ext: str) -> str:
    """TRS attachment file name: P0 + publish date + 12 digits."""
    rng = random.Random(f"attachment-{spec.seed}")
    return f"P0{spec.publish_date:%Y%m%d}{rng.randint(0, 10**12 - 1):012d}.{ext}"


def notice_page(spec: ReportSpec, ext: str) -> bytes:
    """A detail page that only announces the report and attaches the file."""
    name = attachment_name(spec, ext)
    t = html.escape(spec.title, quote=False)
    body = "\n".join([
        f'<p style="text-indent:2em">现将《{t}》予以公开，详见附件。</p>',
        f'<p style="text-align:right">{html.escape(spec.agency.name, quote=False)}</p>',
        f'<p style="text-align:right">{spec.publish_date.year}年{spec.publish_date.month}月{spec.publish_date.day}日</p>',
        '<div class="fujian"><p>附件：</p><ul>',
        f'<li><a href="./{name}" target="_blank" title="{html.escape(spec.title)}.{ext}">{t}.{ext}</a></li>',
        "</ul></div>",
    ])
    return render_page(agency=spec.agency, title=spec.title, publish_date=spec.publish_date, seed=spec.seed,
                       url=spec.url, body=body, column=COLUMN_NAME)


def publish(spec: ReportSpec, host: str, column: str, fmt: str, *, gbk: bool = False) -> Built:
    """The files that publish `spec` (detail page, and its attachment for pdf/docx/txt)."""
    page = _path_of(spec.url)
    if fmt == "html":
        enc = "gbk" if gbk else "utf-8"
        data = render_html(spec, encoding=enc, declare_charset=not gbk)
        return Built(spec, host, column, fmt, enc, {page: data})
    renderers = {"pdf": render_pdf, "docx": render_docx, "txt": render_text}
    if fmt not in renderers:
        raise ValueError(f"fmt must be html, pdf, docx or txt, not {fmt!r}")
    doc = renderers[fmt](spec)
    b = Built(spec, host, column, fmt, None, {page: notice_page(spec, fmt)})
    b.files[_path_of(b.document_url)] = doc
    return b


# ------------------------------------------------------------------ list pages
def _href(item: Item, site: Site, col: Column) -> str:
    if item.href is not None:
        return item.href
    host, path = _path_of(item.url).split("/", 1)
    path = "/" + path
    if host != site.host:
        return item.url
    if path.startswith(col.path):
        return "./" + path[len(col.path):]
    return path


def render_lists(site: Site, col: Column, items: list[tuple[str, str, str]]) -> dict[str, bytes]:
    """The list pages of `col` ("host/path" → bytes) for its printed items (href, title, date)."""
    size = col.page_size
    pages = max(1, -(-len(items) // size))
    subs = [(c.name, "./" + c.path[len(col.path):]) for c in site.children(col)]
    crumbs = [("政务公开", site.zwgk)] + [(c.name, c.path) for c in reversed(site.ancestors(col))] + [(col.name, col.path)]
    side = [("首页", "/"), *site.side, (COLUMN_NAME, site.roots[0])]
    out = {}
    for n in range(pages):
        name = "index.html" if n == 0 else f"index_{n}.html"
        url = f"https://{site.host}{col.path}" + ("" if n == 0 else name)
        out[f"{site.host}{col.path}{name}"] = render_list_page(
            site=site.chrome, column=col.name, url=url, seed=f"{site.host}{col.path}",
            items=items[n * size:(n + 1) * size], page=n, pages=pages, total=len(items),
            sub_columns=subs, side_columns=side, breadcrumb=crumbs)
    return out


def parse_list_items(data: bytes) -> list[tuple[str, str, str]]:
    """(href, title, date) of the `<ul class="list">` items of one list page."""
    from lxml import html as lhtml

    doc = lhtml.fromstring(data)
    out = []
    for li in doc.xpath('//ul[@class="list"]/li'):
        a = li.find("a")
        out.append((a.get("href"), a.get("title"), (li.findtext("span") or "").strip()))
    return out


def page_count(data: bytes) -> tuple[int, int, int]:
    """(pages, current, total) from a list page's createPageHTML call."""
    m = re.search(rb"createPageHTML\('page_div',\s*(\d+),\s*(\d+),\s*'index',\s*'html',\s*(\d+)\)", data)
    if not m:
        raise ValueError("no createPageHTML call")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


# ------------------------------------------------------------------ the build
def _spec(i: int, p: Planned) -> ReportSpec:
    agency = SITE_BY_HOST[p.host].column(p.column).agencies[p.agency]
    return make_spec(SEED0 + i, year=p.year, agency=agency, quirks=p.quirks)


def _url(agency: Agency, day: date, docid: int) -> str:
    return f"https://{agency.host}{agency.column}{day:%Y%m}/t{day:%Y%m%d}_{docid}.html"


def _gambling(page: bytes) -> bytes:
    """A spam mirror's copy: the same page with an advert pasted into the article."""
    ad = ('<p style="color:#c00;font-size:18px"><a href="http://gahcep.com/">澳门新葡京娱乐场</a>——'
          '真人百家乐、体育投注、彩票在线，注册即送88元彩金，日出款无上限！</p>')
    marker = b'<div class="Custom_UnionStyle">'
    return page.replace(marker, marker + b"\n" + ad.encode("utf-8"), 1)


def build_replica(out: Path) -> str:
    """Write the bundled replica into `out` (replacing an earlier replica there) and
    return a one-line summary. Deterministic: the same bytes on every run."""
    out = Path(out)
    if out.exists():
        if any(out.iterdir()) and not (out / RULES_NAME).exists():
            raise FileExistsError(f"{out} is not empty and holds no replica ({RULES_NAME}); not overwriting")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files: dict[str, bytes] = {}

    built: list[Built] = []
    for i, p in enumerate(PLAN):
        built.append(publish(_spec(i, p), p.host, p.column, p.fmt, gbk=p.gbk))
    by = {(b.host, b.column, b.spec.year): b for b in built}
    for b in built:
        files.update(b.files)

    # list items: every report in its column and in each ancestor column
    items: dict[tuple[str, str], list[Item]] = {(s.host, c.path): [] for s in SITES for c in s.columns}
    for b in built:
        site = SITE_BY_HOST[b.host]
        col = site.column(b.column)
        for c in [col, *site.ancestors(col)]:
            items[(b.host, c.path)].append(Item(b.source_url, b.spec.title, b.spec.publish_date))

    traps: list[dict] = []
    rng = random.Random("replica-traps")

    def list_url(host: str, path: str) -> str:
        return f"https://{host}{path}"

    # non_report: a 政府信息公开指南 page in 大足's root list
    dz = SITE_BY_HOST[_DZ]
    office = dz.column(f"{_DZR}qzfbm_68864/qzfbgs/").agencies[0]
    gday = date(2023, 3, 1)
    guide_url = _url(replace(office, column=_DZR), gday, docid_for(gday, rng))
    files[_path_of(guide_url)] = render_guide(office, gday, 90001, guide_url)
    items[(_DZ, _DZR)].append(Item(guide_url, f"{office.name}政府信息公开指南", gday))
    traps.append({"kind": "non_report", "url": guide_url, "linked_from": [list_url(_DZ, _DZR)],
                  "note": "a 政府信息公开指南 page listed among the reports; not a report"})

    # mirror_link: the spam copy of 大足区政府's 2023 report, linked from dzq/
    real = by[(_DZ, f"{_DZR}dzq/", 2023)]
    mirror_url = "http://" + MIRROR_HOST + real.source_url.split(_DZ, 1)[1]
    files[_path_of(mirror_url)] = _gambling(real.files[_path_of(real.source_url)])
    items[(_DZ, f"{_DZR}dzq/")].append(Item(mirror_url, real.spec.title, real.spec.publish_date))
    traps.append({"kind": "mirror_link", "url": mirror_url, "linked_from": [list_url(_DZ, f"{_DZR}dzq/")],
                  "note": f"spam mirror (same path as {real.source_url}, gambling advert injected); "
                          "not a government host: never fetch"})

    # duplicate_link: 区经济信息委 2023 also listed (full URL) in the 区政府办公室 list
    dup = by[(_DZ, f"{_DZR}qzfbm_68864/qjjxxw_68873/", 2023)]
    items[(_DZ, f"{_DZR}qzfbm_68864/qzfbgs/")].append(
        Item(dup.source_url, dup.spec.title, dup.spec.publish_date, href=dup.source_url))
    traps.append({"kind": "duplicate_link", "url": dup.source_url,
                  "linked_from": [list_url(_DZ, f"{_DZR}qzfbm_68864/qjjxxw_68873/"),
                                  list_url(_DZ, f"{_DZR}qzfbm_68864/qzfbgs/"),
                                  list_url(_DZ, f"{_DZR}qzfbm_68864/"), list_url(_DZ, _DZR)],
                  "note": "one report linked from its own list, from an unrelated sibling list (as an absolute "
                          "https URL) and from the parent lists: expected once"})

    # robots_disallowed: a draft under /tmp_publish/ linked from 铜梁 区政府办公室's list
    tl = SITE_BY_HOST[_TL]
    tl_office = tl.column(f"{_TLR}qzfbm/qzfbgs/").agencies[0]
    dday = date(2024, 1, 25)
    draft = make_spec(90002, year=2023, agency=replace(tl_office, column="/tmp_publish/"), quirks=())
    draft = replace(draft, publish_date=dday, docid=docid_for(dday, rng))
    files[_path_of(draft.url)] = render_html(draft)
    items[(_TL, f"{_TLR}qzfbm/qzfbgs/")].append(
        Item(draft.url, draft.title, dday, href=draft.url.split(_TL, 1)[1]))
    files[f"{_TL}/robots.txt"] = b"User-agent: *\nDisallow: /tmp_publish/\n"
    traps.append({"kind": "robots_disallowed", "url": draft.url,
                  "linked_from": [list_url(_TL, f"{_TLR}qzfbm/qzfbgs/")],
                  "note": "a draft copy under /tmp_publish/, which robots.txt disallows: must not be fetched "
                          "(the file exists, so fetching it would be seen); not an expected report"})

    # not_found: a list item for a 2021 report whose page does not exist
    nday = date(2022, 1, 28)
    gov = tl.column(f"{_TLR}tlq/qzfxx/").agencies[0]
    missing = _url(gov, nday, docid_for(nday, rng))
    items[(_TL, f"{_TLR}tlq/qzfxx/")].append(Item(missing, f"{gov.name}2021年政府信息公开工作年度报告", nday))
    traps.append({"kind": "not_found", "url": missing, "linked_from": [list_url(_TL, f"{_TLR}tlq/qzfxx/")],
                  "note": "listed, but the page answers 404; not expected"})

    # year_column: 渝中's 2020_504392/qzfbgs/ holds 2021–2025
    yc = f"{_YZR}2020_504392/qzfbgs/"
    traps.append({"kind": "year_column", "url": list_url(_YZ, yc), "linked_from": [list_url(_YZ, f"{_YZR}2020_504392/")],
                  "note": "column slug says 2020, but it holds the 2021–2025 reports of 渝中区人民政府办公室 "
                          f"(2025 report published 2026: {by[(_YZ, yc, 2025)].source_url})"})

    gbk = next(b for b in built if b.encoding == "gbk")
    traps.append({"kind": "gbk", "url": gbk.source_url, "linked_from": [list_url(_YZ, yc)],
                  "note": "page encoded GBK, no charset in the page or the Content-Type header; expected"})

    retry = by[(_DZ, f"{_DZR}dzq/", 2022)]
    traps.append({"kind": "retry_500", "url": retry.source_url, "linked_from": [list_url(_DZ, f"{_DZR}dzq/")],
                  "note": "first request answers 500 (rule fail = 1); expected after a retry"})
    slow_url = list_url(_FZ, "/zfxxgk/zfxxgknb/index_1.html")
    traps.append({"kind": "slow", "url": slow_url, "linked_from": [list_url(_FZ, "/zfxxgk/zfxxgknb/")],
                  "note": "list page answers after 1.5 s (rule delay = 1.5)"})

    # every docid and page URL once
    urls = [b.source_url for b in built] + [guide_url, draft.url, missing]
    docids = [u.rsplit("_", 1)[1] for u in urls]
    if len(set(docids)) != len(docids):
        raise AssertionError("docids collide; change a seed")

    for s in SITES:
        for c in s.columns:
            its = sorted(items[(s.host, c.path)], key=lambda it: (it.day, it.url), reverse=True)
            files.update(render_lists(s, c, [(_href(it, s, c), it.title, it.day.isoformat()) for it in its]))

    cities = build_cities(_gambling)
    if set(cities.files) & set(files):
        raise AssertionError("a city site writes over a Chongqing file")
    files.update(cities.files)

    for rel, data in sorted(files.items()):
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    rules = {"retry": _path_of(retry.source_url), "slow": _path_of(slow_url)}
    (out / RULES_NAME).write_text(_rules_toml(rules, cities.aliases), encoding="utf-8")
    doc = {
        "generator": GENERATOR,
        "sites": [{"spider": "cq", "host": s.host, "aliases": list(s.aliases), "name": s.name, "cms": "trs",
                   "columns": [f"https://{s.host}{r}" for r in s.roots]} for s in SITES]
        + [{"spider": s.spider, "host": s.host, "aliases": list(s.aliases), "name": s.name, "cms": s.cms,
            "columns": [f"https://{s.host}{s.start}"]} for s in CITY_SITES],
        "reports": [{"spider": "cq", **b.entry()} for b in built] + [p.entry() for p in cities.published],
        "traps": [{"spider": "cq", **t} for t in traps]
        + [{"spider": _spider_of(t["linked_from"][0]), **t} for t in cities.traps],
    }
    _write_expected(out, doc)
    (out / README_NAME).write_text(_readme(built, traps) + _cities_readme(cities), encoding="utf-8")
    n_files = len(files)
    size = sum(len(d) for d in files.values())
    hosts = len({k.split("/", 1)[0] for k in files})
    n_reports, n_sites = len(built) + len(cities.published), len(SITES) + len(CITY_SITES)
    return (f"replica: {n_reports} reports on {n_sites} sites, {len(traps) + len(cities.traps)} traps, "
            f"{n_files} files on {hosts} hosts ({size / 1e6:.1f} MB) in {out}")


def _write_expected(root: Path, doc: dict) -> None:
    """expected.json, indented, with one fact per line (a fact's six fields on one line)."""
    facts: dict[str, str] = {}
    shown = json.loads(json.dumps(doc))
    for i, r in enumerate(shown["reports"]):
        key = f"@@facts{i}@@"
        facts[key] = "[\n" + ",\n".join("   " + json.dumps(f, ensure_ascii=False) for f in r["facts"]) + "\n  ]"
        r["facts"] = key
    text = json.dumps(shown, ensure_ascii=False, indent=1)
    text = re.sub(r'"(@@facts\d+@@)"', lambda m: facts[m.group(1)], text)
    (root / EXPECTED_NAME).write_text(text + "\n", encoding="utf-8")


def _spider_of(url: str) -> str:
    host = url.split("://", 1)[1].split("/", 1)[0]
    return next(s.spider for s in CITY_SITES if s.host == host)


def _rules_toml(rules: dict[str, str], city_aliases: dict[str, str]) -> str:
    lines = ["# Server rules of the bundled replica (govreports.replica.server); written by "
             "govreports/replica/build.py.", "", "[aliases]  # host → host whose tree serves it"]
    for s in SITES:
        for a in s.aliases:
            lines.append(f'"{a}" = "{s.host}"')
    for alias, host in city_aliases.items():
        lines.append(f'"{alias}" = "{host}"')
    lines += ["", "# retry_500: the first request of this report page fails", "[[rule]]",
              f'path = "{rules["retry"]}"', "fail = 1", "status = 500", "",
              "# slow: this list page answers late", "[[rule]]", f'path = "{rules["slow"]}"', "delay = 1.5", ""]
    return "\n".join(lines)


def _readme(built: list[Built], traps: list[dict]) -> str:
    lines = ["# Bundled replica of Chongqing government portals", "",
             "Written by `govreports/replica/build.py` (`build_replica`); do not edit by hand — rebuild with",
             "",
             "    .venv/bin/python -c \"from pathlib import Path; from govreports.replica.build import build_replica; "
             "print(build_replica(Path('replica')))\"",
             "",
             "`<host>/<path>` is what `https://<host>/<path>` serves; `_replica.toml` holds the server rules (aliases, "
             "a failing page, a slow page); `expected.json` lists the reports a correct crawl finds (real URLs, "
             "facts) and the traps. The reports are generated (`govreports.corpus`), not copied; the sites copy "
             "the real portals' structure: hosts, column paths, TRS list pages and pagination, detail-page URLs "
             "and docids.", "",
             "List pages: `<column>/index.html`, `index_1.html` … newest first; items in `<ul class=\"list\">` as "
             "`<li><a href=… title=…>…</a><span>YYYY-MM-DD</span></li>`; sub-columns in `<div class=\"sub-column\">`; "
             "page count in `createPageHTML('page_div', PAGES, CURRENT, 'index', 'html', TOTAL)`. A parent column "
             "lists its sub-columns' reports too. Page size 10; 5 on www.cq.gov.cn's sub-columns; 3 on "
             "fzggw.cq.gov.cn.", "", "## Sites", ""]
    for s in SITES:
        n = sum(1 for b in built if b.host == s.host)
        lines.append(f"### {s.host}" + (f" (alias {', '.join(s.aliases)})" if s.aliases else ""))
        lines.append("")
        lines.append(f"{s.name}; {n} reports. Copies {s.copies}")
        lines.append("")
        lines.append("Columns (start URLs): " + ", ".join(f"`https://{s.host}{r}`" for r in s.roots))
        lines.append("")
        for c in s.columns:
            ags = "; ".join(f"{a.name} ({a.kind}, pages under `{a.column}`)" for a in c.agencies) or "parent column"
            years = sorted(b.spec.year for b in built if b.host == s.host and b.column == c.path)
            fmts = [b.fmt for b in built if b.host == s.host and b.column == c.path]
            lines.append(f"* `{c.path}` {c.name} — {ags}" + (f"; years {', '.join(map(str, years))}; formats "
                                                             f"{', '.join(fmts)}" if years else ""))
        lines.append("")
    lines += ["## Traps", ""]
    for t in traps:
        lines.append(f"* **{t['kind']}** {t['url']} — {t['note']}")
        if t.get("linked_from"):
            lines.append(f"  (linked from {', '.join(t['linked_from'])})")
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------ add a report to a built tree
def add_report(root: Path, *, host: str, column: str, year: int, fmt: str = "html", seed: int) -> dict:
    """Publish one new report into the replica at `root`: its detail page (and
    attachment for pdf/docx/txt) under the column's publishing agency, the item at the top
    of that column's list and of its parent columns' lists (pages re-cut, pager script
    updated), and its entry appended to expected.json. Returns the entry."""
    root = Path(root)
    site = SITE_BY_HOST[host]
    col = site.column(column)
    if not col.agencies:
        raise ValueError(f"{column} is a parent column; publish into one of its sub-columns")
    expected = json.loads((root / EXPECTED_NAME).read_text("utf-8"))
    taken = {u.rsplit("_", 1)[-1].split(".")[0] for r in expected["reports"] for u in (r["source_url"],)}
    taken |= {t["url"].rsplit("_", 1)[-1].split(".")[0] for t in expected["traps"]}
    spec = make_spec(seed, year=year, agency=col.agencies[0], quirks=())
    while str(spec.docid) in taken or (root / _path_of(spec.url)).exists():
        spec = replace(spec, docid=spec.docid + 1)
    b = publish(spec, host, column, fmt)
    for rel, data in b.files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for c in [col, *site.ancestors(col)]:
        printed = []
        n = 0
        while (p := root / host / c.path.lstrip("/") / ("index.html" if n == 0 else f"index_{n}.html")).exists():
            printed += parse_list_items(p.read_bytes())
            n += 1
        new = (_href(Item(b.source_url, spec.title, spec.publish_date), site, c), spec.title,
               spec.publish_date.isoformat())
        for rel, data in render_lists(site, c, [new, *printed]).items():
            (root / rel).write_bytes(data)
    entry = {"spider": "cq", **b.entry()}
    expected["reports"].append(entry)
    _write_expected(root, expected)
    return entry


def _cities_readme(cities: Cities) -> str:
    lines = ["", "## Sites of the other cities", "",
             "Written by `govreports/replica/cities.py`: one or more sites per publishing platform, each laid out "
             "as the real portal it names (URL scheme, list markup, pager). JCMS data-proxy answers are stored as "
             "`dataproxy.jsp@<sorted query>`, which the replica server serves for that query.", ""]
    for s in CITY_SITES:
        n = sum(1 for p in cities.published if p.site.host == s.host)
        lines += [f"### {s.host} — `scrapy crawl {s.spider}`, platform `{s.cms}`"
                  + (f" (alias {', '.join(s.aliases)})" if s.aliases else ""), "",
                  f"{s.name}; {n} reports; start `https://{s.host}{s.start}`. Copies {s.copies}", ""]
    lines += ["### Traps of the other cities", ""]
    lines += [f"- **{t['kind']}** `{t['url']}` — {t['note']}" for t in cities.traps]
    return "\n".join(lines) + "\n"
