"""HTML report page → `Document`.

Decoding: BOM, then strict UTF-8, then the charset the page declares (`<meta charset>`,
`http-equiv`, XML declaration) if it really decodes the bytes, then GB18030, then
charset-normalizer (`normalize.extract.text.decode_text`). Real pages declare utf-8 and
are GBK, or declare nothing: the encoding used and any mismatch go to
`Document.warnings`. MHTML ("single file web page", also Word's) is unpacked first.

Parsing is lxml's HTML parser (BeautifulSoup is ~10× slower, FINDINGS.md). The article
body is the first of the content containers Chinese government CMSs use
(`div.TRS_Editor`, `#zoom`, `#UCAP-CONTENT`, `.view`, `.article-content`,
`.zwxl-article` …) that holds text; otherwise the page is descended from `<body>` into
the child that holds most of the non-link text, so navigation menus, headers and
footers (mostly links, or little text) are left behind.

Text: inline elements are joined with no separator (Word-pasted HTML splits
`<span>20</span><span>23</span>`), block elements and `<br>` end a paragraph; a source
line wrap between two CJK characters/digits is dropped; whitespace (with `&nbsp;`,
U+3000) is collapsed. Tables are placed on the logical grid by the HTML table
algorithm (rowspan/colspan, garbage values read as 1, colspan ≤ 50, rowspan ≤ the rows
left); cells never overlap; a table that is a layout frame (one cell per row) is read
as blocks, and a table inside a data cell is flattened into the cell's text.
"""

from __future__ import annotations

import email
import email.policy
import re

from lxml import etree

from normalize.extract.text import collapse, decode_text, join_lines
from normalize.model import Cell, Document, ExtractionError, Paragraph, Table

MAX_BYTES = 20 * 1024 * 1024
MAX_COLSPAN = 50
MAX_ROWSPAN = 1000

_PARSER = etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, default_doctype=False,
    collect_ids=False, compact=True,
)

#: dropped with their content (their tails are kept)
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "select", "option",
         "button", "textarea", "input", "svg", "canvas", "map", "audio", "video", "head", "nav", "aside",
         "frameset", "frame")

#: elements that end a paragraph
_BLOCK = frozenset(
    "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 section article main header footer blockquote pre center "
    "form fieldset address figure figcaption caption hr table tr td th thead tbody tfoot title body html "
    "details summary legend menu dir".split()
)

# containers that only ever hold an article body (TRS, Hanweb/JCMS, gov.cn, Guangdong CMSs) …
_STRONG_CLASSES = ("TRS_Editor", "TRS_UEDITOR", "trs_editor_view", "article-content", "article_content",
                   "articleContent", "zwxl-article", "zwxl_article", "zwxl-content", "pages_content", "xxgk_content")
_STRONG_IDS = ("zoom", "Zoom", "UCAP-CONTENT", "ucap-content", "zoomcon", "ivs_content", "xxgk_content", "fontzoom")
# … and class/id names that usually do, but are generic enough to be a widget elsewhere
_WEAK_CLASSES = ("view", "trs_paper_default", "zw", "zoom", "content_text", "detail-content", "detail_content",
                 "news_content", "bt-article", "art_con", "conTxt", "contentText")
_WEAK_IDS = ("Content", "content_text", "art_content", "BodyLabel")


_STRONG_CLASS_SET = frozenset(_STRONG_CLASSES)
_WEAK_CLASS_SET = frozenset(_WEAK_CLASSES)
_STRONG_ID_SET = frozenset(_STRONG_IDS)
_WEAK_ID_SET = frozenset(_WEAK_IDS)
_ID_XPATH = {i: etree.XPath(f"//*[@id='{i}']") for i in _STRONG_IDS + _WEAK_IDS}
_ID_NAMES = b"|".join(re.escape(i.encode()) for i in _STRONG_IDS + _WEAK_IDS)
# a literal prefix lets the regex engine skip ahead fast (~0.02 ms for 60 KB)
_ID_DQ = re.compile(b'id="(' + _ID_NAMES + b')"')
_ID_SQ = re.compile(b"id='(" + _ID_NAMES + b")'")
_CONTAINER_TAGS = ("div", "section", "article", "main", "center")


def _containers(root, raw: bytes) -> tuple[list, list]:
    """(strong, weak) body containers, each in document order.

    Class tokens are looked up on div-like elements in one pass (a combined XPath over
    every element costs ~4 ms a page, this ~0.02 ms); ids by one XPath per id that
    occurs in the page's text at all."""
    strong, weak = [], []
    for el in root.iter(_CONTAINER_TAGS):
        cls = el.get("class")
        if cls:
            toks = cls.split()
            if not _STRONG_CLASS_SET.isdisjoint(toks):
                strong.append(el)
                continue
            elif not _WEAK_CLASS_SET.isdisjoint(toks):
                weak.append(el)
                continue
        i = el.get("id")
        if i:
            if i in _STRONG_ID_SET:
                strong.append(el)
            elif i in _WEAK_ID_SET:
                weak.append(el)
    # ids on other elements (an old page's <td id="zoom">)
    for name in {m.decode() for m in _ID_DQ.findall(raw) + _ID_SQ.findall(raw)}:
        out = strong if name in _STRONG_ID_SET else weak
        for el in _ID_XPATH[name](root):
            if el.tag not in _CONTAINER_TAGS:
                out.append(el)
    return strong, weak


_HAS_BLOCKS = etree.XPath("boolean(./p|./div|./table|./br|./ul|./ol|./section|./article|./h1|./h2|./h3|./h4|./center"
                          "|./*/p|./*/div|./*/table|./*/br)")
_NONSPACE_LEN = etree.XPath("string-length(translate(normalize-space(.), ' ', ''))")
_LINK_TEXT = etree.XPath(".//a//text()")
_ROWS = etree.XPath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
_DIRECT_CELLS = etree.XPath("./tr/td|./tr/th|./tbody/tr/td|./tbody/tr/th|./thead/tr/td|./thead/tr/th")

_DECLARED = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-:.]+)""",
    re.I,
)
_REPORTISH = re.compile(r"报告|年报")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def extract(data: bytes) -> Document:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExtractionError("html: input is not bytes", "failed")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ExtractionError(f"html: page too large ({len(data)} bytes)", "failed")
    warnings: list[str] = []
    declared = None
    if _is_mhtml(data):
        data, declared = _mhtml_html(data)
        warnings.append("html: read the HTML part of an MHTML file")
    if declared is None:
        m = _DECLARED.search(data[:16384])
        if m:
            declared = (m.group(1) or m.group(2)).decode("ascii", "replace")
    # (the encoding is named in the warnings only when it was not declared correctly:
    # the pipeline turns every warning into an issue on the report row)
    text, enc, enc_warnings = decode_text(data, declared, note_undeclared=True)
    warnings.extend(enc_warnings)
    if not text.strip():
        raise ExtractionError("html: the page is empty", "not_a_report")
    # the parser reads UTF-8: the page's own bytes when they are UTF-8 already
    utf8 = data if enc == "utf-8" and not data.startswith(b"\xef\xbb\xbf") else text.encode("utf-8", "replace")
    if b"\xef\xb7" in utf8 and _MARKS.search(text):  # our own marks must not occur in the page
        utf8 = _MARKS.sub(" ", text).encode("utf-8", "replace")
    # control characters (and U+FFFE/U+FFFF) survive parsing but lxml refuses them in
    # text we set: they are dropped (no UTF-8 multi-byte sequence holds a byte < 0x20)
    cleaned = utf8.translate(None, _CONTROL_BYTES)
    if len(cleaned) != len(utf8):
        utf8 = cleaned
        warnings.append("html: control characters removed")
    if b"\xef\xbf\xbe" in utf8 or b"\xef\xbf\xbf" in utf8:
        utf8 = utf8.replace(b"\xef\xbf\xbe", b"").replace(b"\xef\xbf\xbf", b"")
    try:
        root = etree.fromstring(utf8, _PARSER)
    except (etree.XMLSyntaxError, etree.ParserError, ValueError) as e:
        raise ExtractionError(f"html: unparsable page ({e})", "failed") from None
    except Exception as e:  # noqa: BLE001 - libxml2 errors of any kind are a bad page
        raise ExtractionError(f"html: unparsable page ({type(e).__name__})", "failed") from None
    if root is None:
        raise ExtractionError("html: the page holds no text", "not_a_report")
    title = _title(root)
    etree.strip_elements(root, *_DROP, with_tail=False)
    body = _find_body(root, data)
    if _may_hide(data):
        _drop_hidden(body, warnings)
    blocks = _blocks(body)
    if not blocks:
        raise ExtractionError("html: the page holds no text", "not_a_report")
    if title is None:
        title = next((b.text for b in blocks if isinstance(b, Paragraph) and _REPORTISH.search(b.text) and len(b.text) <= 80), None)
    return Document(blocks=blocks, source_format="html", title=title, warnings=warnings)


# ------------------------------------------------------------------------------ MHTML

def _is_mhtml(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return (head.startswith(b"mime-version:") or head.startswith(b"from:") or head.startswith(b"content-type:")) and (
        b"multipart/related" in head or b"content-type: text/html" in head
    )


def _mhtml_html(data: bytes) -> tuple[bytes, str | None]:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                payload = part.get_payload(decode=True)
                if payload:
                    return payload, part.get_content_charset()
    except Exception:  # noqa: BLE001 - a broken MIME file is read as it is
        pass
    return data, None


# ------------------------------------------------------------------------------ title

_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|--|—|－| - )\s*")


def _title(root) -> str | None:
    """meta ArticleTitle; else a heading or title element naming the report; else the
    `<title>` part naming it; else the first h1, a meta title or the `<title>`.

    (Only tag-filtered iteration: an XPath scanning every element costs 0.2–0.6 ms.)"""
    meta_title = None
    page_title = ""
    head = root.find("head")
    for m in (head.iter("meta", "title") if head is not None else ()):
        if m.tag == "title":
            if not page_title:
                page_title = collapse("".join(m.itertext()))
            continue
        name = (m.get("name") or m.get("property") or "").lower()
        if name in ("articletitle", "article_title"):
            t = collapse(m.get("content") or "")
            if t:
                return t
        elif name in ("og:title", "title") and meta_title is None:
            t = collapse(m.get("content") or "")
            if t:
                meta_title = t
    first_h1 = None
    for el in root.iter("h1", "h2"):
        t = collapse("".join(el.itertext()))
        if 4 <= len(t) <= 120:
            if _REPORTISH.search(t):
                return t
            if first_h1 is None and el.tag == "h1":
                first_h1 = t
    if meta_title and _REPORTISH.search(meta_title):
        return meta_title
    if not page_title:
        t_el = root.find(".//title")
        page_title = collapse("".join(t_el.itertext())) if t_el is not None else ""
    if page_title:
        for part in _TITLE_SPLIT.split(page_title):
            if part and _REPORTISH.search(part):
                return part
    # an article-title element (div.title, p#ucapTitle …) naming the report
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        names = el.get("class"), el.get("id")
        if (names[0] and "itle" in names[0].lower()) or (names[1] and "itle" in names[1].lower()):
            t = collapse("".join(el.itertext()))
            if 4 <= len(t) <= 120 and _REPORTISH.search(t):
                return t
    return first_h1 or meta_title or (page_title or None)


# ------------------------------------------------------------------------------ body

def _score(el, cache: dict) -> int:
    """Non-whitespace characters of text outside links."""
    s = cache.get(el)
    if s is None:
        total = int(_NONSPACE_LEN(el))
        if total:
            links = sum(len("".join(t.split())) for t in _LINK_TEXT(el))
            s = total - links
        else:
            s = 0
        cache[el] = s
    return s


def _find_body(root, raw: bytes):
    body = root.find("body")
    if body is None:
        body = root
    cache: dict = {}
    strong_matches, weak_matches = _containers(root, raw)
    for matches, strong in ((strong_matches, True), (weak_matches, False)):
        if not matches:
            continue
        # outermost matches only (a TRS_Editor inside div.view is the same article)
        mset = set(matches)
        outer = [m for m in matches if not any(a in mset for a in m.iterancestors())]
        scored = [(m, _score(m, cache)) for m in outer]
        scored = [(m, s) for m, s in scored if s >= 20 or m.find(".//table") is not None]
        if not scored:
            continue
        best, best_s = max(scored, key=lambda x: x[1])
        big = [m for m, s in scored if s >= 100]
        total = sum(s for _, s in scored)
        if len(big) > 1 and best_s < 0.7 * total:
            # the article is split over several containers: take what holds them all
            best = _common_ancestor(big)
        if strong or _score(best, cache) >= 0.3 * _score(body, cache) or best.find(".//table") is not None:
            return best
    return _descend(body, cache)


def _common_ancestor(els):
    first = [els[0]] + list(els[0].iterancestors())
    for cand in first:
        if all(cand is e or any(a is cand for a in e.iterancestors()) for e in els[1:]):
            return cand
    return first[-1]


def _descend(el, cache: dict):
    """From `el`, move into the child holding most of the text while it holds ≥ 80%."""
    for _ in range(100):
        here = _score(el, cache)
        if here <= 0:
            return el
        if el.tag == "table":
            tds = _DIRECT_CELLS(el)
            best = max(tds, key=lambda c: _score(c, cache), default=None)
        else:
            kids = [k for k in el if isinstance(k.tag, str)]
            best = max(kids, key=lambda c: _score(c, cache), default=None)
            if best is not None and (best.tag in ("tr", "tbody", "thead", "tfoot", "td", "th")
                                     or (best.tag != "table" and not _HAS_BLOCKS(best))):
                best = None  # a single paragraph is not an article
        if best is None or _score(best, cache) < 0.8 * here:
            return el
        el = best
    return el


_HIDING_STYLE = re.compile(r"(?i)(?:display\s*:\s*none|visibility\s*:\s*hidden)")


def _may_hide(data: bytes) -> bool:
    """Whether some tag may hide its content (an inline display:none/visibility:hidden
    style or a `hidden` attribute). A cheap scan of the bytes: the element search it
    saves costs ~0.4 ms on a Word-pasted page."""
    low = data.lower()
    for key in (b"display", b"visibility"):
        i = low.find(key)
        while i != -1:
            after = low[i + len(key): i + len(key) + 24].replace(b" ", b"")
            if (after.startswith(b":none") or after.startswith(b":hidden")) and low.rfind(b"<", 0, i) > low.rfind(b">", 0, i):
                return True  # inside a tag: an inline style
            i = low.find(key, i + 1)
    i = low.find(b" hidden")
    while i != -1:
        if low[i + 7: i + 8] in (b" ", b">", b"=", b"/") and low.rfind(b"<", 0, i) > low.rfind(b">", 0, i):
            return True
        i = low.find(b" hidden", i + 1)
    return False


def _drop_hidden(body, warnings: list[str]) -> None:
    """Hidden elements inside the article (a second copy of a table for printing, SEO
    text) are not what the page shows; but when hiding would leave nothing (a page that
    shows its article by script), everything is kept."""
    hidden = []
    for el in body.iter():
        style = el.get("style")
        if (style and _HIDING_STYLE.search(style)) or el.get("hidden") is not None:
            hidden.append(el)
    if not hidden:
        return
    total = int(_NONSPACE_LEN(body))
    gone = sum(int(_NONSPACE_LEN(h)) for h in hidden if not any(a in hidden for a in h.iterancestors()))
    if total and gone >= 0.9 * total:
        warnings.append("html: the article is hidden on the page (display:none); read anyway")
        return
    for h in hidden:
        parent = h.getparent()
        if parent is not None:
            _remove_keep_tail(h)


def _remove_keep_tail(el) -> None:
    parent = el.getparent()
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# ------------------------------------------------------------------------------ walk

_LEADING_INT = re.compile(r"\s*(\d{1,9})")


def _int_attr(v: str | None, default: int = 1) -> int:
    """A span attribute as browsers read it: leading digits ("3;" → 3), else `default`."""
    if not v:
        return default
    if v.isdigit() and v.isascii() and len(v) < 10:
        return int(v)
    m = _LEADING_INT.match(v)
    return int(m.group(1)) if m else default


# Text is gathered in C (`itertext`) after marking the tree: block boundaries get a
# paragraph mark, cells of a flattened nested table a cell mark, and each data table is
# replaced by a numbered table mark. Walking every element in Python instead costs
# ~1 ms a page, twice the parse.
# (Unicode noncharacters: never in real text, yet accepted by libxml2, unlike controls)
_PARA = "\ufdd0"
_CELLSEP = "\ufdd1"
_TMARK = "\ufdd2"
_MARKS = re.compile("[\ufdd0-\ufdd2]")
_TABLE_SPLIT = re.compile("\ufdd2(\\d+)\ufdd2")
_MARK_TAGS = tuple(t for t in _BLOCK if t not in ("table", "tr", "td", "th", "thead", "tbody", "tfoot", "html", "body"))


def _text_of(el) -> str:
    """All text inside `el` (not its tail); the serializer is 6× faster than itertext."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def _mark_before_after(el, mark: str) -> None:
    el.text = mark + el.text if el.text else mark
    el.tail = mark + el.tail if el.tail else mark


def _rows_and_cells(tbl):
    rows = _ROWS(tbl)
    return rows, [[c for c in tr if c.tag == "td" or c.tag == "th"] for tr in rows]


def _blocks(body) -> list:
    # 1. which tables are data tables, which are layout frames, which are nested in a data cell
    data: list = []  # (table, rows, cells_by_row) in document order
    data_set: set = set()
    for tbl in body.iter("table"):
        if data_set and any(a in data_set for a in tbl.iterancestors()):
            # a table inside a data cell: flattened, one line per row, cells space-separated
            for tr in _ROWS(tbl):
                _mark_before_after(tr, _PARA)
                for c in tr:
                    if c.tag == "td" or c.tag == "th":
                        _mark_before_after(c, _CELLSEP)
            continue
        rows, cells_by_row = _rows_and_cells(tbl)
        n_cells = sum(len(r) for r in cells_by_row)
        if n_cells == 0:
            _mark_before_after(tbl, _PARA)  # text placed straight into <table> by a broken page
            continue
        if max(len(r) for r in cells_by_row) <= 1 or (n_cells <= 4 and tbl.find(".//table") is not None):
            # a layout frame: its cells are read as blocks
            for row in cells_by_row:
                for c in row:
                    _mark_before_after(c, _PARA)
            continue
        data.append((tbl, rows, cells_by_row))
        data_set.add(tbl)
    # 2. paragraph marks around block elements and after <br>
    for el in body.iter(_MARK_TAGS + ("br",)):
        tail = el.tail
        el.tail = _PARA + tail if tail else _PARA
        if el.tag != "br":
            text = el.text
            el.text = _PARA + text if text else _PARA
    # 3. data tables → Table blocks; each replaced by its mark
    tables: list = []
    for tbl, rows, cells_by_row in data:
        table = _grid(rows, cells_by_row, _cell_texts(tbl, cells_by_row))
        tail = tbl.tail
        tbl.clear()
        tbl.tail = tail
        tbl.text = f"{_PARA}{_TMARK}{len(tables)}{_TMARK}{_PARA}"
        tables.append(table)
    # 4. the text in reading order
    text = _text_of(body)
    blocks: list = []
    parts = _TABLE_SPLIT.split(text) if tables else [text]
    for i, part in enumerate(parts):
        if i % 2:
            table = tables[int(part)]
            if table is not None:
                blocks.append(table)
            continue
        for piece in part.split(_PARA):
            if piece:
                if _CELLSEP in piece:
                    piece = piece.replace(_CELLSEP, " ")
                t = collapse(piece)
                if t:
                    blocks.append(Paragraph(t))
    return blocks


def _cell_texts(tbl, cells_by_row) -> list[str]:
    """The texts of a table's cells, in row order: one serialisation of the table with a
    mark at the start of each cell instead of one per cell (~2× faster)."""
    tds = [td for row in cells_by_row for td in row]
    for td in tds:
        td.text = _TMARK + td.text if td.text else _TMARK
    parts = _text_of(tbl).split(_TMARK)
    if len(parts) != len(tds) + 1:  # a mark inside a nested table's cell: do it cell by cell
        for td in tds:
            td.text = td.text[1:]
        return [_cell_text(td) for td in tds]
    out = []
    for text in parts[1:]:
        if not text:
            out.append("")
            continue
        if _PARA in text:
            text = text.strip(_PARA)
        if _PARA not in text:
            out.append(collapse(text.replace(_CELLSEP, " ") if _CELLSEP in text else text))
        else:
            out.append(_join_pieces(text))
    return out


def _join_pieces(text: str) -> str:
    lines = []
    for piece in text.split(_PARA):
        if piece:
            if _CELLSEP in piece:
                piece = piece.replace(_CELLSEP, " ")
            t = collapse(piece)
            if t:
                lines.append(t)
    return lines[0] if len(lines) == 1 else join_lines(lines)


def _grid(rows, cells_by_row, texts: list[str]) -> Table | None:
    """The HTML table algorithm: cells placed on the grid; spans clamped so cells never overlap."""
    n_rows = len(rows)
    texts_iter = iter(texts)
    occupied: list[set[int]] = [set() for _ in range(n_rows)]
    cells: list[Cell] = []
    any_text = False
    for r, tds in enumerate(cells_by_row):
        occ = occupied[r]
        c = 0
        for td in tds:
            while c in occ:
                c += 1
            cspan = td.get("colspan")
            rspan = td.get("rowspan")
            cs = rs = 1
            if cspan is not None and cspan != "1":
                cs = min(max(_int_attr(cspan), 1), MAX_COLSPAN)
                k = 1
                while k < cs and (c + k) not in occ:
                    k += 1
                cs = k
            if rspan is not None and rspan != "1":
                rs_raw = _int_attr(rspan)
                left = n_rows - r
                rs = left if rs_raw == 0 else min(max(rs_raw, 1), left, MAX_ROWSPAN)
                for rr in range(r + 1, r + rs):
                    o = occupied[rr]
                    if any(x in o for x in range(c, c + cs)):
                        rs = rr - r
                        break
                for rr in range(r + 1, r + rs):
                    occupied[rr].update(range(c, c + cs))
            if cs > 1:
                occ.update(range(c, c + cs))
            else:
                occ.add(c)
            text = next(texts_iter)
            if text:
                any_text = True
            cells.append(Cell(text, r, c, rs, cs))
            c += cs
    return Table(cells) if any_text else None


def _cell_text(td) -> str:
    if len(td) == 0:  # text only
        return collapse(td.text) if td.text else ""
    text = _text_of(td)
    if _PARA in text:
        text = text.strip(_PARA)
    if _PARA not in text:
        return collapse(text.replace(_CELLSEP, " ") if _CELLSEP in text else text)
    return _join_pieces(text)
