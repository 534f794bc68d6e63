"""A report as a Word document: real merged cells (gridSpan / vMerge via python-docx's
`cell.merge`), tables between the paragraphs, 仿宋 body text. Bytes are deterministic:
core properties come from the spec and the zip entries carry a fixed timestamp."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from .render_html import grid_for
from .spec import ReportSpec
from .tables import Grid


def _set_east_asian(run, font: str) -> None:
    from docx.oxml.ns import qn

    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), font)
    rfonts.set(qn("w:ascii"), "Times New Roman")
    rfonts.set(qn("w:hAnsi"), "Times New Roman")


def _add_table(doc, grid: Grid) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(grid.col_weights) or grid.n_cols
    weights = grid.col_weights or [1.0] * grid.n_cols
    for i, col in enumerate(table.columns):
        col.width = Cm(15.5 * weights[i] / total)
    # grid positions → cells, taken once before merging (table.cell() re-walks the table
    # on every call); merged regions are disjoint, so each region's corner cells stay valid
    before = table._cells
    at = {(r, c): before[r * grid.n_cols + c] for r in range(grid.n_rows) for c in range(grid.n_cols)}
    for cell in grid.cells:
        target = at[(cell.row, cell.col)]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(at[(cell.row + cell.rowspan - 1, cell.col + cell.colspan - 1)])
        target.text = ""
        para = target.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER if (cell.key or cell.header or cell.rowspan > 1) else WD_ALIGN_PARAGRAPH.LEFT
        lines = cell.text.split("\n")
        for i, line in enumerate(lines):
            run = para.add_run(line)
            run.font.size = Pt(9)
            run.bold = cell.header or None
            _set_east_asian(run, "仿宋_GB2312")
            if i < len(lines) - 1:
                run.add_break()


def render_docx(spec: ReportSpec) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    normal.font.name = "Times New Roman"
    normal.element.get_or_add_rPr()
    rfonts = normal.element.rPr.rFonts
    rfonts.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "仿宋_GB2312")

    def para(text: str, *, center=False, right=False, bold=False, size=16, font="仿宋_GB2312", indent=True):
        p = doc.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif right:
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif indent:
            p.paragraph_format.first_line_indent = Pt(32)
        p.paragraph_format.line_spacing = Pt(28)
        run = p.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold or None
        _set_east_asian(run, font)
        return p

    para(spec.title, center=True, size=22, font="方正小标宋_GBK")
    for kind, value in spec.body():
        if kind == "table":
            _add_table(doc, grid_for(spec, value))
            doc.add_paragraph()
        elif kind == "heading":
            para(value, font="黑体")
        elif kind == "caption":
            para(value, center=True, bold=True)
        else:
            para(value)
    doc.add_paragraph()
    for line in spec.signature():
        para(line, right=True)

    stamp = datetime(spec.publish_date.year, spec.publish_date.month, spec.publish_date.day, 9, 0, 0)
    cp = doc.core_properties
    cp.author = spec.agency.short
    cp.last_modified_by = spec.agency.short
    cp.title = spec.title
    cp.created = stamp
    cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue(), stamp)


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """Re-write the zip with one fixed timestamp per entry so equal specs give equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
