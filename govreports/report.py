"""One self-contained HTML page on a published dataset: `govreports report --out report.html`.

What an operator and a researcher look at first:

- **Coverage**: reports per site (the host of `reports.source_url`; `portal` is the spider)
  and year — found, and parsed (status ok or partial) — cells shaded by the share parsed.
- **Quality**: reports per status, the table checks that fail most (issues of severity
  error whose code starts with t2., t3. or t4.) per site, and the fetches that failed
  (`documents`: no bytes, or an HTTP status other than 200).
- **Charts** (inline SVG drawn here): requests received per year (table 3, 本年新收, 总计),
  outcome shares per year (table 3's outcome rows, 总计 column), review and litigation
  cases per year (table 4, 总计 column). Each figure sums the reports with status ok or
  partial, a known year and a number in the cell; how many reports stand behind each bar
  is printed with it, and a cell with no number is left out, never counted as 0.

The page needs nothing but itself: CSS and SVG are inline, no script, no font, image or
stylesheet is fetched (system CJK fonts are used), and it prints on A4. The only URLs in
it are plain links to the source pages in the tables, and only http(s) ones. Every text
from the data is escaped. Reads only the columns it needs, with pyarrow.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from govreports.summary import LOCAL, site_of
from normalize.checks import CHECKS, OUTCOME_ROWS
from normalize.dataset import STATUS_DESCRIPTIONS, UNKNOWN_YEAR, is_check_code
from normalize.record import STATUSES

#: format versions that print the national tables 3 and 4 (pre2019 reports have appendix tables only)
NATIONAL_FORMATS = ("2019", "2021")
PARSED = ("ok", "partial")
#: fetch failures listed one by one (the counts per site cover them all)
MAX_FETCH_ROWS = 200

STATUS_ZH = {
    "ok": "完整解析",
    "partial": "部分解析",
    "needs_ocr": "需要OCR核验",
    "failed": "无法读取",
    "not_a_report": "非年度报告",
}
STATUS_COLOURS = {"ok": "#1b7837", "partial": "#7fbf7b", "needs_ocr": "#e69f00", "failed": "#b2182b",
                  "not_a_report": "#999999"}


@dataclass(frozen=True)
class Outcome:
    key: str
    zh: str
    en: str
    rows: tuple[str, ...]
    colour: str


def _outcomes() -> tuple[Outcome, ...]:
    """Table 3's outcome rows (normalize.checks.OUTCOME_ROWS, the keys of labels.toml) in the
    six groups the national format prints. `other_handling` is one row in the 2019 format and
    in some 2021 reports; where a 2021 report prints its three sub-rows instead, the dataset
    holds `other_handling` as their sum (value_flag `derived`), so it is the one key summed."""
    groups = (
        ("granted", "予以公开", "granted", "#0072B2"),
        ("partially_granted", "部分公开", "partially granted", "#56B4E9"),
        ("withheld", "不予公开", "refused", "#D55E00"),
        ("unavailable", "无法提供", "unavailable", "#E69F00"),
        ("not_processed", "不予处理", "not processed", "#CC79A7"),
        ("other_handling", "其他处理", "other", "#8c8c8c"),
    )
    out = []
    for key, zh, en, colour in groups:
        rows = tuple(r for r in OUTCOME_ROWS if r == key or r.startswith(key + "_"))
        out.append(Outcome(key, zh, en, rows, colour))
    assigned = [r for o in out for r in o.rows]
    if sorted(assigned) != sorted(OUTCOME_ROWS):  # a new outcome row in labels.toml needs a group here
        raise RuntimeError(f"outcome rows without a group: {sorted(set(OUTCOME_ROWS) - set(assigned))}")
    return tuple(out)


OUTCOMES = _outcomes()

#: table 4's rows, charted by their 总计 column
T4_SERIES = (
    ("review", "行政复议", "administrative review", "#0072B2"),
    ("litigation_direct", "未经复议直接起诉", "litigation without review", "#E69F00"),
    ("litigation_after_review", "复议后起诉", "litigation after review", "#CC79A7"),
)


# ---------------------------------------------------------------- reading


def _table(dataset: Path, name: str, columns: list[str], filter: Any = None) -> pa.Table | None:
    path = dataset / name
    if not path.exists():
        return None
    d = ds.dataset(path, format="parquet", partitioning="hive" if name != "documents" else None)
    columns = [c for c in columns if c in d.schema.names]
    return d.to_table(columns=columns, filter=filter)


@dataclass
class Data:
    build: dict[str, Any]
    reports: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    #: (year, "t3.<row_key>" or "t4.<row_key>") → (sum, reports with a number): the 总计 column
    #: of the charted rows, over eligible reports (status ok/partial, known year)
    sums: dict[tuple[int, str], tuple[float, int]] = field(default_factory=dict)
    #: year → reports with at least one number among table 3's outcome rows / table 4's rows
    outcome_reports: dict[int, int] = field(default_factory=dict)
    #: (year, outcome group) → reports with a number in at least one of the group's rows
    group_reports: dict[tuple[int, str], int] = field(default_factory=dict)
    t4_reports: dict[int, int] = field(default_factory=dict)
    #: year → eligible reports: status ok/partial, a known year, the national format (2019 or 2021)
    #: whose tables 3 and 4 the charts read
    eligible: Counter = field(default_factory=Counter)


def load(dataset: Path) -> Data:
    build: dict[str, Any] = {}
    if (dataset / "_build.json").exists():
        try:
            build = json.loads((dataset / "_build.json").read_text("utf-8"))
        except (OSError, ValueError):
            build = {}
    reports_t = _table(dataset, "reports", ["report_id", "year", "status", "source_url", "portal", "issues", "title",
                                            "format_version"])
    reports = reports_t.to_pylist() if reports_t is not None else []
    documents_t = _table(dataset, "documents", ["url", "http_status", "sha256", "portal", "referer"])
    documents = documents_t.to_pylist() if documents_t is not None else []
    data = Data(build=build, reports=reports, documents=documents)

    eligible_ids: dict[str, int] = {}  # report_id → year
    national: set[str] = set()
    for r in reports:
        if r["status"] in PARSED and r["year"] and r["year"] != UNKNOWN_YEAR:
            eligible_ids[r["report_id"]] = r["year"]
            if r.get("format_version") in NATIONAL_FORMATS:
                national.add(r["report_id"])
    data.eligible = Counter(eligible_ids[rid] for rid in national)
    keys = ["new_received", *OUTCOME_ROWS, *(k for k, *_ in T4_SERIES)]
    facts = _table(
        dataset, "facts", ["report_id", "year", "table", "row_key", "value"],
        filter=(ds.field("table").isin(["t3", "t4"]) & (ds.field("col_key") == "total")
                & ds.field("row_key").isin(keys) & ds.field("value").is_valid()),
    )
    if facts is None or not eligible_ids or facts.num_rows == 0:
        return data
    facts = facts.filter(pc.is_in(facts["report_id"], value_set=pa.array(list(eligible_ids), pa.string())))
    # the reports a chart could read: the national format's, and any other with these numbers
    data.eligible = Counter(eligible_ids[rid] for rid in national | set(pc.unique(facts["report_id"]).to_pylist()))
    facts = pa.table({
        "report_id": facts["report_id"],
        "year": facts["year"],
        "table": facts["table"].cast(pa.string()),
        "row_key": facts["row_key"].cast(pa.string()),
        "value": facts["value"],
    })
    # t3 new_received and the outcome rows; t4 review/litigation rows (row keys differ between tables)
    wanted = {("t3", "new_received"), *(("t3", k) for k in OUTCOME_ROWS), *(("t4", k) for k, *_ in T4_SERIES)}
    grouped = facts.group_by(["year", "table", "row_key"]).aggregate([("value", "sum"), ("report_id", "count_distinct")])
    for row in grouped.to_pylist():
        if (row["table"], row["row_key"]) in wanted:
            data.sums[(row["year"], f'{row["table"]}.{row["row_key"]}')] = (row["value_sum"], row["report_id_count_distinct"])

    def reports_per_year(table_name: str, rows: Iterable[str]) -> dict[int, int]:
        part = facts.filter(pc.and_(pc.equal(facts["table"], table_name), pc.is_in(facts["row_key"], pa.array(list(rows)))))
        return {r["year"]: r["report_id_count_distinct"]
                for r in part.group_by("year").aggregate([("report_id", "count_distinct")]).to_pylist()}

    data.outcome_reports = reports_per_year("t3", OUTCOME_ROWS)
    data.t4_reports = reports_per_year("t4", [k for k, *_ in T4_SERIES])
    for o in OUTCOMES:
        for year, n in reports_per_year("t3", o.rows).items():
            data.group_reports[(year, o.key)] = n
    return data


# ---------------------------------------------------------------- formatting


def e(x: Any) -> str:
    return escape("" if x is None else str(x), quote=True)


def num(x: float | int | None) -> str:
    if x is None:
        return "—"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.2f}"
    return f"{int(x):,}"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


def year_label(y: int) -> str:
    return "?" if y == UNKNOWN_YEAR else str(y)


def link(url: str | None, text: str | None = None) -> str:
    """A plain link to a source URL, only for http(s) URLs (any other scheme is shown as text)."""
    if not url:
        return e(text or "")
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("http", "https"):
        return f'<a href="{e(url)}" rel="noopener noreferrer">{e(text or url)}</a>'
    return f'<span class="path">{e(text or url)}</span>'


def md(text: str | None) -> str:
    """Escaped text whose `backticked` words (the codebook's Markdown) become <code>."""
    parts = e(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def bi(zh: str, en: str) -> str:
    """A Chinese label with its English."""
    return f'{e(zh)} <span class="en">{e(en)}</span>'


def shade(share: float) -> str:
    """Cell background by the share parsed: pale (none) to deep blue (all)."""
    return f"hsl(205, 70%, {97 - 30 * share:.0f}%)"


def nice_max(x: float) -> float:
    if x <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(x))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= x:
            return m * exp
    return 10 * exp


# ---------------------------------------------------------------- sections


def header(data: Data, dataset: Path) -> str:
    b = data.build
    counts = b.get("counts") or {}
    years = sorted({r["year"] for r in data.reports if r["year"]})
    sites = {site_of(r["source_url"]) for r in data.reports}
    created = (b.get("created_at") or "")[:10] or "—"
    items = [
        (bi("构建编号", "build id"), e(b.get("build_id") or "—")),
        (bi("构建日期", "built on"), e(created)),
        (bi("解析程序版本", "parser version"), e(b.get("parser_version") or "—")),
        (bi("数据结构版本", "schema version"), e(b.get("schema_version") or "—")),
        (bi("报告", "reports"), num(len(data.reports))),
        (bi("数据项", "facts"), num(counts.get("facts"))),
        (bi("抓取文件", "files fetched"), num(len(data.documents))),
        (bi("站点", "sites"), num(len(sites))),
        (bi("年度", "years"), e(f"{years[0]}–{years[-1]}" if years else "—")),
    ]
    dl = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in items)
    return (
        '<header id="top">'
        f'<h1>政府信息公开工作年度报告数据集 <span class="en">govreports dataset report</span></h1>'
        f'<p class="lead">{e(dataset)}</p>'
        f'<dl class="facts">{dl}</dl>'
        '<nav><a href="#coverage">覆盖范围 Coverage</a> · <a href="#quality">数据质量 Quality</a> · '
        '<a href="#charts">图表 Charts</a></nav>'
        '</header>'
    )


def coverage(data: Data) -> str:
    found: dict[str, Counter] = defaultdict(Counter)
    parsed: dict[str, Counter] = defaultdict(Counter)
    portals: dict[str, set] = defaultdict(set)
    for r in data.reports:
        if r["status"] == "not_a_report":
            continue
        site = site_of(r["source_url"])
        found[site][r["year"]] += 1
        if r["status"] in PARSED:
            parsed[site][r["year"]] += 1
        if r.get("portal"):
            portals[site].add(r["portal"])
    if not found:
        return ('<section id="coverage"><h2>覆盖范围 <span class="en">Coverage</span></h2>'
                '<p class="empty">没有报告 <span class="en">No reports in this dataset.</span></p></section>')
    years = sorted({y for c in found.values() for y in c}, key=lambda y: (y == UNKNOWN_YEAR, y))
    sites = sorted(found, key=lambda s: (s == LOCAL, s))

    def cell(f: int, p: int, year: int | str, cls: str = "cell") -> str:
        if not f:
            return f'<td class="{cls} none" data-year="{e(year)}" data-found="0" data-parsed="0">·</td>'
        style = f' style="background:{shade(p / f)}"'
        return (f'<td class="{cls}" data-year="{e(year)}" data-found="{f}" data-parsed="{p}"{style} '
                f'title="{p} of {f} parsed">{p}<span class="of">/{f}</span></td>')

    head = "".join(f'<th scope="col">{e(year_label(y))}</th>' for y in years)
    rows = []
    for s in sites:
        tds = "".join(cell(found[s][y], parsed[s][y], y) for y in years)
        total_f, total_p = sum(found[s].values()), sum(parsed[s].values())
        rows.append(f'<tr data-site="{e(s)}"><th scope="row">{e(s)}</th><td class="portal">{e(", ".join(sorted(portals[s])))}</td>'
                    f'{tds}{cell(total_f, total_p, "total", "cell total")}</tr>')
    foot = "".join(cell(sum(found[s][y] for s in sites), sum(parsed[s][y] for s in sites), y, "cell total") for y in years)
    all_f = sum(sum(c.values()) for c in found.values())
    all_p = sum(sum(c.values()) for c in parsed.values())
    legend = "".join(f'<span class="swatch" style="background:{shade(s)}"></span>{int(s * 100)}% ' for s in (0, .25, .5, .75, 1))
    return (
        '<section id="coverage"><h2>覆盖范围 <span class="en">Coverage</span></h2>'
        '<p>每格：已解析 / 已找到的报告数（按站点和报告年度）。<span class="en">Each cell: reports parsed / reports found, '
        'per site (host of the source URL; the portal column names the spider) and report year. Parsed = status ok or '
        'partial; found = every report row except pages that are not reports (status not_a_report). '
        'Year ? = the year could not be read.</span></p>'
        '<div class="scroll"><table id="coverage-table" class="grid">'
        f'<thead><tr><th scope="col">站点 <span class="en">site</span></th><th scope="col">门户 <span class="en">portal</span></th>'
        f'{head}<th scope="col">合计 <span class="en">total</span></th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody>'
        f'<tfoot><tr class="total"><th scope="row">合计 <span class="en">total</span></th><td></td>{foot}'
        f'{cell(all_f, all_p, "total", "cell total")}</tr></tfoot>'
        '</table></div>'
        f'<p class="legend">已解析比例 <span class="en">share parsed</span>: {legend}</p>'
        '</section>'
    )


def _hbar(value: int, whole: int, colour: str, width: int = 220) -> str:
    w = 0 if not whole else max(1.0, width * value / whole) if value else 0
    return (f'<svg class="hbar" width="{width}" height="12" viewBox="0 0 {width} 12" aria-hidden="true">'
            f'<rect x="0" y="0" width="{width}" height="12" fill="#eee"/>'
            f'<rect x="0" y="0" width="{w:.1f}" height="12" fill="{colour}"/></svg>')


def _failing_checks(r: dict[str, Any]) -> dict[str, str]:
    """code → first message, for the table checks a report fails."""
    out: dict[str, str] = {}
    for i in r.get("issues") or []:
        code = i.get("code") or ""
        if i.get("severity") == "error" and is_check_code(code):  # as `checks_failed` counts them
            out.setdefault(code, i.get("message") or "")
    return out


def quality(data: Data) -> str:
    n = len(data.reports)
    statuses = Counter(r["status"] for r in data.reports)
    order = [s for s in STATUSES] + sorted(set(statuses) - set(STATUSES))
    rows = "".join(
        f'<tr data-status="{e(s)}"><th scope="row"><code>{e(s)}</code> {e(STATUS_ZH.get(s, ""))}</th>'
        f'<td class="n">{num(statuses.get(s, 0))}</td><td class="n">{pct(statuses.get(s, 0), n)}</td>'
        f'<td>{_hbar(statuses.get(s, 0), n, STATUS_COLOURS.get(s, "#666"))}</td>'
        f'<td class="note">{md(STATUS_DESCRIPTIONS.get(s, ""))}</td></tr>'
        for s in order
    )
    status_html = (
        '<h3 id="statuses">处理状态 <span class="en">Statuses</span></h3>'
        '<table id="status-table" class="list"><thead><tr><th scope="col">状态 <span class="en">status</span></th>'
        '<th scope="col">报告 <span class="en">reports</span></th><th scope="col">%</th><th scope="col"></th>'
        f'<th scope="col">含义 <span class="en">meaning</span></th></tr></thead><tbody>{rows}</tbody></table>'
    )

    # failing table checks: per code overall, per site
    by_code: Counter = Counter()
    example: dict[str, tuple[str, dict[str, Any]]] = {}
    per_site: dict[str, Counter] = defaultdict(Counter)
    site_reports: Counter = Counter()
    site_failing: Counter = Counter()
    for r in data.reports:
        site = site_of(r["source_url"])
        site_reports[site] += 1
        failing = _failing_checks(r)
        if failing:
            site_failing[site] += 1
        for code, message in failing.items():
            by_code[code] += 1
            per_site[site][code] += 1
            example.setdefault(code, (message, r))
    failing_total = sum(site_failing.values())
    if by_code:
        code_rows = "".join(
            f'<tr data-code="{e(c)}"><th scope="row"><code>{e(c)}</code></th><td class="n">{num(k)}</td>'
            f'<td class="note">{e(CHECKS.get(c, ""))}</td>'
            f'<td class="note">{e(example[c][0])}<br>{link(example[c][1].get("source_url"), example[c][1].get("title") or example[c][1].get("source_url"))}</td></tr>'
            for c, k in by_code.most_common()
        )
        site_rows = "".join(
            f'<tr data-site="{e(s)}"><th scope="row">{e(s)}</th><td class="n">{num(site_reports[s])}</td>'
            f'<td class="n">{num(site_failing[s])}</td>'
            f'<td>{", ".join(f"<code>{e(c)}</code> {k}" for c, k in per_site[s].most_common(5))}</td></tr>'
            for s in sorted(site_reports, key=lambda s: (-site_failing[s], s == LOCAL, s)) if site_failing[s]
        )
        checks_html = (
            f'<p>{num(failing_total)} / {num(n)} 份报告至少有一项表格校验未通过。'
            '<span class="en">reports fail at least one table check (issues of severity error whose code starts with '
            't2., t3. or t4.: the national format\'s own identities). Such reports stay in the dataset; the numbers '
            'are as printed.</span></p>'
            '<table id="checks-table" class="list"><thead><tr><th scope="col">校验 <span class="en">check</span></th>'
            '<th scope="col">报告 <span class="en">reports</span></th><th scope="col">含义 <span class="en">what it checks</span></th>'
            f'<th scope="col">示例 <span class="en">example</span></th></tr></thead><tbody>{code_rows}</tbody></table>'
            '<h4>按站点 <span class="en">by site</span></h4>'
            '<table id="checks-by-site" class="list"><thead><tr><th scope="col">站点 <span class="en">site</span></th>'
            '<th scope="col">报告 <span class="en">reports</span></th><th scope="col">未通过 <span class="en">failing</span></th>'
            f'<th scope="col">最常见 <span class="en">most common (reports)</span></th></tr></thead><tbody>{site_rows}</tbody></table>'
        )
    else:
        checks_html = '<p class="empty">没有未通过的表格校验。<span class="en">No report fails a table check.</span></p>'

    # fetch failures
    failed = [d for d in data.documents
              if d.get("sha256") is None or (d.get("http_status") is not None and d["http_status"] != 200)]
    if failed:
        by_site: dict[str, Counter] = defaultdict(Counter)
        for d in failed:
            by_site[site_of(d["url"])][d.get("http_status") or "no response"] += 1
        fetched_by_site = Counter(site_of(d["url"]) for d in data.documents)
        site_rows = "".join(
            f'<tr data-site="{e(s)}"><th scope="row">{e(s)}</th><td class="n">{num(sum(c.values()))}</td>'
            f'<td class="n">{num(fetched_by_site[s])}</td>'
            f'<td>{", ".join(f"{e(k)}: {v}" for k, v in c.most_common())}</td></tr>'
            for s, c in sorted(by_site.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        )
        shown = failed[:MAX_FETCH_ROWS]
        url_rows = "".join(
            f'<tr><td class="n">{e(d.get("http_status") or "—")}</td>'
            f'<td>{"未取得 not stored" if d.get("sha256") is None else "已保存 stored"}</td>'
            f'<td class="url">{link(d["url"])}</td><td class="url">{link(d.get("referer"))}</td></tr>'
            for d in shown
        )
        more = (f'<p class="note">仅列出前 {MAX_FETCH_ROWS} 个。<span class="en">First {MAX_FETCH_ROWS} of '
                f'{len(failed)} shown.</span></p>' if len(failed) > MAX_FETCH_ROWS else "")
        fetch_html = (
            f'<p>{num(len(failed))} / {num(len(data.documents))} 个文件抓取失败。<span class="en">fetched files failed: '
            'no bytes stored, or an HTTP status other than 200 (documents table). <code>data/crawl.sqlite</code> '
            'holds the error of each (files.error).</span></p>'
            '<table id="fetch-by-site" class="list"><thead><tr><th scope="col">站点 <span class="en">site</span></th>'
            '<th scope="col">失败 <span class="en">failed</span></th><th scope="col">文件 <span class="en">files</span></th>'
            f'<th scope="col">HTTP</th></tr></thead><tbody>{site_rows}</tbody></table>'
            '<table id="fetch-table" class="list"><thead><tr><th scope="col">HTTP</th><th scope="col">内容 <span class="en">bytes</span></th>'
            '<th scope="col">网址 <span class="en">URL</span></th><th scope="col">引用页 <span class="en">linked from</span></th></tr></thead>'
            f'<tbody>{url_rows}</tbody></table>{more}'
        )
    else:
        fetch_html = (f'<p class="empty">没有抓取失败。<span class="en">No failed fetch among '
                      f'{num(len(data.documents))} files.</span></p>')

    return (
        '<section id="quality"><h2>数据质量 <span class="en">Quality</span></h2>'
        f'{status_html}'
        f'<h3 id="checks">未通过的表格校验 <span class="en">Failing table checks</span></h3>{checks_html}'
        f'<h3 id="fetches">抓取失败 <span class="en">Fetch failures</span></h3>{fetch_html}'
        '</section>'
    )


# ---------------------------------------------------------------- charts

W, H = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 26, 54


def _axes(ymax: float, *, percent: bool = False) -> list[str]:
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts = []
    for i in range(5):
        v = ymax * i / 4
        y = TOP + ph - ph * i / 4
        label = f"{v:.0f}%" if percent else num(round(v, 2) if not float(v).is_integer() else v)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{e(label)}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT + pw}" y1="{TOP + ph}" y2="{TOP + ph}"/>')
    return parts


def _svg(chart_id: str, title: str, body: list[str]) -> str:
    return (f'<svg id="{e(chart_id)}" class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
            f'aria-label="{e(title)}"><title>{e(title)}</title>{"".join(body)}</svg>')


def _year_labels(x: float, year: int, n: int) -> str:
    base = H - BOTTOM
    return (f'<text class="year" x="{x:.1f}" y="{base + 18}" text-anchor="middle">{year}</text>'
            f'<text class="n" x="{x:.1f}" y="{base + 34}" text-anchor="middle">n={n}</text>')


def chart_received(data: Data) -> str:
    series = sorted((y, *data.sums[(y, k)]) for (y, k) in data.sums if k == "t3.new_received")
    title = "本年新收政府信息公开申请数量 requests received per year"
    note = ('表3“本年新收政府信息公开申请数量”行“总计”列之和。<span class="en">Sum of table 3, row 本年新收 '
            '(<code>t3 new_received</code>), column 总计 (<code>total</code>), over reports with status ok or partial, a known '
            'year and a number in that cell; n = those reports. A cell printing no number is left out, not counted as 0 '
            '(the table gives the reports without one).</span>')
    if not series:
        return _figure("chart-received", title, '<p class="empty">没有数据 <span class="en">No data.</span></p>', note, "")
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = pw / len(series)
    bw = min(56.0, slot * 0.6)
    ymax = nice_max(max(v for _, v, _ in series))
    body = _axes(ymax)
    for i, (y, v, n) in enumerate(series):
        cx = LEFT + slot * (i + 0.5)
        h = ph * v / ymax
        body.append(
            f'<g class="bar" data-year="{y}" data-value="{v:g}" data-reports="{n}">'
            f'<title>{y}: {num(v)} ({n} reports)</title>'
            f'<rect x="{cx - bw / 2:.1f}" y="{TOP + ph - h:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="#0072B2"/>'
            f'<text class="value" x="{cx:.1f}" y="{TOP + ph - h - 5:.1f}" text-anchor="middle">{num(v)}</text>'
            f'{_year_labels(cx, y, n)}</g>')
    by_year = {y: (v, n) for y, v, n in series}
    rows = "".join(
        f'<tr data-year="{y}"><th scope="row">{y}</th><td class="n">{num(by_year.get(y, (None, 0))[0])}</td>'
        f'<td class="n">{by_year.get(y, (None, 0))[1]}</td><td class="n">{data.eligible[y] - by_year.get(y, (None, 0))[1]}</td></tr>'
        for y in sorted(set(by_year) | set(data.eligible)))
    table = ('<table class="chart-data list"><thead><tr><th scope="col">年度 <span class="en">year</span></th>'
             '<th scope="col">新收申请 <span class="en">received</span></th><th scope="col">报告 <span class="en">reports (n)</span></th>'
             '<th scope="col">无此数 <span class="en">parsed reports (2019/2021 format) without a number here</span></th></tr></thead>'
             f'<tbody>{rows}</tbody></table>')
    return _figure("chart-received", title, _svg("svg-received", title, body), note, table)


def chart_outcomes(data: Data) -> str:
    years = sorted(y for y in data.outcome_reports)
    title = "办理结果构成 outcome shares per year"
    note = ('表3“本年度办理结果”各行“总计”列之和占六类合计的比例。<span class="en">Each bar: the outcomes of table 3 '
            '(column 总计), summed per group over reports with status ok or partial and a known year, as shares of the six '
            'groups\' sum. Groups: 予以公开 <code>granted</code>; 部分公开 <code>partially_granted</code>; 不予公开 = the eight '
            '<code>withheld_*</code> rows; 无法提供 = the three <code>unavailable_*</code> rows; 不予处理 = the five '
            '<code>not_processed_*</code> rows; 其他处理 <code>other_handling</code> — one row in the 2019 format, the sum of '
            'its three sub-rows (<code>other_overdue_correction</code>, <code>other_unpaid_fee</code>, <code>other_other</code>; '
            'value_flag derived) in 2021-format reports that print them, so both formats compare. Only cells printing a '
            'number are summed (none counted as 0); n = reports with at least one such number; the table gives each '
            'group\'s sum and reports.</span>')
    if not years:
        return _figure("chart-outcomes", title, '<p class="empty">没有数据 <span class="en">No data.</span></p>', note, "")
    all_years = sorted(set(years) | set(data.eligible))
    reports = {y: [data.group_reports.get((y, o.key), 0) for o in OUTCOMES] for y in all_years}
    # a group with no number in any report of the year has no sum (None), not 0
    sums = {y: [sum(data.sums[(y, f"t3.{k}")][0] for k in o.rows if (y, f"t3.{k}") in data.sums) if n else None
                for o, n in zip(OUTCOMES, reports[y])] for y in all_years}
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = pw / len(years)
    bw = min(56.0, slot * 0.6)
    body = _axes(100, percent=True)
    for i, y in enumerate(years):
        cx = LEFT + slot * (i + 0.5)
        total = sum(v or 0 for v in sums[y])
        n = data.outcome_reports[y]
        segs, acc = [], 0.0
        for o, v in zip(OUTCOMES, sums[y]):
            if v is None:
                continue
            share = v / total if total else 0.0
            h = ph * share
            top = TOP + ph - acc - h
            segs.append(f'<rect class="seg" data-key="{o.key}" data-value="{v:g}" data-share="{share:.4f}" '
                        f'x="{cx - bw / 2:.1f}" y="{top:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{o.colour}">'
                        f'<title>{y} {o.zh} {o.en}: {num(v)} ({share:.0%})</title></rect>')
            if h >= 13:
                segs.append(f'<text class="inbar" x="{cx:.1f}" y="{top + h / 2 + 4:.1f}" text-anchor="middle">{share:.0%}</text>')
            acc += h
        if not total:
            segs.append(f'<text class="value" x="{cx:.1f}" y="{TOP + ph - 5:.1f}" text-anchor="middle">0</text>')
        body.append(f'<g class="bar" data-year="{y}" data-total="{total:g}" data-reports="{n}">{"".join(segs)}'
                    f'{_year_labels(cx, y, n)}</g>')
    legend = _legend([(o.colour, o.zh, o.en) for o in OUTCOMES])
    head = "".join(f'<th scope="col">{bi(o.zh, o.en)}</th>' for o in OUTCOMES)
    rows = "".join(
        f'<tr data-year="{y}"><th scope="row">{y}</th>'
        + "".join(f'<td class="n">{num(v)} <span class="sub">{pct(v or 0, sum(v or 0 for v in sums[y]))} · n={k}</span></td>'
                  for v, k in zip(sums[y], reports[y]))
        + f'<td class="n">{data.outcome_reports.get(y, 0)}</td>'
        f'<td class="n">{data.eligible[y] - data.outcome_reports.get(y, 0)}</td></tr>'
        for y in all_years)
    table = (f'<table class="chart-data list"><thead><tr><th scope="col">年度 <span class="en">year</span></th>{head}'
             f'<th scope="col">报告 <span class="en">reports (n)</span></th>'
             '<th scope="col">无此数 <span class="en">parsed reports (2019/2021 format) without an outcome number</span></th>'
             f'</tr></thead><tbody>{rows}</tbody></table>'
             '<p class="note"><span class="en">Per group, n = reports with a number in at least one of its rows.</span></p>')
    return _figure("chart-outcomes", title, legend + _svg("svg-outcomes", title, body), note, table)


def chart_review(data: Data) -> str:
    years = sorted(data.t4_reports)
    title = "行政复议、行政诉讼 review and litigation cases per year"
    note = ('表4各行“总计”列之和。<span class="en">Sums of table 4, column 总计 (<code>total</code>), of the rows 行政复议 '
            '(<code>review</code>), 未经复议直接起诉 (<code>litigation_direct</code>) and 复议后起诉 '
            '(<code>litigation_after_review</code>), over reports with status ok or partial, a known year and a number in '
            'the cell; n under the year = reports with any of the three; the table gives the reports behind each bar. '
            'A cell printing no number is left out, not counted as 0.</span>')
    if not years:
        return _figure("chart-review", title, '<p class="empty">没有数据 <span class="en">No data.</span></p>', note, "")
    vals = {y: [data.sums.get((y, f"t4.{k}"), (None, 0)) for k, *_ in T4_SERIES] for y in set(years) | set(data.eligible)}
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = pw / len(years)
    bw = min(22.0, slot * 0.8 / len(T4_SERIES))
    ymax = nice_max(max((v or 0) for y in years for v, _ in vals[y]))
    body = _axes(ymax)
    for i, y in enumerate(years):
        cx = LEFT + slot * (i + 0.5)
        x0 = cx - bw * len(T4_SERIES) / 2
        segs = []
        for j, ((key, zh, en, colour), (v, n)) in enumerate(zip(T4_SERIES, vals[y])):
            if v is None:
                continue
            h = ph * v / ymax
            x = x0 + j * bw
            segs.append(f'<rect class="seg" data-key="{key}" data-value="{v:g}" data-reports="{n}" x="{x:.1f}" '
                        f'y="{TOP + ph - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" fill="{colour}">'
                        f'<title>{y} {zh} {en}: {num(v)} ({n} reports)</title></rect>'
                        f'<text class="value small" x="{x + bw / 2:.1f}" y="{TOP + ph - h - 4:.1f}" text-anchor="middle">{num(v)}</text>')
        body.append(f'<g class="bar" data-year="{y}" data-reports="{data.t4_reports[y]}">{"".join(segs)}'
                    f'{_year_labels(cx, y, data.t4_reports[y])}</g>')
    legend = _legend([(c, zh, en) for _, zh, en, c in T4_SERIES])
    head = "".join(f'<th scope="col">{bi(zh, en)}</th>' for _, zh, en, _ in T4_SERIES)
    rows = "".join(
        f'<tr data-year="{y}"><th scope="row">{y}</th>'
        + "".join(f'<td class="n">{num(v)} <span class="sub">n={n}</span></td>' for v, n in vals[y])
        + f'<td class="n">{data.t4_reports.get(y, 0)}</td><td class="n">{data.eligible[y] - data.t4_reports.get(y, 0)}</td></tr>'
        for y in sorted(set(years) | set(data.eligible)))
    table = (f'<table class="chart-data list"><thead><tr><th scope="col">年度 <span class="en">year</span></th>{head}'
             '<th scope="col">报告 <span class="en">reports (n)</span></th>'
             '<th scope="col">无表4数 <span class="en">parsed reports (2019/2021 format) without a table 4 number</span></th></tr></thead>'
             f'<tbody>{rows}</tbody></table>')
    return _figure("chart-review", title, legend + _svg("svg-review", title, body), note, table)


def _legend(items: Iterable[tuple[str, str, str]]) -> str:
    lis = "".join(f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{c}"/></svg> '
                  f'{bi(zh, en)}</li>' for c, zh, en in items)
    return f'<ul class="legend">{lis}</ul>'


def _figure(fid: str, title: str, chart: str, note: str, table: str) -> str:
    zh, _, en = title.partition(" ")
    return (f'<figure id="{fid}" class="chart-figure"><figcaption><h3>{bi(zh, en)}</h3></figcaption>'
            f'{chart}<p class="note">{note}</p>{table}</figure>')


def charts(data: Data) -> str:
    return ('<section id="charts"><h2>图表 <span class="en">Charts</span></h2>'
            f'{chart_received(data)}{chart_outcomes(data)}{chart_review(data)}</section>')


# ---------------------------------------------------------------- page

CSS = """
:root { --ink: #1a1a1a; --muted: #5f6368; --line: #d0d4d9; --accent: #0b5394; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; color: var(--ink); background: #fff;
  font: 15px/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "WenQuanYi Micro Hei", system-ui, sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 17px; margin: 24px 0 8px; }
h4 { font-size: 15px; margin: 16px 0 6px; }
.en { color: var(--muted); font-weight: normal; }
h1 .en, h2 .en, h3 .en { font-size: 0.8em; }
.lead { color: var(--muted); margin: 0 0 12px; word-break: break-all; }
dl.facts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0 0 12px; }
dl.facts div { min-width: 120px; }
dl.facts dt { font-size: 12px; color: var(--muted); }
dl.facts dt .en { font-size: 11px; }
dl.facts dd { margin: 0; font-size: 18px; font-weight: 600; }
nav a, a { color: var(--accent); }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 7px; vertical-align: top; }
thead th { background: #f3f5f7; text-align: left; }
th[scope=row] { text-align: left; font-weight: 500; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.note, p.note { color: var(--muted); font-size: 12.5px; }
td.url { word-break: break-all; max-width: 460px; }
.scroll { overflow-x: auto; }
table.grid td.cell { text-align: center; font-variant-numeric: tabular-nums; min-width: 46px; }
table.grid td.none { color: #b0b4b8; }
table.grid td.total, table.grid tr.total th { font-weight: 600; }
.of { color: var(--muted); font-size: 11px; }
.sub { color: var(--muted); font-size: 11px; display: block; }
.swatch { display: inline-block; width: 22px; height: 12px; border: 1px solid var(--line); vertical-align: middle; margin: 0 3px 0 8px; }
.empty { color: var(--muted); font-style: italic; }
figure { margin: 20px 0 28px; }
svg.chart { max-width: 100%; height: auto; display: block; }
svg.chart text { font-size: 12px; fill: var(--ink); }
svg.chart text.tick, svg.chart text.n { fill: var(--muted); font-size: 11px; }
svg.chart text.small { font-size: 10px; }
svg.chart text.inbar { fill: #fff; font-size: 10px; }
svg.chart line.grid { stroke: #e6e8eb; }
svg.chart line.axis { stroke: #777; }
ul.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; }
ul.legend svg { vertical-align: -1px; }
code { font-size: 0.92em; background: #f3f5f7; padding: 0 3px; border-radius: 3px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  figure, tr, dl.facts { break-inside: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 8.5pt; }
  td.url { max-width: none; }
}
"""


def render(data: Data, dataset: Path) -> str:
    title = "政府信息公开工作年度报告数据集 · govreports"
    build_id = data.build.get("build_id")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)}{" · " + e(build_id) if build_id else ""}</title>'
        '<link rel="icon" href="data:,">'
        f'<style>{CSS}</style></head><body>'
        f'{header(data, dataset)}<main>{coverage(data)}{quality(data)}{charts(data)}</main>'
        '<footer>govreports report — 数据集说明见 codebook（docs/codebook.md）。<span class="en">Every column and key is '
        'described in the codebook (docs/codebook.md). This page is self-contained: it loads nothing from the network.'
        '</span></footer>'
        '</body></html>\n'
    )


def write_report(dataset_dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> str:
    """Write the HTML report on the dataset at `dataset_dir` to `out` (atomically); return a
    one-line summary."""
    dataset = Path(dataset_dir)
    if not dataset.is_dir():
        raise FileNotFoundError(f"no dataset at {dataset}")
    out = Path(out)
    data = load(dataset)
    page = render(data, dataset)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    years = sorted({r["year"] for r in data.reports if r["year"]})
    sites = {site_of(r["source_url"]) for r in data.reports}
    span = f", years {years[0]}–{years[-1]}" if years else ""
    return (f"wrote {out} ({len(page.encode('utf-8')) // 1024 + 1} KB): {len(data.reports)} reports from "
            f"{len(sites)} site(s){span}")
