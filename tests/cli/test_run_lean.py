"""`occlum run` and `occlum exec` are lean: their paths import no module they do not
use, and a run ends without the interpreter's teardown once everything is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def modules_loaded_by(verb: str, cwd: os.PathLike[str]) -> tuple[set[str], bytes]:
    """The modules in ``sys.modules`` after ``occlum VERB /bin/hello_world`` ran (through
    the console script's ``main``) in ``cwd``, and what it wrote to stderr."""
    code = (
        "import sys\n"
        f"sys.argv = ['occlum', {verb!r}, '/bin/hello_world']\n"
        "from pyocclum.cli.run import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                       timeout=60, check=False)
    return set(r.stdout.decode().split()), r.stderr


def test_run_path_imports_no_cli_or_config_model(tmp_path: Path) -> None:
    """click, rich and pydantic (the config model) are for the other verbs and for
    `occlum build`: a run of a built instance reads the built config without them."""
    modules, stderr = modules_loaded_by("run", tmp_path)
    assert "pyocclum.boot.instance" in modules, stderr.decode()
    assert b"not an Occlum instance" in stderr
    heavy = {"click", "rich", "pydantic", "pyocclum.config.model", "pyocclum.config.template",
             "pyocclum.cli.commands"}
    assert not modules & heavy


def _exit_now(tmp_path: Path, body: str) -> subprocess.CompletedProcess[bytes]:
    code = "import sys\nfrom pyocclum.cli.runner import exit_now\n" + body
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          timeout=60, check=False)


def test_exit_now_flushes_python_buffers_and_log(tmp_path: Path) -> None:
    r = _exit_now(tmp_path, (
        "import logging\n"
        "logging.basicConfig(filename='log.txt')\n"
        "logging.getLogger('x').error('logged')\n"
        "print('out', end='')\n"
        "sys.stderr.write('err')\n"
        "exit_now(3)\n"
        "print('never')\n"
    ))
    assert (r.returncode, r.stdout, r.stderr) == (3, b"out", b"err")
    assert (tmp_path / "log.txt").read_text() == "ERROR:x:logged\n"


def test_exit_now_says_120_when_stdout_cannot_be_flushed(tmp_path: Path) -> None:
    """As the interpreter's own exit: a status of 0 becomes 120 if flushing fails."""
    r = _exit_now(tmp_path, (
        "sys.stdout = open('/dev/full', 'w', buffering=4096)\n"
        "print('x', end='')\n"
        "exit_now(0)\n"
    ))
    assert r.returncode == 120, r.stderr


def test_exec_path_imports_no_heavy_module(tmp_path: Path) -> None:
    """`occlum exec` reaches the client without click, rich, pydantic, wasmtime or
    the rest of PyOcclum (the latency users see is its start-up)."""
    modules, stderr = modules_loaded_by("exec", tmp_path)
    assert "pyocclum.cli.server_client" in modules, stderr.decode()
    assert b"not an Occlum instance" in stderr
    heavy = {"click", "rich", "pydantic", "wasmtime", "logging", "threading", "typing",
             "pyocclum.boot", "pyocclum.kernel", "pyocclum.errors", "socket", "selectors"}
    assert not modules & heavy
    assert {m for m in modules if m.startswith("pyocclum")} == {
        "pyocclum", "pyocclum._version", "pyocclum.cli", "pyocclum.cli.run",
        "pyocclum.cli.server_client", "pyocclum.cli.server_protocol"}
