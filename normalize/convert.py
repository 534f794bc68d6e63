"""Office files → other Office formats with LibreOffice headless (DOC/WPS → DOCX, XLS → XLSX).

    convert(data, "doc", "docx")   # bytes in, bytes out; ExtractionError("failed") otherwise

Every conversion runs ``soffice --headless --convert-to`` in a temporary directory of its
own, with a private LibreOffice profile there (``-env:UserInstallation``: parallel
conversions never share or lock a profile), HOME and TMPDIR pointing into it, stdin closed,
in a process group of its own that is killed whole on timeout, and under an address-space
limit (RLIMIT_AS). The limit is set by ``ulimit -v`` in a ``sh`` that then execs soffice,
not by a Python ``preexec_fn``: that runs Python code between fork and exec, which the
subprocess docs call unsafe in a process with threads (the crawler may normalize in its
reactor thread, beside Twisted's thread pool).

LibreOffice was measured against antiword and catdoc on report-sized DOC files
(docs/benchmarks.md, "Converters"): they are ~500× faster but give text only — antiword
drops the tables, catdoc flattens them and garbles cells — while LibreOffice keeps the
table structure (merged cells included) and every fact comes back.

Where LibreOffice lives: ``$GOVREPORTS_SOFFICE`` when set, else ``soffice`` or
``libreoffice`` on PATH. When it is missing, the reason names the Debian package to
install and the make target that installs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from normalize.model import ExtractionError

SOFFICE_ENV = "GOVREPORTS_SOFFICE"
INSTALL_TARGET = "make system-deps"
WRITER_PACKAGE = "libreoffice-writer-nogui"
CALC_PACKAGE = "libreoffice-calc-nogui"
#: input extension → the Debian package whose LibreOffice component reads it
PACKAGES = {
    "doc": WRITER_PACKAGE, "wps": WRITER_PACKAGE, "rtf": WRITER_PACKAGE, "xml": WRITER_PACKAGE,
    "docx": WRITER_PACKAGE, "odt": WRITER_PACKAGE,
    "xls": CALC_PACKAGE, "xlsx": CALC_PACKAGE, "xlsb": CALC_PACKAGE, "et": CALC_PACKAGE, "ods": CALC_PACKAGE,
}
#: a library each component installs in LibreOffice's program folder (to tell which one is missing)
_COMPONENT_LIBRARY = {WRITER_PACKAGE: "libswlo.so", CALC_PACKAGE: "libsclo.so"}
MAX_OUTPUT = 200 * 1024 * 1024


def package_for(ext: str) -> str:
    return PACKAGES.get(ext.lower().lstrip("."), WRITER_PACKAGE)


def find_soffice() -> str | None:
    """The LibreOffice executable to run, or None when there is none."""
    configured = os.environ.get(SOFFICE_ENV)
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def missing_reason(src_ext: str, label: str | None = None) -> str:
    """Why a file of type `src_ext` cannot be converted here, naming what to install."""
    configured = os.environ.get(SOFFICE_ENV)
    where = (f"{SOFFICE_ENV}={configured} is not an executable file" if configured
             else "neither soffice nor libreoffice is on PATH")
    return (f"{label or src_ext}: reading this file needs LibreOffice, which is not installed ({where}): "
            f"install the Debian package {package_for(src_ext)} (`{INSTALL_TARGET}` installs it)")


def _missing_component(soffice: str, src_ext: str) -> str | None:
    """The package to install when LibreOffice is there but not the component reading `src_ext`."""
    package = package_for(src_ext)
    program = Path(os.path.realpath(soffice)).parent
    if (program / "soffice.bin").exists() and not (program / _COMPONENT_LIBRARY[package]).exists():
        return package
    return None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def convert(data: bytes, src_ext: str, dst_ext: str, *, timeout: float = 120, memory_mb: int = 2048,
            label: str | None = None) -> bytes:
    """`data` (a file of type `src_ext`) converted by LibreOffice to `dst_ext`.

    Raises `ExtractionError` with status ``failed`` when LibreOffice is missing, times out,
    or writes nothing (a damaged file, or one it does not recognise as `src_ext`). Reasons
    start with `label` (default `src_ext`), the format the report was published in.
    """
    src_ext, dst_ext = src_ext.lower().lstrip("."), dst_ext.lower().lstrip(".")
    name = label or src_ext
    soffice = find_soffice()
    if soffice is None:
        raise ExtractionError(missing_reason(src_ext, label), "failed")
    with tempfile.TemporaryDirectory(prefix="govreports-convert-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        src = work / f"in.{src_ext}"
        src.write_bytes(data)
        outdir = work / "out"
        outdir.mkdir()
        limit_kb = str(max(int(memory_mb), 64) * 1024)
        cmd = [
            "/bin/sh", "-c", 'ulimit -v "$1" 2>/dev/null; shift; exec "$@"', "sh", limit_kb,
            soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            "--convert-to", dst_ext, "--outdir", str(outdir), str(src),
        ]
        env = dict(os.environ, HOME=tmp, TMPDIR=tmp)
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, cwd=tmp, env=env, start_new_session=True)
        except OSError as e:
            raise ExtractionError(f"{name}: LibreOffice could not be started ({e}); "
                                  f"reinstall {package_for(src_ext)} (`{INSTALL_TARGET}`)", "failed") from None
        try:
            try:
                output, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                try:
                    proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:  # a process outside the group holds the pipe
                    proc.kill()
                raise ExtractionError(
                    f"{name}: LibreOffice conversion to {dst_ext} timed out after {timeout:g} s "
                    "and was stopped", "failed") from None
        finally:
            _kill_group(proc)  # whatever it left behind (oosplash, soffice.bin)
        produced = sorted(outdir.glob("*"))
        if produced and produced[0].stat().st_size > MAX_OUTPUT:
            raise ExtractionError(f"{name}: LibreOffice's {dst_ext} is larger than {MAX_OUTPUT} bytes", "failed")
        if produced and produced[0].stat().st_size > 0:
            return produced[0].read_bytes()
        said = [ln.strip() for ln in output.decode("utf-8", "replace").splitlines()
                if ln.strip() and "javaldx" not in ln]
        detail = f"exit status {proc.returncode}" + (f": {said[-1][:200]}" if said else "")
        if missing := _missing_component(soffice, src_ext):
            raise ExtractionError(
                f"{name}: LibreOffice is installed without the component that reads this file ({detail}): "
                f"install the Debian package {missing} (`{INSTALL_TARGET}` installs it)", "failed")
        raise ExtractionError(
            f"{name}: LibreOffice could not convert the file to {dst_ext} ({detail}): it is damaged, "
            f"not a {name} file, or needs more than {memory_mb} MB", "failed")
