"""One file, several reports: a district publishes its departments' reports as one PDF.

A file is split where a new report begins: a short paragraph that is a report title
(agency + year + 政府信息公开工作年度报告) naming another agency or year than the titles
before it. Each part must hold tables of its own, so a title repeated as a running page
header, or quoted in the text, never splits a report.
"""

from __future__ import annotations

import re
from dataclasses import replace

from normalize.metadata import is_report_title, title_year
from normalize.model import Document, Paragraph, Table

_MAX_TITLE = 80  # characters of a title line (without white space)


def _title(block) -> str | None:
    if not isinstance(block, Paragraph):
        return None
    text = re.sub(r"\s+", "", block.text)
    if len(text) > _MAX_TITLE or re.search(r"[，。；：,;:]", text):
        return None
    if not is_report_title(text) or title_year(text) is None:
        return None
    return text


def split_reports(doc: Document) -> list[Document]:
    """The reports `doc` holds, in order (a one-element list when it holds one)."""
    starts: list[int] = []
    seen: set[str] = set()
    for i, block in enumerate(doc.blocks):
        title = _title(block)
        if title and title not in seen:
            seen.add(title)
            starts.append(i)
    if len(starts) < 2:
        return [doc]
    bounds = [0, *starts[1:], len(doc.blocks)]
    parts = [doc.blocks[a:b] for a, b in zip(bounds, bounds[1:])]
    if not all(any(isinstance(b, Table) for b in part) for part in parts):
        return [doc]  # a part without tables is no report of its own: keep the file whole
    return [replace(doc, blocks=part, title=_title(part[0]) if i else doc.title, warnings=list(doc.warnings))
            for i, part in enumerate(parts)]
