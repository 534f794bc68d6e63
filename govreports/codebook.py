"""Generate docs/codebook.md from the dataset schemas (normalize/dataset.py) and the label
spec (normalize/spec/labels.toml), so the codebook never drifts from the data.

`make codebook` (= `govreports codebook --out docs/codebook.md`) writes it; a test
checks the committed file equals `render()`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pyarrow as pa

from normalize import checks, regions
from normalize import dataset as ds

LABELS_PATH = Path(__file__).resolve().parent.parent / "normalize" / "spec" / "labels.toml"
VERSIONS = ("2019", "2021")

#: which table-2 columns each row prints, per format version (SCHEMA.md; labels.toml has no row→column map)
T2_CELLS: dict[str, dict[str, list[str]]] = {
    "2021": {
        "regulations": ["issued", "repealed", "in_force"],
        "normative_documents": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "punishment": ["decisions"],
        "coercion": ["decisions"],
        "fees": ["amount_10k_yuan"],
    },
    "2019": {
        "regulations": ["made", "published", "total_published"],
        "normative_documents": ["made", "published", "total_published"],
        "licensing": ["previous_count", "change", "decisions"],
        "other_services": ["previous_count", "change", "decisions"],
        "punishment": ["previous_count", "change", "decisions"],
        "coercion": ["previous_count", "change", "decisions"],
        "fees": ["previous_count", "change"],
        "procurement": ["items", "amount"],
    },
}


def load_labels(path: Path = LABELS_PATH) -> dict[str, Any]:
    with open(path, "rb") as f:
        return tomllib.load(f)


def _cell(text: Any) -> str:
    s = "" if text is None else str(text)
    return s.replace("|", "\\|").replace("\n", " ")


def _row(*cells: Any) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(*header), "| " + " | ".join("---" for _ in header) + " |", *(_row(*r) for r in rows)]


def type_name(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        return f"{type_name(t.value_type)} (dictionary-encoded)"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}, {t.tz}]" if t.tz else f"timestamp[{t.unit}]"
    if pa.types.is_list(t):
        return f"list<{type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ", ".join(f"{f.name} {type_name(f.type)}" for f in t) + ">"
    if pa.types.is_date32(t):
        return "date32"
    if pa.types.is_large_string(t) or pa.types.is_string(t):
        return "string"
    return str(t)


def _meta(field: pa.Field, key: str) -> str:
    md = field.metadata or {}
    v = md.get(key.encode())
    return v.decode() if v else ""


def _columns_section(name: str, schema: pa.Schema) -> list[str]:
    md = schema.metadata or {}
    out = [f"### `{name}`", "", md.get(b"govreports.description", b"").decode()]
    if ds.PARTITIONED[name]:
        out += ["", f"Files: `{name}/year=YYYY/part-N.parquet` (hive-partitioned by `year`)."]
    else:
        out += ["", f"Files: `{name}/part-N.parquet` (not partitioned)."]
    out.append("")
    rows = []
    for f in schema:
        t = type_name(f.type)
        if ds.PARTITIONED[name] and f.name == ds.PARTITION_KEY:
            t += " (partition key)"
        rows.append([f"`{f.name}`", t, "" if f.nullable else "no", _meta(f, "label_zh"), _meta(f, "description")])
    out += _table(["column", "type", "nulls", "中文", "description"], rows)
    return out + [""]


def _keys(items: list[dict[str, Any]], with_versions: bool) -> list[list[Any]]:
    rows = []
    for it in items:
        row = [f"`{it['key']}`", " / ".join(it.get("labels", []))]
        if with_versions:
            vs = it.get("versions", list(VERSIONS))
            row += ["✓" if v in vs else "" for v in VERSIONS]
        notes = []
        if it.get("unit"):
            notes.append(f"unit {it['unit']}")
        if it.get("derived_from"):
            notes.append("derived (value_flag `derived`) as the sum of " + ", ".join(f"`{k}`" for k in it["derived_from"]) + " when those are printed instead")
        row += [" · ".join(it.get("aliases", [])), "; ".join(notes)]
        rows.append(row)
    return rows


def _spec_section(spec: dict[str, Any]) -> list[str]:
    out = [
        "## Canonical keys",
        "",
        f"From `normalize/spec/labels.toml` (spec version {spec.get('spec_version', '?')}). Labels are shown as the "
        "matcher compares them: NFKC, whitespace and punctuation folded, list numbering (`1.`, `（一）`) stripped. "
        "`aliases` are variants real reports print. ✓ marks the format versions that print a row or column; "
        "pre2019 reports have no fixed tables (their appendix numbers have `table = appendix` and the printed labels as keys).",
        "",
    ]
    vh = [f"{v}" for v in VERSIONS]
    for tkey in ("t3", "t4", "t2"):
        t = spec[tkey]
        out += [f"### `{tkey}` — {t['title']}", ""]
        versioned = any("versions" in it for it in t.get("rows", []) + t.get("columns", []))
        head = ["key", "label"] + (vh if versioned else []) + ["aliases", "notes"]
        out += [f"Rows (`row_key`), in printed order:", ""]
        out += _table(head, _keys(t.get("rows", []), versioned))
        out += ["", "Columns (`col_key`):", ""]
        out += _table(head, _keys(t.get("columns", []), versioned))
        if t.get("groups"):
            out += ["", "Group labels (merged cells giving context, not rows themselves): "
                    + " · ".join(f"{k}: {' / '.join(v)}" for k, v in t["groups"].items())]
        out.append("")
        if tkey == "t2":
            out += ["Cells each row prints, by format version:", ""]
            out += _table(
                ["format_version", "row_key", "col_keys"],
                [[f"`{v}`", f"`{r}`", " · ".join(f"`{c}`" for c in cols)] for v in ("2021", "2019") for r, cols in T2_CELLS[v].items()],
            )
            out += [
                "",
                "`procurement.amount` is in the unit printed (万元 or 元), given in `unit`.",
                "",
                "Table 2's keys differ by format version on purpose: never compare a 2019 column with a 2021 "
                "column of the same row (e.g. 2019 `made`/`published`/`total_published` vs 2021 `issued`/`repealed`/`in_force`). "
                "Filter `facts` by `format_version` first.",
                "",
            ]
        if tkey == "t3":
            out += [
                "`other_handling` (（六）其他处理) is printed as one row by 2019-format reports and by some 2021-format "
                "ones; where the three 2021 sub-rows are printed instead, `other_handling` is added as their sum "
                "(`value_flag = derived`) so the two versions stay comparable.",
                "",
            ]
    if spec.get("sections"):
        out += ["### Report sections", "", "The six sections of the national format (the text of 一, 五 and 六 is in `reports`).", ""]
        out += _table(
            ["key", "number", "label", "aliases"],
            [[f"`{s['key']}`", s.get("number", ""), " / ".join(s.get("labels", [])), " · ".join(s.get("aliases", []))] for s in spec["sections"]],
        )
        out.append("")
    return out


_LOADING = """\
## Loading the data

A published dataset is a folder (`data/dataset` after `make demo`) holding three tables
of Parquet files:

```
dataset/                     a symlink to the current build (switched atomically)
  _build.json                build id, time, parser and schema version, counts by status
  reports/year=2023/part-0.parquet
  reports/year=0/part-0.parquet      reports whose year could not be determined
  facts/year=2023/part-0.parquet
  documents/part-0.parquet
```

```python
import pandas as pd
reports = pd.read_parquet("data/dataset/reports")
facts = pd.read_parquet("data/dataset/facts")

import duckdb
duckdb.sql("select * from read_parquet('data/dataset/facts/**/*.parquet', hive_partitioning=true)")

import polars as pl
reports = pl.read_parquet("data/dataset/reports")        # a folder: hive partitions are read
facts = pl.scan_parquet("data/dataset/facts/**/*.parquet", hive_partitioning=True).collect()

import pyarrow.dataset as pads, pyarrow as pa
facts = pads.dataset("data/dataset/facts", format="parquet",
                     partitioning=pads.partitioning(pa.schema([("year", pa.int16())]), flavor="hive")).to_table()
```

Things to know:

- `year` is the partition key: it is stored in the directory name, not inside the files.
  Every reader gives back the same integer, with its own type: pandas a categorical of
  integers (`reports["year"].astype(int)` for a plain column), DuckDB `BIGINT`, Polars `Int64`
  (with `hive_partitioning=True` or a folder path; a glob without it drops `year`), pyarrow
  `int16` with the explicit partitioning above. **`year = 0` means the year could not be
  determined** (pyarrow, and so pandas, cannot read a null hive partition); filter it out
  before computing with years.
- The low-cardinality string columns of `facts` are dictionary-encoded: pandas gives
  categoricals, Polars `Categorical`, DuckDB plain `VARCHAR`.
- `facts.table` is an SQL keyword: write `"table"` in DuckDB.
- Join `facts` to `reports` on `report_id` (and `year`).
- `value` is null wherever the cell holds no number; `value_flag` says why. Never fill nulls with 0.
- Reports whose checks fail are kept: `checks_failed` counts the failed checks and `issues` lists them.
"""


def render(spec_path: Path = LABELS_PATH) -> str:
    spec = load_labels(spec_path)
    out = [
        "# govreports codebook",
        "",
        "<!-- Generated by `govreports codebook --out docs/codebook.md` (`make codebook`) from "
        "normalize/dataset.py and normalize/spec/labels.toml. Do not edit by hand. -->",
        "",
        f"Dataset schema version **{ds.SCHEMA_VERSION}** · label spec version **{spec.get('spec_version', '?')}**.",
        "",
        "An open dataset of China's government information-disclosure annual reports "
        "(政府信息公开工作年度报告): one row per report in `reports`, one row per printed number in "
        "`facts`, one row per fetched file in `documents`. Keys are stable English snake_case; "
        "a key changes only with a schema version bump noted here.",
        "",
        "Contents: [Loading the data](#loading-the-data) · [Tables](#tables) · "
        "[Status values](#status-values) · [Value flags](#value-flags) · [Fact tables](#fact-tables) · "
        "[Checks](#checks) · [Canonical keys](#canonical-keys) · [Format versions](#format-versions)",
        "",
        _LOADING,
        "## Tables",
        "",
    ]
    for name, schema in ds.SCHEMAS.items():
        out += _columns_section(name, schema)
    out += ["## Status values", "", "`reports.status`:", ""]
    out += _table(["status", "meaning"], [[f"`{k}`", v] for k, v in ds.STATUS_DESCRIPTIONS.items()])
    out += ["", "## Value flags", "", "`facts.value_flag`:", ""]
    out += _table(["value_flag", "meaning"], [[f"`{k}`" if k != "(null)" else "null", v] for k, v in ds.VALUE_FLAGS.items()])
    out += ["", "`value` is null for every flag except `annotated`, `unit` and `derived` (and null itself)."]
    out += ["", "## Fact tables", "", "`facts.table`:", ""]
    out += _table(["table", "meaning"], [[f"`{k}`", v] for k, v in ds.FACT_TABLES.items()])
    out += [
        "",
        "## Checks",
        "",
        "Every report gets these checks (`normalize/checks.py`); a failure is listed in `reports.issues` "
        "with the code below, and table-check errors are counted in `reports.checks_failed`. Warnings "
        "(severity `warning`) flag doubtful but not wrong readings; notes (severity `info`) say where a value came "
        "from. A report whose checks fail stays in the dataset.",
        "",
    ]
    out += _table(["issue code", "check"], [[f"`{k}`", v] for k, v in checks.CHECKS.items()])
    out += [
        "",
        "Other issue codes name the stage that raised them: `extract.*` (reading the file), `meta.*` "
        "(title, year, agency, region, format version), `t2.*`/`t3.*`/`t4.*` (table mapping), `text.*` "
        "(text against tables). Files the normalizer could not handle at all get a `failed` row with one of:",
        "",
        *_table(["issue code", "meaning"], [[f"`{k}`", v] for k, v in ds.INTERNAL_ISSUES.items()]),
        "",
        "Region fields (`admin_code`, `province`, `city`, `county`) come from the agency name and the "
        "region of the portal that published the report (`normalize/regions.py`, table and provenance in "
        "`normalize/spec/REGIONS.md`). They are left empty, never guessed, when the two do not settle one "
        "region. The issues they raise:",
        "",
        *_table(["issue code", "severity", "meaning"],
                [[f"`{k}`", f"`{sev}`", v] for k, (sev, v) in regions.REGION_ISSUES.items()]),
        "",
    ]
    out += _spec_section(spec)
    out += [
        "## Format versions",
        "",
        *_table(
            ["format_version", "report years", "basis"],
            [
                ["`pre2019`", "2008–2018", "old Regulations (State Council Decree 492); free text, optional appendix tables"],
                ["`2019`", "2019–2020", "国办公开办函〔2019〕60号《中华人民共和国政府信息公开工作年度报告格式（试行）》"],
                ["`2021`", "2021 onward", "国办公开办函〔2021〕30号"],
            ],
        ),
        "",
        "The version is decided from the table labels actually present (table 2's columns, table 3's （六） rows), "
        "not from the year alone; an issue is recorded when the two disagree.",
        "",
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def write(out: Path) -> None:
    out.write_text(render(), encoding="utf-8")
