"""A report published as several files — a page and its attachments — becomes one record.

Portals often publish a short notice page ("详见附件") with the report attached as a PDF or
Word file, or the full report on the page with the same file attached for download. Each
file is normalized; the file that carries the report best (status, then number of facts)
stands for it, with the page as `source_url` and the chosen file as `document_url`. When
no single file holds a whole report — the page prints the text, the attachment the tables
— the files are read together as one. A file that holds several reports gives several
records. Files that could not be fetched are named in the issues.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from normalize.pipeline import from_document, read, run_merged
from normalize.record import STATUSES, Record, Source, normalize_bytes, sha256


@dataclass(slots=True)
class Part:
    """One file of a report: its bytes (None when the fetch failed) and where it came from."""

    url: str
    data: bytes | None
    path: str | None = None  # where the raw store keeps it
    error: str | None = None  # why it could not be fetched


def _rank(records: list[Record]) -> tuple[int, int]:
    """Lower is better: the best status among the file's records, then the facts they hold."""
    order = min(STATUSES.index(s) if (s := r.report.get("status")) in STATUSES else len(STATUSES) for r in records)
    return (order, -sum(len(r.facts) for r in records))


def _whole(record: Record) -> bool:
    """A report read whole: every table of its format, and its text (section 一 at least)."""
    return record.report.get("status") == "ok" and bool(record.report.get("section_overview"))


def _issue(record: Record, code: str, severity: str, message: str) -> None:
    record.report["issues"] = [*(record.report.get("issues") or []),
                               {"code": code, "severity": severity, "message": message}]


def normalize_bundle(parts: list[Part], source: Source) -> list[Record]:
    """The records of a report page and its attachments (the page first): nearly always one.

    `source` carries the report's provenance (page URL, portal, title and date as the list
    shows them); each part's URL becomes its `document_url`. Never raises for bad input.
    """
    if not parts:
        raise ValueError("a report needs at least its page")
    candidates: list[tuple[tuple[int, int], int, list[Record]]] = []
    readable: list[tuple[bytes, object, Part]] = []
    for i, part in enumerate(parts):
        if part.data is None:
            continue
        src = replace(source, path=part.path, document_url=part.url)
        doc, fmt, failure = read(part.data, src)
        if doc is None:
            records = [failure]
        else:
            readable.append((part.data, doc, part))
            records = from_document(part.data, doc, fmt, src)
        candidates.append((_rank(records), i, records))
    missing = [p for p in parts if p.data is None]
    if not candidates:  # not even the page: a row that says so, so nothing is dropped silently
        record = normalize_bytes(b"", replace(source, path=None, document_url=parts[0].url))
        # no bytes to hash: the page's URL tells this report from every other unreadable one
        record.report["report_id"] = sha256(f"unreadable:{source.source_url or parts[0].url}".encode())
        records = [record]
    else:
        best_rank, _, records = min(candidates, key=lambda c: (c[0], c[1]))
        if len(readable) > 1 and not any(_whole(r) for r in records):
            # no file holds the whole report (text and tables): read them together
            first = readable[0][2]
            merged = run_merged([(data, doc) for data, doc, _ in readable],
                                replace(source, path=first.path, document_url=first.url))
            if _rank([merged]) <= best_rank and _whole(merged):
                _issue(merged, "crawl.files_merged", "warning", "the report's text and tables are in different "
                       f"files, read together: {', '.join(p.url for _, _, p in readable)}")
                records = [merged]
    for record in records:
        for p in missing:
            _issue(record, "crawl.file_missing", "error", f"{p.url} could not be fetched: {p.error or 'unknown error'}")
        chosen = record.report.get("document_url")
        others = [p.url for p in parts if p.data is not None and p.url != chosen]
        if others and not any(i["code"] == "crawl.files_merged" for i in record.report["issues"]):
            _issue(record, "crawl.files_bundled", "warning", f"the report was published as {len(parts)} files; "
                   f"read from {chosen}, also fetched: {', '.join(others)}")
    return records
