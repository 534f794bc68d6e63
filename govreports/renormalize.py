"""`govreports renormalize`: normalize every report of the crawl state again from the raw
store (no network) and publish ``DATA/dataset`` atomically.

The work is a map over the crawl state's report pages (``crawl.sqlite``, ordered by
source URL): one task per report, which reads the report's files from the raw store
(``DATA/raw``) itself — the driver ships only the crawl-state rows (URLs, hashes), never
the bytes — and returns the report's records as the JSON the crawl state caches. Tasks run

- on a local process pool (``concurrent.futures.ProcessPoolExecutor``, one worker per CPU
  by default; ``workers=1`` runs them in this process), or
- on a Dask cluster (``dask.distributed.Client(ADDRESS)``) with ``scheduler=ADDRESS``.
  Every Dask worker must see the same DATA folder at the same absolute path (a shared
  filesystem) and have govreports installed; the driver checks the first on every worker
  before mapping anything.

Results are taken as they complete (each is cached in the crawl state at once, so a
stopped run keeps its work), with a bounded number of reports in flight (``window``,
a few per worker) so memory stays bounded whatever the number of reports, and are
written by the driver's one DatasetWriter in submission order: the Parquet files are the
same bytes whichever engine ran the tasks and in whatever order they finished.

The cache is the crawl's (input key + parser version, crawler/publish.py): a report whose
inputs and parser are unchanged is taken from it without a task, unless ``force``. A
parser upgrade changes the version in the key, so every report is normalized again.

A report is never lost: a task that raises, a worker process that dies (a crash in a
parsing library, the OOM killer; the local pool re-runs the reports in flight one by one
to find the one that kills it) or a Dask task that cannot be run becomes a ``failed`` row
whose issue (``internal.error``, ``internal.worker_crash``) says why. On the local pool each
worker has an address-space cap and each report a wall-clock limit (govreports.runner's
``NORMALIZE_MEMORY_LIMIT``, ``NORMALIZE_TIMEOUT``): a report past it is a ``failed`` row with
``internal.timeout``. Such rows are not
cached: the next run tries the report again.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
import uuid
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from tqdm import tqdm

from crawler import publish
from crawler.rawstore import RawStore
from crawler.state import CrawlState, ReportEntry
from normalize.bundle import Part
from normalize.dataset import DatasetWriter
from normalize.record import STATUSES, Issue, Record, Source, sha256

log = logging.getLogger(__name__)

#: a picklable, module-level function (parts, source) → records; default crawler.publish.normalize_report
Normalizer = Callable[[list[Part], Source], list[Record]]

#: reports in flight (submitted or waiting to be written) per worker slot
WINDOW_PER_WORKER = 4


class RenormalizeError(Exception):
    """The run cannot start (no crawl state, workers that cannot see the data folder …)."""


# ---------------------------------------------------------------- the task (runs in a worker)


def normalize_entry(raw_root: str, entry: ReportEntry, files: dict[str, dict[str, Any]],
                    normalizer: Normalizer | None = None) -> tuple[bool, str]:
    """One report, in a worker: its files from the raw store → (True, JSON of its records,
    as the crawl state caches them) or (False, why the normalizer raised). Never raises."""
    try:
        if not os.path.isdir(raw_root) and any(f.get("sha256") for f in files.values()):
            # a worker that does not see the data folder would read every stored file as
            # missing and publish (and cache) wrong rows: refuse instead
            return False, f"the raw store {raw_root} is not visible on this worker ({os.uname().nodename})"
        parts, source = publish.bundle_inputs(entry, files, RawStore(raw_root))
        records = (normalizer or publish.normalize_report)(parts, source)
        # the JSON round trip the cache makes: what is written is what the next publish reads back
        return True, json.dumps(publish.to_cache(records), ensure_ascii=False, default=str)
    except Exception as e:  # the normalizer promises not to raise; if it does, keep the reason
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        return False, f"normalizer raised {type(e).__name__}: {e}{where}"


def _sees(path: str) -> bool:  # run on every Dask worker
    return os.path.isdir(path)


# ---------------------------------------------------------------- engines
# submit(args) → handle; done(handles) blocks until at least one is done and returns
# {handle: (ok, value, issue code)}; close() stops what the engine started.

Outcome = tuple[bool, str, str]  # (ok, records JSON or reason, issue code for a failure)


class _Done:
    __slots__ = ("outcome",)  # hashed by identity: two equal outcomes are two handles

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


class _Inline:
    """workers=1: every task in this process, at submission."""

    name = "in process"
    slots = 1

    def submit(self, args: tuple) -> _Done:
        ok, value = normalize_entry(*args)
        return _Done((ok, value, "internal.error"))

    def done(self, handles: Iterable[_Done]) -> dict[_Done, Outcome]:
        return {h: h.outcome for h in handles}

    def close(self) -> None:
        pass


class _Handle:
    __slots__ = ("args", "future", "pool")

    def __init__(self, args: tuple, future: Future, pool: ProcessPoolExecutor) -> None:
        self.args, self.future, self.pool = args, future, pool


class _LocalPool:
    """A ProcessPoolExecutor of bounded workers (govreports.runner.worker_pool: an address-space
    cap in each worker; a wall-clock limit per report). When a worker dies, the reports then in
    flight are re-run one by one in a fresh process (to tell the report that kills workers from
    its neighbours) and the pool is replaced; a report past its time limit has its pool killed
    and replaced the same way, and becomes a failed row (``internal.timeout``)."""

    def __init__(self, workers: int, timeout: float | None = None, memory_limit: int | None = None) -> None:
        from govreports import runner

        self.timeout = runner.NORMALIZE_TIMEOUT if timeout is None else timeout
        self.memory_limit = runner.NORMALIZE_MEMORY_LIMIT if memory_limit is None else memory_limit
        self.slots = workers
        self.name = f"local process pool, {workers} workers"
        self.pool = runner.worker_pool(workers, self.memory_limit)  # not fork: the driver holds Parquet writers, SQLite
        self.deadlines = runner.Deadlines(self.timeout)

    def submit(self, args: tuple) -> _Handle:
        return _Handle(args, self.pool.submit(normalize_entry, *args), self.pool)

    def _replace(self) -> None:
        from govreports import runner

        runner.kill_pool(self.pool)
        self.pool = runner.worker_pool(self.slots, self.memory_limit)
        self.deadlines = runner.Deadlines(self.timeout)

    def done(self, handles: Iterable[_Handle]) -> dict[_Handle, Outcome]:
        from govreports import runner

        by_future = {h.future: h for h in handles}
        finished = self.deadlines.wait(by_future)
        out: dict[_Handle, Outcome] = {}
        if not finished:  # a report ran past its time limit: stop its pool (the others in it are re-run)
            for f in self.deadlines.overdue(by_future):
                out[by_future[f]] = (False, runner.timeout_reason(self.timeout), runner.TIMEOUT_CODE)
            log.warning("%d report(s) ran past the %g s time limit; replacing the worker pool", len(out), self.timeout)
            self._replace()
            return out
        for f in finished:
            h = by_future[f]
            try:
                ok, value = f.result()
                out[h] = (ok, value, "internal.error")
            except (BrokenProcessPool, CancelledError):
                if h.pool is self.pool:
                    log.warning("a worker process died; re-running the reports then in flight one by one")
                    self._replace()
                out[h] = self._isolate(h.args)
            except Exception as e:  # pickling errors and the like: keep the report
                out[h] = (False, f"the task failed: {type(e).__name__}: {e}", "internal.error")
        return out

    def _isolate(self, args: tuple) -> Outcome:
        from govreports import runner

        code, value = runner.run_alone(normalize_entry, *args, timeout=self.timeout, memory_limit=self.memory_limit)
        if code is not None:
            return False, value, code
        ok, value = value
        return ok, value, "internal.error"

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A Dask cluster through `dask.distributed.Client(address)` (the cluster is not ours:
    only the client is closed at the end)."""

    def __init__(self, address: str, raw_root: str, timeout: float = 30) -> None:
        try:
            from distributed import Client
        except ImportError as e:  # pragma: no cover - a dependency of the project
            raise RenormalizeError(f"--scheduler needs dask.distributed ({e}); pip install 'dask[distributed]'") from e
        try:
            self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise RenormalizeError(f"cannot reach the Dask scheduler at {address}: {e}") from e
        try:
            nthreads = self.client.nthreads()
            if not nthreads:
                self.client.wait_for_workers(1, timeout=timeout)
                nthreads = self.client.nthreads()
            blind = sorted(w for w, sees in self.client.run(_sees, raw_root).items() if not sees)
            if blind:
                raise RenormalizeError(f"the raw store {raw_root} is not visible on Dask worker(s) {', '.join(blind)}: "
                                       "every worker must see the DATA folder at the same path (a shared filesystem)")
        except BaseException:
            self.client.close()
            raise
        self.slots = max(1, sum(nthreads.values()))
        self.name = f"Dask cluster at {address}, {len(nthreads)} workers, {self.slots} threads"
        self.run_id = uuid.uuid4().hex[:8]
        self.n = 0

    def submit(self, args: tuple) -> Any:
        self.n += 1
        return self.client.submit(normalize_entry, *args, pure=False, key=f"renormalize-{self.run_id}-{self.n}")

    def done(self, handles: Iterable[Any]) -> dict[Any, Outcome]:
        from distributed import wait

        finished = wait(list(handles), return_when="FIRST_COMPLETED").done
        out = {}
        for f in finished:
            try:
                ok, value = f.result()
                out[f] = (ok, value, "internal.error")
            except Exception as e:  # KilledWorker (the task killed its workers), lost workers …
                code = "internal.worker_crash" if type(e).__name__ == "KilledWorker" else "internal.error"
                out[f] = (False, f"the Dask task failed: {type(e).__name__}: {e}", code)
            f.release()
        return out

    def close(self) -> None:
        self.client.close()


# ---------------------------------------------------------------- failed rows


def crash_record(entry: ReportEntry, files: dict[str, dict[str, Any]], reason: str,
                 code: str = "internal.error") -> Record:
    """The row of a report whose normalization crashed: failed, with why, keyed like an unreadable page."""
    page = (files.get(entry.files[0]) or {}) if entry.files else {}
    return Record(report={
        "report_id": sha256(f"unreadable:{entry.source_url}".encode()),
        "year": None,
        "status": "failed",
        "portal": entry.portal,
        "title": entry.list_title or entry.title,
        "publish_date": entry.publish_date,
        "source_url": entry.source_url,
        "document_url": entry.files[0] if entry.files else entry.source_url,
        "doc_sha256": page.get("sha256"),
        "crawled_at": page.get("fetched_at"),
        "parser_version": publish.PARSER_VERSION,
        "issues": [Issue(code, "error", reason)],
        "checks_failed": 0,
    })


# ---------------------------------------------------------------- the run


@dataclass
class RenormalizeSummary:
    out: Path
    build_id: str
    engine: str
    pages: int  # report pages of the crawl state
    normalized: int  # pages normalized by a task
    cached: int  # pages taken from the cache
    reports_by_status: dict[str, int]
    facts: int
    documents: int
    seconds: float
    crashed: list[tuple[str, str]] = field(default_factory=list)  # (source_url, reason)

    @property
    def reports(self) -> int:
        return sum(self.reports_by_status.values())

    def format(self) -> str:
        lines = [f"{self.pages} report pages: {self.normalized} normalized ({self.engine}), {self.cached} from the "
                 f"cache → {self.reports} reports, {self.facts} facts, {self.documents} documents in {self.out} "
                 f"({self.seconds:.1f} s)",
                 "reports by status: " + ", ".join(f"{s} {n}" for s, n in self.reports_by_status.items())]
        if self.crashed:
            lines.append(f"{len(self.crashed)} report(s) crashed the normalizer (published as failed rows, not cached):")
            lines.extend(f"  {url}: {reason}" for url, reason in self.crashed[:20])
            if len(self.crashed) > 20:
                lines.append(f"  … and {len(self.crashed) - 20} more (see the issues internal.* in the dataset)")
        return "\n".join(lines)


def _engine(workers: int | None, scheduler: str | None, raw_root: str, pages: int, connect_timeout: float):
    if scheduler:
        return _Dask(scheduler, raw_root, timeout=connect_timeout)
    from govreports.runner import default_workers

    workers = min(default_workers() if workers is None else max(1, workers), max(1, pages))
    return _Inline() if workers == 1 else _LocalPool(workers)


def renormalize(
    data_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: bool | None = None,
    window: int | None = None,
    normalizer: Normalizer | None = None,
    writer_options: dict[str, Any] | None = None,
    connect_timeout: float = 30,
) -> RenormalizeSummary:
    """Re-normalize every report of ``DATA/crawl.sqlite`` from ``DATA/raw`` and publish
    ``DATA/dataset`` (atomically: on any exception the dataset stays as it was).

    workers: local processes (None = one per CPU; 1 = in this process); ignored with
    scheduler (a Dask scheduler address, e.g. tcp://10.0.0.5:8786). force: normalize every
    report, ignoring the cache. progress: a tqdm bar on stderr (None = when stderr is a
    terminal). window: reports in flight (default 4 per worker slot). normalizer: tests'
    fakes (a picklable module-level function parts, source → records). connect_timeout:
    seconds to wait for the Dask scheduler (and for a first worker).
    """
    started = time.monotonic()
    data_dir = Path(data_dir).absolute()
    if not (data_dir / "crawl.sqlite").is_file():
        raise RenormalizeError(f"no crawl state at {data_dir / 'crawl.sqlite'}: crawl first (govreports build, scrapy crawl)")
    raw_root = str(data_dir / "raw")
    state = CrawlState(data_dir / "crawl.sqlite")
    try:
        pages = state.count_reports()
        if pages == 0:
            raise RenormalizeError(f"the crawl state {data_dir / 'crawl.sqlite'} holds no report")
        engine = _engine(workers, scheduler, raw_root, pages, connect_timeout)
        try:
            return _run(data_dir, state, engine, pages, force=force, window=window, normalizer=normalizer,
                        progress=sys.stderr.isatty() if progress is None else progress, started=started,
                        writer_options=writer_options or {})
        finally:
            engine.close()
    finally:
        state.close()


def _run(data_dir: Path, state: CrawlState, engine: Any, pages: int, *, force: bool, window: int | None,
         normalizer: Normalizer | None, progress: bool, started: float, writer_options: dict[str, Any]) -> RenormalizeSummary:
    store = RawStore(data_dir / "raw")
    raw_root = str(store.root)
    window = max(1, window or WINDOW_PER_WORKER * engine.slots)
    parser_version = publish.PARSER_VERSION  # read at run time: a parser upgrade (or a test) changes it
    log.info("re-normalizing %d report pages with %s into %s", pages, engine.name, data_dir / "dataset")
    crashed: list[tuple[str, str]] = []
    normalized = cached = 0
    inflight: dict[Any, tuple[int, ReportEntry, dict[str, dict[str, Any]], str]] = {}
    ready: dict[int, list[Record]] = {}  # finished, waiting for their turn to be written
    entries = state.iter_reports()
    submitted = written = 0
    exhausted = False

    with DatasetWriter(data_dir / "dataset", **writer_options) as writer:
        bar = tqdm(total=pages, unit="report", file=sys.stderr, disable=not progress, dynamic_ncols=True)
        try:
            while True:
                # keep at most `window` reports between submission and writing
                while not exhausted and submitted - written < window:
                    entry = next(entries, None)
                    if entry is None:
                        exhausted = True
                        break
                    files, key = publish.report_files(entry, state)
                    hit = None if force else state.record(entry.source_url, key, parser_version)
                    if hit is not None:
                        ready[submitted] = publish.from_cache(hit)
                        cached += 1
                        bar.update(1)
                    else:
                        handle = engine.submit((raw_root, entry, files, normalizer))
                        inflight[handle] = (submitted, entry, files, key)
                    submitted += 1
                # write in submission order: the same files whatever the completion order
                while written in ready:
                    _write(writer, ready.pop(written), state)
                    written += 1
                if exhausted and not inflight and not ready:
                    break
                if not inflight:
                    continue
                for handle, (ok, value, code) in engine.done(inflight).items():
                    seq, entry, files, key = inflight.pop(handle)
                    if ok:
                        data = json.loads(value)
                        state.put_record(entry.source_url, key, parser_version, data)
                        ready[seq] = publish.from_cache(data)
                        normalized += 1
                    else:
                        log.warning("%s: %s", entry.source_url, value)
                        crashed.append((entry.source_url, value))
                        ready[seq] = [crash_record(entry, files, value, code)]
                    bar.update(1)
            for f in state.iter_files():
                writer.add_document(publish.document_row(f, data_dir, store))
        finally:
            bar.close()
            entries.close()
    by_status = {s: writer.status_counts.get(s, 0) for s in STATUSES}
    by_status.update({s: n for s, n in writer.status_counts.items() if s not in by_status})
    summary = RenormalizeSummary(
        out=data_dir / "dataset", build_id=writer.build_id, engine=engine.name, pages=pages, normalized=normalized,
        cached=cached, reports_by_status=by_status, facts=writer.counts["facts"], documents=writer.counts["documents"],
        seconds=time.monotonic() - started, crashed=crashed)
    log.info("%s", summary.format())
    return summary


def _write(writer: DatasetWriter, records: list[Record], state: CrawlState) -> None:
    for record in records:
        try:
            writer.add(record)
        except ValueError as e:  # a normalizer bug: keep the report as a failed row
            url = record.report.get("source_url")
            log.warning("%s: the record does not fit the schema: %s", url, e)
            entry = state.report(url) if url else None
            if entry is None:
                raise
            writer.add(crash_record(entry, {}, f"the normalizer's record does not fit the dataset schema: {e}",
                                    "internal.schema"))
