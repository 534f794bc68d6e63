"""Scans made here: report pages drawn with Pillow and a Noto CJK font, as an agency's scanner
or "print to image" would give them — black on white, ruled tables with merged cells.

The tables are the corpus's own grids (`govreports.corpus.tables`), so the labels and the
merges are the national 2021 format's and the numbers are a `make_spec` report's: what OCR
reads can be compared with `expected_facts(spec)`.
"""

from __future__ import annotations

import io
import subprocess
from functools import cache

from .render_html import grid_for
from .spec import ReportSpec
from .tables import Grid

A4_MM = (210, 297)


@cache
def cjk_font_path() -> tuple[str, int]:
    """(file, face index) of Noto Sans CJK SC, as fontconfig names it."""
    out = subprocess.run(["fc-match", "-f", "%{file}:%{index}", "Noto Sans CJK SC"],
                         capture_output=True, text=True, check=True).stdout
    path, _, index = out.rpartition(":")
    if "CJK" not in path:
        raise RuntimeError(f"Noto Sans CJK SC is not installed (fc-match gives {out!r}): apt-get install fonts-noto-cjk")
    return path, int(index or 0)


@cache
def _font(px: int):
    from PIL import ImageFont

    path, index = cjk_font_path()
    return ImageFont.truetype(path, px, index=index)


class Page:
    """One page being drawn, top to bottom; `pt(x)` converts points to pixels."""

    def __init__(self, dpi: int, height_mm: float = A4_MM[1]) -> None:
        from PIL import Image, ImageDraw

        self.dpi = dpi
        self.width = round(A4_MM[0] / 25.4 * dpi)
        self.height = round(height_mm / 25.4 * dpi)  # at least; longer when the content is
        self._canvas = Image.new("L", (self.width, 2 * self.height), 255)
        self.draw = ImageDraw.Draw(self._canvas)
        self.margin = self.pt(64)
        self.y = self.pt(60)

    @property
    def image(self):
        """The page: A4 (or the height asked for), longer when the content needs it."""
        return self._canvas.crop((0, 0, self.width, max(self.height, self.y + self.margin)))

    def pt(self, points: float) -> int:
        return round(points * self.dpi / 72)

    def text_width(self, text: str, px: int) -> float:
        return self.draw.textlength(text, font=_font(px))

    def wrap(self, text: str, px: int, width: float) -> list[str]:
        """Lines of `text` no wider than `width` (CJK wraps anywhere; explicit breaks kept)."""
        lines = []
        for part in text.split("\n"):
            line = ""
            for ch in part:
                if line and self.text_width(line + ch, px) > width:
                    lines.append(line)
                    line = ""
                line += ch
            lines.append(line)
        return lines

    def paragraph(self, text: str, size_pt: float = 12, *, center: bool = False, indent: bool = True) -> None:
        px = self.pt(size_pt)
        width = self.width - 2 * self.margin
        first = "\u3000\u3000" if indent and not center else ""
        for line in self.wrap(first + text, px, width):
            x = (self.width - self.text_width(line, px)) / 2 if center else self.margin
            self.draw.text((x, self.y), line, font=_font(px), fill=0)
            self.y += round(px * 1.6)
        self.y += round(px * 0.4)

    def table(self, grid: Grid, size_pt: float = 9, ruled: bool = True) -> None:
        """The grid ruled (or not), merged cells as one box, text centred (labels of wide cells left)."""
        px = self.pt(size_pt)
        line_h = round(px * 1.35)
        pad = self.pt(3)
        total = self.width - 2 * self.margin
        weights = grid.col_weights or [1.0] * grid.n_cols
        xs = [self.margin]
        for w in weights:
            xs.append(xs[-1] + total * w / sum(weights))
        xs = [round(x) for x in xs]
        lines = {id(c): self.wrap(c.text, px, xs[c.col + c.colspan] - xs[c.col] - 2 * pad) for c in grid.cells}
        heights = [line_h + 2 * pad] * grid.n_rows
        for c in sorted(grid.cells, key=lambda c: c.rowspan):
            need = len(lines[id(c)]) * line_h + 2 * pad
            have = sum(heights[c.row:c.row + c.rowspan])
            if need > have:
                heights[c.row + c.rowspan - 1] += need - have
        ys = [self.y]
        for h in heights:
            ys.append(ys[-1] + h)
        stroke = max(1, self.pt(0.75))
        for c in grid.cells:
            x0, x1 = xs[c.col], xs[c.col + c.colspan]
            y0, y1 = ys[c.row], ys[c.row + c.rowspan]
            if ruled:
                self.draw.rectangle((x0, y0, x1, y1), outline=0, width=stroke)
            text_lines = lines[id(c)]
            top = (y0 + y1) / 2 - len(text_lines) * line_h / 2
            for i, line in enumerate(text_lines):
                w = self.text_width(line, px)
                left = c.key is None and c.colspan >= 2 and not c.header
                x = x0 + pad if left else (x0 + x1 - w) / 2
                self.draw.text((x, top + i * line_h + (line_h - px) / 2), line, font=_font(px), fill=0)
        self.y = ys[-1] + self.pt(14)


def report_pages(spec: ReportSpec, *, dpi: int = 300, one_page: bool = False, ruled: bool = True) -> list:
    """The report's title, its first paragraph and tables 3 and 4 as page images (mode L).

    Two A4 pages (title, overview, table 3 | table 4, section 五), or with `one_page` one tall
    image holding everything (as a portal's "long picture" of a report is)."""
    pages = [Page(dpi, height_mm=A4_MM[1] * (1.45 if one_page else 1))]
    page = pages[0]
    agency, _, rest = spec.title.partition(spec.agency_name)
    for line in ([spec.agency_name, rest] if rest and not agency else [spec.title]):  # as reports print it
        page.paragraph(line, 16, center=True)
    page.paragraph(spec.intro[0])
    sections = {s.key: s for s in spec.sections}
    page.paragraph(sections["requests"].heading, indent=False)
    page.table(grid_for(spec, "t3"), ruled=ruled)
    if not one_page:
        page = Page(dpi)
        pages.append(page)
    page.paragraph(sections["review_litigation"].heading, indent=False)
    page.table(grid_for(spec, "t4"), ruled=ruled)
    page.paragraph(sections["problems"].heading, indent=False)
    page.paragraph(sections["problems"].paragraphs[0])
    return [p.image for p in pages]


def png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def image_pdf(images, dpi: int = 300) -> bytes:
    """A PDF of page images only (no text layer), as a scanner makes it."""
    buf = io.BytesIO()
    first, *rest = [im.convert("RGB") for im in images]
    first.save(buf, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    return buf.getvalue()


def render_scan(spec: ReportSpec, *, dpi: int = 300) -> bytes:
    """The report as an image-only PDF, one scanned page after another (needs fonts-noto-cjk)."""
    return image_pdf(report_pages(spec, dpi=dpi), dpi=dpi)
