"""Run a spider as its own process — how the CLI starts crawls.

Scrapy's reactor runs once per process, so commands that crawl (the demo, later scheduled
builds) start `python -m scrapy crawl` with the project's settings and watch it, instead
of crawling inside the CLI process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

#: where the project's bundled replica of real portals lives (a source checkout)
BUNDLED_REPLICA = Path(__file__).resolve().parents[1] / "replica"


def crawl_command(spider: str, *, arguments: Mapping[str, str] = {}, settings: Mapping[str, str] = {}) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in arguments.items():
        cmd += ["-a", f"{name}={value}"]
    for name, value in settings.items():
        cmd += ["-s", f"{name}={value}"]
    return cmd


def run_crawl(spider: str, *, arguments: Mapping[str, str] = {}, settings: Mapping[str, str] = {},
              on_tick: Callable[[], None] | None = None, tick: float = 0.5,
              on_start: Callable[[subprocess.Popen], None] | None = None, pass_fds: Collection[int] = (),
              start_new_session: bool = False) -> int:
    """Run `scrapy crawl SPIDER` to the end and return its exit status; `on_tick` is called while it runs.

    `on_start` gets the process once started (to signal it); `pass_fds` stay open in it (a
    lock held by the caller is then held until the crawl ends, even if the caller dies);
    `start_new_session`: the terminal's Ctrl-C reaches the caller only, which passes it on."""
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    # stderr goes to a file, not a pipe: a pipe fills up, and processes the crawl leaves behind
    # (its normalizing workers, when it is killed) would keep it open
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errfile:
        with subprocess.Popen(crawl_command(spider, arguments=arguments, settings=settings), env=env,
                              stdout=subprocess.DEVNULL, stderr=errfile, text=True, pass_fds=tuple(pass_fds),
                              start_new_session=start_new_session) as proc:
            if on_start:
                on_start(proc)
            while True:
                try:
                    proc.wait(timeout=tick)
                    break
                except subprocess.TimeoutExpired:
                    if on_tick:
                        on_tick()
        if proc.returncode and start_new_session:
            _kill_leftovers(proc.pid)
        errfile.seek(0)
        err = errfile.read()
    if proc.returncode and err:
        sys.stderr.write(err[-4000:])
    return proc.returncode


def _kill_leftovers(pgid: int) -> None:
    """A crawl that died (killed, crashed) can leave its worker processes behind, in its own
    process group (`start_new_session`): end them."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def replica_sites(root: Path) -> dict[str, list[str]]:
    """The sites a replica copies, by the spider that crawls them (its `expected.json` lists
    them); a replica without one is taken for Chongqing's: its host folders."""
    expected = root / "expected.json"
    by_spider: dict[str, list[str]] = {}
    if expected.exists():
        for site in json.loads(expected.read_text("utf-8")).get("sites") or []:
            if site.get("host"):
                by_spider.setdefault(site.get("spider", "cq"), []).append(site["host"])
    return by_spider or {"cq": sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.endswith(".gov.cn"))}
