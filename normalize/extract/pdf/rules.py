"""Ruling lines: the horizontal and vertical segments a page's path objects draw.

Borders are drawn in many ways (stroked lines, thin filled rectangles, one path of many sub-paths,
grids inside form XObjects); reducing them all to plain merged segments here lets the table finder
ignore how a file drew its grid. Shading and backgrounds are wide filled paths, not lines."""

from __future__ import annotations

import ctypes

import pypdfium2.raw as _pdfium

from .pdfium import (
    _form_count,
    _form_object,
    _obj_bounds,
    _obj_fill_color,
    _obj_matrix,
    _obj_stroke_color,
    _object_type,
    _path_count,
    _path_draw_mode,
    _path_segment,
    _segment_close,
    _segment_point,
    _segment_type,
)

#: a page with more graphics objects than this gets no table detection (text only)
MAX_OBJECTS_PER_PAGE = 20_000

_THIN = 3.0  # pt: a path this thin in one direction is a ruling line
_POS_TOL = 2.5  # pt: segments this close in position are the same line
_JOIN_GAP = 3.5  # pt: collinear segments this close end to end are one line


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
