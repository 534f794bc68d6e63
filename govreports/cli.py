"""The `govreports` command: parse one file, build a dataset, write the codebook, run the demo.

Logs go to stderr (warnings only, unless -v); data goes to stdout or to files.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

log = logging.getLogger("govreports")

#: exit statuses besides 0 (click itself uses 2 for usage errors)
EXIT_NOTHING_READ = 1
EXIT_INTERNAL = 3

_HELP = {"help_option_names": ["-h", "--help"]}


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_govreports", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler._govreports = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def _json_default(o: Any) -> Any:
    if is_dataclass(o) and not isinstance(o, type):
        return asdict(o)
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, bytes):
        return o.hex()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def _no_nan(o: Any) -> Any:
    """JSON has no NaN: a float NaN becomes null."""
    if isinstance(o, float) and math.isnan(o):
        return None
    if isinstance(o, dict):
        return {k: _no_nan(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_no_nan(v) for v in o]
    return o


def record_json(record: Any) -> str:
    data = json.loads(json.dumps(record.to_json(), default=_json_default, ensure_ascii=False))
    return json.dumps(_no_nan(data), ensure_ascii=False, indent=2, allow_nan=False)


def _issue_severity(issue: Any) -> str | None:
    return issue.get("severity") if isinstance(issue, dict) else getattr(issue, "severity", None)


def _issue_text(issue: Any) -> str:
    if isinstance(issue, dict):
        return f"{issue.get('code')}: {issue.get('message')}"
    return f"{getattr(issue, 'code', '')}: {getattr(issue, 'message', issue)}"


@click.group(name="govreports", context_settings=_HELP)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv debug).")
@click.version_option(package_name="govreports", prog_name="govreports")
def main(verbose: int) -> None:
    """Build an open dataset of China's government information-disclosure annual
    reports (政府信息公开工作年度报告).

    \b
    govreports parse FILE                 one report → JSON on stdout
    govreports normalize PATH... --out D  many files → Parquet dataset at D
    govreports codebook --out FILE        write the codebook (Markdown)
    govreports demo [--out DATA]          crawl the bundled portal replica → dataset → summary
    govreports summary DATASET            what a dataset holds
    govreports build [CITY...]            crawl + publish, safe under cron
    govreports renormalize -d DATA        re-normalize the raw store → dataset (pool or Dask)
    govreports export --out DIR           a research release
    govreports report --out FILE          an HTML page on coverage and quality
    govreports replica serve ROOT         serve a portal replica on 127.0.0.1
    govreports replica build OUT          write the bundled portal replica to OUT
    """
    _setup_logging(verbose)


@main.command(context_settings=_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def parse(file: Path) -> None:
    """Normalize one report FILE and print its record as JSON:
    {"report": {...}, "facts": [...]}.

    Exits non-zero only when the file could not be parsed at all (status failed).
    """
    from govreports.runner import failed_record
    from normalize.record import normalize_file

    try:
        record = normalize_file(file)
    except Exception as e:  # the normalizer promises not to raise; report it like the runner does
        log.info("%s: normalizer raised %s: %s", file, type(e).__name__, e, exc_info=True)
        record = failed_record(file, f"normalizer raised {type(e).__name__}: {e}")
    click.echo(record_json(record))
    status = record.report.get("status")
    if status == "failed":
        reasons = "; ".join(_issue_text(i) for i in record.report.get("issues") or [] if _issue_severity(i) == "error")
        click.echo(f"{file}: could not be parsed{': ' + reasons if reasons else ''}", err=True)
        sys.exit(EXIT_NOTHING_READ)


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds the writer's `with`: the build is dropped, not published


def _run_normalize(paths: list[Path], out: Path, workers: int | None, quiet: bool) -> None:
    from govreports.runner import normalize_paths

    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        summary = normalize_paths(paths, out, workers, progress=False if quiet else None)
    except (FileNotFoundError, FileExistsError) as e:
        raise click.ClickException(str(e)) from e
    except Exception as e:
        log.debug("internal error", exc_info=True)
        click.echo(f"error: {type(e).__name__}: {e} (the dataset at {out} is unchanged; -vv for the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo(summary.format(), err=True)
    if summary.nothing_read:
        click.echo("error: no file could be read", err=True)
        sys.exit(EXIT_NOTHING_READ)


@main.command(context_settings=_HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Dataset folder to publish (replaced atomically).")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per CPU; 1 = in process).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def normalize(paths: tuple[Path, ...], out: Path, workers: int | None, quiet: bool) -> None:
    """Normalize report files (and folders of them, recursively) into the Parquet
    dataset at --out: reports, facts, documents, hive-partitioned by year.

    The new dataset replaces the old one atomically when complete; on any error the
    old one stays as it was. A summary goes to stderr. Exit status: 0 done, 1 nothing
    could be read at all, 3 internal error.
    """
    from govreports.runner import expand_paths

    if not expand_paths(paths):
        click.echo("error: no files found under " + " ".join(map(str, paths)), err=True)
        sys.exit(EXIT_NOTHING_READ)
    _run_normalize(list(paths), out, workers, quiet)


@main.command(context_settings=_HELP)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Markdown file to write (docs/codebook.md).")
@click.option("--check", is_flag=True, help="Do not write; exit 1 if the file differs from what would be written.")
def codebook(out: Path, check: bool) -> None:
    """Write the codebook: every column of every table, the canonical keys with their
    Chinese labels, status and value_flag values, the checks, how to load the data."""
    from govreports.codebook import render

    text = render()
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != text:
            click.echo(f"{out} is out of date; run `make codebook`", err=True)
            sys.exit(1)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    log.info("wrote %s", out)


# ---------------------------------------------------------------- demo
# The demo corpus generator lives in govreports/corpus.py (written separately):
# `write_corpus(dir) -> list[Path]` writes demo report files into `dir`.


@main.command(context_settings=_HELP)
@click.option("-o", "--out", default=Path("data"), show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Data folder (DATA_DIR): raw store, crawl state, and the dataset in OUT/dataset.")
@click.option("--replica", "replica_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Replica folder to serve (default: the bundled replica of Chongqing portals).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def demo(out: Path, replica_dir: Path | None, quiet: bool) -> None:
    """Crawl the bundled replica of real portals — Chongqing, Beijing, Tianjin, Nanjing,
    Shanghai, Guangzhou, Hangzhou, Chengdu, Suqian — with each city's spider (`scrapy crawl
    cq`, `scrapy crawl bj` …; served on 127.0.0.1: no internet needed), build the dataset
    and print a summary.

    Run it again: the second crawl fetches only the list pages (nothing changed).
    The crawls' logs are OUT/crawl-<city>.log.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from govreports.crawl import BUNDLED_REPLICA, replica_sites, run_crawl
    from govreports.replica.server import ReplicaServer
    from govreports.summary import summarize

    replica_dir = replica_dir or BUNDLED_REPLICA
    if not replica_dir.is_dir():
        raise click.ClickException(f"no replica at {replica_dir} (pass --replica DIR)")
    out.mkdir(parents=True, exist_ok=True)
    by_spider = replica_sites(replica_dir)
    n_sites = sum(len(hosts) for hosts in by_spider.values())
    with ReplicaServer(replica_dir) as server:
        click.echo(f"serving the replica of {n_sites} portals at {server.url}; crawling with "
                   + ", ".join(f"`scrapy crawl {s}`" for s in by_spider), err=True)
        from tqdm import tqdm

        with tqdm(desc="requests answered", unit="req", disable=quiet, file=sys.stderr) as bar:
            ticking = threading.Lock()

            def tick() -> None:
                with ticking:
                    bar.update(len(server.requests) - bar.n)

            def crawl(spider: str) -> tuple[str, int]:
                settings = {"DATA_DIR": str(out), "REPLICA_URL": server.url, "LOG_FILE": str(out / f"crawl-{spider}.log")}
                return spider, run_crawl(spider, arguments={"sites": ",".join(by_spider[spider])}, settings=settings,
                                         on_tick=tick)

            # the cities' crawls share the crawl state (SQLite, WAL); each publishes the whole of it
            # when it ends, and two ending together may publish in either order, so the dataset
            # is published once more from the state when all have ended (from cached records)
            with ThreadPoolExecutor(max_workers=4) as pool:
                statuses = dict(pool.map(crawl, by_spider))
            tick()
    failed = [s for s, status in statuses.items() if status != 0]
    if failed:
        raise click.ClickException("the crawl failed for " + ", ".join(failed) + "; see "
                                   + ", ".join(str(out / f"crawl-{s}.log") for s in failed))
    from crawler.publish import publish_dataset
    from crawler.rawstore import RawStore
    from crawler.state import CrawlState

    state = CrawlState(out / "crawl.sqlite")
    try:
        publish_dataset(out, state, RawStore(out / "raw"))
    finally:
        state.close()
    dataset = out / "dataset"
    click.echo(summarize(dataset))
    click.echo(
        f'\nload it:  pandas.read_parquet("{dataset}/reports")  ·  pandas.read_parquet("{dataset}/facts")\n'
        f"          duckdb.sql(\"select * from read_parquet('{dataset}/facts/**/*.parquet', hive_partitioning=true)\")",
        err=True,
    )


@main.command(context_settings=_HELP)
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
def summary(dataset: Path) -> None:
    """Print what a published DATASET holds: reports per site and year, statuses,
    failed checks, common issues, failed fetches."""
    from govreports.summary import summarize

    click.echo(summarize(dataset))


# ---------------------------------------------------------------- replica
# A local copy of government portals for testing the crawler (govreports/replica/).


@main.group(context_settings=_HELP)
def replica() -> None:
    """Serve or build a replica of government portals on 127.0.0.1 for crawler tests."""


@replica.command(context_settings=_HELP)
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True, help="Port to listen on; 0 picks a free one (printed).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--log", "log_file", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Append one JSON line per request to this file.")
def serve(root: Path, port: int, host: str, log_file: Path | None) -> None:
    """Serve the replica folder ROOT until Ctrl-C or SIGTERM.

    \b
    URL mapping: http://HOST:PORT/<host>/<path> serves ROOT/<host>/<path>;
    a directory serves its index.html; query strings are ignored; HTML is sent
    as text/html without a charset; ETag/Last-Modified with 304 answers.
    Top-level files (_replica.toml, expected.json, README.md) are not served.

    \b
    ROOT/_replica.toml (optional):
      [aliases]  "cq.gov.cn" = "www.cq.gov.cn"     host served by another's tree
      [[rule]]   path = "HOST/PATH"                a directory also matches index.html
                 fail = N     first N requests answer `status` (default 500)
                 status = S   without fail: every request answers S
                 delay = SEC  wait before every answer
                 content_type = "TYPE"             override the extension's type
    Unknown keys are an error.
    """
    from govreports.replica.server import ReplicaConfigError, ReplicaServer

    try:
        server = ReplicaServer(root, host=host, port=port, log=log_file)
    except (ReplicaConfigError, OSError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"serving {root} at {server.url}", err=True)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass  # Ctrl-C / SIGTERM: a normal way to stop serving
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()


@replica.command(context_settings=_HELP)
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def build(out: Path) -> None:
    """Write the bundled replica of the Chongqing portals (tree, _replica.toml,
    expected.json) to OUT."""
    try:
        from govreports.replica.build import build_replica
    except ImportError as e:
        raise click.ClickException(f"the replica builder (govreports/replica/build.py) is missing ({e})") from e
    result = build_replica(Path(out))
    click.echo(f"{result}", err=True)

# ---------------------------------------------------------------- operations
# Each command's work lives in its own module (govreports/build.py, export.py, report.py).


@main.command(context_settings=_HELP)
@click.argument("cities", nargs=-1)
@click.option("-d", "--data", "data_dir", default=Path("data"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Data folder (DATA_DIR).")
@click.option("--years", default=None, help="Report years, e.g. 2019-2024 (default: every year).")
@click.option("--replica-url", default=None, help="Fetch every portal from this replica (tests, demos).")
@click.option("--sites", default=None, help="Only these registry sites, comma-separated (e.g. www.dazu.gov.cn,fzggw.cq.gov.cn).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting for the crawls (repeatable).")
def build(cities: tuple[str, ...], data_dir: Path, years: str | None, replica_url: str | None, sites: str | None,
          settings: tuple[str, ...]) -> None:
    """Crawl CITIES (default: every city spider) and publish the dataset: one job, safe
    under cron. A lock keeps runs from overlapping; a stopped run resumes; each run leaves
    DATA/runs/<run id>/ (summary.json, <city>.log) and DATA/runs/latest.json.

    \b
    Exit status: 0 ok, 3 degraded (a site failing or a monitor failed), 4 failed (a crawl
    died or published nothing), 5 locked (another run holds DATA/.build.lock), 2 usage.
    See `govreports.build` for the details."""
    from govreports.build import run_build

    pairs = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="-s/--set")
        pairs[name] = value
    site_list = [s.strip() for s in (sites or "").split(",") if s.strip()]
    sys.exit(run_build(list(cities), data_dir=data_dir, years=years, replica_url=replica_url, sites=site_list, settings=pairs))


#: exit statuses of `renormalize` (as `build`'s: 3 degraded, 4 failed)
EXIT_RENORMALIZE_DEGRADED = 3
EXIT_RENORMALIZE_FAILED = 4


@main.command(context_settings=_HELP)
@click.option("-d", "--data", "data_dir", default=Path("data"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Data folder (DATA_DIR): crawl.sqlite, raw/, dataset/.")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: one per CPU; 1 = in process). Ignored with --scheduler.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run the tasks on this Dask cluster (e.g. tcp://10.0.0.5:8786); its workers must see DATA at the same path.")
@click.option("--force", is_flag=True, help="Normalize every report again, ignoring the cached records.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def renormalize(data_dir: Path, workers: int | None, scheduler: str | None, force: bool, quiet: bool) -> None:
    """Re-normalize every report of the crawl state from the raw store (no network) and
    publish DATA/dataset atomically.

    One task per report page, reading its files from DATA/raw: on a local process pool,
    or on a Dask cluster with --scheduler (every worker must see the DATA folder at the
    same absolute path, e.g. a shared filesystem, and have govreports installed). The
    output is the same bytes whichever engine ran it. Reports whose inputs and parser are
    unchanged come from the crawl state's cache unless --force; new records are cached, so
    the next crawl's publish reuses them.

    \b
    Exit status:
      0  published
      3  published, but some report crashed the normalizer: a failed row with
         an internal.* issue (listed on stderr, not cached)
      4  nothing published (no crawl state, no report, an unreachable
         scheduler, an error): the dataset is unchanged
    """
    from govreports.renormalize import RenormalizeError
    from govreports.renormalize import renormalize as run

    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        summary = run(data_dir, workers=workers, scheduler=scheduler, force=force, progress=False if quiet else None)
    except (RenormalizeError, FileExistsError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_RENORMALIZE_FAILED)
    except Exception as e:
        log.debug("internal error", exc_info=True)
        click.echo(f"error: {type(e).__name__}: {e} (the dataset in {data_dir} is unchanged; -vv for the traceback)", err=True)
        sys.exit(EXIT_RENORMALIZE_FAILED)
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo(summary.format(), err=True)
    if summary.crashed:
        sys.exit(EXIT_RENORMALIZE_DEGRADED)


@main.command(context_settings=_HELP)
@click.option("-d", "--data", "data_dir", default=Path("data"), show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path), help="Data folder (DATA_DIR).")
@click.option("--years", default=None, help="Report years to release, e.g. 2019-2024 (default: every year).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Release folder to write.")
def export(data_dir: Path, years: str | None, out: Path) -> None:
    """Write a research release: tables as Parquet (and a wide per-report table), the
    codebook, datapackage.json, a datasheet and SHA-256 checksums."""
    from govreports.export import ExportError, export_release

    try:
        click.echo(export_release(data_dir / "dataset", out, years=years), err=True)
    except ExportError as e:
        raise click.ClickException(str(e)) from e


@main.command(context_settings=_HELP)
@click.option("-d", "--data", "data_dir", default=Path("data"), show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path), help="Data folder (DATA_DIR).")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="HTML file to write.")
def report(data_dir: Path, out: Path) -> None:
    """Write one self-contained HTML page on the dataset: coverage, quality, first charts."""
    from govreports.report import write_report

    try:
        click.echo(write_report(data_dir / "dataset", out), err=True)
    except FileNotFoundError as e:  # a data folder with no dataset published yet
        raise click.ClickException(str(e)) from e


if __name__ == "__main__":  # pragma: no cover
    main()
