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
    # a title printed over two lines (agency, then year + 年度报告) starts at the agency line
    starts = [i - 1 if i and _agency_line(doc.blocks[i - 1], doc.blocks[i]) else i for i in starts]
    bounds = [0, *starts[1:], len(doc.blocks)]
    parts = [doc.blocks[a:b] for a, b in zip(bounds, bounds[1:])]
    if not all(any(isinstance(b, Table) for b in part) for part in parts):
        return [doc]  # a part without tables is no report of its own: keep the file whole
    return [replace(doc, blocks=part, title=_part_title(part) if i else doc.title, warnings=list(doc.warnings))
            for i, part in enumerate(parts)]


def _agency_line(above, title: Paragraph) -> bool:
    """Whether `above` is the agency half of a two-line title (the title names no agency)."""
    if not isinstance(above, Paragraph):
        return False
    text = re.sub(r"\s+", "", above.text)
    return (re.sub(r"\s+", "", title.text)[:4].isdigit() and 2 <= len(text) <= 40
            and not re.search(r"[，。；：,;:\d]", text))


def _part_title(part: list) -> str | None:
    first = re.sub(r"\s+", "", part[0].text) if isinstance(part[0], Paragraph) else ""
    title = _title(part[0])
    if title is None and len(part) > 1 and (second := _title(part[1])):
        return first + second
    return title
