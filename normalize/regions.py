"""Agency name → GB/T 2260 region (admin_code, province, city, county).

The table (spec/regions.csv) is data. A name is resolved only when the region it names
is unambiguous; otherwise the fields stay empty and the report says so — a region is
never guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Municipalities directly under the central government: province and city are the same.
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: str  # province, city, county
    parent: str | None


@dataclass(frozen=True, slots=True)
class Placement:
    admin_code: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None


@cache
def regions() -> dict[str, Region]:
    text = resources.files("normalize.spec").joinpath("regions.csv").read_text("utf-8")
    return {row["code"]: Region(row["code"], row["name"], row["level"], row["parent"] or None)
            for row in csv.DictReader(text.splitlines())}


@cache
def _by_name() -> dict[str, list[Region]]:
    index: dict[str, list[Region]] = {}
    for region in regions().values():
        index.setdefault(region.name, []).append(region)
    return index


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


def resolve(agency_name: str | None) -> Placement | None:
    """The most specific region the name mentions, when exactly one region has that name."""
    if not agency_name:
        return None
    found: list[Region] = []
    for name, candidates in _by_name().items():
        if name in agency_name and len(candidates) == 1:
            found.append(candidates[0])
    if not found:
        return None
    # the deepest region wins, provided the others are its ancestors (淮安市洪泽区 → 洪泽区)
    deepest = max(found, key=lambda r: len(_chain(r)))
    ancestors = {r.code for r in _chain(deepest)}
    if any(r.code not in ancestors for r in found):
        return None
    return place(deepest)
