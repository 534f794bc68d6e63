"""DOCX → `Document`: a zip + lxml walk of `word/document.xml`.

python-docx is ~24× slower and repeats a merged cell's text in every grid position
(FINDINGS.md); here cells are placed on the logical grid directly:

* ``w:gridSpan`` → colspan; ``w:vMerge`` restart/continue → rowspan of the restart cell
  (a continue cell adds no cell); legacy ``w:hMerge`` continue widens the cell before;
* ``w:gridBefore`` shifts a row's first cell right (``w:gridAfter`` leaves trailing
  positions empty);
* a paragraph's runs are joined without separators; ``w:tab`` → TAB, ``w:br``/``w:cr``
  → a line break, which starts a new `Paragraph` (one paragraph, one line);
* tables inside cells are flattened into the cell's text (row by row); a table of one
  cell is a layout frame and its content is read as blocks;
* text boxes are read in place (their paragraphs become lines); ``mc:Fallback`` copies
  of the same content and deleted text (``w:delText``) and field codes are skipped.

Zip bombs: the declared sizes of `word/document.xml` and of the whole archive, and the
compression ratio, are checked before anything is inflated, and the XML is read with a
hard cap even if the zip's headers lie (`zipguard`, shared with the XLSX reader).
"""

from __future__ import annotations

import re
import zipfile

from lxml import etree

from normalize.extract import zipguard
from normalize.extract.text import collapse, collapse_keep_tabs, guess_title, join_lines
from normalize.model import Cell, Document, ExtractionError, Paragraph, Table

MAX_INPUT = 200 * 1024 * 1024  # bytes of the .docx itself
MAX_XML = zipguard.MAX_XML  # bytes of word/document.xml once inflated
MAX_TOTAL = zipguard.MAX_TOTAL  # declared uncompressed size of all entries
MAX_SPAN = 64  # gridSpan larger than this is garbage (Word's grid has at most 63 columns)

_W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_DC = "http://purl.org/dc/elements/1.1/"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=False, load_dtd=False
)


class _Tags:
    """Clark names of the WordprocessingML elements we read, for one namespace."""

    def __init__(self, ns: str) -> None:
        def q(name: str) -> str:
            return f"{{{ns}}}{name}"

        self.body = q("body")
        self.p = q("p")
        self.r = q("r")
        self.t = q("t")
        self.tab = q("tab")
        self.br = q("br")
        self.cr = q("cr")
        self.nbh = q("noBreakHyphen")
        self.tbl = q("tbl")
        self.tr = q("tr")
        self.tc = q("tc")
        self.trPr = q("trPr")
        self.tcPr = q("tcPr")
        self.gridBefore = q("gridBefore")
        self.gridSpan = q("gridSpan")
        self.vMerge = q("vMerge")
        self.hMerge = q("hMerge")
        self.val = q("val")
        self.sectPr = q("sectPr")
        self.pPr = q("pPr")
        self.tblPr = q("tblPr")
        self.tblGrid = q("tblGrid")
        self.altChunk = q("altChunk")
        self.skip_blocks = {self.sectPr, self.pPr, self.tblPr, self.tblGrid, q("sdtPr"), q("sdtEndPr"),
                            q("bookmarkStart"), q("bookmarkEnd"), q("proofErr"), q("del"), q("moveFrom")}


_TAGS = {ns: _Tags(ns) for ns in (_W_MAIN, _W_STRICT)}


def extract(data: bytes) -> Document:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExtractionError("docx: input is not bytes", "failed")
    data = bytes(data)
    if len(data) > MAX_INPUT:
        raise ExtractionError(f"docx: file too large ({len(data)} bytes)", "failed")
    warnings: list[str] = []
    with zipguard.open_zip(data, "docx") as zf:
        xml = _read_part(zf, "word/document.xml", required=True)
        core = None
        try:
            core = _read_part(zf, "docProps/core.xml", required=False, cap=1024 * 1024)
        except ExtractionError:
            warnings.append("docx: docProps/core.xml unreadable")
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as e:
        raise ExtractionError(f"docx: word/document.xml is not well-formed XML ({e})", "failed") from None
    except Exception as e:  # noqa: BLE001
        raise ExtractionError(f"docx: word/document.xml unreadable ({type(e).__name__})", "failed") from None
    ns = etree.QName(root).namespace
    tags = _TAGS.get(ns)
    if tags is None:
        raise ExtractionError(f"docx: word/document.xml is not WordprocessingML ({ns})", "failed")
    body = root.find(tags.body)
    if body is None:
        raise ExtractionError("docx: word/document.xml has no body", "failed")
    # mc:Fallback repeats mc:Choice's content (text boxes, shapes) for old readers
    for fb in list(body.iter(f"{{{_MC}}}Fallback")):
        parent = fb.getparent()
        if parent is not None:
            parent.remove(fb)
    walker = _Walker(tags)
    try:
        walker.blocks_of(body)
    except RecursionError:
        raise ExtractionError("docx: content nested too deeply to read", "failed") from None
    blocks = walker.blocks
    if walker.alt_chunks:
        warnings.append(f"docx: {walker.alt_chunks} embedded altChunk part(s) not read")
    if not any(isinstance(b, Table) or b.text for b in blocks):
        raise ExtractionError("docx: the document holds no text", "not_a_report")
    title = _core_title(core)
    if title is None:
        leading = []
        for b in blocks:
            if isinstance(b, Table):
                break
            leading.append(b.text)
        title = guess_title(leading)
    return Document(blocks=blocks, source_format="docx", title=title, warnings=warnings)


def _read_part(zf: zipfile.ZipFile, name: str, required: bool, cap: int = MAX_XML) -> bytes | None:
    """An entry's bytes, refusing zip bombs before inflating anything (`zipguard`)."""
    info = zipguard.find(zipguard.members(zf, "docx", MAX_TOTAL), name)
    if info is None:
        if required:
            raise ExtractionError(f"docx: {name} missing (not a Word document)", "failed")
        return None
    return zipguard.read_member(zf, info, "docx", cap)


_REPORT_TITLE = re.compile(r"年度报告|年报")


def _core_title(core: bytes | None) -> str | None:
    if not core:
        return None
    try:
        root = etree.fromstring(core, _PARSER)
    except Exception:  # noqa: BLE001
        return None
    el = root.find(f"{{{_DC}}}title")
    if el is None or not el.text:
        return None
    title = collapse(el.text)
    return title if _REPORT_TITLE.search(title) else None


_LEADING_INT = re.compile(r"\s*(\d{1,9})")


def _int_attr(el, attr: str, default: int, lo: int = 0, hi: int = MAX_SPAN) -> int:
    v = el.get(attr)
    if v is None:
        return default
    if v.isdigit() and v.isascii() and len(v) < 10:
        return max(lo, min(hi, int(v)))
    m = _LEADING_INT.match(v)
    if not m:
        return default
    return max(lo, min(hi, int(m.group(1))))


class _Walker:
    def __init__(self, tags: _Tags) -> None:
        self.T = tags
        self.blocks: list = []
        self.alt_chunks = 0

    # ------------------------------------------------------------------ blocks
    def blocks_of(self, container) -> None:
        T = self.T
        for child in container:
            tag = child.tag
            if tag == T.p:
                for line in self.paragraph_lines(child):
                    self.blocks.append(Paragraph(line))
            elif tag == T.tbl:
                self.table(child)
            elif tag in T.skip_blocks or not isinstance(tag, str):
                continue
            elif tag == T.altChunk:
                self.alt_chunks += 1
            else:  # w:sdt, w:sdtContent, w:customXml, w:ins, w:moveTo, w:smartTag …
                self.blocks_of(child)

    def paragraph_lines(self, p) -> list[str]:
        T = self.T
        parts: list[str] = []
        t_tag, p_tag = T.t, T.p
        for el in p.iter(T.t, T.tab, T.br, T.cr, T.p, T.nbh):
            tag = el.tag
            if tag == t_tag:
                if el.text:
                    parts.append(el.text)
            elif tag == p_tag:
                if el is not p:
                    parts.append("\n")  # a paragraph inside a text box
            elif el.getparent().tag != T.r:
                continue  # a tab stop in w:pPr/w:tabs, not a tab character
            elif tag == T.tab:
                parts.append("\t")
            elif tag == T.nbh:
                parts.append("-")
            else:
                parts.append("\n")
        if not parts:
            return []
        text = "".join(parts)
        if "\n" not in text:
            line = collapse_keep_tabs(text) if "\t" in text else collapse(text)
            return [line] if line else []
        out = []
        for piece in text.split("\n"):
            line = collapse_keep_tabs(piece) if "\t" in piece else collapse(piece)
            if line:
                out.append(line)
        return out

    # ------------------------------------------------------------------ tables
    def _children(self, el, tag: str):
        """Children with `tag`, looking through sdt/customXml wrappers."""
        T = self.T
        for c in el:
            ct = c.tag
            if ct == tag:
                yield c
            elif isinstance(ct, str) and ct not in (T.tc, T.tr, T.p, T.tbl, T.trPr, T.tcPr, T.tblPr, T.tblGrid):
                yield from self._children(c, tag)

    def table(self, tbl) -> None:
        T = self.T
        rows = list(self._children(tbl, T.tr))
        tcs_by_row = [list(self._children(tr, T.tc)) for tr in rows]
        if sum(len(r) for r in tcs_by_row) == 1:
            # a one-cell table is a frame around content: read what is inside as blocks
            self.blocks_of(next(tc for row in tcs_by_row for tc in row))
            return
        cells: list[list] = []  # [text, row, col, rowspan, colspan]
        open_v: dict[int, list] = {}  # start column → restart cell still growing down
        tcPr, trPr, gridSpan, vMerge, hMerge, gridBefore, val = (
            T.tcPr, T.trPr, T.gridSpan, T.vMerge, T.hMerge, T.gridBefore, T.val)
        for r, (tr, tcs) in enumerate(zip(rows, tcs_by_row)):
            col = 0
            for prop in tr:  # (direct iteration: .find() costs ~1 µs a call)
                if prop.tag == trPr:
                    for x in prop:
                        if x.tag == gridBefore:
                            col = _int_attr(x, val, 0)
                    break
            last = None
            for tc in tcs:
                span, vmerge, hmerge = 1, None, None
                for prop in tc:
                    if prop.tag == tcPr:
                        for x in prop:
                            xt = x.tag
                            if xt == gridSpan:
                                span = _int_attr(x, val, 1, lo=1)
                            elif xt == vMerge:
                                vmerge = x.get(val) or "continue"
                            elif xt == hMerge:
                                hmerge = x.get(val) or "continue"
                        break
                if hmerge == "continue" and last is not None:
                    last[4] += span
                    col += span
                    continue
                if vmerge == "continue":
                    rec = open_v.get(col)
                    if rec is not None and rec[1] + rec[3] == r and rec[4] == span:
                        rec[3] += 1
                        col += span
                        last = None
                        continue
                if open_v:
                    for c in range(col, col + span):
                        open_v.pop(c, None)
                rec = [self.cell_text(tc), r, col, 1, span]
                cells.append(rec)
                if vmerge is not None:  # restart (or an orphan continue: starts its own merge)
                    open_v[col] = rec
                last = rec
                col += span
        if not any(rec[0] for rec in cells):
            return
        self.blocks.append(Table([Cell(t, r, c, rs, cs) for t, r, c, rs, cs in _without_overlaps(cells)]))

    def cell_text(self, tc) -> str:
        T = self.T
        lines: list[str] = []
        for child in tc:
            tag = child.tag
            if tag == T.p:
                lines.extend(self.paragraph_lines(child))
            elif tag == T.tbl:
                lines.extend(self.flat_table_lines(child))
            elif tag == T.tcPr or not isinstance(tag, str):
                continue
            else:  # sdt, customXml …: look inside
                lines.append(self.cell_text(child))
        return join_lines(line.replace("\t", " ") for line in lines if line)

    def flat_table_lines(self, tbl) -> list[str]:
        T = self.T
        out = []
        for tr in self._children(tbl, T.tr):
            texts = [self.cell_text(tc) for tc in self._children(tr, T.tc)]
            line = " ".join(t for t in texts if t)
            if line:
                out.append(line)
        return out


def _without_overlaps(cells: list[list]) -> list[list]:
    """Cells never overlap: a malformed table (a merge that runs into a cell placed by a
    later row, an hMerge widening a cell under a vertical merge) gets its spans cut."""
    taken: set[tuple[int, int]] = set()
    out = []
    for rec in cells:
        _, r, c, rs, cs = rec
        if rs == 1 and cs == 1:
            if (r, c) in taken:
                continue
            taken.add((r, c))
            out.append(rec)
            continue
        k = 0
        while k < cs and (r, c + k) not in taken:
            k += 1
        if k == 0:
            continue
        rows = 1
        while rows < rs and all((r + rows, c + j) not in taken for j in range(k)):
            rows += 1
        rec[3], rec[4] = rows, k
        taken.update((r + i, c + j) for i in range(rows) for j in range(k))
        out.append(rec)
    return out
