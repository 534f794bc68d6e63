"""The replica server, against a real socket on 127.0.0.1: what the crawler tests rely on.

Each test builds a small tree in tmp_path, starts its own server on port 0 and talks
to it with urllib, so fail counters and request logs never leak between tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.utils import formatdate
from pathlib import Path

import pytest

from http.client import IncompleteRead as IncompleteReadError

from govreports.replica.server import ReplicaConfigError, ReplicaServer

HOST = "www.example.gov.cn"
INDEX = "<html><head><title>首页</title></head><body>index</body></html>".encode()
REPORT = b"<html><body>report 2023</body></html>"
PDF = b"%PDF-1.4 fake\n"


def make_tree(root: Path, toml: str | None = None) -> Path:
    """A one-host replica plus the top-level files the server must never serve."""
    site = root / HOST
    (site / "col" / "202401").mkdir(parents=True)
    (site / "index.html").write_bytes(INDEX)
    (site / "col" / "index.html").write_bytes(INDEX)
    (site / "col" / "202401" / "t20240130_1.html").write_bytes(REPORT)
    (site / "col" / "202401" / "P0202401.pdf").write_bytes(PDF)
    (site / "col" / "202401" / "a.docx").write_bytes(b"PK\x03\x04")
    (site / "col" / "202401" / "a.wps").write_bytes(b"wps")
    (site / "robots.txt").write_bytes(b"User-agent: *\nDisallow: /tmp_publish/\n")
    (site / "中文").mkdir()
    (site / "中文" / "报告.html").write_bytes(REPORT)
    (root / "expected.json").write_text("{}")
    (root / "README.md").write_text("secret")
    (root / "_replica.toml").write_text(toml or "")
    (root.parent / "outside.txt").write_text("outside the root")
    return root


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "replica")


@pytest.fixture
def server(root: Path):
    with ReplicaServer(root) as s:
        yield s


def raw_get(server: ReplicaServer, target: str) -> int:
    """Send the request target byte for byte (urllib would normalise `..`); return the status."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", target, skip_host=False, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


# ---------------------------------------------------------------- serving files


def test_url_and_port(server: ReplicaServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0


def test_file_served(server: ReplicaServer) -> None:
    status, headers, body = fetch(f"{server.url}/{HOST}/col/202401/t20240130_1.html")
    assert (status, body) == (200, REPORT)
    assert headers["Content-Length"] == str(len(REPORT))


@pytest.mark.parametrize("path", ["/", "", "/col/", "/col", "/col/index.html"])
def test_directory_serves_index(server: ReplicaServer, path: str) -> None:
    assert fetch(f"{server.url}/{HOST}{path}")[::2] == (200, INDEX)


def test_query_string_ignored(server: ReplicaServer) -> None:
    assert fetch(f"{server.url}/{HOST}/col/?page=2&x=%2F")[::2] == (200, INDEX)


def test_percent_decoding(server: ReplicaServer) -> None:
    url = f"{server.url}/{HOST}/" + urllib.request.quote("中文/报告.html")
    assert fetch(url)[::2] == (200, REPORT)
    assert server.requests[-1]["path"] == "/中文/报告.html"


@pytest.mark.parametrize(
    ("name", "ctype"),
    [
        ("col/202401/t20240130_1.html", "text/html"),
        ("col/202401/P0202401.pdf", "application/pdf"),
        ("col/202401/a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("col/202401/a.wps", "application/vnd.ms-works"),
        ("robots.txt", "text/plain"),
    ],
)
def test_content_type(server: ReplicaServer, name: str, ctype: str) -> None:
    assert fetch(f"{server.url}/{HOST}/{name}")[1]["Content-Type"] == ctype


def test_html_has_no_charset(server: ReplicaServer) -> None:
    assert "charset" not in fetch(f"{server.url}/{HOST}/")[1]["Content-Type"]


def test_head(server: ReplicaServer) -> None:
    status, headers, body = fetch(f"{server.url}/{HOST}/col/202401/P0202401.pdf", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(PDF)) and headers["Content-Type"] == "application/pdf"
    assert server.requests[-1] == server.requests[-1] | {"method": "HEAD", "status": 200, "bytes": 0}


# ---------------------------------------------------------------- 404s


@pytest.mark.parametrize("path", [f"/{HOST}/nope.html", f"/{HOST}/col/202401/", "/www.unknown.gov.cn/", "/", f"/{HOST}/col/202401/t20240130_1.html/"])
def test_missing_is_404(server: ReplicaServer, path: str) -> None:
    assert fetch(server.url + path)[0] == 404


@pytest.mark.parametrize("name", ["_replica.toml", "expected.json", "README.md"])
def test_top_level_files_hidden(server: ReplicaServer, name: str) -> None:
    assert fetch(f"{server.url}/{name}")[0] == 404
    assert fetch(f"{server.url}/{name}/")[0] == 404


@pytest.mark.parametrize(
    "target",
    [
        f"/{HOST}/../outside.txt",
        f"/{HOST}/../../outside.txt",
        f"/{HOST}/%2e%2e/%2e%2e/outside.txt",
        f"/{HOST}/%2E%2E%2F%2E%2E%2Foutside.txt",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        f"/{HOST}/col/../../expected.json",
        f"/{HOST}/%00.html",
    ],
)
def test_traversal_refused(server: ReplicaServer, target: str) -> None:
    assert raw_get(server, target) == 404


def test_symlink_out_of_root_refused(root: Path) -> None:
    (root / HOST / "link.txt").symlink_to(root.parent / "outside.txt")
    with ReplicaServer(root) as s:
        assert fetch(f"{s.url}/{HOST}/link.txt")[0] == 404


# ---------------------------------------------------------------- _replica.toml rules


def test_alias_served(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[aliases]\n"example.gov.cn" = "{HOST}"\n')
    with ReplicaServer(root) as s:
        assert fetch(f"{s.url}/example.gov.cn/col/202401/t20240130_1.html")[::2] == (200, REPORT)
        assert s.requests[-1]["host"] == "example.gov.cn"


def test_fail_then_serve(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/t20240130_1.html"\nfail = 1\n')
    with ReplicaServer(root) as s:
        url = f"{s.url}/{HOST}/col/202401/t20240130_1.html"
        assert [fetch(url)[0] for _ in range(3)] == [500, 200, 200]


def test_fail_with_status_on_directory(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/"\nfail = 2\nstatus = 503\n')
    with ReplicaServer(root) as s:
        assert [fetch(f"{s.url}/{HOST}{p}")[0] for p in ("/col", "/col/index.html", "/col/")] == [503, 503, 200]


def test_fail_counts_through_alias(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[aliases]\n"example.gov.cn" = "{HOST}"\n[[rule]]\npath = "{HOST}/"\nfail = 1\n')
    with ReplicaServer(root) as s:
        assert [fetch(f"{s.url}/{h}/")[0] for h in ("example.gov.cn", HOST)] == [500, 200]


def test_status_without_fail_is_permanent(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/robots.txt"\nstatus = 403\n')
    with ReplicaServer(root) as s:
        assert [fetch(f"{s.url}/{HOST}/robots.txt")[0] for _ in range(2)] == [403, 403]


def test_fail_counter_is_per_server(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/"\nfail = 1\n')
    for _ in range(2):
        with ReplicaServer(root) as s:
            assert fetch(f"{s.url}/{HOST}/")[0] == 500


def test_fail_counter_thread_safe(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/"\nfail = 5\n')
    with ReplicaServer(root) as s, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: fetch(f"{s.url}/{HOST}/")[0], range(20)))
    assert sorted(statuses) == [200] * 15 + [500] * 5


def test_delay(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/P0202401.pdf"\ndelay = 0.3\n')
    with ReplicaServer(root) as s:
        for _ in range(2):  # every request, not just the first
            start = time.monotonic()
            assert fetch(f"{s.url}/{HOST}/col/202401/P0202401.pdf")[0] == 200
            assert time.monotonic() - start >= 0.3 * 0.9
        start = time.monotonic()
        fetch(f"{s.url}/{HOST}/")
        assert time.monotonic() - start < 0.3  # other paths are not delayed


def test_content_type_override(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/P0202401.pdf"\ncontent_type = "application/octet-stream"\n')
    with ReplicaServer(root) as s:
        assert fetch(f"{s.url}/{HOST}/col/202401/P0202401.pdf")[1]["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[rule]]\npath = "a/b"\nfails = 1\n', "fails"),
        ('[alias]\n"a" = "b"\n', "alias"),
        ('[[rule]]\nfail = 1\n', "path"),
        ('[[rule]]\npath = "https://a/b"\n', "scheme"),
        ('[[rule]]\npath = "a/b"\ndelay = -1\n', "delay"),
        ('[[rule]]\npath = "a/b"\nstatus = 999\n', "status"),
        ('[[rule]]\npath = "a/b"\nreset = -1\n', "reset"),
        ('[[rule]]\npath = "a/b"\ntruncate = "half"\n', "truncate"),
        ('[[rule]]\npath = "a/b"\nhang = -1\n', "hang"),
        ('[[rule]]\npath = "a/b"\nhang = 5\nstatus = 500\n', "exclude"),
        ('[[rule]]\npath = "a/b"\nretry_after = 1\n', "needs status"),
        ('[[rule]]\npath = "a/b"\nstatus = 429\nretry_after = 1.5\n', "retry_after"),
        ('[[rule]]\npath = "a/b/"\n[[rule]]\npath = "a/b/index.html"\n', "already"),
        ("[[rule]\n", "TOML"),
    ],
)
def test_bad_toml_is_an_error(tmp_path: Path, toml: str, message: str) -> None:
    root = make_tree(tmp_path / "r", toml)
    with pytest.raises(ReplicaConfigError, match=message):
        ReplicaServer(root)


# ---------------------------------------------------------------- network faults

REPORT_PATH = f"/{HOST}/col/202401/t20240130_1.html"


def raw_fetch(server: ReplicaServer, target: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) over http.client, so that resets, timeouts and short reads raise as such."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("GET", target)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_reset_closes_the_connection_abruptly_then_serves(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/t20240130_1.html"\nreset = 2\n')
    with ReplicaServer(root) as s:
        for _ in range(2):
            with pytest.raises(ConnectionResetError):  # a TCP reset, not a clean close (RemoteDisconnected)
                raw_fetch(s, REPORT_PATH)
        assert raw_fetch(s, REPORT_PATH)[::2] == (200, REPORT)
        assert [(r["status"], r["bytes"], r["fault"]) for r in s.requests] == [(0, 0, "reset"), (0, 0, "reset"), (200, len(REPORT), None)]


def test_hang_sends_nothing_for_the_first_fail_requests(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/t20240130_1.html"\nhang = 30\nfail = 1\n')
    with ReplicaServer(root) as s:
        with pytest.raises(TimeoutError):
            raw_fetch(s, REPORT_PATH, timeout=0.5)
        assert raw_fetch(s, REPORT_PATH)[::2] == (200, REPORT)  # not held up by the one still hanging
        assert [(r["status"], r["fault"]) for r in s.requests] == [(0, "hang"), (200, None)]
        start = time.monotonic()
    assert time.monotonic() - start < 10  # closing the server wakes the hanging request


def test_hang_without_fail_hangs_every_request(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/t20240130_1.html"\nhang = 30\n')
    with ReplicaServer(root) as s:
        for _ in range(2):
            with pytest.raises(TimeoutError):
                raw_fetch(s, REPORT_PATH, timeout=0.3)
        assert raw_fetch(s, f"/{HOST}/")[0] == 200  # other paths answer


def test_truncate_sends_half_the_body_under_the_full_length(tmp_path: Path) -> None:
    import http.client

    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/t20240130_1.html"\ntruncate = 1\n')
    with ReplicaServer(root) as s:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.request("GET", REPORT_PATH)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Length") == str(len(REPORT))
        with pytest.raises(http.client.IncompleteRead) as short:
            resp.read()
        conn.close()
        assert short.value.partial == REPORT[: len(REPORT) // 2]
        assert raw_fetch(s, REPORT_PATH)[::2] == (200, REPORT)  # the second request is whole
        assert [(r["bytes"], r["fault"]) for r in s.requests] == [(len(REPORT) // 2, "truncate"), (len(REPORT), None)]


def test_retry_after_comes_with_the_status(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/t20240130_1.html"\nfail = 2\nstatus = 429\nretry_after = 7\n')
    with ReplicaServer(root) as s:
        answers = [raw_fetch(s, REPORT_PATH) for _ in range(3)]
    assert [(status, headers.get("Retry-After")) for status, headers, _ in answers] == [(429, "7"), (429, "7"), (200, None)]
    assert answers[2][2] == REPORT


def test_a_500_burst_then_the_page(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/"\nfail = 3\n')
    with ReplicaServer(root) as s:
        assert [raw_fetch(s, f"/{HOST}/col/")[0] for _ in range(4)] == [500, 500, 500, 200]


def test_faults_share_one_count_in_order(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "r", f'[[rule]]\npath = "{HOST}/col/202401/t20240130_1.html"\nreset = 1\ntruncate = 2\n')
    with ReplicaServer(root) as s:
        for _ in range(2):
            try:
                raw_fetch(s, REPORT_PATH)
            except (ConnectionResetError, IncompleteReadError):
                pass
        assert raw_fetch(s, REPORT_PATH)[::2] == (200, REPORT)
        assert [r["fault"] for r in s.requests] == ["reset", "truncate", None]


# ---------------------------------------------------------------- conditional requests


def test_etag_is_sha256_prefix(server: ReplicaServer) -> None:
    import hashlib

    etag = fetch(f"{server.url}/{HOST}/col/202401/t20240130_1.html")[1]["ETag"]
    assert etag == '"' + hashlib.sha256(REPORT).hexdigest()[:16] + '"'


def test_if_none_match_304(server: ReplicaServer) -> None:
    url = f"{server.url}/{HOST}/col/202401/t20240130_1.html"
    etag = fetch(url)[1]["ETag"]
    status, headers, body = fetch(url, headers={"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)
    assert fetch(url, headers={"If-None-Match": '"0000000000000000"'})[0] == 200


def test_if_modified_since_304(root: Path) -> None:
    file = root / HOST / "col" / "202401" / "t20240130_1.html"
    os.utime(file, (1_700_000_000, 1_700_000_000))
    with ReplicaServer(root) as s:
        url = f"{s.url}/{HOST}/col/202401/t20240130_1.html"
        last_modified = fetch(url)[1]["Last-Modified"]
        assert last_modified == formatdate(1_700_000_000, usegmt=True)
        assert fetch(url, headers={"If-Modified-Since": last_modified})[0] == 304
        assert fetch(url, headers={"If-Modified-Since": formatdate(1_700_000_000 - 60, usegmt=True)})[0] == 200


def test_if_none_match_wins_over_if_modified_since(server: ReplicaServer) -> None:
    url = f"{server.url}/{HOST}/"
    now = formatdate(time.time() + 3600, usegmt=True)
    assert fetch(url, headers={"If-None-Match": '"other"', "If-Modified-Since": now})[0] == 200


# ---------------------------------------------------------------- request log


def test_request_log_in_memory(server: ReplicaServer) -> None:
    fetch(f"{server.url}/{HOST}/col/?page=1")
    fetch(f"{server.url}/{HOST}/nope.html")
    got = [{k: r[k] for k in ("method", "host", "path", "status", "bytes")} for r in server.requests]
    assert got == [
        {"method": "GET", "host": HOST, "path": "/col/", "status": 200, "bytes": len(INDEX)},
        {"method": "GET", "host": HOST, "path": "/nope.html", "status": 404, "bytes": got[1]["bytes"]},
    ]
    assert all(abs(r["t"] - time.time()) < 60 for r in server.requests)


def test_requests_is_a_copy_and_resets(server: ReplicaServer) -> None:
    fetch(f"{server.url}/{HOST}/")
    server.requests.clear()
    server.requests[0]["status"] = 0
    assert server.requests[0]["status"] == 200
    server.reset_requests()
    assert server.requests == []


def test_request_log_file(root: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "requests.jsonl"
    log_file.write_text('{"earlier": true}\n')  # appended to, not replaced
    with ReplicaServer(root, log=log_file) as s:
        fetch(f"{s.url}/{HOST}/robots.txt")
        fetch(f"{s.url}/{HOST}/robots.txt", method="HEAD")
        lines = [json.loads(line) for line in log_file.read_text("utf-8").splitlines()]  # flushed while running
        assert lines[1:] == s.requests
    assert lines[0] == {"earlier": True}
    assert [(r["method"], r["path"], r["status"]) for r in lines[1:]] == [("GET", "/robots.txt", 200), ("HEAD", "/robots.txt", 200)]


def test_closed_server_releases_port(root: Path) -> None:
    with ReplicaServer(root) as s:
        url = s.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + f"/{HOST}/", timeout=2)


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReplicaConfigError, match="not a directory"):
        ReplicaServer(tmp_path / "nope")


# ---------------------------------------------------------------- CLI


def test_cli_serve(root: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "cli.jsonl"
    cmd = [sys.executable, "-m", "govreports.cli", "replica", "serve", str(root), "--port", "0", "--log", str(log_file)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        m = re.search(r"serving .* at (http://127\.0\.0\.1:(\d+))$", line.strip())
        assert m and int(m.group(2)) > 0, line
        assert fetch(f"{m.group(1)}/{HOST}/col/202401/t20240130_1.html")[::2] == (200, REPORT)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert json.loads(log_file.read_text("utf-8"))["path"] == "/col/202401/t20240130_1.html"


def test_cli_serve_bad_toml(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from govreports.cli import main

    root = make_tree(tmp_path / "r", "[[rule]]\npath = 'a/b'\nretry = 1\n")
    result = CliRunner().invoke(main, ["replica", "serve", str(root), "--port", "0"])
    assert result.exit_code == 1 and "retry" in result.output


def test_cli_build_without_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from govreports.cli import main

    monkeypatch.setitem(sys.modules, "govreports.replica.build", None)  # import fails
    result = CliRunner().invoke(main, ["replica", "build", str(tmp_path / "out")])
    assert result.exit_code == 1 and "builder" in result.output
