"""Extractors: bytes of one file format → `Document`.

Each module exposes `extract(data: bytes) -> Document` and raises `ExtractionError`
for a file it cannot read. Formats without an extractor yet (DOC, WPS, XLS, images)
get an honest status instead of a guess.
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
}

#: formats we recognise but cannot read yet, with the status and reason they get
UNSUPPORTED: dict[str, tuple[str, str]] = {
    "doc": ("failed", "DOC (Word 97-2003) is not readable yet: needs LibreOffice conversion ([formats] issue)"),
    "wps": ("failed", "WPS (Kingsoft) is not readable yet: needs LibreOffice conversion ([formats] issue)"),
    "xls": ("failed", "XLS is not readable yet ([formats] issue)"),
    "xlsx": ("failed", "XLSX is not readable yet ([formats] issue)"),
    "image": ("needs_ocr", "an image holds the report: OCR is not available yet ([formats] issue)"),
}


def extract(data: bytes, fmt: str) -> Document:
    """Read `data` as format `fmt`; raise `ExtractionError` with a status when that is impossible."""
    if fmt in UNSUPPORTED:
        status, reason = UNSUPPORTED[fmt]
        raise ExtractionError(reason, status=status)
    module = EXTRACTORS.get(fmt)
    if module is None:
        raise ExtractionError(f"not a report file: format {fmt!r} is not one reports are published in")
    return import_module(module).extract(data)
