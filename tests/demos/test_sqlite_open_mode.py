"""The layer of the SQLite crash: a file created with ``open(path, O_CREAT, mode)``.

SQLite checks with ``fstat`` that a file it created has the mode it asked for
and calls ``fchmod`` otherwise, a null function pointer in its WASI build:
``CREATE INDEX`` on 200,000 rows died of SIGSEGV. ``open_mode.c`` prints, for
several umasks and modes, the bits ``fstat``/``stat`` report and whether SQLite
would call ``fchmod``; inside PyOcclum (on the ramfs ``/tmp``, the encrypted
root and the hostfs ``/host``) it must print what the same source built by the
host's gcc prints on Linux. Before the fix every line said ``fstat 0000``
(and, once stat reported modes, ``0644`` for a 0600 file): ``fchmod needed``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

SOURCE = Path(__file__).resolve().parent / "open_mode.c"
CC = Path(sys.executable).parent / "occlum-cc"


@pytest.fixture(scope="module")
def native_output(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc is needed: the program's output on Linux is the reference")
    work = tmp_path_factory.mktemp("open-mode-native")
    exe = work / "open_mode"
    subprocess.run([gcc, "-O2", "-Wall", "-Wextra", "-Werror", str(SOURCE), "-o", str(exe)],
                   check=True, timeout=120)
    (work / "dir").mkdir()
    r = subprocess.run([str(exe), str(work / "dir")], capture_output=True, timeout=60,
                       check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    folder = tmp_path_factory.mktemp("open-mode") / "inst"
    new_instance(folder)
    r = subprocess.run([str(CC), "-O2", "-Wall", "-Wextra", "-Werror", str(SOURCE), "-o",
                        str(folder / "image" / "bin" / "open_mode")],
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    inst = Instance(folder)
    inst.build()
    return inst


def test_native_output_is_what_sqlite_relies_on(native_output: bytes) -> None:
    """The reference itself: with umask 022 no file SQLite creates needs fchmod."""
    lines = native_output.decode().splitlines()
    assert "umask 022 mode 0600: fstat 0600 stat 0600 regular 1 size 0 fchmod not needed" in lines
    assert all("not needed" in line for line in lines if line.startswith("umask 022"))


@pytest.mark.parametrize("where", ["/tmp", "/root", "/host"])
def test_created_file_has_the_mode_linux_gives(instance: Instance, native_output: bytes,
                                               where: str) -> None:
    r = instance.run(["/bin/open_mode", where], capture=True)
    assert (r.exit_code, r.stderr) == (0, b""), r.stdout
    assert r.stdout == native_output
