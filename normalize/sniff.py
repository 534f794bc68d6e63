"""Decide a file's format from its bytes (never its name or the server's content type).

`sniff(data)` returns one of: ``html``, ``pdf``, ``docx``, ``xlsx``, ``doc``, ``wps``,
``xls``, ``txt``, ``image``, ``zip`` (a zip that is not an Office file), ``empty``,
``unknown``.

* OLE2 compound files are told apart by the stream names in their directory, read
  with a small bounded parser (no dependency): ``WordDocument`` → doc, or wps when a
  Kingsoft ``WpsCustomData`` stream / Works ``CONTENTS`` stream is there too;
  ``Workbook``/``Book`` → xls. An encrypted Office file (``EncryptedPackage``) cannot be
  told apart and is reported as doc, whose status (cannot be read) is the true one.
* OOXML zips by their entries (``word/`` vs ``xl/``) and ``[Content_Types].xml``.
* RTF and Word 2003 XML, which portals publish under ``.doc`` names, are ``doc``
  (both need the same conversion); MHTML ("single file web page") is ``html``.
* Text vs binary: the bytes decode as UTF-8/GB18030/UTF-16 with few control characters;
  HTML when the text starts (after BOM, whitespace, comments, an XML declaration) with
  a tag that only a page starts with.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

from normalize.extract.text import bom_encoding

FORMATS = ("html", "pdf", "docx", "xlsx", "doc", "wps", "xls", "txt", "image", "zip", "empty", "unknown")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"II+\x00",  # BigTIFF
    b"MM\x00+",
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
)


#: the media type recorded for a file of each sniffed format (documents.content_type)
MEDIA_TYPES = {
    "html": "text/html",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "xls": "application/vnd.ms-excel",
    "txt": "text/plain",
    "zip": "application/zip",
}


def media_type(fmt: str) -> str:
    return MEDIA_TYPES.get(fmt, "application/octet-stream")


def sniff(data: bytes) -> str:
    """The format of `data` (see module doc). Never raises for any input."""
    try:
        return _sniff(bytes(data))
    except Exception:  # noqa: BLE001 - sniffing must not fail on hostile bytes
        return "unknown"


def _sniff(data: bytes) -> str:
    if not data or not data.strip(b" \t\r\n\x00\x0b\x0c"):
        return "empty"
    head = data[:16]
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(_OLE_MAGIC):
        return _ole_format(data)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_format(data)
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP") or _is_bmp(data):
        return "image"
    if head.startswith(b"{\\rtf"):
        return "doc"
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        return "unknown"  # other archives: nothing the extractors read
    if b"%PDF-" in data[:1024]:
        return "pdf"  # (readers accept junk before the header)
    text = _as_text(data[:8192])  # the start decides; decoding 64 KB cost 0.2 ms
    if text is None:
        return "unknown"
    return _text_format(text)


# ---------------------------------------------------------------------------- images

def _is_bmp(data: bytes) -> bool:
    if len(data) < 26 or not data.startswith(b"BM"):
        return False
    size, reserved, offset, header = struct.unpack_from("<IIII", data, 2)
    return reserved == 0 and header in (12, 40, 52, 56, 64, 108, 124) and offset < max(size, len(data)) + 1


# ---------------------------------------------------------------------------- OLE2

def ole_stream_names(data: bytes) -> set[str]:
    """Names of the entries in an OLE2 compound file's directory (bounded parse).

    Falls back to scanning for well-known UTF-16 names when the directory cannot be
    followed (a truncated or damaged file)."""
    try:
        names = _ole_directory(data)
        if names:
            return names
    except (struct.error, ValueError, IndexError):
        pass
    known = ("WordDocument", "Workbook", "Book", "WpsCustomData", "EncryptedPackage",
             "PowerPoint Document", "CONTENTS", "MatOST", "1Table", "0Table")
    return {n for n in known if n.encode("utf-16-le") in data}


def _ole_directory(data: bytes) -> set[str]:
    if len(data) < 512:
        raise ValueError("short OLE header")
    sector_shift = struct.unpack_from("<H", data, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise ValueError("bad sector size")
    ssize = 1 << sector_shift
    n_fat, first_dir = struct.unpack_from("<I", data, 0x2C)[0], struct.unpack_from("<I", data, 0x30)[0]
    first_difat, n_difat = struct.unpack_from("<I", data, 0x44)[0], struct.unpack_from("<I", data, 0x48)[0]
    max_sectors = (len(data) - 512) // ssize + 1

    def sector(i: int) -> bytes:
        off = ssize * (i + 1)  # the header fills sector -1
        if i < 0 or off >= len(data):  # (the last sector may be short)
            raise ValueError("sector out of range")
        return data[off:off + ssize]

    fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
    nxt, seen = first_difat, 0
    while nxt < 0xFFFFFFFA and seen < min(n_difat, max_sectors):
        s = sector(nxt)
        vals = struct.unpack_from(f"<{ssize // 4}I", s.ljust(ssize, b"\xff"))
        fat_sectors.extend(vals[:-1])
        nxt = vals[-1]
        seen += 1
    fat_sectors = [s for s in fat_sectors[: max(n_fat, 0)] if s < 0xFFFFFFFA][:max_sectors]
    fat: list[int] = []
    for s in fat_sectors:
        chunk = sector(s).ljust(ssize, b"\xff")
        fat.extend(struct.unpack_from(f"<{ssize // 4}I", chunk))
    names: set[str] = set()
    cur, steps = first_dir, 0
    visited: set[int] = set()
    while cur < 0xFFFFFFFA and steps < max_sectors and cur not in visited:
        visited.add(cur)
        s = sector(cur)
        for k in range(0, len(s) - 127, 128):
            entry = s[k:k + 128]
            nlen = struct.unpack_from("<H", entry, 0x40)[0]
            etype = entry[0x42]
            if etype in (1, 2, 5) and 2 <= nlen <= 64:
                names.add(entry[: nlen - 2].decode("utf-16-le", errors="replace"))
        cur = fat[cur] if cur < len(fat) else 0xFFFFFFFE
        steps += 1
    return names


def _ole_format(data: bytes) -> str:
    names = ole_stream_names(data)
    lower = {n.lower() for n in names}
    if "worddocument" in lower:
        if "wpscustomdata" in lower or any("kingsoft" in n or n.startswith("kso") for n in lower):
            return "wps"
        return "doc"
    if "workbook" in lower or "book" in lower:
        return "xls"
    if "contents" in lower and ("matost" in lower or "spell" in lower or "wpscustomdata" in lower):
        return "wps"  # Microsoft Works / old Kingsoft word processor
    if "encryptedpackage" in lower:
        return "doc"
    if "powerpoint document" in lower:
        return "unknown"
    if not names:
        return "doc"  # an OLE file we could not read at all: most likely a damaged DOC
    return "unknown"


# ---------------------------------------------------------------------------- zip

def _zip_format(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            ctypes = b""
            if "[Content_Types].xml" in names:
                info = zf.getinfo("[Content_Types].xml")
                if info.file_size < 1_000_000:
                    ctypes = zf.read(info)
    except Exception:  # noqa: BLE001 - a damaged zip: look at the local headers' names
        return _zip_format_from_bytes(data)
    if "word/document.xml" in names or b"wordprocessingml.document.main" in ctypes:
        return "docx"
    if "xl/workbook.xml" in names or b"spreadsheetml.sheet.main" in ctypes:
        return "xlsx"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "zip"


def _zip_format_from_bytes(data: bytes) -> str:
    if b"word/document.xml" in data or b"word/" in data[:4096]:
        return "docx"
    if b"xl/workbook.xml" in data or b"xl/" in data[:4096]:
        return "xlsx"
    return "zip"


# ---------------------------------------------------------------------------- text

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def _as_text(sample: bytes) -> str | None:
    """The sample decoded, when it is text; None for binary."""
    bom = bom_encoding(sample)
    candidates: list[tuple[str, bytes]] = []
    if bom:
        candidates.append((bom[0], sample[bom[1]:]))
    else:
        candidates += [("utf-8", sample), ("gb18030", sample)]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = max(len(sample) // 2, 1)
        if odd > 0.3 * half and even < 0.05 * half:
            candidates.append(("utf-16-le", sample))
        elif even > 0.3 * half and odd < 0.05 * half:
            candidates.append(("utf-16-be", sample))
    for enc, chunk in candidates:
        text = _decode_prefix(chunk, enc)
        if text is None:
            continue
        if not text:
            return ""
        bad = len(_CONTROL.findall(text)) + text.count("\ufffd")
        if bad <= max(1, len(text) // 200):
            return text
    return None


def _decode_prefix(chunk: bytes, enc: str) -> str | None:
    """Decode a sample that may end in the middle of a multi-byte character."""
    try:
        return chunk.decode(enc)
    except UnicodeDecodeError as e:
        if e.start >= len(chunk) - 4:
            try:
                return chunk[: e.start].decode(enc)
            except UnicodeDecodeError:
                return None
        # a few broken bytes in an otherwise good text (a truncated or mixed page)
        text = chunk.decode(enc, errors="replace")
        if text.count("\ufffd") <= max(1, len(text) // 500):
            return text
        return None
    except LookupError:
        return None


_LEADING_JUNK = re.compile(r"^(?:\s+|<!--.*?-->|<\?xml[^>]*\?>|<\?[^>]*\?>)*", re.S)
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|meta|body|div|table|p|title|link|script|style|span|h[1-6]|br|center|"
    r"font|form|base|!--|section|article|header|nav|ul|ol|tbody|tr|td|a|b|strong|img|iframe|frameset)[\s/>]",
    re.I,
)
_HTML_ANYWHERE = re.compile(r"<(!doctype\s+html|html|body|head|/html|/body)[\s>]", re.I)
_WORD_XML = re.compile(r"<\?mso-application\s+progid=\"Word\.Document\"|<w:wordDocument\b|<pkg:package\b", re.I)


def _text_format(text: str) -> str:
    text = text.lstrip("\ufeff")
    if text.startswith(("MIME-Version:", "Content-Type: multipart/related", "From: <Saved by")) or (
        text[:2000].lower().count("content-type: multipart/related") and "mime-version:" in text[:2000].lower()
    ):
        return "html"  # MHTML: a saved web page (or a Word 'single file web page')
    rest = _LEADING_JUNK.sub("", text[:20000], count=1)
    if _WORD_XML.search(text[:2000]):
        return "doc"
    if _HTML_START.match(rest):
        return "html"
    # junk before the page (a server warning): two page-structure tags in the first 4 KB
    if len({m.group(1).lower().split()[0] for m in _HTML_ANYWHERE.finditer(text[:4096])}) >= 2:
        return "html"
    return "txt"
