"""Scans: image files and PDFs without a text layer, read with Tesseract."""

from __future__ import annotations

from normalize.model import Document, ExtractionError


def extract(data: bytes) -> Document:
    raise ExtractionError("an image holds the report: OCR is not available yet ([formats] issue)", status="needs_ocr")


def extract_pdf(data: bytes, reason: str) -> Document:
    raise ExtractionError(reason, status="needs_ocr")
