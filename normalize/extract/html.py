"""HTML report page → `Document`.

Decoding: BOM, then strict UTF-8, then the charset the page declares (`<meta charset>`,
`http-equiv`, XML declaration) if it really decodes the bytes, then GB18030, then
charset-normalizer (`normalize.extract.text.decode_text`). Real pages declare utf-8 and
are GBK, or declare nothing: the encoding used and any mismatch go to
`Document.warnings`. MHTML ("single file web page", also Word's) is unpacked first.

Parsing is lxml's HTML parser (BeautifulSoup is ~10× slower, FINDINGS.md; selectolax
parses these pages no faster than `etree.fromstring` with this parser, ~0.5 ms for
60 KB, and would walk the tree from Python); the body is then walked once by an XSLT
stylesheet, in C (see "walk" below). The article
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
import threading
from itertools import repeat

from lxml import etree

from normalize.extract.text import collapse, collapse_pieces, decode_text, join_lines
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
# a literal prefix lets the regex engine skip ahead fast (~0.015 ms for 60 KB)
_ID_ATTR = re.compile(b'id=(?:"(' + _ID_NAMES + b')"|\'(' + _ID_NAMES + b")')")
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
    for name in {(dq or sq).decode() for dq, sq in _ID_ATTR.findall(raw)}:
        out = strong if name in _STRONG_ID_SET else weak
        for el in _ID_XPATH[name](root):
            if el.tag not in _CONTAINER_TAGS:
                out.append(el)
    return strong, weak


_HAS_BLOCKS = etree.XPath("boolean(./p|./div|./table|./br|./ul|./ol|./section|./article|./h1|./h2|./h3|./h4|./center"
                          "|./*/p|./*/div|./*/table|./*/br)")
_LINK_TEXT = etree.XPath(".//a//text()")
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
    if not text or text.isspace():
        raise ExtractionError("html: the page is empty", "not_a_report")
    # the parser reads UTF-8: the page's own bytes when they are UTF-8 already
    utf8 = data if enc == "utf-8" and not data.startswith(b"\xef\xbb\xbf") else text.encode("utf-8", "replace")
    # (rare characters are looked for in `text`, whose characters `utf8` holds: a search
    # for one character in a str is ~50× faster than for a byte sequence in bytes)
    if "\ufdd0" in text or "\ufdd1" in text or "\ufdd2" in text:  # our own marks must not occur in the page
        utf8 = _MARKS.sub(" ", text).encode("utf-8", "replace")
    if _MARK_REFS.search(utf8):  # … nor as character references
        utf8 = _MARK_REFS.sub(b" ", utf8)
    # control characters (and U+FFFE/U+FFFF) survive parsing but lxml refuses them in
    # text we set: they are dropped (no UTF-8 multi-byte sequence holds a byte < 0x20)
    cleaned = utf8.translate(None, _CONTROL_BYTES)
    if len(cleaned) != len(utf8):
        utf8 = cleaned
        warnings.append("html: control characters removed")
        nonchars = b"\xef\xbf\xbe" in utf8 or b"\xef\xbf\xbf" in utf8  # (removing them can join bytes)
    else:
        nonchars = "\ufffe" in text or "\uffff" in text
    if nonchars:
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

def _nonspace_len(el) -> int:
    """Characters of text other than XML whitespace (space, TAB, CR, LF), as XPath's
    `string-length(translate(normalize-space(.), ' ', ''))` counts them (~2× faster)."""
    s = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return len(s) - s.count(" ") - s.count("\n") - s.count("\t") - s.count("\r")


def _score(el, cache: dict) -> int:
    """Non-whitespace characters of text outside links."""
    s = cache.get(el)
    if s is None:
        total = _nonspace_len(el)
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
        if strong and len(outer) == 1 and outer[0].find(".//table") is not None:
            return outer[0]  # (what the steps below come to, without scoring it)
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
# (a compiled literal finds faster than bytes.find)
_HIDING_KEYS = (re.compile(b"display"), re.compile(b"visibility"))
_HIDDEN_ATTR = re.compile(b" hidden")


def _may_hide(data: bytes) -> bool:
    """Whether some tag may hide its content (an inline display:none/visibility:hidden
    style or a `hidden` attribute). A cheap scan of the bytes: the element search it
    saves costs ~0.4 ms on a Word-pasted page."""
    low = data.lower()
    for key in _HIDING_KEYS:
        m = key.search(low)
        while m is not None:
            i, j = m.span()
            after = low[j: j + 24].replace(b" ", b"")
            if (after.startswith(b":none") or after.startswith(b":hidden")) and low.rfind(b"<", 0, i) > low.rfind(b">", 0, i):
                return True  # inside a tag: an inline style
            m = key.search(low, i + 1)
    m = _HIDDEN_ATTR.search(low)
    while m is not None:
        i = m.start()
        if low[i + 7: i + 8] in (b" ", b">", b"=", b"/") and low.rfind(b"<", 0, i) > low.rfind(b">", 0, i):
            return True
        m = _HIDDEN_ATTR.search(low, i + 1)
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
    total = _nonspace_len(body)
    gone = sum(_nonspace_len(h) for h in hidden if not any(a in hidden for a in h.iterancestors()))
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
        try:
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        except ValueError:  # a control character from a character reference (&#16;): lxml sets no such text
            if prev is not None:
                prev.tail = _CONTROL_CHARS.sub("", (prev.tail or "") + tail)
            else:
                parent.text = _CONTROL_CHARS.sub("", (parent.text or "") + tail)
    parent.remove(el)


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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


# The body is read in ONE pass in C: an XSLT stylesheet (libxslt, ~0.2 ms a 60 KB page)
# writes the body's text with marks — a paragraph mark before and after each block
# element and after each <br>, a cell mark around each cell of a table nested in a data
# cell — and each data table as tokens: table start/end, a token per row, and per cell a
# token carrying its colspan/rowspan attributes, followed by the cell's text. Python
# then only splits that string, collapses the whitespace of all paragraphs and cells in
# one pass over the joined text, and places the cells on the grid. (Marking the tree
# from Python, serialising each table and reading attributes cell by cell cost ~0.45 ms
# a page more.)
# Marks are Unicode noncharacters: never in real text, yet accepted by libxml2 (unlike
# control characters); they are removed from the page before parsing.
_PARA = "\ufdd0"
_CELLSEP = "\ufdd1"
_TMARK = "\ufdd2"
_MARKS = re.compile("[\ufdd0-\ufdd2]")
# the same characters written as character references (&#xFDD0; &#64976;): a space too
_MARK_REFS = re.compile(rb"&#(?:[xX]0*[fF][dD][dD][0-2](?![0-9a-fA-F])|0*6497[6-8](?![0-9]));?")
_MARK_TAGS = tuple(t for t in _BLOCK if t not in ("table", "tr", "td", "th", "thead", "tbody", "tfoot", "html", "body"))

# tokens (the table mark occurs only as their first character): \ufdd2T … \ufdd2E a data
# table, \ufdd2R a row, \ufdd2C<colspan>\ufdd1<rowspan>\ufdd1 a cell (attribute values hold no
# marks: they were removed from the page)
_T_START, _T_END, _ROW, _CELL_START = "\ufdd2T", "\ufdd2E", "\ufdd2R", "\ufdd2C"
_CELL = re.compile("\ufdd2C([^\ufdd1]*)\ufdd1([^\ufdd1]*)\ufdd1")
_PIECE_MARKS = _PARA + _TMARK

_ROWS_XP = "tr|thead/tr|tbody/tr|tfoot/tr"
_CELLS_XP = "|".join(f"{r}/{c}" for r in ("tr", "thead/tr", "tbody/tr", "tfoot/tr") for c in ("td", "th"))


def _stylesheet_source() -> str:
    """Modes: default (outside data tables: a table is classified), `c` (inside a data
    table: a table is flattened), and per kind of table — layout frame `l`, data `d`,
    flattened `f` — its rows' levels: table `?t`, thead/tbody/tfoot `?s`, row `?r`.
    Rows are the table's `tr|thead/tr|tbody/tr|tfoot/tr`, cells their td/th children."""
    p, s, t = "&#xFDD0;", "&#xFDD1;", "&#xFDD2;"
    blocks = "|".join(_MARK_TAGS)
    x = ['<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">',
         '<xsl:output method="text" encoding="utf-8"/>',
         # the element walked (for the page's root element, libxslt gets the whole
         # document: a broken page can have nodes after it)
         '<xsl:template match="/"><xsl:apply-templates select="*[1]"/></xsl:template>']
    for m in ("", ' mode="c"'):
        x.append(f'<xsl:template match="{blocks}"{m}>{p}<xsl:apply-templates{m}/>{p}</xsl:template>')
        x.append(f'<xsl:template match="br"{m}><xsl:apply-templates{m}/>{p}</xsl:template>')
    # a table outside data tables: no cells → paragraphs around it; at most one cell a
    # row, or a few cells around a nested table → a layout frame (each cell a block);
    # else a data table
    x.append(
        f'<xsl:template match="table"><xsl:variable name="cells" select="{_CELLS_XP}"/><xsl:choose>'
        f'<xsl:when test="not($cells)">{p}<xsl:apply-templates/>{p}</xsl:when>'
        f'<xsl:when test="not(({_ROWS_XP})[count(td|th) &gt; 1]) or (count($cells) &lt;= 4 and .//table)">'
        f'<xsl:apply-templates mode="lt"/></xsl:when>'
        f'<xsl:otherwise>{t}T<xsl:apply-templates mode="dt"/>{t}E</xsl:otherwise>'
        "</xsl:choose></xsl:template>"
    )
    # a table inside a data table: one line per row, cells separated
    x.append('<xsl:template match="table" mode="c"><xsl:apply-templates mode="ft"/></xsl:template>')
    cell_token = f'{t}C<xsl:value-of select="@colspan"/>{s}<xsl:value-of select="@rowspan"/>{s}'
    for kind, outer, row_open, row_close, cell_open, cell_close, inner in (
        ("l", "", "", "", p, p, ""),
        ("d", ' mode="c"', f"{t}R", "", cell_token, "", ' mode="c"'),
        ("f", ' mode="c"', p, p, s, s, ' mode="c"'),
    ):
        x.append(f'<xsl:template match="thead|tbody|tfoot" mode="{kind}t"><xsl:apply-templates mode="{kind}s"/></xsl:template>')
        for level in ("t", "s"):
            x.append(f'<xsl:template match="tr" mode="{kind}{level}">{row_open}<xsl:apply-templates mode="{kind}r"/>'
                     f'{row_close}</xsl:template>')
        x.append(f'<xsl:template match="td|th" mode="{kind}r">{cell_open}<xsl:apply-templates{inner}/>{cell_close}</xsl:template>')
        for level in ("t", "s", "r"):  # anything else in the table's structure: as outside it
            x.append(f'<xsl:template match="*" mode="{kind}{level}"><xsl:apply-templates select="."{outer}/></xsl:template>')
    x.append("</xsl:stylesheet>")
    return "\n".join(x)


_STYLESHEET = _stylesheet_source()
_local = threading.local()  # one XSLT object per thread (fastest in the thread that made it)


def _walker():
    xslt = getattr(_local, "xslt", None)
    if xslt is None:
        xslt = _local.xslt = etree.XSLT(etree.XML(_STYLESHEET), access_control=etree.XSLTAccessControl.DENY_ALL)
    return xslt


_walker()  # (a broken stylesheet fails at import)


def _blocks(body) -> list:
    try:
        stream = str(_walker()(body))
    except etree.XSLTError as e:  # (libxslt limits; not reached with the parser's depth limit)
        raise ExtractionError(f"html: unreadable page structure ({e})", "failed") from None
    # 1. split: paragraph text between data tables; per table its rows and cells
    tables: list = []  # (cells per row, colspans, rowspans) per data table
    chunks: list[str] = []  # paragraph text, then each table's cell texts, in order
    if _T_START in stream:
        pieces = stream.split(_T_START)
        chunks.append(pieces[0])
        for piece in pieces[1:]:
            seg, _, after = piece.partition(_T_END)
            counts = [row.count(_CELL_START) for row in seg.split(_ROW)[1:]]
            # a cell's text runs to the next cell: text in a row outside its cells goes
            # to the cell before; text before the first cell is dropped
            parts = _CELL.split(seg.replace(_ROW, ""))
            chunks.extend(parts[3::3])
            tables.append((counts, parts[1::3], parts[2::3]))
            chunks.append(after)
    else:
        chunks.append(stream)
    # 2. whitespace, for all at once (each chunk stripped first, as `collapse` would: most
    # line breaks go before the search for line wraps)
    texts = collapse_pieces(_TMARK.join(map(str.strip, chunks)), _PIECE_MARKS, _CELLSEP).split(_TMARK)
    # 3. blocks in reading order
    blocks: list = []
    k = 0
    for ti in range(len(tables) + 1):
        for piece in texts[k].split(_PARA):
            if piece:
                blocks.append(Paragraph(piece))
        k += 1
        if ti < len(tables):
            counts, colspans, rowspans = tables[ti]
            table = _grid(counts, colspans, rowspans, texts[k:k + len(colspans)])
            k += len(colspans)
            if table is not None:
                blocks.append(table)
    return blocks


def _grid(counts: list[int], colspans: list[str], rowspans: list[str], texts: list[str]) -> Table | None:
    """The HTML table algorithm: cells placed on the grid; spans clamped so cells never overlap.

    `counts`: cells in each row; per cell in document order its colspan and rowspan
    attributes ("" when absent) and its text."""
    if _PARA in "".join(texts):  # cells of several lines
        texts = [_cell_lines(t) if _PARA in t else t for t in texts]
    if not any(texts):
        return None
    n_rows = len(counts)
    # columns of each row covered by a rowspan from a row above (a row's own cells are
    # all left of the next cell's column: they need no record)
    occupied: dict[int, set[int]] = {}
    cells: list[Cell] = []
    add = cells.append
    end = 0
    for r, n in enumerate(counts):
        start, end = end, end + n
        if not n:
            continue
        occ = occupied.get(r)
        if not any(colspans[start:end]) and not any(rowspans[start:end]):
            # no spans in the row (most rows): the first n columns not covered from above
            cols = [x for x in range(n + len(occ)) if x not in occ] if occ else range(n)
            cells.extend(map(Cell, texts[start:end], repeat(r), cols))
            continue
        c = 0
        for i in range(start, end):
            if occ:
                while c in occ:
                    c += 1
            cspan = colspans[i]
            rspan = rowspans[i]
            if not cspan and not rspan:
                add(Cell(texts[i], r, c))
                c += 1
                continue
            cs = rs = 1
            if cspan and cspan != "1":
                cs = min(max(_int_attr(cspan), 1), MAX_COLSPAN)
                if occ:
                    m = 1
                    while m < cs and (c + m) not in occ:
                        m += 1
                    cs = m
            if rspan and rspan != "1":
                rs_raw = _int_attr(rspan)
                left = n_rows - r
                rs = left if rs_raw == 0 else min(max(rs_raw, 1), left, MAX_ROWSPAN)
                for rr in range(r + 1, r + rs):
                    o = occupied.get(rr)
                    if o and any(x in o for x in range(c, c + cs)):
                        rs = rr - r
                        break
                for rr in range(r + 1, r + rs):
                    o = occupied.get(rr)
                    if o is None:
                        occupied[rr] = set(range(c, c + cs))
                    else:
                        o.update(range(c, c + cs))
            add(Cell(texts[i], r, c, rs, cs))
            c += cs
    return Table(cells)


def _cell_lines(text: str) -> str:
    """A cell's lines (paragraph marks between them) joined."""
    lines = [t for t in text.split(_PARA) if t]
    return lines[0] if len(lines) == 1 else join_lines(lines)
