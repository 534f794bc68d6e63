"""Normalize many report files into one dataset: a process pool feeding the DatasetWriter.

Files are written in a deterministic order (sorted by path) whatever the number of
workers. A file is never lost: when the normalizer raises, or the worker process
running it dies (a segfault in a PDF library, the OOM killer, the memory cap), or it
runs past its time limit, the file becomes a `failed` report row whose `issues` say why.

The bounds live here and are shared by every place that normalizes untrusted bytes in
worker processes (this runner, `govreports renormalize`'s local pool, the crawler's
`ReportPipeline` and its publish at close): `worker_pool` gives each worker an address-space
cap (`RLIMIT_AS`, set by the pool initializer in the worker only, never in the parent),
`Deadlines` finds a task running past its wall-clock limit, `kill_pool` stops a pool whose
worker is stuck, and `run_alone` re-runs one task in a fresh bounded process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import sys
import time
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from tqdm import tqdm

from normalize.dataset import DatasetWriter
from normalize.record import PARSER_VERSION, STATUSES, Issue, Record, normalize_file_all, sha256
from normalize.sniff import media_type

log = logging.getLogger(__name__)

Normalizer = Callable[[Path], "Record | list[Record]"]  # a list when a file holds several reports

#: file extension → `source_format`, for the rows of files the normalizer could not handle
_FORMATS = {
    ".html": "html", ".htm": "html", ".shtml": "html", ".pdf": "pdf", ".docx": "docx", ".doc": "doc",
    ".wps": "wps", ".xls": "xls", ".xlsx": "xlsx", ".txt": "txt", ".jpg": "image", ".jpeg": "image", ".png": "image",
}


# ---------------------------------------------------------------- inputs


def _walk(folder: Path) -> Iterator[Path]:
    """Files under `folder`, recursively; hidden files and folders skipped, symlinked folders not followed."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                p = Path(dirpath, name)
                if p.is_file():
                    yield p


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named, plus every file under folders named (recursively, hidden files and
    folders skipped), deduplicated and sorted by path. A missing path raises FileNotFoundError."""
    found: dict[str, Path] = {}
    for p in map(Path, paths):
        if p.is_dir():
            for f in _walk(p):
                found.setdefault(os.path.normpath(f.absolute()), f)
        elif p.is_file():
            found.setdefault(os.path.normpath(p.absolute()), p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return [found[k] for k in sorted(found)]


# ---------------------------------------------------------------- failed rows


def failed_record(path: str | os.PathLike[str], reason: str, code: str = "internal.error") -> Record:
    """The report row of a file the normalizer could not handle at all."""
    path = Path(path)
    try:
        digest: str | None = sha256(path.read_bytes())
    except OSError:
        digest = None
    try:  # the id the pipeline gives a file it cannot read, so re-runs agree
        from normalize.pipeline import report_id as pipeline_report_id

        report_id = pipeline_report_id("", digest or sha256(str(path.absolute()).encode()))
    except ImportError:  # pragma: no cover - the pipeline is always there once installed
        report_id = (digest or sha256(str(path.absolute()).encode()))[:20]
    return Record(
        report={
            "report_id": report_id,
            "year": None,
            "status": "failed",
            "source_path": str(path),
            "source_format": _FORMATS.get(path.suffix.lower()),
            "doc_sha256": digest,
            "parser_version": PARSER_VERSION,
            "issues": [Issue(code, "error", reason)],
            "checks_failed": 0,
        },
        facts=[],
    )


def _ensure_source_path(result: Record | list[Record], path: Path) -> list[Record]:
    """A file's records (a normalizer gives one, or a list when the file holds several reports)."""
    records = result if isinstance(result, list) else [result]
    for record in records:
        if not record.report.get("source_path"):
            record.report["source_path"] = str(path)
    return records or [failed_record(path, "the normalizer returned no record")]


# ---------------------------------------------------------------- workers


def _work(normalizer: Normalizer, path: str) -> tuple[bool, Any]:
    """Run in a worker: (True, Record) or (False, reason). Never raises for a bad file."""
    try:
        return True, normalizer(Path(path))
    except Exception as e:  # the normalizer promises not to raise; if it does, keep the reason
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
        return False, f"normalizer raised {type(e).__name__}: {e}{where}"


def _mp_context() -> multiprocessing.context.BaseContext:
    # not fork: the parent holds open Parquet writers and (Arrow) threads
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


# ---------------------------------------------------------------- bounds of a worker process

#: wall-clock seconds one report (or file) may take in a worker before the worker is killed
NORMALIZE_TIMEOUT = 120.0
#: address space (RLIMIT_AS) of a normalizing worker process. A worker idles at ~350 MB of
#: address space; PDFium aborts the process when an allocation fails (e.g. a Flate bomb in a
#: content stream), Python raises MemoryError. LibreOffice lowers its own limit to 2 GiB.
NORMALIZE_MEMORY_LIMIT = 3 * 1024**3

TIMEOUT_CODE = "internal.timeout"
CRASH_CODE = "internal.worker_crash"


def _limit_memory(limit: int | None) -> None:
    """Pool initializer: caps the address space of the worker it runs in (never the parent:
    the pool starts workers by forkserver or spawn, and an initializer runs in the child)."""
    if not limit:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    # the soft limit only: a converter started from the worker may set its own (`ulimit -v`)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def worker_pool(workers: int, memory_limit: int | None = NORMALIZE_MEMORY_LIMIT) -> ProcessPoolExecutor:
    """A process pool (forkserver or spawn, never fork) whose workers have `memory_limit` bytes of address space."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_limit_memory,
                               initargs=(memory_limit,))


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, killing its workers (one may be stuck in a parser that never returns):
    its unfinished futures fail with BrokenProcessPool or are cancelled."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        try:
            p.kill()
        except (OSError, ValueError):  # already gone
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        try:
            p.join(5)
        except (OSError, ValueError, AssertionError):
            pass


class Deadlines:
    """Wall-clock limits of pool tasks, measured from when a task is first seen running (a
    task queued behind others is not charged for their time)."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout if timeout and timeout > 0 else None
        self.started: dict[Future, float] = {}

    def wait(self, futures: Iterable[Future]) -> set[Future]:
        """Block until a future is done or one is overdue; the done ones."""
        futures = list(futures)
        while True:
            done, _ = wait_futures(futures, timeout=None if self.timeout is None else 0.25,
                                   return_when=FIRST_COMPLETED)
            for f in done:
                self.started.pop(f, None)
            if done or self.overdue(futures):
                return done

    def overdue(self, futures: Iterable[Future]) -> list[Future]:
        if self.timeout is None:
            return []
        now = time.monotonic()
        late = []
        for f in futures:
            if f.done():
                continue
            if f.running():
                if now - self.started.setdefault(f, now) > self.timeout:
                    late.append(f)
        return late

    def forget(self, future: Future) -> None:
        self.started.pop(future, None)


def timeout_reason(timeout: float) -> str:
    return f"normalizing took longer than {timeout:g} s (the time limit of a report): the worker was stopped"


def crash_reason(memory_limit: int | None) -> str:
    cap = f" (over the {memory_limit // 2**20} MiB memory limit?)" if memory_limit else ""
    return f"the normalizer's worker process died on this input: a crash in a parsing library, or out of memory{cap}"


def run_alone(fn: Callable, *args: Any, timeout: float | None = NORMALIZE_TIMEOUT,
              memory_limit: int | None = NORMALIZE_MEMORY_LIMIT) -> tuple[str | None, Any]:
    """Run `fn(*args)` alone in a fresh bounded worker: (None, its result), or (TIMEOUT_CODE or
    CRASH_CODE, why) when it ran past `timeout` or its process died."""
    pool = worker_pool(1, memory_limit)
    try:
        future = pool.submit(fn, *args)
        deadlines = Deadlines(timeout)
        try:
            if not deadlines.wait([future]):
                kill_pool(pool)
                return TIMEOUT_CODE, timeout_reason(timeout)
            return None, future.result()
        except BrokenProcessPool:
            return CRASH_CODE, crash_reason(memory_limit)
        except FutureTimeout:  # pragma: no cover - wait() returned it done
            return TIMEOUT_CODE, timeout_reason(timeout)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _results_serial(files: list[Path], normalizer: Normalizer) -> Iterator[tuple[Path, list[Record]]]:
    for path in files:
        ok, value = _work(normalizer, str(path))
        yield path, (_ensure_source_path(value, path) if ok else [failed_record(path, value)])


def _isolate(path: Path, normalizer: Normalizer, timeout: float | None = NORMALIZE_TIMEOUT,
             memory_limit: int | None = NORMALIZE_MEMORY_LIMIT) -> list[Record]:
    """Re-run one file alone in a fresh bounded process, to tell the file that kills workers
    (or runs past its time) from its innocent neighbours."""
    code, value = run_alone(_work, normalizer, str(path), timeout=timeout, memory_limit=memory_limit)
    if code is not None:
        return [failed_record(path, value, code)]
    ok, value = value
    return _ensure_source_path(value, path) if ok else [failed_record(path, value)]


def _results_parallel(files: list[Path], normalizer: Normalizer, workers: int,
                      timeout: float | None = NORMALIZE_TIMEOUT,
                      memory_limit: int | None = NORMALIZE_MEMORY_LIMIT) -> Iterator[tuple[Path, list[Record]]]:
    """Results in the order of `files`, with at most a few tasks per worker in flight."""
    window = workers * 4
    todo = deque(files)
    pool = worker_pool(workers, memory_limit)
    deadlines = Deadlines(timeout)
    inflight: deque[tuple[Path, Future]] = deque()
    try:
        while todo or inflight:
            while todo and len(inflight) < window:
                path = todo.popleft()
                inflight.append((path, pool.submit(_work, normalizer, str(path))))
            path, future = inflight[0]
            while not future.done() and not deadlines.overdue(f for _, f in inflight):
                wait_futures([future], timeout=None if deadlines.timeout is None else 0.25)
            late = set(deadlines.overdue(f for _, f in inflight))
            try:
                if late:
                    raise BrokenProcessPool("a worker ran past its time limit")
                ok, value = future.result()
                inflight.popleft()
            except BrokenProcessPool:
                # a worker died (or is stuck and is killed now): every unfinished task is lost
                # with it. Re-run them one by one in isolation, then carry on with a fresh pool.
                log.warning("a worker process died or ran past its time limit; re-running the %d files in flight "
                            "one by one", len(inflight))
                kill_pool(pool)
                for p, f in inflight:
                    if f in late:
                        yield p, [failed_record(p, timeout_reason(timeout), TIMEOUT_CODE)]
                    elif f.done() and not f.cancelled() and f.exception() is None:
                        ok, value = f.result()
                        yield p, (_ensure_source_path(value, p) if ok else [failed_record(p, value)])
                    else:
                        yield p, _isolate(p, normalizer, timeout, memory_limit)
                inflight.clear()
                deadlines = Deadlines(timeout)
                pool = worker_pool(workers, memory_limit)
                continue
            deadlines.forget(future)
            yield path, (_ensure_source_path(value, path) if ok else [failed_record(path, value)])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- the run


@dataclass
class RunSummary:
    out: Path
    build_id: str
    files: int
    reports_by_status: dict[str, int]
    reports_with_errors: int
    reports_failing_checks: int
    issue_codes: list[tuple[str, int]]  # most common first: (code, reports with it)
    error_codes: list[tuple[str, int]]  # the same, for issues of severity error
    facts: int
    duplicates: int = 0
    seconds: float = 0.0
    failed_files: list[str] = field(default_factory=list)

    @property
    def reports(self) -> int:
        return sum(self.reports_by_status.values())

    @property
    def nothing_read(self) -> bool:
        """True when no file could be read at all (every report failed, or there were none)."""
        return self.reports == 0 or self.reports_by_status.get("failed", 0) == self.reports

    def format(self, top: int = 10) -> str:
        lines = [f"{self.files} files → {self.reports} reports, {self.facts} facts in {self.out} ({self.seconds:.1f} s)"]
        lines.append("reports by status: " + ", ".join(f"{s} {n}" for s, n in self.reports_by_status.items()))
        lines.append(f"checks failed: {self.reports_failing_checks} of {self.reports} reports fail a table check "
                     f"({self.reports_with_errors} have an error of any kind, see below)")
        if self.error_codes:
            lines.append("most common errors (reports): " + ", ".join(f"{c} {n}" for c, n in self.error_codes[:top]))
        errors = dict(self.error_codes)
        warnings = [(c, n) for c, n in self.issue_codes if c not in errors]
        if warnings:
            lines.append("most common warnings (reports): " + ", ".join(f"{c} {n}" for c, n in warnings[:top]))
        if self.duplicates:
            lines.append(f"repeats: {self.duplicates} file(s) held a report already read (kept once; see other_sources and _build.json)")
        return "\n".join(lines)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def local_document(path: Path, record: Record) -> dict[str, Any]:
    """The `documents` row of a local file: its file:// URL, hash, size and sniffed type."""
    path = Path(path)
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    return {
        "url": path.resolve().as_uri(),
        "sha256": record.report.get("doc_sha256"),
        "content_type": media_type(record.report.get("source_format") or ""),
        "size": size,
        "stored_path": str(path),
    }


def normalize_paths(
    paths: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    workers: int | None = None,
    *,
    progress: bool | None = None,
    normalizer: Normalizer | None = None,
    writer_options: dict[str, Any] | None = None,
    timeout: float | None = NORMALIZE_TIMEOUT,
    memory_limit: int | None = NORMALIZE_MEMORY_LIMIT,
) -> RunSummary:
    """Normalize every file under `paths` into the dataset at `out` (published atomically).

    workers: processes (1 = in this process, with no time or memory bound; None = one per
    CPU). progress: a tqdm bar on stderr (None = only when stderr is a terminal). normalizer:
    a picklable, module-level function path → Record or list of Records (default
    normalize.record.normalize_file_all; tests pass fakes). timeout: wall-clock seconds a
    file may take in a worker (its row is then `failed`, `internal.timeout`); memory_limit:
    bytes of address space of each worker (None: no bound).
    """
    started = time.monotonic()
    normalizer = normalizer or normalize_file_all
    files = expand_paths(paths)
    workers = default_workers() if workers is None else max(1, workers)
    workers = min(workers, max(1, len(files)))
    if progress is None:
        progress = sys.stderr.isatty()
    log.info("normalizing %d files with %d worker(s) into %s", len(files), workers, out)
    results = _results_serial(files, normalizer) if workers == 1 else _results_parallel(files, normalizer, workers, timeout, memory_limit)
    failed_files = []
    with DatasetWriter(out, **(writer_options or {})) as writer:
        bar = tqdm(total=len(files), unit="file", file=sys.stderr, disable=not progress, dynamic_ncols=True)
        try:
            for path, records in results:
                for record in records:
                    try:
                        writer.add(record)
                    except ValueError as e:
                        log.warning("%s: the record does not fit the schema: %s", path, e)
                        record = failed_record(path, f"the normalizer's record does not fit the dataset schema: {e}", "internal.schema")
                        writer.add(record)
                writer.add_document(local_document(path, records[0]))
                if all(r.report.get("status") == "failed" for r in records):
                    failed_files.append(str(path))
                bar.update(1)
        finally:
            bar.close()
            if hasattr(results, "close"):
                results.close()
    by_status = {s: writer.status_counts.get(s, 0) for s in STATUSES}
    by_status.update({s: n for s, n in writer.status_counts.items() if s not in by_status})
    return RunSummary(
        out=Path(out),
        build_id=writer.build_id,
        files=len(files),
        reports_by_status=by_status,
        reports_with_errors=writer.reports_with_errors,
        reports_failing_checks=writer.reports_failing_checks,
        issue_codes=writer.issue_codes.most_common(),
        error_codes=writer.error_codes.most_common(),
        facts=writer.counts["facts"],
        duplicates=len(writer.duplicates),
        seconds=time.monotonic() - started,
        failed_files=failed_files,
    )
