"""Run `scrapy crawl` for real (a subprocess, the project's settings) against a replica on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
import shutil
import subprocess
from pathlib import Path

import pyarrow.dataset as ds

from govreports.crawl import crawl_command
from govreports.replica.server import ReplicaServer

ROOT = Path(__file__).resolve().parents[1]
REPLICA = ROOT / "replica"

#: fast but otherwise polite settings for loopback crawls
FAST = {"AUTOTHROTTLE_START_DELAY": "0.01", "AUTOTHROTTLE_MAX_DELAY": "2", "RETRY_BACKOFF_BASE": "0.2",
        "NORMALIZE_WORKERS": "1", "LOG_LEVEL": "INFO"}


def expected(spider: str = "cq") -> dict:
    """What a correct crawl of `spider` finds in the bundled replica (its sites, reports and traps)."""
    doc = json.loads((REPLICA / "expected.json").read_text("utf-8"))
    return {**doc, **{k: [x for x in doc[k] if x["spider"] == spider] for k in ("sites", "reports", "traps")}}


def replica_sites(spider: str = "cq") -> list[str]:
    return sorted({s["host"] for s in expected(spider)["sites"]})


def copy_replica(dest: Path) -> Path:
    shutil.copytree(REPLICA, dest)
    return dest


@contextmanager
def served_copy(dest: Path) -> Iterator[tuple[Path, ReplicaServer]]:
    """A copy of the bundled replica at `dest` (tests may change it), served on 127.0.0.1."""
    root = copy_replica(dest)
    with ReplicaServer(root) as server:
        yield root, server


def crawl(data_dir: Path, replica_url: str, *args: str, spider: str = "cq", timeout: float = 600,
          **settings: str) -> subprocess.CompletedProcess:
    """`scrapy crawl SPIDER -a ARG…` with DATA_DIR and REPLICA_URL set; the log goes to data_dir/crawl-N.log."""
    data_dir.mkdir(parents=True, exist_ok=True)
    n = len(list(data_dir.glob("crawl-*.log")))
    log = data_dir / f"crawl-{n}.log"
    arguments = dict(a.split("=", 1) for a in args)
    cmd = crawl_command(spider, arguments=arguments, settings={
        **FAST, "DATA_DIR": str(data_dir), "REPLICA_URL": replica_url, "LOG_FILE": str(log), **settings})
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"scrapy crawl failed ({result.returncode}):\n{result.stderr[-4000:]}\n{log.read_text()[-4000:] if log.exists() else ''}")
    return result


def table(data_dir: Path, name: str) -> list[dict]:
    return ds.dataset(data_dir / "dataset" / name, format="parquet", partitioning="hive").to_table().to_pylist()


def report_pages(requests: list[dict], status: int | None = None) -> list[str]:
    """The report (detail) pages among logged replica requests, as https://host/path (with `status` only)."""
    import re

    return [f"https://{r['host']}{r['path']}" for r in requests
            if re.search(r"/\d{6}/t\d{8}_\d+\.html$", r["path"]) and (status is None or r["status"] == status)]
