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
"""

from __future__ import annotations

import ctypes
import math
import re
from bisect import bisect_left, bisect_right

import pypdfium2  # noqa: F401  (importing the package initialises the PDFium library)
import pypdfium2.raw as _pdfium

from normalize.model import Cell, Document, ExtractionError, Paragraph, Table

#: at most this many pages are read from one file (the rest is noted in `Document.warnings`)
MAX_PAGES = 200
#: a page with more characters than this is read only up to this many
MAX_CHARS_PER_PAGE = 60_000
#: a page with more graphics objects than this gets no table detection (text only)
MAX_OBJECTS_PER_PAGE = 20_000
#: a page with more line segments than this gets no table detection (text only)
MAX_SEGMENTS_PER_PAGE = 4_000
#: at most this many pages of one file are re-read with pdfminer (text PDFium cannot measure)
MAX_FALLBACK_PAGES = 30


def _retyped(func, restype, *argtypes):
    """The same PDFium function with plain types (a handle as an int: hashable, no pointer
    object to build) for the calls made once per page object."""
    address = ctypes.cast(func, ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


def _plain(name: str):
    """PDFium function `name` taking and returning handles as ints."""
    func = getattr(_pdfium, name)

    def plain(t):
        return ctypes.c_void_p if t is not None and t.__name__.startswith("LP_struct_fpdf_") else t

    return _retyped(func, plain(func.restype), *[plain(t) for t in func.argtypes])


_page_object = _plain("FPDFPage_GetObject")
_object_type = _plain("FPDFPageObj_GetType")
_obj_font = _plain("FPDFTextObj_GetFont")
_font_embedded = _plain("FPDFFont_GetIsEmbedded")
_obj_bounds = _plain("FPDFPageObj_GetBounds")
_obj_matrix = _plain("FPDFPageObj_GetMatrix")
_obj_stroke_color = _plain("FPDFPageObj_GetStrokeColor")
_obj_fill_color = _plain("FPDFPageObj_GetFillColor")
_form_count = _plain("FPDFFormObj_CountObjects")
_form_object = _plain("FPDFFormObj_GetObject")
_path_draw_mode = _plain("FPDFPath_GetDrawMode")
_path_count = _plain("FPDFPath_CountSegments")
_path_segment = _plain("FPDFPath_GetPathSegment")
_segment_point = _plain("FPDFPathSegment_GetPoint")
_segment_type = _plain("FPDFPathSegment_GetType")
_segment_close = _plain("FPDFPathSegment_GetClose")

_THIN = 3.0  # pt: a path this thin in one direction is a ruling line
_POS_TOL = 2.5  # pt: segments this close in position are the same line
_JOIN_GAP = 3.5  # pt: collinear segments this close end to end are one line
_CROSS_TOL = 3.0  # pt: how far apart a horizontal and a vertical line may be and still meet
_COVER = 0.6  # share of a cell side a line must cover to count as a border

# ---------------------------------------------------------------------------------------------
# characters


def _is_cjk(ch: str) -> bool:
    """CJK ideographs, CJK and full-width punctuation, and the typographic punctuation of
    Chinese text (“” ‘’ — …): a space next to one of these is never part of the text."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # radicals, CJK punctuation (3000–303F), kana, ideographs …
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x2010 <= o <= 0x2027  # ‐ – — ‘ ’ “ ” • …
        or o == 0x00B7
        or 0x20000 <= o <= 0x3FFFF
    )


class _Ch:
    """One printed character: its box and baseline in a y-up page frame (user space until
    `_to_frame` moves it into the frame of the page as read), and its orientation."""

    __slots__ = ("c", "x0", "x1", "y0", "y1", "by", "ox", "q", "sp", "prev", "idx", "src")

    def __init__(self, c, x0, x1, y0, y1, by, sp, prev, idx, ox=0.0, q=0, src=None):
        self.c = c
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
        self.by = by  # baseline (y of the glyph origin)
        self.ox = ox  # x of the glyph origin
        self.q = q  # quarter turns (counter-clockwise) of its baseline from upright
        self.sp = sp  # a (generated or real) space stood right before it in the text stream
        self.prev = prev  # stream index of the previous printed character
        self.idx = idx
        self.src = src  # for a turned copy (see `_turned`): the character it was made from


def _to_frame(chars: list[_Ch], rot, dq: int) -> None:
    """Move characters from user space into the page frame; `dq`: quarter turns the frame
    adds to their orientation."""
    for ch in chars:
        ax, ay = rot(ch.x0, ch.y0)
        bx, by_ = rot(ch.x1, ch.y1)
        ch.x0, ch.x1 = (ax, bx) if ax <= bx else (bx, ax)
        ch.y0, ch.y1 = (ay, by_) if ay <= by_ else (by_, ay)
        ch.ox, ch.by = rot(ch.ox, ch.by)
        ch.q = (ch.q - dq) % 4


_SPACE_CHARS = frozenset(" \t\u3000\xa0\u2002\u2003\u2009\u200b")
_BREAK_CHARS = frozenset("\r\n")


def _rotation_fn(rotation: int, box: tuple[float, float, float, float]):
    """Map user-space points to a y-up frame of the page as displayed: origin at the displayed
    bottom-left corner of the MediaBox, /Rotate applied (the frame pdfminer lays pages out in).
    None when that is the identity."""
    x0, y0, x1, y1 = box
    if rotation == 1:  # 90° clockwise
        return lambda x, y: (y - y0, x1 - x)
    if rotation == 2:
        return lambda x, y: (x1 - x, y1 - y)
    if rotation == 3:
        return lambda x, y: (y1 - y, x - x0)
    if x0 or y0:
        return lambda x, y: (x - x0, y - y0)
    return None


def _page_chars(textpage, rotation: int) -> tuple[list[_Ch], int, int, int]:
    """Characters of a page in user space, with their orientation relative to the page as
    displayed (/Rotate `rotation` quarter turns); also the number of unusable characters (no
    Unicode mapping), of characters left out by the per-page cap, and of oblique characters
    left out (watermarks, stamps: text neither upright nor turned by a quarter)."""
    n = _pdfium.FPDFText_CountChars(textpage)
    if n <= 0:
        return [], 0, 0, 0
    dropped = 0
    if n > MAX_CHARS_PER_PAGE:
        dropped = n - MAX_CHARS_PER_PAGE
        n = MAX_CHARS_PER_PAGE
    buf = (ctypes.c_ushort * (n + 1))()
    got = _pdfium.FPDFText_GetText(textpage, 0, n, buf)
    text = bytes(buf)[: max(got - 1, 0) * 2].decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP take two UTF-16 units: read one by one
        get_u = _pdfium.FPDFText_GetUnicode
        text = "".join(chr(get_u(textpage, i)) for i in range(n))
    get_box = _pdfium.FPDFText_GetCharBox
    get_origin = _pdfium.FPDFText_GetCharOrigin
    get_angle = _pdfium.FPDFText_GetCharAngle
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    get_loose = _pdfium.FPDFText_GetLooseCharBox
    loose = _pdfium.FS_RECTF()
    turn = 90.0 * rotation
    chars: list[_Ch] = []
    bad = oblique = 0
    space = False
    prev = -1
    for i, c in enumerate(text):
        if c in _SPACE_CHARS:
            space = True
            continue
        if c in _BREAK_CHARS:
            space = False
            prev = -1
            continue
        o = ord(c)
        if o < 0x20 or o == 0xFFFD or o == 0xFFFE or o == 0xFFFF or 0xE000 <= o <= 0xF8FF:
            bad += 1
            continue
        angle = get_angle(textpage, i)  # radians, clockwise, in user space
        q = 0
        if angle > 0.02:
            ccw = (360.0 - angle * 57.29577951308232 - turn) % 360.0
            q4 = round(ccw / 90.0)
            if abs(ccw - 90.0 * q4) > 2.0:
                oblique += 1
                continue
            q = q4 % 4
        elif rotation:
            q = (-rotation) % 4
        if not get_box(textpage, i, left, right, bottom, top):
            continue
        get_origin(textpage, i, ox, oy)
        x0, x1, y0, y1 = left.value, right.value, bottom.value, top.value
        if (y1 - y0 < 0.05 or x1 - x0 < 0.05) and get_loose(textpage, i, loose):
            # no glyph outline (a non-embedded font PDFium substitutes): use the font's em box
            x0, x1, y0, y1 = loose.left, loose.right, loose.bottom, loose.top
        chars.append(_Ch(c, x0, x1, y0, y1, oy.value, space, prev, i, ox.value, q))
        space = False
        prev = i
    return chars, bad, dropped, oblique


# ---------------------------------------------------------------------------------------------
# ruling lines


class _Paths:
    """Collects horizontal (y, x0, x1) and vertical (x, y0, y1) segments of a page."""

    def __init__(self, rot):
        self.h: list[tuple[float, float, float]] = []
        self.v: list[tuple[float, float, float]] = []
        self.rot = rot
        self.f = [ctypes.c_float() for _ in range(4)]
        self.u = [ctypes.c_uint() for _ in range(4)]
        self.fillmode = ctypes.c_int()
        self.stroke = ctypes.c_int()
        self.visited = 0

    # -- geometry helpers
    def _pt(self, m, x, y):
        if m is not None:
            a, b, c, d, e, f = m
            x, y = a * x + c * y + e, b * x + d * y + f
        if self.rot is not None:
            x, y = self.rot(x, y)
        return x, y

    def _add(self, x0, y0, x1, y1):
        """Add the segment (x0,y0)–(x1,y1) if it is (nearly) horizontal or vertical."""
        dx, dy = abs(x1 - x0), abs(y1 - y0)
        if dy <= 1.0 and dx > 1.0:
            self.h.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif dx <= 1.0 and dy > 1.0:
            self.v.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))

    def _add_box(self, x0, y0, x1, y1):
        """A thin box (already in page frame) becomes a line along its long side."""
        w, h = x1 - x0, y1 - y0
        if w >= h and w > _THIN:
            self.h.append(((y0 + y1) / 2, x0, x1))
        elif h > w and h > _THIN:
            self.v.append(((x0 + x1) / 2, y0, y1))

    def _visible(self, obj, stroked: bool) -> bool:
        r, g, b, a = self.u
        get = _obj_stroke_color if stroked else _obj_fill_color
        if not get(obj, r, g, b, a):
            return True
        if a.value == 0:
            return False
        return not (r.value >= 245 and g.value >= 245 and b.value >= 245)

    @staticmethod
    def _matrix(obj):
        m = _pdfium.FS_MATRIX()
        if not _obj_matrix(obj, m):
            return None
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    @staticmethod
    def _compose(inner, outer):
        """Matrix of `inner` applied first, then `outer` (PDF row-vector convention)."""
        if outer is None:
            return inner
        if inner is None:
            return outer
        a1, b1, c1, d1, e1, f1 = inner
        a2, b2, c2, d2, e2, f2 = outer
        return (
            a1 * a2 + b1 * c2,
            a1 * b2 + b1 * d2,
            c1 * a2 + d1 * c2,
            c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2,
            e1 * b2 + f1 * d2 + f2,
        )

    # -- walking
    def visit(self, obj, parent, depth: int = 0) -> None:
        self.visited += 1
        if self.visited > MAX_OBJECTS_PER_PAGE:
            return
        kind = _object_type(obj)
        if kind == _pdfium.FPDF_PAGEOBJ_PATH:
            self._path(obj, parent)
        elif kind == _pdfium.FPDF_PAGEOBJ_FORM and depth < 8:
            m = self._compose(self._matrix(obj), parent)
            for k in range(_form_count(obj)):
                child = _form_object(obj, k)
                if child:
                    self.visit(child, m, depth + 1)

    def _path(self, obj, parent) -> None:
        if not _path_draw_mode(obj, self.fillmode, self.stroke):
            return
        filled, stroked = self.fillmode.value != 0, bool(self.stroke.value)
        if not (filled or stroked):
            return
        fl, fb, fr, ft = self.f
        if not _obj_bounds(obj, fl, fb, fr, ft):
            return
        # bounds are in the parent's space (the page, or the enclosing form)
        p0 = self._pt(parent, fl.value, fb.value)
        p1 = self._pt(parent, fr.value, ft.value)
        x0, x1 = sorted((p0[0], p1[0]))
        y0, y1 = sorted((p0[1], p1[1]))
        w, h = x1 - x0, y1 - y0
        if min(w, h) <= _THIN:
            if max(w, h) > _THIN and self._visible(obj, stroked):
                self._add_box(x0, y0, x1, y1)
            return
        nseg = _path_count(obj)
        if not stroked and nseg <= 6:
            return  # one filled box: cell shading or a background, not a border
        if not self._visible(obj, stroked):
            return
        self._walk(obj, self._compose(self._matrix(obj), parent), nseg, stroked)

    def _walk(self, obj, m, nseg: int, stroked: bool) -> None:
        px, py = ctypes.c_float(), ctypes.c_float()
        subpaths: list[list[tuple[float, float, bool]]] = []
        cur: list[tuple[float, float, bool]] = []
        for k in range(min(nseg, 20_000)):
            seg = _path_segment(obj, k)
            if not seg or not _segment_point(seg, px, py):
                continue
            kind = _segment_type(seg)
            x, y = self._pt(m, px.value, py.value)
            if kind == _pdfium.FPDF_SEGMENT_MOVETO:
                if cur:
                    subpaths.append(cur)
                cur = [(x, y, False)]
            else:
                cur.append((x, y, kind == _pdfium.FPDF_SEGMENT_LINETO))
            if _segment_close(seg) and cur:
                cur.append((cur[0][0], cur[0][1], True))
                subpaths.append(cur)
                cur = []
        if cur:
            subpaths.append(cur)
        for sp in subpaths:
            if stroked:
                for (ax, ay, _), (bx, by, line) in zip(sp, sp[1:]):
                    if line:
                        self._add(ax, ay, bx, by)
            else:  # filled: only thin, rectangle-like sub-paths are lines
                if not all(line for _, _, line in sp[1:]):
                    continue
                xs = [p[0] for p in sp]
                ys = [p[1] for p in sp]
                bx0, bx1, by0, by1 = min(xs), max(xs), min(ys), max(ys)
                if min(bx1 - bx0, by1 - by0) <= _THIN:
                    self._add_box(bx0, by0, bx1, by1)


def _merge_segments(segs: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Merge segments on (nearly) the same position that touch or overlap end to end."""
    if not segs:
        return []
    segs = sorted(segs)
    groups: list[list[tuple[float, float, float]]] = [[segs[0]]]
    for s in segs[1:]:
        if s[0] - groups[-1][-1][0] <= _POS_TOL:
            groups[-1].append(s)
        else:
            groups.append([s])
    out = []
    for g in groups:
        total = sum(s[2] - s[1] for s in g) or 1.0
        pos = sum(s[0] * (s[2] - s[1]) for s in g) / total
        pieces = sorted((s[1], s[2]) for s in g)
        a, b = pieces[0]
        for c, d in pieces[1:]:
            if c <= b + _JOIN_GAP:
                b = max(b, d)
            else:
                out.append((pos, a, b))
                a, b = c, d
        out.append((pos, a, b))
    return out


def _cluster(values: list[float], tol: float = _POS_TOL) -> list[float]:
    values = sorted(values)
    if not values:
        return []
    groups = [[values[0]]]
    for v in values[1:]:
        if v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


# ---------------------------------------------------------------------------------------------
# tables


class _Grid:
    """A ruled table found on a page: boundaries, cells (with spans) and the characters in them."""

    def __init__(self, xs: list[float], ys_desc: list[float], owner: list[list[int]], spans):
        self.xs = xs  # column boundaries, left to right
        self.ys = ys_desc  # row boundaries, top to bottom (y-up frame, so descending)
        self.neg_ys = [-y for y in ys_desc]
        self.owner = owner  # owner[row][col] -> cell index
        self.spans = spans  # cell index -> (row, col, rowspan, colspan)
        self.chars: list[list[_Ch]] = [[] for _ in spans]

    @property
    def top(self) -> float:
        return self.ys[0]

    def contains(self, x: float, y: float) -> bool:
        return self.xs[0] <= x <= self.xs[-1] and self.ys[-1] <= y <= self.ys[0]

    def add(self, ch: _Ch, x: float, y: float) -> None:
        col = min(max(bisect_right(self.xs, x) - 1, 0), len(self.xs) - 2)
        row = min(max(bisect_right(self.neg_ys, -y) - 1, 0), len(self.ys) - 2)
        self.chars[self.owner[row][col]].append(ch)


def _coverage(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    covered = 0.0
    for a, b in intervals:
        a, b = max(a, lo), min(b, hi)
        if b > a:
            covered += b - a
    return covered


def _borders(xs: list[float], ys_desc: list[float], hs, vs) -> tuple[list[list[bool]], list[list[bool]]]:
    """Which sides of each grid position have a ruling line: vb[row][k] for the vertical
    boundary xs[k] across a row, hb[k][col] for the horizontal boundary ys_desc[k] across a
    column. The outer frame always counts as ruled."""
    ncols, nrows = len(xs) - 1, len(ys_desc) - 1
    vlines: list[list[tuple[float, float]]] = [[] for _ in xs]
    for x, a, b in vs:
        k = min(range(len(xs)), key=lambda i: abs(xs[i] - x))
        if abs(xs[k] - x) <= _POS_TOL * 2:
            vlines[k].append((a, b))
    hlines: list[list[tuple[float, float]]] = [[] for _ in ys_desc]
    for y, a, b in hs:
        k = min(range(len(ys_desc)), key=lambda i: abs(ys_desc[i] - y))
        if abs(ys_desc[k] - y) <= _POS_TOL * 2:
            hlines[k].append((a, b))
    vb = []
    for r in range(nrows):
        lo, hi = ys_desc[r + 1], ys_desc[r]
        need = _COVER * (hi - lo)
        vb.append([k in (0, ncols) or _coverage(vlines[k], lo, hi) >= need for k in range(ncols + 1)])
    hb = []
    for k in range(nrows + 1):
        row = []
        for c in range(ncols):
            lo, hi = xs[c], xs[c + 1]
            row.append(k in (0, nrows) or _coverage(hlines[k], lo, hi) >= _COVER * (hi - lo))
        hb.append(row)
    return vb, hb


def _build_grid(hs, vs) -> _Grid | None:
    """A grid from one connected group of horizontal and vertical segments."""
    xs = _cluster([v[0] for v in vs])
    ys = _cluster([h[0] for h in hs])
    # outer borders left open: a side where lines run well past the outermost crossing line
    min_hx, max_hx = min(h[1] for h in hs), max(h[2] for h in hs)
    min_vy, max_vy = min(v[1] for v in vs), max(v[2] for v in vs)
    if min_hx < xs[0] - 6:
        xs.insert(0, min_hx)
    if max_hx > xs[-1] + 6:
        xs.append(max_hx)
    if min_vy < ys[0] - 6:
        ys.insert(0, min_vy)
    if max_vy > ys[-1] + 6:
        ys.append(max_vy)
    if len(xs) < 2 or len(ys) < 2:
        return None
    ys_desc = ys[::-1]
    for _ in range(2):
        vb, hb = _borders(xs, ys_desc, hs, vs)
        ncols, nrows = len(xs) - 1, len(ys_desc) - 1
        # a boundary that borders no cell (a short stray line touching the grid) is no boundary
        keep_x = [k for k in range(ncols + 1) if k in (0, ncols) or any(vb[r][k] for r in range(nrows))]
        keep_y = [k for k in range(nrows + 1) if k in (0, nrows) or any(hb[k][c] for c in range(ncols))]
        if len(keep_x) == ncols + 1 and len(keep_y) == nrows + 1:
            break
        xs = [xs[k] for k in keep_x]
        ys_desc = [ys_desc[k] for k in keep_y]
    ncols, nrows = len(xs) - 1, len(ys_desc) - 1

    owner = [[-1] * ncols for _ in range(nrows)]
    spans: list[tuple[int, int, int, int]] = []
    for r in range(nrows):
        for c in range(ncols):
            if owner[r][c] >= 0:
                continue
            c2 = c + 1
            while c2 < ncols and not vb[r][c2] and owner[r][c2] < 0:
                c2 += 1
            r2 = r + 1
            while r2 < nrows:
                if any(hb[r2][cc] for cc in range(c, c2)):
                    break
                if any(owner[r2][cc] >= 0 for cc in range(c, c2)):
                    break
                if any(vb[r2][k] for k in range(c + 1, c2)):
                    break
                if c2 < ncols and not vb[r2][c2]:
                    break  # the region below is wider: not one rectangle
                r2 += 1
            idx = len(spans)
            spans.append((r, c, r2 - r, c2 - c))
            for rr in range(r, r2):
                for cc in range(c, c2):
                    owner[rr][cc] = idx
    if len(spans) < 2 or ncols < 2:
        return None  # a box around text, or a frame of one column: layout, not a table
    return _Grid(xs, ys_desc, owner, spans)


def _find_grids(h_raw, v_raw) -> list[_Grid]:
    hs = [s for s in _merge_segments(h_raw) if s[2] - s[1] > _THIN]
    vs = [s for s in _merge_segments(v_raw) if s[2] - s[1] > _THIN]
    if not hs or not vs:
        return []
    n_h = len(hs)
    parent = list(range(n_h + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    t = _CROSS_TOL
    v_order = sorted(range(len(vs)), key=lambda j: vs[j][0])
    v_xs = [vs[j][0] for j in v_order]
    for i, (y, hx0, hx1) in enumerate(hs):
        for pos in range(bisect_left(v_xs, hx0 - t), bisect_right(v_xs, hx1 + t)):
            j = v_order[pos]
            if vs[j][1] - t <= y <= vs[j][2] + t:
                a, b = find(i), find(n_h + j)
                if a != b:
                    parent[a] = b
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(n_h + j), ([], []))[1].append(v)
    grids = []
    for g_h, g_v in groups.values():
        if g_h and g_v and len(g_h) + len(g_v) >= 3:
            grid = _build_grid(g_h, g_v)
            if grid is not None:
                grids.append(grid)
    return grids


# ---------------------------------------------------------------------------------------------
# lines of text


class _Line:
    __slots__ = ("text", "x0", "x1", "top", "bottom", "em", "parts", "page", "edge", "tokens")

    def __init__(self, text, x0, x1, top, bottom, em, parts, page, tokens=()):
        self.edge = False  # near the top or bottom edge of its page
        self.tokens = tokens  # the line cut at every visible space (see `_line_tokens`)
        self.text = text
        self.x0 = x0
        self.x1 = x1
        self.top = top
        self.bottom = bottom
        self.em = em
        self.parts = parts  # the line split at wide gaps: [(x0, x1, text)]
        self.page = page


def _em(chars: list[_Ch]) -> float:
    """Font size estimate: the median size of CJK ideographs (about 0.9 em), else of letters
    and digits (cap height, about 0.72 em)."""
    hs = sorted(max(c.y1 - c.y0, c.x1 - c.x0) for c in chars if 0x3400 <= ord(c.c) <= 0x9FFF)
    if hs:
        return max(hs[len(hs) // 2] / 0.9, 1.0)
    hs = sorted(c.y1 - c.y0 for c in chars if c.c.isalnum())
    if hs:
        return max(hs[len(hs) // 2] / 0.72, 1.0)
    return 10.0


def _group_lines(chars: list[_Ch], em: float | None = None) -> list[list[_Ch]]:
    """Characters → lines (top to bottom), each sorted left to right. `em`: their font size."""
    if not chars:
        return []
    if em is None:
        em = _em(chars)
    tol = max(0.35 * em, 1.0)
    chars = sorted(chars, key=lambda c: -c.by)
    lines: list[list[_Ch]] = [[chars[0]]]
    base = chars[0].by
    for ch in chars[1:]:
        if base - ch.by <= tol:
            lines[-1].append(ch)
        else:
            lines.append([ch])
            base = ch.by
    out = []
    for line in lines:
        line.sort(key=lambda c: c.x0)
        # drop characters printed twice over themselves (fake bold)
        dedup = [line[0]]
        for ch in line[1:]:
            p = dedup[-1]
            if ch.c == p.c and abs(ch.x0 - p.x0) < 0.4 * max(p.x1 - p.x0, 1.0) and abs(ch.by - p.by) < 1.5:
                continue
            dedup.append(ch)
        out.append(dedup)
    return out


def _turned(ch: _Ch) -> _Ch:
    """A copy of a sideways or upside-down character, turned upright about the origin."""
    q = ch.q
    if q == 1:  # baseline runs up the page: turn a quarter clockwise
        return _Ch(ch.c, ch.y0, ch.y1, -ch.x1, -ch.x0, -ch.ox, ch.sp, ch.prev, ch.idx, ch.by, 0, ch)
    if q == 3:  # baseline runs down the page: turn a quarter counter-clockwise
        return _Ch(ch.c, -ch.y1, -ch.y0, ch.x0, ch.x1, ch.ox, ch.sp, ch.prev, ch.idx, -ch.by, 0, ch)
    return _Ch(ch.c, -ch.x1, -ch.x0, -ch.y1, -ch.y0, -ch.by, ch.sp, ch.prev, ch.idx, -ch.ox, 0, ch)


def _reading_lines(chars: list[_Ch], em: float | None = None) -> list[list[_Ch]]:
    """Characters → lines in reading order, whichever way each runs: upright text line by
    line; sideways text (a label turned a quarter) column by column, read along its baseline.
    Characters of turned lines are upright copies (`src` is the character as printed)."""
    if all(c.q == 0 for c in chars):
        return _group_lines(chars, em)
    by_turn: dict[int, list[_Ch]] = {}
    for c in chars:
        by_turn.setdefault(c.q, []).append(c)
    out = []
    for q, group in by_turn.items():
        if q == 0:
            lines = _group_lines(group, em)
        else:
            lines = _group_lines([_turned(c) for c in group], em)
        out.extend(lines)
    if len(by_turn) > 1:
        out.sort(key=lambda ln: -max((c.src or c).y1 for c in ln))
    return out


def _line_parts(line: list[_Ch], em: float, col_gap: float) -> list[tuple[float, float, str]]:
    """Text of one line, split where the gap between characters is wider than `col_gap` ems."""
    parts = []
    buf = [line[0].c]
    start = line[0].x0
    prev = line[0]
    for ch in line[1:]:
        gap = ch.x0 - prev.x1
        if gap > col_gap * em:
            parts.append((start, prev.x1, "".join(buf)))
            buf = [ch.c]
            start = ch.x0
        else:
            if not (_is_cjk(prev.c) or _is_cjk(ch.c)):
                if (ch.sp and ch.prev == prev.idx) or (ch.prev != prev.idx and gap > 0.25 * em):
                    buf.append(" ")
            buf.append(ch.c)
        prev = ch
    parts.append((start, prev.x1, "".join(buf)))
    return parts


def _line_tokens(line: list[_Ch], em: float) -> list[tuple[float, float, str]]:
    """The line cut at every visible space: a space PDFium found in the text stream, a gap of
    over 2 em, a gap of over 0.8 em between a CJK character and a digit, or of over 0.4 em
    between two others. For telling table rows (a label, then values) from running text."""
    tokens = []
    buf = [line[0].c]
    start = line[0].x0
    prev = line[0]
    for ch in line[1:]:
        gap = ch.x0 - prev.x1
        cjk = _is_cjk(prev.c) or _is_cjk(ch.c)
        if (
            gap > 2.0 * em
            or (ch.sp and ch.prev == prev.idx)
            or (cjk and gap > 0.8 * em and (ch.c.isdigit() or prev.c.isdigit()))
            or (not cjk and gap > 0.4 * em)
        ):
            tokens.append((start, prev.x1, "".join(buf)))
            buf = [ch.c]
            start = ch.x0
        else:
            buf.append(ch.c)
        prev = ch
    tokens.append((start, prev.x1, "".join(buf)))
    return tokens


def _join_text(a: str, b: str) -> str:
    """Join two wrapped pieces of text: no space where either side is CJK or both are digits."""
    if not a:
        return b
    if not b:
        return a
    x, y = a[-1], b[0]
    if _is_cjk(x) or _is_cjk(y) or (x.isdigit() and y.isdigit()) or x == "-":
        return a + b
    return a + " " + b


_MARKER_DECORATED = re.compile(
    r"^(?:[-—–－─―~～_·•]+\s*\d{1,4}\s*[-—–－─―~～_·•]+"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，、/]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*[,，、/]?\s*第\s*\d{1,4}\s*页"
    r"|[Pp]age\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)$"
)
_MARKER_BARE = re.compile(r"^(?:\d{1,4}|\d{1,4}\s*/\s*\d{1,4}|[-—–－]\s*\d{1,4}|\d{1,4}\s*[-—–－])$")


def _is_marker(text: str) -> bool:
    return bool(_MARKER_DECORATED.match(text.strip()))


def _cell_text(chars: list[_Ch], height: float) -> str:
    """Text of one cell. Page markers printed into it are left out: a decorated one (`- 3 -`,
    `第3页`) anywhere, a bare one (`3`, `3/5`) only as the last of several lines and in the
    footer zone of the page (`height`: the page's)."""
    if not chars:
        return ""
    em = _em(chars)
    lines = _reading_lines(chars, em)
    pieces = []
    for k, line in enumerate(lines):
        piece = " ".join(p[2] for p in _line_parts(line, em, 2.0))
        if _is_marker(piece):
            continue
        if len(lines) > 1 and k == len(lines) - 1 and _MARKER_BARE.match(piece.strip()):
            if (line[0].src or line[0]).by < 0.08 * height:
                continue
        pieces.append(piece)
    text = ""
    for piece in pieces:
        text = _join_text(text, piece)
    return text.strip()


# ---------------------------------------------------------------------------------------------
# pdfminer, for the pages PDFium cannot read all of


class _Pdfminer:
    """Characters of single pages read with pdfminer.six (MIT), opened only when a page needs
    it: PDFium drops text it cannot measure (non-embedded CJK fonts without a system font to
    substitute), pdfminer measures glyphs by the font's widths instead. ~50× slower than PDFium,
    so used only where PDFium lost text."""

    def __init__(self, data: bytes):
        self.data = data
        self.pages = None
        self.used = 0

    def chars(self, index: int, dq: int = 0, width: float = 0.0, height: float = 0.0) -> list[_Ch]:
        """Characters of page `index` in the page frame: pdfminer lays the page out as displayed
        (/Rotate applied); `dq` more quarter turns give a frame `width` × `height`."""
        import logging

        log = logging.getLogger("pdfminer")
        level = log.level
        log.setLevel(logging.CRITICAL)  # a damaged file makes pdfminer log every bad operator
        try:
            chars = self._chars(index)
        finally:
            log.setLevel(level)
        if dq:
            w, h = (height, width) if dq in (1, 3) else (width, height)  # the displayed page
            _to_frame(chars, _rotation_fn(dq, (0.0, 0.0, w, h)), dq)
        return chars

    def _chars(self, index: int) -> list[_Ch]:
        import io

        from pdfminer.converter import PDFPageAggregator
        from pdfminer.layout import LTChar, LTContainer
        from pdfminer.pdfdocument import PDFDocument
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
        from pdfminer.pdfpage import PDFPage
        from pdfminer.pdfparser import PDFParser

        if self.pages is None:
            document = PDFDocument(PDFParser(io.BytesIO(self.data)))
            self.pages = []
            for k, pg in enumerate(PDFPage.create_pages(document)):
                if k >= MAX_PAGES:
                    break
                self.pages.append(pg)
        rm = PDFResourceManager(caching=True)
        device = PDFPageAggregator(rm, laparams=None)
        PDFPageInterpreter(rm, device).process_page(self.pages[index])
        layout = device.get_result()
        out: list[_Ch] = []
        space = False
        prev = -1
        stack = [iter(layout)]
        k = 0
        while stack and len(out) < MAX_CHARS_PER_PAGE:
            obj = next(stack[-1], None)
            if obj is None:
                stack.pop()
                continue
            if isinstance(obj, LTChar):
                k += 1
                c = obj.get_text()
                if len(c) != 1:  # ligatures and (cid:N) placeholders
                    c = c[:1] if c and not c.startswith("(cid:") else "\ufffd"
                if c in _SPACE_CHARS:
                    space = True
                    continue
                if c in _BREAK_CHARS or ord(c) < 0x20 or c == "\ufffd":
                    continue
                a, b = obj.matrix[0], obj.matrix[1]
                turn = math.degrees(math.atan2(b, a)) % 360.0
                q = round(turn / 90.0)
                if abs(turn - 90.0 * q) > 2.0:
                    continue  # oblique: a watermark
                ox, by = obj.matrix[4], obj.matrix[5]
                out.append(_Ch(c, obj.x0, obj.x1, obj.y0, obj.y1, by, space, prev, k, ox, q % 4))
                space = False
                prev = k
            elif isinstance(obj, LTContainer):
                stack.append(iter(obj))
        return out


# ---------------------------------------------------------------------------------------------
# a page


_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]"
    r"|[（(][一二三四五六七八九十]{1,3}[）)]"
    r"|第[一二三四五六七八九十]{1,3}[章节部分])"
)
_NUMERIC = re.compile(
    r"^[-+＋]?\d[\d,，.．]*(?:%|％|万元|亿元|元|件|条|个|次|人|项)?(?:[（(][^）)]*[）)])?$"
    r"|^(?:/|／|-|--|—|——|–|－|―|N/?A|无)$"
)


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
            items.append((g.top, Table(cells, page=index + 1)))
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
        lines.append(_Line(text, x0, x1, top, bottom, em, parts, index + 1, _line_tokens(line, em)))
    lines = _drop_page_markers(lines, height)
    n = len(lines)
    for k, ln in enumerate(lines):  # candidates for a running header or footer
        ln.edge = (k < 2 and ln.bottom > 0.88 * height) or (k >= n - 2 and ln.top < 0.12 * height)
    items.extend(_stream_tables(lines, index + 1))
    items.sort(key=lambda it: -it[0])
    return [it[1] for it in items], len(chars), bad, has_image, (_em(chars) if chars else None)


def _drop_page_markers(lines: list[_Line], height: float) -> list[_Line]:
    keep = []
    n = len(lines)
    for i, ln in enumerate(lines):
        if _is_marker(ln.text):
            continue
        edge = i == 0 or i == n - 1
        if edge and _MARKER_BARE.match(ln.text.strip()) and (ln.top > 0.85 * height or ln.bottom < 0.15 * height):
            continue
        keep.append(ln)
    return keep


# -- stream tables (pages without ruling lines)


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


# ---------------------------------------------------------------------------------------------
# paragraphs


def _page_margins(lines: list[_Line]) -> tuple[float, float] | None:
    """Left and right edge of the page's text block, from its longer lines; None when the page
    has too few of them to tell."""
    long = [ln for ln in lines if len(ln.text) >= 8]
    if len(long) < 3:
        return None
    return min(ln.x0 for ln in long), max(ln.x1 for ln in long)


def _all_margins(pages: list[list]) -> list[tuple[float, float, bool]]:
    """Text-block edges of every page, and whether they were measured on the page itself (a
    page with few lines borrows the median edges of the others)."""
    per_page = [_page_margins([it for it in items if isinstance(it, _Line)]) for items in pages]
    known = [m for m in per_page if m is not None]
    fallback = None
    if known:
        lefts = sorted(m[0] for m in known)
        rights = sorted(m[1] for m in known)
        fallback = (lefts[len(lefts) // 2], rights[len(rights) // 2])
    out = []
    for items, m in zip(pages, per_page):
        if m is not None:
            out.append((m[0], m[1], True))
        elif fallback is not None:
            out.append((fallback[0], fallback[1], True))
        else:
            lines = [it for it in items if isinstance(it, _Line)]
            if lines:
                out.append((min(ln.x0 for ln in lines), max(ln.x1 for ln in lines), False))
            else:
                out.append((0.0, 0.0, False))
    return out


def _continues(prev: _Line, line: _Line, prev_margins, margins, same_page: bool) -> bool:
    """Does `line` continue the paragraph whose last line is `prev`?"""
    if _HEADING.match(line.text):
        return False  # a numbered heading starts a paragraph (a short heading line also ends one)
    em = max(prev.em, line.em)
    if abs(prev.em - line.em) > 0.15 * em:
        return False
    if prev.x1 < prev_margins[1] - 1.5 * prev.em:
        return False  # the previous line ends short: its paragraph ended
    if line.x0 > margins[0] + 0.6 * line.em:
        return False  # indented or centred: a new paragraph
    if same_page and prev.bottom - line.top > 1.6 * em:
        return False  # a wider gap than between lines of one paragraph
    if not same_page and not (prev_margins[2] and margins[2]):
        return False  # too little text to tell whether the paragraph runs on over the page break
    return True


def _paragraphs(pages: list[list]) -> list:
    blocks: list = []
    last: _Line | None = None  # last line of the open paragraph
    last_margins = (0.0, 0.0, False)
    texts: list[str] = []
    start_page = 0

    def close():
        nonlocal last, texts
        if last is not None:
            blocks.append(Paragraph("".join(texts) if len(texts) == 1 else _join_all(texts), start_page))
        last, texts = None, []

    for items, margins in zip(pages, _all_margins(pages)):
        for it in items:
            if isinstance(it, Table):
                close()
                blocks.append(it)
                continue
            if last is not None and _continues(last, it, last_margins, margins, last.page == it.page):
                texts.append(it.text)
            else:
                close()
                texts = [it.text]
                start_page = it.page
            last, last_margins = it, margins
    close()
    return blocks


def _join_all(texts: list[str]) -> str:
    out = texts[0]
    for t in texts[1:]:
        out = _join_text(out, t)
    return out


def _drop_running_lines(pages: list[list]) -> None:
    """Running headers and footers: a line at the top or bottom edge of its page whose text
    (numbers aside) recurs at the edges of at least 3 pages and half of them."""
    if len(pages) < 3:
        return
    seen: dict[str, set[int]] = {}
    for k, items in enumerate(pages):
        for it in items:
            if isinstance(it, _Line) and it.edge:
                seen.setdefault(re.sub(r"\d+", "#", it.text.replace(" ", "")), set()).add(k)
    running = {t for t, where in seen.items() if len(where) >= max(3, len(pages) // 2)}
    if not running:
        return
    for items in pages:
        items[:] = [
            it
            for it in items
            if not (isinstance(it, _Line) and it.edge and re.sub(r"\d+", "#", it.text.replace(" ", "")) in running)
        ]


def _title(pages: list[list], body: float | None) -> str | None:
    """The title: the leading lines of the first page printed larger than the body text
    (`body`: the document's usual font size)."""
    if not pages or not body:
        return None
    lines = [it for it in pages[0] if isinstance(it, _Line)]
    head = []
    for ln in lines[:4]:
        if ln.em >= 1.15 * body:
            head.append(ln.text)
        else:
            break
    if not head:
        return None
    return _join_all(head)


# ---------------------------------------------------------------------------------------------
# the document


_OBJ_RE = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj(?![A-Za-z])")
_ENDOBJ = b"endobj"


def _rebuild(data: bytes) -> bytes | None:
    """A truncated file (cut before its cross-reference table or trailer, as an interrupted
    download is) with a new xref table and trailer listing the objects that are complete.
    None when no catalog object survived."""
    heads = list(_OBJ_RE.finditer(data))
    objects: dict[int, tuple[int, int]] = {}
    catalog = None
    cut = 0
    for k, m in enumerate(heads):
        limit = heads[k + 1].start() if k + 1 < len(heads) else len(data)
        end = data.find(_ENDOBJ, m.end(), limit)
        if end < 0:
            continue  # cut off, or not an object header
        num, gen = int(m[1]), int(m[2])
        objects[num] = (m.start(), gen)
        body = data[m.end() : end]
        if b"/Catalog" in body[:4096] and b"/Pages" in body[:4096]:
            catalog = (num, gen)
        cut = max(cut, end + len(_ENDOBJ))
    if catalog is None or not objects:
        return None
    out = bytearray(data[:cut])
    out += b"\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if num in objects:
            off, gen = objects[num]
            out += b"%010d %05d n \n" % (off, gen)
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d %d R >>\nstartxref\n%d\n%%%%EOF\n" % (size, catalog[0], catalog[1], xref_at)
    return bytes(out)


def _load(data: bytes):
    doc = _pdfium.FPDF_LoadMemDocument64(data, len(data), None)
    return doc, (0 if doc else _pdfium.FPDF_GetLastError())


def _open(data: bytes, warnings: list[str]):
    """Open `data` with PDFium (which repairs broken cross-reference tables itself); a file cut
    short gets its xref rebuilt here. Returns the document handle and the bytes it reads
    (they must stay alive while the document is open)."""
    if not data:
        raise ExtractionError("empty file (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise ExtractionError("not a PDF: no %PDF- header in the first 1024 bytes")
    doc, err = _load(data)
    if doc and _pdfium.FPDF_GetPageCount(doc) <= 0:
        _pdfium.FPDF_CloseDocument(doc)
        doc, err = None, _pdfium.FPDF_ERR_FORMAT
    if not doc and err in (_pdfium.FPDF_ERR_FORMAT, _pdfium.FPDF_ERR_FILE, _pdfium.FPDF_ERR_UNKNOWN):
        fixed = _rebuild(data)
        if fixed is not None:
            doc2, _ = _load(fixed)
            if doc2 and _pdfium.FPDF_GetPageCount(doc2) > 0:
                warnings.append("damaged PDF (truncated or broken cross-reference table): rebuilt and read what survived")
                return doc2, fixed, True
            if doc2:
                _pdfium.FPDF_CloseDocument(doc2)
    if not doc:
        if err == _pdfium.FPDF_ERR_PASSWORD:
            raise ExtractionError("encrypted PDF: password-protected, cannot be opened without the password")
        if err == _pdfium.FPDF_ERR_SECURITY:
            raise ExtractionError("encrypted PDF: unsupported security handler")
        if err in (_pdfium.FPDF_ERR_FORMAT, _pdfium.FPDF_ERR_FILE):
            raise ExtractionError("corrupt PDF: damaged or truncated beyond repair (no page could be found)")
        raise ExtractionError(f"corrupt PDF: PDFium could not open it (error {err})")
    return doc, data, False


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
        fallback = _Pdfminer(data)
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
