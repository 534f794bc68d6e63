"""From the crawl state and the raw store to records, and to the published dataset.

The dataset is always built from everything the crawl state knows — every report of every
run, not just this one's — so an incremental run that fetched three new reports still
publishes the whole multi-year dataset. Records are cached in the state by the hash of
their inputs and the parser version: only new or changed reports are normalized again,
and a parser upgrade re-normalizes from the raw store without touching the network.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from crawler.rawstore import RawStore
from crawler.registry import RegistryError, load_registry
from crawler.state import CrawlState, ReportEntry
from normalize.bundle import Part, normalize_bundle
from normalize.dataset import DatasetWriter
from normalize.record import PARSER_VERSION, Record, Source

log = logging.getLogger(__name__)


def region_hint(portal: str | None, source_url: str | None) -> str | None:
    """The admin_code of the site that published a report, from the portal's registry: the
    site whose host serves `source_url`, else the registry's city. None without a registry."""
    if not portal:
        return None
    try:
        registry = load_registry(portal)
    except RegistryError:
        return None
    host = (urlsplit(source_url).hostname or "") if source_url else ""
    site = registry.site_for_host(host) if host else None
    return (site.admin_code if site else None) or registry.admin_code


def input_key(entry: ReportEntry, files: dict[str, dict[str, Any]]) -> str:
    """Changes whenever anything the record is made from changes (the registry's region of
    the publishing site included: it places agencies whose name names no region)."""
    parts = [entry.source_url, entry.portal, entry.list_title, entry.publish_date,
             [(u, (files.get(u) or {}).get("sha256")) for u in entry.files],
             region_hint(entry.portal, entry.source_url)]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def report_files(entry: ReportEntry, state: CrawlState) -> tuple[dict[str, dict[str, Any]], str]:
    """The crawl-state rows of a report's files, and its input key."""
    files = {u: state.file(u) or {} for u in entry.files}
    return files, input_key(entry, files)


def bundle_inputs(entry: ReportEntry, files: dict[str, dict[str, Any]], store: RawStore) -> tuple[list[Part], Source]:
    """The parts (bytes from the raw store) and the provenance of a report."""
    parts = []
    for url in entry.files:
        f = files.get(url) or {}
        sha = f.get("sha256")
        if sha and sha in store:
            parts.append(Part(url, store.get(sha), path=str(store.path(sha))))
        else:
            parts.append(Part(url, None, error=f.get("error") or ("not in the raw store" if sha else "not fetched")))
    page = files.get(entry.files[0]) or {}  # the page (its URL differs from source_url after a redirect)
    source = Source(
        source_url=entry.source_url, portal=entry.portal, crawled_at=page.get("fetched_at"),
        title_hint=entry.list_title or entry.title,
        publish_date_hint=date.fromisoformat(entry.publish_date) if entry.publish_date else None,
        region_hint=region_hint(entry.portal, entry.source_url),
    )
    return parts, source


def normalize_report(parts: list[Part], source: Source) -> list[Record]:
    """Runs in a worker process when the pipeline has a pool (pure: bytes in, records out)."""
    return normalize_bundle(parts, source)


def to_cache(records: list[Record]) -> list[dict[str, Any]]:
    return [r.to_json() for r in records]


def from_cache(cached: list[dict[str, Any]] | dict[str, Any]) -> list[Record]:
    return [Record.from_json(c) for c in (cached if isinstance(cached, list) else [cached])]


#: the input-key prefix under which the failed row of a report that crashed or timed out its
#: worker is kept: `publish_dataset` (and the demo's publish after all cities) reuses it
#: instead of normalizing the report again in its own process, while the crawl and
#: `govreports renormalize`, which look up the plain key, try the report again next time
CRASHED = "crashed:"

#: (entry, files) → the report's records, run where a crash or a hang cannot hurt the caller
Normalizing = Callable[[ReportEntry, dict[str, dict[str, Any]]], list[Record]]


def cached_records(entry: ReportEntry, state: CrawlState, store: RawStore,
                   normalize: Normalizing | None = None) -> list[Record]:
    """The report's records (one, or several when its file holds several reports): from the
    cache when its inputs and the parser are unchanged, else from `normalize` (None: in
    this process, with no bound: for tests and trusted inputs only)."""
    files, key = report_files(entry, state)
    cached = state.record(entry.source_url, key, PARSER_VERSION)
    if cached is None:
        cached = state.record(entry.source_url, CRASHED + key, PARSER_VERSION)
    if cached is not None:
        return from_cache(cached)
    if normalize is not None:
        return normalize(entry, files)
    records = normalize_report(*bundle_inputs(entry, files, store))
    state.put_record(entry.source_url, key, PARSER_VERSION, to_cache(records))
    return records


def document_row(f: dict[str, Any], data_dir: Path, store: RawStore) -> dict[str, Any]:
    sha = f.get("sha256")
    return {
        "url": f["url"], "sha256": sha, "content_type": f.get("content_type"), "size": f.get("size"),
        "fetched_at": f.get("fetched_at"), "http_status": f.get("http_status"), "referer": f.get("referer"),
        "portal": f.get("portal"),
        "stored_path": str(store.path(sha).relative_to(data_dir)) if sha else None,
    }


def publish_dataset(data_dir: Path, state: CrawlState, store: RawStore,
                    normalize: Normalizing | None = None) -> DatasetWriter:
    """Write DATA_DIR/dataset from the whole crawl state; published atomically on success.

    Reports not cached for this parser are normalized by `normalize` (the crawler passes its
    bounded worker pool: crawler.pipelines.ReportPipeline), or in this process when None."""
    writer = DatasetWriter(data_dir / "dataset")
    with writer:
        for entry in state.iter_reports():
            for record in cached_records(entry, state, store, normalize):
                writer.add(record)
        for f in state.iter_files():
            writer.add_document(document_row(f, data_dir, store))
    log.info("dataset published at %s: %s reports", data_dir / "dataset", writer.counts["reports"])
    return writer
