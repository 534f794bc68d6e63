"""Split a report's paragraphs into the national format's six sections."""

from __future__ import annotations

import re

from normalize.labels import fold, similarity, spec
from normalize.model import Document, Paragraph

_HEADING = re.compile(r"^\s*([一二三四五六])\s*[、.．，,]\s*(.{2,40}?)\s*$")


def heading_key(text: str) -> str | None:
    """The section key when a paragraph is one of the six headings (一、总体情况 …)."""
    m = _HEADING.match(text)
    if not m:
        return None
    number, title = m.group(1), fold(m.group(2))
    for section in spec().sections:
        if section.number != number:
            continue
        if any(similarity(title, label) >= 0.75 for label in section.labels):
            return section.key
    return None


def split(doc: Document) -> dict[str, str]:
    """Section key → its paragraphs' text (headings left out). Text before 一 is `preamble`."""
    parts: dict[str, list[str]] = {"preamble": []}
    current = "preamble"
    for block in doc.blocks:
        if not isinstance(block, Paragraph):
            continue
        key = heading_key(block.text)
        if key and key not in parts:
            current = key
            parts[current] = []
            continue
        parts[current].append(block.text)
    return {k: "\n".join(v).strip() for k, v in parts.items()}
