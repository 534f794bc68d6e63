"""The content-addressed raw store: bytes in, sha256 out, each content stored once."""

from __future__ import annotations

import hashlib

import pytest

from crawler.rawstore import RawStore


@pytest.fixture
def store(tmp_path):
    return RawStore(tmp_path / "raw")


def test_put_returns_the_sha256_and_get_gives_the_bytes_back(store):
    data = "政府信息公开工作年度报告".encode("utf-8")
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.get(sha) == data
    assert sha in store


def test_empty_bytes_are_stored_too(store):
    sha = store.put(b"")
    assert store.get(sha) == b""


def test_the_same_bytes_are_stored_once(store, tmp_path):
    a = store.put(b"same report")
    mtime = store.path(a).stat().st_mtime_ns
    b = store.put(b"same report")
    assert a == b
    assert [p for p in (tmp_path / "raw").rglob("*") if p.is_file()] == [store.path(a)]
    assert store.path(a).stat().st_mtime_ns == mtime  # not written again


def test_files_live_under_the_first_two_hex_digits(store, tmp_path):
    sha = store.put(b"layout")
    assert store.relpath(sha) == f"{sha[:2]}/{sha}"
    assert store.path(sha) == tmp_path / "raw" / sha[:2] / sha
    assert store.path(sha).read_bytes() == b"layout"


def test_no_temporary_files_are_left(store, tmp_path):
    for i in range(5):
        store.put(f"file {i}".encode())
    store.put(b"file 0")
    names = [p.name for p in (tmp_path / "raw").rglob("*") if p.is_file()]
    assert len(names) == 5
    assert not [n for n in names if n.startswith(".")]


def test_unknown_content_is_not_in_the_store(store):
    assert hashlib.sha256(b"never stored").hexdigest() not in store


@pytest.mark.parametrize("sha", [
    "",
    "abc",
    "0" * 63,
    "0" * 65,
    "A" * 64,  # upper case: not what hexdigest() gives
    "g" * 64,
    "../" + "0" * 61,
    "0" * 62 + "/x",
])
def test_a_bad_sha_is_rejected(store, sha):
    with pytest.raises(ValueError):
        store.path(sha)
    with pytest.raises(ValueError):
        store.get(sha)
