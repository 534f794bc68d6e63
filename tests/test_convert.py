"""LibreOffice conversion: private temp dir and profile, timeout, memory limit, clear failures.

Fixtures are made here: a corpus report rendered as DOCX, converted to DOC by the code under
test. Tests that run LibreOffice skip locally without it and fail in CI (`tests.tools`).
"""

import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from govreports.corpus import make_spec, render_docx
from normalize import convert as conv
from normalize.convert import convert
from normalize.extract import docx as docx_reader
from normalize.model import ExtractionError
from normalize.sniff import sniff
from tests.tools import requires_soffice


@pytest.fixture(scope="module")
def docx():
    return render_docx(make_spec(11, format_version="2021", year=2023, quirks=()))


@pytest.fixture(scope="module")
@requires_soffice
def doc(docx):
    return convert(docx, "docx", "doc")


def test_docx_to_doc_and_back(doc):
    assert sniff(doc) == "doc"
    back = convert(doc, "doc", "docx")
    assert sniff(back) == "docx"
    assert len(list(docx_reader.extract(back).tables())) == 3  # tables 2, 3 and 4 survive both ways


@requires_soffice
def test_parallel_conversions_do_not_share_a_profile(docx):
    with ThreadPoolExecutor(2) as pool:
        out = list(pool.map(lambda _: convert(docx, "docx", "doc"), range(2)))
    assert all(sniff(o) == "doc" for o in out)


@pytest.mark.parametrize("ext, package", [("doc", "libreoffice-writer-nogui"), ("wps", "libreoffice-writer-nogui"),
                                          ("xls", "libreoffice-calc-nogui")])
def test_missing_libreoffice_names_the_package_and_the_make_target(monkeypatch, tmp_path, ext, package):
    monkeypatch.setenv("GOVREPORTS_SOFFICE", str(tmp_path / "no-such-soffice"))
    with pytest.raises(ExtractionError) as e:
        convert(b"x", ext, "docx")
    assert e.value.status == "failed"
    assert package in e.value.reason and "make system-deps" in e.value.reason
    assert "GOVREPORTS_SOFFICE" in e.value.reason


def test_missing_libreoffice_on_path(monkeypatch):
    monkeypatch.delenv("GOVREPORTS_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", "")
    assert conv.find_soffice() is None
    with pytest.raises(ExtractionError) as e:
        convert(b"x", "xls", "xlsx")
    assert e.value.status == "failed" and "libreoffice-calc-nogui" in e.value.reason


def test_converter_from_the_environment_variable(monkeypatch, tmp_path):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("GOVREPORTS_SOFFICE", str(fake))
    assert conv.find_soffice() == str(fake)
    with pytest.raises(ExtractionError) as e:  # it ran, and wrote nothing
        convert(b"x", "doc", "docx")
    assert e.value.status == "failed" and "could not convert" in e.value.reason


@requires_soffice
def test_timeout_kills_the_whole_process_group(monkeypatch, tmp_path, docx):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # conversions' temp dirs land here
    started = time.monotonic()
    with pytest.raises(ExtractionError) as e:
        convert(docx, "docx", "doc", timeout=0.3)
    assert time.monotonic() - started < 10
    assert e.value.status == "failed" and "timed out" in e.value.reason
    left = subprocess.run(["pgrep", "-f", f"UserInstallation=file://{tmp_path}"], capture_output=True, text=True)
    assert left.stdout == "", "a LibreOffice process outlived its timeout"
    assert not list(tmp_path.glob("govreports-convert-*")), "the temporary directory was left behind"


@requires_soffice
def test_memory_limit_is_enforced(docx):
    with pytest.raises(ExtractionError) as e:
        convert(docx, "docx", "doc", memory_mb=64)
    assert e.value.status == "failed" and "64 MB" in e.value.reason


def test_corrupt_input_gives_no_output(doc):
    with pytest.raises(ExtractionError) as e:
        convert(doc[:30000], "doc", "docx")
    assert e.value.status == "failed" and "could not convert" in e.value.reason
