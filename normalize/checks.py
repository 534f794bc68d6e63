"""The national format's cross-checks (SCHEMA.md), run on the facts as printed.

A failed check is listed on the report, never "fixed": agencies do print tables that
do not add up, and researchers need to see that rather than a corrected number.
"""

from __future__ import annotations

import re
from typing import Callable

from normalize.labels import spec
from normalize.record import Fact, Issue

APPLICANT_COLUMNS = ["natural_person", "commercial_enterprise", "research_institution",
                     "social_welfare_org", "legal_service_org", "other_org"]
OUTCOME_ROWS = [
    "granted", "partially_granted",
    "withheld_state_secret", "withheld_prohibited_by_law", "withheld_security_stability",
    "withheld_third_party_rights", "withheld_internal_affairs", "withheld_process_information",
    "withheld_law_enforcement_files", "withheld_administrative_query",
    "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear_after_correction",
    "not_processed_petition", "not_processed_duplicate", "not_processed_publication",
    "not_processed_excessive", "not_processed_confirmation",
    "other_handling",
]

CHECKS = {
    "t3.balance": "table 3, each column: new_received + carried_over = total_processed + carried_forward",
    "t3.outcomes": "table 3, each column: the outcome rows add up to total_processed",
    "t3.applicants": "table 3, each row: the six applicant columns add up to total",
    "t4.rows": "table 4, each row: upheld + corrected + other + pending = total",
    "text.quote": "numbers quoted in the text agree with the tables",
    "t3.missing_rows": "table 3 prints every row of its format version",
    "t4.missing_cells": "table 4 prints all fifteen numbers",
}


def _eq(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


class _Cells:
    def __init__(self, facts: list[Fact], table: str) -> None:
        self.values = {(f.row_key, f.col_key): f.value for f in facts if f.table == table}
        self.rows = {f.row_key for f in facts if f.table == table}

    def get(self, row: str, col: str) -> float | None:
        return self.values.get((row, col))


def check_t3(facts: list[Fact], version: str | None) -> list[Issue]:
    cells = _Cells(facts, "t3")
    if not cells.rows:
        return []
    issues = []
    expected = set(spec().t3.row_keys(version or "2019")) - {"other_handling"}
    if "other_handling" not in cells.rows or version == "2021":
        printed_other = cells.rows & {"other_overdue_correction", "other_unpaid_fee", "other_other"}
        if not printed_other and "other_handling" in cells.rows:
            expected -= {"other_overdue_correction", "other_unpaid_fee", "other_other"}
    else:
        expected -= {"other_overdue_correction", "other_unpaid_fee", "other_other"}
    missing = sorted(expected - cells.rows)
    if missing:
        issues.append(Issue("t3.missing_rows", "error", f"table 3 lacks rows: {', '.join(missing)}"))

    for col in APPLICANT_COLUMNS + ["total"]:
        parts = [cells.get(r, col) for r in ("new_received", "carried_over", "total_processed", "carried_forward")]
        if all(p is not None for p in parts) and not _eq(parts[0] + parts[1], parts[2] + parts[3]):
            issues.append(Issue("t3.balance", "error",
                                f"{col}: new_received {_fmt(parts[0])} + carried_over {_fmt(parts[1])} ≠ "
                                f"total_processed {_fmt(parts[2])} + carried_forward {_fmt(parts[3])}"))
        outcomes = [cells.get(r, col) for r in OUTCOME_ROWS if r in cells.rows]
        total = cells.get("total_processed", col)
        if total is not None and outcomes and all(v is not None for v in outcomes):
            if not _eq(sum(outcomes), total):
                issues.append(Issue("t3.outcomes", "error",
                                    f"{col}: outcome rows add up to {_fmt(sum(outcomes))}, total_processed is {_fmt(total)}"))
    for row in sorted(cells.rows):
        parts = [cells.get(row, c) for c in APPLICANT_COLUMNS]
        total = cells.get(row, "total")
        if total is not None and all(p is not None for p in parts) and not _eq(sum(parts), total):
            issues.append(Issue("t3.applicants", "error",
                                f"{row}: applicant columns add up to {_fmt(sum(parts))}, total is {_fmt(total)}"))
    return issues


def check_t4(facts: list[Fact]) -> list[Issue]:
    cells = _Cells(facts, "t4")
    if not cells.rows:
        return []
    issues = []
    for row in ("review", "litigation_direct", "litigation_after_review"):
        parts = [cells.get(row, c) for c in ("upheld", "corrected", "other", "pending")]
        total = cells.get(row, "total")
        if total is not None and all(p is not None for p in parts) and not _eq(sum(parts), total):
            issues.append(Issue("t4.rows", "error", f"{row}: outcomes add up to {_fmt(sum(parts))}, total is {_fmt(total)}"))
    return issues


_GAP = r"[^，。；,;\d]{0,16}?"  # words between the subject and its number, within one clause
_T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")


Tables = dict[str, "_Cells"]  # t3, t4 → their printed cells


def _t3_cell(row: str) -> Callable[[Tables], set[float]]:
    return lambda t: {t["t3"].get(row, "total")}


def _received(t: Tables) -> set[float]:
    new, carried = t["t3"].get("new_received", "total"), t["t3"].get("carried_over", "total")
    return {new, new + carried if new is not None and carried is not None else None}


def _t4_rows(*rows: str) -> Callable[[Tables], set[float]]:
    """Any number printed in these table-4 rows, and the rows' totals summed."""
    def accepted(t: Tables) -> set[float]:
        values = {t["t4"].get(r, col) for r in rows for col in _T4_COLUMNS}
        totals = [t["t4"].get(r, "total") for r in rows]
        if all(t is not None for t in totals):
            values.add(sum(totals))
        return values
    return accepted


# Sentences that quote the tables, e.g. 共收到政府信息公开申请710件, 被申请行政复议2件, and
# which printed numbers each may quote.
_QUOTES = [
    (re.compile(rf"(?:新收|收到|受理){_GAP}(?:政府信息公开)?申请[^，。；,;\d]{{0,6}}?(\d+)件"),
     "table 3 new_received total", _received),
    (re.compile(rf"(?:共|累计)?(?:办结|答复){_GAP}申请[^，。；,;\d]{{0,6}}?(\d+)件"),
     "table 3 total_processed total", _t3_cell("total_processed")),
    (re.compile(rf"行政复议{_GAP}(\d+)(?:件|起|宗|次)"), "table 4 review", _t4_rows("review")),
    (re.compile(rf"行政诉讼{_GAP}(\d+)(?:件|起|宗|次)"), "table 4 litigation",
     _t4_rows("litigation_direct", "litigation_after_review")),
]


def compact(text: str) -> str:
    """The text with all whitespace removed: the form quotes are searched in (and ids hashed from).

    No NFKC here (it costs more than the rest of the checks): `\\d` already matches
    full-width digits and `float()` reads them.
    """
    return "".join(text.split())


def check_text(compact_text: str, facts: list[Fact]) -> list[Issue]:
    """Numbers quoted in the text (as `compact()` gives it) against the tables.

    A warning only: a text may quote another scope (the office, not the district).
    """
    cells = {table: _Cells(facts, table) for table in ("t3", "t4")}
    issues = []
    for pattern, what, accepted_of in _QUOTES:
        accepted = {v for v in accepted_of(cells) if v is not None}
        if not accepted:
            continue  # the table does not print the number quoted
        for m in pattern.finditer(compact_text):
            if not any(_eq(float(m.group(1)), a) for a in accepted):
                shown = ", ".join(_fmt(a) for a in sorted(accepted))
                issues.append(Issue("text.quote", "warning", f"the text says “{m.group(0)}”; {what} prints {shown}"))
    return issues


def run(facts: list[Fact], version: str | None, compact_text: str) -> list[Issue]:
    return check_t3(facts, version) + check_t4(facts) + check_text(compact_text, facts)


# ---------------------------------------------------------------- tables read by OCR

#: t3/t4 issues that mean a table read by OCR is not whole (its rows or cells did not all map)
OCR_INCOMPLETE = ("t3.missing_rows", "t3.unmapped_row", "t4.unreadable", "t4.unmapped_row", "t4.missing_cells")
_NO_NUMBER = ("blank", "dash", "slash", "na")  # cells that print no number: 0 in the sums below


def verify_ocr(facts: list[Fact]) -> list[str]:
    """Why the table 3 and 4 facts OCR read cannot be trusted; empty when they can.

    OCR misreads a digit (3 for 8), drops one, or takes a ruling line for a 1; the national
    format's identities catch such a number wherever it takes part in one that can be evaluated.
    So, stricter than `check_t3`/`check_t4` (which skip every identity holding a blank cell):

    * no cell may read as text (OCR marks a cell whose ink it could not read with "\\ufffd");
    * each identity is evaluated with cells that print no number (blank, dash …) counted as 0 —
      a report that leaves its zeros blank still adds up — except that an identity is skipped
      when its result cell (the row's 总计, the column's （七）总计, a table-4 row's 总计) prints no
      number, or prints one other than 0 while none of its parts does (a 总计 column left blank);
      balance is skipped when both cells of one side print no number;
    * every evaluated identity must hold, and every number of tables 3 and 4 must take part in
      at least one evaluated identity: a number no identity checks is a number OCR may have misread.
    """
    cells = {(f.table, f.row_key, f.col_key): f for f in facts if f.table in ("t3", "t4") and f.value_flag != "derived"}
    reasons: list[str] = []
    unread = [k for k, f in cells.items() if f.value is None and f.value_flag not in _NO_NUMBER]
    if unread:
        reasons.append(f"{len(unread)} cell(s) do not read as numbers: "
                       + ", ".join(f"{t} {r}/{c} “{cells[(t, r, c)].value_raw}”" for t, r, c in unread[:3]))

    def value(key) -> float | None:
        f = cells.get(key)
        return f.value if f is not None else None

    def printed(key) -> bool:
        return value(key) is not None

    checked: set[tuple[str, str, str]] = set()
    failed: list[str] = []

    def identity(name: str, lhs: list, rhs: list) -> None:
        total = sum(value(k) or 0.0 for k in lhs)
        other = sum(value(k) or 0.0 for k in rhs)
        if _eq(total, other):
            checked.update(k for k in lhs + rhs if printed(k))
        else:
            failed.append(f"{name} {_fmt(total)} ≠ {_fmt(other)}")

    t3_rows = {r for t, r, _ in cells if t == "t3"}
    t3_cols = APPLICANT_COLUMNS + ["total"]
    for row in sorted(t3_rows):
        parts = [("t3", row, c) for c in APPLICANT_COLUMNS]
        total = ("t3", row, "total")
        if printed(total) and (any(printed(k) for k in parts) or value(total) == 0):
            identity(f"t3.applicants {row}:", parts, [total])
    split = [r for r in ("other_overdue_correction", "other_unpaid_fee", "other_other") if r in t3_rows]
    outcome_rows = [r for r in OUTCOME_ROWS if r in t3_rows and not (r == "other_handling" and split)] + split
    for col in t3_cols:
        parts = [("t3", r, col) for r in outcome_rows]
        total = ("t3", "total_processed", col)
        if printed(total) and (any(printed(k) for k in parts) or value(total) == 0):
            identity(f"t3.outcomes {col}:", parts, [total])
        lhs = [("t3", "new_received", col), ("t3", "carried_over", col)]
        rhs = [("t3", "total_processed", col), ("t3", "carried_forward", col)]
        if any(printed(k) for k in lhs) and any(printed(k) for k in rhs):
            identity(f"t3.balance {col}:", lhs, rhs)
    for row in ("review", "litigation_direct", "litigation_after_review"):
        parts = [("t4", row, c) for c in ("upheld", "corrected", "other", "pending")]
        total = ("t4", row, "total")
        if printed(total) and (any(printed(k) for k in parts) or value(total) == 0):
            identity(f"t4.rows {row}:", parts, [total])
    if failed:
        reasons.append(f"{len(failed)} identit{'y' if len(failed) == 1 else 'ies'} fail (blank as 0): "
                       + "; ".join(failed[:3]) + (" …" if len(failed) > 3 else ""))
    unchecked = [k for k in cells if printed(k) and k not in checked]
    if unchecked and not failed:
        reasons.append(f"{len(unchecked)} number(s) take part in no identity that could be checked: "
                       + ", ".join(f"{t} {r}/{c}" for t, r, c in unchecked[:3]))
    return reasons
