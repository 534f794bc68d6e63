"""Ruled tables: a grid of cells, with row and column spans, from crossing ruling lines.

Spans come from the borders actually drawn (a boundary no line covers joins two cells), so a
merged header cell is one cell, not a run of empty ones; a boundary that borders no cell (a stray
line touching the grid) is dropped so it cannot split a column."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from .chars import _Ch
from .rules import _POS_TOL, _THIN, _merge_segments

_CROSS_TOL = 3.0  # pt: how far apart a horizontal and a vertical line may be and still meet
_COVER = 0.6  # share of a cell side a line must cover to count as a border


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
