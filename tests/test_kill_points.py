"""A build killed (SIGKILL) at random points: the dataset is always readable and equal to the
last complete build, and a re-run completes it.

tests/test_dataset.py kills one writer at one point and tests/test_build.py kills a crawl
once; here the kill falls at many seeded points across a whole publish — buffering, Parquet
flushes, rolled-over files, the rewrite of duplicates' sources, the fsyncs, the rename and
the symlink switch, the cleanup — and across `govreports build` runs.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from tests.test_build import CONSOLE, SMALL_SITE, wait_for
from tests.crawl import FAST, served_copy

ROOT = Path(__file__).resolve().parents[1]

_WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.test_dataset import make_record
    from normalize.dataset import DatasetWriter
    generation = int(sys.argv[1])
    print("open", flush=True)
    t0 = time.monotonic()
    with DatasetWriter({out!r}, batch_rows=7, max_rows_per_file=40) as w:
        for i in range(240):
            n = generation * 1000 + i % 200  # the last 40 are duplicates: their sources are merged on close
            w.add(make_record(n, 2019 + i % 5, n_facts=6, source_url=f"https://g{{generation}}.gov.cn/{{i}}.html"))
    print("published", time.monotonic() - t0, flush=True)
    """
)


def rows(out: Path) -> dict[str, list]:
    """Every table of the dataset at `out`, as sorted rows (reading it must not fail)."""
    got = {}
    for table in ("reports", "facts", "documents"):
        partitioning = "hive" if table != "documents" else None
        data = pads.dataset(out / table, format="parquet", partitioning=partitioning).to_table().to_pylist()
        got[table] = sorted((tuple(sorted((k, repr(v)) for k, v in r.items())) for r in data))
    return got


def generation_of(snapshot: dict[str, list]) -> int | None:
    ids = {dict(r)["report_id"] for r in snapshot["reports"]}
    gens = {int(i.strip("'")[4:]) // 1000 for i in ids}
    return gens.pop() if len(gens) == 1 else None


def test_a_publish_killed_anywhere_leaves_the_last_complete_build(tmp_path):
    out = tmp_path / "dataset"
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(root=str(ROOT), out=str(out)))

    def start(generation: int) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, str(script), str(generation)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.stdout.readline().strip() == "open"
        return proc

    def complete(generation: int) -> float:
        proc = start(generation)
        line = proc.stdout.readline()
        assert proc.wait(timeout=120) == 0 and line.startswith("published"), line
        return float(line.split()[1])

    seconds = complete(1)  # the first complete build; how long a publish takes
    last = rows(out)
    assert generation_of(last) == 1 and len(last["reports"]) == 200
    expected = {1: last}

    rng = random.Random(20240601)
    kills = 14
    outcomes = []
    for k in range(kills):
        generation = 2 + k
        proc = start(generation)
        time.sleep(rng.uniform(0, seconds * 1.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = rows(out)  # readable, whatever the kill interrupted
        gen = generation_of(now)
        assert gen in (generation_of(last), generation), f"kill {k}: a mix of builds or an older one"
        if gen == generation:  # the kill came after the switch: this build is the last complete one
            expected[gen] = now
        assert now == expected[gen], f"kill {k}: not equal to build {gen} as completed"
        assert os.path.exists(out / "_build.json") and not os.path.exists(out / "_building.json")
        outcomes.append(proc.returncode == 0 and "done" or ("switched" if gen == generation else "kept"))
        last = now
        if k % 5 == 4:  # a re-run completes it
            complete(generation)
            last = rows(out)
            assert generation_of(last) == generation and len(last["reports"]) == 200
            expected[generation] = last
    assert "kept" in outcomes, outcomes  # the kills did fall inside publishes

    # a kill between the staging directory's mkdir and its marker leaves no pid to check:
    # such a directory is a dead build's once a minute old
    for partial in tmp_path.glob(".dataset-*.partial"):
        marker = partial / "_building.json"
        if not marker.exists() or not marker.read_text():
            os.utime(partial, (time.time() - 120, time.time() - 120))
    final = 100
    complete(final)
    assert generation_of(rows(out)) == final
    # dead builds' staging directories are removed by the next complete build; one previous build is kept
    assert not list(tmp_path.glob(".dataset-*.partial"))
    assert len([p for p in tmp_path.glob(".dataset-*") if p.is_dir() and not p.is_symlink()]) <= 2


# ---------------------------------------------------------------- govreports build


def _build_rows(data: Path) -> dict[str, list]:
    got = rows(data / "dataset")
    # documents hold fetch times; reports hold crawl times and run-specific fields: compare what a build decides
    keep = {"reports": ("report_id", "source_url", "status", "year", "facts_count", "title"),
            "facts": ("report_id", "table", "row_key", "col_key", "value", "value_raw", "value_flag")}
    return {t: sorted(tuple(v for k, v in r if k in keep[t]) for r in got[t]) for t in keep}


@pytest.mark.slow
def test_govreports_build_killed_at_random_points_keeps_the_last_complete_dataset(tmp_path):
    settings = [a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]
    data = tmp_path / "data"
    with served_copy(tmp_path / "replica") as (_, server):
        command = [str(CONSOLE), "build", "cq", "-d", str(data), "--replica-url", server.url, "--sites", SMALL_SITE,
                   *settings]
        t0 = time.monotonic()
        first = subprocess.run(command, capture_output=True, text=True, timeout=300)
        seconds = time.monotonic() - t0
        assert first.returncode == 0, first.stderr
        last = _build_rows(data)
        assert last["reports"] and last["facts"]

        rng = random.Random(7)
        for k in range(4):
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(rng.uniform(0.2, seconds))
            finally:
                tree = _descendants(proc.pid)  # the build, its crawl (a session of its own) and its workers
                for pid in [proc.pid, *tree]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)  # the whole job dies at once, as in a power loss
                proc.wait()
            wait_for(lambda: not any(_alive(p) for p in tree), timeout=30, what="the killed build's processes to go")
            assert _build_rows(data) == last, f"kill {k}: the dataset is not the last complete build's"

        again = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert _build_rows(data) == last
    assert not list(data.glob(".dataset-*.partial"))


def _descendants(pid: int) -> list[int]:
    try:
        children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [p for c in children for p in (c, *_descendants(c))]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
