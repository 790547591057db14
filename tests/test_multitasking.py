"""Multitasking end to end: the self-checking C programs tests/programs/mt_*.c, built
from unmodified POSIX sources with occlum-cc, run inside one instance.

Each program prints one line per check and ends with ``done: N failures``;
it exits 0 only if every check passed. /bin/mt_child is the helper they
spawn, and a copy of it is /bin/sh (for system() and popen()).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

PROGRAMS = Path(__file__).parent / "programs"
CC = Path(sys.executable).parent / "occlum-cc"
CASES = sorted(p.stem for p in PROGRAMS.glob("mt_*.c") if p.stem != "mt_child")


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    top = tmp_path_factory.mktemp("mt")
    new_instance(top / "inst")
    bin_dir = top / "inst" / "image" / "bin"
    for source in sorted(PROGRAMS.glob("mt_*.c")):
        out = bin_dir / source.stem
        r = subprocess.run([str(CC), "-O2", "-Wall", "-Wextra", "-Werror", str(source),
                            "-o", str(out)], capture_output=True, text=True, timeout=600,
                           check=False)
        assert r.returncode == 0, f"{source.name}: {r.stderr}"
    (bin_dir / "sh").write_bytes((bin_dir / "mt_child").read_bytes())
    (bin_dir / "sh").chmod(0o755)
    inst = Instance(top / "inst")
    inst.build()
    return inst


def test_every_program_is_tested() -> None:
    assert {"mt_spawn", "mt_exec", "mt_wait", "mt_pipe", "mt_signal", "mt_limits",
            "mt_shell"} <= set(CASES)


@pytest.mark.parametrize("program", CASES)
def test_program_passes_inside(instance: Instance, program: str) -> None:
    r = instance.run([f"/bin/{program}"], capture=True)
    out = (r.stdout or b"").decode(errors="replace")
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert not failures, "\n".join(failures) + "\n" + (r.stderr or b"").decode()
    assert out.rstrip().endswith("done: 0 failures"), out[-2000:]
    assert (r.exit_code, r.error) == (0, "")
