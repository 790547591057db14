"""demos/python: an instance from ``occlum new --template python`` runs a script inside
with the same output as the host's own Python.

``run.sh`` is run end to end in a fresh instance (it makes the instance with
the CLI, runs the script inside and on the host and compares); the tests below
then use that instance for what the script does not show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demos" / "python"
BIN = Path(sys.executable).parent


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def occlum(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(BIN / "occlum"), *args], cwd=cwd, capture_output=True,
                          input=stdin, timeout=300, check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    instance = tmp_path_factory.mktemp("python-demo") / "inst"
    r = subprocess.run(["sh", str(DEMO / "run.sh")], capture_output=True, text=True,
                       timeout=1200, env=_env(PYTHON_DEMO_INSTANCE=str(instance)), check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return instance, r.stdout


def test_run_sh_output_equals_the_hosts(demo: tuple[Path, str]) -> None:
    _, out = demo
    assert "same output inside and on the host" in out  # run.sh diffed the two
    assert "inside: 3.12.0 wasi" in out
    assert "\nwords: " in out  # the script printed its summary, not only the verdict


def test_the_summary_is_on_the_encrypted_root(demo: tuple[Path, str], tmp_path: Path) -> None:
    instance, _ = demo
    host_copy = tmp_path / "summary.json"
    r = subprocess.run([sys.executable, str(DEMO / "demo.py"), str(DEMO / "README.md"),
                        str(host_copy)], capture_output=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    inside = occlum("fs", "cat", "/root/summary.json", cwd=instance)
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout == host_copy.read_bytes()
    sha = host_copy.read_bytes().split(b'"sha256": "')[1][:64]
    for path in (instance / "run").rglob("*"):
        if path.is_file():
            assert sha not in path.read_bytes(), path


def test_python_symlink_stdin_and_exit_status(demo: tuple[Path, str]) -> None:
    instance, _ = demo
    r = occlum("run", "/bin/python", "-c",
               "import sys; data = sys.stdin.read(); print(len(data), data.upper()); sys.exit(5)",
               cwd=instance, stdin=b"hello")
    assert r.stdout == b"5 HELLO\n", r.stderr
    assert r.returncode == 5


def test_an_uncaught_exception_is_a_traceback_and_status_1(demo: tuple[Path, str]) -> None:
    instance, _ = demo
    code = "def f():\n    raise KeyError('k')\nf()\n"
    inside = occlum("run", "/bin/python3", "-c", code, cwd=instance)
    host = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                          check=False)
    assert inside.returncode == host.returncode == 1
    assert inside.stderr.splitlines()[-1] == host.stderr.splitlines()[-1] == b"KeyError: 'k'"
