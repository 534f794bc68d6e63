"""`govreports build [CITY...]`: crawl and publish as one job, safe under cron.

What a run does, for each CITY (a spider; default: every spider of the project, as
`scrapy list` shows them):

- runs `scrapy crawl CITY` (govreports.crawl.run_crawl) with ``DATA_DIR``; the crawl is
  incremental through the crawl state (``DATA/crawl.sqlite``): list pages are read again,
  report pages already complete are not fetched again; the dataset ``DATA/dataset`` is
  published when the crawl closes;
- logs the crawl to ``DATA/runs/<run id>/<city>.log`` and its final stats (with the
  monitors' verdicts, crawler/monitors.py) to ``<city>.stats.json``;
- keeps the crawl's queue in ``DATA/jobs/<city>/`` (Scrapy's ``JOBDIR``). A crawl stopped
  cleanly before its end (SIGTERM or Ctrl-C to the build, which passes it on once) resumes
  from there on the next run, and the monitors judge the parts as one job. A crawl killed
  hard (SIGKILL, power loss) left an unreliable queue: the next run drops it and starts the
  crawl again, which re-reads the lists but fetches no report already complete in the crawl
  state. After a crawl that finished, the folder is removed.

One run at a time: the run holds ``fcntl.flock`` on ``DATA/.build.lock`` (passed on to the
crawl, so a crawl outliving its build still holds it); a second run exits at once with
status 5 and one line on stderr.

Every run writes ``DATA/runs/<run id>/summary.json`` (run id = UTC start time,
``20250301T031700Z``) and a copy in ``DATA/runs/latest.json`` (replaced atomically)::

    {"run_id", "started", "finished", "seconds", "status": "ok" | "degraded" | "failed",
     "exit_status", "problems": [...], "cities", "years", "sites", "replica_url", "interrupted",
     "crawls": {CITY: {"status", "problems", "exit_code", "finish_reason", "resumed",
                       "log", "stats_file", "previous_run", "stats": {...},
                       "sites": {HOST: {"list_pages", "list_failed", "columns", "columns_failed",
                                        "reports", "reports_unchanged", "reports_listed",
                                        "previous_reports_listed", "report_pages_failed",
                                        "failing"}},
                       "failing_sites": [...], "monitors": [{"name", "passed", "status", "message"}],
                       "dataset": {"reports", "facts", "reports_failing_checks", "status": {...}}}}}

Exit statuses:

- 0 ok: every crawl finished and published, no site failing, every monitor passed;
- 2 usage: an unknown city or site, unreadable years;
- 3 degraded: published, but a site is failing (no list page could be read) or a monitor
  failed (reports per site against the last run, error rate, retry rate, share of reports
  failing checks);
- 4 failed: a crawl died or stopped early (killed, interrupted), published nothing, or could
  read no site at all;
- 5 locked: another run holds the lock; nothing was done.

On stderr: one line per city and a final line (more with ``govreports -v``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DEGRADED = 3
EXIT_FAILED = 4
EXIT_LOCKED = 5

STATUS_EXIT = {"ok": EXIT_OK, "degraded": EXIT_DEGRADED, "failed": EXIT_FAILED}
_RANK = {"ok": 0, "degraded": 1, "failed": 2}

LOCK_NAME = ".build.lock"
JOB_FILE = "govreports-job.json"

#: Scrapy stats worth keeping in the summary (besides the govreports/* counters)
STATS_OF_INTEREST = (
    "start_time", "finish_time", "finish_reason", "elapsed_time_seconds", "downloader/request_count",
    "downloader/response_count", "downloader/exception_count", "retry/count", "retry/max_reached",
    "robotstxt/forbidden", "item_scraped_count", "log_count/ERROR", "log_count/WARNING", "log_count/CRITICAL",
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _spider_loader():
    """Scrapy's spider loader over the project's settings (crawler.settings)."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import get_spider_loader

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return get_spider_loader(settings)


def city_spiders() -> list[str]:
    """Every spider of the project (what `scrapy list` prints)."""
    return sorted(_spider_loader().list())


def _registry_name(city: str) -> str:
    cls = _spider_loader().load(city)
    return getattr(cls, "registry_name", None) or city


def _sites_by_city(cities: Sequence[str], sites: Sequence[str]) -> dict[str, list[str]]:
    """The named sites, grouped by the city whose registry has them (ValueError for one none has)."""
    from crawler.registry import load_registry

    out: dict[str, list[str]] = {c: [] for c in cities}
    for name in sites:
        for city in cities:
            try:
                (site,) = load_registry(_registry_name(city)).select([name])
            except ValueError:
                continue
            if site.host not in out[city]:
                out[city].append(site.host)
            break
        else:
            raise ValueError(f"{name!r} is not a site of {', '.join(cities)}")
    return out


def _write_json(path: Path, data: Any) -> None:
    from crawler.extensions import write_json_atomically

    write_json_atomically(path, data)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


class _Lock:
    """A non-blocking exclusive flock on DATA/.build.lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def holder(self) -> str:
        try:
            return os.pread(self.fd, 200, 0).decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def note(self, text: str) -> None:
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, text.encode(), 0)

    def close(self) -> None:
        os.close(self.fd)  # releases the lock (unless a crawl still has it open)


class _Stopper:
    """SIGTERM / SIGINT / SIGHUP to the build: pass it on to the running crawl once (Scrapy then
    stops cleanly, keeping its queue for the next run), start no further city. A second signal
    is passed on too (Scrapy then stops at once)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.received: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_Stopper":
        try:
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        except ValueError:  # not the main thread: no handlers, signals act as usual
            pass
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = signal.Signals(signum).name
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)


def _previous_summary(runs: Path, run_id: str, city: str, years: str | None) -> Path | None:
    """The newest earlier run whose crawl of `city` finished, with the same years."""
    if not runs.is_dir():
        return None
    for run in sorted((p for p in runs.iterdir() if p.is_dir() and p.name != run_id), key=lambda p: p.name, reverse=True):
        summary = _read_json(run / "summary.json")
        if not isinstance(summary, dict) or summary.get("years") != years:
            continue
        crawl = (summary.get("crawls") or {}).get(city) or {}
        if crawl.get("finish_reason") == "finished" and crawl.get("sites"):
            return run / "summary.json"
    return None


def _new_run_dir(runs: Path) -> tuple[str, Path]:
    base = _now().strftime("%Y%m%dT%H%M%SZ")
    runs.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        run_id = base if n == 0 else f"{base}-{n}"
        try:
            (runs / run_id).mkdir()
            return run_id, runs / run_id
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot make a run folder under {runs}")


def _judge(city: str, code: int, stats: dict | None, log_file: Path) -> dict[str, Any]:
    """A crawl's status, problems, per-site counts and monitors, from its exit code and stats."""
    from crawler.monitors import site_counts

    out: dict[str, Any] = {"exit_code": code, "finish_reason": None, "stats": {}, "sites": {}, "failing_sites": [],
                           "monitors": [], "dataset": None, "problems": []}
    problems = out["problems"]
    if stats is None:
        problems.append(f"the crawl died (exit status {code}) before closing; see {log_file}")
        out["status"] = "failed"
        return out
    out["finish_reason"] = reason = stats.get("finish_reason")
    out["stats"] = {k: v for k, v in sorted(stats.items()) if k in STATS_OF_INTEREST or (
        k.startswith("govreports/") and not k.startswith(("govreports/site/", "govreports/dataset", "govreports/monitors"))
        and k != "govreports/sites")}
    sites = stats.get("govreports/sites")
    out["sites"] = sites if isinstance(sites, dict) else site_counts(stats)
    out["failing_sites"] = [h for h, c in out["sites"].items() if c.get("failing")]
    monitors = stats.get("govreports/monitors")
    out["monitors"] = monitors if isinstance(monitors, list) else []
    if "govreports/dataset_reports" in stats:
        out["dataset"] = {
            "reports": stats.get("govreports/dataset_reports"), "facts": stats.get("govreports/dataset_facts"),
            "reports_failing_checks": stats.get("govreports/dataset_reports_failing_checks"),
            "status": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("govreports/dataset_status/")},
        }
    status = "ok"
    if code != 0:
        problems.append(f"the crawl exited with status {code}; see {log_file}")
        status = "failed"
    if reason != "finished":
        problems.append(f"the crawl stopped before its end ({reason}); the next run resumes it")
        status = "failed"
    if out["dataset"] is None:
        problems.append("no dataset was published")
        status = "failed"
    if out["sites"] and len(out["failing_sites"]) == len(out["sites"]):
        problems.append("no site could be read")
        status = "failed"
    elif out["failing_sites"]:
        status = max(status, "degraded", key=_RANK.get)
        if not isinstance(monitors, list):  # else the "failing sites" monitor says it
            problems.append(f"failing sites (no list page read): {', '.join(out['failing_sites'])}")
    failed = [m for m in out["monitors"] if not m.get("passed")]
    if failed:
        problems.append("monitors failed: " + "; ".join(f"{m['name']} ({m.get('message')})" for m in failed))
        status = max(status, "degraded", key=_RANK.get)
    if not isinstance(monitors, list):
        problems.append("the monitors did not run (see the log)")
        status = max(status, "degraded", key=_RANK.get)
    out["status"] = status
    return out


def _city_line(city: str, c: dict[str, Any]) -> str:
    sites = c.get("sites") or {}
    listed = sum(s.get("reports_listed", 0) for s in sites.values())
    new = sum(s.get("reports", 0) for s in sites.values())
    requests = (c.get("stats") or {}).get("downloader/request_count", 0)
    dataset = c.get("dataset") or {}
    head = (f"{city}: {c['status']} — {listed} reports listed on {len(sites)} sites ({new} fetched), "
            f"{dataset.get('reports', 0)} in the dataset, {requests} requests, {c.get('seconds', 0):.0f} s"
            if c.get("finish_reason") else f"{city}: {c['status']}")
    if c.get("problems"):
        head += "; " + "; ".join(c["problems"])
    return f"{head}; log {c['log']}"


def run_build(cities: Sequence[str], *, data_dir: str | os.PathLike[str], years: str | None = None,
              replica_url: str | None = None, sites: Sequence[str] | None = None,
              settings: Mapping[str, str] | None = None) -> int:
    """Crawl `cities` (default: every spider) into `data_dir` and publish; return the exit status
    (module docstring). `sites` restricts the crawl to these registry sites; `settings` are
    passed to Scrapy (``-s NAME=VALUE``)."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    lock = _Lock(data / LOCK_NAME)
    try:
        if not lock.acquire():
            holder = lock.holder()
            print(f"govreports build: another build holds {data / LOCK_NAME}"
                  f"{f' ({holder})' if holder else ''}; not starting (exit {EXIT_LOCKED})", file=sys.stderr)
            return EXIT_LOCKED
        return _locked_build(lock, data, list(cities), years, replica_url, list(sites or []), dict(settings or {}))
    finally:
        lock.close()


def _usage(message: str) -> int:
    print(f"govreports build: {message}", file=sys.stderr)
    return EXIT_USAGE


def _locked_build(lock: _Lock, data: Path, cities: list[str], years: str | None, replica_url: str | None,
                  sites: list[str], settings: dict[str, str]) -> int:
    from govreports.crawl import run_crawl
    from normalize.years import parse_years

    known = city_spiders()
    unknown = [c for c in cities if c not in known]
    if unknown:
        return _usage(f"no spider for {', '.join(unknown)} (known: {', '.join(known)})")
    cities = cities or known
    try:
        parse_years(years)
    except ValueError as e:
        return _usage(str(e))
    try:
        city_sites = _sites_by_city(cities, sites) if sites else None
    except ValueError as e:
        return _usage(str(e))
    if city_sites is not None:
        cities = [c for c in cities if city_sites[c]]

    runs = data / "runs"
    run_id, run_dir = _new_run_dir(runs)
    started = _now()
    lock.note(f"pid {os.getpid()}, run {run_id}, since {_iso(started)}\n")
    build_log = run_dir / "build.log"

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)
        with build_log.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    summary: dict[str, Any] = {
        "run_id": run_id, "started": _iso(started), "finished": None, "seconds": None, "status": None,
        "exit_status": None, "problems": [], "data_dir": str(data.resolve()), "cities": cities, "years": years,
        "sites": sites or None, "replica_url": replica_url, "interrupted": None, "crawls": {},
    }
    with _Stopper() as stopper:
        for city in cities:
            if stopper.received:
                summary["crawls"][city] = {"status": "failed", "problems": [f"not started: the build got {stopper.received}"]}
                continue
            t0 = time.monotonic()
            result = _crawl_city(city, data, run_id, run_dir, years, replica_url,
                                 city_sites[city] if city_sites else None, settings, stopper, lock, run_crawl)
            result["seconds"] = round(time.monotonic() - t0, 1)
            summary["crawls"][city] = result
            say(f"govreports build {run_id}: " + _city_line(city, result))
        summary["interrupted"] = stopper.received

    status = max((c["status"] for c in summary["crawls"].values()), key=_RANK.get, default="failed")
    if not summary["crawls"]:
        summary["problems"].append("no city to crawl")
    if stopper.received:
        status = "failed"
        summary["problems"].append(f"interrupted by {stopper.received}")
    for city, c in summary["crawls"].items():
        summary["problems"] += [f"{city}: {p}" for p in c.get("problems", [])]
    finished = _now()
    summary.update(status=status, exit_status=STATUS_EXIT[status], finished=_iso(finished),
                   seconds=round((finished - started).total_seconds(), 1))
    _write_json(run_dir / "summary.json", summary)
    _write_json(runs / "latest.json", summary)
    say(f"govreports build {run_id}: {status} (exit {STATUS_EXIT[status]}); summary {run_dir / 'summary.json'}")
    return STATUS_EXIT[status]


def _crawl_city(city: str, data: Path, run_id: str, run_dir: Path, years: str | None, replica_url: str | None,
                sites: list[str] | None, extra: dict[str, str], stopper: _Stopper, lock: _Lock, run_crawl) -> dict[str, Any]:
    jobdir = data / "jobs" / city
    job_file = jobdir / JOB_FILE
    arguments = {k: v for k, v in (("years", years), ("sites", ",".join(sites) if sites else None)) if v}
    job = _read_json(job_file) if job_file.exists() else None
    resumed = False
    if jobdir.exists():
        if not isinstance(job, dict) or job.get("running"):
            why = f"run {job['running']} did not close it" if isinstance(job, dict) else "it is not the build's"
            log.warning("%s: dropping the crawl queue %s (%s); the crawl starts again from the crawl state", city, jobdir, why)
            shutil.rmtree(jobdir)
            job = None
        elif job.get("arguments") != arguments:
            log.warning("%s: the paused crawl in %s had other arguments (%s); starting again", city, jobdir, job.get("arguments"))
            shutil.rmtree(jobdir)
            job = None
        else:
            resumed = True
    if job is None:
        job = {"started": _iso(_now()), "arguments": arguments, "parts": [], "runs": []}
    job["running"] = run_id
    job["runs"].append(run_id)
    _write_json(job_file, job)

    log_file = run_dir / f"{city}.log"
    stats_file = run_dir / f"{city}.stats.json"
    previous = _previous_summary(data / "runs", run_id, city, years)
    # a distributed crawl (REDIS_URL) keeps its queue in Redis, where a stopped crawl resumes from; not in a JOBDIR
    distributed = bool(extra.get("REDIS_URL") or os.environ.get("GOVREPORTS_REDIS_URL"))
    settings = {
        "DATA_DIR": str(data), "LOG_FILE": str(log_file), **({} if distributed else {"JOBDIR": str(jobdir)}),
        "GOVREPORTS_STATS_FILE": str(stats_file),
        "GOVREPORTS_EARLIER_STATS": json.dumps(job["parts"]),
        **({"GOVREPORTS_PREVIOUS_SUMMARY": str(previous)} if previous else {}),
        **({"REPLICA_URL": replica_url} if replica_url else {}),
        **extra,
    }
    log.info("%s: scrapy crawl %s %s (%s%s)", run_id, city, arguments, "queue in Redis" if distributed else f"JOBDIR {jobdir}",
             ", resumed" if resumed else "")

    def started(proc: subprocess.Popen) -> None:
        stopper.proc = proc
        if stopper.received:  # the signal came while the crawl was being started
            proc.send_signal(signal.SIGTERM)

    code = run_crawl(city, arguments=arguments, settings=settings, on_start=started, pass_fds=[lock.fd],
                     start_new_session=True)
    stopper.proc = None
    stats = _read_json(stats_file) if stats_file.exists() else None
    result = _judge(city, code, stats if isinstance(stats, dict) else None, log_file)
    if stats is None:
        pass  # killed hard: leave "running" set, so the next run drops the unreliable queue
    elif result["finish_reason"] == "finished":
        shutil.rmtree(jobdir, ignore_errors=True)
    else:  # closed cleanly before the end: the next run resumes from the queue
        job["running"] = None
        job["parts"].append(str(stats_file))
        _write_json(job_file, job)
    return {"status": result.pop("status"), "problems": result.pop("problems"), **result, "resumed": resumed,
            "job_started": job["started"], "log": str(log_file), "stats_file": str(stats_file),
            "previous_run": previous.parent.name if previous else None}
