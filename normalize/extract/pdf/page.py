"""One page: its characters, ruling lines and ruled tables from PDFium, then text lines and
stream tables, in reading order.

All PDFium calls for a page are made in one pass, and the page is closed before the rest (the
pdfminer re-read, cell text, lines) works on the characters it gave."""

from __future__ import annotations

import ctypes

import pypdfium2.raw as _pdfium

from normalize.model import Cell, Table

from .chars import MAX_CHARS_PER_PAGE, _Ch, _page_chars, _rotation_fn, _to_frame
from .fallback import _Pdfminer
from .lattice import _find_grids, _Grid
from .lines import _cell_text, _drop_page_markers, _em, _Line, _line_parts, _line_tokens, _reading_lines
from .pdfium import _font_embedded, _obj_bounds, _obj_font, _object_type, _page_object
from .rules import MAX_OBJECTS_PER_PAGE, _Paths
from .stream import _stream_tables

#: a page with more line segments than this gets no table detection (text only)
MAX_SEGMENTS_PER_PAGE = 4_000
#: at most this many pages of one file are re-read with pdfminer (text PDFium cannot measure)
MAX_FALLBACK_PAGES = 30


def _read_page(
    doc, index: int, warnings: list[str], fallback: "_Pdfminer | None" = None
) -> tuple[list | None, int, int, bool, float | None]:
    """Items of one page in reading order: `Table`s and `_Line`s (None: the page could not be
    loaded). Also the count of usable and unusable characters and whether the page holds an image."""
    page = _pdfium.FPDF_LoadPage(doc, index)
    if not page:
        warnings.append(f"page {index + 1}: PDFium could not load the page; skipped")
        return None, 0, 0, False, None
    textpage = None
    try:
        mb = [ctypes.c_float() for _ in range(4)]
        if _pdfium.FPDFPage_GetMediaBox(page, *mb):
            box = (min(mb[0].value, mb[2].value), min(mb[1].value, mb[3].value),
                   max(mb[0].value, mb[2].value), max(mb[1].value, mb[3].value))
        else:
            box = (0.0, 0.0, _pdfium.FPDF_GetPageWidthF(page), _pdfium.FPDF_GetPageHeightF(page))
        rotation = _pdfium.FPDFPage_GetRotation(page) % 4
        textpage = _pdfium.FPDFText_LoadPage(page)
        if not textpage:
            warnings.append(f"page {index + 1}: no text page; skipped")
            return [], 0, 0, False, None
        chars, bad, dropped, oblique = _page_chars(textpage, rotation)
        if dropped:
            warnings.append(f"page {index + 1}: {dropped} characters past {MAX_CHARS_PER_PAGE} not read")
        if oblique:
            warnings.append(f"page {index + 1}: {oblique} characters printed at a slant (a watermark?) left out")
        # content drawn sideways without /Rotate (or against it): read the page the way its text runs
        dq = 0
        if chars:
            turns = [0, 0, 0, 0]
            for ch in chars:
                turns[ch.q] += 1
            dq = max(range(4), key=turns.__getitem__)
            if turns[dq] <= turns[0] * 1.5:
                dq = 0
        rotation = (rotation + dq) % 4
        rot = _rotation_fn(rotation, box)
        width, height = (box[3] - box[1], box[2] - box[0]) if rotation in (1, 3) else (box[2] - box[0], box[3] - box[1])
        if rot is not None:
            _to_frame(chars, rot, dq)
        elif dq:
            for ch in chars:
                ch.q = (ch.q - dq) % 4

        n_obj = _pdfium.FPDFPage_CountObjects(page)
        has_image = False
        lost = 0
        paths_ok = False
        h_segs: list = []
        v_segs: list = []
        grids: list[_Grid] = []
        if n_obj > MAX_OBJECTS_PER_PAGE:
            warnings.append(f"page {index + 1}: {n_obj} graphics objects; tables not looked for")
        else:
            paths = _Paths(rot)
            text_kind, image_kind = _pdfium.FPDF_PAGEOBJ_TEXT, _pdfium.FPDF_PAGEOBJ_IMAGE
            fb = paths.f
            page_addr = ctypes.cast(page, ctypes.c_void_p).value
            fonts: dict = {}
            for k in range(n_obj):
                obj = _page_object(page_addr, k)
                if not obj:
                    continue
                kind = _object_type(obj)
                if kind == text_kind:
                    # PDFium leaves out of its text page any text object whose glyph boxes have
                    # no width: runs of a non-embedded CJK font it has no substitute glyphs for
                    # (single characters, or runs turned 90°)
                    font = _obj_font(obj)
                    embedded = fonts.get(font)
                    if embedded is None:
                        embedded = fonts[font] = bool(font) and bool(_font_embedded(font))
                    if not embedded and _obj_bounds(obj, *fb) and fb[2].value - fb[0].value < 0.01:
                        lost += 1
                    continue
                if kind == image_kind:
                    has_image = True
                    continue
                paths.visit(obj, None)
            if len(paths.h) + len(paths.v) > MAX_SEGMENTS_PER_PAGE:
                warnings.append(f"page {index + 1}: {len(paths.h) + len(paths.v)} line segments; tables not looked for")
            else:
                paths_ok = True
                h_segs, v_segs = paths.h, paths.v
                if chars:
                    grids = _find_grids(h_segs, v_segs)
    finally:
        if textpage:
            _pdfium.FPDFText_ClosePage(textpage)
        _pdfium.FPDF_ClosePage(page)

    if lost and fallback is not None:
        if fallback.used >= MAX_FALLBACK_PAGES:
            if fallback.used == MAX_FALLBACK_PAGES:
                warnings.append(f"more than {MAX_FALLBACK_PAGES} pages with text PDFium cannot read: the rest read without it")
                fallback.used += 1
        else:
            fallback.used += 1
            try:
                other = fallback.chars(index, dq, width, height)
            except Exception as exc:  # noqa: BLE001 - pdfminer on a broken file: keep PDFium's text
                other = None
                warnings.append(f"page {index + 1}: {lost} text runs PDFium cannot read; pdfminer failed ({type(exc).__name__})")
            if other is not None and len(other) > len(chars):
                chars, bad = other, 0
                if not grids and paths_ok:
                    grids = _find_grids(h_segs, v_segs)

    return _layout(chars, grids, height, index + 1), len(chars), bad, has_image, (_em(chars) if chars else None)


def _layout(chars: list[_Ch], grids: list[_Grid], height: float, page: int) -> list:
    """A page's characters (y-up frame, pt) and ruled grids → `Table`s and `_Line`s in reading
    order: characters inside a grid become its cells' text, the rest text lines, runs of aligned
    "label  value  value" lines stream tables. Also used for the characters OCR reads off a scan."""
    # characters → table cells or free text
    free: list[_Ch] = []
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.y0 + ch.y1) / 2
        for g in grids:
            if g.contains(cx, cy):
                g.add(ch, cx, cy)
                break
        else:
            free.append(ch)

    items: list[tuple[float, object]] = []
    for g in grids:
        cells = []
        for k, (r, c, rs, cs) in enumerate(g.spans):
            cells.append(Cell(_cell_text(g.chars[k], height), r, c, rs, cs))
        if any(cell.text for cell in cells):
            items.append((g.top, Table(cells, page=page)))
        else:  # an empty ruled box: nothing to keep
            pass

    lines = []
    for line in _reading_lines(free):
        em = _em(line)
        parts = _line_parts(line, em, 2.0)
        text = " ".join(p[2] for p in parts).strip()
        if not text:
            continue
        if line[0].src is not None:  # a turned line: its box on the page
            printed = [c.src for c in line]
            x0, x1 = min(c.x0 for c in printed), max(c.x1 for c in printed)
            top, bottom = max(c.y1 for c in printed), min(c.y0 for c in printed)
        else:
            x0, x1 = line[0].x0, line[-1].x1
            top, bottom = max(c.y1 for c in line), min(c.y0 for c in line)
        lines.append(_Line(text, x0, x1, top, bottom, em, parts, page, _line_tokens(line, em)))
    lines = _drop_page_markers(lines, height)
    n = len(lines)
    for k, ln in enumerate(lines):  # candidates for a running header or footer
        ln.edge = (k < 2 and ln.bottom > 0.88 * height) or (k >= n - 2 and ln.top < 0.12 * height)
    items.extend(_stream_tables(lines, page))
    items.sort(key=lambda it: -it[0])
    return [it[1] for it in items]
