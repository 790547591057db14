"""Shared set-up of tests/hardening/test_hostile_programs.py (issue 16, item 2).

One instance (default ``Occlum.json``, as a new user gets it) with
``tests/programs/hostile.c`` as ``/bin/hostile``, ``innocent.c`` as
``/bin/innocent`` and ``hostile_threads.c`` (``-pthread``) as
``/bin/hostile_threads``. :class:`Arena` boots it once per test
(``Instance.booted``, the path ``occlum start`` takes), starts processes with captured output, and
keeps an innocent bystander running while the hostile one attacks.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyocclum.boot import Instance
from pyocclum.boot.instance import Booted
from pyocclum.boot.program import start_program
from pyocclum.config.template import new_instance
from pyocclum.fs.stdio import BufferStream, BytesInputStream
from pyocclum.kernel.process import Process

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
CC = Path(sys.executable).parent / "occlum-cc"
SECRET = "innocent-secret-7f3a9c1e"
"""In the bystander's environment (never its argv): no other process may read it."""


def compile_program(name: str, out: Path, *extra: str) -> None:
    """``tests/programs/NAME.c`` built by occlum-cc with warnings as errors.

    It runs in ``out``'s folder: zig names its own files relative to the current
    directory when they are below it (a checkout's ``.venv``), and then, with
    several checkouts on one machine, finds its cached libc stale and hashes it
    all again (30-90 s a compile instead of 0.4 s).
    """
    r = subprocess.run(
        [str(CC), "-O2", "-Wall", "-Wextra", "-Werror", *extra, str(PROGRAMS / f"{name}.c"),
         "-o", str(out)],
        capture_output=True, text=True, timeout=600, check=False, cwd=out.parent,
    )
    assert r.returncode == 0, r.stderr


def build_instance(folder: Path) -> Instance:
    """A new instance in ``folder`` with the default config and the programs above."""
    new_instance(folder)
    bin_dir = folder / "image" / "bin"
    compile_program("hostile", bin_dir / "hostile")
    compile_program("innocent", bin_dir / "innocent")
    compile_program("hostile_threads", bin_dir / "hostile_threads", "-pthread")
    inst = Instance(folder)
    inst.build()
    return inst


@dataclass
class Running:
    """A process started by :meth:`Arena.start`, with its captured output."""

    proc: Process
    out: BufferStream
    err: BufferStream

    @property
    def stdout(self) -> str:
        return self.out.getvalue().decode(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err.getvalue().decode(errors="replace")

    def alive(self) -> bool:
        return self.proc.status is None

    def wait(self, seconds: float, what: str = "") -> int:
        """Its wait status; fails the test if it has not ended within ``seconds``."""
        if not self.proc.done.wait(seconds):
            raise AssertionError(
                f"{what or self.proc.argv!r} still running after {seconds} s; "
                f"stdout so far: {self.stdout[-2000:]!r}")
        assert self.proc.status is not None
        return self.proc.status

    def wait_for_output(self, text: str, seconds: float) -> None:
        """Waits until ``text`` is in its stdout (fails after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while text not in self.stdout:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {text!r} from {self.proc.argv!r} in {seconds} s: "
                    f"stdout {self.stdout[-2000:]!r} stderr {self.stderr[-2000:]!r}")
            if self.proc.status is not None and text not in self.stdout:
                raise AssertionError(
                    f"{self.proc.argv!r} ended (status {self.proc.status:#x}) without "
                    f"printing {text!r}: stdout {self.stdout[-2000:]!r} "
                    f"stderr {self.stderr[-2000:]!r}")
            time.sleep(0.01)


class Arena:
    """A booted LibOS in which tests start processes."""

    def __init__(self, booted: Booted) -> None:
        self.booted = booted
        self.kernel = booted.kernel

    def start(self, argv: Sequence[str], env: Sequence[tuple[str, str]] = ()) -> Running:
        out, err = BufferStream(), BufferStream()
        env_list = [*self.booted.env_for({}), *env]
        proc = start_program(self.kernel, self.booted.config, list(argv), env_list,
                             (BytesInputStream(b""), out, err))
        return Running(proc, out, err)

    def run(self, argv: Sequence[str], seconds: float = 30.0) -> Running:
        """Starts ``argv`` and waits (at most ``seconds``) for it to end."""
        r = self.start(argv)
        r.wait(seconds)
        return r

    @contextmanager
    def bystander(self) -> Iterator[Running]:
        """An innocent process working through the attack: on leaving the block it is
        told to stop (by a new process: the LibOS must still spawn), and must end
        by itself with every check passed."""
        innocent = self.start(["/bin/innocent", "work"], env=[("INNOCENT_SECRET", SECRET)])
        innocent.wait_for_output("ready", 30)
        yield innocent
        assert innocent.alive(), (
            f"the bystander died: status {innocent.proc.status:#x} {innocent.stdout!r}")
        stop = self.run(["/bin/innocent", "stop"])
        assert stop.proc.status == 0, stop.stderr
        status = innocent.wait(30, "the bystander")
        assert "FAIL" not in innocent.stdout, innocent.stdout
        assert status == 0, (status, innocent.stdout, innocent.stderr)
        assert "innocent: ok rounds>0 1" in innocent.stdout, innocent.stdout


@contextmanager
def arena(instance: Instance) -> Iterator[Arena]:
    """The instance booted with no process in it; on leaving, what still runs is killed."""
    with instance.booted() as booted:
        yield Arena(booted)
