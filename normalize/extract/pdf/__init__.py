"""Text-layer PDF → `Document`, with PDFium (pypdfium2, Apache-2.0/BSD) and our own table finder.

Why not pdfplumber: it reads this kind of report well but at ~5 reports/s; this module reads the
same grids at ~50 reports/s on one core (5-page WPS report: ~18 ms). PyMuPDF (AGPL) and poppler
(GPL) are ruled out by licence.

How a page is read
1. Characters: PDFium's text page gives every character with its tight box, baseline origin and
   angle, in content-stream order. PDFium's generated spaces are kept only as a hint ("a space
   stood here") for Latin words and for cutting table rows into values, never between CJK
   characters. Characters at a slant (watermarks) are left out; a page whose text mostly runs
   sideways (content turned, with or without /Rotate) is read in the frame where it is upright.
2. Ruling lines: every path object on the page (also inside form XObjects). A path whose box is
   thin (≤ 3 pt) is a line whatever its paint (stroked line or thin filled rectangle); a stroked
   wider path gives its axis-aligned edges; a filled wide path (cell shading, WPS paragraph
   backgrounds) is never a line, except thin sub-rectangles of a many-part filled path.
   Invisible (white or transparent) lines are dropped.
3. Lattice: collinear segments are merged; horizontal and vertical segments that cross form
   connected groups; each group's distinct x / y positions give a grid (an open outer side gets
   the end of the lines that run past it), and a grid boundary no line covers between two
   neighbouring positions merges them into one cell (colspan / rowspan). A boundary bordering
   no cell at all (a stray line touching the grid) is dropped. A grid of a single cell or a
   single column is layout (a text box, a frame), not a table: its text is read as text.
4. Each character goes to the cell holding its centre; inside a cell characters are grouped
   into lines by baseline (sideways labels along theirs) and the lines are joined without a
   space when either side is CJK (`商业\n企业` → `商业企业`).
5. Characters outside tables become text lines, ordered top to bottom with the tables. Page
   markers (`- 1 -`, `— 5 —`, `第 3 页`; a bare `3` or `3/5` at the page edge) are dropped, also
   when printed into a cell; running headers and footers (the same line at the edge of most
   pages) too. Wrapped lines of one paragraph are joined, also across a page break; numbered
   headings (`一、…`, `（三）…`) always start a paragraph.
6. Tables without ruling: runs of lines reading "label  value  value …" (values: numbers,
   numbers with a unit or a note, placeholders) whose values line up become tables, with the
   header line above them when it has one part per column.
7. PDFium drops text whose glyphs it cannot measure (non-embedded CJK fonts with no system font
   to substitute: one-character runs, runs turned 90°). A page holding such runs is re-read
   with pdfminer.six (MIT, already installed with pdfplumber), which measures by font widths.

Bad input raises `ExtractionError`: empty, not a PDF, damaged beyond repair, encrypted with an
open password ("failed"); no text layer ("needs_ocr"). A file cut short gets its cross-reference
table rebuilt from the objects that survived. Work is bounded (pages, characters, objects,
segments, pdfminer pages), and what was left out is said in `Document.warnings`.

Page numbers in `Paragraph.page` / `Table.page` are 1-based. A table continued on the next page
stays two `Table`s (a later stage joins them).

Where each step lives: 1 `chars`; 2 `rules`; 3 `lattice`; 4–5 `lines` (lines, cell text, page
markers) and `paragraphs` (running headers, paragraphs, title); 6 `stream`; 7 `fallback`. `page`
reads one page with these, `opening` opens (and repairs) the file, and `pdfium` holds the PDFium
calls retyped for speed.
"""

from __future__ import annotations

import pypdfium2  # noqa: F401  (importing the package initialises the PDFium library)
import pypdfium2.raw as _pdfium

from normalize.model import Document, ExtractionError

# `_Pdfminer` is also imported by name for tests/test_extract_pdf.py, which monkeypatches it here
from .fallback import _Pdfminer
from .opening import _open
from .page import _read_page
from .paragraphs import _drop_running_lines, _paragraphs, _title

#: at most this many pages are read from one file (the rest is noted in `Document.warnings`);
#: `extract` hands it to `_Pdfminer` too, so setting it on the package (as a test does) caps both
MAX_PAGES = 200


def extract(data: bytes) -> Document:
    """Read a text-layer PDF; raise `ExtractionError` (failed / needs_ocr) when that is impossible."""
    data = bytes(data)
    warnings: list[str] = []
    doc, data, repaired = _open(data, warnings)
    try:
        n_pages = _pdfium.FPDF_GetPageCount(doc)
        if _pdfium.FPDF_GetSecurityHandlerRevision(doc) != -1:
            warnings.append("encrypted PDF (no open password): read anyway")
        to_read = min(n_pages, MAX_PAGES)
        if n_pages > MAX_PAGES:
            warnings.append(f"{n_pages} pages: only the first {MAX_PAGES} were read")
        fallback = _Pdfminer(data, MAX_PAGES)
        pages = []
        ems: list[float] = []  # font size of each page's text
        n_chars = n_bad = failed_pages = 0
        image_only = []
        for i in range(to_read):
            try:
                items, good, bad, has_image, page_em = _read_page(doc, i, warnings, fallback)
            except Exception as exc:  # noqa: BLE001 - one unreadable page must not lose the others
                warnings.append(f"page {i + 1}: could not be read ({type(exc).__name__}: {exc})")
                items, good, bad, has_image, page_em = None, 0, 0, False, None
            if page_em:
                ems.append(page_em)
            if items is None:
                failed_pages += 1
                items = []
            pages.append(items)
            n_chars += good
            n_bad += bad
            if good == 0 and has_image:
                image_only.append(i + 1)
    finally:
        _pdfium.FPDF_CloseDocument(doc)

    if n_chars == 0:
        if repaired:
            raise ExtractionError("corrupt PDF: truncated, and no text survived the repair")
        if failed_pages == to_read:
            raise ExtractionError("corrupt PDF: no page could be read")
        if n_bad:
            raise ExtractionError(
                f"no usable text layer: {n_bad} characters without Unicode mapping (needs OCR)", status="needs_ocr"
            )
        raise ExtractionError(
            f"no text layer in {to_read} page(s){' (images only)' if image_only else ''}: needs OCR",
            status="needs_ocr",
        )
    if n_bad > 4 * n_chars:
        raise ExtractionError(
            f"text layer mostly unusable: {n_bad} of {n_bad + n_chars} characters have no Unicode mapping (needs OCR)",
            status="needs_ocr",
        )
    if n_bad:
        warnings.append(f"{n_bad} characters without Unicode mapping were left out")
    if image_only:
        warnings.append(f"pages without a text layer (images only, need OCR): {image_only}")

    _drop_running_lines(pages)
    title = _title(pages, sorted(ems)[len(ems) // 2] if ems else None)
    blocks = _paragraphs(pages)
    return Document(blocks=blocks, source_format="pdf", pages=n_pages, title=title, warnings=warnings)
