"""A report's statistical tables as an XLSX workbook, as agencies attach them.

A title row (agency and year), then each table under its section heading, merged cells
merged, numbers stored as numbers where the report prints a plain number; table 4 on a
second sheet unless `one_sheet`.
"""

from __future__ import annotations

import io
import re

from .render_html import grid_for

_PLAIN_INT = re.compile(r"[+-]?[1-9]\d{0,14}|0")
_PLAIN_DEC = re.compile(r"[+-]?\d+\.\d*[1-9]")


def _cell_value(text: str):
    """A number where the report prints a plain number (and a sheet would hold one)."""
    if _PLAIN_INT.fullmatch(text):
        return int(text)
    if _PLAIN_DEC.fullmatch(text):
        return float(text)
    return text


def render_xlsx(spec, *, one_sheet: bool = False) -> bytes:
    """Tables 2–4 of `spec` as a workbook: a title row (agency and year), then each table under
    its section heading; table 4 on a second sheet unless `one_sheet`."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    row = 1
    ws.cell(row, 1, spec.title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    row = 3
    heading = None
    for kind, value in spec.body():
        if kind == "heading":
            heading = value
        if kind != "table":
            continue
        if value == "t4" and not one_sheet:
            ws = wb.create_sheet("表4 复议诉讼")
            row = 1
        grid = grid_for(spec, value)
        if heading:
            ws.cell(row, 1, heading)
            row += 1
        for c in grid.cells:
            ws.cell(row + c.row, 1 + c.col, _cell_value(c.text) if c.key else c.text)
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_cells(start_row=row + c.row, start_column=1 + c.col,
                               end_row=row + c.row + c.rowspan - 1, end_column=c.col + c.colspan)
        row += grid.n_rows + 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
