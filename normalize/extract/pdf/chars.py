"""Characters of a page from PDFium's text page: box, baseline origin and orientation.

PDFium's generated spaces are kept only as a hint on the next character, never as text: Chinese
has no spaces between words, and a space PDFium guessed would split a CJK run. Slanted characters
(watermarks, stamps) are left out here, and the rotation helpers give every later step a y-up
frame of the page as it is read."""

from __future__ import annotations

import ctypes

import pypdfium2.raw as _pdfium

#: a page with more characters than this is read only up to this many
MAX_CHARS_PER_PAGE = 60_000


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
        # (a surrogate: half of a character outside the BMP, read one UTF-16 unit per index; text
        # cannot carry it, and such characters do not occur in the reports' numbers or labels)
        if o < 0x20 or o == 0xFFFD or o == 0xFFFE or o == 0xFFFF or 0xE000 <= o <= 0xF8FF or 0xD800 <= o <= 0xDFFF:
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
