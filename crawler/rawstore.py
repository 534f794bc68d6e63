"""Content-addressed store of every fetched file: `raw/<sha[:2]>/<sha>`.

Bytes are stored once whatever the number of URLs serving them, never overwritten, and
written through a temporary file + rename, so a killed crawl never leaves half a file
under a valid name. Re-normalizing after a parser fix reads from here, not the network.

Why not Scrapy's FilesPipeline: it names files by a hash of their URL and decides
freshness by file age, while this store must name them by their bytes (the same report
served at two URLs is one file; `documents.sha256` joins `reports.doc_sha256`) and the
crawl state decides freshness. Attachments are still fetched by the engine as ordinary
requests, so robots.txt, throttling, retries and JOBDIR apply to them as to pages.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class RawStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def relpath(self, sha: str) -> str:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ValueError(f"not a sha256 hex digest: {sha!r}")
        return f"{sha[:2]}/{sha}"

    def path(self, sha: str) -> Path:
        return self.root / self.relpath(sha)

    def put(self, data: bytes) -> str:
        """Store `data` (if not stored yet) and return its sha256."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.path(sha)
        if path.exists():
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()

    def __contains__(self, sha: str) -> bool:
        return self.path(sha).exists()
