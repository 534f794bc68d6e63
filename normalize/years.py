"""Report-year selections as users type them (`--years`, `-a years=`): shared by the crawler
and the command line, with no dependency on Scrapy."""

from __future__ import annotations

import re


def parse_years(spec: str | None) -> frozenset[int] | None:
    """``2019-2024``, ``2023``, ``2019,2021-2022`` → the set of years; None/empty → every year.

    Raises ValueError on anything else (the crawler turns it into Scrapy's UsageError)."""
    if not spec:
        return None
    years: set[int] = set()
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d{4})\s*(?:-\s*(\d{4}))?", part)
        if not m:
            raise ValueError(f"years: cannot read {part!r} (use e.g. 2019-2024 or 2019,2021)")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise ValueError(f"years: {part!r} runs backwards")
        years.update(range(lo, hi + 1))
    return frozenset(years) or None
