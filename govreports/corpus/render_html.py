"""A report as a TRS WCM article page (the CMS of most Chinese government portals).

The page carries what real ones do: header and navigation menus, breadcrumb, the
government-website `<meta>` set (SiteName, ColumnName, ArticleTitle, PubDate …), an
information-disclosure metadata table (索引号, 发布机构 …), the article body in
`<div class="TRS_Editor">` with Word-pasted markup, and a footer with link lists.
`render_list_page` draws a column (list) page in the same chrome, for the replica sites.
"""

from __future__ import annotations

import html
import random
import re

from .spec import ReportSpec
from .tables import Grid, appendix_grid, t2_grid, t3_grid, t4_grid

MERGE_STYLES = ("national", "flat", "shifted")

CQ_DISTRICTS = ("万州区 涪陵区 渝中区 大渡口区 江北区 沙坪坝区 九龙坡区 南岸区 北碚区 綦江区 大足区 渝北区 巴南区 "
                "黔江区 长寿区 江津区 合川区 永川区 南川区 璧山区 铜梁区 潼南区 荣昌区 开州区 梁平区 武隆区 城口县 "
                "丰都县 垫江县 忠县 云阳县 奉节县 巫山县 巫溪县 石柱土家族自治县 秀山土家族苗族自治县 "
                "酉阳土家族苗族自治县 彭水苗族土家族自治县").split()
CQ_DEPARTMENTS = ("市发展改革委 市教委 市科技局 市经济信息委 市民族宗教委 市公安局 市民政局 市司法局 市财政局 "
                  "市人力社保局 市规划自然资源局 市生态环境局 市住房城乡建委 市城市管理局 市交通运输委 市水利局 "
                  "市农业农村委 市商务委 市文化旅游委 市卫生健康委 市退役军人事务局 市应急管理局 市审计局 "
                  "市政府外办 市国资委 市市场监管局 市体育局 市统计局 市医保局 市林业局 市大数据发展局").split()
MENU = {
    "首页": [],
    "政务公开": ["政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报", "依申请公开",
             "政策文件", "政策解读", "重点领域信息公开", "财政预决算", "建议提案办理"],
    "政务服务": ["个人办事", "法人办事", "部门服务", "好差评", "便民服务", "证照办理"],
    "互动交流": ["区长信箱", "网上调查", "征集调查", "在线访谈", "常见问题", "12345热线"],
    "走进本地": ["概况", "历史文化", "旅游资源", "投资指南", "统计数据"],
    "专题专栏": ["优化营商环境", "乡村振兴", "安全生产", "疫情防控", "法治政府建设"],
}


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


class _Splitter:
    """Word-pasted HTML splits runs at arbitrary points, numbers included (20</span><span>23)."""

    def __init__(self, on: bool, seed: int):
        self.on = on
        self.rng = random.Random(f"spans-{seed}")

    def runs(self, text: str, style: str) -> str:
        if not self.on or len(text) < 2:
            return f'<span style="{style}">{_esc(text)}</span>'
        pieces, i = [], 0
        while i < len(text):
            n = self.rng.randint(1, 14)
            m = re.search(r"\d{2,}", text[i:i + n + 6])
            if m and self.rng.random() < 0.8:  # cut inside a number
                n = m.start() + self.rng.randint(1, len(m.group(0)) - 1)
            pieces.append(text[i:i + n])
            i += n
        out = []
        for p in pieces:
            lang = ' lang="EN-US"' if re.fullmatch(r"[\d.]+", p) else ""
            out.append(f'<span{lang} style="{style}">{_esc(p)}</span>')
        return "".join(out)


_P_STYLE = "text-indent:32.0pt;line-height:28.0pt;mso-line-height-rule:exactly"
_RUN = "font-size:16.0pt;font-family:仿宋_GB2312"
_TD = "border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt"
_TD_RUN = "font-size:10.5pt;font-family:仿宋_GB2312;color:black"


def _cell_html(text: str, sp: _Splitter, *, header: bool, align: str) -> str:
    if not sp.on:  # typed into the CMS editor: plain cell text
        if not text:
            return "&nbsp;"
        inner = "<br/>".join(_esc(line) for line in text.split("\n"))
        return f"<strong>{inner}</strong>" if header else inner
    if not text:
        return '<p class="MsoNormal" align="center" style="text-align:center"><span lang="EN-US">&nbsp;</span></p>'
    run = _TD_RUN + (";font-weight:bold" if header else "")
    return "".join(
        f'<p class="MsoNormal" align="{align}" style="text-align:{align};line-height:15.0pt">{sp.runs(line, run)}</p>'
        for line in text.split("\n"))


def _td(sp: _Splitter, width: float, attrs: str, align: str) -> str:
    if sp.on:
        return f'<td width="{width:.0f}%"{attrs} valign="center" style="{_TD}">'
    return f'<td width="{width:.0f}%"{attrs} align="{align}" valign="middle" style="border:1px solid #000000;">'


def table_html(grid: Grid, sp: _Splitter, merge_style: str = "national") -> str:
    if merge_style == "shifted" and grid.name == "t3":
        grid = grid.widen_column(3)
    total_w = sum(grid.col_weights) or grid.n_cols
    widths = [w / total_w * 100 for w in (grid.col_weights or [1] * grid.n_cols)]
    out = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="100%" '
           'style="width:100.0%;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt">', "<tbody>"]
    if merge_style == "flat":
        for r, row in enumerate(grid.physical_rows()):
            out.append(f'<tr style="height:{18 + (r % 3)}.0pt">')
            c = 0
            for cell, span in row:
                cs = f' colspan="{span}"' if span > 1 else ""
                w = sum(widths[c:c + span])
                text = cell.text if cell else ""
                hdr = bool(cell and cell.header)
                align = "center" if (cell is None or cell.key or hdr) else "left"
                out.append(f'{_td(sp, w, cs, align)}{_cell_html(text, sp, header=hdr, align=align)}</td>')
                c += span
            out.append("</tr>")
    else:
        starts = grid.starts()
        for r in range(grid.n_rows):
            out.append(f'<tr style="height:{18 + (r % 3)}.0pt">')
            for c in range(grid.n_cols):
                cell = starts.get((r, c))
                if cell is None:
                    continue
                attrs = ""
                if cell.rowspan > 1:
                    attrs += f' rowspan="{cell.rowspan}"'
                if cell.colspan > 1:
                    attrs += f' colspan="{cell.colspan}"'
                w = sum(widths[c:c + cell.colspan])
                align = "center" if (cell.key or cell.header or cell.rowspan > 1) else "left"
                out.append(f'{_td(sp, w, attrs, align)}{_cell_html(cell.text, sp, header=cell.header, align=align)}</td>')
            out.append("</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def grid_for(spec: ReportSpec, name: str) -> Grid:
    if name == "t2":
        return t2_grid(spec.cells, spec.format_version)
    if name == "t3":
        return t3_grid(spec.cells, spec.format_version, spec.t3_other_rows, spec.enum)
    if name == "t4":
        return t4_grid(spec.cells)
    return appendix_grid(spec.cells, spec.appendix_rows)


def body_html(spec: ReportSpec, sp: _Splitter, merge_style: str) -> str:
    out = []

    def para(text: str, *, center=False, bold=False, indent=True, size="16.0pt", font="仿宋_GB2312"):
        style = "text-align:center;line-height:28.0pt" if center else (_P_STYLE if indent else "line-height:28.0pt")
        run = f"font-size:{size};font-family:{font}"
        inner = sp.runs(text, run)
        if bold:
            inner = f"<b>{inner}</b>"
        align = ' align="center"' if center else ""
        out.append(f'<p class="MsoNormal"{align} style="{style}">{inner}</p>')

    para(spec.title, center=True, bold=True, size="22.0pt", font="方正小标宋_GBK")
    out.append('<p class="MsoNormal" align="center" style="text-align:center"><span lang="EN-US">&nbsp;</span></p>')
    for kind, value in spec.body():
        if kind == "table":
            out.append(table_html(grid_for(spec, value), sp, merge_style))
        elif kind == "heading":
            para(value, font="黑体")
        elif kind == "caption":
            para(value, center=True, bold=True)
        else:
            para(value)
    out.append('<p class="MsoNormal"><span lang="EN-US">&nbsp;</span></p>')
    for line in spec.signature():
        out.append(f'<p class="MsoNormal" align="right" style="text-align:right;line-height:28.0pt">'
                   f'{sp.runs(line, _RUN)}</p>')
    return "\n".join(out)


def _nav(agency, rng: random.Random) -> str:
    host = agency.host
    out = ['<div class="nav"><div class="w1200"><ul class="nav-list clearfix">']
    for i, (name, subs) in enumerate(MENU.items()):
        if name == "走进本地":
            name = "走进" + agency.region.replace("重庆市", "")[-3:]
        out.append(f'<li class="nav-item{" on" if name == "政务公开" else ""}"><a href="https://{host}/'
                   f'{"" if i == 0 else f"col_{i}/"}" target="_self">{name}</a>')
        if subs:
            out.append('<div class="nav-sub"><ul>')
            for j, sub in enumerate(subs):
                out.append(f'<li><a href="https://{host}/zwgk_{rng.randint(100, 300)}/{j:02d}_{rng.randint(1000, 99999)}/" '
                           f'target="_blank" title="{sub}">{sub}</a></li>')
            out.append("</ul></div>")
        out.append("</li>")
    out.append("</ul></div></div>")
    return "\n".join(out)


def _links(rng: random.Random) -> str:
    out = ['<div class="yqlj"><div class="w1200 clearfix">']
    out.append('<div class="sel"><span class="tit">区县政府网站</span><ul class="yqlj-list">')
    for d in CQ_DISTRICTS:
        out.append(f'<li><a href="https://www.cq{rng.randint(1, 99):02d}.gov.cn/" target="_blank">{d}人民政府</a></li>')
    out.append('</ul></div><div class="sel"><span class="tit">市级部门网站</span><ul class="yqlj-list">')
    for d in CQ_DEPARTMENTS:
        out.append(f'<li><a href="https://dept{rng.randint(1, 999)}.cq.gov.cn/" target="_blank">{d}</a></li>')
    out.append("</ul></div></div></div>")
    return "\n".join(out)


def render_html(spec: ReportSpec, *, encoding: str = "utf-8", declare_charset: bool = True,
                charset_label: str | None = None, word_spans: bool = False,
                merge_style: str = "national") -> bytes:
    """The report as a TRS article page, encoded with `encoding` (``utf-8``, ``gbk`` …).

    `declare_charset=False` leaves the page without any charset declaration (a GBK page
    then decodes only as GB18030/GBK); `charset_label` declares a different label than
    the real encoding (``gb2312`` for a GBK page, as real portals do). `word_spans`
    splits text and numbers across `<span>`s like Word-pasted HTML (and uses Word's
    bulky cell markup). `merge_style`: ``national`` (the format's rowspans/colspans),
    ``flat`` (no rowspans: a merged cell's lower rows are empty `&nbsp;` cells) or
    ``shifted`` (table 3's 自然人 header and its values each span two grid columns).
    """
    if merge_style not in MERGE_STYLES:
        raise ValueError(f"merge_style must be one of {MERGE_STYLES}")
    sp = _Splitter(word_spans, spec.seed)
    return render_page(agency=spec.agency, title=spec.title, publish_date=spec.publish_date, seed=spec.seed,
                       url=spec.url, body=body_html(spec, sp, merge_style), column="政府信息公开年报",
                       encoding=encoding, declare_charset=declare_charset, charset_label=charset_label)


def render_guide(agency, publish_date, seed: int, url: str, *, encoding: str = "utf-8") -> bytes:
    """A page that is not a report: the agency's 政府信息公开指南, in the same template."""
    from .prose import GUIDE_TEXT

    title = f"{agency.name}政府信息公开指南"
    out = [f'<p style="text-align:center"><strong>{_esc(title)}</strong></p>']
    for heading, text in GUIDE_TEXT:
        if heading:
            out.append(f"<p><strong>{_esc(heading)}</strong></p>")
        out.append(f'<p style="text-indent:2em">{_esc(text)}</p>')
    return render_page(agency=agency, title=title, publish_date=publish_date, seed=seed, url=url,
                       body="\n".join(out), column="政府信息公开指南", encoding=encoding)


def _head(a, *, title: str, column: str, site_code: str, url: str, declare_charset: bool, charset: str,
          article: list[str], css: str) -> list[str]:
    """`<head>` of a TRS page: the government-website `<meta>` set; `article` adds the
    article metas (ArticleTitle, PubDate …) a detail page carries and a list page lacks."""
    head = [
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml">',
        "<head>",
    ]
    if declare_charset:
        head.append(f'<meta http-equiv="Content-Type" content="text/html; charset={charset}" />')
    head += [
        '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0" />',
        f"<title>{_esc(title)}_{_esc(a.site)}</title>",
        f'<meta name="SiteName" content="{a.site}" />',
        f'<meta name="SiteDomain" content="{a.host}" />',
        f'<meta name="SiteIDCode" content="{site_code}" />',
        '<meta name="ColumnName" content="' + column + '" />',
        '<meta name="ColumnDescription" content="政府信息公开工作年度报告" />',
        '<meta name="ColumnKeywords" content="年报,政府信息公开,年度报告" />',
        '<meta name="ColumnType" content="政府信息公开年报" />',
        *article,
        f'<meta name="Url" content="{url}" />',
        '<link rel="stylesheet" type="text/css" href="/images/zwgk_common.css" />',
        f'<link rel="stylesheet" type="text/css" href="/images/{css}" />',
        '<script type="text/javascript" src="/images/jquery-1.12.4.min.js"></script>',
        '<script type="text/javascript" src="/images/common.js"></script>',
        "</head>",
    ]
    return head


def _top(a, rng: random.Random, site_code: str) -> list[str]:
    """Top bar, header with logo and search box, navigation menu."""
    return [
        "<body>",
        '<div class="top-bar"><div class="w1200 clearfix"><div class="fl">欢迎访问' + a.site + "门户网站</div>"
        '<div class="fr"><a href="javascript:void(0)" id="wza">无障碍浏览</a><a href="javascript:void(0)" id="zzms">长者模式</a>'
        '<a href="/ydd/">移动端</a><a href="javascript:void(0)" id="jft">繁体</a><a href="/login/">登录</a></div></div></div>',
        f'<div class="header"><div class="w1200 clearfix"><a class="logo" href="https://{a.host}/">'
        f'<img src="/images/logo.png" alt="{a.site}" /></a>'
        '<form class="search" action="/search/" method="get" target="_blank"><input type="text" name="searchWord" '
        'placeholder="请输入关键词" /><input type="hidden" name="siteCode" value="' + site_code + '" />'
        '<button type="submit">搜索</button></form></div></div>',
        _nav(a, rng),
    ]


def _bottom(a, rng: random.Random, site_code: str) -> list[str]:
    """Friendly links to other government sites, footer, the menu script."""
    return [
        _links(rng),
        f'<div class="footer"><div class="w1200"><p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | '
        f'<a href="/sybz/">使用帮助</a></p><p>主办单位：{a.site}办公室　承办：{a.short}</p>'
        f"<p>网站标识码：{site_code}　<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">"
        f"渝ICP备{rng.randint(10000000, 99999999)}号</a>　渝公网安备 {rng.randint(50000000000000, 50099999999999)}号</p>"
        '<p><a href="https://bszs.conac.cn/" target="_blank"><img src="/images/dzjg.png" alt="党政机关" /></a>'
        '<img src="/images/jiucuo.png" alt="政府网站找错" /></p></div></div>',
        '<script type="text/javascript">$(function(){$(".nav-item").hover(function(){$(this).addClass("hover")},'
        'function(){$(this).removeClass("hover")});var _s=document.createElement("script");_s.src="/images/stat.js";'
        "document.body.appendChild(_s);});</script>",
        "</body>",
        "</html>",
    ]


def render_page(*, agency, title: str, publish_date, seed: int, url: str, body: str, column: str,
                encoding: str = "utf-8", declare_charset: bool = True, charset_label: str | None = None) -> bytes:
    """A TRS article (detail) page around `body` (HTML of the article text)."""
    rng = random.Random(f"page-{seed}")
    a = agency
    pub = publish_date
    hour, minute = rng.randint(8, 18), rng.randint(0, 59)
    pubdate = f"{pub:%Y-%m-%d} {hour:02d}:{minute:02d}"
    site_code = f"50{rng.randint(10, 99)}{rng.randint(100000, 999999)}"
    index_no = f"11500{rng.randint(100, 999)}{rng.randint(10000000, 99999999)}X/{pub.year}-{rng.randint(10, 999):05d}"
    article = [
        f'<meta name="ArticleTitle" content="{_esc(title)}" />',
        f'<meta name="PubDate" content="{pubdate}" />',
        f'<meta name="ContentSource" content="{a.short}" />',
        '<meta name="Keywords" content="政府信息公开,年度报告" />',
        f'<meta name="Author" content="{a.short}" />',
        f'<meta name="Description" content="{_esc(title)}" />',
    ]
    head = _head(a, title=title, column=column, site_code=site_code, url=url, declare_charset=declare_charset,
                 charset=charset_label or encoding, article=article, css="xxgk_detail.css")
    main = [
        '<div class="w1200 main">',
        '<div class="position">当前位置：<a href="../../../" title="首页" class="CurrChnlCls">首页</a>&nbsp;&gt;&nbsp;'
        '<a href="../../" title="政务公开" class="CurrChnlCls">政务公开</a>&nbsp;&gt;&nbsp;'
        f'<a href="../" title="{column}" class="CurrChnlCls">{column}</a></div>',
        '<div class="zwxl-table"><table class="gk-table" width="100%" cellspacing="0" cellpadding="0"><tbody>',
        f'<tr><td class="t1">索引号：</td><td class="t2">{index_no}</td><td class="t1">发布机构：</td>'
        f"<td class=\"t2\">{a.short}</td></tr>",
        f'<tr><td class="t1">主题分类：</td><td class="t2">其他</td><td class="t1">成文日期：</td>'
        f'<td class="t2">{pub:%Y-%m-%d}</td></tr>',
        f'<tr><td class="t1">标　　题：</td><td class="t2" colspan="3">{_esc(title)}</td></tr>',
        f'<tr><td class="t1">发文字号：</td><td class="t2"></td><td class="t1">发布日期：</td><td class="t2">{pub:%Y-%m-%d}</td></tr>',
        "</tbody></table></div>",
        '<div class="zwxl-article">',
        f'<div class="zwxl-title"><p class="tit">{_esc(title)}</p></div>',
        f'<div class="zwxl-bar"><span>日期：{pubdate}</span><span>来源：{a.short}</span>'
        '<span class="zh">字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
        '<a href="javascript:doZoom(14)">小</a></span></div>',
        '<div class="zwxl-content"><div class="view TRS_UEDITOR trs_paper_default trs_word">',
        '<div class="TRS_Editor"><style type="text/css">.TRS_Editor P{line-height:2;font-family:仿宋_GB2312;font-size:12pt;}'
        ".TRS_Editor TD{font-family:宋体;font-size:10.5pt;}</style>",
        '<div class="Custom_UnionStyle">',
        body,
        "</div></div></div></div>",
        '<div class="zwxl-share">分享到：<a class="wx" href="javascript:void(0)">微信</a>'
        '<a class="wb" href="javascript:void(0)">微博</a><a href="javascript:window.print()">打印本页</a>'
        '<a href="javascript:window.close()">关闭窗口</a></div>',
        "</div></div>",
    ]
    top = _top(a, rng, site_code)
    return "\n".join(head + top + main + _bottom(a, rng, site_code)).encode(encoding, errors="xmlcharrefreplace")


def render_list_page(*, site, column: str, url: str, seed: str, items: list[tuple[str, str, str]], page: int,
                     pages: int, total: int, sub_columns: list[tuple[str, str]] = (),
                     side_columns: list[tuple[str, str]] = (), breadcrumb: list[tuple[str, str]] = (),
                     pager_links: list[tuple[str, str]] | None = None) -> bytes:
    """A TRS column (list) page in the same chrome as `render_page`: header, navigation,
    a side menu of the site's columns (`side_columns`: (name, href)), the breadcrumb,
    the sub-column links (`sub_columns`, in ``<div class="sub-column">``), the list
    ``<ul class="list">`` of `items` ((href, title, YYYY-MM-DD)), and the TRS pager call
    ``createPageHTML('page_div', pages, page, 'index', 'html', total)`` (page counts from 0:
    page 0 is ``index.html``, page n is ``index_n.html``) — or, for platforms whose pager is
    markup, the links `pager_links` ((label, href)) in ``<div class="page">``."""
    rng = random.Random(f"list-{seed}")
    a = site
    site_code = f"50{rng.randint(10, 99)}{rng.randint(100000, 999999)}"
    head = _head(a, title=column, column=column, site_code=site_code, url=url, declare_charset=True,
                 charset="utf-8", article=[], css="xxgk_list.css")
    crumbs = [f'<a href="https://{a.host}/" title="首页" class="CurrChnlCls">首页</a>']
    crumbs += [f'<a href="{href}" title="{_esc(name)}" class="CurrChnlCls">{_esc(name)}</a>' for name, href in breadcrumb]
    main = ['<div class="w1200 main clearfix">',
            '<div class="position">当前位置：' + "&nbsp;&gt;&nbsp;".join(crumbs) + "</div>",
            '<div class="zwgk-left fl"><div class="tit">政务公开</div><ul class="left-menu">']
    for name, href in side_columns:
        main.append(f'<li><a href="{href}" target="_self" title="{_esc(name)}">{_esc(name)}</a></li>')
    main += ["</ul></div>", '<div class="zwgk-right fr">',
             f'<div class="column-title"><span>{_esc(column)}</span></div>']
    if sub_columns:
        main.append('<div class="sub-column"><ul>'
                    + "".join(f'<li><a href="{href}">{_esc(name)}</a></li>' for name, href in sub_columns)
                    + "</ul></div>")
    main.append('<ul class="list">')
    for href, title, day in items:
        t = html.escape(title, quote=True)
        main.append(f'  <li><a href="{href}" target="_blank" title="{t}">{_esc(title)}</a><span>{day}</span></li>')
    if pager_links is not None:
        main += ["</ul>", f'<div class="page"><span>共{total}条 第{page + 1}/{pages}页</span>'
                 + "".join(f'<a href="{href}">{_esc(label)}</a>' for label, href in pager_links) + "</div>",
                 "</div></div>"]
    else:
        main += ["</ul>", '<div id="page_div"></div>',
                 '<script type="text/javascript" src="/images/page.js"></script>',
                 f"<script type=\"text/javascript\">createPageHTML('page_div', {pages}, {page}, 'index', 'html', {total});"
                 "</script>",
                 "</div></div>"]
    top = _top(a, rng, site_code)
    return "\n".join(head + top + main + _bottom(a, rng, site_code)).encode("utf-8")
