"""Crawl state in SQLite (`DATA_DIR/crawl.sqlite`): what was fetched, what it hashed to, and
which reports it made — so a re-run fetches list pages again but skips detail pages it
already has, and the dataset can be rebuilt from the raw store without the network.

Tables
- `files`: one row per URL fetched (a report page or an attachment) or that failed to fetch:
  sha256 of the bytes, HTTP status, ETag / Last-Modified, first and last seen.
- `reports`: one row per report page: its list title, the files that make it (the page and
  its attachments), whether every file was fetched (`complete`).
- `records`: the normalized record of each report, cached with the hash of its inputs and
  the parser version, so a re-run normalizes only what changed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA = """
create table if not exists files (
    url text primary key,
    sha256 text,
    size integer,
    content_type text,
    http_status integer,
    etag text,
    last_modified text,
    referer text,
    portal text,
    error text,
    first_seen text not null,
    last_seen text not null,
    fetched_at text
);
create table if not exists reports (
    source_url text primary key,
    portal text,
    spider text,
    list_url text,
    list_title text,
    title text,
    publish_date text,
    files text not null,           -- JSON list of URLs: the page first, then its attachments
    complete integer not null,     -- 1 when every file was fetched
    first_seen text not null,
    last_seen text not null
);
create table if not exists records (
    source_url text primary key,
    input_key text not null,       -- hash of the report's files (sha256s) and its provenance
    parser_version text not null,
    record text not null           -- JSON list of normalize.record.Record.to_json(): the page's reports
);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(slots=True)
class ReportEntry:
    source_url: str
    portal: str | None
    spider: str | None
    list_url: str | None
    list_title: str | None
    title: str | None
    publish_date: str | None
    files: list[str]
    complete: bool
    first_seen: str
    last_seen: str


def _use_wal(db: sqlite3.Connection, tries: int = 200) -> None:
    """Switch to write-ahead logging (several crawl processes share one state). Switching
    does not wait on SQLite's busy timeout: processes opening a new state at the same
    moment (the demo's crawls, distributed workers) find it locked while one switches it,
    so they try again for up to ~10 s."""
    for attempt in range(tries):
        try:
            db.execute("pragma journal_mode=wal")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == tries - 1:
                raise
            time.sleep(0.05)


class CrawlState:
    """One SQLite database; every write is committed at once (a killed crawl loses nothing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        self.db.row_factory = sqlite3.Row
        _use_wal(self.db)
        self.db.execute("pragma synchronous=normal")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- files

    def file(self, url: str) -> dict[str, Any] | None:
        row = self.db.execute("select * from files where url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def put_file(self, url: str, **values: Any) -> None:
        """Insert or update a file's row; `first_seen` is kept, `last_seen` set to now."""
        t = now()
        cols = ["sha256", "size", "content_type", "http_status", "etag", "last_modified", "referer", "portal", "error", "fetched_at"]
        unknown = set(values) - set(cols)
        if unknown:
            raise ValueError(f"unknown file columns {sorted(unknown)}")
        row = {c: values.get(c) for c in cols}
        self.db.execute(
            f"insert into files (url, {', '.join(cols)}, first_seen, last_seen) values (?, {', '.join('?' * len(cols))}, ?, ?) "
            f"on conflict(url) do update set {', '.join(f'{c} = excluded.{c}' for c in cols)}, last_seen = excluded.last_seen",
            (url, *row.values(), t, t),
        )

    def iter_files(self) -> Iterator[dict[str, Any]]:
        for row in self.db.execute("select * from files order by url"):
            yield dict(row)

    # -- reports

    def report(self, source_url: str) -> ReportEntry | None:
        row = self.db.execute("select * from reports where source_url = ?", (source_url,)).fetchone()
        return _entry(row) if row else None

    def put_report(self, source_url: str, *, files: list[str], complete: bool, portal: str | None = None,
                   spider: str | None = None, list_url: str | None = None, list_title: str | None = None,
                   title: str | None = None, publish_date: str | None = None) -> None:
        t = now()
        self.db.execute(
            "insert into reports (source_url, portal, spider, list_url, list_title, title, publish_date, files, complete, "
            "first_seen, last_seen) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict(source_url) do update set "
            "portal = excluded.portal, spider = excluded.spider, list_url = excluded.list_url, "
            "list_title = coalesce(excluded.list_title, list_title), title = excluded.title, "
            "publish_date = coalesce(excluded.publish_date, publish_date), files = excluded.files, "
            "complete = excluded.complete, last_seen = excluded.last_seen",
            (source_url, portal, spider, list_url, list_title, title, publish_date, json.dumps(files), int(complete), t, t),
        )

    def touch_report(self, source_url: str) -> None:
        """The report is still listed by its portal (seen again, not fetched again)."""
        t = now()
        self.db.execute("update reports set last_seen = ? where source_url = ?", (t, source_url))
        self.db.execute(
            "update files set last_seen = ? where url in (select value from reports, json_each(reports.files) "
            "where reports.source_url = ?)", (t, source_url))

    def is_complete(self, source_url: str) -> bool:
        row = self.db.execute("select complete from reports where source_url = ?", (source_url,)).fetchone()
        return bool(row and row[0])

    def iter_reports(self) -> Iterator[ReportEntry]:
        for row in self.db.execute("select * from reports order by source_url"):
            yield _entry(row)

    def count_reports(self) -> int:
        return self.db.execute("select count(*) from reports").fetchone()[0]

    # -- cached records

    def record(self, source_url: str, input_key: str, parser_version: str) -> Any:
        """The cached records (JSON) of a report page, if its inputs and the parser are unchanged."""
        row = self.db.execute(
            "select record from records where source_url = ? and input_key = ? and parser_version = ?",
            (source_url, input_key, parser_version)).fetchone()
        return json.loads(row[0]) if row else None

    def put_record(self, source_url: str, input_key: str, parser_version: str, record: Any) -> None:
        self.db.execute(
            "insert into records (source_url, input_key, parser_version, record) values (?, ?, ?, ?) "
            "on conflict(source_url) do update set input_key = excluded.input_key, "
            "parser_version = excluded.parser_version, record = excluded.record",
            (source_url, input_key, parser_version, json.dumps(record, ensure_ascii=False, default=str)),
        )


def _entry(row: sqlite3.Row) -> ReportEntry:
    d = dict(row)
    d["files"] = json.loads(d["files"])
    d["complete"] = bool(d["complete"])
    return ReportEntry(**d)


def data_dir(settings) -> Path:
    """`DATA_DIR` (Scrapy setting, default ``data``): raw store, crawl state and dataset live here."""
    return Path(settings.get("DATA_DIR") or "data")


def state_for(crawler) -> CrawlState:
    """The crawl's one CrawlState, shared by its spider and pipelines."""
    state = getattr(crawler, "_govreports_state", None)
    if state is None:
        state = crawler._govreports_state = CrawlState(data_dir(crawler.settings) / "crawl.sqlite")
    return state
