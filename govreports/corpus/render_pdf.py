"""A report as a PDF: reportlab with the built-in CID font STSong-Light (nothing to
install), ruled tables with merged cells (`SPAN` + `GRID`), page footers `— N —`, and
table 3 continuing onto the next page *inside* its merged 三、本年度办理结果 column, as
real reports do (reportlab itself never splits a table inside a row span, so the
table flowable here splits its grid and clips the spans itself)."""

from __future__ import annotations

import io

from .render_html import grid_for
from .spec import ReportSpec
from .tables import GCell, Grid

FONT = "STSong-Light"
_registered = False


def _register() -> None:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


def _styles():
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=FONT, fontSize=11.5, leading=20, firstLineIndent=23,
                          wordWrap="CJK", alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=26, firstLineIndent=0, alignment=TA_CENTER),
        "body": base,
        "heading": ParagraphStyle("heading", parent=base, fontSize=12.5, firstLineIndent=0, spaceBefore=4),
        "right": ParagraphStyle("right", parent=base, firstLineIndent=0, alignment=TA_RIGHT),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=11.5, wordWrap="CJK", alignment=TA_LEFT),
        "cellc": ParagraphStyle("cellc", fontName=FONT, fontSize=9, leading=11.5, wordWrap="CJK", alignment=TA_CENTER),
    }


def _safe_paragraph_class():
    """pdfium (pypdfium2) drops a text object that is one CJK character when the font is
    not embedded and the system has no CJK font to measure it (its box has no width).
    Real reports embed their fonts; to keep our PDFs readable by every library, no
    printed line may be a single character: such a line borrows one from the line above."""
    from reportlab.platypus import Paragraph

    class SafeParagraph(Paragraph):
        def __init__(self, text, style, **kw):
            super().__init__(text, style, **kw)
            self._plain = text if "<" not in text else None

        def wrap(self, aw, ah):
            w, h = super().wrap(aw, ah)
            if self._plain is None or self.blPara.kind != 0:
                return w, h
            lines = ["".join(words) for _, words in self.blPara.lines]
            if len(lines) < 2 or all(len(x.strip()) != 1 for x in lines):
                return w, h
            for i in range(1, len(lines)):
                if len(lines[i].strip()) == 1:
                    if len(lines[i - 1]) >= 3:
                        lines[i] = lines[i - 1][-1] + lines[i]
                        lines[i - 1] = lines[i - 1][:-1]
                    else:
                        lines[i - 1] += lines[i]
                        lines[i] = ""
            fixed = Paragraph("<br/>".join(x for x in lines if x), self.style)
            self.__dict__.update({k: v for k, v in fixed.__dict__.items()})
            self._plain = None
            return super().wrap(aw, ah)

    return SafeParagraph


def _sub_grid(grid: Grid, lo: int, hi: int, carry_text: bool) -> Grid:
    """Rows [lo, hi) of `grid`; spans cut at the edges. A span that started above `lo`
    continues as an empty merged cell (its text printed on the earlier page)."""
    g = Grid(grid.name, header_rows=0, col_weights=grid.col_weights)
    for c in grid.cells:
        top, bottom = max(c.row, lo), min(c.row + c.rowspan, hi)
        if top >= bottom:
            continue
        text = c.text if (c.row >= lo or carry_text) else ""
        g.cells.append(GCell(text, top - lo, c.col, bottom - top, c.colspan, c.key, c.header))
    return g


def _make_table_flowable():
    from reportlab.platypus import Flowable, PageBreak, Table, TableStyle

    Paragraph = _safe_paragraph_class()

    class GridTable(Flowable):
        """A ruled table drawn from a Grid that can split between any two rows."""

        def __init__(self, grid: Grid, width: float, styles: dict, *, force_split: bool = False,
                     min_rows: int = 4):
            super().__init__()
            self.grid, self.width_total, self.styles = grid, width, styles
            self.force_split, self.min_rows = force_split, min_rows
            self._table = None

        def _build(self) -> "Table":
            if self._table is None:
                g = self.grid
                data = [[""] * g.n_cols for _ in range(g.n_rows)]
                cmds = [("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("FONT", (0, 0), (-1, -1), FONT, 9), ("LEFTPADDING", (0, 0), (-1, -1), 2),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 4),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
                for c in g.cells:
                    if c.key is not None:
                        data[c.row][c.col] = c.text
                        cmds.append(("ALIGN", (c.col, c.row), (c.col, c.row), "CENTER"))
                    elif c.text:
                        style = self.styles["cellc" if (c.header or c.rowspan > 1) else "cell"]
                        data[c.row][c.col] = Paragraph(c.text.replace("\n", "<br/>"), style)
                    if c.rowspan > 1 or c.colspan > 1:
                        cmds.append(("SPAN", (c.col, c.row), (c.col + c.colspan - 1, c.row + c.rowspan - 1)))
                total = sum(g.col_weights) or g.n_cols
                widths = [self.width_total * w / total for w in (g.col_weights or [1] * g.n_cols)]
                self._table = Table(data, colWidths=widths, style=TableStyle(cmds), splitByRow=0)
            return self._table

        def wrap(self, aw, ah):
            w, h = self._build().wrap(aw, ah)
            if self.force_split and h <= ah and self.grid.n_rows > 2 * self.min_rows:
                return w, ah + 1  # pretend not to fit, so that the frame asks us to split
            return w, h

        def split(self, aw, ah):
            t = self._build()
            t.wrap(aw, ah)
            heights = t._rowHeights
            n, used, k = len(heights), 0.0, 0
            while k < n and used + heights[k] <= ah:
                used += heights[k]
                k += 1
            page_break = []
            if self.force_split and k >= n - self.min_rows:  # it fits: end this page early
                k = n - self.min_rows
                page_break = [PageBreak()]
            if k < self.min_rows or k >= n:
                return []
            first = GridTable(_sub_grid(self.grid, 0, k, True), self.width_total, self.styles)
            rest = GridTable(_sub_grid(self.grid, k, n, False), self.width_total, self.styles)
            return [first, *page_break, rest]

        def draw(self):
            t = self._build()
            t.drawOn(self.canv, 0, 0)

    return GridTable


def render_pdf(spec: ReportSpec, *, split_table3_across_pages: bool = True) -> bytes:
    """The report as A4 PDF bytes (deterministic: reportlab's `invariant` mode)."""
    _register()
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Spacer

    Paragraph = _safe_paragraph_class()
    GridTable = _make_table_flowable()
    st = _styles()
    buf = io.BytesIO()
    margin = 62
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=64,
                            bottomMargin=64, invariant=1, title=spec.title, author=spec.agency.short,
                            creator="WPS 文字", producer="", subject="")
    width = A4[0] - 2 * margin

    def footer(canvas, _doc):
        canvas.saveState()
        canvas.setFont(FONT, 10.5)
        canvas.drawCentredString(A4[0] / 2, 34, f"— {canvas.getPageNumber()} —")
        canvas.restoreState()

    story = [Paragraph(spec.title, st["title"]), Spacer(1, 8)]
    style_of = {"paragraph": st["body"], "heading": st["heading"], "caption": st["title"]}
    for kind, value in spec.body():
        if kind == "table":
            force = value == "t3" and split_table3_across_pages
            story += [GridTable(grid_for(spec, value), width, st, force_split=force), Spacer(1, 6)]
        else:
            story.append(Paragraph(value, style_of[kind]))
    story.append(Spacer(1, 18))
    story += [Paragraph(line, st["right"]) for line in spec.signature()]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
