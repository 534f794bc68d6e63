"""Agency name (+ the publishing portal's region) → GB/T 2260 region (admin_code, province, city, county).

The table (spec/regions.csv, provenance in spec/REGIONS.md) is data: every province,
prefecture-level city and county of the country, with the former names of renamed ones
(梁平县 → 梁平区). `resolve` reads the regions an agency name names and, when given one,
the region of the portal that published the report (its registry `admin_code`):

- ambiguous names (朝阳区: Beijing or Changchun) are settled by the other regions in the
  same name (南京市鼓楼区) or by the portal's region;
- the deepest region consistent with everything named wins (淮安市洪泽区 → 洪泽区);
- a name that names no region (区住房城乡建设委, 朝天门街道办事处) takes the portal's region;
- a name whose region contradicts the portal's (neither contains the other), or that names
  regions which do not nest, is left empty and flagged — never guessed.

The portal's region never overrides a region the name gives: the municipal government's
report reposted on a district site is still the municipality's.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from normalize.record import Issue

# Municipalities directly under the central government: province and city are the same.
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}

#: issue codes `resolve` raises (all on the report row's `issues`)
REGION_ISSUES = {
    "meta.region_unresolved": ("warning", "the agency name names no region, or an ambiguous one, and no portal region settles it"),
    "meta.region_conflict": ("warning", "the agency name's region contradicts the publishing portal's, or names regions "
                             "that do not nest; region fields left empty"),
    "meta.region_from_hint": ("info", "the agency name names no region; the region is the publishing portal's"),
    "meta.region_hint_disambiguated": ("info", "the agency name's region is ambiguous; the publishing portal's region chose one"),
}

_NATIONALITIES = ("蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|"
                  "景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|"
                  "德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺")
#: 石柱土家族自治县 → place 石柱, kind 县
_ETHNIC = re.compile(rf"^(?P<place>.{{2,}}?)(?:(?:{_NATIONALITIES})族?|各族)+自治(?P<kind>县|州|旗)$")
_PROVINCE_SUFFIX = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市)$")
_CITY_SUFFIX = re.compile(r"(?:地区|盟|市)$")
# a short form (宿迁 for 宿迁市) followed by one of these is part of another place's name
# (朝阳街道, 中山路, 黄山镇), not the region
_NOT_AFTER_SHORT = re.compile(r"^(?:街道|镇|乡|村|社区|路|街|区|县|市|州|旗|省|里|湖|山)")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str  # province, city, county
    parent: str | None
    former_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Placement:
    admin_code: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """What `resolve` found. `placement` is None when no region may be given; `issues` are
    to be added to the report (warnings for unresolved and conflicting names, info notes when
    the portal's region was used)."""

    placement: Placement | None = None
    source: str | None = None  # "name", "name+hint" (the hint chose among the name's readings), "hint"
    issues: tuple[Issue, ...] = ()
    candidates: tuple[str, ...] = field(default=())  # codes an ambiguous or conflicting name could mean

    @property
    def admin_code(self) -> str | None:
        return self.placement.admin_code if self.placement else None

    @property
    def province(self) -> str | None:
        return self.placement.province if self.placement else None

    @property
    def city(self) -> str | None:
        return self.placement.city if self.placement else None

    @property
    def county(self) -> str | None:
        return self.placement.county if self.placement else None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.issues)


@cache
def regions() -> dict[str, Region]:
    text = resources.files("normalize.spec").joinpath("regions.csv").read_text("utf-8")
    return {row["code"]: Region(row["code"], row["name"], row["level"], row["parent"] or None,
                                tuple(n for n in (row.get("former_names") or "").split("|") if n))
            for row in csv.DictReader(text.splitlines())}


def _short_forms(region: Region) -> tuple[list[str], list[str]]:
    """(strong, weak) other names of a region. Strong: 石柱县 for 石柱土家族自治县, 恩施州 for
    恩施土家族苗族自治州. Weak (counted only at the start of the name or right after another
    region, see `_tokens`): 重庆 for 重庆市, 宿迁 for 宿迁市, 广西 for 广西壮族自治区."""
    strong: list[str] = []
    weak: list[str] = []
    name = region.name
    if m := _ETHNIC.match(name):
        place = m["place"]
        strong += [place + m["kind"], place + "自治" + m["kind"]]
        if region.level == "city":
            weak.append(place)
    if region.level == "province":
        weak.append(_PROVINCE_SUFFIX.sub("", name))
    elif region.level == "city" and not m:
        weak.append(_CITY_SUFFIX.sub("", name))
    return strong, [w for w in weak if len(w) >= 2 and w != name]


@cache
def aliases() -> dict[str, Region]:
    """Curated names of areas that are one region under another name (spec/region_aliases.csv:
    平潭综合实验区 → 平潭县); only where the area is exactly that region."""
    text = resources.files("normalize.spec").joinpath("region_aliases.csv").read_text("utf-8")
    return {row["name"]: regions()[row["code"]] for row in csv.DictReader(text.splitlines())}


@cache
def _forms() -> tuple[dict[str, tuple[Region, ...]], dict[str, tuple[Region, ...]], int]:
    strong: dict[str, list[Region]] = {}
    weak: dict[str, list[Region]] = {}
    for name, region in aliases().items():
        strong.setdefault(name, []).append(region)
    for region in regions().values():
        more_strong, more_weak = _short_forms(region)
        for name in dict.fromkeys((region.name, *region.former_names, *more_strong)):
            strong.setdefault(name, []).append(region)
        for name in more_weak:
            weak.setdefault(name, []).append(region)
    longest = max(len(n) for n in (*strong, *weak))
    return ({k: tuple(v) for k, v in strong.items()}, {k: tuple(v) for k, v in weak.items() if k not in strong}, longest)


def _chain(region: Region) -> list[Region]:
    chain = [region]
    while chain[-1].parent:
        chain.append(regions()[chain[-1].parent])
    return chain[::-1]


def place(region: Region) -> Placement:
    chain = _chain(region)
    by_level = {r.level: r for r in chain}
    province = by_level.get("province")
    city = by_level.get("city") or (province if province and province.code in MUNICIPALITIES else None)
    county = by_level.get("county")
    return Placement(region.code, province.name if province else None, city.name if city else None,
                     county.name if county else None)


def full_name(region: Region) -> str:
    """北京市朝阳区, 江苏省南京市鼓楼区 — the region with its ancestors."""
    return "".join(r.name for r in _chain(region))


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str
    candidates: tuple[Region, ...]
    strong: bool


def _tokens(name: str) -> list[_Token]:
    """The regions a name mentions: full and former names anywhere (leftmost-longest), short
    forms only where a region prefix can stand — at the start or right after another region."""
    strong, weak, longest = _forms()
    found: list[_Token] = []
    i = 0
    while i < len(name):
        for j in range(min(len(name), i + longest), i, -1):
            if name[i:j] in strong:
                found.append(_Token(i, j, name[i:j], strong[name[i:j]], True))
                i = j
                break
        else:
            i += 1
    covered = {k for t in found for k in range(t.start, t.end)}
    ends = {0} | {t.end for t in found}
    for i in range(len(name)):
        if i not in ends or i in covered:
            continue
        for j in range(min(len(name), i + longest), i + 1, -1):
            text = name[i:j]
            if text in weak and not covered & set(range(i, j)) and not _NOT_AFTER_SHORT.match(name[j:]):
                found.append(_Token(i, j, text, weak[text], False))
                ends.add(j)
                break
    return sorted(found, key=lambda t: t.start)


def _related(a: Region, b: Region) -> bool:
    """One contains the other (or they are the same)."""
    return a.code in {r.code for r in _chain(b)} or b.code in {r.code for r in _chain(a)}


def _consistent(d: Region, token: _Token) -> bool:
    ancestors = {r.code for r in _chain(d)}
    return any(c.code in ancestors for c in token.candidates)


def _settle(valid: list[Region]) -> Region | None:
    """The deepest region, when every other lies on its chain; None when they branch."""
    if not valid:
        return None
    deepest = max(valid, key=lambda r: (len(_chain(r)), r.code))
    ancestors = {r.code for r in _chain(deepest)}
    return deepest if all(r.code in ancestors for r in valid) else None


def _describe(regions_: list[Region]) -> str:
    return ", ".join(f"{full_name(r)} ({r.code})" for r in sorted(regions_, key=lambda r: r.code))


def resolve(agency_name: str | None, hint: str | None = None) -> Resolution:
    """The region of an agency: from its name and the 6-digit admin_code of the portal that
    published its report (`hint`; ignored when not a code of the table).

    Returns a `Resolution` (placement None when unresolved or conflicting) whose `issues`
    — meta.region_unresolved / meta.region_conflict (warnings), meta.region_from_hint /
    meta.region_hint_disambiguated (info) — belong on the report. A report with neither
    name nor hint gets no region and no issue (meta.agency_missing says enough).
    """
    table = regions()
    hint_region = table.get(hint or "")
    tokens = _tokens(agency_name) if agency_name else []
    if not tokens:
        if hint_region is None:
            if not agency_name:
                return Resolution()
            return Resolution(issues=(Issue("meta.region_unresolved", "warning",
                                            f"no region named in {agency_name} and no portal region"),))
        what = f"{agency_name} names no region" if agency_name else "no agency name"
        return Resolution(place(hint_region), "hint", (Issue(
            "meta.region_from_hint", "info",
            f"{what}; the region is the publishing portal's: {full_name(hint_region)} ({hint_region.code})"),))

    strong = [t for t in tokens if t.strong]
    weak = [t for t in tokens if not t.strong]
    everything = list({c.code: c for t in tokens for c in t.candidates}.values())
    if strong:
        valid = [d for d in everything if all(_consistent(d, t) for t in strong)]
        for t in weak:  # a short form only narrows; one that contradicts the full names is not a region
            if narrowed := [d for d in valid if _consistent(d, t)]:
                valid = narrowed
    else:
        valid = [d for d in everything if all(_consistent(d, t) for t in weak)]
    named = "、".join(t.text for t in tokens)
    if not valid:
        return Resolution(issues=(Issue("meta.region_conflict", "warning",
                                        f"{agency_name} names regions that do not nest: {named} "
                                        f"({_describe(everything)})"),), candidates=tuple(sorted(c.code for c in everything)))
    by_name = _settle(valid)
    if hint_region is not None:
        agreeing = [d for d in valid if _related(d, hint_region)]
        if not agreeing:
            return Resolution(issues=(Issue(
                "meta.region_conflict", "warning",
                f"{agency_name} names {_describe(valid)}, but the publishing portal is "
                f"{full_name(hint_region)} ({hint_region.code}); region left empty"),),
                candidates=tuple(sorted(d.code for d in valid)))
        chosen = _settle(agreeing)
        if chosen is not None and by_name is None:
            return Resolution(place(chosen), "name+hint", (Issue(
                "meta.region_hint_disambiguated", "info",
                f"{named} could be {_describe(valid)}; the publishing portal "
                f"({full_name(hint_region)}, {hint_region.code}) chose {chosen.code}"),),
                candidates=tuple(sorted(d.code for d in valid)))
        by_name = chosen
        valid = agreeing
    if by_name is None:
        return Resolution(issues=(Issue("meta.region_unresolved", "warning",
                                        f"{named} in {agency_name} is ambiguous: {_describe(valid)}"),),
                          candidates=tuple(sorted(d.code for d in valid)))
    return Resolution(place(by_name), "name")
