"""The dataset is written as it is built: memory stays bounded whatever the number of
reports (no whole-dataset table in memory). `python -m bench.build` measures the same at
10,000 and 100,000 reports; this checks it on a few thousand, with a small byte budget."""

from __future__ import annotations

import tracemalloc

import pyarrow.parquet as pq

from normalize.dataset import DatasetWriter
from tests.test_dataset import make_record

BUDGET = 1 << 20  # batch_bytes: 1 MB of buffered rows over all partitions


def build(out, n: int) -> tuple[int, DatasetWriter]:
    """Build n reports (~8 kB of text and 30 facts each, 12 year partitions); the peak of the Python heap."""
    tracemalloc.start()
    try:
        with DatasetWriter(out, batch_bytes=BUDGET) as w:
            for i in range(n):
                w.add(make_record(i, 2014 + i % 12, n_facts=30, full_text=f"第{i}号报告全文。" * 500))
            flushed = sum(p.rows for (table, _), p in w._parts.items() if table == "reports")
            # streamed: all but the last batches are already in the part files before close
            assert flushed >= n - sum(len(p.buffer) for p in w._parts.values())
            assert w._buffered < 2 * BUDGET
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, w


def test_memory_does_not_grow_with_the_number_of_reports(tmp_path):
    small, _ = build(tmp_path / "small", 300)
    big, w = build(tmp_path / "big", 3_000)
    print(f"python heap peak: 300 reports {small / 2**20:.1f} MB, 3000 reports {big / 2**20:.1f} MB")
    # what grows is one id → year entry per report (duplicates are kept once), not the rows
    assert big < small + 3_000 * 300
    assert w.counts["reports"] == 3_000 and w.counts["facts"] == 90_000
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in (tmp_path / "big" / "facts").rglob("*.parquet"))
    assert rows == 90_000
    groups = [pq.ParquetFile(p).metadata.num_row_groups for p in (tmp_path / "big" / "reports").rglob("*.parquet")]
    assert len(groups) == 12 and min(groups) > 1  # every partition written in several batches
