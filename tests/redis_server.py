"""A real redis-server for tests: 127.0.0.1, a free port, a temporary directory, no persistence.

    from tests.redis_server import RedisServer

    with RedisServer(tmp_path / "redis") as server:
        server.url            # redis://127.0.0.1:PORT/0
        server.client()       # a redis-py client

`make system-deps` installs redis-server (Debian's package); tests that use this helper
are marked `@requires_redis` (tests/tools.py): skipped without it locally, failed in CI.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis


def redis_server_path() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if Path(p).exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """Starts redis-server on entry, stops it (and its process only) on exit."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def __enter__(self) -> RedisServer:
        exe = redis_server_path()
        if exe is None:
            raise RuntimeError("redis-server is not installed (`make system-deps`)")
        self.directory.mkdir(parents=True, exist_ok=True)
        for _ in range(5):  # the free port may be taken between the probe and the server's bind
            self.port = _free_port()
            log = (self.directory / "redis.log").open("ab")
            self.proc = subprocess.Popen(
                [exe, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                 "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
            if self._wait_ready():
                return self
            self._stop()
        raise RuntimeError(f"redis-server did not start: {(self.directory / 'redis.log').read_text(errors='replace')[-2000:]}")

    def _wait_ready(self, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.ConnectionError:
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()
