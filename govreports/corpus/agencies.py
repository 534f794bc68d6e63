"""Publishing agencies the corpus draws from: real Chongqing district governments,
departments and towns, and a few other cities (hosts and column paths as in
shared/PORTALS.md), so that generated pages and URLs look like the portals' own.
The list itself is data: agencies.csv beside this file."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date
from importlib import resources


@dataclass(frozen=True, slots=True)
class Agency:
    name: str  # 重庆市大足区人民政府办公室
    region: str  # 重庆市大足区
    kind: str  # government, general_office, department, township
    host: str
    column: str  # column path on the portal, ending in /
    site: str  # the portal's name
    short: str  # how the page's 来源 field names it
    level: str = "county"  # municipal, city, county, township


def _load() -> tuple[Agency, ...]:
    text = resources.files("govreports.corpus").joinpath("agencies.csv").read_text("utf-8")
    return tuple(Agency(**row) for row in csv.DictReader(text.splitlines()))


#: the agencies, as listed in agencies.csv (data, not code)
AGENCIES: tuple[Agency, ...] = _load()

# Chongqing's TRS platform numbers documents platform-wide; a few real (date, docid) points.
_DOCID_POINTS = [
    (date(2015, 1, 20), 1_200_000), (date(2019, 3, 17), 3_613_859), (date(2020, 2, 12), 5_185_059),
    (date(2021, 1, 25), 8_814_859), (date(2022, 1, 25), 10_340_353), (date(2023, 1, 30), 11_545_071),
    (date(2024, 1, 30), 12_882_382), (date(2025, 1, 27), 14_245_997), (date(2026, 1, 29), 15_364_021),
    (date(2027, 1, 29), 16_500_000),
]


def docid_for(day: date, rng: random.Random) -> int:
    pts = _DOCID_POINTS
    if day <= pts[0][0]:
        base = pts[0][1]
    else:
        base = pts[-1][1]
        for (d0, v0), (d1, v1) in zip(pts, pts[1:]):
            if d0 <= day <= d1:
                base = v0 + (v1 - v0) * (day - d0).days // max((d1 - d0).days, 1)
                break
    return base + rng.randint(0, 9_000)


def page_url(agency: Agency, day: date, docid: int) -> str:
    return f"https://{agency.host}{agency.column}{day:%Y%m}/t{day:%Y%m%d}_{docid}.html"
