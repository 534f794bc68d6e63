"""Research releases: ``govreports export --years 2019-2024 --out DIR``.

A release is one plain folder, made to be archived, uploaded and cited as it is::

    DIR/
      reports.parquet     one row per report (the dataset's `reports`; `year` an ordinary column)
      facts.parquet       one row per printed number (the dataset's `facts`)
      documents.parquet   the fetched files behind the released reports (see below)
      wide.parquet        one row per report, one float64 column per canonical cell of tables 2–4
      codebook.md         every column and key (govreports.codebook.render())
      datapackage.json    Frictionless Data Package (v1) descriptor: files, sizes, hashes, schemas
      datasheet.md        what was collected, from where, when, known gaps, how to load and cite
      SHA256SUMS          `sha256sum -c SHA256SUMS` checks every other file

How it reads: the published dataset is resolved once (``data/dataset`` is a symlink to a
build; a crawl publishing meanwhile does not mix builds) and read partition by partition,
batch by batch with pyarrow — never a whole table in memory. Each table is written as a
single zstd Parquet file with the dataset's schema (field descriptions included), `year`
stored inside the file.

Choices:

- **Years.** ``years`` is parsed by normalize.years.parse_years (``2019-2024``, ``2023``,
  ``2019,2021-2022``); None exports every year, including ``year = 0`` (year unknown).
- **Documents.** Without a year filter, every `documents` row (failed fetches included).
  With one, the rows of the released reports: those whose ``sha256`` is a report's
  ``doc_sha256`` or whose ``url`` is a report's ``source_url`` or ``document_url`` (the
  page of a report read from its attachment). Failed fetches belong to no year, so they
  are left out of a year-filtered release's table; the datasheet still counts them,
  from the whole dataset.
- **Wide table.** Cells of tables 2, 3 and 4 in the label spec's order: t2 cells as the
  codebook lists them per format version (govreports.codebook.T2_CELLS, both versions'
  cells, since t2 keys differ by version on purpose), t3 and t4 every row × column. A
  column is null where the report prints no such cell, or no number in it. pre2019
  appendix facts (``table = 'appendix'``, printed labels as keys) are not in it.
- **License.** The data are released under CC BY 4.0 (`DATA_LICENSE`); the project's code
  is MIT (LICENSE). The reports themselves are publications of Chinese government bodies.

Writing is atomic: everything goes into ``OUT.partial``, which is renamed to ``OUT`` when
complete. An existing ``OUT`` is replaced only if it is empty or a previous release (its
datapackage.json says so and it holds nothing but release files); anything else is
refused. Replacing a release takes two renames (the old one aside, the new one in), so a
reader can find ``OUT`` missing for that instant, never half-written. A staging folder
left by a killed export is removed by the next; two exports to one ``OUT`` at the same
time are not supported.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from normalize import dataset as ds
from normalize.labels import raw_spec
from govreports.summary import LOCAL, host_of
from normalize.record import STATUSES
from normalize.years import parse_years

log = logging.getLogger(__name__)

#: the files of a release, in the order the datasheet lists them
TABLE_FILES = {"reports": "reports.parquet", "facts": "facts.parquet", "documents": "documents.parquet", "wide": "wide.parquet"}
RELEASE_FILES = (*TABLE_FILES.values(), "codebook.md", "datapackage.json", "datasheet.md", "SHA256SUMS")

#: the data license of a release (the code is MIT: LICENSE)
DATA_LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}

PARQUET_MEDIATYPE = "application/vnd.apache.parquet"

#: the report columns the wide table starts with
WIDE_BASE = ("report_id", "year", "agency_name", "admin_code", "province", "city", "county", "format_version", "status", "checks_failed")
CELL_TABLES = ("t2", "t3", "t4")

# batches read, and row groups written: bounded in rows and bytes (reports carry full texts)
_BATCH_ROWS = 8192
_GROUP_ROWS = 1 << 17
_GROUP_BYTES = 64 << 20
#: reports per block of the wide table (a block is a float64 matrix of reports × cells)
WIDE_BLOCK = 20_000


class ExportError(ValueError):
    """The export cannot be made as asked (no dataset, no such years, OUT is not a release)."""


# ---------------------------------------------------------------- schemas


_YEAR_DESC = "Report year (the year the report covers), taken from the title and body. 0 = the year could not be determined."


def _with_meta(f: pa.Field, **meta: str) -> pa.Field:
    old = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
    return f.with_metadata({**old, **meta})


def export_schema(table: str) -> pa.Schema:
    """The schema of a release's `table` file: the dataset's, with `year` an ordinary column."""
    schema = ds.SCHEMAS[table]
    if ds.PARTITIONED[table]:
        i = schema.get_field_index(ds.PARTITION_KEY)
        schema = schema.set(i, _with_meta(schema.field(i), description=_YEAR_DESC))
    meta = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
    meta["govreports.partitioning"] = "none"
    return schema.with_metadata(meta)


def _labels(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {it["key"]: it for it in items}


def wide_cells() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(table, row_key, col_key, format versions printing it) of every wide-table cell, in order:
    tables 2, 3, 4; within a table the spec's row order, then its column order."""
    from govreports.codebook import T2_CELLS, VERSIONS

    spec = raw_spec()
    cells = []
    for t in CELL_TABLES:
        rows, cols = spec[t].get("rows", []), spec[t].get("columns", [])
        for r in rows:
            for c in cols:
                if t == "t2":
                    versions = tuple(v for v in VERSIONS if c["key"] in T2_CELLS[v].get(r["key"], ()))
                else:
                    versions = tuple(v for v in VERSIONS if v in r.get("versions", VERSIONS))
                if versions:
                    cells.append((t, r["key"], c["key"], versions))
    return cells


def wide_column(table: str, row_key: str, col_key: str) -> str:
    return f"{table}__{row_key}__{col_key}"


def wide_schema() -> pa.Schema:
    reports = export_schema("reports")
    spec = raw_spec()
    fields = [reports.field(name) for name in WIDE_BASE]
    for t, r, c, versions in wide_cells():
        rl, cl = _labels(spec[t]["rows"])[r], _labels(spec[t]["columns"])[c]
        label_r, label_c = rl["labels"][0], cl["labels"][0]
        desc = (f"{t} ({spec[t]['title']}): row `{r}` ({label_r}) × column `{c}` ({label_c}); format versions "
                f"{', '.join(versions)}. The fact's `value`; null when the report prints no such cell or no number in it.")
        fields.append(pa.field(wide_column(t, r, c), pa.float64(), metadata={"description": desc, "label_zh": f"{label_r} · {label_c}"}))
    return pa.schema(fields, metadata={
        "govreports.table": "wide",
        "govreports.schema_version": ds.SCHEMA_VERSION,
        "govreports.label_spec_version": str(spec.get("spec_version", "")),
        "govreports.description": "One row per report (the rows of `reports`, in the same order) and one float64 column "
                                  "per canonical cell of tables 2, 3 and 4, named table__row_key__col_key. pre2019 appendix "
                                  "facts are not in this table (see `facts`, table = 'appendix').",
        "govreports.partitioning": "none",
    })


_FRICTIONLESS = (
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_integer, "integer"),
    (pa.types.is_floating, "number"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "datetime"),
    (pa.types.is_string, "string"),
    (pa.types.is_large_string, "string"),
    (lambda t: pa.types.is_list(t) or pa.types.is_large_list(t), "array"),
    (pa.types.is_struct, "object"),
)


def frictionless_type(t: pa.DataType) -> str:
    """Arrow type → Frictionless Table Schema type (dictionary-encoded strings are strings)."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    for test, name in _FRICTIONLESS:
        if test(t):
            return name
    return "any"


def _meta(f: pa.Field, key: str) -> str | None:
    v = (f.metadata or {}).get(key.encode())
    return v.decode() if v else None


def table_schema_descriptor(schema: pa.Schema) -> dict[str, Any]:
    from govreports.codebook import type_name

    fields = []
    for f in schema:
        d: dict[str, Any] = {"name": f.name, "type": frictionless_type(f.type)}
        if _meta(f, "label_zh"):
            d["title"] = _meta(f, "label_zh")
        d["description"] = _meta(f, "description") or ""
        d["arrowType"] = type_name(f.type)
        if not f.nullable:
            d["constraints"] = {"required": True}
        fields.append(d)
    return {"fields": fields}


# ---------------------------------------------------------------- reading the dataset


def _part_no(path: Path) -> tuple[int, str]:
    m = re.search(r"(\d+)", path.stem)
    return (int(m.group(1)) if m else -1, path.name)


def _files(folder: Path) -> list[Path]:
    return sorted((p for p in folder.glob("*.parquet") if not p.name.startswith(".")), key=_part_no)


def _partitions(root: Path, table: str) -> dict[int, list[Path]]:
    """year → the Parquet files of that partition, in part order."""
    out: dict[int, list[Path]] = {}
    for d in (root / table).glob(f"{ds.PARTITION_KEY}=*"):
        try:
            year = int(d.name.split("=", 1)[1])
        except ValueError:
            log.warning("ignoring %s: not a year partition", d)
            continue
        files = _files(d)
        if files:
            out[year] = files
    return dict(sorted(out.items()))


def _batches(files: Iterable[Path], table: str, columns: list[str] | None = None,
             filter: pc.Expression | None = None) -> Iterator[pa.RecordBatch]:
    """Batches of the files, in file order, read with the dataset's file schema."""
    schema = ds.file_schema(table)
    for f in files:
        d = pads.dataset(str(f), format="parquet", schema=schema)
        yield from d.to_batches(columns=columns, filter=filter, batch_size=_BATCH_ROWS,
                                batch_readahead=1, fragment_readahead=1)


def _rows_in(files: Iterable[Path]) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


# ---------------------------------------------------------------- writing


class _ParquetOut:
    """One zstd Parquet file written batch by batch, in row groups bounded in rows and bytes."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.buffer: list[pa.RecordBatch] = []
        self.buffered_rows = 0
        self.buffered_bytes = 0
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        self.buffer.append(batch)
        self.buffered_rows += batch.num_rows
        self.buffered_bytes += batch.nbytes
        if self.buffered_rows >= _GROUP_ROWS or self.buffered_bytes >= _GROUP_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        # one dictionary per column and row group (mixed dictionaries lose dictionary encoding)
        table = pa.Table.from_batches(self.buffer, self.schema).unify_dictionaries().combine_chunks()
        self.writer.write_table(table, row_group_size=max(1, table.num_rows))
        self.rows += table.num_rows
        self.buffer, self.buffered_rows, self.buffered_bytes = [], 0, 0

    def close(self) -> None:
        self.flush()
        if not self.rows:
            self.writer.write_table(self.schema.empty_table())
        self.writer.close()


def _with_year(batch: pa.RecordBatch, year: int, schema: pa.Schema) -> pa.RecordBatch:
    """A batch of a partition's file, with its `year` as a column, in the release schema."""
    n = batch.num_rows
    arrays = [pa.array(np.full(n, year, np.int16), pa.int16()) if f.name == ds.PARTITION_KEY else batch.column(f.name)
              for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- statistics for the datasheet



def _minmax(current: tuple[Any, Any], values: list[Any]) -> tuple[Any, Any]:
    vals = [v for v in values if v is not None]
    if not vals:
        return current
    lo, hi = min(vals), max(vals)
    return (lo if current[0] is None else min(current[0], lo), hi if current[1] is None else max(current[1], hi))


@dataclass
class _Stats:
    reports: int = 0
    facts: int = 0
    documents: int = 0
    by_year_status: Counter = field(default_factory=Counter)
    by_format: Counter = field(default_factory=Counter)
    by_source_format: Counter = field(default_factory=Counter)
    by_portal: Counter = field(default_factory=Counter)
    reports_by_host: Counter = field(default_factory=Counter)
    documents_by_host: Counter = field(default_factory=Counter)
    facts_by_table: Counter = field(default_factory=Counter)
    error_codes: Counter = field(default_factory=Counter)  # code → reports with an error of that code
    failing_checks: int = 0
    local_reports: int = 0
    crawled: tuple[Any, Any] = (None, None)
    fetched: tuple[Any, Any] = (None, None)
    # from the whole dataset (failed fetches belong to no year)
    dataset_documents: int = 0
    failed_fetches: Counter = field(default_factory=Counter)  # host → failed fetches
    failed_statuses: dict[str, Counter] = field(default_factory=dict)  # host → status → n
    # the wide table
    wide_rows: int = 0
    wide_cells_filled: int = 0
    facts_outside_wide: int = 0  # t2–t4 facts whose cell is not a wide column
    doc_shas: set[str] = field(default_factory=set)
    doc_urls: set[str] = field(default_factory=set)

    def add_reports(self, b: pa.RecordBatch) -> None:
        cols = {n: b.column(n).to_pylist() for n in (
            "year", "status", "format_version", "source_format", "portal", "source_url", "document_url",
            "doc_sha256", "checks_failed")}
        issues = b.column("issues").to_pylist()
        self.reports += b.num_rows
        self.crawled = _minmax(self.crawled, b.column("crawled_at").to_pylist())
        for i in range(b.num_rows):
            self.by_year_status[(cols["year"][i], cols["status"][i])] += 1
            self.by_format[cols["format_version"][i] or "(none)"] += 1
            self.by_source_format[cols["source_format"][i] or "(none)"] += 1
            self.by_portal[cols["portal"][i] or LOCAL] += 1
            host = host_of(cols["source_url"][i]) or host_of(cols["document_url"][i])
            if host:
                self.reports_by_host[host] += 1
            else:
                self.local_reports += 1
            if cols["checks_failed"][i]:
                self.failing_checks += 1
            self.error_codes.update({x["code"] for x in issues[i] or () if x.get("severity") == "error" and x.get("code")})
            if cols["doc_sha256"][i]:
                self.doc_shas.add(cols["doc_sha256"][i])
            for u in (cols["source_url"][i], cols["document_url"][i]):
                if u:
                    self.doc_urls.add(u)

    def add_all_documents(self, b: pa.RecordBatch) -> None:
        urls, shas, statuses = (b.column(n).to_pylist() for n in ("url", "sha256", "http_status"))
        self.dataset_documents += b.num_rows
        for url, sha, status in zip(urls, shas, statuses):
            if sha is None or (status or 0) >= 400:
                host = host_of(url) or "(no host)"
                self.failed_fetches[host] += 1
                self.failed_statuses.setdefault(host, Counter())[str(status) if status else "no response"] += 1

    def add_documents(self, b: pa.RecordBatch) -> None:
        self.documents += b.num_rows
        self.fetched = _minmax(self.fetched, b.column("fetched_at").to_pylist())
        for url in b.column("url").to_pylist():
            self.documents_by_host[host_of(url) or LOCAL] += 1

    @property
    def statuses(self) -> Counter:
        c: Counter = Counter()
        for (_, s), n in self.by_year_status.items():
            c[s] += n
        return c

    @property
    def years(self) -> list[int]:
        return sorted({y for y, _ in self.by_year_status})


# ---------------------------------------------------------------- the release


def years_label(years: Iterable[int]) -> str:
    """2019, 2020, 2021, 2023 → "2019–2021, 2023"; year 0 (unknown) is named as such."""
    ys = sorted(set(years) - {ds.UNKNOWN_YEAR})
    unknown = ds.UNKNOWN_YEAR in set(years)
    out, i = [], 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        out.append(str(ys[i]) if i == j else f"{ys[i]}–{ys[j]}")
        i = j + 1
    if unknown:
        out.append("year unknown (0)")
    return ", ".join(out)


def _is_release(path: Path) -> bool:
    """A folder written by export_release: its datapackage says so and it holds only release files."""
    try:
        names = {p.name for p in path.iterdir()}
        descriptor = json.loads((path / "datapackage.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(descriptor, dict) and "govreports" in descriptor and names <= set(RELEASE_FILES)


def _prepare_out(out: Path) -> Path:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ExportError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not _is_release(out):
        raise ExportError(f"{out} is not empty and is not a govreports release; move it away or choose another --out")
    staging = out.with_name(out.name + ".partial")
    if staging.is_symlink() or staging.is_file():
        staging.unlink()
    elif staging.exists():
        log.info("removing %s, left by an export that did not finish", staging)
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def _switch(staging: Path, out: Path) -> None:
    """Put the finished release at `out`: one rename (two when a previous release is replaced)."""
    for p in sorted(staging.iterdir()):
        ds._fsync_path(p)
    ds._fsync_path(staging, directory=True)
    old = None
    if out.is_dir():
        if any(out.iterdir()):
            old = out.with_name(f".{out.name}.previous-{secrets.token_hex(3)}")
            os.rename(out, old)
        else:
            out.rmdir()
    os.rename(staging, out)
    ds._fsync_path(out.parent, directory=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _build_info(root: Path) -> dict[str, Any]:
    try:
        return json.loads((root / "_build.json").read_text("utf-8"))
    except (OSError, ValueError):
        log.warning("%s has no readable _build.json; the release will not name its build", root)
        return {}


def export_release(dataset_dir: str | os.PathLike[str], out: str | os.PathLike[str], *, years: str | Iterable[int] | None = None) -> str:
    """Write a research release of the dataset at `dataset_dir` (e.g. data/dataset) into the
    folder `out`, atomically. `years`: "2019-2024", "2023", "2019,2021-2022" (or a set of
    ints); None = every year. Returns a one-line summary."""
    started = time.monotonic()
    root = Path(dataset_dir).resolve()  # one build, even if a crawl publishes meanwhile
    if not (root / "reports").is_dir():
        raise ExportError(f"no dataset at {dataset_dir} (expected reports/, facts/, documents/ in it)")
    try:
        wanted = parse_years(years) if isinstance(years, str) or years is None else frozenset(int(y) for y in years)
    except ValueError as e:
        raise ExportError(str(e)) from None
    parts = {t: _partitions(root, t) for t in ("reports", "facts")}
    available = sorted(parts["reports"])
    selected = [y for y in available if wanted is None or y in wanted]
    if wanted is not None and not selected:
        raise ExportError(f"the dataset has no reports of {years_label(wanted)} (it has {years_label(available) or 'none'})")
    build = _build_info(root)
    if build.get("schema_version") not in (None, ds.SCHEMA_VERSION):
        log.warning("dataset schema %s, this exporter writes schema %s", build.get("schema_version"), ds.SCHEMA_VERSION)

    out = Path(out).absolute()
    if out == root or root in out.parents:
        raise ExportError(f"{out} is inside the dataset; choose a folder outside it")
    staging = _prepare_out(out)
    try:
        stats = _Stats()
        _write_tables(root, parts, selected, wanted, staging, stats)
        _write_wide(parts, selected, staging / TABLE_FILES["wide"], stats)
        from govreports.codebook import render

        (staging / "codebook.md").write_text(render(), encoding="utf-8")
        context = {
            "build": build, "wanted": wanted, "selected": selected, "available": available,
            "created": datetime.now(timezone.utc).replace(microsecond=0),
            "outside_year0": _rows_in(parts["reports"].get(ds.UNKNOWN_YEAR, [])) if ds.UNKNOWN_YEAR not in selected else 0,
        }
        (staging / "datasheet.md").write_text(render_datasheet(stats, context), encoding="utf-8")
        descriptor = datapackage(staging, stats, context)
        (staging / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        sums = "".join(f"{_sha256(staging / name)}  {name}\n" for name in RELEASE_FILES if name != "SHA256SUMS")
        (staging / "SHA256SUMS").write_text(sums, encoding="ascii")
        _switch(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    label = years_label(wanted if wanted is not None else selected)
    return (f"release {out}: {stats.reports} reports ({label}), {stats.facts} facts, {stats.documents} documents, "
            f"wide table {stats.wide_rows} × {len(wide_cells())} cells; build {build.get('build_id', '?')}; "
            f"{time.monotonic() - started:.1f} s")


def _write_tables(root: Path, parts: dict[str, dict[int, list[Path]]], selected: list[int], wanted: frozenset[int] | None,
                  staging: Path, stats: _Stats) -> None:
    for table in ("reports", "facts"):
        schema = export_schema(table)
        w = _ParquetOut(staging / TABLE_FILES[table], schema)
        try:
            for year in selected:
                for b in _batches(parts[table].get(year, []), table):
                    b = _with_year(b, year, schema)
                    w.write(b)
                    if table == "reports":
                        stats.add_reports(b)
                    else:
                        stats.facts += b.num_rows
                        stats.facts_by_table.update(Counter(b.column("table").to_pylist()))
        finally:
            w.close()
    schema = export_schema("documents")
    w = _ParquetOut(staging / TABLE_FILES["documents"], schema)
    shas = pa.array(sorted(stats.doc_shas), pa.string())
    urls = pa.array(sorted(stats.doc_urls), pa.string())
    try:
        for b in _batches(_files(root / "documents"), "documents"):
            stats.add_all_documents(b)
            if wanted is not None:
                keep = pc.or_kleene(pc.is_in(b.column("sha256"), value_set=shas), pc.is_in(b.column("url"), value_set=urls))
                b = b.filter(pc.fill_null(keep, False))
            b = pa.RecordBatch.from_arrays([b.column(f.name) for f in schema], schema=schema)
            w.write(b)
            stats.add_documents(b)
    finally:
        w.close()
    stats.doc_shas.clear()
    stats.doc_urls.clear()


def _write_wide(parts: dict[str, dict[int, list[Path]]], selected: list[int], path: Path, stats: _Stats) -> None:
    """The wide table, partition by partition and, within one, WIDE_BLOCK reports at a time:
    memory is bounded by a block's matrix (reports × cells float64), not by the dataset."""
    schema = wide_schema()
    cells = wide_cells()
    names = pa.array([wide_column(t, r, c) for t, r, c, _ in cells], pa.string())
    base_cols = [c for c in WIDE_BASE if c != ds.PARTITION_KEY]
    fact_cols = ["report_id", "table", "row_key", "col_key", "value"]
    in_tables = pc.field("table").isin(list(CELL_TABLES))
    w = _ParquetOut(path, schema)
    try:
        for year in selected:
            base = pa.Table.from_batches(list(_batches(parts["reports"].get(year, []), "reports", base_cols)),
                                         pa.schema([ds.file_schema("reports").field(c) for c in base_cols])).combine_chunks()
            for start in range(0, base.num_rows, WIDE_BLOCK):
                block = base.slice(start, WIDE_BLOCK)
                ids = block.column("report_id").combine_chunks()
                matrix = np.full((len(cells), block.num_rows), np.nan)
                for fb in _batches(parts["facts"].get(year, []), "facts", fact_cols, in_tables):
                    ri = pc.fill_null(pc.index_in(fb.column("report_id"), value_set=ids), -1).to_numpy()
                    key = pc.binary_join_element_wise(
                        *(pc.cast(fb.column(n), pa.string()) for n in ("table", "row_key", "col_key")), "__")
                    ci = pc.fill_null(pc.index_in(key, value_set=names), -1).to_numpy()
                    value = fb.column("value").to_numpy(zero_copy_only=False)
                    mine = ri >= 0
                    stats.facts_outside_wide += int(np.count_nonzero(mine & (ci < 0)))
                    m = mine & (ci >= 0) & ~np.isnan(value)
                    matrix[ci[m], ri[m]] = value[m]
                stats.wide_cells_filled += int(np.count_nonzero(~np.isnan(matrix)))
                arrays = []
                for f in schema:
                    if f.name == ds.PARTITION_KEY:
                        arrays.append(pa.array(np.full(block.num_rows, year, np.int16), pa.int16()))
                    elif f.name in base_cols:
                        arrays.append(block.column(f.name).combine_chunks())
                    else:
                        col = matrix[len(arrays) - len(WIDE_BASE)]
                        arrays.append(pa.array(col, pa.float64(), mask=np.isnan(col)))
                w.write(pa.RecordBatch.from_arrays(arrays, schema=schema))
                stats.wide_rows += block.num_rows
    finally:
        w.close()


# ---------------------------------------------------------------- datapackage.json


def _registries() -> dict[str, Any]:
    """Every registry shipped with the crawler, by spider name (crawler.registry reads TOML; no Scrapy)."""
    from importlib import resources

    from crawler.registry import RegistryError, load_registry

    out = {}
    for entry in resources.files("crawler").joinpath("registry").iterdir():
        if entry.name.endswith(".toml"):
            try:
                out[entry.name[:-5]] = load_registry(entry.name[:-5])
            except RegistryError as e:  # pragma: no cover - the registry's own tests catch this
                log.warning("registry %s: %s", entry.name, e)
    return out


def _site_of(host: str, registries: dict[str, Any]) -> tuple[str | None, Any]:
    for spider, reg in registries.items():
        site = reg.site_for_host(host)
        if site is not None:
            return spider, site
    return None, None


def _sources(stats: _Stats) -> list[dict[str, str]]:
    registries = _registries()
    sources = []
    for host in sorted(set(stats.reports_by_host) | (set(stats.documents_by_host) - {LOCAL})):
        spider, site = _site_of(host, registries)
        if site is not None:
            title = f"{site.name} ({host}; registry crawler/registry/{spider}.toml)"
            path = f"{site.scheme}://{site.host}/"
        else:
            title, path = host, f"https://{host}/"
        sources.append({"title": title, "path": path})
    if stats.local_reports:
        sources.append({"title": f"local files ({stats.local_reports} reports read from files given to `govreports normalize`; see reports.source_path)"})
    return sources


_TABLE_TITLES = {
    "reports": "Reports: one row per report",
    "facts": "Facts: one row per printed number of tables 2–4 (and pre2019 appendix tables)",
    "documents": "Documents: the fetched files",
    "wide": "Wide: one row per report, one column per canonical cell of tables 2–4",
}


def datapackage(folder: Path, stats: _Stats, context: dict[str, Any]) -> dict[str, Any]:
    build = context["build"]
    spec = raw_spec()
    resources = []
    for table, name in TABLE_FILES.items():
        path = folder / name
        schema = wide_schema() if table == "wide" else export_schema(table)
        desc = (schema.metadata or {}).get(b"govreports.description", b"").decode()
        tschema = table_schema_descriptor(schema)
        if table in ("reports", "wide"):
            tschema["primaryKey"] = ["report_id"]
        if table in ("facts", "wide"):
            tschema["foreignKeys"] = [{"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}}]
        resources.append({
            "profile": "data-resource",
            "name": table,
            "path": name,
            "title": _TABLE_TITLES[table],
            "description": desc,
            "format": "parquet",
            "mediatype": PARQUET_MEDIATYPE,
            "bytes": path.stat().st_size,
            "hash": f"sha256:{_sha256(path)}",
            "schema": tschema,
        })
    for name, title, fmt, media in (("codebook.md", "Codebook: every column, status, flag and canonical key", "md", "text/markdown"),
                                    ("datasheet.md", "Datasheet: what was collected, from where, when, known gaps", "md", "text/markdown")):
        path = folder / name
        resources.append({"profile": "data-resource", "name": name.split(".")[0], "path": name, "title": title,
                          "format": fmt, "mediatype": media, "encoding": "utf-8",
                          "bytes": path.stat().st_size, "hash": f"sha256:{_sha256(path)}"})
    label = years_label(context["wanted"] if context["wanted"] is not None else context["selected"])
    return {
        "profile": "data-package",
        "name": "govreports",
        "title": f"China's government information-disclosure annual reports (政府信息公开工作年度报告), report years {label}",
        "description": ("One row per report and one row per printed number of the national format's statistical tables, "
                        "read from the reports government bodies publish on their portals, every number checked against "
                        "the format's identities (checks listed, not fixed). See datasheet.md and codebook.md."),
        "version": build.get("build_id") or context["created"].strftime("%Y%m%d"),
        "created": context["created"].isoformat().replace("+00:00", "Z"),
        "keywords": ["government information disclosure", "政府信息公开", "annual reports", "China", "open government"],
        "licenses": [DATA_LICENSE],
        "contributors": [{"title": "the govreports contributors", "role": "author"}],
        "sources": _sources(stats),
        "resources": resources,
        "govreports": {
            "release": True,
            "years": sorted(context["wanted"]) if context["wanted"] is not None else None,
            "years_exported": context["selected"],
            "build_id": build.get("build_id"),
            "build_created_at": build.get("created_at"),
            "parser_version": build.get("parser_version"),
            "schema_version": ds.SCHEMA_VERSION,
            "label_spec_version": spec.get("spec_version"),
            "documents": "every row" if context["wanted"] is None else
                         "rows of the released reports (sha256 = doc_sha256, or url = source_url / document_url)",
            "counts": {"reports": stats.reports, "facts": stats.facts, "documents": stats.documents, "wide": stats.wide_rows},
        },
    }


# ---------------------------------------------------------------- datasheet.md


def _md_table(header: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    return ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |",
            *("| " + " | ".join(cell(c) for c in r) + " |" for r in rows)]


def _when(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return str(v)


#: how each Arrow type of the codebook reads back (pandas 2.2+ with pyarrow, DuckDB 1.x, Polars 1.x)
READER_TYPES = (
    ("int16 / int32 / int64", "int16 / int32 / int64 (float64 when the column has nulls)", "SMALLINT / INTEGER / BIGINT", "Int16 / Int32 / Int64"),
    ("double", "float64 (null → NaN)", "DOUBLE", "Float64"),
    ("string", "str (pandas 3; object on pandas 2)", "VARCHAR", "String"),
    ("string (dictionary-encoded)", "category", "VARCHAR", "Categorical"),
    ("date32", "object (datetime.date)", "DATE", "Date"),
    ("timestamp[us, UTC]", "datetime64[us, UTC]", "TIMESTAMP WITH TIME ZONE", "Datetime(us, UTC)"),
    ("list<string>", "object (arrays of str)", "VARCHAR[]", "List(String)"),
    ("list<struct<…>>", "object (arrays of dicts)", "STRUCT(…)[]", "List(Struct)"),
)


def render_datasheet(stats: _Stats, context: dict[str, Any]) -> str:
    build = context["build"]
    selected, wanted = context["selected"], context["wanted"]
    statuses = [s for s in STATUSES if stats.statuses.get(s)] + sorted(set(stats.statuses) - set(STATUSES))
    spec = raw_spec()
    label = years_label(wanted if wanted is not None else selected)
    out = [
        f"# govreports release — datasheet",
        "",
        f"China's government information-disclosure annual reports (政府信息公开工作年度报告), report years **{label}**.",
        "",
        f"- Release written {_when(context['created'])} by `govreports export"
        + (f" --years {years_label(wanted).replace('–', '-').replace(', ', ',')}" if wanted is not None else "") + "`.",
        f"- From dataset build `{build.get('build_id', 'unknown')}` (published {build.get('created_at', 'unknown')}), "
        f"parser version {build.get('parser_version', 'unknown')}, schema version {ds.SCHEMA_VERSION}, "
        f"label spec version {spec.get('spec_version', '?')}.",
        f"- Data license: {DATA_LICENSE['title']} ({DATA_LICENSE['name']}, {DATA_LICENSE['path']}); the software that made it is MIT-licensed.",
        "",
        "## What is in this folder",
        "",
        *_md_table(["file", "rows", "what"], [
            ["`reports.parquet`", stats.reports, "one row per report: agency, year, region, format version, dates, source, parse status, issues, section texts, full text"],
            ["`facts.parquet`", stats.facts, "one row per printed number (or printed non-number) of tables 2–4 and pre2019 appendix tables"],
            ["`documents.parquet`", stats.documents, "the fetched files: URL, SHA-256, size, content type, fetch time, HTTP status"
             + (" (every row of the dataset)" if wanted is None else " (those of the released reports; see Known gaps)")],
            ["`wide.parquet`", stats.wide_rows, f"one row per report (as in reports.parquet) and one float64 column per canonical cell of tables 2–4 ({len(wide_cells())} columns named `table__row_key__col_key`, e.g. `t3__new_received__total`)"],
            ["`codebook.md`", "", "every column, status, value flag, check and canonical key, with its Chinese label"],
            ["`datapackage.json`", "", "Frictionless Data Package descriptor: files, sizes, SHA-256, column types and descriptions, keys"],
            ["`SHA256SUMS`", "", "checksums of every other file: `sha256sum -c SHA256SUMS`"],
        ]),
        "",
        "## What was collected",
        "",
        f"{stats.reports} reports and {stats.facts} facts ({', '.join(f'{t} {n}' for t, n in sorted(stats.facts_by_table.items())) or 'none'}). "
        "Every file fetched gets a row in `reports`, whatever it turned out to be: `status` says how far reading got (see the codebook).",
        "",
        "Reports by year and status:",
        "",
        *_md_table(["year", *statuses, "total"], [
            [("0 (unknown)" if y == ds.UNKNOWN_YEAR else y), *(stats.by_year_status.get((y, s), 0) for s in statuses),
             sum(stats.by_year_status.get((y, s), 0) for s in statuses)]
            for y in stats.years
        ] + [["total", *(stats.statuses.get(s, 0) for s in statuses), stats.reports]]),
        "",
        "By format version: " + ", ".join(f"{k} {n}" for k, n in sorted(stats.by_format.items())) + ".",
        "By file format: " + ", ".join(f"{k} {n}" for k, n in stats.by_source_format.most_common()) + ".",
        "By portal (the spider that collected them): " + ", ".join(f"{k} {n}" for k, n in stats.by_portal.most_common()) + ".",
        "",
        "## From where",
        "",
    ]
    registries = _registries()
    hosts = sorted(set(stats.reports_by_host) | (set(stats.documents_by_host) - {LOCAL}))
    if hosts:
        rows = []
        for h in hosts:
            spider, site = _site_of(h, registries)
            rows.append([h, site.name if site else "(not in a registry)", f"`crawler/registry/{spider}.toml`" if spider else "",
                         stats.reports_by_host.get(h, 0), stats.documents_by_host.get(h, 0)])
        out += ["Sites (the host of each report's `source_url`; documents by the host of their `url`):", ""]
        out += _md_table(["host", "site", "registry", "reports", "documents"], rows)
        out.append("")
    if stats.local_reports:
        out += [f"{stats.local_reports} reports were read from local files (no URL; `source_path` names the file).", ""]
    out += [
        "Sites are data: the crawler visits the sites its registry files list (`crawler/registry/*.toml`: host, owner, "
        "GB/T 2260 code, the columns that list annual reports). Year, agency and region are read from each report's "
        "title and body, never from its URL.",
        "",
        "## When",
        "",
        f"- Reports fetched (`reports.crawled_at`): {_when(stats.crawled[0])} to {_when(stats.crawled[1])}.",
        f"- Files fetched (`documents.fetched_at`): {_when(stats.fetched[0])} to {_when(stats.fetched[1])}.",
        f"- Dataset built: {build.get('created_at', 'unknown')}; this release: {_when(context['created'])}.",
        "",
        "## Known gaps",
        "",
        f"- **Checks that fail:** {stats.failing_checks} of {stats.reports} reports fail at least one table check "
        "(`checks_failed > 0`; `issues` says which). They are kept as published: numbers are never corrected.",
        f"- **Not fully read:** " + ", ".join(f"{s} {stats.statuses.get(s, 0)}" for s in ("partial", "needs_ocr", "failed", "not_a_report"))
        + ". `needs_ocr` reports are scans whose tables OCR could not verify (no facts); `failed` files could not be read; "
        "`not_a_report` pages were read but are not annual reports.",
    ]
    year0 = sum(n for (y, _), n in stats.by_year_status.items() if y == ds.UNKNOWN_YEAR)
    if ds.UNKNOWN_YEAR in selected:
        out.append(f"- **Year unknown:** {year0} reports have `year = 0` (the year could not be read); filter `year > 0` before computing with years.")
    else:
        out.append(f"- **Year unknown:** {context['outside_year0']} reports of the dataset have `year = 0` (the year could not be read) "
                   "and are not in this release, which selects years.")
    missing = sorted(set(wanted) - set(selected)) if wanted is not None else []
    if missing:
        out.append(f"- **Years asked for without reports:** {years_label(missing)}.")
    if stats.failed_fetches:
        out.append(f"- **Failed fetches:** {sum(stats.failed_fetches.values())} of {stats.dataset_documents} fetches of the whole "
                   "dataset got no file (nothing stored, or an HTTP error); reports behind them are missing. By site:")
        out.append("")
        out += ["  " + line for line in _md_table(["host", "failed fetches", "HTTP status"], [
            [h, n, ", ".join(f"{s} ×{k}" for s, k in stats.failed_statuses[h].most_common())]
            for h, n in stats.failed_fetches.most_common()])]
        out.append("")
    else:
        out.append(f"- **Failed fetches:** none of the {stats.dataset_documents} fetches of the dataset failed.")
    out.append("- **Documents table:** " + (
        "every fetched file of the dataset." if wanted is None else
        "only the files of the released reports (`sha256` = a report's `doc_sha256`, or `url` = its `source_url` or "
        "`document_url`); failed fetches belong to no year and are counted above, not listed."))
    appendix = stats.facts_by_table.get("appendix", 0)
    out.append(f"- **Wide table:** tables 2–4 only; the {appendix} pre2019 appendix facts (`facts.table = 'appendix'`, printed labels as keys) "
               "are not in it. A cell is null where the report prints no such cell or no number in it (`facts.value_flag` says why)."
               + (f" {stats.facts_outside_wide} facts of tables 2–4 name a cell outside the canonical list and are only in `facts`."
                  if stats.facts_outside_wide else ""))
    if stats.error_codes:
        out.append("- **Most common errors** (reports with each): "
                   + ", ".join(f"`{c}` {n}" for c, n in stats.error_codes.most_common(10)) + ".")
    out += [
        "- Coverage is what the registry's sites publish and the crawler reached; a body that published nothing, "
        "or only on a site not in the registry, is absent, not zero.",
        "",
        "## Loading",
        "",
        "```python",
        "import pandas as pd",
        'reports = pd.read_parquet("reports.parquet")',
        'wide = pd.read_parquet("wide.parquet")          # t3__new_received__total: applications received',
        "",
        "import duckdb",
        "duckdb.sql(\"SELECT year, sum(value) FROM 'facts.parquet' WHERE \\\"table\\\" = 't3' AND row_key = 'new_received' AND col_key = 'total' GROUP BY year\")",
        "",
        "import polars as pl",
        'facts = pl.read_parquet("facts.parquet")',
        "```",
        "",
        "Types as each reader gives them (the codebook lists each column's Arrow type):",
        "",
        *_md_table(["Arrow (codebook)", "pandas", "DuckDB", "Polars"], [list(r) for r in READER_TYPES]),
        "",
        "`year` is an ordinary int16 column here (in the dataset it is a Hive partition key). `facts.table` is an SQL "
        "keyword: quote it (`\"table\"`) in DuckDB. Never fill null values with 0: blank means blank.",
        "",
        "## Citing",
        "",
        f"govreports contributors. *China's government information-disclosure annual reports (政府信息公开工作年度报告), "
        f"report years {label}.* Release {build.get('build_id', 'unknown')}, {context['created'].date().isoformat()}. "
        f"{DATA_LICENSE['name']}. Give the SHA-256 of `datapackage.json` (in `SHA256SUMS`) to name this exact release.",
        "",
    ]
    return "\n".join(out)
