"""XLS and XLSX attachments holding the statistical tables."""

from __future__ import annotations

from normalize.model import Document, ExtractionError


def extract(data: bytes, fmt: str) -> Document:
    raise ExtractionError(f"{fmt.upper()} is not readable yet ([formats] issue)")
