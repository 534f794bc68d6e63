"""DOC and WPS (Kingsoft) files: converted to DOCX with LibreOffice, then read as DOCX.

A Kingsoft WPS document is a Word binary document with a ``WpsCustomData`` stream added,
so it converts like a DOC (old Works ``.wps`` files, a ``CONTENTS`` stream and no
``WordDocument``, go to LibreOffice's Works filter). RTF and Word 2003 XML, which portals
publish under ``.doc`` names, convert the same way. Before converting, the compound file
is looked into (`ole`): an encrypted file, or one without a Word document inside, fails
at once with the reason, instead of LibreOffice importing its bytes as text.

The `Document` is the DOCX reader's, tables and warnings included, with `source_format`
``doc`` or ``wps``. LibreOffice keeps table structure (merged cells too); text-only
converters (antiword, catdoc) lose it — measured in docs/benchmarks.md.
"""

from __future__ import annotations

import re

from normalize.convert import convert
from normalize.extract import docx, ole
from normalize.model import Document, ExtractionError

_WORD_XML = re.compile(rb"^(\xef\xbb\xbf)?\s*<")


def source_type(data: bytes) -> str | None:
    """The extension LibreOffice should see for these bytes (doc, wps, rtf, xml), or None."""
    if ole.is_ole(data):
        return "doc"
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if _WORD_XML.match(data[:64]):
        return "xml"
    return None


def extract(data: bytes, fmt: str) -> Document:
    data = bytes(data)
    src = source_type(data)
    if src is None:
        raise ExtractionError(f"{fmt}: not a Word document (neither a compound file, RTF nor Word XML)", "failed")
    unreadable = None
    if src == "doc":
        info = ole.inspect_word(data)
        if info.encrypted:
            raise ExtractionError(f"{fmt}: the file is encrypted (password-protected) and cannot be read "
                                  "without its password", "failed")
        if info.readable and "worddocument" not in info.streams and "contents" in info.streams:
            src = "wps"  # Microsoft Works / early Kingsoft: LibreOffice's Works filter
        elif info.readable and info.problem:
            raise ExtractionError(f"{fmt}: damaged or not a Word document: {info.problem}", "failed")
        elif not info.readable:
            unreadable = info.problem  # LibreOffice is more forgiving: let it try
    try:
        converted = convert(data, src, "docx", label=fmt)
    except ExtractionError as e:
        if unreadable:
            raise ExtractionError(f"{e.reason}; {unreadable}", e.status) from None
        raise
    try:
        doc = docx.extract(converted)
    except ExtractionError as e:
        raise ExtractionError(f"{fmt}: converted to DOCX by LibreOffice, then {e.reason}", e.status) from None
    doc.source_format = fmt
    return doc
