"""The Parquet dataset: schemas, round trips through pyarrow/pandas/DuckDB/Polars, batching,
dictionary encoding, and atomic publishing (exceptions and SIGKILL)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from normalize.dataset import (
    DOCUMENTS_SCHEMA,
    FACTS_SCHEMA,
    REPORTS_SCHEMA,
    SCHEMA_VERSION,
    SCHEMAS,
    UNKNOWN_YEAR,
    DatasetWriter,
    file_schema,
)
from normalize.record import PARSER_VERSION, Fact, Issue, Record

ROOT = Path(__file__).resolve().parent.parent


def make_record(i: int, year: int | None = 2023, status: str = "ok", n_facts: int = 3, **extra) -> Record:
    report = {
        "report_id": f"rep-{i:04d}",
        "year": year,
        "format_version": "2019" if isinstance(year, int) and year < 2021 else "2021",
        "agency_name": f"某市第{i}局",
        "agency_kind": "department",
        "admin_code": "500000",
        "province": "重庆市",
        "city": None,
        "county": None,
        "portal": "cq",
        "title": f"{year}年政府信息公开工作年度报告",
        "publish_date": date(2024, 1, 16),
        "source_url": f"https://www.cq.gov.cn/zwgk/t{i}.html",
        "document_url": f"https://www.cq.gov.cn/zwgk/t{i}.html",
        "source_format": "html",
        "doc_sha256": hashlib.sha256(str(i).encode()).hexdigest(),
        "crawled_at": datetime(2024, 2, 1, 8, 30, tzinfo=timezone(timedelta(hours=8))),
        "parser_version": PARSER_VERSION,
        "status": status,
        "issues": [],
        "other_sources": [],
        "source_path": f"/raw/{i}.html",
        "section_overview": "一、总体情况 2023年……",
        "section_problems": "五、存在的主要问题及改进情况",
        "section_other": None,
        "full_text": "全文" * 10,
    }
    report.update(extra)
    facts = []
    for k in range(n_facts):
        if k % 3 == 0:
            facts.append(Fact("t3", "new_received", f"col_{k}", float(k), str(k)))
        elif k % 3 == 1:
            facts.append(Fact("t3", "granted", f"col_{k}", None, "", "blank"))
        else:
            facts.append(Fact("t2", "fees", "amount_10k_yuan", 7545.5, "7545.5万元", "unit", "万元"))
    return Record(report=report, facts=facts)


def standard_records() -> list[Record]:
    return [
        make_record(1, 2023, issues=[Issue("t3.balance", "error", "列 total 不平衡"), Issue("meta.title", "warning", "w")]),
        make_record(2, 2021, other_sources=["https://a.gov.cn/x.html", "https://b.gov.cn/y.html"]),
        make_record(3, None, status="partial", issues=[Issue("meta.year_missing", "error", "no year in title or body")], publish_date=None, crawled_at=None),
        make_record(4, 2019, status="partial"),
        make_record(5, 2023, status="needs_ocr", n_facts=0),
        make_record(6, None, status="failed", n_facts=0, issues=[Issue("extract.encrypted", "error", "encrypted PDF")], title=None, format_version=None),
    ]


WANT_YEARS = {"rep-0001": 2023, "rep-0002": 2021, "rep-0003": 0, "rep-0004": 2019, "rep-0005": 2023, "rep-0006": 0}


def build(out: Path, records, **kw) -> Path:
    with DatasetWriter(out, **kw) as w:
        for r in records:
            w.add(r)
    return out


def snapshot(out: Path) -> dict[str, str]:
    """The link target and a hash of every file of the dataset at `out`."""
    snap = {"->": os.readlink(out)}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            snap[str(p.relative_to(out))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return snap


@pytest.fixture
def dataset(tmp_path) -> Path:
    return build(tmp_path / "dataset", standard_records())


# ---------------------------------------------------------------- schemas


def test_every_field_is_described_and_schemas_are_versioned():
    for name, schema in SCHEMAS.items():
        assert schema.metadata[b"govreports.schema_version"] == SCHEMA_VERSION.encode()
        assert schema.metadata[b"govreports.table"] == name.encode()
        for f in schema:
            assert f.metadata and f.metadata.get(b"description"), f"{name}.{f.name} has no description"


def test_schema_columns_and_types():
    assert REPORTS_SCHEMA.names[:3] == ["report_id", "year", "format_version"]
    assert REPORTS_SCHEMA.field("year").type == pa.int16()
    assert REPORTS_SCHEMA.field("publish_date").type == pa.date32()
    assert REPORTS_SCHEMA.field("crawled_at").type == pa.timestamp("us", tz="UTC")
    assert REPORTS_SCHEMA.field("checks_failed").type == pa.int16()
    assert REPORTS_SCHEMA.field("facts_count").type == pa.int32()
    assert REPORTS_SCHEMA.field("other_sources").type == pa.list_(pa.string())
    issue = REPORTS_SCHEMA.field("issues").type.value_type
    assert [f.name for f in issue] == ["code", "severity", "message"]
    for col in ("status", "source_path", "section_overview", "section_problems", "section_other", "full_text"):
        assert col in REPORTS_SCHEMA.names
    assert FACTS_SCHEMA.names == ["report_id", "year", "format_version", "table", "row_key", "col_key", "value", "value_raw", "value_flag", "unit"]
    assert FACTS_SCHEMA.field("value").type == pa.float64()
    for col in ("format_version", "table", "row_key", "col_key", "value_flag", "unit"):
        assert pa.types.is_dictionary(FACTS_SCHEMA.field(col).type)
    assert DOCUMENTS_SCHEMA.names == ["url", "sha256", "content_type", "size", "fetched_at", "http_status", "referer", "portal", "stored_path"]
    assert DOCUMENTS_SCHEMA.field("size").type == pa.int64()
    assert DOCUMENTS_SCHEMA.field("http_status").type == pa.int16()
    # the partition key is not stored in the files
    assert "year" not in file_schema("reports").names
    assert "year" not in file_schema("facts").names


# ---------------------------------------------------------------- layout and round trips


def test_layout_is_hive_partitioned_behind_a_symlink(dataset):
    assert dataset.is_symlink()
    target = os.readlink(dataset)
    assert target.startswith(".dataset-") and "/" not in target  # relative: data/ can be moved
    names = sorted(str(p.relative_to(dataset)) for p in dataset.rglob("*.parquet"))
    assert names == [
        "documents/part-0.parquet",
        "facts/year=0/part-0.parquet",
        "facts/year=2019/part-0.parquet",
        "facts/year=2021/part-0.parquet",
        "facts/year=2023/part-0.parquet",
        "reports/year=0/part-0.parquet",
        "reports/year=2019/part-0.parquet",
        "reports/year=2021/part-0.parquet",
        "reports/year=2023/part-0.parquet",
    ]
    meta = pq.read_schema(dataset / "reports/year=2023/part-0.parquet")
    assert meta.metadata[b"govreports.schema_version"] == SCHEMA_VERSION.encode()
    assert meta.field("status").metadata[b"label_zh"] == "处理状态".encode()


def test_build_json(dataset):
    info = json.loads((dataset / "_build.json").read_text())
    assert os.readlink(dataset) == f".dataset-{info['build_id']}"
    assert info["schema_version"] == SCHEMA_VERSION
    assert info["parser_version"] == PARSER_VERSION
    assert info["counts"] == {"reports": 6, "facts": 12, "documents": 0}
    assert info["reports_by_status"] == {"ok": 2, "partial": 2, "needs_ocr": 1, "failed": 1, "not_a_report": 0}
    assert info["reports_by_year"] == {"0": 2, "2019": 1, "2021": 1, "2023": 2}
    assert info["reports_with_errors"] == 3
    assert info["issue_codes"] == {"t3.balance": 1, "meta.title": 1, "meta.year_missing": 1, "extract.encrypted": 1}
    assert info["error_codes"] == {"t3.balance": 1, "meta.year_missing": 1, "extract.encrypted": 1}
    assert datetime.fromisoformat(info["created_at"]).tzinfo is not None


def test_pyarrow_round_trip_types_and_values(dataset):
    part = pads.partitioning(pa.schema([("year", pa.int16())]), flavor="hive")
    reports = pads.dataset(dataset / "reports", format="parquet", partitioning=part).to_table()
    for f in file_schema("reports"):
        assert reports.schema.field(f.name).type == f.type, f.name
    assert reports.schema.field("year").type == pa.int16()
    rows = {r["report_id"]: r for r in reports.to_pylist()}
    assert rows["rep-0003"]["year"] == UNKNOWN_YEAR
    assert rows["rep-0003"]["publish_date"] is None and rows["rep-0003"]["crawled_at"] is None
    assert rows["rep-0003"]["status"] == "partial"
    assert rows["rep-0003"]["checks_failed"] == 0  # meta.year_missing is an error but not a table check
    assert rows["rep-0006"]["year"] == UNKNOWN_YEAR and rows["rep-0006"]["format_version"] is None
    assert rows["rep-0001"]["checks_failed"] == 1  # only errors of table checks count
    assert rows["rep-0001"]["issues"] == [
        {"code": "t3.balance", "severity": "error", "message": "列 total 不平衡"},
        {"code": "meta.title", "severity": "warning", "message": "w"},
    ]
    assert rows["rep-0002"]["other_sources"] == ["https://a.gov.cn/x.html", "https://b.gov.cn/y.html"]
    assert rows["rep-0002"]["issues"] == [] and rows["rep-0004"]["other_sources"] == []
    assert rows["rep-0001"]["crawled_at"] == datetime(2024, 2, 1, 0, 30, tzinfo=timezone.utc)  # +08:00 → UTC
    assert rows["rep-0001"]["publish_date"] == date(2024, 1, 16)
    assert rows["rep-0001"]["facts_count"] == 3 and rows["rep-0005"]["facts_count"] == 0
    assert rows["rep-0001"]["agency_name"] == "某市第1局"

    facts = pads.dataset(dataset / "facts", format="parquet", partitioning=part).to_table()
    for f in file_schema("facts"):
        assert facts.schema.field(f.name).type == f.type, f.name
    fr = facts.to_pylist()
    blank = [r for r in fr if r["value_flag"] == "blank"]
    assert blank and all(r["value"] is None and r["value_raw"] == "" for r in blank)
    unit = [r for r in fr if r["value_flag"] == "unit"]
    assert unit and unit[0]["value"] == 7545.5 and unit[0]["unit"] == "万元"
    plain = [r for r in fr if r["value_flag"] is None]
    assert plain and all(r["value"] is not None for r in plain)
    assert {r["year"] for r in fr} == {0, 2019, 2021, 2023}


def test_pandas_one_liner(dataset):
    pd = pytest.importorskip("pandas")
    reports = pd.read_parquet(f"{dataset}/reports")
    facts = pd.read_parquet(f"{dataset}/facts")
    assert len(reports) == 6 and len(facts) == 12
    years = dict(zip(reports["report_id"], reports["year"]))
    assert {k: int(v) for k, v in years.items()} == WANT_YEARS
    assert pd.api.types.is_integer_dtype(reports["year"].astype(int))
    assert str(reports["crawled_at"].dt.tz) == "UTC"
    assert reports["checks_failed"].dtype == "int16"
    assert isinstance(facts["row_key"].dtype, pd.CategoricalDtype)
    assert facts["value"].isna().sum() == 4


def test_duckdb_one_liner(dataset):
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql(f"select * from read_parquet('{dataset}/facts/**/*.parquet', hive_partitioning=true)")
    cols = dict(zip(rel.columns, rel.types))
    assert str(cols["year"]) in ("BIGINT", "INTEGER", "SMALLINT")
    assert str(cols["value"]) == "DOUBLE"
    n, nulls, years = duckdb.sql(
        f"select count(*), count(*) - count(value), list(distinct year order by year) "
        f"from read_parquet('{dataset}/facts/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0]
    assert (n, nulls, years) == (12, 4, [0, 2019, 2021, 2023])
    rows = duckdb.sql(
        f"select report_id, year, issues, checks_failed from read_parquet('{dataset}/reports/**/*.parquet', hive_partitioning=true) order by report_id"
    ).fetchall()
    assert dict((r[0], r[1]) for r in rows) == WANT_YEARS
    assert rows[0][2][0]["code"] == "t3.balance"


def test_polars_one_liners(dataset):
    pl = pytest.importorskip("polars")
    by_dir = pl.read_parquet(f"{dataset}/reports")
    by_glob = pl.read_parquet(f"{dataset}/reports/**/*.parquet", hive_partitioning=True)
    lazy = pl.scan_parquet(f"{dataset}/facts/**/*.parquet", hive_partitioning=True).collect()
    want = WANT_YEARS
    for df in (by_dir, by_glob):
        assert dict(zip(df["report_id"].to_list(), df["year"].to_list())) == want
        assert df.schema["year"].is_integer()
    assert lazy.height == 12 and lazy.schema["year"].is_integer()
    assert lazy["value"].null_count() == 4


def test_year_is_the_same_integer_in_every_reader(dataset):
    pd = pytest.importorskip("pandas")
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    via_pandas = {k: int(v) for k, v in pd.read_parquet(f"{dataset}/facts")[["report_id", "year"]].itertuples(index=False)}
    via_duckdb = dict(duckdb.sql(f"select report_id, year from read_parquet('{dataset}/facts/**/*.parquet', hive_partitioning=true)").fetchall())
    via_polars = dict(pl.scan_parquet(f"{dataset}/facts/**/*.parquet", hive_partitioning=True).select("report_id", "year").collect().iter_rows())
    via_arrow = dict(
        (r["report_id"], r["year"]) for r in pq.read_table(f"{dataset}/facts").select(["report_id", "year"]).to_pylist()
    )
    assert via_pandas == via_duckdb == via_polars == via_arrow
    assert all(type(v) is int for v in via_duckdb.values())


def test_documents_round_trip(tmp_path):
    out = tmp_path / "ds"
    with DatasetWriter(out) as w:
        w.add(make_record(1))
        w.add_document({"url": "https://www.cq.gov.cn/a.pdf", "sha256": "ab" * 32, "content_type": "application/pdf", "size": 12345,
                        "fetched_at": "2024-02-01T08:30:00+08:00", "http_status": 200, "referer": "https://www.cq.gov.cn/", "portal": "cq",
                        "stored_path": "raw/ab/abab.pdf"})
        w.add_document({"url": "https://www.cq.gov.cn/b.html", "http_status": "404"})
    t = pq.read_table(out / "documents")
    assert t.schema.field("size").type == pa.int64() and t.schema.field("http_status").type == pa.int16()
    rows = t.to_pylist()
    assert rows[0]["fetched_at"] == datetime(2024, 2, 1, 0, 30, tzinfo=timezone.utc)
    assert rows[1]["http_status"] == 404 and rows[1]["size"] is None
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(f"{out}/documents")) == 2


def test_empty_dataset_is_readable(tmp_path):
    out = build(tmp_path / "ds", [])
    pd = pytest.importorskip("pandas")
    for table in ("reports", "facts", "documents"):
        df = pd.read_parquet(f"{out}/{table}")
        assert len(df) == 0
        assert set(file_schema(table).names) <= set(df.columns)
    assert json.loads((out / "_build.json").read_text())["counts"] == {"reports": 0, "facts": 0, "documents": 0}


# ---------------------------------------------------------------- batches


def test_batches_stream_and_keep_dictionary_encoding(tmp_path):
    out = tmp_path / "ds"
    with DatasetWriter(out, batch_rows=7) as w:
        for i in range(40):
            w.add(make_record(i, 2023, n_facts=5))
            # memory stays bounded: no partition ever buffers a whole batch
            assert all(len(p.buffer) < 7 for p in w._parts.values())
    f = pq.ParquetFile(out / "facts/year=2023/part-0.parquet")
    assert f.metadata.num_rows == 200 and f.metadata.num_row_groups > 1
    names = f.schema_arrow.names
    for col in ("format_version", "table", "row_key", "col_key", "value_flag", "unit"):
        assert pa.types.is_dictionary(f.schema_arrow.field(col).type)
        idx = names.index(col)
        for rg in range(f.metadata.num_row_groups):
            chunk = f.metadata.row_group(rg).column(idx)
            assert chunk.has_dictionary_page, (col, rg)
            assert "PLAIN" not in chunk.encodings or "RLE_DICTIONARY" in chunk.encodings
    t = pq.read_table(out / "facts")
    combined = t.unify_dictionaries().combine_chunks()
    assert pa.types.is_dictionary(combined.schema.field("row_key").type)
    assert len(combined.column("row_key").chunks[0].dictionary) < 10
    pd = pytest.importorskip("pandas")
    df = pd.read_parquet(f"{out}/facts")
    assert isinstance(df["col_key"].dtype, pd.CategoricalDtype) and len(df) == 200


def test_memory_budget_across_partitions(tmp_path):
    out = tmp_path / "ds"
    with DatasetWriter(out, batch_rows=10_000, batch_bytes=200_000) as w:
        for i in range(60):
            w.add(make_record(i, 2008 + i % 15, full_text="报告正文" * 5_000))  # ~40 kB each, 15 partitions
            assert w._buffered < 200_000 + 50_000
    pd = pytest.importorskip("pandas")
    df = pd.read_parquet(f"{out}/reports")
    assert len(df) == 60 and set(df["full_text"].str.len()) == {20_000}


def test_files_roll_over(tmp_path):
    out = build(tmp_path / "ds", [make_record(i, 2023, n_facts=3) for i in range(10)], batch_rows=4, max_rows_per_file=8)
    files = sorted(p.name for p in (out / "facts/year=2023").iterdir())
    assert files == [f"part-{i}.parquet" for i in range(4)]  # 30 facts, 8 per file
    assert sum(pq.ParquetFile(out / "facts/year=2023" / f).metadata.num_rows for f in files) == 30
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(f"{out}/reports")) == 10


def test_bad_values_raise_and_add_nothing(tmp_path):
    out = tmp_path / "ds"
    with DatasetWriter(out) as w:
        with pytest.raises(ValueError, match="year"):
            w.add(make_record(1, year="二〇二三"))
        with pytest.raises(ValueError, match="report_id"):
            w.add(make_record(2, report_id=None))
        bad = make_record(3)
        bad.facts.append(Fact("t3", None, "total", 1.0, "1"))
        with pytest.raises(ValueError, match="row_key"):
            w.add(bad)
        w.add(make_record(4, year="2022", checks_failed="2"))
    rows = pq.read_table(out / "reports").to_pylist()
    assert [(r["report_id"], r["year"], r["checks_failed"]) for r in rows] == [("rep-0004", 2022, 2)]


@pytest.mark.parametrize("batch_rows", [1, 10_000])
def test_duplicate_report_ids_are_written_once_with_their_sources(tmp_path, batch_rows):
    out = tmp_path / "ds"
    with DatasetWriter(out, batch_rows=batch_rows, max_rows_per_file=2) as w:
        assert w.add(make_record(1, other_sources=["https://a.gov.cn/1.html"])) is True
        for i in range(2, 6):
            w.add(make_record(i))
        assert w.add(make_record(1, source_url="https://mirror.gov.cn/1.html", source_path="/raw/copy.html")) is False
        assert w.add(make_record(4, source_url=None, document_url=None, source_path="/raw/local-copy.html")) is False
        assert w.add(make_record(1, source_url="https://mirror.gov.cn/1.html")) is False  # same source again
    rows = {r["report_id"]: r for r in pq.read_table(out / "reports").to_pylist()}
    assert len(rows) == 5
    assert rows["rep-0001"]["other_sources"] == ["https://a.gov.cn/1.html", "https://mirror.gov.cn/1.html"]
    assert rows["rep-0004"]["other_sources"] == ["/raw/local-copy.html"]
    assert rows["rep-0002"]["other_sources"] == []
    assert rows["rep-0001"]["full_text"] == "全文" * 10
    assert pq.read_table(out / "facts").num_rows == 15
    info = json.loads((out / "_build.json").read_text())
    assert [d["source_path"] for d in info["duplicates_skipped"]] == ["/raw/copy.html", "/raw/local-copy.html", "/raw/1.html"]
    assert not list(out.rglob(".*.tmp"))
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(f"{out}/reports")) == 5


def test_nan_values_become_null(tmp_path):
    r = make_record(1, n_facts=0)
    r.facts.append(Fact("t4", "review", "total", float("nan"), "—", "dash"))
    out = build(tmp_path / "ds", [r])
    assert pq.read_table(out / "facts").column("value").to_pylist() == [None]


# ---------------------------------------------------------------- atomic publishing


def test_exception_inside_with_publishes_nothing(tmp_path, dataset):
    before = snapshot(dataset)
    with pytest.raises(RuntimeError, match="boom"):
        with DatasetWriter(dataset, batch_rows=2) as w:
            for i in range(10):
                w.add(make_record(100 + i, 2020))
            raise RuntimeError("boom")
    assert snapshot(dataset) == before
    assert not list(tmp_path.glob(".dataset-*.partial"))
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(f"{dataset}/reports")) == 6


def test_exception_on_first_build_leaves_nothing(tmp_path):
    out = tmp_path / "ds"
    with pytest.raises(KeyError):
        with DatasetWriter(out) as w:
            w.add(make_record(1))
            raise KeyError("x")
    assert not os.path.lexists(out)
    assert list(tmp_path.iterdir()) == []


def test_keeps_the_previous_build_and_removes_older_ones(tmp_path):
    out = tmp_path / "ds"
    targets = []
    for n in range(1, 4):
        build(out, [make_record(i) for i in range(n)])
        targets.append(os.readlink(out))
    assert len(set(targets)) == 3
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([".ds.lock", "ds", targets[1], targets[2]])
    assert pq.read_table(out / "reports").num_rows == 3
    assert pq.read_table(tmp_path / targets[1] / "reports").num_rows == 2  # a reader of the previous build keeps working


def test_refuses_to_replace_a_real_directory(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "precious.csv").write_text("x")
    with pytest.raises(FileExistsError):
        DatasetWriter(out).open()
    assert (out / "precious.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]
    empty = tmp_path / "empty"
    empty.mkdir()
    build(empty, [make_record(1)])
    assert empty.is_symlink()


def test_writer_cannot_be_used_after_close(tmp_path):
    w = DatasetWriter(tmp_path / "ds")
    with w:
        w.add(make_record(1))
    with pytest.raises(RuntimeError):
        w.add(make_record(2))


_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_dataset import make_record
    from normalize.dataset import DatasetWriter
    w = DatasetWriter({out!r}, batch_rows=5).open()
    for i in range(10**6):
        w.add(make_record(1000 + i, 2020 + i % 4))
        if i == 60:
            print("flushing", flush=True)
        if i > 60:
            time.sleep(0.001)
    """
)


def test_sigkill_mid_write_leaves_the_previous_dataset(tmp_path, dataset):
    before = snapshot(dataset)
    script = tmp_path / "writer.py"
    script.write_text(_KILLED_WRITER.format(tests=str(Path(__file__).parent), out=str(dataset)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == b"flushing"
        partial = list(tmp_path.glob(".dataset-*.partial"))
        assert len(partial) == 1 and list(partial[0].rglob("*.parquet"))  # files were being written
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(dataset) == before
    pd = pytest.importorskip("pandas")
    assert sorted(pd.read_parquet(f"{dataset}/reports")["report_id"]) == [f"rep-000{i}" for i in range(1, 7)]
    # no half-written file is visible at the dataset's path
    assert not any(p.name.startswith("_building") for p in dataset.rglob("*"))
    # the next build removes the dead build's staging directory and keeps the previous build
    previous = os.readlink(dataset)
    build(dataset, [make_record(1)])
    assert not list(tmp_path.glob(".dataset-*.partial"))
    assert (tmp_path / previous / "_build.json").exists()


def test_a_live_concurrent_build_is_not_cleaned_up(tmp_path):
    out = tmp_path / "ds"
    other = DatasetWriter(out).open()  # another build in progress (this process: alive)
    try:
        build(out, [make_record(1)])
        assert other.staging.exists()
        other.add(make_record(2))
    finally:
        other.close()
    assert pq.read_table(out / "reports").column("report_id").to_pylist() == ["rep-0002"]
