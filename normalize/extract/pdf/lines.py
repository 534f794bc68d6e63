"""Characters into text: lines, their parts at wide gaps, tokens at spaces, cell text, page markers.

Lines are grouped by baseline, sideways ones along their own, and joined without a space next to
CJK text. Page numbers (`- 3 -`, `第3页`) are recognised here because they turn up both as lines
and printed into table cells."""

from __future__ import annotations

import re

from .chars import _Ch, _is_cjk


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
