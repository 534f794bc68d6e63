"""Report specifications: what a generated report prints, and what the normalizer must read.

A `ReportSpec` holds the printed text of every table cell (keyed by the canonical
(table, row_key, col_key) of SCHEMA.md) and the report's paragraphs. `make_spec(seed)`
draws one deterministically; its numbers satisfy the national format's identities
unless asked to break one. `expected_facts(spec)` turns the printed cells into the facts
a correct normalizer produces, by the value rules of SCHEMA.md (blank means blank).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterator

from . import prose
from .agencies import AGENCIES, Agency, docid_for, page_url
from .prose import Quote, Section
from .tables import (APPLICANT_COLUMNS, OTHER_SPLIT, T3_COLUMNS, T4_COLUMNS, T4_ROWS,
                     t2_cells, t3_outcome_rows, t3_rows)

FORMATS = ("2021", "2019", "pre2019")
IDENTITIES = ("t3.balance", "t3.outcomes", "t3.applicants", "t4.rows")
QUIRKS = (
    "blank_zeros",  # table 3 prints its zeros as empty cells
    "blank_total_column",  # table 3's 总计 column is empty except （七）总计
    "slash",  # table 2 cells that do not apply print "/"
    "dash",  # zero cells of table 2 print "—", "-" or "--"
    "annotated",  # 22（其中修订16件）, 55（含自然失效29件）
    "yuan",  # the fee amount printed in 元 with its unit: 251000元
    "thousands",  # 1,036
    "fullwidth",  # １２
    "plus_sign",  # 2019 本年增/减 printed +3
    "enum_dunhao",  # sub-rows numbered 1、 rather than 1.
)

Key = tuple[str, str, str]


@dataclass(slots=True)
class ReportSpec:
    seed: int
    agency: Agency
    year: int
    format_version: str  # 2021, 2019, pre2019 (what the tables print)
    publish_date: date
    title: str
    intro: list[str]
    sections: list[Section]
    cells: dict[Key, str]  # printed text of every number cell
    t3_other_rows: str = "split"  # 2021 only: "split" (three （六） sub-rows) or "single"
    appendix_rows: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    quirks: tuple[str, ...] = ()
    broken: str | None = None  # the identity broken on purpose, if any
    docid: int = 0
    page_url: str | None = None  # where a platform other than TRS publishes it (else the TRS URL)

    @property
    def agency_name(self) -> str:
        return self.agency.name

    @property
    def region(self) -> str:
        return self.agency.region

    @property
    def url(self) -> str:
        return self.page_url or page_url(self.agency, self.publish_date, self.docid)

    @property
    def enum(self) -> str:
        return "、" if "enum_dunhao" in self.quirks else "."

    def body(self) -> Iterator[tuple[str, str]]:
        """The report between title and signature, in printed order, for every renderer:
        ("paragraph", text), ("heading", text), ("caption", text) or ("table", grid name)."""
        for p in self.intro:
            yield "paragraph", p
        for s in self.sections:
            yield "heading", s.heading
            for p in s.paragraphs:
                yield "paragraph", p
            if s.table == "appendix":
                yield "caption", f"附表：{self.year}年政府信息公开情况统计表"
            if s.table:
                yield "table", s.table

    def signature(self) -> list[str]:
        d = self.publish_date
        return [self.agency.name, f"{d.year}年{d.month}月{d.day}日"]

    def full_text(self) -> str:
        """Title, paragraphs and signature (no tables), for the text-consistency check."""
        parts = [self.title, *self.intro]
        for s in self.sections:
            parts += [s.heading, *s.paragraphs]
        return "\n".join(parts + self.signature())


# ------------------------------------------------------------------ printed cell → value
_SLASH = {"/", "／", "\\"}
_DASH = {"-", "--", "—", "——", "–", "－", "―"}
_NUM = r"[+\-]?\d+(?:\.\d+)?"
_UNIT = re.compile(rf"^({_NUM})(万元|亿元|元|件|条|个|次|人)$")
_ANNOT = re.compile(rf"^({_NUM})[（(].*[）)]$")


def parse_cell(raw: str) -> tuple[float | None, str | None, str | None]:
    """(value, value_flag, unit) of a printed cell — the reference rules of SCHEMA.md."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = re.sub(r"\s+", "", text).replace("\u00a0", "")
    text = re.sub(r"(?<=\d),(?=\d{3}(\D|$))", "", text)
    if not text:
        return None, "blank", None
    if text in _SLASH:
        return None, "slash", None
    if text in _DASH:
        return None, "dash", None
    if re.fullmatch(_NUM, text):
        return float(text), None, None
    if m := _UNIT.match(text):
        return float(m.group(1)), "unit", m.group(2)
    if m := _ANNOT.match(text):
        return float(m.group(1)), "annotated", None
    return None, "text", None


def expected_facts(spec: ReportSpec) -> list:
    """The canonical facts a correct normalizer produces for `spec`, in printed order.

    Returns `normalize.record.Fact` objects. Cells print what `spec.cells` says; values
    follow `parse_cell`. `value_raw` is the cell's printed text with surrounding white
    space stripped ("" for a blank cell); an appendix number takes its row's printed
    单位 as `unit`. A 2021 table 3 that prints the three （六）
    sub-rows also yields `other_handling` per column, flagged `derived` (value_raw None;
    the sum of the three sub-rows, None unless all three print a number: a blank is
    never counted as 0).
    """
    from normalize.record import Fact

    out = []
    appendix_units = {k: unit for kind, _, unit, k in spec.appendix_rows if kind == "item"}
    for key in cell_keys(spec):
        raw = spec.cells.get(key, "")
        value, flag, unit = parse_cell(raw)
        if key == ("t2", "fees", "amount_10k_yuan") and flag is None and value is not None:
            unit = "万元"
        if key[0] == "appendix" and unit is None and value is not None:
            unit = appendix_units.get(key[1]) or None  # the row's printed 单位
        out.append(Fact(key[0], key[1], key[2], value, raw.strip().replace("\u00a0", ""), flag, unit))
    if spec.format_version == "2021" and spec.t3_other_rows == "split":
        for col in T3_COLUMNS:
            vals = [parse_cell(spec.cells.get(("t3", r, col), ""))[0] for r in OTHER_SPLIT]
            value = float(sum(vals)) if None not in vals else None
            out.append(Fact("t3", "other_handling", col, value, None, "derived", None))
    return out


def cell_keys(spec: ReportSpec) -> list[Key]:
    """Every number cell the report prints, in printed order."""
    if spec.format_version == "pre2019":
        return [("appendix", k, "统计数") for kind, _, _, k in spec.appendix_rows if kind == "item"]
    keys: list[Key] = []
    for row, cols in t2_cells(spec.format_version).items():
        keys += [("t2", row, c) for c in cols]
    for row in t3_rows(spec.format_version, spec.t3_other_rows):
        keys += [("t3", row, c) for c in T3_COLUMNS]
    for row in T4_ROWS:
        keys += [("t4", row, c) for c in T4_COLUMNS]
    return keys


# ------------------------------------------------------------------ identities
def identity_failures(spec: ReportSpec) -> dict[str, list[str]]:
    """Which identity instances the printed numbers break (an instance with a cell that
    prints no number is not decidable and is skipped, as the normalizer's checks do)."""
    if spec.format_version == "pre2019":
        return {}
    v = {k: parse_cell(spec.cells.get(k, ""))[0] for k in cell_keys(spec)}
    fails: dict[str, list[str]] = {}

    def eq(a, b):
        return abs(a - b) < 1e-6

    def t3(r, c):
        return v.get(("t3", r, c))

    outcome_rows = t3_outcome_rows(spec.format_version, spec.t3_other_rows)
    for c in T3_COLUMNS:
        parts = [t3(r, c) for r in ("new_received", "carried_over", "total_processed", "carried_forward")]
        if None not in parts and not eq(parts[0] + parts[1], parts[2] + parts[3]):
            fails.setdefault("t3.balance", []).append(c)
        outs = [t3(r, c) for r in outcome_rows]
        tp = t3("total_processed", c)
        if tp is not None and None not in outs and not eq(sum(outs), tp):
            fails.setdefault("t3.outcomes", []).append(c)
    for r in t3_rows(spec.format_version, spec.t3_other_rows):
        parts = [t3(r, c) for c in APPLICANT_COLUMNS]
        tot = t3(r, "total")
        if tot is not None and None not in parts and not eq(sum(parts), tot):
            fails.setdefault("t3.applicants", []).append(r)
    for r in T4_ROWS:
        parts = [v.get(("t4", r, c)) for c in T4_COLUMNS[:4]]
        tot = v.get(("t4", r, "total"))
        if tot is not None and None not in parts and not eq(sum(parts), tot):
            fails.setdefault("t4.rows", []).append(r)
    return fails


# ------------------------------------------------------------------ generation
_SCALE = {  # (low, high) of the yearly count of new requests
    "government": (60, 900), "general_office": (15, 320), "department": (0, 90), "township": (0, 12),
    "development_zone": (0, 90),
}
_COL_WEIGHTS = (0.86, 0.09, 0.004, 0.006, 0.02, 0.02)
_OUTCOME_WEIGHTS = {
    "granted": 0.34, "partially_granted": 0.05,
    "withheld_state_secret": 0.004, "withheld_prohibited_by_law": 0.006, "withheld_security_stability": 0.01,
    "withheld_third_party_rights": 0.02, "withheld_internal_affairs": 0.01, "withheld_process_information": 0.03,
    "withheld_law_enforcement_files": 0.005, "withheld_administrative_query": 0.03,
    "unavailable_not_held": 0.27, "unavailable_needs_creation": 0.03, "unavailable_unclear_after_correction": 0.03,
    "not_processed_petition": 0.03, "not_processed_duplicate": 0.03, "not_processed_publication": 0.004,
    "not_processed_excessive": 0.004, "not_processed_confirmation": 0.01,
    "other_overdue_correction": 0.05, "other_unpaid_fee": 0.002, "other_other": 0.04,
}


def _allocate(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Split `total` into len(weights) non-negative integers, roughly by weight."""
    if total <= 0:
        return [0] * len(weights)
    w = [x * rng.uniform(0.2, 1.8) for x in weights]
    s = sum(w)
    raw = [total * x / s for x in w]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(w)), key=lambda i: (raw[i] - out[i]) + rng.random() * 0.3, reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


def _fmt(x: float) -> str:
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def format_for_year(year: int) -> str:
    return "pre2019" if year <= 2018 else ("2019" if year <= 2020 else "2021")


def _t3_numbers(rng: random.Random, kind: str, version: str, other_rows: str) -> dict[Key, int]:
    lo, hi = _SCALE[kind]
    new_total = rng.randint(lo, hi) if rng.random() > 0.08 else 0
    new_cols = _allocate(rng, new_total, list(_COL_WEIGHTS))
    nums: dict[Key, int] = {}
    split_rows = list(_OUTCOME_WEIGHTS)
    for c, new in zip(APPLICANT_COLUMNS, new_cols):
        co = rng.randint(0, max(new // 10, 0)) if new else 0
        cf = rng.randint(0, max((new + co) // 12, 0)) if new + co else 0
        tp = new + co - cf
        alloc = dict(zip(split_rows, _allocate(rng, tp, [_OUTCOME_WEIGHTS[r] for r in split_rows])))
        if not (version == "2021" and other_rows == "split"):
            alloc["other_handling"] = sum(alloc.pop(r) for r in OTHER_SPLIT)
        nums.update({("t3", "new_received", c): new, ("t3", "carried_over", c): co,
                     ("t3", "total_processed", c): tp, ("t3", "carried_forward", c): cf})
        for r, x in alloc.items():
            nums[("t3", r, c)] = x
    for r in t3_rows(version, other_rows):
        nums[("t3", r, "total")] = sum(nums[("t3", r, c)] for c in APPLICANT_COLUMNS)
    return nums


def _t4_numbers(rng: random.Random, kind: str, requests: int) -> dict[Key, int]:
    nums: dict[Key, int] = {}
    cap = {"government": 12, "general_office": 8, "department": 3, "township": 1, "development_zone": 3}[kind]
    for r in T4_ROWS:
        active = requests > 0 and rng.random() < 0.6
        vals = [rng.randint(0, cap) if active and rng.random() < 0.6 else 0 for _ in range(4)]
        if r == "litigation_after_review":
            vals = [x // 2 for x in vals]
        for c, x in zip(T4_COLUMNS[:4], vals):
            nums[("t4", r, c)] = x
        nums[("t4", r, "total")] = sum(vals)
    return nums


def _t2_numbers(rng: random.Random, agency: Agency, version: str) -> dict[Key, float]:
    kind = agency.kind
    big = kind in ("government", "general_office")
    rules = agency.level in ("municipal", "city") and big
    nums: dict[Key, float] = {}
    nd_issued = rng.randint(3, 40) if big else (rng.randint(0, 8) if kind == "department" else rng.randint(0, 2))
    nd_repealed = rng.randint(0, max(nd_issued, 3))
    nd_force = nd_issued + rng.randint(5, 300 if big else 40)
    reg_issued = rng.randint(1, 15) if rules else 0
    reg_force = reg_issued + rng.randint(20, 150) if rules else 0
    scale = {"government": 30000, "general_office": 200, "department": 6000, "township": 300,
             "development_zone": 6000}[kind]
    licensing = rng.randint(0, scale)
    punishment = rng.randint(0, scale // 3)
    coercion = rng.randint(0, max(scale // 40, 2))
    if kind == "general_office":
        licensing, punishment, coercion = 0, 0, 0
    if version == "2021":
        nums.update({("t2", "regulations", "issued"): reg_issued,
                     ("t2", "regulations", "repealed"): rng.randint(0, reg_issued) if rules else 0,
                     ("t2", "regulations", "in_force"): reg_force,
                     ("t2", "normative_documents", "issued"): nd_issued,
                     ("t2", "normative_documents", "repealed"): nd_repealed,
                     ("t2", "normative_documents", "in_force"): nd_force,
                     ("t2", "licensing", "decisions"): licensing,
                     ("t2", "punishment", "decisions"): punishment,
                     ("t2", "coercion", "decisions"): coercion})
        fee = 0.0 if kind in ("general_office", "township") or rng.random() < 0.3 else round(rng.uniform(0.5, 9000), rng.choice([0, 2]))
        nums[("t2", "fees", "amount_10k_yuan")] = fee
    else:
        nums.update({("t2", "regulations", "made"): reg_issued,
                     ("t2", "regulations", "published"): reg_issued,
                     ("t2", "regulations", "total_published"): reg_force,
                     ("t2", "normative_documents", "made"): nd_issued,
                     ("t2", "normative_documents", "published"): nd_issued,
                     ("t2", "normative_documents", "total_published"): nd_force})
        for row, dec in (("licensing", licensing), ("other_services", rng.randint(0, scale // 10)),
                         ("punishment", punishment), ("coercion", coercion)):
            prev = rng.randint(0, 600) if kind != "general_office" else 0
            nums[("t2", row, "previous_count")] = prev
            nums[("t2", row, "change")] = rng.randint(-min(prev, 20), 20) if prev else 0
            nums[("t2", row, "decisions")] = dec if kind != "general_office" else 0
        fprev = rng.randint(0, 30) if kind == "department" else 0
        nums[("t2", "fees", "previous_count")] = fprev
        nums[("t2", "fees", "change")] = rng.randint(-min(fprev, 5), 3) if fprev else 0
        items = rng.randint(0, 60)
        nums[("t2", "procurement", "items")] = items
        nums[("t2", "procurement", "amount")] = round(rng.uniform(5, 5000), 2) if items else 0
    return nums


APPENDIX_SETS = {
    # the statistical table most provinces attached from 2015 to 2018
    "national": [
        ("group", "一、主动公开情况", "", None),
        ("item", "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条", "主动公开政府信息数不同渠道和方式公开相同信息计1条"),
        ("item", "其中：主动公开规范性文件数", "条", "其中主动公开规范性文件数"),
        ("item", "制发规范性文件总数", "件", "制发规范性文件总数"),
        ("group", "（二）通过不同渠道和方式公开政府信息的情况", "", None),
        ("item", "1.政府公报公开政府信息数", "条", "政府公报公开政府信息数"),
        ("item", "2.政府网站公开政府信息数", "条", "政府网站公开政府信息数"),
        ("item", "3.政务微博公开政府信息数", "条", "政务微博公开政府信息数"),
        ("item", "4.政务微信公开政府信息数", "条", "政务微信公开政府信息数"),
        ("item", "5.其他方式公开政府信息数", "条", "其他方式公开政府信息数"),
        ("group", "二、回应解读情况", "", None),
        ("item", "（一）回应公众关注热点或重大舆情数（不同方式回应同一热点或舆情计1次）", "次", "回应公众关注热点或重大舆情数不同方式回应同一热点或舆情计1次"),
        ("item", "（二）参加或举办新闻发布会总次数", "次", "参加或举办新闻发布会总次数"),
        ("item", "（三）政策解读稿件发布数", "篇", "政策解读稿件发布数"),
        ("group", "三、依申请公开情况", "", None),
        ("item", "（一）收到申请数", "件", "收到申请数"),
        ("item", "1.当面申请数", "件", "当面申请数"),
        ("item", "2.传真申请数", "件", "传真申请数"),
        ("item", "3.网络申请数", "件", "网络申请数"),
        ("item", "4.信函申请数", "件", "信函申请数"),
        ("item", "（二）申请办结数", "件", "申请办结数"),
        ("item", "1.按时办结数", "件", "按时办结数"),
        ("item", "2.延期办结数", "件", "延期办结数"),
        ("item", "（三）申请答复数", "件", "申请答复数"),
        ("item", "1.属于已主动公开范围数", "件", "属于已主动公开范围数"),
        ("item", "2.同意公开答复数", "件", "同意公开答复数"),
        ("item", "3.同意部分公开答复数", "件", "同意部分公开答复数"),
        ("item", "4.不同意公开答复数", "件", "不同意公开答复数"),
        ("item", "5.不属于本行政机关公开数", "件", "不属于本行政机关公开数"),
        ("item", "6.申请信息不存在数", "件", "申请信息不存在数"),
        ("item", "四、行政复议数量", "件", "行政复议数量"),
        ("item", "五、行政诉讼数量", "件", "行政诉讼数量"),
        ("item", "六、举报投诉数量", "件", "举报投诉数量"),
        ("item", "七、依申请公开信息收取的费用", "万元", "依申请公开信息收取的费用"),
        ("group", "八、机构建设和保障经费情况", "", None),
        ("item", "（一）政府信息公开工作专门机构数", "个", "政府信息公开工作专门机构数"),
        ("item", "（二）从事政府信息公开工作人员数", "人", "从事政府信息公开工作人员数"),
        ("item", "（三）政府信息公开专项经费", "万元", "政府信息公开专项经费"),
    ],
    # an older, shorter provincial table (2014-style)
    "short": [
        ("item", "主动公开政府信息数", "条", "主动公开政府信息数"),
        ("item", "其中：全文电子化率", "%", "其中全文电子化率"),
        ("item", "受理申请数", "件", "受理申请数"),
        ("item", "其中：当面申请数", "件", "其中当面申请数"),
        ("item", "网上申请数", "件", "网上申请数"),
        ("item", "信函申请数", "件", "信函申请数"),
        ("item", "同意公开数", "件", "同意公开数"),
        ("item", "同意部分公开数", "件", "同意部分公开数"),
        ("item", "不予公开数", "件", "不予公开数"),
        ("item", "行政复议数", "件", "行政复议数"),
        ("item", "行政诉讼数", "件", "行政诉讼数"),
        ("item", "申诉数", "件", "申诉数"),
        ("item", "收取费用", "元", "收取费用"),
    ],
}


def _appendix_numbers(rng: random.Random, kind: str, which: str) -> tuple[dict[Key, float], dict]:
    lo, hi = _SCALE[kind]
    received = rng.randint(lo // 3, max(hi // 3, 1)) if rng.random() > 0.15 else 0
    posts = rng.randint(50, 6000)
    review = rng.randint(0, 3) if received else 0
    v: dict[str, float] = {}
    if which == "national":
        channels = _allocate(rng, received, [0.2, 0.02, 0.6, 0.18])
        late = rng.randint(0, received // 10) if received else 0
        answers = _allocate(rng, received, [0.3, 0.3, 0.05, 0.05, 0.15, 0.15])
        regs = rng.randint(0, 30)
        web = int(posts * rng.uniform(0.6, 0.95))
        v.update({
            "主动公开政府信息数不同渠道和方式公开相同信息计1条": posts, "其中主动公开规范性文件数": regs,
            "制发规范性文件总数": regs + rng.randint(0, 5), "政府公报公开政府信息数": rng.randint(0, 200),
            "政府网站公开政府信息数": web, "政务微博公开政府信息数": rng.randint(0, 800),
            "政务微信公开政府信息数": rng.randint(0, 800), "其他方式公开政府信息数": rng.randint(0, 300),
            "回应公众关注热点或重大舆情数不同方式回应同一热点或舆情计1次": rng.randint(0, 40),
            "参加或举办新闻发布会总次数": rng.randint(0, 30), "政策解读稿件发布数": rng.randint(0, 120),
            "收到申请数": received, "当面申请数": channels[0], "传真申请数": channels[1],
            "网络申请数": channels[2], "信函申请数": channels[3], "申请办结数": received,
            "按时办结数": received - late, "延期办结数": late, "申请答复数": received,
            "属于已主动公开范围数": answers[0], "同意公开答复数": answers[1], "同意部分公开答复数": answers[2],
            "不同意公开答复数": answers[3], "不属于本行政机关公开数": answers[4], "申请信息不存在数": answers[5],
            "行政复议数量": review, "行政诉讼数量": rng.randint(0, review), "举报投诉数量": rng.randint(0, 5),
            "依申请公开信息收取的费用": 0, "政府信息公开工作专门机构数": rng.randint(1, 3),
            "从事政府信息公开工作人员数": rng.randint(1, 12),
            "政府信息公开专项经费": round(rng.uniform(0, 30), 1),
        })
    else:
        channels = _allocate(rng, received, [0.3, 0.5, 0.2])
        ans = _allocate(rng, received, [0.7, 0.1, 0.2])
        v.update({"主动公开政府信息数": posts, "其中全文电子化率": 100, "受理申请数": received,
                  "其中当面申请数": channels[0], "网上申请数": channels[1], "信函申请数": channels[2],
                  "同意公开数": ans[0], "同意部分公开数": ans[1], "不予公开数": ans[2],
                  "行政复议数": review, "行政诉讼数": rng.randint(0, review), "申诉数": rng.randint(0, 3),
                  "收取费用": 0})
    facts = {"posts": posts, "received": received, "review": review}
    return {("appendix", k, "统计数"): x for k, x in v.items()}, facts


def _print_cells(rng: random.Random, nums: dict[Key, float], quirks: tuple[str, ...], spec_version: str,
                 agency: Agency) -> dict[Key, str]:
    cells = {k: _fmt(x) for k, x in nums.items()}
    t3_keys = [k for k in cells if k[0] == "t3"]
    if "blank_zeros" in quirks:
        for k in t3_keys:
            if nums[k] == 0:
                cells[k] = ""
    if "blank_total_column" in quirks:
        for k in t3_keys:
            if k[2] == "total" and k[1] != "total_processed":
                cells[k] = ""
    if "slash" in quirks:
        reg = [k for k in cells if k[:2] == ("t2", "regulations")]
        if all(nums[k] == 0 for k in reg):
            for k in reg:
                cells[k] = "/"
        else:
            zeros = [k for k in cells if k[0] == "t2" and nums[k] == 0]
            if zeros:
                cells[rng.choice(sorted(zeros))] = "/"
    if "dash" in quirks:
        zeros = sorted(k for k in cells if k[0] == "t2" and nums[k] == 0 and cells[k] == "0")
        for k in zeros[: rng.randint(1, 3)]:
            cells[k] = rng.choice(["—", "-", "--"])
    if "annotated" in quirks:
        for k in (("t2", "normative_documents", "issued"), ("t2", "normative_documents", "made")):
            if k in cells and nums[k] >= 2:
                cells[k] = f"{_fmt(nums[k])}（其中修订{rng.randint(1, int(nums[k]) - 1)}件）"
        k = ("t2", "normative_documents", "in_force")
        if k in cells and nums[k] >= 10:
            cells[k] = f"{_fmt(nums[k])}（含自然失效{rng.randint(1, int(nums[k]) // 3)}件）"
    if "yuan" in quirks:
        k = ("t2", "fees", "amount_10k_yuan")
        if k in nums and nums[k]:
            cells[k] = f"{_fmt(round(nums[k] * 10000))}元"
        k = ("t2", "procurement", "amount")
        if k in nums and nums[k]:
            cells[k] = f"{_fmt(nums[k])}万元"
    if "thousands" in quirks:
        for k, x in nums.items():
            if k[0] == "t2" and float(x).is_integer() and x >= 1000 and cells[k] == _fmt(x):
                cells[k] = f"{int(x):,}"
    if "fullwidth" in quirks:
        cands = sorted(k for k in t3_keys if cells[k] and nums[k] >= 10)
        for k in rng.sample(cands, min(len(cands), 4)):
            cells[k] = cells[k].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if "plus_sign" in quirks:
        for k, x in nums.items():
            if k[2] == "change" and x > 0:
                cells[k] = f"+{_fmt(x)}"
    return cells


def _break(rng: random.Random, cells: dict[Key, str], nums: dict[Key, float], identity: str, version: str,
           other_rows: str) -> None:
    """Change printed numbers so that exactly one kind of identity fails."""
    k = rng.randint(1, 9)

    def bump(key, d):
        nums[key] += d
        cells[key] = _fmt(nums[key])

    col = rng.choice(APPLICANT_COLUMNS[:2])
    if identity == "t3.balance":  # a wrong new-received count, carried into the row total
        bump(("t3", "new_received", col), k)
        bump(("t3", "new_received", "total"), k)
    elif identity == "t3.outcomes":  # an outcome row overstated, row total included
        bump(("t3", "granted", col), k)
        bump(("t3", "granted", "total"), k)
    elif identity == "t3.applicants":  # two row totals swapped by a few
        bump(("t3", "granted", "total"), k)
        nums[("t3", "unavailable_not_held", "total")] += -k
        if nums[("t3", "unavailable_not_held", "total")] < 0:
            nums[("t3", "unavailable_not_held", "total")] += 2 * k
            nums[("t3", "granted", "total")] -= 2 * k
            cells[("t3", "granted", "total")] = _fmt(nums[("t3", "granted", "total")])
        cells[("t3", "unavailable_not_held", "total")] = _fmt(nums[("t3", "unavailable_not_held", "total")])
    elif identity == "t4.rows":
        bump(("t4", "review", "total"), k)
    else:
        raise ValueError(f"unknown identity {identity!r}; one of {IDENTITIES}")


def make_spec(seed: int, *, year: int | None = None, format_version: str | None = None,
              agency: Agency | str | None = None, quirks: tuple[str, ...] | str | None = "random",
              t3_other_rows: str | None = None, break_identity: str | None = None) -> ReportSpec:
    """A deterministic pseudo-random report.

    `format_version` defaults to the year's format; passing one that differs from the
    year's (e.g. a 2021 report printed in the 2019 format) makes a mismatch case.
    `quirks`: "random" (a few drawn from the seed), None/() for clean tables, or names
    from QUIRKS. `break_identity`: one of IDENTITIES, to test the checks.
    """
    rng = random.Random(f"govreports-corpus-{seed}")
    if year is None:
        year = rng.randint(2014, 2025)
    version = format_version or format_for_year(year)
    if version not in FORMATS:
        raise ValueError(f"format_version must be one of {FORMATS}")
    if isinstance(agency, str):
        agency = next(a for a in AGENCIES if a.name == agency)
    agency = agency or rng.choice(AGENCIES)
    if quirks == "random":
        pool = [q for q in QUIRKS if not (q.startswith("blank") and rng.random() < 0.6)]
        chosen = tuple(q for q in pool if rng.random() < 0.22)
    else:
        chosen = tuple(quirks or ())
    unknown = set(chosen) - set(QUIRKS)
    if unknown:
        raise ValueError(f"unknown quirks {sorted(unknown)}")
    if break_identity:  # a broken identity must stay decidable
        chosen = tuple(q for q in chosen if q not in ("blank_zeros", "blank_total_column", "fullwidth"))
    other_rows = t3_other_rows or ("single" if rng.random() < 0.15 else "split")
    if version != "2021":
        other_rows = "single"
    publish = date(year + 1, 1, 10) + timedelta(days=rng.randint(0, 75))
    docid = docid_for(publish, rng)

    t = prose.title(agency, year, rng)
    intro = prose.intro(agency, year, rng, version)
    quotes: list[Quote] = []
    appendix_rows: list = []
    if version == "pre2019":
        which = "short" if (year <= 2015 and rng.random() < 0.7) or rng.random() < 0.2 else "national"
        appendix_rows = APPENDIX_SETS[which]
        nums, pre_facts = _appendix_numbers(rng, agency.kind, which)
        cells = _print_cells(rng, nums, chosen, version, agency)
        sections = prose.pre2019_sections(agency, year, rng, pre_facts)
    else:
        nums = {**_t2_numbers(rng, agency, version), **_t3_numbers(rng, agency.kind, version, other_rows)}
        new_total = nums[("t3", "new_received", "total")]
        nums.update(_t4_numbers(rng, agency.kind, new_total))
        cells = _print_cells(rng, nums, chosen, version, agency)
        if break_identity:
            _break(rng, cells, nums, break_identity, version, other_rows)
        n = {"new": nums[("t3", "new_received", "total")], "co": nums[("t3", "carried_over", "total")],
             "tp": nums[("t3", "total_processed", "total")], "cf": nums[("t3", "carried_forward", "total")]}
        nd_key = ("t2", "normative_documents", "issued" if version == "2021" else "made")
        nd = parse_cell(cells[nd_key])
        printed = {"normative": _fmt(nd[0]) if nd[0] is not None and nd[1] is None else None}
        review = int(nums[("t4", "review", "total")])
        lit = int(nums[("t4", "litigation_direct", "total")] + nums[("t4", "litigation_after_review", "total")])
        sections = [
            Section("overview", "一、总体情况", prose.overview(agency, year, rng, n, quotes)),
            Section("proactive", "二、主动公开政府信息情况", prose.proactive(agency, year, rng, printed), "t2"),
            Section("requests", "三、收到和处理政府信息公开申请情况", prose.requests(agency, year, rng), "t3"),
            Section("review_litigation", "四、政府信息公开行政复议、行政诉讼情况",
                    prose.review_litigation(agency, year, rng, review, lit, quotes), "t4"),
            Section("problems", rng.choice(["五、存在的主要问题及改进情况", "五、存在的主要问题及下步改进情况"]),
                    prose.problems(agency, year, rng)),
            Section("other_matters", "六、其他需要报告的事项", prose.other_matters(agency, year, rng)),
        ]
    return ReportSpec(seed=seed, agency=agency, year=year, format_version=version, publish_date=publish,
                      title=t, intro=intro, sections=sections, cells=cells, t3_other_rows=other_rows,
                      appendix_rows=list(appendix_rows), quotes=quotes, quirks=chosen, broken=break_identity,
                      docid=docid)
