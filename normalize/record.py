"""One report file (bytes + provenance) → one canonical record (report row + facts).

This is the normalizer's single entry point; the CLI, the crawler's item pipeline,
the benchmarks and the tests all call `normalize_bytes`. It never raises for bad
input: a file that cannot be read still yields a report row whose `status` and
`issues` say why, so nothing fetched is silently dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

PARSER_VERSION = "0.1.0"

#: report statuses, best first (SCHEMA.md)
STATUSES = ("ok", "partial", "needs_ocr", "failed", "not_a_report")


@dataclass(slots=True)
class Fact:
    """One printed number (or printed non-number) of a statistical table."""

    table: str  # t2, t3, t4, appendix
    row_key: str
    col_key: str
    value: float | None
    value_raw: str | None
    value_flag: str | None = None  # None (plain number), blank, slash, dash, annotated, derived, unit, text …
    unit: str | None = None


@dataclass(slots=True)
class Issue:
    """A check failure or a warning, listed on the report row."""

    code: str  # e.g. "t3.balance", "extract.encrypted", "meta.year_missing"
    severity: str  # "error" (a number or table is wrong or missing), "warning" (doubtful) or "info" (provenance note)
    message: str


@dataclass(slots=True)
class Source:
    """Where the bytes came from; filled by the caller (crawler, CLI, test)."""

    path: str | None = None
    source_url: str | None = None  # the page that published the report
    document_url: str | None = None  # the file itself (equal to source_url for HTML reports)
    portal: str | None = None  # spider / registry site
    crawled_at: datetime | None = None
    title_hint: str | None = None  # the title as a list page shows it
    publish_date_hint: date | None = None
    #: the 6-digit GB/T 2260 admin_code of the portal that published the report (its registry
    #: entry): settles ambiguous agency names and places agencies whose name names no region
    region_hint: str | None = None


@dataclass(slots=True)
class Record:
    report: dict[str, Any]
    facts: list[Fact] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        report = {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in self.report.items()}
        return {"report": report, "facts": [asdict(f) for f in self.facts]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Record":
        """The inverse of `to_json` (dates stay ISO strings; the dataset writer reads them)."""
        return cls(dict(data["report"]), [Fact(**f) for f in data.get("facts") or ()])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalize_file(path: str | Path, source: Source | None = None) -> Record:
    path = Path(path)
    source = source or Source()
    if source.path is None:
        source.path = str(path)
    return normalize_bytes(path.read_bytes(), source)


def normalize_file_all(path: str | Path, source: Source | None = None) -> list[Record]:
    """Every report a local file holds (nearly always one)."""
    path = Path(path)
    source = source or Source()
    if source.path is None:
        source.path = str(path)
    return normalize_bytes_all(path.read_bytes(), source)


def normalize_bytes(data: bytes, source: Source | None = None) -> Record:
    """Normalize one file. Never raises for bad input."""
    from normalize.pipeline import run  # the stages live in their own modules

    return run(data, source or Source())


def normalize_bytes_all(data: bytes, source: Source | None = None) -> list[Record]:
    """Every report one file holds (a district's departments in one PDF); nearly always one."""
    from normalize.pipeline import run_all

    return run_all(data, source or Source())
