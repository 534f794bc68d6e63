"""A report as the plain text a Word export gives (the layout of shared/seed/*.txt).

Tables come out one cell per line, each cell's first line indented by a TAB, rows
separated by an empty line; a vertically merged cell's lower rows print an empty cell,
a horizontally merged cell prints once, and a header broken over two lines in Word
keeps its line break (``\\t商业\\n企业``).
"""

from __future__ import annotations

from .render_html import grid_for
from .spec import ReportSpec
from .tables import Grid


def table_text(grid: Grid) -> str:
    rows = []
    for row in grid.physical_rows():
        rows.append("\n".join("\t" + (cell.text if cell else "") for cell, _ in row))
    return "\n\n".join(rows) + "\n\n"


def render_text(spec: ReportSpec, *, encoding: str = "utf-8") -> bytes:
    lines = ["", "", "", spec.agency.name, spec.title.replace(spec.agency.name, "", 1), ""]
    for kind, value in spec.body():
        lines.append(table_text(grid_for(spec, value)) if kind == "table" else value)
    lines += spec.signature()
    return ("\n".join(lines) + "\n").encode(encoding)
