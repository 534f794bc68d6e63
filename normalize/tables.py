"""Tables of a `Document` → canonical facts of tables 2, 3 and 4 (or appendix facts).

The national format fixes what each table holds, not how it is drawn: reports merge
header cells differently from data cells, split table 3 over two pages, leave the
总计 column blank, misspell a label. So:

* tables are recognised by their labels (and the section they sit in), and the parts
  of a table split over pages are read as one;
* columns are found on the logical grid from the header cells when the table is a real
  grid, and from the right-hand end of each row when it is not (plain-text exports);
* rows are matched to canonical keys by an order-preserving alignment of their labels
  with the label spec, so a typo or an ambiguous `3.其他` lands where its neighbours say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Iterable

from normalize import values
from normalize.labels import Entry, TableSpec, fold, spec
from normalize.model import Cell, Document, Paragraph, Table
from normalize.record import Fact, Issue

MATCH_THRESHOLD = 0.5


@dataclass(slots=True)
class Row:
    """One grid row: the label cells on the left, the cells of the number columns on the right."""

    labels: list[Cell]
    cells: list[Cell | None]  # one per canonical column, None where nothing is printed
    folded_labels: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.folded_labels = [f for f in (fold(c.text) for c in self.labels) if f]

    @property
    def leaf(self) -> str:
        labels = self.folded_labels
        return labels[-1] if labels else ""

    @property
    def has_number(self) -> bool:
        return any(c is not None and values.is_number(c.text) for c in self.cells)


@dataclass(slots=True)
class Mapped:
    """What the tables of one report gave."""

    facts: list[Fact] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    found: set[str] = field(default_factory=set)  # t2, t3, t4 (with at least one fact)
    version_votes: dict[str, set[str]] = field(default_factory=dict)  # table → versions its labels allow


# ---------------------------------------------------------------- grid helpers


def _grid_rows(table: Table) -> list[list[Cell]]:
    """Each grid row's distinct cells, left to right (cells spanning from above included)."""
    rows = []
    for grid_row in table.grid():
        seen: list[Cell] = []
        for cell in grid_row:
            if cell is not None and (not seen or seen[-1] is not cell):
                seen.append(cell)  # a cell covers adjacent positions only, so this dedupes
        rows.append(seen)
    return rows


def _texts(table: Table) -> list[str]:
    return [fold(c.text) for c in table.cells if c.text.strip()]


# ---------------------------------------------------------------- classification


def _count_hits(joined: str, entries: Iterable[Entry]) -> int:
    """How many entries have a label printed somewhere in the table."""
    return sum(1 for e in entries if any(label in joined for label in e.labels))


def classify(table: Table) -> str | None:
    """t2, t3, t4 or None, from the labels a table prints."""
    s = spec()
    texts = _texts(table)
    if not texts:
        return None
    t3_rows = [r for r in s.t3.rows if r.key not in {"total_processed", "other_other", "other_handling"}]
    joined = "|".join(texts)
    t3 = _count_hits(joined, t3_rows)
    t4 = _count_hits(joined, s.t4.columns[:4]) + _count_hits(joined, s.t4.rows)
    t2 = _count_hits(joined, s.t2.rows) + _count_hits(joined, s.t2.columns)
    if "第二十条" in joined or "信息内容" in joined:
        t2 += 2
    scores = {"t3": t3, "t4": t4 if ("复议" in joined and ("维持" in joined or "纠正" in joined)) else 0, "t2": t2}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 2 else None


def _section_of(paragraph: Paragraph) -> str | None:
    """t2/t3/t4 when a paragraph is the heading of section 二/三/四."""
    text = paragraph.text.strip()
    if len(text) > 40:
        return None
    folded = fold(text)
    for name, table_spec in (("t2", spec().t2), ("t3", spec().t3), ("t4", spec().t4)):
        if any(marker and marker in folded for marker in table_spec.heading_markers):
            return name
    if folded.startswith(("五", "六")) or text.lstrip().startswith(("五、", "六、")):
        return "after"
    return None


def group_tables(doc: Document) -> dict[str, list[Table]]:
    """Which tables hold t2, t3 and t4 (in order), and which are left over."""
    groups: dict[str, list[Table]] = {"t2": [], "t3": [], "t4": [], "other": []}
    section: str | None = None
    previous: str | None = None
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            heading = _section_of(block)
            if heading:
                section, previous = heading, None
            continue
        kind = classify(block)
        if kind is None and section in ("t2", "t3", "t4"):
            kind = section  # a headerless part in a table's own section: a continuation
        if kind is None and previous in ("t3", "t4") and any(values.is_number(c.text) for c in block.cells):
            kind = previous  # a part split off by a page break before the next heading
        groups[kind or "other"].append(block)
        previous = kind
    return groups


# ---------------------------------------------------------------- columns


def _header_intervals(table: Table, columns: tuple[Entry, ...]) -> list[tuple[int, int]] | None:
    """Grid column range of each canonical column, in order, from the header cells (exact labels only)."""
    found: dict[str, tuple[int, int]] = {}
    for row in _grid_rows(table):
        if any(values.is_number(c.text) for c in row):
            break  # headers sit above the first number
        for cell in row:
            folded = fold(cell.text)
            for entry in columns:
                if entry.key not in found and folded in entry.labels:
                    found[entry.key] = (cell.col, cell.col + cell.colspan)
    if len(found) != len(columns):
        return None
    ordered = [found[e.key] for e in columns]
    if any(a[1] > b[0] for a, b in zip(ordered, ordered[1:])):
        return None  # overlapping or out of order: not a usable header
    return ordered


def _split_row(cells: list[Cell], row_index: int, width: int, intervals: list[tuple[int, int]] | None) -> Row | None:
    """Label cells and one cell per canonical column (`width` of them), by header intervals or from the right."""
    if intervals:
        first = intervals[0][0]  # ordered, so the first column starts leftmost
        labels = [c for c in cells if c.col + c.colspan <= first]
        own = {c.col: c for c in cells if c.row == row_index}
        slots: list[Cell | None] = []
        for start, end in intervals:
            if end - start == 1:
                slots.append(own.get(start))
                continue
            inside = [own[col] for col in range(start, end) if col in own]
            printed = [c for c in inside if c.text.strip()]
            slots.append(printed[0] if printed else (inside[0] if inside else None))
        return Row(labels, slots)
    # no usable header: the number columns are the last `width` value-like cells
    own = [c for c in cells if c.row == row_index or not values.is_value_like(c.text)]
    tail = _value_tail(own)
    if len(tail) < width:
        return None
    return Row(own[: len(own) - width], tail[-width:])


def _rows(tables: list[Table], table_spec: TableSpec) -> list[Row | tuple[str, list[Cell]]]:
    """The rows of a (possibly split) table; rows that do not fit are returned raw."""
    width = len(table_spec.columns)
    rows: list[Row | tuple[str, list[Cell]]] = []
    inherited: tuple[int, list[tuple[int, int]]] | None = None
    for table in tables:
        intervals = None if table.is_ragged() else _header_intervals(table, table_spec.columns)
        if intervals:
            inherited = (table.n_cols, intervals)
        elif inherited and not table.is_ragged() and inherited[0] == table.n_cols:
            intervals = inherited[1]
        for index, cells in enumerate(_grid_rows(table)):
            row = _split_row(cells, index, width, intervals)
            rows.append(row if row is not None else ("unfit", cells))
    return rows


# ---------------------------------------------------------------- row alignment


def _align(scores: list[dict[str, float]], keys: list[str]) -> list[str | None]:
    """Order-preserving assignment of rows to keys maximising the summed label scores.

    `scores[i]` holds row i's plausible keys; a key missing from it scores 0.
    """
    n, m = len(scores), len(keys)
    exact = [next(iter(s)) if len(s) == 1 and next(iter(s.values())) == 1.0 else None for s in scores]
    if None not in exact:  # the usual report: every row names one key, so order is all to check
        position = {k: j for j, k in enumerate(keys)}
        order = [position[k] for k in exact]
        if all(a < b for a, b in zip(order, order[1:])):
            return list(exact)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        row_scores, above, here = scores[i - 1], best[i - 1], best[i]
        for j in range(1, m + 1):
            value = max(above[j], here[j - 1])
            s = row_scores.get(keys[j - 1], 0.0)
            if s >= MATCH_THRESHOLD and above[j - 1] + s > value:
                value = above[j - 1] + s
            here[j] = value
    result: list[str | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        s = scores[i - 1].get(keys[j - 1], 0.0)
        if s >= MATCH_THRESHOLD and abs(best[i][j] - (best[i - 1][j - 1] + s)) < 1e-9:
            result[i - 1] = keys[j - 1]
            i, j = i - 1, j - 1
        elif abs(best[i][j] - best[i - 1][j]) < 1e-9:
            i -= 1
        else:
            j -= 1
    return result


@cache
def _exact_labels(table: str) -> dict[str, tuple[str, ...]]:
    """Folded label → the row keys printing exactly that label."""
    index: dict[str, list[str]] = {}
    for entry in getattr(spec(), table).rows:
        for label in entry.labels:
            index.setdefault(label, []).append(entry.key)
    return {label: tuple(keys) for label, keys in index.items()}


# rows that stand outside any group: seeing one ends the group above
_UNGROUPED = {"new_received", "carried_over", "granted", "partially_granted", "total_processed", "carried_forward"}


def _t3_scores(rows: list[Row]) -> list[dict[str, float]]:
    """Each row's plausible keys with their scores, reading group labels as context.

    A group label (（三）不予公开, （六）其他处理) is printed in a merged cell spanning its
    sub-rows, or — in plain-text exports and flattened pages — on the group's first row
    only; so the group in force is carried down until a row outside any group.
    """
    t3 = spec().t3
    group_of = {label: name for name, labels in t3.groups.items() for label in labels if name != "outcomes"}
    exact = _exact_labels("t3")
    fuzzy = [e for e in t3.rows if e.key not in ("other_other", "other_handling")]
    result: list[dict[str, float]] = []
    group: str | None = None
    for row in rows:
        leaf = row.leaf
        own = [group_of[g] for label in row.folded_labels[:-1] for g in group_of if g in label]
        if own:
            group = own[-1]
        if leaf in group_of:  # a group label as the row's own label
            group = group_of[leaf]
            result.append({"other_handling": 1.0} if group == "other" else {})
            continue
        if leaf == "其他":
            result.append({"other_other": 1.0 if group == "other" else 0.6})
            continue
        keys = exact.get(leaf)
        if keys:
            scores = {key: 1.0 for key in keys}
        else:
            scores = {e.key: s for e in fuzzy if (s := e.score(leaf)) >= MATCH_THRESHOLD}
        if not own and scores and max(scores, key=scores.get) in _UNGROUPED:
            group = None
        result.append(scores)
    return result


def _fact(table: str, row_key: str, col_key: str, cell: Cell | None, unit: str | None = None) -> Fact:
    """The fact a printed cell gives; `unit` is the column's unit, used when the cell prints none."""
    raw = cell.text.strip() if cell is not None else None
    parsed = values.parse(raw)
    return Fact(table, row_key, col_key, parsed.value, raw, parsed.flag,
                parsed.unit or (unit if parsed.value is not None else None))


def _facts_for_row(table: str, row_key: str, col_keys: list[str], row: Row) -> list[Fact]:
    return [_fact(table, row_key, col_key, cell) for col_key, cell in zip(col_keys, row.cells)]


def _unmapped_issue(table: str, row: Row | tuple[str, list[Cell]]) -> Issue | None:
    cells = row.labels + [c for c in row.cells if c] if isinstance(row, Row) else row[1]
    numbers = [c.text for c in cells if values.is_number(c.text)]
    if not numbers:
        return None
    label = " / ".join(c.text.strip() for c in cells if c.text.strip() and not values.is_value_like(c.text))
    return Issue(f"{table}.unmapped_row", "error",
                 f"a {table} row with numbers matched no canonical row: {label or '(no label)'} → {' '.join(numbers)}")


def map_t3(tables: list[Table], out: Mapped) -> None:
    t3 = spec().t3
    col_keys = [c.key for c in t3.columns]
    raw_rows = _rows(tables, t3)
    candidates = [r for r in raw_rows if isinstance(r, Row) and r.leaf and not _is_header(r, t3)]
    assignment = _align(_t3_scores(candidates), [e.key for e in t3.rows])
    for row, key in zip(candidates, assignment):
        if key is None:
            if issue := _unmapped_issue("t3", row):
                out.issues.append(issue)
            continue
        out.facts.extend(_facts_for_row("t3", key, col_keys, row))
    for row in raw_rows:
        if not isinstance(row, Row) and (issue := _unmapped_issue("t3", row)):
            out.issues.append(issue)
    keys = {f.row_key for f in out.facts if f.table == "t3"}
    if keys:
        out.found.add("t3")
        subrows = set(t3.derived["other_handling"])
        if keys & subrows:
            out.version_votes["t3"] = {"2021"}
            if "other_handling" not in keys and subrows <= keys:
                out.facts.extend(_derived_sum("t3", "other_handling", sorted(subrows), col_keys, out.facts))
        else:
            out.version_votes["t3"] = {"2019", "2021"}


def _derived_sum(table: str, key: str, parts: list[str], col_keys: list[str], facts: list[Fact]) -> list[Fact]:
    by_cell = {(f.row_key, f.col_key): f.value for f in facts if f.table == table}
    derived = []
    for col in col_keys:
        cells = [by_cell.get((p, col)) for p in parts]
        value = sum(cells) if all(v is not None for v in cells) else None
        derived.append(Fact(table, key, col, value, None, "derived", None))
    return derived


def _is_header(row: Row, table_spec: TableSpec) -> bool:
    """A header row names columns and prints no number."""
    if row.has_number:
        return False
    names = [fold(c.text) for c in row.labels + [c for c in row.cells if c]]
    hits = sum(1 for name in names for e in table_spec.columns if name in e.labels)
    return hits >= 2 or any(name in ("申请人情况", "信息内容") for name in names)


# ---------------------------------------------------------------- table 4


def map_t4(tables: list[Table], out: Mapped) -> None:
    t4 = spec().t4
    row_keys = [r.key for r in t4.rows]
    col_keys = [c.key for c in t4.columns]
    width = len(row_keys) * len(col_keys)
    for table in tables:
        grid_rows = _grid_rows(table)
        # the usual layout: one data row with all fifteen numbers; a row printing fewer than
        # three (an agency with no case may print blanks or dashes throughout) only under a
        # header naming every one of its cells
        for index, cells in enumerate(grid_rows):
            own = [c for c in cells if c.row == index]
            tail = _value_tail(own)
            if len(tail) < width:
                continue
            tail = tail[-width:]
            order = _t4_header_order(table, tail)
            if order is None:
                if sum(values.is_number(c.text) for c in own) < 3:
                    continue
                order = [(r, c) for r in row_keys for c in col_keys]
            out.facts.extend(_fact("t4", row_key, col_key, cell) for (row_key, col_key), cell in zip(order, tail))
            out.found.add("t4")
            return
        # a transposed layout: one row per kind of case, five numbers each
        by_key: dict[str, list[Cell]] = {}
        for index, cells in enumerate(grid_rows):
            own = [c for c in cells if c.row == index]
            tail = _value_tail(own)
            labels = [fold(c.text) for c in cells if not values.is_value_like(c.text)]
            if len(tail) == len(col_keys) and labels:
                key = max(row_keys, key=lambda k: t4.rows[row_keys.index(k)].score(labels[-1]))
                if t4.rows[row_keys.index(key)].score(labels[-1]) >= 0.9:
                    by_key[key] = tail
        if len(by_key) == len(row_keys):
            for row_key in row_keys:
                out.facts.extend(_fact("t4", row_key, col_key, cell) for col_key, cell in zip(col_keys, by_key[row_key]))
            out.found.add("t4")
            return
    if tables:
        out.issues.append(Issue("t4.unreadable", "error", f"table 4 found but its {width} numbers could not be read"))


def _value_tail(cells: list[Cell]) -> list[Cell]:
    tail: list[Cell] = []
    for cell in reversed(cells):
        if not values.is_value_like(cell.text):
            break
        tail.append(cell)
    tail.reverse()
    return tail


def _t4_header_order(table: Table, data: list[Cell]) -> list[tuple[str, str]] | None:
    """(row_key, col_key) of each data cell from the header cells above it, if all are printed."""
    if table.is_ragged():
        return None
    t4 = spec().t4
    grid = table.grid()
    order = []
    for cell in data:
        col_key = row_key = None
        for r in range(cell.row - 1, -1, -1):
            above = grid[r][cell.col]
            if above is None:
                continue
            folded = fold(above.text)
            if col_key is None:
                col_key = next((e.key for e in t4.columns if folded in e.labels), None)
            if row_key is None:
                row_key = next((e.key for e in t4.rows if folded in e.labels), None)
        if row_key is None or col_key is None:
            return None
        order.append((row_key, col_key))
    return order if len(set(order)) == len(order) else None


# ---------------------------------------------------------------- table 2


def map_t2(tables: list[Table], out: Mapped) -> None:
    t2 = spec().t2
    votes: set[str] = set()
    header: list[tuple[Entry, Cell]] = []  # kept across tables: a page break may fall under a header
    for table in tables:
        ragged = table.is_ragged()
        for index, cells in enumerate(_grid_rows(table)):
            own = [c for c in cells if c.row == index]
            if not own:
                continue
            folded = [fold(c.text) for c in own]
            columns = [(next((e for e in t2.columns if f and f in e.labels), None), c) for f, c in zip(folded, own)]
            if sum(1 for e, _ in columns if e) >= 1 and not any(values.is_number(c.text) for c in own):
                header = [(e, c) for e, c in columns if e is not None]
                for e, _ in header:
                    votes |= set(e.versions) if len(e.versions) == 1 else set()
                continue
            label_at = next((i for i, f in enumerate(folded) if f), 0)
            label = folded[label_at]
            entry = max(t2.rows, key=lambda e: e.score(label))
            if entry.score(label) < 0.9 or not header:
                if any(values.is_number(c.text) for c in own) and label:
                    out.issues.append(Issue("t2.unmapped_row", "warning", f"a table 2 row matched no canonical row: {label}"))
                continue
            for col_entry, cell in _t2_pairs(header, own[label_at + 1:], ragged):
                out.facts.append(_fact("t2", entry.key, col_entry.key, cell, _header_unit(col_entry, header)))
    if any(f.table == "t2" for f in out.facts):
        out.found.add("t2")
        out.version_votes["t2"] = votes or {"2019", "2021"}


def _t2_pairs(header: list[tuple[Entry, Cell]], data: list[Cell], ragged: bool) -> list[tuple[Entry, Cell | None]]:
    if not ragged:
        pairs = []
        for entry, head in header:
            inside = [c for c in data if head.col <= c.col < head.col + head.colspan]
            pairs.append((entry, inside[0] if inside else None))
        if any(c is not None for _, c in pairs):
            return pairs
    return [(entry, data[i] if i < len(data) else None) for i, (entry, _) in enumerate(header)]


def _header_unit(entry: Entry, header: list[tuple[Entry, Cell]]) -> str | None:
    for e, cell in header:
        if e is entry:
            text = values.clean(cell.text)
            for unit in ("万元", "元"):
                if f"单位:{unit}" in text or f"({unit})" in text:
                    return unit
    return entry.unit


# ---------------------------------------------------------------- appendix (pre-2019)


def _is_appendix_header(first: list[str], previous: list[str]) -> bool:
    """Does a table's first row name its columns, or does the table continue the previous one?

    A header prints several different labels and no number; a continued table starts with
    data or with a section row whose one label spans the width.
    """
    if not previous or len(first) != len(previous):
        return True
    if [fold(x) for x in first] == previous:
        return True  # the header repeated on the new page
    distinct = {fold(x) for x in first if x.strip()}
    return len(distinct) >= 2 and not any(values.is_number(x) for x in first)


def map_appendix(tables: list[Table], out: Mapped) -> None:
    """Every number of a table with no canonical keys, under its printed labels.

    The first row is the header, unless the table continues the one before it after a page
    break (see `_is_appendix_header`): then it reads under that one's header. A printed 单位
    column gives the unit of the numbers in its row.
    """
    header: list[str] = []
    for table in tables:
        rows = table.rows()
        if not rows:
            continue
        if _is_appendix_header(rows[0], header):
            header, rows = [fold(x) for x in rows[0]], rows[1:]
        unit_col = header.index("单位") if "单位" in header else None
        for r, row in enumerate(rows, start=1):
            label = next((fold(x) for x in row if x.strip() and not values.is_value_like(x)), "") or f"row{r}"
            unit = row[unit_col].strip() or None if unit_col is not None and unit_col < len(row) else None
            seen = set()
            for c, raw in enumerate(row):
                parsed = values.parse(raw)
                if parsed.flag in ("text", "blank"):
                    continue
                col_key = header[c] if c < len(header) and header[c] else f"col{c}"
                if (label, col_key) in seen:
                    continue  # a merged cell repeated over the grid
                seen.add((label, col_key))
                out.facts.append(Fact("appendix", label, col_key, parsed.value, raw.strip(), parsed.flag,
                                      parsed.unit or (unit if parsed.value is not None else None)))
    if any(f.table == "appendix" for f in out.facts):
        out.found.add("appendix")


def map_document(doc: Document) -> Mapped:
    """Facts of tables 2, 3 and 4, with the issues met and each table's version vote."""
    out = Mapped()
    groups = group_tables(doc)
    if groups["t2"]:
        map_t2(groups["t2"], out)
    if groups["t3"]:
        map_t3(groups["t3"], out)
    if groups["t4"]:
        map_t4(groups["t4"], out)
    return out
