"""A plain-text summary of a published dataset: what an operator looks at after a crawl.

Reports per site and year, reports per status, reports whose table checks fail, the most
common issues, and the fetches that failed. Reads only the columns it needs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.dataset as ds


LOCAL = "(local files)"  # the "site" of reports read from local files (no URL)


def host_of(url: str | None) -> str | None:
    """The host of a URL (lower case), or None for a local file or an unreadable URL."""
    if not url:
        return None
    try:
        return urlsplit(url).hostname or None
    except ValueError:
        return None


def site_of(url: str | None) -> str:
    """The site of a report or file: the host of its URL; local files are one site, LOCAL."""
    return host_of(url) or LOCAL


def _rows(dataset: Path, table: str, columns: list[str]) -> list[dict]:
    path = dataset / table
    if not path.exists():
        return []
    part = "hive" if table != "documents" else None
    return ds.dataset(path, format="parquet", partitioning=part).to_table(columns=columns).to_pylist()


def summarize(dataset: str | Path, top: int = 8) -> str:
    dataset = Path(dataset)
    reports = _rows(dataset, "reports", ["portal", "source_url", "year", "status", "checks_failed", "issues"])
    documents = _rows(dataset, "documents", ["url", "http_status", "sha256"])
    lines = [f"{len(reports)} reports, {len(documents)} files fetched — {dataset}"]
    if not reports:
        return "\n".join(lines)

    years = sorted({r["year"] for r in reports})
    grid: dict[str, Counter] = defaultdict(Counter)
    for r in reports:
        grid[site_of(r["source_url"])][r["year"]] += 1
    width = max(len(s) for s in grid) + 2
    header = "site".ljust(width) + "".join(f"{('?' if y == 0 else y):>6}" for y in years) + f"{'total':>7}"
    lines += ["", "reports per site and year (year ? = not found in the report)", header]
    for site in sorted(grid):
        row = grid[site]
        lines.append(site.ljust(width) + "".join(f"{row.get(y, 0) or '·':>6}" for y in years) + f"{sum(row.values()):>7}")

    statuses = Counter(r["status"] for r in reports)
    lines += ["", "status: " + ", ".join(f"{s} {n}" for s, n in statuses.most_common())]
    failing = sum(1 for r in reports if r["checks_failed"])
    lines.append(f"reports failing a table check: {failing} of {len(reports)}")
    codes = Counter(i["code"] for r in reports for i in {i["code"]: i for i in r["issues"] or []}.values())
    if codes:
        lines.append("most common issues: " + ", ".join(f"{c} ({n})" for c, n in codes.most_common(top)))
    failed = [d for d in documents if d["sha256"] is None]
    if failed:
        lines.append(f"fetches that failed: {len(failed)} (see the documents table: http_status)")
        for d in failed[:top]:
            lines.append(f"  {d['http_status'] or 'error'}  {d['url']}")
    return "\n".join(lines)
