"""The Linux test suite's machinery: build one C program with the host's gcc and
with occlum-cc, run both, and say what each printed.

A program is ``tests/linux/programs/NAME.c`` (or ``NAME.cc``: C++, built with
g++ and occlum-c++, ``-std=gnu++17``). Directives in its first lines:

    // linux-test: cflags=-pthread -lm
    // linux-test: args=one two
    // linux-test: xfail=why it still differs inside

Natively it runs in a fresh temporary folder; inside, in a fresh ``/root/lt/NAME``
(the union root over the encrypted FS), started by ``/bin/sh`` from the
instance's ``/host/bin``, where the compiled programs are copied (so adding a
program needs no ``occlum build``). Both get the same small environment, stdin
from ``/dev/null``, and stdout and stderr into regular files. The programs of a
session run inside in one boot (:func:`run_batch`), each alone only if the batch
did not reach it.

Imported by name (``from linux_harness import ...``): pytest's ``pythonpath``
puts this folder on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pyocclum.cli import cxxrt
from pyocclum.cli.cc import libocclum_key

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
OCCLUM = Path(sys.executable).parent / "occlum"
OCCLUM_CC = Path(sys.executable).parent / "occlum-cc"
OCCLUM_CXX = Path(sys.executable).parent / "occlum-c++"
ENV = {"PATH": "/bin:/usr/bin", "HOME": "/root", "LC_ALL": "C", "TZ": "UTC"}
#: Seconds a program may take on either side before the test fails as hung.
TIMEOUT = 60


@dataclass(frozen=True)
class Program:
    """One test program and its directives."""

    name: str
    source: Path
    cflags: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    xfail: str | None = None
    headers: tuple[Path, ...] = field(default_factory=tuple)

    @classmethod
    def load(cls, source: Path) -> Program:
        cflags: list[str] = []
        args: list[str] = []
        xfail = None
        for line in source.read_text().splitlines()[:10]:
            marker = "// linux-test:"
            if not line.startswith(marker):
                continue
            key, _, value = line[len(marker):].strip().partition("=")
            if key == "cflags":
                cflags += shlex.split(value)
            elif key == "args":
                args += shlex.split(value)
            elif key == "xfail":
                xfail = value.strip()
            else:
                raise ValueError(f"{source.name}: unknown directive {key!r}")
        return cls(source.stem, source, tuple(cflags), tuple(args), xfail,
                   tuple(sorted(PROGRAMS.glob("*.h"))))

    def key(self, compiler: str) -> str:
        h = hashlib.sha256(compiler.encode())
        for path in (self.source, *self.headers):
            h.update(path.read_bytes())
        h.update(repr(self.cflags).encode())
        return h.hexdigest()[:24]

    @property
    def cxx(self) -> bool:
        return self.source.suffix == ".cc"


def all_programs() -> list[Program]:
    sources = [*PROGRAMS.glob("*.c"), *PROGRAMS.glob("*.cc")]
    return [Program.load(p) for p in sorted(sources, key=lambda p: p.stem)]


class Ran(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    path = base / "pyocclum-tests" / "linux"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _build(program: Program, compiler: list[str], tag: str) -> Path:
    out = cache_dir() / f"{program.name}-{tag}-{program.key(' '.join(compiler) + tag)}"
    if out.exists():
        return out
    tmp = out.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    std = "-std=gnu++17" if program.cxx else "-std=gnu11"
    cmd = [*compiler, "-O1", std, "-D_GNU_SOURCE", "-Wall", f"-I{PROGRAMS}",
           str(program.source), "-o", str(tmp), *program.cflags]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if r.returncode != 0:
        raise AssertionError(f"{tag} build of {program.name} failed:\n{r.stderr}")
    tmp.rename(out)
    return out


def build_native(program: Program) -> Path:
    return _build(program, ["g++" if program.cxx else "gcc"], "native")


def build_inside(program: Program) -> Path:
    if program.cxx:  # the C++ runtime is built by (and keyed by) cxxrt.py too
        rt = hashlib.sha256(Path(cxxrt.__file__).read_bytes()).hexdigest()[:8]
        return _build(program, [str(OCCLUM_CXX)], f"occlum-{libocclum_key()}-{rt}")
    return _build(program, [str(OCCLUM_CC)], f"occlum-{libocclum_key()}")


def fresh_start() -> Path:
    """The native launcher ``native/fresh_start.c`` (built once): it starts a
    program as a LibOS process starts, with default signal actions, an empty
    mask and only fds 0-2, whatever the test runner left behind."""
    source = HERE / "native" / "fresh_start.c"
    out = cache_dir() / f"fresh_start-{hashlib.sha256(source.read_bytes()).hexdigest()[:16]}"
    if not out.exists():
        tmp = out.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        subprocess.run(["gcc", "-O1", "-Wall", str(source), "-o", str(tmp)], check=True,
                       capture_output=True, timeout=120)
        tmp.rename(out)
    return out


def run_native(program: Program, binary: Path, scratch: Path) -> Ran:
    """Run ``binary`` in ``scratch`` (created) with stdout and stderr going to regular
    files, as inside (:func:`run_batch`), through :func:`fresh_start`."""
    scratch.mkdir(parents=True, exist_ok=True)
    out, err = scratch.with_suffix(".out"), scratch.with_suffix(".err")
    with out.open("wb") as o, err.open("wb") as e:
        r = subprocess.run([str(fresh_start()), str(binary), *program.args],
                           stdin=subprocess.DEVNULL, stdout=o,
                           stderr=e, cwd=scratch, env=ENV, timeout=TIMEOUT, check=False)
    code = r.returncode if r.returncode >= 0 else 128 - r.returncode
    return Ran(code, out.read_text(errors="replace"), err.read_text(errors="replace"))


def run_batch(
    programs: list[tuple[Program, Path]], instance: Path, timeout: float
) -> dict[str, Ran]:
    """Run many programs in ONE boot of the instance: a shell script runs each in
    a fresh ``/root/lt/NAME`` with stdout and stderr going to files under
    ``/host/out`` (booting once per program costs ~1 s each). Programs that left
    no exit status (the script was killed, or a program killed the shell) are
    missing from the result: run them alone with :func:`run_inside`."""
    host = instance / "host"
    bin_dir, out_dir = host / "bin", host / "out"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    lines = []
    for program, binary in programs:
        shutil.copy2(binary, bin_dir / program.name)
        name, work, out = program.name, f"/root/lt/{program.name}", f"/host/out/{program.name}"
        args = " ".join(shlex.quote(a) for a in program.args)
        lines.append(f"rm -rf {work}; mkdir -p {work}; cd {work}\n"
                     f"/host/bin/{name} {args} </dev/null >{out}.out 2>{out}.err\n"
                     f"echo $? >{out}.code; cd /\n")
    (host / "run-all.sh").write_text("".join(lines))
    # On a timeout, whatever finished has its files; the rest run alone.
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run([str(OCCLUM), "run", "/bin/sh", "/host/run-all.sh"],
                       stdin=subprocess.DEVNULL, capture_output=True, cwd=instance,
                       timeout=timeout, check=False)
    results = {}
    for program, _ in programs:
        code = out_dir / f"{program.name}.code"
        if code.exists() and code.read_text().strip():
            results[program.name] = Ran(
                int(code.read_text()),
                (out_dir / f"{program.name}.out").read_text(errors="replace"),
                (out_dir / f"{program.name}.err").read_text(errors="replace"),
            )
    return results


def run_inside(program: Program, binary: Path, instance: Path) -> Ran:
    """Copy ``binary`` to the instance's ``/host/bin`` and run it in a fresh
    ``/root/lt/NAME`` with ``occlum run`` (a process of its own, so a hang can be
    stopped)."""
    bin_dir = instance / "host" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, bin_dir / program.name)
    work = f"/root/lt/{program.name}"
    script = f'rm -rf {work} && mkdir -p {work} && cd {work} && exec /host/bin/{program.name} "$@"'
    r = subprocess.run([str(OCCLUM), "run", "/bin/sh", "-c", script, program.name, *program.args],
                       stdin=subprocess.DEVNULL, capture_output=True, cwd=instance,
                       timeout=TIMEOUT, check=False)
    return Ran(r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace"))
