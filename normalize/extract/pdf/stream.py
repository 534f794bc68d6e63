"""Tables without ruling lines: runs of lines reading "label  value  value …" whose values line up.

Many reports type their tables as aligned text; without this their figures would be read as
paragraphs."""

from __future__ import annotations

import re

from normalize.model import Table

from .lines import _join_text, _Line

_NUMERIC = re.compile(
    r"^[-+＋]?\d[\d,，.．]*(?:%|％|万元|亿元|元|件|条|个|次|人|项)?(?:[（(][^）)]*[）)])?$"
    r"|^(?:/|／|-|--|—|——|–|－|―|N/?A|无)$"
)


def _stream_row(line: _Line) -> tuple[str, list[tuple[float, float, str]]] | None:
    """A line that reads as a table row: a label, then values (numbers, placeholders), either
    at least two of them or one standing well apart. Returns the label and the values."""
    tokens = line.tokens
    k = len(tokens)
    while k > 0 and _NUMERIC.match(tokens[k - 1][2]):
        k -= 1
    if k == 0 or k == len(tokens):
        return None
    values = tokens[k:]
    if len(values) == 1 and values[0][0] - tokens[k - 1][1] < 1.0 * line.em:
        return None
    label = ""
    for t in tokens[:k]:
        label = _join_text(label, t[2])
    return label, values


def _value_columns(rows: list[list[tuple[float, float, str]]], em: float) -> list[float] | None:
    """Column centres of the values of consecutive rows, when each row has at most one value
    in each column; None when they do not line up."""
    centres = sorted((v[0] + v[1]) / 2 for row in rows for v in row)
    columns: list[list[float]] = []
    for x in centres:
        if columns and x - columns[-1][-1] <= 1.5 * em:
            columns[-1].append(x)
        else:
            columns.append([x])
    mids = [sum(c) / len(c) for c in columns]
    for row in rows:
        seen = set()
        for v in row:
            k = min(range(len(mids)), key=lambda i: abs(mids[i] - (v[0] + v[1]) / 2))
            if k in seen:
                return None
            seen.add(k)
    return mids


def _stream_tables(lines: list[_Line], page: int) -> list[tuple[float, object]]:
    """Runs of ≥ 2 consecutive table-like lines whose values line up in columns become a Table
    (a value missing from a row is a blank cell); a header line right above with one part per
    column (or per value column) becomes its first row. Returns (top, line or table) pairs."""
    out: list[tuple[float, object]] = []
    i = 0
    n = len(lines)
    rows = [_stream_row(ln) for ln in lines]
    while i < n:
        j = i
        while j < n and rows[j] is not None:
            j += 1
        if j - i < 2:
            out.append((lines[i].top, lines[i]))
            i += 1
            continue
        counts = {len(r[1]) for r in rows[i:j]}
        if len(counts) == 1:  # as many values in every row: read them in order
            mids = [0.0] * counts.pop()
            grid = [[label] + [v[2] for v in values] for label, values in rows[i:j]]
        else:  # place each value in the column under which it stands
            mids = _value_columns([r[1] for r in rows[i:j]], lines[i].em)
            if mids is None:
                out.append((lines[i].top, lines[i]))
                i += 1
                continue
            grid = []
            for label, values in rows[i:j]:
                row = [label] + [""] * len(mids)
                for v in values:
                    k = min(range(len(mids)), key=lambda m: abs(mids[m] - (v[0] + v[1]) / 2))
                    row[k + 1] = v[2]
                grid.append(row)
        top = lines[i].top
        if out and isinstance(out[-1][1], _Line):
            head = [p[2].strip() for p in out[-1][1].parts]
            if len(head) == len(mids) + 1:
                grid.insert(0, head)
                top = out.pop()[0]
            elif len(head) == len(mids) and out[-1][1].parts[0][0] > max(ln.x0 for ln in lines[i:j]) + 2 * lines[i].em:
                grid.insert(0, [""] + head)
                top = out.pop()[0]
        out.append((top, Table.from_rows(grid, page=page)))
        i = j
    return out
