"""Extractors: bytes of one file format → `Document`.

Each module exposes `extract(data: bytes) -> Document` and raises `ExtractionError`
for a file it cannot read (its `status` says how far reading got). Legacy Office files
are converted with LibreOffice first (`office`, `sheet`); scans are read with Tesseract
(`ocr`): a PDF without a text layer falls through to OCR.
"""

from __future__ import annotations

from importlib import import_module

from normalize.model import Document, ExtractionError

#: format name (as `normalize.sniff.sniff` returns it) → module implementing it
EXTRACTORS: dict[str, str] = {
    "html": "normalize.extract.html",
    "docx": "normalize.extract.docx",
    "txt": "normalize.extract.text",
    "pdf": "normalize.extract.pdf",
    "doc": "normalize.extract.office",
    "wps": "normalize.extract.office",
    "xls": "normalize.extract.sheet",
    "xlsx": "normalize.extract.sheet",
    "image": "normalize.extract.ocr",
}


def extract(data: bytes, fmt: str) -> Document:
    """Read `data` as format `fmt`; raise `ExtractionError` with a status when that is impossible."""
    module = EXTRACTORS.get(fmt)
    if module is None:
        raise ExtractionError(f"not a report file: format {fmt!r} is not one reports are published in")
    reader = import_module(module)
    if fmt in ("doc", "wps", "xls", "xlsx"):
        return reader.extract(data, fmt)
    try:
        return reader.extract(data)
    except ExtractionError as exc:
        if fmt == "pdf" and exc.status == "needs_ocr":  # a scan: read its page images
            return import_module("normalize.extract.ocr").extract_pdf(data, reason=exc.reason)
        raise
