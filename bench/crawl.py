"""Crawl throughput against the replica, as a ratio to a bare Scrapy spider fetching the same pages.

`python -m bench.crawl` copies the bundled replica, grows its Chongqing sites by a few
hundred reports (``--reports``; HTML pages, and notice pages with a PDF, DOCX or text
attachment), serves it with `ReplicaServer` on 127.0.0.1, then runs, alternating, each
``--rounds`` times in the same run:

- **ours, full**: ``scrapy crawl cq`` as the CLI starts it (`govreports.crawl.crawl_command`,
  the project's settings) with the politeness delays removed for loopback (AutoThrottle off,
  ``DOWNLOAD_DELAY=0``, ``CONCURRENT_REQUESTS_PER_DOMAIN`` = ``CONCURRENT_REQUESTS``),
  ``NORMALIZE_WORKERS`` = the machine's cores and a fresh ``DATA_DIR``: fetch, store,
  normalize, publish;
- **ours, fetch + store**: the same crawl with ``ITEM_PIPELINES`` holding only the
  `StorePipeline` (raw store + crawl state; no normalizing, no publishing);
- **bare**: a minimal `scrapy.Spider` (this file, its own process, Scrapy's default
  settings) fetching exactly the URLs the first full crawl asked the server for, with the
  same concurrency and the same download handler (`crawler.replica.ReplicaDownloadHandler`).

Pages/s = the requests the server answered ÷ the span from its first to its last answer
(the server's request log), so process start-up and imports count for neither side.
Normalizing is measured apart on the reports of the first full crawl: the project's
`normalize_report` over their raw files in a pool of ``NORMALIZE_WORKERS`` processes.

The replica's server rules (a 500 once, a list page answering 1.5 s late: traps for the
tests) are dropped in the copy: they would measure the retry backoff, not the crawler.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("html", "html", "html", "html", "html", "html", "pdf", "docx", "txt")  # what portals publish, roughly


# ------------------------------------------------------------------ the replica
def grow_replica(root: Path, n: int, seed: int = 70_000) -> int:
    """Publish `n` more reports into the Chongqing sites of the replica at `root` (every
    publishing column in turn, years 2019–2024, FORMATS in turn), lists re-cut once per
    column. `govreports.replica.build.add_report` does one report at a time (re-reading
    and re-writing every list each time): fine for a test, quadratic for hundreds."""
    from dataclasses import replace

    from govreports.corpus.spec import make_spec
    from govreports.replica.build import SITE_BY_HOST, Item, _href, _path_of, parse_list_items, publish, render_lists

    columns = [(site, col) for site in SITE_BY_HOST.values() for col in site.columns if col.agencies]
    new: dict[tuple[str, str], list[tuple[str, str, str]]] = {}  # (host, column) → items, newest last
    taken: set[int] = set()
    for i in range(n):
        site, col = columns[i % len(columns)]
        agency = col.agencies[i // len(columns) % len(col.agencies)]
        spec = make_spec(seed + i, year=2019 + i % 6, agency=agency, quirks=())
        while spec.docid in taken or (root / _path_of(spec.url)).exists():
            spec = replace(spec, docid=spec.docid + 1)
        taken.add(spec.docid)
        built = publish(spec, site.host, col.path, FORMATS[i % len(FORMATS)])
        for rel, data in built.files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        for c in [col, *site.ancestors(col)]:
            new.setdefault((site.host, c.path), []).append(
                (_href(Item(built.source_url, spec.title, spec.publish_date), site, c), spec.title,
                 spec.publish_date.isoformat()))
    for (host, path), items in new.items():
        site = SITE_BY_HOST[host]
        col = site.column(path)
        printed, k = [], 0
        while (p := root / host / path.lstrip("/") / ("index.html" if k == 0 else f"index_{k}.html")).exists():
            printed += parse_list_items(p.read_bytes())
            k += 1
        for rel, data in render_lists(site, col, [*reversed(items), *printed]).items():
            (root / rel).write_bytes(data)
    return n


def drop_rules(root: Path) -> None:
    """Keep the replica's host aliases, drop its per-path rules (failures, delays)."""
    import tomllib

    rules = tomllib.loads((root / "_replica.toml").read_text("utf-8"))
    lines = ["[aliases]"] + [f'"{k}" = "{v}"' for k, v in rules.get("aliases", {}).items()]
    (root / "_replica.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ the runs
def loopback_settings(concurrency: int) -> dict[str, str]:
    """Politeness off for 127.0.0.1: the same for our crawl and the bare spider."""
    return {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "RANDOMIZE_DOWNLOAD_DELAY": "False",
            "CONCURRENT_REQUESTS": str(concurrency), "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
            "TELNETCONSOLE_ENABLED": "False", "LOG_LEVEL": "INFO"}


def span(requests: list[dict]) -> tuple[int, float]:
    """(answers, seconds from the first to the last) of a server request log."""
    if not requests:
        return 0, 0.0
    ts = [r["t"] for r in requests]
    return len(ts), max(ts) - min(ts)


def run_ours(server, workdir: Path, tag: str, concurrency: int, workers: int, full: bool) -> dict:
    from govreports.crawl import crawl_command

    data = workdir / f"data-{tag}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    settings = {**loopback_settings(concurrency), "DATA_DIR": str(data), "REPLICA_URL": server.url,
                "NORMALIZE_WORKERS": str(workers), "LOG_FILE": str(data / "crawl.log"),
                "GOVREPORTS_STATS_FILE": str(data / "stats.json")}
    if not full:
        settings["ITEM_PIPELINES"] = json.dumps({"crawler.pipelines.StorePipeline": 100})
    cmd = crawl_command("cq", settings=settings)
    server.reset_requests()
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"},
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t1 = time.time()
    requests = server.requests
    if proc.returncode:
        raise SystemExit(f"scrapy crawl cq failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    stats = json.loads((data / "stats.json").read_text("utf-8"))
    n, s = span(requests)
    last = max(r["t"] for r in requests)
    return {"kind": "ours-full" if full else "ours-fetch", "requests": n, "fetch_s": s, "wall_s": t1 - t0,
            "after_last_fetch_s": t1 - last, "startup_s": min(r["t"] for r in requests) - t0,
            "reports": stats.get("govreports/report_pages", 0), "data": str(data), "log": requests,
            "dataset_reports": stats.get("govreports/dataset_reports"), "cmd": cmd}


def run_bare(server, workdir: Path, urls: list[str], concurrency: int) -> dict:
    url_file = workdir / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "bench.crawl", "--bare", str(url_file), "--replica", server.url,
           "--concurrency", str(concurrency)]
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    server.reset_requests()
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t1 = time.time()
    requests = server.requests
    if proc.returncode:
        raise SystemExit(f"the bare spider failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    n, s = span(requests)
    return {"kind": "bare", "requests": n, "fetch_s": s, "wall_s": t1 - t0,
            "startup_s": min(r["t"] for r in requests) - t0, "after_last_fetch_s": t1 - max(r["t"] for r in requests)}


def bare_main(url_file: str, replica: str, concurrency: int) -> int:
    """The bare spider: every URL of `url_file` once, through the replica handler, nothing parsed."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = [u for u in Path(url_file).read_text("utf-8").splitlines() if u]

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response):
            return None

    settings = {**loopback_settings(concurrency), "ROBOTSTXT_OBEY": False, "RETRY_ENABLED": False,
                "REDIRECT_ENABLED": False, "HTTPERROR_ALLOW_ALL": True, "REPLICA_URL": replica,
                "DOWNLOAD_HANDLERS": {"http": "crawler.replica.ReplicaDownloadHandler",
                                      "https": "crawler.replica.ReplicaDownloadHandler"},
                "LOG_LEVEL": "WARNING"}
    process = CrawlerProcess(settings)
    process.crawl(Bare)
    process.start()
    return 0


def logged_urls(requests: list[dict]) -> list[str]:
    """The real URLs (https://HOST/PATH) of a server request log, in order (the log keeps no query
    strings: the Chongqing sites use none)."""
    return [f"https://{r['host']}{quote(r['path'], safe='/%:@!$&()*+,;=~-._')}" for r in requests]


def normalize_rate(data: Path, workers: int) -> tuple[int, float]:
    """(reports, seconds) to normalize every report of a crawl's state from its raw files, in
    `workers` processes — what `ReportPipeline` does as reports arrive."""
    from concurrent.futures import ProcessPoolExecutor

    from crawler.publish import bundle_inputs, normalize_report, report_files
    from crawler.rawstore import RawStore
    from crawler.state import CrawlState
    from govreports.runner import _mp_context

    state = CrawlState(data / "crawl.sqlite")
    store = RawStore(data / "raw")
    jobs = []
    for (url,) in state.db.execute("select source_url from reports").fetchall():
        entry = state.report(url)
        files, _ = report_files(entry, state)
        jobs.append(bundle_inputs(entry, files, store))
    state.close()
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as pool:
        list(pool.map(normalize_report, *zip(*jobs[:workers])))  # warm up: imports in every worker
        t0 = time.perf_counter()
        list(pool.map(normalize_report, *zip(*jobs), chunksize=4))
        return len(jobs), time.perf_counter() - t0


# ------------------------------------------------------------------ machine
def machine() -> dict:
    from importlib.metadata import version

    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.lower().startswith("model name")), "")
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model or platform.processor() or "unknown",
            "python": platform.python_version(), "platform": platform.platform(),
            "scrapy": version("scrapy"), "twisted": version("twisted")}


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=400, help="reports added to the Chongqing sites (default 400)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each crawl, alternating; medians reported (default 3)")
    ap.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS and _PER_DOMAIN (default 16)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="NORMALIZE_WORKERS (default: the cores)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 100 reports, one round")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--bare", metavar="URLFILE", help=argparse.SUPPRESS)  # internal: run the bare spider
    ap.add_argument("--replica", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.bare:
        return bare_main(args.bare, args.replica, args.concurrency)
    if args.quick:
        args.reports, args.rounds = 100, 1

    from govreports.replica.server import ReplicaServer

    info = machine()
    t_start = time.perf_counter()
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        work = Path(tmp)
        replica = work / "replica"
        shutil.copytree(ROOT / "replica", replica)
        t = time.perf_counter()
        grow_replica(replica, args.reports)
        drop_rules(replica)
        grow_s = time.perf_counter() - t
        with ReplicaServer(replica) as server:
            urls: list[str] = []
            for i in range(args.rounds):
                full = run_ours(server, work, f"full{i}", args.concurrency, args.workers, full=True)
                if i == 0:
                    urls = logged_urls(full["log"])
                    first = full
                runs.append(full)
                runs.append(run_ours(server, work, f"fetch{i}", args.concurrency, args.workers, full=False))
                runs.append(run_bare(server, work, urls, args.concurrency))
            n_norm, norm_s = normalize_rate(Path(first["data"]), args.workers)
    wall = time.perf_counter() - t_start

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["kind"] == kind)

    rows = {}
    for kind in ("ours-full", "ours-fetch", "bare"):
        n = med(kind, "requests")
        rows[kind] = {"requests": n, "fetch_s": med(kind, "fetch_s"), "pages_per_s": med(kind, "requests") / med(kind, "fetch_s"),
                      "wall_s": med(kind, "wall_s"), "startup_s": med(kind, "startup_s"),
                      "after_last_fetch_s": med(kind, "after_last_fetch_s")}
    bare = rows["bare"]["pages_per_s"]
    for r in rows.values():
        r["ratio"] = r["pages_per_s"] / bare
    norm = {"reports": n_norm, "seconds": norm_s, "reports_per_s": n_norm / norm_s,
            "reports_per_s_per_core": n_norm / norm_s / args.workers, "workers": args.workers}

    cmd = "python -m bench.crawl" + (" --quick" if args.quick else "") + \
          (f" --reports {args.reports}" if not args.quick and args.reports != 400 else "") + \
          (f" --rounds {args.rounds}" if not args.quick and args.rounds != 3 else "") + \
          (f" --concurrency {args.concurrency}" if args.concurrency != 16 else "") + \
          (f" --workers {args.workers}" if args.workers != (os.cpu_count() or 1) else "")
    print(f"crawl throughput against the replica: scrapy crawl cq, {first['reports']} report pages, "
          f"{first['requests']} requests per crawl; concurrency {args.concurrency}, NORMALIZE_WORKERS {args.workers}; "
          f"median of {args.rounds} alternating round(s)")
    print()
    head = f"{'crawl':<34} {'requests':>8} {'fetch s':>8} {'pages/s':>8} {'ratio':>6} {'wall s':>7} {'start s':>8} {'after s':>8}"
    print(head)
    print("-" * len(head))
    names = {"ours-full": "ours: fetch+store+normalize+publish", "ours-fetch": "ours: fetch+store (StorePipeline)",
             "bare": "bare scrapy.Spider, same URLs"}
    for kind, r in rows.items():
        print(f"{names[kind]:<34} {r['requests']:>8.0f} {r['fetch_s']:>8.2f} {r['pages_per_s']:>8.1f} {r['ratio']:>6.2f} "
              f"{r['wall_s']:>7.2f} {r['startup_s']:>8.2f} {r['after_last_fetch_s']:>8.2f}")
    print()
    print(f"normalizing the {n_norm} reports of a crawl apart: {norm['reports_per_s']:.1f} reports/s with {args.workers} "
          f"worker(s) = {norm['reports_per_s_per_core']:.1f} reports/s/core ({norm_s:.2f} s)")
    print("pages/s = requests answered ÷ first-to-last answer (server log); ratio = ÷ the bare spider's pages/s;")
    print("start s = process start → first request; after s = last answer → process exit (normalizing backlog, publishing)")
    print(f"replica: bundled + {args.reports} reports on the Chongqing sites (generated in {grow_s:.1f} s), server rules dropped")
    print(f"reproduce: {cmd}")
    print(f"our crawl: {' '.join(first['cmd'][1:])}")
    print(f"machine: nproc={info['nproc']}, CPU: {info['cpu_model']}, Python {info['python']} ({info['platform']}), "
          f"Scrapy {info['scrapy']}, Twisted {info['twisted']}")
    print(f"bench wall time: {wall:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "command": cmd, "machine": info, "reports_added": args.reports, "rounds": args.rounds,
            "concurrency": args.concurrency, "workers": args.workers, "results": rows, "normalize": norm,
            "runs": [{k: v for k, v in r.items() if k not in ("log", "cmd", "data")} for r in runs], "wall_s": wall,
        }, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
