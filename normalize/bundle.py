"""A report published as several files — a page and its attachments — becomes one record.

Portals often publish a short notice page ("详见附件") with the report attached as a PDF or
Word file, or the full report on the page with the same file attached for download. Each
file is normalized; the record of the file that carries the report best (status, then
number of facts) stands for the report, with the page as its `source_url` and the chosen
file as its `document_url`. Files that could not be fetched are named in the issues.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from normalize.record import STATUSES, Record, Source, normalize_bytes, sha256


@dataclass(slots=True)
class Part:
    """One file of a report: its bytes (None when the fetch failed) and where it came from."""

    url: str
    data: bytes | None
    path: str | None = None  # where the raw store keeps it
    error: str | None = None  # why it could not be fetched


def _rank(record: Record, index: int) -> tuple[int, int, int]:
    status = record.report.get("status")
    order = STATUSES.index(status) if status in STATUSES else len(STATUSES)
    return (order, -len(record.facts), index)


def normalize_bundle(parts: list[Part], source: Source) -> Record:
    """Normalize every fetched part (the page first) and keep the best record.

    `source` carries the report's provenance (page URL, portal, title and date as the list
    shows them); each part's URL becomes its `document_url`. Never raises for bad input.
    """
    if not parts:
        raise ValueError("a report needs at least its page")
    candidates: list[tuple[tuple[int, int, int], Record]] = []
    for i, part in enumerate(parts):
        if part.data is None:
            continue
        record = normalize_bytes(part.data, replace(source, path=part.path, document_url=part.url))
        candidates.append((_rank(record, i), record))
    missing = [p for p in parts if p.data is None]
    if not candidates:  # not even the page: a row that says so, so nothing is dropped silently
        record = normalize_bytes(b"", replace(source, path=None, document_url=parts[0].url))
        # no bytes to hash: the page's URL tells this report from every other unreadable one
        record.report["report_id"] = sha256(f"unreadable:{source.source_url or parts[0].url}".encode())
    else:
        record = min(candidates, key=lambda c: c[0])[1]
    issues = list(record.report.get("issues") or [])
    for p in missing:
        issues.append({"code": "crawl.file_missing", "severity": "error",
                       "message": f"{p.url} could not be fetched: {p.error or 'unknown error'}"})
    if len(candidates) > 1:
        chosen = record.report.get("document_url")
        others = [p.url for p in parts if p.data is not None and p.url != chosen]
        issues.append({"code": "crawl.files_bundled", "severity": "warning",
                       "message": f"the report was published as {len(parts)} files; read from {chosen}, "
                                  f"also fetched: {', '.join(others)}"})
    record.report["issues"] = issues
    return record
