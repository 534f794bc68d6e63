"""`govreports export`: a research release from a published dataset — the files, their
checksums, the year filter, what pandas/DuckDB/Polars read back, the wide table against
the facts, datapackage.json against the files, the datasheet, and atomic writing.

The dataset is built without crawling: generated reports (govreports.corpus) read by the
real normalizer and written by the real DatasetWriter, with the provenance a crawl gives
(portal, page and file URLs, fetch times) and a failed fetch in `documents`, as
crawler/publish.py writes them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from govreports import export
from govreports.cli import main
from govreports.corpus.write import EXT, PLAN, build_item
from govreports.export import RELEASE_FILES, ExportError, export_release, wide_cells, wide_column
from normalize.dataset import SCHEMAS, DatasetWriter
from normalize.record import Source, normalize_file_all
from normalize.years import parse_years

ROOT = Path(__file__).resolve().parent.parent

#: PLAN slots: 2023 page, empty file, 2020 (2019 format), 2019 PDF, 2016 pre2019 with an
#: appendix table, a guide page (not a report), 2025 page, 2023 page whose table 3 does not balance
SLOTS = (0, 3, 5, 8, 9, 15, 13, 20)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
FAILED_URL = "https://www.dazu.gov.cn/zwgk_175/zfxxgknb/202401/P020240110_missing.pdf"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """DATA_DIR with a published dataset at DATA_DIR/dataset."""
    root = tmp_path_factory.mktemp("export")
    files = root / "files"
    files.mkdir()
    with DatasetWriter(root / "data" / "dataset") as w:
        for n, i in enumerate(SLOTS):
            raw, entry = build_item(i, PLAN[i], seed=0)
            path = files / f"{i:03d}.{EXT[PLAN[i].fmt]}"
            path.write_bytes(raw)
            page = entry.get("source_url") or f"https://www.cq.gov.cn/zwgk/zfxxgknb/202401/t20240110_{i}.html"
            attached = not path.suffix == ".html"
            doc_url = page.rsplit("/", 1)[0] + f"/P0202401{i:02d}.{path.suffix[1:]}" if attached else page
            fetched = T0 + timedelta(hours=n)
            records = normalize_file_all(path, Source(source_url=page, document_url=doc_url, portal="cq", crawled_at=fetched))
            for r in records:
                w.add(r)
            sha = hashlib.sha256(raw).hexdigest()
            w.add_document({"url": doc_url, "sha256": sha, "size": len(raw), "fetched_at": fetched, "http_status": 200,
                            "content_type": "application/pdf" if attached else "text/html", "portal": "cq",
                            "referer": page if attached else None})
            if attached:  # the page that links the file
                page_bytes = f"<html>{i}</html>".encode()
                w.add_document({"url": page, "sha256": hashlib.sha256(page_bytes).hexdigest(), "size": len(page_bytes),
                                "fetched_at": fetched, "http_status": 200, "content_type": "text/html", "portal": "cq"})
        w.add_document({"url": FAILED_URL, "sha256": None, "fetched_at": T0, "http_status": 404, "portal": "cq"})
    return root / "data"


@pytest.fixture(scope="module")
def full(data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("releases") / "full"
    export_release(data / "dataset", out)
    return out


@pytest.fixture(scope="module")
def recent(data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("releases") / "recent"
    export_release(data / "dataset", out, years="2019-2024")
    return out


def _table(release: Path, name: str) -> pa.Table:
    return pq.read_table(release / f"{name}.parquet")


def _dataset_reports(data: Path) -> list[dict]:
    import pyarrow.dataset as pads

    return pads.dataset(data / "dataset" / "reports", format="parquet", partitioning="hive").to_table(
        columns=["report_id", "year", "status", "checks_failed"]).to_pylist()


# ---------------------------------------------------------------- files and checksums


def test_release_holds_every_file_and_checksums_verify(full):
    assert sorted(p.name for p in full.iterdir()) == sorted(RELEASE_FILES)
    assert not list(full.parent.glob("*.partial")) and not list(full.parent.glob(".*previous*"))
    lines = (full / "SHA256SUMS").read_text("ascii").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == set(RELEASE_FILES) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((full / name).read_bytes()).hexdigest() == digest, name
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--strict", "--quiet", "SHA256SUMS"], cwd=full, check=True)
    from govreports.codebook import render

    assert (full / "codebook.md").read_text("utf-8") == render()


# ---------------------------------------------------------------- years


def test_years_filter(data, full, recent):
    every = _dataset_reports(data)
    assert sorted(_table(full, "reports").column("year").to_pylist()) == sorted(r["year"] for r in every)
    assert 0 in _table(full, "reports").column("year").to_pylist()  # year unknown is in a full release
    years = _table(recent, "reports").column("year").to_pylist()
    assert sorted(years) == sorted(r["year"] for r in every if 2019 <= r["year"] <= 2024)
    assert set(_table(recent, "facts").column("year").to_pylist()) <= set(years)
    ids = set(_table(recent, "reports").column("report_id").to_pylist())
    assert set(_table(recent, "facts").column("report_id").to_pylist()) <= ids
    facts_full = _table(full, "facts").to_pylist()
    assert len(_table(recent, "facts")) == sum(1 for f in facts_full if f["report_id"] in ids)

    # documents: everything in a full release; the released reports' files and pages in a filtered one
    assert FAILED_URL in _table(full, "documents").column("url").to_pylist()
    docs = _table(recent, "documents").to_pylist()
    reports = _table(recent, "reports").to_pylist()
    wanted = {r["doc_sha256"] for r in reports} | {r["source_url"] for r in reports} | {r["document_url"] for r in reports}
    assert docs and all(d["sha256"] in wanted or d["url"] in wanted for d in docs)
    assert {r["source_url"] for r in reports} <= {d["url"] for d in docs}  # pages of attached reports too
    assert FAILED_URL not in {d["url"] for d in docs}

    two = export_release(data / "dataset", data.parent / "two", years="2019,2023")
    assert "2019, 2023" in two
    assert set(_table(data.parent / "two", "reports").column("year").to_pylist()) == {2019, 2023}


def test_years_are_parsed_without_scrapy():
    assert parse_years("2019-2024") == frozenset(range(2019, 2025))
    assert parse_years("2019,2021-2022") == {2019, 2021, 2022}
    assert parse_years("") is None
    with pytest.raises(ValueError):
        parse_years("2024-2019")
    code = "import sys, govreports.export, govreports.cli; assert 'scrapy' not in sys.modules, 'scrapy imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_bad_years_are_refused(data, tmp_path):
    with pytest.raises(ExportError, match="cannot read"):
        export_release(data / "dataset", tmp_path / "out", years="last year")
    with pytest.raises(ExportError, match="no reports of 2030"):
        export_release(data / "dataset", tmp_path / "out", years="2030")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


# ---------------------------------------------------------------- readers


def test_pandas_duckdb_polars_read_the_documented_types(full):
    import duckdb
    import pandas as pd
    import polars as pl

    reports = pd.read_parquet(full / "reports.parquet")
    assert str(reports["year"].dtype) == "int16" and str(reports["checks_failed"].dtype) == "int16"
    assert str(reports["crawled_at"].dtype) == "datetime64[us, UTC]"
    assert all(isinstance(d, date) for d in reports["publish_date"].dropna()) and reports["publish_date"].notna().any()
    facts = pd.read_parquet(full / "facts.parquet")
    assert str(facts["value"].dtype) == "float64" and str(facts["year"].dtype) == "int16"
    assert str(facts["table"].dtype) == "category"
    documents = pd.read_parquet(full / "documents.parquet")
    assert str(documents["fetched_at"].dtype) == "datetime64[us, UTC]"
    wide = pd.read_parquet(full / "wide.parquet")
    assert str(wide["t3__new_received__total"].dtype) == "float64" and str(wide["year"].dtype) == "int16"

    def duck(name: str) -> dict[str, str]:
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{full / name}')")
        return dict(zip(rel.columns, map(str, rel.types)))

    assert duck("reports.parquet")["year"] == "SMALLINT"
    assert duck("reports.parquet")["publish_date"] == "DATE"
    assert duck("reports.parquet")["crawled_at"] == "TIMESTAMP WITH TIME ZONE"
    assert duck("facts.parquet")["value"] == "DOUBLE"
    assert duck("wide.parquet")["t3__new_received__total"] == "DOUBLE"
    assert duck("documents.parquet")["http_status"] == "SMALLINT"

    ps = pl.read_parquet(full / "reports.parquet").schema
    assert ps["year"] == pl.Int16 and ps["publish_date"] == pl.Date
    assert ps["crawled_at"] == pl.Datetime("us", "UTC")
    fs = pl.read_parquet(full / "facts.parquet").schema
    assert fs["value"] == pl.Float64 and fs["table"] == pl.Categorical
    assert pl.read_parquet(full / "wide.parquet").schema["t3__new_received__total"] == pl.Float64

    for name in ("reports", "facts", "documents", "wide"):  # every reader sees every row
        n = pq.ParquetFile(full / f"{name}.parquet").metadata.num_rows
        assert len(pd.read_parquet(full / f"{name}.parquet")) == n
        assert duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{full / name}.parquet')").fetchone()[0] == n
        assert pl.read_parquet(full / f"{name}.parquet").height == n


def test_tables_keep_the_dataset_schemas_with_descriptions(full):
    for name, schema in SCHEMAS.items():
        got = pq.read_schema(full / f"{name}.parquet")
        assert got.names == schema.names
        for f in schema:
            assert got.field(f.name).type == f.type, f.name
            assert got.field(f.name).metadata[b"description"], f.name
        if "year" in got.names:  # an ordinary column in a release
            assert b"partition" not in got.field("year").metadata[b"description"]


# ---------------------------------------------------------------- the wide table


def test_wide_table_has_a_row_per_report_and_the_facts_values(full):
    reports = _table(full, "reports")
    wide = _table(full, "wide")
    assert wide.column("report_id").to_pylist() == reports.column("report_id").to_pylist()
    cells = [wide_column(t, r, c) for t, r, c, _ in wide_cells()]
    assert wide.column_names == list(export.WIDE_BASE) + cells
    assert "t3__new_received__total" in cells and "t2__fees__amount_10k_yuan" in cells
    assert cells.index("t3__new_received__natural_person") < cells.index("t3__new_received__total") < cells.index("t3__carried_over__natural_person")
    assert all(wide.schema.field(c).type == pa.float64() for c in cells)

    facts = _table(full, "facts").to_pylist()
    value = {(f["report_id"], wide_column(f["table"], f["row_key"], f["col_key"])): f["value"]
             for f in facts if f["table"] != "appendix"}
    received = dict(zip(wide.column("report_id").to_pylist(), wide.column("t3__new_received__total").to_pylist()))
    assert sum(v is not None for v in received.values()) >= 4
    for rid, v in received.items():
        assert v == value.get((rid, "t3__new_received__total")), rid
    rows = wide.to_pylist()
    filled = sum(1 for row in rows for c in cells if row[c] is not None)
    assert filled == sum(1 for v in value.values() if v is not None)  # every number, and nothing else
    for (rid, col), v in value.items():
        row = next(r for r in rows if r["report_id"] == rid)
        assert row[col] == v or (v is None and row[col] is None)
    assert any(f["table"] == "appendix" for f in facts)  # pre2019 appendix facts exist and stay out
    assert not any(c.startswith("appendix") for c in wide.column_names)


def test_small_batches_and_blocks_give_the_same_release(data, full, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "WIDE_BLOCK", 2)
    monkeypatch.setattr(export, "_BATCH_ROWS", 3)
    monkeypatch.setattr(export, "_GROUP_ROWS", 5)
    export_release(data / "dataset", tmp_path / "small")
    for name in ("reports", "facts", "documents", "wide"):
        assert pq.ParquetFile(tmp_path / "small" / f"{name}.parquet").metadata.num_row_groups > 1 or name == "documents"
        small, default = _table(tmp_path / "small", name), _table(full, name)
        assert small.schema.equals(default.schema) and small.to_pylist() == default.to_pylist(), name


# ---------------------------------------------------------------- datapackage.json


FRICTIONLESS = {"string": "string", "int16": "integer", "int32": "integer", "int64": "integer", "double": "number",
                "date32[day]": "date", "timestamp[us, tz=UTC]": "datetime", "list": "array"}


def _frictionless(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return FRICTIONLESS["list" if pa.types.is_list(t) else str(t)]


def test_datapackage_describes_the_files(full):
    d = json.loads((full / "datapackage.json").read_text("utf-8"))
    assert d["profile"] == "data-package" and d["name"] == "govreports"
    assert d["licenses"][0]["name"] == "CC-BY-4.0" and d["version"] and d["created"].endswith("Z")
    resources = {r["name"]: r for r in d["resources"]}
    assert {r["path"] for r in d["resources"]} == set(RELEASE_FILES) - {"datapackage.json", "SHA256SUMS"}
    for r in d["resources"]:
        path = full / r["path"]
        assert r["bytes"] == path.stat().st_size
        assert r["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    for name in ("reports", "facts", "documents", "wide"):
        r = resources[name]
        assert r["format"] == "parquet" and r["mediatype"] == "application/vnd.apache.parquet"
        schema = pq.read_schema(full / r["path"])
        assert [f["name"] for f in r["schema"]["fields"]] == schema.names
        for f in r["schema"]["fields"]:
            assert f["type"] == _frictionless(schema.field(f["name"]).type), (name, f["name"])
            assert f["description"]
    assert resources["reports"]["schema"]["primaryKey"] == ["report_id"]
    fk = resources["facts"]["schema"]["foreignKeys"][0]
    assert fk == {"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}}
    assert set(_table(full, "facts").column("report_id").to_pylist()) <= set(_table(full, "reports").column("report_id").to_pylist())
    sources = {s.get("path"): s["title"] for s in d["sources"]}
    assert "重庆市人民政府" in sources["https://www.cq.gov.cn/"]  # named from crawler/registry/cq.toml
    assert "https://www.dazu.gov.cn/" in sources  # the failed fetch's site is a source too
    assert d["govreports"]["counts"]["reports"] == len(_table(full, "reports"))

    import frictionless
    report = frictionless.Package.validate_descriptor(d)
    assert report.valid, report.flatten(["type", "note"])
    package = frictionless.Package(d, basepath=str(full))
    assert [r.type for r in package.resources][:4] == ["table"] * 4


# ---------------------------------------------------------------- datasheet


def test_datasheet_says_what_when_where_and_the_gaps(data, full, recent):
    sheet = (full / "datasheet.md").read_text("utf-8")
    every = _dataset_reports(data)
    n = len(every)
    assert f"{n} reports and {len(_table(full, 'facts'))} facts" in sheet
    year0 = sum(1 for r in every if r["year"] == 0)
    assert year0 and f"{year0} reports have `year = 0`" in sheet
    failing = sum(1 for r in every if r["checks_failed"])
    assert failing and f"{failing} of {n} reports fail at least one table check" in sheet
    failed = sum(1 for r in every if r["status"] == "failed")
    assert f"failed {failed}" in sheet
    assert "| www.dazu.gov.cn | 1 | 404 ×1 |" in sheet  # failed fetches by site
    assert "| www.cq.gov.cn | 重庆市人民政府 |" in sheet
    assert "2026-03-01 08:00 UTC" in sheet  # first fetch
    appendix = sum(1 for f in _table(full, "facts").column("table").to_pylist() if f == "appendix")
    assert f"the {appendix} pre2019 appendix facts" in sheet
    assert json.loads((data / "dataset" / "_build.json").read_text())["build_id"] in sheet
    for reader in ("pd.read_parquet", "duckdb.sql", "pl.read_parquet"):
        assert reader in sheet

    sheet = (recent / "datasheet.md").read_text("utf-8")
    assert "report years **2019–2024**" in sheet and "`govreports export --years 2019-2024`" in sheet
    assert f"{year0} reports of the dataset have `year = 0`" in sheet and "not in this release" in sheet
    assert "| www.dazu.gov.cn | 1 | 404 ×1 |" in sheet  # counted from the whole dataset


# ---------------------------------------------------------------- writing


def test_release_is_written_atomically_and_only_over_a_release(data, full, tmp_path):
    out = tmp_path / "release"
    export_release(data / "dataset", out, years="2023")
    first = (out / "SHA256SUMS").read_text()
    (tmp_path / "release.partial").mkdir()  # left by an export that was killed
    (tmp_path / "release.partial" / "junk").write_text("x")
    export_release(data / "dataset", out, years="2019-2020")  # a previous release is replaced
    assert (out / "SHA256SUMS").read_text() != first
    assert set(_table(out, "reports").column("year").to_pylist()) == {2019, 2020}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release"]

    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="not a govreports release"):
        export_release(data / "dataset", other)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    (out / "notes.txt").write_text("added by hand")  # a release with something added is no longer ours to delete
    with pytest.raises(ExportError):
        export_release(data / "dataset", out)
    (out / "notes.txt").unlink()

    broken = tmp_path / "broken" / "dataset"  # a dataset with a corrupt file: the export fails
    shutil.copytree((data / "dataset").resolve(), broken)
    victim = next((broken / "facts").rglob("*.parquet"))
    victim.write_bytes(b"not parquet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(Exception):
        export_release(broken, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the previous release is intact
    assert not (tmp_path / "release.partial").exists()


def test_cli_export(data, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["export", "-d", str(data), "--years", "2019-2024", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "release" in result.output and "reports (2019–2024)" in result.output, result.output
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(RELEASE_FILES)
    result = runner.invoke(main, ["export", "-d", str(data), "--years", "1999", "--out", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no reports of 1999" in result.output
