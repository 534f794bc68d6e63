"""A full disk while the dataset (or the raw store) is written.

The disk is filled the way CI allows without mounting anything: the writing process runs
under RLIMIT_FSIZE with SIGXFSZ ignored, so a write past the limit fails with EFBIG, as
write(2) fails with ENOSPC on a full disk — the same OSError path through pyarrow and
Python. Limits are chosen so that the failure falls at different points of a build: the
staging directory's first file, a Parquet flush in the middle, the files of the close.

Each time: the previous dataset is intact and reads the same rows, no staging directory is
left (or one clearly named `.partial` that the next build removes), the process says it
failed (non-zero status, a message naming the error), and a run with space completes.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from tests.test_dataset import build, make_record, snapshot

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = Path(sys.executable).parent / "govreports"


def _full_disk(limit: int):
    def preexec() -> None:  # runs in the child before exec: ignored signals stay ignored across exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


_WRITER = textwrap.dedent(
    """
    import random, sys
    sys.path.insert(0, {root!r})
    from tests.test_dataset import make_record
    from normalize.dataset import DatasetWriter
    rng = random.Random(7)
    noise = lambda: "".join(chr(0x4e00 + rng.randrange(20000)) for _ in range(4000))  # ~12 kB, incompressible
    try:
        with DatasetWriter({out!r}, batch_rows=10) as w:
            for i in range(200):
                w.add(make_record(500 + i, 2020 + i % 3, full_text=noise()))
    except OSError as e:
        print(f"failed: {{type(e).__name__}}: {{e}}", file=sys.stderr)
        sys.exit(1)
    print("published")
    """
)


def reports(out: Path) -> list[str]:
    return sorted(pads.dataset(out / "reports", partitioning="hive").to_table().column("report_id").to_pylist())


@pytest.fixture
def previous(tmp_path) -> Path:
    return build(tmp_path / "dataset", [make_record(i, 2023) for i in range(1, 6)])


@pytest.mark.parametrize("limit", [0, 4_000, 60_000, 400_000], ids=["open", "first-flush", "mid-build", "late"])
def test_a_full_disk_leaves_the_previous_dataset_and_a_rerun_completes(tmp_path, previous, limit):
    before, rows = snapshot(previous), reports(previous)
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(root=str(ROOT), out=str(previous)))
    full = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          preexec_fn=_full_disk(limit), cwd=ROOT)
    assert full.returncode == 1, full.stdout + full.stderr
    assert "File too large" in full.stderr or "No space" in full.stderr, full.stderr
    assert snapshot(previous) == before and reports(previous) == rows  # intact, same rows
    assert not list(tmp_path.glob(".dataset-*.partial")), "a failed build left its staging directory"

    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0 and "published" in done.stdout, done.stderr
    assert reports(previous) == [f"rep-{500 + i:04d}" for i in range(200)]
    assert not list(tmp_path.glob(".dataset-*.partial"))


def test_govreports_normalize_on_a_full_disk_fails_clearly_and_keeps_the_dataset(tmp_path):
    from govreports.corpus import make_spec, render_html

    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in range(6):
        (inputs / f"r{seed}.html").write_bytes(render_html(make_spec(seed, year=2023)))
    out = tmp_path / "dataset"
    command = [str(CONSOLE), "normalize", str(inputs), "--out", str(out), "-j", "1", "-q"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before, rows = snapshot(out), reports(out)
    (inputs / "extra.html").write_bytes(render_html(make_spec(99, year=2022)))

    full = subprocess.run(command, capture_output=True, text=True, timeout=300, preexec_fn=_full_disk(2_000))
    assert full.returncode != 0
    assert "unchanged" in full.stderr and ("File too large" in full.stderr or "No space" in full.stderr), full.stderr
    assert snapshot(out) == before and reports(out) == rows
    assert not list(tmp_path.glob(".dataset-*.partial"))

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(reports(out)) == len(rows) + 1


_RAW_PUT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from crawler.rawstore import RawStore
    store = RawStore({raw!r})
    try:
        store.put(bytes(range(256)) * 400)  # 100 kB
    except OSError as e:
        print(f"failed: {{e}}", file=sys.stderr)
        sys.exit(1)
    """
)


def test_a_raw_store_write_on_a_full_disk_leaves_no_file_under_its_name(tmp_path):
    raw = tmp_path / "raw"
    script = tmp_path / "put.py"
    script.write_text(_RAW_PUT.format(root=str(ROOT), raw=str(raw)))
    full = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          preexec_fn=_full_disk(10_000), cwd=ROOT)
    assert full.returncode == 1 and "File too large" in full.stderr, full.stderr
    sha = hashlib.sha256(bytes(range(256)) * 400).hexdigest()
    assert not [p for p in raw.rglob("*") if p.is_file()]  # neither the file nor its temporary
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (raw / sha[:2] / sha).read_bytes() == bytes(range(256)) * 400
