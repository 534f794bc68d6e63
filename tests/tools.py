"""Tests that need a system tool (LibreOffice, Tesseract, Chromium, redis-server): skip locally, fail in CI.

`make test` installs the tools (`make system-deps`); a developer running pytest on a
machine without them gets skips that name the package. In CI (the environment variable
CI set, as CI runs `.ci/run`) a missing tool is an install step that did not work, so
those tests FAIL instead of passing quietly as skips.

    from tests.tools import requires_chromium, requires_redis, requires_soffice, requires_tesseract

    @requires_soffice            # a test, or a fixture (plain, generator or module-scoped)
    def test_doc(): ...

    need_soffice()               # the same check, inside a test or a helper
"""

from __future__ import annotations

import functools
import inspect
import os
import shutil
import subprocess

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(what: str) -> None:
    message = f"{what} (`make system-deps` installs the missing packages)"
    if in_ci():
        pytest.fail(f"CI must have every system tool: {message}", pytrace=False)
    pytest.skip(message)


@functools.cache
def soffice_problem() -> str | None:
    """None when LibreOffice can convert both documents and workbooks here, else what is missing."""
    from normalize import convert

    soffice = convert.find_soffice()
    if soffice is None:
        return (f"LibreOffice is not installed: install {convert.WRITER_PACKAGE} and "
                f"{convert.CALC_PACKAGE}")
    for ext in ("doc", "xls"):
        if package := convert._missing_component(soffice, ext):
            return f"LibreOffice lacks a component: install {package}"
    return None


@functools.cache
def tesseract_problem() -> str | None:
    """None when Tesseract with Simplified Chinese is installed, else what is missing."""
    exe = shutil.which("tesseract")
    if exe is None:
        return "Tesseract is not installed: install tesseract-ocr and tesseract-ocr-chi-sim"
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return f"tesseract --list-langs failed ({e})"
    if "chi_sim" not in langs.split():
        return "Tesseract has no Simplified Chinese: install tesseract-ocr-chi-sim"
    return None


@functools.cache
def chromium_problem() -> str | None:
    """None when Debian's chromium (headless browser) runs here, else what is missing."""
    exe = shutil.which("chromium")
    if exe is None:
        return "Chromium is not installed: install chromium"
    try:
        subprocess.run([exe, "--version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        return f"chromium --version failed ({e})"
    return None


def need_soffice() -> None:
    if problem := soffice_problem():
        _missing(problem)


def need_tesseract() -> None:
    if problem := tesseract_problem():
        _missing(problem)


def need_chromium() -> None:
    if problem := chromium_problem():
        _missing(problem)


def _requiring(check):
    def decorate(fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                check()
                yield from fn(*args, **kwargs)
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            check()
            return fn(*args, **kwargs)
        return wrapper
    return decorate


#: decorators for tests and fixtures that need the tool (skip locally, fail in CI)
requires_soffice = _requiring(need_soffice)
requires_tesseract = _requiring(need_tesseract)
requires_chromium = _requiring(need_chromium)


@functools.cache
def redis_problem() -> str | None:
    """None when redis-server (for the distributed crawl's tests) is installed, else what is missing."""
    from tests.redis_server import redis_server_path

    if redis_server_path() is None:
        return "redis-server is not installed: install redis-server"
    return None


def need_redis() -> None:
    if problem := redis_problem():
        _missing(problem)


#: a real redis-server on loopback (tests/redis_server.py): skip locally, fail in CI
requires_redis = _requiring(need_redis)
