"""The Parquet dataset: explicit schemas for `reports`, `facts`, `documents` and a
streaming, atomically published writer.

Layout of a published dataset ``OUT`` (SCHEMA.md is the contract)::

    OUT -> .OUT-<build id>/            OUT is a symlink, switched atomically on publish
        _build.json                    build id, time, parser version, counts
        reports/year=2023/part-0.parquet
        reports/year=0/part-0.parquet  reports whose year could not be determined
        facts/year=2023/part-0.parquet
        documents/part-0.parquet       (not partitioned: a fetched file has no year)

``year`` is the hive partition key: it lives in the directory name, not inside the
files, so that pandas, pyarrow, DuckDB and Polars all read the same integer back.
An unknown year is written as ``year=0`` and not as Hive's
``__HIVE_DEFAULT_PARTITION__``: pyarrow (and so ``pandas.read_parquet``) cannot read a
null hive partition of a dictionary-inferred key ("Cannot yet unify dictionaries
with nulls", pandas-dev/pandas#55400), and a year column stored inside the files as
well clashes with the partition key's inferred type in pyarrow.

Publishing: everything is written into a hidden staging directory beside ``OUT``
(``.OUT-<build id>.partial``), which is renamed to ``.OUT-<build id>`` when complete;
then a new symlink is created and moved over ``OUT`` with ``os.replace`` (an atomic
rename on POSIX). Readers see the old dataset or the new one, never a mix. The
previous build is kept (a reader that opened it keeps working); older builds and
staging directories left by crashed runs are removed after the switch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import secrets
import shutil
import socket
import time
from collections import Counter
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

import pyarrow as pa
import pyarrow.parquet as pq

from normalize.metadata import AGENCY_KINDS
from normalize.record import PARSER_VERSION, STATUSES, Issue, Record
from normalize.values import FLAGS

log = logging.getLogger(__name__)

#: bump on any change of a column's name, type or meaning (and say so in the codebook)
SCHEMA_VERSION = "1.0.0"

#: partition value of reports (and their facts) whose year could not be determined
UNKNOWN_YEAR = 0

#: the hive partition key of `reports` and `facts`
PARTITION_KEY = "year"

TABLES = ("reports", "facts", "documents")
PARTITIONED = {"reports": True, "facts": True, "documents": False}

_DICT = pa.dictionary(pa.int32(), pa.string())
_UTC_US = pa.timestamp("us", tz="UTC")
_ISSUE = pa.struct([("code", pa.string()), ("severity", pa.string()), ("message", pa.string())])

#: what a report's `status` means
STATUS_DESCRIPTIONS: dict[str, str] = {
    "ok": "Read completely; the tables the report's format requires were found and mapped.",
    "partial": "Read, but something is missing or did not map (a table, a row, a section); see `issues`.",
    "needs_ocr": "A scan or an image whose numbers could not be verified: OCR did not read tables 3 and 4 whole "
                 "with every check holding (`extract.ocr_rejected` in `issues` says which failed), or Tesseract is "
                 "not installed. No facts are kept; the OCR text, if any, is in `full_text`.",
    "failed": "The file could not be read at all (corrupt, encrypted, unsupported, or the normalizer crashed); see `issues`.",
    "not_a_report": "The file was read but is not an annual report (a notice, a list page, an attachment index …).",
}

#: what a fact's `value_flag` means: null for a plain number, else normalize.values.FLAGS
VALUE_FLAGS: dict[str, str] = {"(null)": "a plain number, printed as such; `value` holds it", **FLAGS}

#: issue codes the runner gives files the normalizer could not handle at all
INTERNAL_ISSUES: dict[str, str] = {
    "internal.error": "the normalizer raised an exception on this file (a bug); the message names it",
    "internal.worker_crash": "the worker process died reading this file (a crash in a parsing library, or out of memory)",
    "internal.timeout": "normalizing ran past its time limit (NORMALIZE_TIMEOUT); the worker was stopped",
    "internal.schema": "the normalizer's record did not fit the dataset schema (a bug); the message names the column",
}

#: the fact tables (`facts.table`)
FACT_TABLES: dict[str, str] = {
    "t2": "二、主动公开政府信息情况 (proactive disclosure)",
    "t3": "三、收到和处理政府信息公开申请情况 (requests received and handled)",
    "t4": "四、政府信息公开行政复议、行政诉讼情况 (administrative review and litigation)",
    "appendix": "pre2019 appendix tables; row_key/col_key are the normalized printed labels",
}


def _field(name: str, type_: pa.DataType, description: str, label_zh: str | None = None, nullable: bool = True) -> pa.Field:
    meta = {"description": description}
    if label_zh:
        meta["label_zh"] = label_zh
    return pa.field(name, type_, nullable=nullable, metadata=meta)


def _schema(table: str, fields: list[pa.Field], description: str) -> pa.Schema:
    return pa.schema(
        fields,
        metadata={
            "govreports.table": table,
            "govreports.schema_version": SCHEMA_VERSION,
            "govreports.description": description,
            "govreports.partitioning": f"hive:{PARTITION_KEY}" if PARTITIONED[table] else "none",
        },
    )


_YEAR_DESC = (
    "Report year (the year the report covers), taken from the title and body. Hive partition key: "
    "stored in the directory name (year=2023), not inside the files. 0 = the year could not be determined."
)

_AGENCY_KIND_DESC = ("Kind of agency, read from how its name ends: "
                     + "; ".join(f"{k}: {v}" for k, v in AGENCY_KINDS.items()) + "; null when the name does not say.")
_ADMIN_CODE_DESC = (
    "6-digit administrative division code (GB/T 2260; table and provenance in normalize/spec/REGIONS.md) of the "
    "agency's area: the deepest region its name names, ambiguous names (朝阳区) settled by the other regions "
    "named or by the publishing portal's region; the portal's region when the name names none (info issue "
    "meta.region_from_hint). Empty, never guessed, when the name is ambiguous (meta.region_unresolved) or "
    "contradicts the portal's region (meta.region_conflict)."
)

REPORTS_SCHEMA = _schema(
    "reports",
    [
        _field("report_id", pa.string(), "Stable identifier of the report, the same across re-runs; primary key of `reports`, key of `facts`.", "报告标识", nullable=False),
        _field("year", pa.int16(), _YEAR_DESC, "报告年度"),
        _field("format_version", pa.string(), "Which national format the report follows: pre2019, 2019 (国办公开办函〔2019〕60号) or 2021 (国办公开办函〔2021〕30号); decided from the printed table labels.", "年度报告格式"),
        _field("agency_name", pa.string(), "The reporting agency as named in the report.", "行政机关名称"),
        _field("agency_kind", pa.string(), _AGENCY_KIND_DESC, "机关类型"),
        _field("admin_code", pa.string(), _ADMIN_CODE_DESC, "行政区划代码"),
        _field("province", pa.string(), "Province-level division.", "省（自治区、直辖市）"),
        _field("city", pa.string(), "Prefecture-level division (the municipality itself for 北京, 天津, 上海, 重庆; empty for a county-level city directly under its province).", "市（地区、州、盟）"),
        _field("county", pa.string(), "County-level division.", "县（市、区、旗）"),
        _field("portal", pa.string(), "The spider (city crawl, e.g. cq) that collected the report; the site is the host of source_url. Null for local files.", "来源门户"),
        _field("title", pa.string(), "Title of the report as published.", "标题"),
        _field("publish_date", pa.date32(), "Date the report was published.", "发布日期"),
        _field("source_url", pa.string(), "The page that published the report.", "来源网页"),
        _field("document_url", pa.string(), "The file itself (equal to source_url for HTML reports).", "文件地址"),
        _field("source_format", pa.string(), "Format of the file read (from its bytes, not its name): html, pdf, docx, doc, wps, xls, xlsx, txt, image.", "文件格式"),
        _field("doc_sha256", pa.string(), "SHA-256 of the file's bytes (hex); joins `documents.sha256`.", "文件哈希"),
        _field("crawled_at", _UTC_US, "When the file was fetched (UTC).", "抓取时间"),
        _field("parser_version", pa.string(), "Version of the normalizer that produced this row.", "解析程序版本"),
        _field("status", pa.string(), "ok, partial, needs_ocr, failed or not_a_report (see the codebook).", "处理状态", nullable=False),
        _field("issues", pa.list_(_ISSUE), "Check failures, warnings and notes: code, severity (error; warning: a doubtful reading; info: where a value came from), message. A report whose checks fail stays in the dataset.", "问题"),
        _field("checks_failed", pa.int16(), "Number of failed table checks: issues of severity error whose code starts with t2., t3. or t4.", "未通过校验数"),
        _field("other_sources", pa.list_(pa.string()), "Other places the same report was found (URLs; local paths for files without one): a report found twice is kept once.", "其他来源"),
        _field("source_path", pa.string(), "Local file the row was built from.", "本地文件"),
        _field("section_overview", pa.string(), "Text of section 一、总体情况.", "一、总体情况"),
        _field("section_problems", pa.string(), "Text of section 五、存在的主要问题及改进情况.", "五、存在的主要问题及改进情况"),
        _field("section_other", pa.string(), "Text of section 六、其他需要报告的事项.", "六、其他需要报告的事项"),
        _field("full_text", pa.string(), "The report's whole text in reading order.", "全文"),
        _field("facts_count", pa.int32(), "Number of rows of this report in `facts`.", "数据项数"),
    ],
    "One row per report.",
)

FACTS_SCHEMA = _schema(
    "facts",
    [
        _field("report_id", pa.string(), "The report (`reports.report_id`).", "报告标识", nullable=False),
        _field("year", pa.int16(), _YEAR_DESC, "报告年度"),
        _field("format_version", _DICT, "The report's format version (pre2019, 2019, 2021); keys of t2 differ by version on purpose.", "年度报告格式"),
        _field("table", _DICT, "Which table: t2, t3, t4, appendix. (Quote it in SQL: \"table\".)", "表格", nullable=False),
        _field("row_key", _DICT, "Canonical row key (see the key lists in the codebook); for appendix tables the normalized printed label.", "行", nullable=False),
        _field("col_key", _DICT, "Canonical column key; for appendix tables the normalized printed label.", "列", nullable=False),
        _field("value", pa.float64(), "The number printed in the cell; null when the cell holds no number (blank, slash, dash, text) — never a silent 0.", "数值"),
        _field("value_raw", pa.string(), "The cell as printed.", "原文"),
        _field("value_flag", _DICT, "Null for a plain number; otherwise what the cell printed: " + ", ".join(FLAGS) + " (see the codebook).", "数值标记"),
        _field("unit", _DICT, "Unit printed with or stated for the number (e.g. 万元, 元), null when none.", "单位"),
    ],
    "One row per printed number (or printed non-number) of a statistical table.",
)

DOCUMENTS_SCHEMA = _schema(
    "documents",
    [
        _field("url", pa.string(), "URL the file was fetched from.", "网址", nullable=False),
        _field("sha256", pa.string(), "SHA-256 of the file's bytes (hex); the raw store's file name.", "文件哈希"),
        _field("content_type", pa.string(), "Content-Type the server sent.", "内容类型"),
        _field("size", pa.int64(), "Size of the file in bytes.", "文件大小"),
        _field("fetched_at", _UTC_US, "When the file was fetched (UTC).", "抓取时间"),
        _field("http_status", pa.int16(), "HTTP status of the response.", "HTTP状态码"),
        _field("referer", pa.string(), "The page that linked to the file.", "引用页"),
        _field("portal", pa.string(), "The spider (city crawl, e.g. cq) that fetched the file.", "来源门户"),
        _field("stored_path", pa.string(), "Where the raw store keeps the bytes.", "存储路径"),
    ],
    "One row per fetched file.",
)

SCHEMAS: dict[str, pa.Schema] = {"reports": REPORTS_SCHEMA, "facts": FACTS_SCHEMA, "documents": DOCUMENTS_SCHEMA}


def file_schema(table: str) -> pa.Schema:
    """The schema of the Parquet files of `table` (the partition key lives in the path)."""
    schema = SCHEMAS[table]
    if PARTITIONED[table]:
        schema = schema.remove(schema.get_field_index(PARTITION_KEY))
    return schema


# ---------------------------------------------------------------- value coercion


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _to_str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, Path):
        return str(v)
    return v if isinstance(v, str) else str(v)


def _to_int(v: Any, lo: int, hi: int, name: str) -> int | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        raise ValueError(f"{name}: expected an integer, got a bool")
    if isinstance(v, float):
        if not v.is_integer():
            raise ValueError(f"{name}: expected an integer, got {v!r}")
        v = int(v)
    elif isinstance(v, str):
        v = int(v.strip())
    elif not isinstance(v, int):
        v = int(v)
    if not lo <= v <= hi:
        raise ValueError(f"{name}: {v} is out of range")
    return v


def _to_float(v: Any, name: str) -> float | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        raise ValueError(f"{name}: expected a number, got a bool")
    f = float(v)
    return None if math.isnan(f) else f


def _to_date(v: Any, name: str) -> date | None:
    if _blank(v):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        return date.fromisoformat(v.strip()[:10])
    raise ValueError(f"{name}: expected a date, got {type(v).__name__}")


def _to_utc(v: Any, name: str) -> datetime | None:
    """Timestamps are stored in UTC; a naive datetime is taken to be UTC already."""
    if _blank(v):
        return None
    if isinstance(v, str):
        v = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        return datetime.fromtimestamp(v, tz=timezone.utc)
    elif isinstance(v, date) and not isinstance(v, datetime):
        v = datetime(v.year, v.month, v.day)
    if not isinstance(v, datetime):
        raise ValueError(f"{name}: expected a datetime, got {type(v).__name__}")
    return v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v.astimezone(timezone.utc)


def _to_issue(v: Any) -> dict[str, str | None]:
    if isinstance(v, Issue):
        return {"code": v.code, "severity": v.severity, "message": v.message}
    if isinstance(v, Mapping):
        return {"code": _to_str(v.get("code")), "severity": _to_str(v.get("severity")), "message": _to_str(v.get("message"))}
    if is_dataclass(v):
        return _to_issue(asdict(v))
    if isinstance(v, (tuple, list)) and len(v) == 3:
        return {"code": _to_str(v[0]), "severity": _to_str(v[1]), "message": _to_str(v[2])}
    raise ValueError(f"issues: cannot read {v!r} as an issue")


def _to_str_list(v: Any, name: str) -> list[str]:
    if _blank(v):
        return []
    if isinstance(v, str):
        return [v]
    return [s for s in (_to_str(x) for x in v) if s]


_INT_RANGES = {pa.int16(): (-(2**15), 2**15 - 1), pa.int32(): (-(2**31), 2**31 - 1), pa.int64(): (-(2**63), 2**63 - 1)}


def _coerce(field: pa.Field, v: Any) -> Any:
    t = field.type
    if pa.types.is_string(t) or pa.types.is_dictionary(t):
        return _to_str(v)
    if pa.types.is_integer(t):
        lo, hi = _INT_RANGES[t]
        return _to_int(v, lo, hi, field.name)
    if pa.types.is_floating(t):
        return _to_float(v, field.name)
    if pa.types.is_date(t):
        return _to_date(v, field.name)
    if pa.types.is_timestamp(t):
        return _to_utc(v, field.name)
    if t == pa.list_(_ISSUE):
        return [] if _blank(v) else [_to_issue(i) for i in v]
    if t == pa.list_(pa.string()):
        return _to_str_list(v, field.name)
    raise TypeError(f"no coercion for {field.name}: {t}")  # pragma: no cover - schema bug


def is_check_code(code: str | None) -> bool:
    """Is this issue code one of the table checks (counted in `checks_failed`)?"""
    return bool(code) and code.split(".")[0] in ("t2", "t3", "t4")


def partition_year(year: int | None) -> int:
    return UNKNOWN_YEAR if year is None else year


def report_row(record: Record) -> dict[str, Any]:
    """The `reports` row of a record, coerced to the schema's types (raises ValueError on bad values).

    `year` is the partition value (UNKNOWN_YEAR when unknown); `checks_failed` and
    `facts_count` are computed when the record does not carry them.
    """
    row = _coerce_row("reports", REPORTS_SCHEMA, record.report)
    if not row["report_id"]:
        raise ValueError("reports.report_id is missing")
    if not row["status"]:
        raise ValueError("reports.status is missing")
    if row["status"] not in STATUSES:
        log.warning("report %s: unknown status %r", row["report_id"], row["status"])
    row["year"] = partition_year(row["year"])
    if row["checks_failed"] is None:
        row["checks_failed"] = sum(1 for i in row["issues"] if i["severity"] == "error" and is_check_code(i["code"]))
    if row["facts_count"] is None:
        row["facts_count"] = len(record.facts)
    unknown = set(record.report) - set(REPORTS_SCHEMA.names)
    if unknown:
        log.debug("report %s: keys not in the schema ignored: %s", row["report_id"], sorted(unknown))
    return row


_FACT_STR = ("table", "row_key", "col_key", "value_raw", "value_flag", "unit")


def fact_rows(record: Record, report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The `facts` rows of a record; `report` is its coerced report row."""
    rows = []
    base = {"report_id": report["report_id"], "year": report["year"], "format_version": report["format_version"]}
    for fact in record.facts:
        get = fact.get if isinstance(fact, dict) else lambda name, f=fact: getattr(f, name, None)
        row = dict(base)
        for name in _FACT_STR:
            v = get(name)
            row[name] = v if v is None or type(v) is str else _to_str(v)
        v = get("value")
        row["value"] = float(v) if type(v) is int or (type(v) is float and v == v) else _to_float(v, "facts.value")
        if not (row["table"] and row["row_key"] and row["col_key"]):
            raise ValueError(f"facts: table, row_key and col_key are required, got {fact!r}")
        rows.append(row)
    return rows


def _coerce_row(table: str, schema: pa.Schema, values: Mapping[str, Any]) -> dict[str, Any]:
    """One row with every column of `schema`, each value coerced to its type (ValueError naming the column)."""
    row: dict[str, Any] = {}
    for f in schema:
        try:
            row[f.name] = _coerce(f, values.get(f.name))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{table}.{f.name}: {e}") from e
    return row


def document_row(row: Mapping[str, Any]) -> dict[str, Any]:
    out = _coerce_row("documents", DOCUMENTS_SCHEMA, row)
    if not out["url"]:
        raise ValueError("documents.url is missing")
    return out


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unicode_safe(v: Any) -> Any:
    """`v` with every surrogate code point in its strings replaced by U+FFFD (they have no UTF-8)."""
    if isinstance(v, str):
        return _SURROGATE.sub("\ufffd", v)
    if isinstance(v, list):
        return [_unicode_safe(x) for x in v]
    if isinstance(v, dict):
        return {k: _unicode_safe(x) for k, x in v.items()}
    return v


def _table_from_rows(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    try:
        return _arrow_table(table, rows)
    except UnicodeEncodeError:
        # A lone surrogate (a garbled PDF text layer decodes to one) cannot be written as UTF-8;
        # it must not fail the whole build: it is written as U+FFFD.
        log.warning("%s: a string with a surrogate code point written with U+FFFD in its place", table)
        return _arrow_table(table, [{k: _unicode_safe(v) for k, v in row.items()} for row in rows])


def _arrow_table(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = file_schema(table)
    arrays = []
    for f in schema:
        values = [r[f.name] for r in rows]
        if pa.types.is_dictionary(f.type):
            arr = pa.array(values, pa.string()).dictionary_encode()
            arr = arr.cast(f.type) if arr.type != f.type else arr
        else:
            arr = pa.array(values, f.type)
        arrays.append(arr)
    # One batch → one dictionary per column; unify anyway so that a row group never mixes
    # dictionaries (FINDINGS: mixed dictionaries silently lose dictionary encoding).
    return pa.Table.from_arrays(arrays, schema=schema).unify_dictionaries()


def _row_size(row: Mapping[str, Any]) -> int:
    """Rough in-memory size of a buffered row (CJK text takes 2 bytes a character)."""
    return 400 + 2 * sum(len(v) for v in row.values() if isinstance(v, str))


# ---------------------------------------------------------------- the writer


class _PartitionWriter:
    """Rows of one table and one partition: buffered, flushed in batches, rolled over into part files."""

    def __init__(self, directory: Path, table: str, max_rows_per_file: int) -> None:
        self.directory = directory
        self.table = table
        self.max_rows_per_file = max_rows_per_file
        self.buffer: list[dict[str, Any]] = []
        self.buffer_bytes = 0
        self.writer: pq.ParquetWriter | None = None
        self.part = 0
        self.rows_in_file = 0
        self.files: list[Path] = []
        self.rows = 0

    def append(self, row: dict[str, Any], size: int) -> None:
        self.buffer.append(row)
        self.buffer_bytes += size

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer, self.buffer_bytes = self.buffer, [], 0
        while rows:
            if self.writer is None:
                self._open()
            room = self.max_rows_per_file - self.rows_in_file
            chunk, rows = rows[:room], rows[room:]
            self.writer.write_table(_table_from_rows(self.table, chunk))
            self.rows_in_file += len(chunk)
            self.rows += len(chunk)
            if self.rows_in_file >= self.max_rows_per_file:
                self._close_file()

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"part-{self.part}.parquet"
        self.writer = pq.ParquetWriter(path, file_schema(self.table), compression="zstd")
        self.files.append(path)
        self.part += 1
        self.rows_in_file = 0

    def _close_file(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def close(self) -> None:
        self.flush()
        self._close_file()

    def write_empty(self) -> None:
        """An empty file, so that a table with no rows still reads with its schema."""
        self._open()
        self.writer.write_table(file_schema(self.table).empty_table())
        self._close_file()


def new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class DatasetWriter:
    """Stream Records (and document rows) into a Parquet dataset published atomically at `out`.

    ::

        with DatasetWriter("data/dataset") as w:
            for record in records:
                w.add(record)
        # published here; on an exception inside the `with`, nothing is published

    `out` is (or becomes) a symlink to a hidden build directory beside it. A crash before
    close — an exception, or the process killed — leaves the dataset previously at
    `out` readable and unchanged; the staging directory it leaves is removed by a later build.
    """

    STALE_SECONDS = 7 * 24 * 3600  # staging dirs of other hosts (shared filesystems) are removed after this
    MARKER_GRACE_SECONDS = 60  # a staging dir with no readable _building.json this old is a dead build's

    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        batch_rows: int = 10_000,
        batch_bytes: int = 128 << 20,
        max_rows_per_file: int = 1_000_000,
        build_id: str | None = None,
    ) -> None:
        if batch_rows < 1 or max_rows_per_file < 1:
            raise ValueError("batch_rows and max_rows_per_file must be positive")
        self.out = Path(out).absolute()
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self.max_rows_per_file = max_rows_per_file
        self.build_id = build_id or new_build_id()
        self.build_name = f".{self.out.name}-{self.build_id}"
        self.build_dir = self.out.parent / self.build_name
        self.staging = self.out.parent / (self.build_name + ".partial")
        self.started_at: datetime | None = None
        self._parts: dict[tuple[str, int | None], _PartitionWriter] = {}
        self._buffered = 0  # bytes buffered over all partitions
        self._year_of: dict[str, int] = {}  # report_id → partition, for duplicates
        self._more_sources: dict[str, list[str]] = {}  # report_id → sources of its duplicates
        self._state = "new"
        # statistics, for _build.json and the run summary
        self.status_counts: Counter[str] = Counter()
        self.year_counts: Counter[int] = Counter()
        self.issue_codes: Counter[str] = Counter()  # code → number of reports with it
        self.error_codes: Counter[str] = Counter()  # the same, for issues of severity error
        self.parser_versions: Counter[str] = Counter()
        self.reports_with_errors = 0
        self.reports_failing_checks = 0
        self.duplicates: list[dict[str, Any]] = []
        self.counts = {t: 0 for t in TABLES}

    # -- lifecycle

    def __enter__(self) -> "DatasetWriter":
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    def open(self) -> "DatasetWriter":
        if self._state != "new":
            raise RuntimeError("DatasetWriter can be opened once")
        if self.out.exists() and not self.out.is_symlink():
            if not (self.out.is_dir() and not any(self.out.iterdir())):  # an empty folder is replaced on publish
                raise FileExistsError(
                    f"{self.out} exists and is not a dataset published by govreports (a symlink to a build); "
                    "move it away or choose another output path"
                )
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir()
        try:
            (self.staging / "_building.json").write_text(
                json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()})
            )
        except BaseException:
            # (a full disk) an unreadable _building.json would keep the next builds from
            # telling this staging directory is dead: it would stay for STALE_SECONDS
            shutil.rmtree(self.staging, ignore_errors=True)
            raise
        self.started_at = datetime.now(timezone.utc)
        self._state = "open"
        log.info("building %s in %s", self.out, self.staging)
        return self

    def abort(self) -> None:
        """Drop the build; whatever was at `out` stays as it was."""
        if self._state != "open":
            return
        self._state = "aborted"
        for p in self._parts.values():
            try:
                p._close_file()
            except Exception:  # pragma: no cover - best effort
                pass
        shutil.rmtree(self.staging, ignore_errors=True)
        log.info("build %s aborted; %s unchanged", self.build_id, self.out)

    def close(self) -> Path:
        """Finish all files and publish the build at `out` atomically. Returns the build directory."""
        if self._state != "open":
            raise RuntimeError(f"cannot close a writer that is {self._state}")
        try:
            for p in self._parts.values():
                p.close()
            self._buffered = 0
            self._merge_other_sources()
            for table in TABLES:
                if not any(k[0] == table for k in self._parts):
                    self._partition(table, UNKNOWN_YEAR if PARTITIONED[table] else None).write_empty()
            (self.staging / "_building.json").unlink()
            (self.staging / "_build.json").write_text(json.dumps(self.build_info(), ensure_ascii=False, indent=2) + "\n")
            for path in sorted(self.staging.rglob("*")):
                _fsync_path(path, directory=path.is_dir())
            _fsync_path(self.staging, directory=True)
            # switch and clean up under a lock, so that a concurrent build's cleanup never
            # removes a build between its rename and its switch
            with self._lock():
                os.rename(self.staging, self.build_dir)
                try:
                    previous = self._publish()
                except BaseException:
                    if not (self.out.is_symlink() and os.readlink(self.out) == self.build_name):
                        shutil.rmtree(self.build_dir, ignore_errors=True)
                    raise
                self._state = "closed"
                try:
                    self._cleanup(keep={self.build_name, previous})
                except OSError as e:  # pragma: no cover - cleanup is best effort
                    log.warning("could not remove old builds: %s", e)
        except BaseException:
            self.abort()
            raise
        log.info("published %s -> %s", self.out, self.build_name)
        return self.build_dir

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        fd = os.open(self.out.parent / f".{self.out.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _publish(self) -> str | None:
        """Point `out` at the new build with one atomic rename. Returns the previous build's name."""
        previous = os.readlink(self.out) if self.out.is_symlink() else None
        if previous is None and self.out.is_dir():
            self.out.rmdir()  # empty (checked on open); raises if something was put there since
        link = self.out.parent / f"{self.build_name}.link"
        if link.is_symlink():
            link.unlink()
        os.symlink(self.build_name, link)  # relative: the data folder can be moved as a whole
        os.replace(link, self.out)
        _fsync_path(self.out.parent, directory=True)
        return previous

    def _cleanup(self, keep: set[str | None]) -> None:
        prefix = f".{self.out.name}-"
        for entry in self.out.parent.iterdir():
            name = entry.name
            if not name.startswith(prefix) or name in keep:
                continue
            if name.endswith(".partial"):
                if self._stale_staging(entry):
                    log.info("removing staging directory of a crashed build: %s", entry)
                    shutil.rmtree(entry, ignore_errors=True)
            elif name.endswith(".link"):
                if entry.is_symlink() and time.time() - entry.lstat().st_mtime > 60:
                    entry.unlink(missing_ok=True)
            elif entry.is_dir() and not entry.is_symlink() and (entry / "_build.json").exists():
                log.info("removing old build %s", entry)
                shutil.rmtree(entry, ignore_errors=True)

    def _stale_staging(self, path: Path) -> bool:
        try:
            info = json.loads((path / "_building.json").read_text())
        except (OSError, ValueError):
            info = {}
        age = time.time() - info.get("started", path.stat().st_mtime)
        if info.get("host") == socket.gethostname() and isinstance(info.get("pid"), int):
            return not _pid_alive(info["pid"])
        if not info:
            # no readable marker: its build died between mkdir and writing the marker, which
            # follows at once (a live build's marker is never a minute late)
            return age > self.MARKER_GRACE_SECONDS
        return age > self.STALE_SECONDS

    # -- rows

    def _partition(self, table: str, year: int | None) -> _PartitionWriter:
        key = (table, year)
        p = self._parts.get(key)
        if p is None:
            d = self.staging / table
            if PARTITIONED[table]:
                d = d / f"{PARTITION_KEY}={year}"
            p = self._parts[key] = _PartitionWriter(d, table, self.max_rows_per_file)
        return p

    def _append(self, table: str, year: int | None, row: dict[str, Any], size: int | None = None) -> None:
        p = self._partition(table, year)
        size = _row_size(row) if size is None else size
        p.append(row, size)
        self._buffered += size
        self.counts[table] += 1
        if len(p.buffer) >= self.batch_rows:
            self._flush(p)
        elif self._buffered >= self.batch_bytes:
            # memory stays bounded whatever the number of partitions: flush the biggest buffers
            for q in sorted(self._parts.values(), key=lambda q: q.buffer_bytes, reverse=True):
                if self._buffered < self.batch_bytes // 2:
                    break
                self._flush(q)

    def _flush(self, p: _PartitionWriter) -> None:
        self._buffered -= p.buffer_bytes
        p.flush()

    def add(self, record: Record) -> bool:
        """Add one report and its facts. Raises ValueError (adding nothing) if a value does not fit
        the schema.

        One report, one row: a report_id already added is not written again (returns False);
        its sources (URL, else local path) are added to the first row's `other_sources`
        when the build closes, and it is listed under `duplicates_skipped` in _build.json."""
        if self._state != "open":
            raise RuntimeError("DatasetWriter is not open (use it as a context manager)")
        row = report_row(record)
        facts = fact_rows(record, row)
        rid = row["report_id"]
        if rid in self._year_of:
            log.info("report %s found again at %s; recorded in other_sources", rid, row.get("source_url") or row.get("source_path"))
            self.duplicates.append({k: row[k] for k in ("report_id", "source_path", "source_url", "doc_sha256")})
            more = self._more_sources.setdefault(rid, [])
            more.extend(s for s in (row["source_url"] or row["document_url"] or row["source_path"], *row["other_sources"]) if s)
            return False
        self._year_of[rid] = row["year"]
        year = row.pop("year")
        for fact in facts:
            fact.pop("year")
        self._append("reports", year, row)
        for fact in facts:
            self._append("facts", year, fact, 600 + 2 * len(fact["value_raw"] or ""))
        self.status_counts[row["status"]] += 1
        self.year_counts[year] += 1
        if row["parser_version"]:
            self.parser_versions[row["parser_version"]] += 1
        if any(i["severity"] == "error" for i in row["issues"]):
            self.reports_with_errors += 1
        if row["checks_failed"]:
            self.reports_failing_checks += 1
        self.issue_codes.update({i["code"] for i in row["issues"] if i["code"]})
        self.error_codes.update({i["code"] for i in row["issues"] if i["code"] and i["severity"] == "error"})
        return True

    def add_many(self, records: Iterable[Record]) -> None:
        for r in records:
            self.add(r)

    def add_document(self, row: Mapping[str, Any]) -> None:
        """Add one `documents` row (a mapping with the documents columns)."""
        if self._state != "open":
            raise RuntimeError("DatasetWriter is not open (use it as a context manager)")
        self._append("documents", None, document_row(row))

    def _merge_other_sources(self) -> None:
        """Add the sources of skipped duplicates to the kept rows' `other_sources`, rewriting only
        the affected part files, batch by batch (memory stays bounded)."""
        if not self._more_sources:
            return
        years = {self._year_of[rid] for rid in self._more_sources}
        schema = file_schema("reports")
        idx = schema.get_field_index("other_sources")
        for year in sorted(years):
            for path in self._parts[("reports", year)].files:
                tmp = path.with_name("." + path.name + ".tmp")
                with pq.ParquetFile(path) as src, pq.ParquetWriter(tmp, schema, compression="zstd") as dst:
                    for batch in src.iter_batches(batch_size=self.batch_rows):
                        ids = batch.column("report_id").to_pylist()
                        if any(rid in self._more_sources for rid in ids):
                            merged = []
                            for rid, own, url, spath in zip(
                                ids, batch.column("other_sources").to_pylist(), batch.column("source_url").to_pylist(),
                                batch.column("source_path").to_pylist(),
                            ):
                                extra = [s for s in self._more_sources.get(rid, ()) if s not in (url, spath)]
                                merged.append(list(dict.fromkeys((own or []) + extra)))
                            batch = batch.set_column(idx, schema.field(idx), pa.array(merged, schema.field(idx).type))
                        dst.write_table(pa.Table.from_batches([batch], schema))
                os.replace(tmp, path)

    # -- build information

    def files(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {t: [] for t in TABLES}
        for (table, _), p in sorted(self._parts.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            out[table].extend(str(f.relative_to(self.staging)) for f in p.files)
        return out

    def build_info(self) -> dict[str, Any]:
        return {
            "build_id": self.build_id,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "started_at": self.started_at.isoformat(timespec="seconds") if self.started_at else None,
            "schema_version": SCHEMA_VERSION,
            "parser_version": PARSER_VERSION,
            "parser_versions": dict(sorted(self.parser_versions.items())),
            "partitioning": {"key": PARTITION_KEY, "flavor": "hive", "unknown_year": UNKNOWN_YEAR},
            "counts": dict(self.counts),
            "reports_by_status": {s: self.status_counts.get(s, 0) for s in (*STATUSES, *sorted(set(self.status_counts) - set(STATUSES)))},
            "reports_by_year": {str(y): n for y, n in sorted(self.year_counts.items())},
            "reports_with_errors": self.reports_with_errors,
            "reports_failing_checks": self.reports_failing_checks,
            "issue_codes": dict(self.issue_codes.most_common()),
            "error_codes": dict(self.error_codes.most_common()),
            "duplicates_skipped": self.duplicates,
            "files": self.files(),
        }
