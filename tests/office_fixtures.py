"""Office fixtures made by the tests themselves, from the corpus generator's reports.

* DOC: `render_docx(spec)` converted by LibreOffice (``convert(docx, "docx", "doc")``).
* WPS: LibreOffice cannot write Kingsoft WPS. A Kingsoft Writer ``.wps`` file is a Word
  binary document (the same FIB, WordDocument and table streams, which is why readers
  open it with their Word filter) plus Kingsoft's private ``WpsCustomData`` stream, the
  mark `normalize.sniff` recognises it by. `wps_from_doc` makes one the same way: every
  stream and storage of the LibreOffice DOC is copied into a new compound file written by
  `write_ole` (a small OLE2 writer: FAT, mini stream, directory tree), with a
  ``WpsCustomData`` stream added. Its content is private to Kingsoft and read by no one;
  the bytes here only stand in for it.
* XLSX: `xlsx_from_spec` writes the corpus grids (tables 2, 3, 4 with their merged
  cells) with openpyxl under a title row naming the agency and the year, numbers as
  numbers where the report prints a plain number; XLS is that XLSX converted by
  LibreOffice.
"""

from __future__ import annotations

import io
import struct
import uuid


SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


# ---------------------------------------------------------------------------- OLE2


def read_ole(data: bytes) -> tuple[dict[tuple[str, ...], bytes], bytes]:
    """Every stream of a compound file (path → bytes), and the root entry's CLSID."""
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        streams = {tuple(p): ole.openstream(p).read() for p in ole.listdir(streams=True, storages=False)}
        clsid = uuid.UUID(ole.root.clsid).bytes_le if ole.root.clsid else bytes(16)
    finally:
        ole.close()
    return streams, clsid


def _key(name: str) -> tuple[int, str]:
    return len(name), name.upper()  # the compound file's order of sibling names


def write_ole(streams: dict[tuple[str, ...], bytes], root_clsid: bytes = bytes(16)) -> bytes:
    """A version-3 compound file holding `streams` (storages follow from the paths)."""
    # the tree: storage path → child names
    children: dict[tuple[str, ...], set[str]] = {(): set()}
    for path in streams:
        for i in range(1, len(path)):
            children.setdefault(path[:i], set())
            children[path[:i - 1]].add(path[i - 1])
        children[path[:-1]].add(path[-1])
    order: list[tuple[str, ...]] = [()]  # directory index → path
    for storage in sorted(children, key=len):
        for name in sorted(children[storage], key=_key):
            order.append(storage + (name,))
    index = {p: i for i, p in enumerate(order)}

    small = [p for p in order[1:] if p in streams and 0 < len(streams[p]) < CUTOFF]
    big = [p for p in order[1:] if p in streams and len(streams[p]) >= CUTOFF]
    mini = bytearray()
    minifat: list[int] = []
    start: dict[tuple[str, ...], int] = {}
    for p in small:
        start[p] = len(minifat)
        n = -(-len(streams[p]) // MINI)
        minifat += [len(minifat) + k + 1 for k in range(n - 1)] + [END]
        mini += streams[p].ljust(n * MINI, b"\0")

    def sectors(nbytes: int) -> int:
        return -(-nbytes // SECTOR)

    n_dir = sectors(len(order) * 128)
    n_minifat = sectors(len(minifat) * 4)
    n_mini = sectors(len(mini))
    n_big = sum(sectors(len(streams[p])) for p in big)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_dir + n_minifat + n_mini + n_big:
        n_fat += 1
    assert n_fat <= 109, "fixture too large for a header-only DIFAT"
    fat: list[int] = [FATSECT] * n_fat
    body = bytearray()

    def chain(payload: bytes) -> int:
        first = len(fat)
        n = sectors(len(payload))
        fat.extend([first + k + 1 for k in range(n - 1)] + [END])
        body.extend(payload.ljust(n * SECTOR, b"\0"))
        return first

    # directory entries, built once the sector numbers are known
    dir_first = len(fat)
    fat.extend([dir_first + k + 1 for k in range(n_dir - 1)] + [END])
    body.extend(bytes(n_dir * SECTOR))  # filled below
    minifat_first = chain(b"".join(struct.pack("<I", x) for x in minifat)) if minifat else END
    mini_first = chain(bytes(mini)) if mini else END
    for p in big:
        start[p] = chain(streams[p])

    def tree(names: list[tuple[str, ...]]) -> int:
        """A binary search tree of siblings (all black: readers do not check colours)."""
        if not names:
            return NOSTREAM
        mid = len(names) // 2
        node = names[mid]
        links[node] = (tree(names[:mid]), tree(names[mid + 1:]))
        return index[node]

    links: dict[tuple[str, ...], tuple[int, int]] = {}
    child: dict[tuple[str, ...], int] = {}
    for storage in children:
        kids = sorted((storage + (n,) for n in children[storage]), key=lambda q: _key(q[-1]))
        child[storage] = tree(kids)
    entries = bytearray()
    for p in order:
        e = bytearray(128)
        name = "Root Entry" if not p else p[-1]
        raw = name.encode("utf-16-le") + b"\0\0"
        e[: len(raw)] = raw
        kind = 5 if not p else (2 if p in streams else 1)
        left, right = links.get(p, (NOSTREAM, NOSTREAM))
        struct.pack_into("<HBBIII", e, 0x40, len(raw), kind, 1, left, right,
                         child[p] if p in children else NOSTREAM)
        if not p:
            e[0x50:0x60] = root_clsid
            struct.pack_into("<IQ", e, 0x74, mini_first, len(mini))
        elif p in streams:
            size = len(streams[p])
            struct.pack_into("<IQ", e, 0x74, start.get(p, END), size)
        else:
            struct.pack_into("<IQ", e, 0x74, 0, 0)
        entries += e
    while len(entries) % SECTOR:
        empty = bytearray(128)
        struct.pack_into("<III", empty, 0x44, NOSTREAM, NOSTREAM, NOSTREAM)
        entries += empty
    offset = (dir_first - n_fat) * SECTOR
    body[offset: offset + len(entries)] = entries

    fat += [FREE] * (n_fat * (SECTOR // 4) - len(fat))
    header = bytearray(SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, n_fat, dir_first, 0, CUTOFF, minifat_first,
                     n_minifat, END, 0)
    for i in range(109):
        struct.pack_into("<I", header, 0x4C + 4 * i, i if i < n_fat else FREE)
    fat_bytes = b"".join(struct.pack("<I", x) for x in fat)
    return bytes(header) + fat_bytes + bytes(body)


def wps_from_doc(doc: bytes) -> bytes:
    """A Kingsoft-style WPS document: the DOC's streams plus a ``WpsCustomData`` stream."""
    streams, clsid = read_ole(doc)
    streams[("WpsCustomData",)] = b"\x01\x00\x00\x00" + "WPS Office 文字".encode("utf-16-le") + bytes(40)
    return write_ole(streams, clsid)


def encrypted_doc(doc: bytes) -> bytes:
    """The DOC with the FIB's fEncrypted flag set, as Word writes a password-protected file."""
    streams, clsid = read_ole(doc)
    fib = bytearray(streams[("WordDocument",)])
    struct.pack_into("<H", fib, 0x0A, struct.unpack_from("<H", fib, 0x0A)[0] | 0x0100)
    streams[("WordDocument",)] = bytes(fib)
    return write_ole(streams, clsid)


# ---------------------------------------------------------------------------- XLSX
# the workbook writer is the corpus generator's (govreports/corpus/render_xlsx.py): the
# benchmark and the tests draw the same spreadsheets
from govreports.corpus.render_xlsx import render_xlsx as xlsx_from_spec  # noqa: E402,F401
