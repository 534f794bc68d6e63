"""Serve a replica tree ``ROOT/<host>/<path>`` at ``http://127.0.0.1:PORT/<host>/<path>``.

Standard library only, so the crawler's tests need nothing beyond what the project
already installs. Behaviour a crawler meets on real portals is reproduced on purpose:

* a directory URL (with or without the trailing slash) serves its ``index.html``;
  the path is percent-decoded (UTF-8); a URL with a query string serves the file
  ``<path>@<query>`` when the tree has one (the query's parameters sorted and
  percent-encoded: ``dataproxy.jsp@columnid=7&endrecord=18&startrecord=10``, how
  the replica stores the answers of dynamic list pages), else the query is ignored;
* HTML is ``text/html`` with no charset, as many portals send it, so the crawler has
  to find the encoding itself; other types come from the extension;
* ``ETag`` (quoted sha256 prefix) and ``Last-Modified`` (file mtime), 304 answers to
  ``If-None-Match`` / ``If-Modified-Since`` (If-None-Match wins when both are sent);
* rules from ``ROOT/_replica.toml``: host aliases, and per path (one ``[[rule]]`` each):

  - ``fail = N``: the first N requests fail — with ``status``, or by hanging when the
    rule has ``hang``; without ``hang`` or ``status`` they answer 500 (a burst of 5xx);
  - ``status = CODE``: with ``fail``, what the failing requests answer; alone, what
    every request answers;
  - ``retry_after = SECONDS`` (needs ``status``, e.g. 429 or 503): the answers with
    ``status`` carry ``Retry-After: SECONDS``;
  - ``reset = N``: the first N requests get no answer at all: the connection is closed
    abruptly (``SO_LINGER`` 0, so the client sees a TCP reset, not a clean close);
  - ``hang = SECONDS``: accept the request, send nothing for SECONDS (longer than the
    client's timeout), then close without an answer — the first ``fail`` requests when
    the rule has ``fail``, else every request;
  - ``truncate = N``: the first N requests get the headers with the full
    ``Content-Length``, then only half the body, and the connection closes;
  - ``delay = SECONDS``: every request is answered that much later;
  - ``content_type``: overrides the Content-Type of the file;
  - ``redirect = URL``: a 302 to that URL;

  the counts (``fail``, ``reset``, ``truncate``) are of every request for the path since
  the server started, checked in the order reset, hang, status, truncate, so
  ``reset = 2`` with ``truncate = 3`` resets requests 1–2 and truncates request 3;
* every request is recorded (in memory and optionally as JSON lines) so tests can
  assert what the crawler fetched, how often, and what it did not fetch; ``fault``
  says which rule broke the answer (``reset``, ``hang``, ``truncate``, else None), and a
  request that got no answer has ``status`` 0.

Nothing outside a host directory is served: top-level files (``_replica.toml``,
``expected.json``, ``README.md``), hidden or underscore names at the top level and
any path that resolves outside its host (``..``, ``%2e%2e``, symlinks) answer 404.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import re
import socket
import struct
import threading
import time
import tomllib
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

log = logging.getLogger("govreports.replica")

RULES_FILE = "_replica.toml"

#: explicit types: the portals' report formats, and HTML without a charset parameter
CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".wps": "application/vnd.ms-works",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",  # robots.txt included
    ".jsp": "text/xml;charset=UTF-8",  # the replica's .jsp files are JCMS data-proxy answers (XML)
}

_RULE_KEYS = {"path", "fail", "status", "delay", "content_type", "redirect", "reset", "hang", "truncate", "retry_after"}
_TOP_KEYS = {"aliases", "rule"}
#: a host directory name: DNS-like labels; never starts with "." or "_"
_HOST_RE = re.compile(r"[a-z0-9-][a-z0-9_-]*(\.[a-z0-9-][a-z0-9_-]*)*")


class ReplicaConfigError(ValueError):
    """The replica root or its _replica.toml is unusable; raised at startup, not per request."""


def content_type_for(path: Path) -> str:
    """The Content-Type for a file name: explicit table first, then `mimetypes`."""
    ext = Path(path.name.split("@", 1)[0]).suffix.lower()  # dataproxy.jsp@startrecord=… → .jsp
    if ext in CONTENT_TYPES:
        return CONTENT_TYPES[ext]
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    return guessed or "application/octet-stream"


def canonical_query(query: str) -> str:
    """``b=2&a=%2F`` → ``a=%2F&b=2``: the name under which the tree stores that query's answer."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return urlencode(pairs, quote_via=quote)


def etag_for(body: bytes) -> str:
    """Strong ETag from the content, so an unchanged rebuild keeps the same tag."""
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


# ---------------------------------------------------------------- rules


@dataclass
class Rule:
    """One ``[[rule]]``: what happens to requests for one host+path."""

    path: str  # normalized key, see _rule_key
    fail: int | None = None
    status: int | None = None
    delay: float = 0.0
    content_type: str | None = None
    redirect: str | None = None  # answer 302 with this Location (a real http(s) URL)
    reset: int = 0  # the first `reset` requests: connection reset, no answer
    hang: float = 0.0  # seconds without an answer (the first `fail` requests, else all)
    truncate: int = 0  # the first `truncate` requests: half the body under the full Content-Length
    retry_after: int | None = None  # Retry-After on the `status` answers

    def resets(self, seen: int) -> bool:
        return seen <= self.reset

    def hangs(self, seen: int) -> bool:
        return bool(self.hang) and (self.fail is None or seen <= self.fail)

    def truncates(self, seen: int) -> bool:
        return seen <= self.truncate

    def forced_status(self, seen: int) -> int | None:
        """The status to answer instead of the file for the `seen`-th request (1-based).

        With `fail` (and no `hang`, which is then how they fail): the first `fail` requests
        get `status` (default 500). With only `status`: every request gets it. Otherwise:
        None, serve normally.
        """
        if self.fail is not None:
            return (self.status or 500) if seen <= self.fail and not self.hang else None
        return self.status


def _rule_key(host: str, path: str) -> str:
    """``host/dir`` for ``host/dir``, ``host/dir/`` and ``host/dir/index.html`` alike,
    so a rule on a directory also covers its index page."""
    key = (host.lower() + "/" + path.strip("/")).rstrip("/")
    if key.endswith("/index.html"):
        key = key[: -len("/index.html")]
    return key


@dataclass
class Rules:
    """Parsed ``_replica.toml``: aliases and rules by key."""

    aliases: dict[str, str]
    rules: dict[str, Rule]

    @classmethod
    def load(cls, root: Path) -> Rules:
        """Read ``root/_replica.toml`` (absent = no rules); any unknown key is an error,
        because a misspelt rule would otherwise silently test nothing."""
        file = root / RULES_FILE
        if not file.exists():
            return cls({}, {})
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ReplicaConfigError(f"{file}: not valid TOML: {e}") from e
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise ReplicaConfigError(f"{file}: unknown key(s) {', '.join(sorted(unknown))}; allowed: [aliases], [[rule]]")
        aliases = data.get("aliases", {})
        if not isinstance(aliases, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
            raise ReplicaConfigError(f'{file}: [aliases] must map host strings to host strings, e.g. "cq.gov.cn" = "www.cq.gov.cn"')
        for k, v in aliases.items():
            if not _HOST_RE.fullmatch(k.lower()) or not _HOST_RE.fullmatch(v.lower()):
                raise ReplicaConfigError(f"{file}: [aliases] {k!r} = {v!r}: both sides must be bare host names")
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise ReplicaConfigError(f"{file}: rules are written as [[rule]] tables")
        rules: dict[str, Rule] = {}
        for i, raw in enumerate(raw_rules, 1):
            rule = cls._parse_rule(file, i, raw)
            if rule.path in rules:
                raise ReplicaConfigError(f"{file}: rule #{i}: path {rule.path!r} already has a rule; put all its keys in one [[rule]]")
            rules[rule.path] = rule
        return cls({k.lower(): v.lower() for k, v in aliases.items()}, rules)

    @staticmethod
    def _parse_rule(file: Path, i: int, raw: Any) -> Rule:
        where = f"{file}: rule #{i}"
        if not isinstance(raw, dict):
            raise ReplicaConfigError(f"{where}: must be a [[rule]] table")
        unknown = set(raw) - _RULE_KEYS
        if unknown:
            raise ReplicaConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_RULE_KEYS))}")
        path = raw.get("path")
        if not isinstance(path, str) or not path.strip("/"):
            raise ReplicaConfigError(f'{where}: needs path = "host/path"')
        if "://" in path:
            raise ReplicaConfigError(f"{where}: path {path!r} must be host/path without a scheme")
        host, _, rest = path.strip("/").partition("/")
        fail, status, delay, ctype = raw.get("fail"), raw.get("status"), raw.get("delay", 0.0), raw.get("content_type")
        if fail is not None and (not isinstance(fail, int) or isinstance(fail, bool) or fail < 0):
            raise ReplicaConfigError(f"{where}: fail must be a whole number >= 0")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599):
            raise ReplicaConfigError(f"{where}: status must be an HTTP status 100-599")
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
            raise ReplicaConfigError(f"{where}: delay must be seconds >= 0")
        if ctype is not None and (not isinstance(ctype, str) or not ctype.strip()):
            raise ReplicaConfigError(f"{where}: content_type must be a non-empty string")
        redirect = raw.get("redirect")
        if redirect is not None and (not isinstance(redirect, str) or not redirect.startswith(("http://", "https://"))):
            raise ReplicaConfigError(f"{where}: redirect must be an http(s) URL")
        reset, truncate, hang, after = raw.get("reset", 0), raw.get("truncate", 0), raw.get("hang", 0.0), raw.get("retry_after")
        for name, value in (("reset", reset), ("truncate", truncate)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ReplicaConfigError(f"{where}: {name} must be a whole number >= 0 (how many requests)")
        if not isinstance(hang, (int, float)) or isinstance(hang, bool) or hang < 0:
            raise ReplicaConfigError(f"{where}: hang must be seconds >= 0")
        if hang and status is not None:
            raise ReplicaConfigError(f"{where}: hang and status exclude each other (a hanging request gets no answer)")
        if after is not None:
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                raise ReplicaConfigError(f"{where}: retry_after must be whole seconds >= 0")
            if status is None:
                raise ReplicaConfigError(f"{where}: retry_after needs status (e.g. 429 or 503): it is sent with that answer")
        return Rule(_rule_key(host, unquote(rest)), fail, status, float(delay), ctype, redirect,
                    reset, float(hang), truncate, after)


# ---------------------------------------------------------------- HTTP


class _HTTPServer(ThreadingHTTPServer):
    """Threading server that knows its ReplicaServer and keeps tracebacks off stderr."""

    daemon_threads = True
    replica: ReplicaServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("error while answering %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """GET/HEAD for one request; everything it decides is delegated to ReplicaServer."""

    server: _HTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers after shutdown
    server_version = "replica/1"

    def do_GET(self) -> None:
        self.server.replica._answer(self, head=False)

    def do_HEAD(self) -> None:
        self.server.replica._answer(self, head=True)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class ReplicaServer:
    """Serve a replica ROOT on HOST:PORT (port 0 = any free port).

    Bound at construction (so `.port`/`.url` are known at once); `with` runs it in a
    daemon thread and stops it on exit; `serve_forever()` runs it in the foreground.
    """

    def __init__(self, root: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 0, log: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ReplicaConfigError(f"{self.root}: not a directory")
        self._root_resolved = self.root.resolve()
        self.rules = Rules.load(self.root)
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._seen: dict[str, int] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._log_file: IO[str] | None = open(log, "a", encoding="utf-8") if log is not None else None
        try:
            self._httpd = _HTTPServer((host, port), _Handler)
        except OSError:
            if self._log_file is not None:
                self._log_file.close()
            raise
        self._httpd.replica = self

    # -------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL without a trailing slash: ``f"{server.url}/{host}/{path}"``."""
        return f"http://{self._httpd.server_address[0]}:{self.port}"

    def __enter__(self) -> ReplicaServer:
        # a short poll interval: shutdown() waits up to one interval, once per test server
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=f"replica:{self.port}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until `shutdown()` or an exception (Ctrl-C)."""
        self._httpd.serve_forever()

    def close(self) -> None:
        """Stop serving, wake delayed requests and release the socket and the log file."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        with self._lock:
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None

    # -------------------------------------------------------- request log

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Copy of the requests so far: {"t", "method", "host", "path", "status", "bytes", "fault"}
        (status 0: no answer; fault: "reset", "hang", "truncate" or None)."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def reset_requests(self) -> None:
        """Forget the recorded requests (fail counters are kept: they belong to the server)."""
        with self._lock:
            self._requests.clear()

    def _record(self, method: str, host: str, path: str, status: int, nbytes: int, fault: str | None = None) -> None:
        entry = {"t": time.time(), "method": method, "host": host, "path": path, "status": status, "bytes": nbytes,
                 "fault": fault}
        with self._lock:
            self._requests.append(entry)
            if self._log_file is not None:
                self._log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self._log_file.flush()

    # -------------------------------------------------------- answering

    def _split(self, raw: str) -> tuple[str, str, str]:
        """(host, /path, canonical query) from the request target, percent-decoded."""
        target, _, query = raw.split("#", 1)[0].partition("?")
        decoded = unquote(target)
        host, _, rest = decoded.lstrip("/").partition("/")
        return host.lower(), "/" + rest, canonical_query(query)

    def _locate(self, host: str, path: str) -> Path | None:
        """The file to serve, or None (404): never outside the host directory."""
        if not _HOST_RE.fullmatch(host):
            return None  # "", "..", ".hidden", "_replica.toml"
        host_dir = self.root / self.rules.aliases.get(host, host)
        if not host_dir.is_dir():
            return None  # unknown host, or a top-level file such as expected.json
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") or "\x00" in p or "\\" in p for p in parts):
            return None
        try:
            host_resolved = host_dir.resolve()
            target = host_dir.joinpath(*parts).resolve()
            if not host_resolved.is_relative_to(self._root_resolved) or not target.is_relative_to(host_resolved):
                return None  # a symlink leading out
            if target.is_dir():
                target = target / "index.html"
            elif path.endswith("/"):
                return None  # "file.html/" is not a directory
            return target if target.is_file() else None
        except (OSError, ValueError):
            return None

    def _rule_for(self, host: str, path: str) -> Rule | None:
        """The rule for the requested host, else for the host its alias serves."""
        rules = self.rules.rules
        if not rules:
            return None
        rule = rules.get(_rule_key(host, path))
        if rule is None and host in self.rules.aliases:
            rule = rules.get(_rule_key(self.rules.aliases[host], path))
        return rule

    def _answer(self, h: _Handler, head: bool) -> None:
        method = "HEAD" if head else "GET"
        host, path, query = self._split(h.path)
        rule = self._rule_for(host, path)
        if rule is not None:
            with self._lock:
                seen = self._seen[rule.path] = self._seen.get(rule.path, 0) + 1
            if rule.delay:
                self._stopping.wait(rule.delay)
            if rule.resets(seen):
                return self._reset(h, method, host, path)
            if rule.hangs(seen):
                self._record(method, host, path, 0, 0, "hang")
                self._stopping.wait(rule.hang)
                h.close_connection = True
                return None  # the handler closes the connection: no answer at all
            forced = rule.forced_status(seen)
            if forced is not None:
                extra = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
                return self._send_error(h, method, host, path, forced, head, extra)
            if rule.redirect:
                return self._send(h, method, host, path, 302, {"Location": rule.redirect, "Content-Type": "text/html"},
                                  b"<html><body>moved</body></html>\n", head)
        file = (self._locate(host, f"{path}@{query}") if query else None) or self._locate(host, path)
        if file is None:
            return self._send_error(h, method, host, path, 404, head)
        try:
            body = file.read_bytes()
            mtime = file.stat().st_mtime
        except OSError:
            return self._send_error(h, method, host, path, 404, head)
        headers = {
            "Content-Type": (rule.content_type if rule and rule.content_type else None) or content_type_for(file),
            "ETag": etag_for(body),
            "Last-Modified": formatdate(mtime, usegmt=True),
        }
        if self._not_modified(h, headers["ETag"], mtime):
            return self._send(h, method, host, path, 304, headers, b"", head=True)
        truncated = rule is not None and not head and rule.truncates(seen)
        self._send(h, method, host, path, 200, headers, body, head, truncate=truncated)

    def _reset(self, h: _Handler, method: str, host: str, path: str) -> None:
        """Close the connection with a TCP reset (SO_LINGER 0) before any answer."""
        self._record(method, host, path, 0, 0, "reset")
        h.close_connection = True
        try:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
        except OSError as e:
            log.debug("%s %s%s: reset: %s", method, host, path, e)

    @staticmethod
    def _not_modified(h: _Handler, etag: str, mtime: float) -> bool:
        """Conditional GET: If-None-Match decides when present, else If-Modified-Since."""
        inm = h.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = h.headers.get("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False  # unparsable: ignore it, as servers do
            return since >= int(mtime)
        return False

    def _send_error(self, h: _Handler, method: str, host: str, path: str, status: int, head: bool,
                    extra: dict[str, str] | None = None) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = f"<html><head><title>{status} {phrase}</title></head><body><h1>{status} {phrase}</h1></body></html>\n".encode()
        self._send(h, method, host, path, status, {"Content-Type": "text/html", **(extra or {})}, body, head)

    def _send(self, h: _Handler, method: str, host: str, path: str, status: int, headers: dict[str, str], body: bytes, head: bool,
              truncate: bool = False) -> None:
        """Record the response, then write it: recorded first so that a client that has
        its answer always finds it in `.requests`. `bytes` is the body length sent; with
        `truncate`, only half the body follows the full Content-Length, then the
        connection closes."""
        sent = 0 if head else (len(body) // 2 if truncate else len(body))
        self._record(method, host, path, status, sent, "truncate" if truncate else None)
        try:
            h.send_response(status)
            for name, value in headers.items():
                h.send_header(name, value)
            if status != 304:
                h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if sent:
                h.wfile.write(body[:sent])
            if truncate:
                h.close_connection = True
        except (BrokenPipeError, ConnectionResetError) as e:  # the client gave up (e.g. its timeout during a delay)
            log.debug("%s %s%s: client went away: %s", method, host, path, e)
