"""DOC and WPS (Kingsoft) files: converted to DOCX with LibreOffice, then read as DOCX."""

from __future__ import annotations

from normalize.model import Document, ExtractionError


def extract(data: bytes, fmt: str) -> Document:
    raise ExtractionError(f"{fmt.upper()} is not readable yet: needs LibreOffice conversion ([formats] issue)")
