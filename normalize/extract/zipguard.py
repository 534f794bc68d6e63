"""Reading members of an untrusted zip (DOCX, XLSX) without falling for a zip bomb.

The declared sizes of the member and of the whole archive, and the member's compression
ratio, are checked before anything is inflated; the member is then read in chunks with a
hard cap, in case the headers lie. Every refusal is an `ExtractionError` whose reason
starts with the caller's label (``docx:``, ``xlsx:``) and says "zip bomb suspected".
"""

from __future__ import annotations

import io
import zipfile

from normalize.model import ExtractionError

MAX_XML = 50 * 1024 * 1024  # bytes of one XML part once inflated
MAX_TOTAL = 1024 * 1024 * 1024  # declared uncompressed size of all entries
MAX_RATIO = 200  # inflated / compressed, for parts larger than RATIO_FLOOR
RATIO_FLOOR = 2 * 1024 * 1024


def open_zip(data: bytes, label: str) -> zipfile.ZipFile:
    """The archive, or `ExtractionError` ("not a readable zip")."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as e:
        raise ExtractionError(f"{label}: not a readable zip ({e})", "failed") from None
    except Exception as e:  # noqa: BLE001 - zipfile raises assorted errors on hostile input
        raise ExtractionError(f"{label}: not a readable zip ({type(e).__name__})", "failed") from None


def members(zf: zipfile.ZipFile, label: str, max_total: int = MAX_TOTAL) -> list[zipfile.ZipInfo]:
    """The archive's entries, refusing one whose entries declare more than `max_total` bytes."""
    try:
        infos = zf.infolist()
    except Exception:  # noqa: BLE001
        raise ExtractionError(f"{label}: zip directory unreadable", "failed") from None
    total = sum(max(i.file_size, 0) for i in infos)
    if total > max_total:
        raise ExtractionError(f"{label}: zip bomb suspected (entries declare {total} bytes uncompressed)", "failed")
    return infos


def find(infos: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    """The entry called `name`; some producers write backslashes or odd case."""
    info = next((i for i in infos if i.filename == name), None)
    if info is None:
        info = next((i for i in infos if i.filename.replace("\\", "/").lower() == name.lower()), None)
    return info


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, cap: int = MAX_XML) -> bytes:
    """One entry's bytes, refusing zip bombs before inflating anything."""
    name = info.filename
    if info.file_size > cap:
        raise ExtractionError(f"{label}: zip bomb suspected ({name} declares {info.file_size} bytes)", "failed")
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ExtractionError(
            f"{label}: zip bomb suspected ({name} compression ratio {info.file_size // max(info.compress_size, 1)}:1)",
            "failed",
        )
    # never ask zipfile for more than the declared size (+1 to see a lie) or the cap
    limit = min(cap, info.file_size) + 1
    try:
        with zf.open(info) as f:
            chunks, got = [], 0
            while got < limit:
                chunk = f.read(min(1024 * 1024, limit - got))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
            out = b"".join(chunks)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
        raise ExtractionError(f"{label}: {name} cannot be inflated ({e})", "failed") from None
    except Exception as e:  # noqa: BLE001 - zlib.error, NotImplementedError (compression method) …
        raise ExtractionError(f"{label}: {name} cannot be inflated ({type(e).__name__}: {e})", "failed") from None
    if len(out) > cap:
        raise ExtractionError(f"{label}: zip bomb suspected ({name} inflates past {cap} bytes)", "failed")
    return out


def read_part(zf: zipfile.ZipFile, name: str, label: str, *, required: bool, cap: int = MAX_XML,
              max_total: int = MAX_TOTAL) -> bytes | None:
    """The entry `name` (None when absent and not `required`), with every check above."""
    info = find(members(zf, label, max_total), name)
    if info is None:
        if required:
            raise ExtractionError(f"{label}: {name} missing", "failed")
        return None
    return read_member(zf, info, label, cap)
