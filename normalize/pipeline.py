"""The stages of normalization, in order: sniff → extract → identify → map → check → status.

Each stage lives in its own module; this one only wires them and decides the report's
status. Nothing here raises for bad input: whatever goes wrong becomes an issue.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

from normalize import checks, metadata, regions, sections, tables
from normalize.extract import extract
from normalize.model import Document, ExtractionError, Paragraph, Table
from normalize.record import PARSER_VERSION, Issue, Record, Source, sha256
from normalize.sniff import sniff
from normalize.split import split_reports

log = logging.getLogger(__name__)


def _version_from_year(year: int | None) -> str | None:
    if year is None:
        return None
    return "pre2019" if year <= 2018 else ("2019" if year <= 2020 else "2021")


def full_text(doc: Document) -> str:
    """Paragraphs and tables in reading order; a table row is its cells joined by tabs."""
    lines = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend("\t".join(cell for cell in row) for row in block.rows())
    return "\n".join(lines)


def report_id(words: str, doc_sha: str) -> str:
    """Stable across re-runs and re-downloads: the report's words, not the file's bytes.

    `words` is the text as `checks.compact` gives it. Two files that print the same text (a
    re-rendered page, the same report found on two portals) get the same id; a file with
    too little text falls back to its bytes' hash.
    """
    basis = "text:" + words if len(words) >= 200 else "bytes:" + doc_sha
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:20]


def _base_row(data: bytes, source: Source, fmt: str) -> dict:
    doc_sha = sha256(data)
    return {
        "report_id": report_id("", doc_sha),
        "year": None,
        "format_version": None,
        "agency_name": None,
        "agency_kind": None,
        "admin_code": None,
        "province": None,
        "city": None,
        "county": None,
        "portal": source.portal,
        "title": source.title_hint,
        "publish_date": source.publish_date_hint,
        "source_url": source.source_url,
        "document_url": source.document_url or source.source_url,
        "source_format": fmt,
        "doc_sha256": doc_sha,
        "crawled_at": source.crawled_at,
        "parser_version": PARSER_VERSION,
        "status": "failed",
        "issues": [],
        "checks_failed": 0,
        "other_sources": [],
        "source_path": source.path,
        "section_overview": None,
        "section_problems": None,
        "section_other": None,
        "full_text": None,
        "facts_count": 0,
    }


def _finish(row: dict, issues: list[Issue], facts: list) -> Record:
    unique = list(dict.fromkeys((i.code, i.severity, i.message) for i in issues))
    row["issues"] = [{"code": c, "severity": s, "message": m} for c, s, m in unique]
    row["checks_failed"] = sum(1 for c, s, _ in unique if s == "error" and c.split(".")[0] in ("t2", "t3", "t4"))
    row["facts_count"] = len(facts)
    return Record(row, facts)


def run(data: bytes, source: Source) -> Record:
    """The file's report (the first, when it holds several: see `run_all`)."""
    return run_all(data, source)[0]


def run_all(data: bytes, source: Source) -> list[Record]:
    """Every report the file holds, in order — nearly always one; never an empty list."""
    doc, fmt, failure = read(data, source)
    return [failure] if doc is None else from_document(data, doc, fmt, source)


def from_document(data: bytes, doc: Document, fmt: str, source: Source) -> list[Record]:
    """The records of an extracted document (`data` is the file it was read from)."""
    parts = split_reports(doc)
    records = [_normalize_safely(part, _base_row(data, source, fmt), source) for part in parts]
    if len(records) > 1:
        for i, record in enumerate(records, 1):
            record.report["issues"].append({
                "code": "extract.several_reports", "severity": "warning",
                "message": f"the file holds {len(records)} reports; this is report {i}"})
    return records


def run_merged(parts: list[tuple[bytes, Document]], source: Source) -> Record:
    """Several files read as one report: a page's text and the tables of its attachment.

    The record points at the first part (the page); its blocks come first."""
    data, first = parts[0]
    merged = replace(first, blocks=[b for _, doc in parts for b in doc.blocks],
                     warnings=[w for _, doc in parts for w in doc.warnings],
                     ocr=any(doc.ocr for _, doc in parts))  # a scanned part's tables must verify
    return _normalize_safely(merged, _base_row(data, source, first.source_format), source)


def read(data: bytes, source: Source) -> tuple[Document | None, str, Record | None]:
    """Sniff and extract: the document and its format, or the failed record that says why."""
    fmt = sniff(data)
    row = _base_row(data, source, fmt)
    if fmt == "empty":
        return None, fmt, _finish(row, [Issue("extract.empty", "error", "the file is empty (zero bytes)")], [])
    try:
        return extract(data, fmt), fmt, None
    except ExtractionError as exc:
        row["status"] = exc.status
        return None, fmt, _finish(row, [Issue(f"extract.{fmt}", "error", exc.reason)], [])
    except Exception as exc:  # an extractor bug must not lose the report
        log.exception("extractor for %s crashed on %s", fmt, source.path or source.document_url)
        return None, fmt, _finish(row, [Issue("extract.crash", "error", f"the {fmt} extractor failed: {exc!r}")], [])


def _normalize_safely(doc: Document, row: dict, source: Source) -> Record:
    try:
        return _normalize_document(doc, row, source)
    except Exception as exc:  # a bug in a later stage must not lose the file: it stays, with its text
        log.exception("normalizing %s failed", source.path or source.document_url)
        row.update(status="failed", full_text=full_text(doc), title=doc.title or source.title_hint)
        return _finish(row, [Issue("normalize.crash", "error", f"normalization failed: {exc!r}")], [])


def _normalize_document(doc: Document, row: dict, source: Source) -> Record:
    issues: list[Issue] = [Issue("extract.warning", "warning", w) for w in doc.warnings]
    paragraphs = [p.text for p in doc.paragraphs()]
    meta = metadata.identify([doc.title or "", source.title_hint or ""], paragraphs,
                             publish_hint=source.publish_date_hint)
    issues += meta.issues
    text = full_text(doc)
    words = checks.compact(text)
    parts = sections.split(doc)
    row.update(
        report_id=report_id(words, row["doc_sha256"]),
        title=meta.title or doc.title or source.title_hint,
        year=meta.year,
        agency_name=meta.agency_name,
        agency_kind=meta.agency_kind,
        publish_date=meta.publish_date,
        section_overview=parts.get("overview") or None,
        section_problems=parts.get("problems") or None,
        section_other=parts.get("other_matters") or None,
        full_text=text,
    )
    region = regions.resolve(meta.agency_name, source.region_hint)
    if region.placement:
        row.update(admin_code=region.admin_code, province=region.province, city=region.city, county=region.county)
    issues += region.issues

    mapped = tables.map_document(doc)
    modern = bool(mapped.found & {"t3", "t4"})
    year_version = _version_from_year(meta.year)
    if not modern and (year_version == "pre2019" or (year_version is None and not mapped.found)):
        version = "pre2019"
        mapped = tables.Mapped()
        tables.map_appendix(list(doc.tables()), mapped)
    else:
        version = _version_from_labels(mapped, year_version, issues)
    issues += mapped.issues
    facts = mapped.facts
    row["format_version"] = version
    issues += checks.run(facts, version, words)
    left_out: dict[str, str] = {}
    if doc.ocr:  # a scan: its numbers are kept only when tables 3 and 4 verify
        if rejected := _ocr_rejected(mapped, facts, issues):
            row["status"] = "needs_ocr"
            kept = [i for i in issues if i.code.split(".")[0] not in ("t2", "t3", "t4", "text")]
            return _finish(row, kept + [rejected], [])
        facts = [f if f.value_flag is not None else replace(f, value_flag="ocr") for f in facts if f.table != "t2"]
        if "t2" in mapped.found:
            mapped.found.discard("t2")
            left_out["t2"] = "table 2 was read by OCR, but no check can verify its numbers: left out"

    if not meta.looks_like_report and not modern:
        row["status"] = "not_a_report"
        row["format_version"], facts = None, []  # its text is kept; its tables are no report's numbers
        issues.append(Issue("meta.not_a_report", "error",
                            "no annual-report title and no table 3 or 4: not a 政府信息公开工作年度报告"))
    elif version == "pre2019":
        row["status"] = "ok" if len(text) >= 200 else "partial"
    else:
        missing = [t for t in ("t2", "t3", "t4") if t not in mapped.found]
        for t in missing:
            issues.append(Issue(f"{t}.missing", "error", left_out.get(t) or f"table {t[1]} was not found or could not be read"))
        incomplete = any(i.code in ("t3.missing_rows", "t4.unreadable") for i in issues)
        row["status"] = "partial" if missing or incomplete else "ok"
    return _finish(row, issues, facts)


def _ocr_rejected(mapped: tables.Mapped, facts: list, issues: list[Issue]) -> Issue | None:
    """Why the tables OCR read are not kept (None: tables 3 and 4 were read whole and verify)."""
    reasons = [f"table {t[1]} not found" for t in ("t3", "t4") if t not in mapped.found]
    incomplete = [i for i in issues if i.code in checks.OCR_INCOMPLETE]
    failed = [i for i in issues if i.severity == "error" and i.code in checks.CHECKS and i.code not in checks.OCR_INCOMPLETE]
    reasons += [f"{i.code}: {i.message}" for i in (incomplete + failed)[:3]]
    if len(incomplete) + len(failed) > 3:
        reasons.append(f"{len(incomplete) + len(failed) - 3} more")
    if not reasons:
        reasons = checks.verify_ocr(facts)
    if not reasons:
        return None
    return Issue("extract.ocr_rejected", "error", "the tables OCR read did not verify, so no number is kept "
                 "(the OCR text is in full_text): " + "; ".join(reasons))


def _version_from_labels(mapped: tables.Mapped, year_version: str | None, issues: list[Issue]) -> str | None:
    """The format the printed labels show (table 2's columns, table 3's （六） rows); the year breaks ties.

    A table votes when its labels allow one version only. When table 2 and table 3 disagree
    the report is flagged and table 3's three （六） sub-rows decide.
    """
    decisive = {table: next(iter(v)) for table, v in mapped.version_votes.items() if len(v) == 1}
    versions = set(decisive.values())
    if len(versions) > 1:
        issues.append(Issue("meta.format_conflict", "warning",
                            "table 2 and table 3 labels follow different format versions: "
                            + ", ".join(f"{t} {v}" for t, v in sorted(decisive.items()))))
        return decisive["t3"]
    if versions:
        version = versions.pop()
        if year_version in ("2019", "2021") and year_version != version:
            issues.append(Issue("meta.format_year_mismatch", "warning",
                                f"the tables follow the {version} format, the year suggests {year_version}"))
        return version
    return year_version if year_version in ("2019", "2021") else None
