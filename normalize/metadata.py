"""Who published a report, for which year, and when — read from its title and body.

Never from a URL: real portals file a 2025 report under a column named 2020. Stored
page text also loses digits next to dates (`自202011日起至20201231日止`), so every
reading has a fallback and says when it had to use one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from normalize.record import Issue

_CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "O": "0", "一": "1", "二": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_REPORT = r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:报告|年报)"
_TITLE_YEAR_FIRST = re.compile(rf"^(?:关于)?(\d{{4}})\s*年度?\s*(.*?)\s*{_REPORT}")
_TITLE_AGENCY_FIRST = re.compile(rf"^(?:关于)?(.*?)\s*(\d{{4}})\s*年度?\s*{_REPORT}")
_IS_REPORT_TITLE = re.compile(_REPORT)
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_BODY_YEAR = [
    re.compile(r"统计期限(?:为|是)?自?\s*(\d{4})\s*年\s*1\s*月\s*1\s*日"),
    re.compile(r"^\s*(\d{4})\s*年[，,]"),
    re.compile(r"本报告.{0,30}?(\d{4})\s*年度?"),
]

#: `reports.agency_kind` values (dataset.py documents them in the field description)
AGENCY_KINDS = {
    "government": "a people's government, 人民政府, of a province, city or county",
    "general_office": "the general office, 办公厅 or 办公室, of a government or of a zone's administrative committee",
    "department": "a department or other body of a government, 局, 委员会, 办公室, 中心 …",
    "township": "a township-level government, 乡, 镇 or 苏木人民政府, 街道办事处",
    "development_zone": "the administrative committee, 管委会, of a development zone, new area, high-tech zone or park",
}
_ZONE = r"(?:新区|开发区|高新区|园区|示范区|实验区|试验区|保税区|自贸区|自由贸易区|合作区|度假区|经济区|工业区|产业园|港区|景区)"
#: (kind, name pattern), first match wins: a 镇人民政府 is a township, not a government; a
#: 国有资产监督管理委员会 is a department, a 开发区管理委员会 a development zone
_KIND_PATTERNS = [
    ("general_office", re.compile(r"(?:人民政府|政府|管理委员会|管委会)办公[厅室]$|党政办公室$")),
    ("township", re.compile(r"(?:[乡镇]|苏木)(?:人民)?政府$|(?:街道|地区)办事处$|街道$")),
    ("government", re.compile(r"人民政府$|[省市区县旗]政府$")),
    ("development_zone", re.compile(rf"{_ZONE}(?:管理委员会|管委会|管理局)?$|{_ZONE}.{{0,12}}(?:管理委员会|管委会)$")),
    ("department", re.compile(r"(?:局|委员会|委|厅|办公室|办|中心|院|所|队|站|署|会|处)$")),
]


def _ascii_digits(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[〇○零一二三四五六七八九]{4}(?=\s*年)", lambda m: "".join(_CN_DIGITS[c] for c in m.group(0)), text)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", _ascii_digits(text))


@dataclass(slots=True)
class Meta:
    title: str | None = None
    year: int | None = None
    agency_name: str | None = None
    agency_kind: str | None = None
    publish_date: date | None = None
    looks_like_report: bool = False
    issues: list[Issue] = field(default_factory=list)


def find_title(candidates: list[str]) -> str | None:
    """The first candidate that reads as an annual-report title; short leading lines are joined."""
    for text in candidates:
        if text and _IS_REPORT_TITLE.search(_compact(text)) and len(_compact(text)) <= 80:
            return _compact(text)
    return None


def is_report_title(title: str) -> bool:
    """Whether a title (a list item's, a page's) names an annual report — the crawler asks this
    before fetching, so that guides and catalogues in the same column are skipped."""
    return bool(_IS_REPORT_TITLE.search(_compact(title)))


def title_year(title: str) -> int | None:
    """The report year a title names (`…2023年政府信息公开工作年度报告` → 2023), or None."""
    compact = _compact(title)
    if m := _TITLE_YEAR_FIRST.match(compact):
        return int(m.group(1))
    if m := _TITLE_AGENCY_FIRST.match(compact):
        return int(m.group(2))
    return None


def agency_kind(name: str | None) -> str | None:
    """One of AGENCY_KINDS, read from how the name ends; None when it says nothing."""
    if not name:
        return None
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(name):
            return kind
    return None


def _date(text: str) -> date | None:
    for pattern in (_DATE, _DATE_ISO):
        m = pattern.search(text)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None


def identify(title_candidates: list[str], paragraphs: list[str], *, publish_hint: date | None = None) -> Meta:
    meta = Meta()
    meta.title = find_title(title_candidates) or find_title(_leading_lines(paragraphs))
    meta.looks_like_report = meta.title is not None
    if meta.title:
        if m := _TITLE_YEAR_FIRST.match(meta.title):
            meta.year, meta.agency_name = int(m.group(1)), m.group(2) or None
        elif m := _TITLE_AGENCY_FIRST.match(meta.title):
            meta.agency_name, meta.year = m.group(1) or None, int(m.group(2))
    if meta.year is None:
        meta.year = _year_from_body(paragraphs)
        if meta.year is not None:
            meta.issues.append(Issue("meta.year_from_body", "warning", "the title gives no year; taken from the body"))
    if meta.year is not None and not 2000 <= meta.year <= date.today().year + 1:
        meta.issues.append(Issue("meta.year_implausible", "error", f"year {meta.year} is implausible; left empty"))
        meta.year = None
    if meta.year is None:
        meta.issues.append(Issue("meta.year_missing", "error", "no report year in the title or the body"))
    if meta.agency_name:
        name = re.sub(r"^(?:关于|中共)", "", meta.agency_name)
        meta.agency_name = re.sub(r"(?:关于|的)$", "", name).strip("《》“”\"'【】[] ") or None
    if not meta.agency_name:
        meta.agency_name = _agency_from_body(paragraphs)
    if not meta.agency_name:
        meta.issues.append(Issue("meta.agency_missing", "warning", "no agency name in the title or the body"))
    meta.agency_kind = agency_kind(meta.agency_name)
    meta.publish_date = _publish_date(paragraphs, meta.year) or publish_hint
    return meta


def _leading_lines(paragraphs: list[str]) -> list[str]:
    """Titles are often printed over two or three short lines: agency / year + 年度报告."""
    lines = [p for p in paragraphs[:8] if p.strip()]
    candidates = []
    for i, line in enumerate(lines):
        if not _IS_REPORT_TITLE.search(_compact(line)):
            continue
        title = line
        # a title line that starts with the year wants the agency line(s) printed above it
        for above in reversed(lines[max(0, i - 2):i]):
            if _names_agency(title) or len(_compact(above)) > 30 or re.search(r"[，。；：,;:]", above):
                break
            title = above + title
        candidates.append(title)
    return candidates


def _names_agency(title: str) -> bool:
    compact = _compact(title)
    m = _TITLE_AGENCY_FIRST.match(compact) or _TITLE_YEAR_FIRST.match(compact)
    return bool(m and (m.group(1) if m.re is _TITLE_AGENCY_FIRST else m.group(2)))


def _year_from_body(paragraphs: list[str]) -> int | None:
    for text in paragraphs[:15]:
        compact = _compact(text)
        for pattern in _BODY_YEAR:
            if m := pattern.search(compact):
                return int(m.group(1))
    return None


def _agency_from_body(paragraphs: list[str]) -> str | None:
    for text in paragraphs[:10]:
        if m := re.search(r"本报告由(.{2,30}?)(?:根据|依据|按照|编制)", _compact(text)):
            return m.group(1)
    return None


def _publish_date(paragraphs: list[str], year: int | None) -> date | None:
    """The signature date at the end of the report (a line that is only a date)."""
    for text in reversed(paragraphs[-6:]):
        compact = _compact(text)
        if len(compact) <= 14:
            found = _date(compact)
            if found and (year is None or year <= found.year <= year + 1):
                return found
    return None
