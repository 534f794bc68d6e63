"""What spiders hand to the pipelines: fetched files, and reports made of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class FetchedFile:
    """One fetched file — a report page or an attachment — or a fetch that failed (`body` None)."""

    url: str
    body: bytes | None
    portal: str  # the spider (SCHEMA: `portal`); the site is the URL's host
    referer: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str | None = None
    error: str | None = None


@dataclass(slots=True)
class ReportFound:
    """A report page and the attachments it links: one report. Emitted after all its files."""

    source_url: str
    portal: str
    spider: str
    files: list[str] = field(default_factory=list)  # the page first, then attachments
    complete: bool = True  # every file fetched
    list_url: str | None = None
    list_title: str | None = None
    title: str | None = None
    publish_date: str | None = None  # as the list shows it (ISO date)
