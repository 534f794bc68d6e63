"""Plain text (any encoding) → `Document`; also the text helpers the other extractors share.

Two table layouts are read:

* one cell per line (a Word document exported to text, as the seed report is): a table
  row is a run of lines that start with a TAB, one cell per line, rows separated by an
  empty line. A line holding only the TAB is an empty cell. A line that does not start
  with a TAB right after a cell line continues that cell (Word broke the cell's text:
  ``\\t商业`` + ``企业`` → ``商业企业``). The table ends at the next ordinary line
  that follows an empty line.
* one row per line, cells separated by a TAB or by two or more spaces
  (``一、本年新收政府信息公开申请数量\\t607\\t43\\t…``); a run of at least two such
  lines (blank lines between them allowed), or one line with a TAB and a number cell.

Cells are placed at consecutive columns: the text carries no merge information.
Nothing is normalised here beyond whitespace (no NFKC): a later stage does that.
"""

from __future__ import annotations

import codecs
import re

from normalize.model import Cell, Document, ExtractionError, Paragraph, Table

MAX_BYTES = 20 * 1024 * 1024

# --------------------------------------------------------------------------------------
# shared helpers (html.py and docx.py import these)

#: characters that count as "CJK or digit" when deciding whether a line break inside a
#: cell or a source-code line wrap is dropped without a space
_CJK_CLASS = (
    "0-9"
    "\u2e80-\u2eff\u2f00-\u2fdf\u3001-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff01-\uff60\uffe0-\uffe6"
    "\U00020000-\U0003134f"
)
_CJK_OR_DIGIT = re.compile(f"[{_CJK_CLASS}]")
# a whitespace run that contains a line break, between two CJK/digit characters: a
# source line wrap (HTML pages saved by Word wrap lines inside Chinese text)
_WRAP_BETWEEN_CJK = re.compile(f"(?<=[{_CJK_CLASS}])[ \\t\\r\\n\\f\\v\\xa0\\u3000]*[\\r\\n][ \\t\\r\\n\\f\\v\\xa0\\u3000]*(?=[{_CJK_CLASS}])")
# zero-width characters and stray BOMs are treated as nothing
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_WS = re.compile(r"\s+")  # in str patterns \s covers U+00A0 (&nbsp;) and U+3000
_WS_KEEP_TABS = re.compile(r"[^\S\t]*\t\s*|\s+")


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces and stripped; a line wrap between two CJK
    characters or digits is removed. `&nbsp;` and U+3000 count as whitespace."""
    if not text or text.isalnum():  # (the common cell: "607", "自然人")
        return text
    if "\u200b" in text or "\ufeff" in text or "\u200c" in text or "\u200d" in text or "\u2060" in text:
        text = _ZERO_WIDTH.sub("", text)
    if "\n" in text or "\r" in text:
        text = _WRAP_BETWEEN_CJK.sub("", text)
    return _WS.sub(" ", text).strip()


def collapse_pieces(text: str, marks: str, spaces: str = "") -> str:
    """`collapse` applied to every piece of `text` between the characters in `marks`
    (which are kept), in one pass over the whole text; characters in `spaces` read as a
    space. The marks must be neither whitespace nor CJK/digits (Unicode noncharacters):
    then no pattern of `collapse` matches across one, and

        collapse_pieces(text, M) == M.join(collapse(p) for p in re.split(f"[{M}]", text))
        (with one mark character M)."""
    for ch in spaces:
        if ch in text:
            text = text.replace(ch, " ")
    if "\u200b" in text or "\ufeff" in text or "\u200c" in text or "\u200d" in text or "\u2060" in text:
        text = _ZERO_WIDTH.sub("", text)
    for nl in "\n\r":
        if nl in text:
            # line breaks next to a mark end or start a piece: never between two CJK
            # characters, they can go before the (slower) search for line wraps
            for m in marks:
                while nl + m in text:
                    text = text.replace(nl + m, m)
                while m + nl in text:
                    text = text.replace(m + nl, m)
    if "\n" in text or "\r" in text:
        text = _WRAP_BETWEEN_CJK.sub("", text)
    text = " ".join(text.split())  # = _WS.sub(" ", text).strip(): both split on str.isspace()
    if " " in text:  # each piece stripped: at most one space on either side of a mark
        for m in marks:
            text = text.replace(" " + m, m).replace(m + " ", m)
    return text


def collapse_keep_tabs(text: str) -> str:
    """Like `collapse`, but a whitespace run holding a TAB becomes one TAB."""
    if not text:
        return ""
    text = _ZERO_WIDTH.sub("", text)
    return _WS_KEEP_TABS.sub(lambda m: "\t" if "\t" in m.group() else " ", text).strip()


def join_lines(lines) -> str:
    """Join a cell's lines: no separator when both sides are CJK or digits, else a space."""
    out = ""
    for line in lines:
        if not line:
            continue
        if not out:
            out = line
        elif _CJK_OR_DIGIT.match(out[-1]) and _CJK_OR_DIGIT.match(line[0]):
            out += line
        else:
            out += " " + line
    return out


_TITLE_WORDS = ("报告", "年报")
_NOT_TITLE = re.compile(r"[。；;：:]$|^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十]+[）)]|根据|按照|本报告|依据)")


def guess_title(lines: list[str], max_lines: int = 4, max_len: int = 60) -> str | None:
    """The report title from the first non-empty lines of a document.

    Real titles are one or two short lines (`重庆市人民政府办公厅` + `2023年政府信息公开工作
    年度报告`). Lines are taken until one that names the report (报告/年报); a long line, a
    sentence or a numbered heading ends the title. Without a line naming the report, the
    first line alone is the title if it is short."""
    taken: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if len(line) > max_len or _NOT_TITLE.search(line) or len(taken) >= max_lines:
            break
        taken.append(line)
        if any(w in line for w in _TITLE_WORDS):
            return join_lines(taken)
    if taken:
        return taken[0]
    return None


# --------------------------------------------------------------------------------------
# decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """(encoding, BOM length) when `data` starts with a byte-order mark."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc, len(bom)
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM shows NUL in every other byte (for ASCII-heavy text)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode_text(data: bytes, declared: str | None = None, note_undeclared: bool = False) -> tuple[str, str, list[str]]:
    """Decode bytes of unknown encoding → (text, encoding used, warnings).

    Order: BOM; strict UTF-8; the declared charset (if any, and not a Latin one that
    decodes anything); strict GB18030; charset-normalizer; GB18030 with replacement.
    Warnings name only what is worth a look (the pipeline lists each as an issue): a
    declared charset that does not decode the bytes, replaced bytes, a guess, and with
    `note_undeclared` a non-UTF-8 encoding that nothing declared."""
    warnings: list[str] = []
    bom = bom_encoding(data)
    if bom:
        enc, n = bom
        text = data[n:].decode(enc, errors="replace")
        if declared and _canon(declared) != _canon(enc):
            warnings.append(f"encoding: byte-order mark says {enc}, page declares {declared}")
        return text, enc, warnings
    declared_c = _canon(declared) if declared else None
    try:
        text = data.decode("utf-8")
        if declared_c and declared_c not in ("utf-8", "ascii") and not data.isascii():
            warnings.append(f"encoding: declared {declared} but the bytes are utf-8")
        return text, "utf-8", warnings
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    if declared_c and declared_c not in _WEAK_DECLARATIONS:
        candidates.append(declared_c)
    if "gb18030" not in candidates:
        candidates.append("gb18030")
    for enc in candidates:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if declared_c and enc != declared_c and not (declared_c in _GB and enc == "gb18030"):
            warnings.append(f"encoding: declared {declared} but the bytes are {enc}")
        elif not declared_c and note_undeclared:
            warnings.append(f"encoding: none declared, decoded as {enc}")
        return text, enc, warnings
    u16 = _utf16_without_bom(data)
    if u16:
        warnings.append(f"encoding: no byte-order mark, decoded as {u16}")
        return data.decode(u16, errors="replace"), u16, warnings
    # nearly-right candidates: a few broken bytes (a truncated page, a stray byte)
    best = None
    for enc in candidates + ["utf-8"]:
        try:
            text = data.decode(enc, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if best is None or bad < best[0]:
            best = (bad, enc, text)
    if best is not None and best[0] <= max(2, len(best[2]) // 1000):
        warnings.append(f"encoding: {best[1]} with {best[0]} undecodable byte sequence(s) replaced")
        if declared_c and best[1] != declared_c and not (declared_c in _GB and best[1] == "gb18030"):
            warnings.append(f"encoding: declared {declared} does not decode the bytes")
        return best[2], best[1], warnings
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(data[:200_000]).best()
    except Exception:  # noqa: BLE001 - a detector failure only means no guess
        match = None
    if match is not None and match.encoding:
        enc = match.encoding
        warnings.append(f"encoding: guessed {enc} by charset-normalizer" + (f" (declared {declared})" if declared else ""))
        return data.decode(enc, errors="replace"), enc, warnings
    warnings.append("encoding: undecidable, decoded as gb18030 with replacements")
    return data.decode("gb18030", errors="replace"), "gb18030", warnings


_GB = {"gb18030", "gbk", "gb2312"}
_WEAK_DECLARATIONS = {"iso-8859-1", "latin-1", "windows-1252", "cp1252", "ascii", "us-ascii", "iso8859-1"}
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "big5-hkscs": "big5hkscs",
}


def _canon(name: str | None) -> str | None:
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    n = _ALIASES.get(n, n)
    try:
        n = codecs.lookup(n).name
    except LookupError:
        return n
    return _ALIASES.get(n, n).replace("_", "-")


# --------------------------------------------------------------------------------------
# the text extractor

_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]")
_INLINE_SPLIT = re.compile(r"\t|[ \u3000\xa0]{2,}")
_NUMBERISH = re.compile(r"^[+\-]?\d+(?:\.\d+)?%?$")


def _inline_cells(line: str) -> list[str] | None:
    """Cells of a one-row-per-line table row, or None when the line is not one."""
    body = line.strip(" \t\u3000\xa0")
    if not body or ("\t" not in body and "  " not in body and "\u3000\u3000" not in body and "\xa0\xa0" not in body):
        return None
    cells = [collapse(c) for c in _INLINE_SPLIT.split(body)]
    if sum(1 for c in cells if c) < 2:
        return None
    return cells


def extract(data: bytes) -> Document:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ExtractionError("text: input is not bytes", "failed")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ExtractionError(f"text: file too large ({len(data)} bytes)", "failed")
    text, _enc, warnings = decode_text(data)
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = _BOOKMARK.sub("", text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks = _parse_lines(lines)
    if not any((isinstance(b, Paragraph) and b.text) or isinstance(b, Table) for b in blocks):
        raise ExtractionError("text: the file holds no text", "not_a_report")
    title = guess_title([b.text for b in _leading_paragraphs(blocks)])
    return Document(blocks=blocks, source_format="txt", title=title, warnings=warnings)


def _leading_paragraphs(blocks):
    for b in blocks:
        if isinstance(b, Table):
            return
        yield b


def _parse_lines(lines: list[str]) -> list:
    blocks: list = []
    # state for the one-cell-per-line (tab) layout
    rows: list[list[list[str]]] | None = None  # rows of cells of lines
    row: list[list[str]] = []
    prev = "blank"  # kind of the previous line: blank, cell, para, inline
    # state for the one-row-per-line layout
    inline_rows: list[list[str]] = []
    inline_tabs = False

    def close_tab_table():
        nonlocal rows, row
        if rows is None:
            return
        if row:
            rows.append(row)
        texts = [[join_lines(cell) for cell in r] for r in rows]
        if len(texts) <= 1 or max((len(r) for r in texts), default=0) <= 1:
            # one cell per row, or a single row: TAB-indented paragraphs, not a table
            blocks.extend(Paragraph(t) for r in texts for t in r if t)
        elif any(any(t for t in r) for r in texts):
            blocks.append(Table([Cell(t, i, j) for i, r in enumerate(texts) for j, t in enumerate(r)]))
        rows, row = None, []

    def close_inline():
        nonlocal inline_rows, inline_tabs
        if not inline_rows:
            return
        numeric = any(_NUMBERISH.match(c) for r in inline_rows for c in r)
        if len(inline_rows) >= 2 or (inline_tabs and numeric):
            blocks.append(Table([Cell(t, i, j) for i, r in enumerate(inline_rows) for j, t in enumerate(r)]))
        else:
            for r in inline_rows:
                blocks.append(Paragraph(" ".join(c for c in r if c)))
        inline_rows, inline_tabs = [], False

    for raw in lines:
        if raw.startswith("\t"):
            close_inline()
            if rows is None:
                rows, row = [], []
            parts = raw[1:].split("\t")
            if len(parts) > 1:
                # a whole row on one line (cells separated by TABs): a row of its own
                if row:
                    rows.append(row)
                rows.append([[collapse(p)] if p.strip() else [] for p in parts])
                row = []
            else:
                row.append([collapse(parts[0])] if parts[0].strip() else [])
            prev = "cell"
            continue
        stripped = raw.strip()
        if not stripped:
            if rows is not None and row:
                rows.append(row)
                row = []
            prev = "blank"
            continue
        if rows is not None and prev in ("cell", "cell_cont") and row:
            # Word broke the cell's text: this line continues the last cell
            row[-1].append(collapse(raw))
            prev = "cell_cont"
            continue
        close_tab_table()
        cells = _inline_cells(raw)
        if cells is not None:
            inline_rows.append(cells)
            inline_tabs = inline_tabs or "\t" in raw.strip(" \u3000\xa0")
            prev = "inline"
            continue
        close_inline()
        blocks.append(Paragraph(collapse(raw)))
        prev = "para"
    close_tab_table()
    close_inline()
    return blocks
