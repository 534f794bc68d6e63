"""Opening a file with PDFium: what cannot be read is refused with the reason, a file cut short
is repaired.

PDFium mends a broken cross-reference table itself but gives up on a file cut before its xref
and trailer (an interrupted download); the objects before the cut are usually whole, so a new
xref table listing them recovers what survived."""

from __future__ import annotations

import re

import pypdfium2.raw as _pdfium

from normalize.model import ExtractionError

_OBJ_RE = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj(?![A-Za-z])")
_ENDOBJ = b"endobj"


def _rebuild(data: bytes) -> bytes | None:
    """A truncated file (cut before its cross-reference table or trailer, as an interrupted
    download is) with a new xref table and trailer listing the objects that are complete.
    None when no catalog object survived."""
    heads = list(_OBJ_RE.finditer(data))
    objects: dict[int, tuple[int, int]] = {}
    catalog = None
    cut = 0
    for k, m in enumerate(heads):
        limit = heads[k + 1].start() if k + 1 < len(heads) else len(data)
        end = data.find(_ENDOBJ, m.end(), limit)
        if end < 0:
            continue  # cut off, or not an object header
        num, gen = int(m[1]), int(m[2])
        objects[num] = (m.start(), gen)
        body = data[m.end() : end]
        if b"/Catalog" in body[:4096] and b"/Pages" in body[:4096]:
            catalog = (num, gen)
        cut = max(cut, end + len(_ENDOBJ))
    if catalog is None or not objects:
        return None
    out = bytearray(data[:cut])
    out += b"\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if num in objects:
            off, gen = objects[num]
            out += b"%010d %05d n \n" % (off, gen)
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d %d R >>\nstartxref\n%d\n%%%%EOF\n" % (size, catalog[0], catalog[1], xref_at)
    return bytes(out)


def _load(data: bytes):
    doc = _pdfium.FPDF_LoadMemDocument64(data, len(data), None)
    return doc, (0 if doc else _pdfium.FPDF_GetLastError())


def _open(data: bytes, warnings: list[str]):
    """Open `data` with PDFium (which repairs broken cross-reference tables itself); a file cut
    short gets its xref rebuilt here. Returns the document handle and the bytes it reads
    (they must stay alive while the document is open)."""
    if not data:
        raise ExtractionError("empty file (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise ExtractionError("not a PDF: no %PDF- header in the first 1024 bytes")
    doc, err = _load(data)
    if doc and _pdfium.FPDF_GetPageCount(doc) <= 0:
        _pdfium.FPDF_CloseDocument(doc)
        doc, err = None, _pdfium.FPDF_ERR_FORMAT
    if not doc and err in (_pdfium.FPDF_ERR_FORMAT, _pdfium.FPDF_ERR_FILE, _pdfium.FPDF_ERR_UNKNOWN):
        fixed = _rebuild(data)
        if fixed is not None:
            doc2, _ = _load(fixed)
            if doc2 and _pdfium.FPDF_GetPageCount(doc2) > 0:
                warnings.append("damaged PDF (truncated or broken cross-reference table): rebuilt and read what survived")
                return doc2, fixed, True
            if doc2:
                _pdfium.FPDF_CloseDocument(doc2)
    if not doc:
        if err == _pdfium.FPDF_ERR_PASSWORD:
            raise ExtractionError("encrypted PDF: password-protected, cannot be opened without the password")
        if err == _pdfium.FPDF_ERR_SECURITY:
            raise ExtractionError("encrypted PDF: unsupported security handler")
        if err in (_pdfium.FPDF_ERR_FORMAT, _pdfium.FPDF_ERR_FILE):
            raise ExtractionError("corrupt PDF: damaged or truncated beyond repair (no page could be found)")
        raise ExtractionError(f"corrupt PDF: PDFium could not open it (error {err})")
    return doc, data, False
