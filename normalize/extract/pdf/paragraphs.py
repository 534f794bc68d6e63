"""The pages' lines and tables → `Paragraph`s and `Table`s; also running headers dropped and the title.

These need the whole document, not one page: a paragraph runs on over a page break, a running
header is known by recurring on many pages, a page with few lines borrows the others' margins,
and the title is told by being larger than the document's usual text."""

from __future__ import annotations

import re

from normalize.model import Paragraph, Table

from .lines import _join_text, _Line

_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]"
    r"|[（(][一二三四五六七八九十]{1,3}[）)]"
    r"|第[一二三四五六七八九十]{1,3}[章节部分])"
)


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
