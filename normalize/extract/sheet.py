"""XLS and XLSX attachments holding the statistical tables.

XLSX is read with openpyxl (values as cached by the program that saved the file, never
recomputed); XLS is converted to XLSX with LibreOffice first (`normalize.convert`), after a
look into the compound file (`ole`: a password-protected or damaged workbook fails at once
with its reason).

Each sheet becomes blocks in reading order:

* the sheet's name, unless it is a default one (Sheet1, 工作表1), as a paragraph;
* every run of consecutive non-empty rows is one block; a block in which no row holds more
  than one value is paragraphs (a title, a note), otherwise a `Table` whose merged ranges
  are rowspan/colspan and whose blank positions are blank cells; title rows on top of a
  table (a single value naming a year, a report, a 统计表 or a numbered caption) are
  paragraphs, so metadata finds the agency and the year as it does in a Word report;
* values print as the sheet shows them: numbers in their number format (``0.00``,
  ``#,##0``, ``0%``, ``0"件"``) or without a trailing ``.0``, dates as ISO dates.

Hostile files: the zip is checked with `zipguard` (declared sizes, ratios, hard caps) with
a lower total than DOCX, since openpyxl holds the parts in memory; every XML part is looked
at before openpyxl parses anything, and one that declares a DOCTYPE or an ENTITY, or an
encoding other than UTF-8/UTF-16, is refused (openpyxl's own parsing is safe against entity
tricks only when defusedxml happens to be installed).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings

from normalize.convert import convert
from normalize.extract import ole, zipguard
from normalize.extract.text import collapse, guess_title, join_lines
from normalize.model import Block, Cell, Document, ExtractionError, Paragraph, Table

MAX_INPUT = 100 * 1024 * 1024  # bytes of the workbook itself
MAX_TOTAL = 256 * 1024 * 1024  # declared uncompressed size of all parts (openpyxl keeps them in memory)
MAX_PART = zipguard.MAX_XML  # one part once inflated
MAX_CELLS = 1_000_000  # cells with a value or style, all sheets together
MAX_BLOCK = 500_000  # grid positions of one table

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_DTD_TEXT = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_SAFE_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be", "us-ascii", "ascii"}
_SKIP_SCAN = ("xl/media/", "xl/embeddings/", "xl/printerSettings/")

_DEFAULT_SHEET = re.compile(r"^(?:sheet|工作表|表)\s*\d*$", re.I)
_TITLE_ROW = re.compile(r"\d{4}\s*年|报告|年报|统计表|情况\s*$|^[一二三四五六七八九十]+\s*[、.．]")
_NOTE_ROW = re.compile(r"^\s*(?:注|说明|备注|填表|制表)")


def extract(data: bytes, fmt: str) -> Document:
    data = bytes(data)
    if fmt == "xls" and ole.is_ole(data):
        data = _xls_to_xlsx(data)
    elif fmt == "xls" and not data.startswith(b"PK"):
        raise ExtractionError("xls: not an Excel workbook (neither a compound file nor a zip)", "failed")
    doc = read_xlsx(data, label=fmt)
    doc.source_format = fmt
    return doc


def _xls_to_xlsx(data: bytes) -> bytes:
    info = ole.inspect_workbook(data)
    if info.encrypted and "encryptedpackage" in info.streams:
        raise ExtractionError("xls: the file is encrypted (password-protected) and cannot be read without "
                              "its password", "failed")
    if info.readable and info.problem:
        raise ExtractionError(f"xls: damaged or not an Excel workbook: {info.problem}", "failed")
    try:
        return convert(data, "xls", "xlsx", label="xls")
    except ExtractionError as e:
        if info.encrypted:  # Excel's default password (VelvetSweatshop) opens; any other does not
            raise ExtractionError("xls: the workbook is encrypted (password-protected) and cannot be read "
                                  f"without its password ({e.reason})", "failed") from None
        if not info.readable:
            raise ExtractionError(f"{e.reason}; {info.problem}", e.status) from None
        raise


# ---------------------------------------------------------------------------- the zip


def _check_parts(data: bytes, label: str) -> None:
    """Refuse zip bombs and XML parts with a DTD before openpyxl reads anything."""
    with zipguard.open_zip(data, label) as zf:
        infos = zipguard.members(zf, label, MAX_TOTAL)
        names = {i.filename for i in infos}
        if "xl/workbook.bin" in names and "xl/workbook.xml" not in names:
            raise ExtractionError(f"{label}: a binary workbook (XLSB) is not read; save it as XLSX", "failed")
        if zipguard.find(infos, "xl/workbook.xml") is None:
            raise ExtractionError(f"{label}: xl/workbook.xml missing (not an Excel workbook)", "failed")
        for info in infos:
            if info.is_dir() or info.filename.startswith(_SKIP_SCAN):
                continue
            part = zipguard.read_member(zf, info, label, MAX_PART)
            if why := _unsafe_xml(part):
                raise ExtractionError(f"{label}: {info.filename} {why}: refused (XML entity tricks)", "failed")


def _unsafe_xml(part: bytes) -> str | None:
    if _DTD.search(part):
        return "declares a DOCTYPE or ENTITY"
    head = part[:200]
    if b"\x00" in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16/32: search the text
        for enc in ("utf-16", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            if _DTD_TEXT.search(part.decode(enc, errors="ignore")):
                return "declares a DOCTYPE or ENTITY"
        return None
    m = _DECLARED_ENCODING.match(head.lstrip(b"\xef\xbb\xbf"))
    if m and m.group(1).decode("ascii").lower() not in _SAFE_ENCODINGS:
        return f"is declared in {m.group(1).decode('ascii')}, not UTF-8"
    return None


def read_xlsx(data: bytes, label: str = "xlsx") -> Document:
    """An XLSX workbook → `Document` (see module doc)."""
    if len(data) > MAX_INPUT:
        raise ExtractionError(f"{label}: file too large ({len(data)} bytes)", "failed")
    _check_parts(data, label)
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unsupported extensions, data validation …
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True, keep_links=False,
                                        rich_text=False)
    except Exception as e:  # noqa: BLE001 - openpyxl raises anything on a broken workbook
        raise ExtractionError(f"{label}: not a readable workbook ({type(e).__name__}: {e})", "failed") from None
    blocks: list[Block] = []
    doc_warnings: list[str] = []
    budget = MAX_CELLS
    sheet_names: list[Paragraph] = []  # (not title lines)
    try:
        for ws in wb.worksheets:
            cells = getattr(ws, "_cells", {})
            if len(cells) > budget:
                doc_warnings.append(f"{label}: sheet {ws.title!r} skipped: more than {MAX_CELLS} cells in all")
                continue
            budget -= len(cells)
            sheet = _sheet_blocks(ws, label, doc_warnings)
            if sheet and isinstance(sheet[0], Paragraph) and sheet[0].text == collapse(ws.title or ""):
                sheet_names.append(sheet[0])
            blocks += sheet
        props_title = collapse(wb.properties.title or "") if wb.properties else ""
    finally:
        wb.close()
    if not any(isinstance(b, Table) or b.text for b in blocks):
        raise ExtractionError(f"{label}: the workbook holds no text", "not_a_report")
    title = props_title if ("年度报告" in props_title or "年报" in props_title) else None
    if title is None:
        leading = []
        for b in blocks:
            if isinstance(b, Table):
                break
            if b not in sheet_names:
                leading.append(b.text)
        title = guess_title(leading)
    return Document(blocks=blocks, source_format=label, title=title, warnings=doc_warnings)


# ---------------------------------------------------------------------------- a sheet


def _sheet_blocks(ws, label: str, doc_warnings: list[str]) -> list[Block]:
    texts: dict[tuple[int, int], str] = {}
    for (r, c), cell in ws._cells.items():
        if cell.value is not None:
            text = printed(cell.value, cell.number_format)
            if text:
                texts[(r, c)] = text
    out: list[Block] = []
    name = collapse(ws.title or "")
    if name and not _DEFAULT_SHEET.match(name):
        out.append(Paragraph(name))
    if not texts:
        return out
    rmax = max(r for r, _ in texts)
    cmax = max(c for _, c in texts)
    merges = []  # (r1, c1, r2, c2) clipped to the area holding values
    for m in ws.merged_cells.ranges:
        r1, c1 = m.min_row, m.min_col
        if r1 > rmax or c1 > cmax:
            continue
        merges.append((r1, c1, min(m.max_row, rmax), min(m.max_col, cmax)))
    occupied = {r for r, _ in texts}
    for r1, c1, r2, c2 in merges:
        if (r1, c1) in texts:
            occupied.update(range(r1, r2 + 1))
    rows = sorted(occupied)
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            out += _block(rows[start], rows[i - 1], texts, merges, label, doc_warnings)
            start = i
    return out


def _in_tall_merge(r: int, merges: list) -> bool:
    """Row `r` is covered by a merged range more than one row tall (part of a table's body)."""
    return any(m[0] <= r <= m[2] and m[2] > m[0] for m in merges)


def _block(r0: int, r1: int, texts: dict, merges: list, label: str, doc_warnings: list[str]) -> list[Block]:
    row_texts: dict[int, list[tuple[int, str]]] = {r: [] for r in range(r0, r1 + 1)}
    for (r, c), t in texts.items():
        if r0 <= r <= r1:
            row_texts[r].append((c, t))
    for v in row_texts.values():
        v.sort()
    if all(len(v) <= 1 for v in row_texts.values()):
        return [Paragraph(v[0][1]) for _, v in sorted(row_texts.items()) if v]
    head: list[Block] = []
    while r0 < r1 and len(row_texts[r0]) == 1 and _TITLE_ROW.search(row_texts[r0][0][1]) \
            and not _in_tall_merge(r0, merges):
        head.append(Paragraph(row_texts[r0][0][1]))
        r0 += 1
    tail: list[Block] = []
    while r1 > r0 and len(row_texts[r1]) == 1 and _NOTE_ROW.match(row_texts[r1][0][1]) \
            and not _in_tall_merge(r1, merges):
        tail.insert(0, Paragraph(row_texts[r1][0][1]))
        r1 -= 1
    inside = [m for m in merges if r0 <= m[0] <= r1]
    cols = [c for r in range(r0, r1 + 1) for c, _ in row_texts[r]]
    cols += [m[3] for m in inside if (m[0], m[1]) in texts]
    c0, c1 = min(c for r in range(r0, r1 + 1) for c, _ in row_texts[r]), max(cols)
    if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_BLOCK:
        doc_warnings.append(f"{label}: a table of {r1 - r0 + 1}×{c1 - c0 + 1} cells skipped (too large)")
        return head + tail
    taken: set[tuple[int, int]] = set()
    cells: list[Cell] = []
    for m1, n1, m2, n2 in sorted(inside):
        if n1 < c0 or n1 > c1:
            continue
        m2, n2 = min(m2, r1), min(n2, c1)
        spot = [(r, c) for r in range(m1, m2 + 1) for c in range(n1, n2 + 1)]
        if any(p in taken for p in spot):
            continue  # overlapping merges (a broken file): the first one wins
        taken.update(spot)
        cells.append(Cell(texts.get((m1, n1), ""), m1 - r0, n1 - c0, m2 - m1 + 1, n2 - n1 + 1))
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            if (r, c) not in taken:
                cells.append(Cell(texts.get((r, c), ""), r - r0, c - c0))
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return head + [Table(cells)] + tail


# ---------------------------------------------------------------------------- values


def printed(value, number_format: str | None = None) -> str:
    """A cell's value as the sheet prints it."""
    if isinstance(value, str):
        lines = [collapse(line) for line in value.splitlines()]
        return join_lines(line for line in lines if line)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return _number(value, number_format or "General")
    return collapse(str(value))


def _general(v: float) -> str:
    if isinstance(v, int) or (float(v).is_integer() and abs(v) < 1e15):
        return str(int(v))
    text = format(v, ".15g")
    return text if "e" not in text else repr(v)


_FMT_TOKEN = re.compile(r'"([^"]*)"|\\(.)|\[[^\]]*\]|_.|\*.|([#0?][#0?,.]*)|(.)', re.S)


def _number(v: float, fmt: str) -> str:
    sections = fmt.split(";")
    section = sections[0]
    if v < 0 and len(sections) > 1 and sections[1].strip():
        section, v = sections[1], -v  # the negative section prints its own sign, if any
    if section.strip().lower() in ("general", "", "@"):
        return _general(v)
    out: list[str] = []
    placeholder = None
    for literal, escaped, digits, other in _FMT_TOKEN.findall(section):
        if literal or escaped:
            out.append(literal or escaped)
        elif digits:
            if placeholder is None:
                placeholder = digits
                out.append("\0")
        elif other == "%":
            v *= 100
            out.append("%")
        elif other and other not in "[]":
            if other.lower() in "ymdhs" or other.lower() == "e":
                return _general(v)  # a date or scientific format on a plain number: keep it simple
            out.append(other)
    if placeholder is None:
        return _general(v)
    whole, _, frac = placeholder.partition(".")
    min_dec = frac.count("0")
    max_dec = sum(frac.count(ch) for ch in "0#?")
    text = f"{v:,.{max_dec}f}" if "," in whole.strip(",") else f"{v:.{max_dec}f}"
    if max_dec > min_dec:
        keep = len(text) - (max_dec - min_dec)
        while len(text) > keep and text.endswith("0"):
            text = text[:-1]
        text = text.rstrip(".")
    return "".join(text if piece == "\0" else piece for piece in out)
