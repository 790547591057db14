"""What every benchmark shares: settings, result rows, the scratch workspace, timing helpers."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pyocclum.boot import Instance

#: The repository this package lives in (programs and examples are found from here).
REPO = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"


@dataclass(frozen=True, slots=True)
class Program:
    """A C source and the extra compiler flags (``-D...``) one program is built with."""

    source: Path
    cflags: tuple[str, ...] = ()


#: Bytes of data added to ``empty.c`` for each size ``spawn_size`` measures
#: (the file is a few KB bigger: code, headers).
PAD_SIZES: dict[str, int] = {
    "10KB": 10_000 - 5_700,
    "1MB": 1_000_000 - 5_700,
    "10MB": 10_000_000 - 5_700,
    "50MB": 50_000_000 - 5_700,
}

#: C programs the workspace knows how to build, by program name.
SOURCES: dict[str, Program] = {
    "hello_world": Program(REPO / "examples" / "hello_world.c"),
    "syscalls": Program(PROGRAMS / "syscalls.c"),
    "empty": Program(PROGRAMS / "empty.c"),
    "spawn": Program(PROGRAMS / "spawn.c"),
    "pipe": Program(PROGRAMS / "pipe.c"),
    "kill": Program(PROGRAMS / "kill.c"),
    "fileio": Program(PROGRAMS / "fileio.c"),
    "sha256": Program(PROGRAMS / "sha256.c"),
    "threads": Program(PROGRAMS / "threads.c", ("-pthread",)),
    **{
        f"empty_{label}": Program(PROGRAMS / "empty.c", (f"-DPAD_BYTES={pad}",))
        for label, pad in PAD_SIZES.items()
    },
}

Unit = Literal["ms", "us", "ns/call", "MiB/s", "reads/s", "req/s"]


class BenchError(Exception):
    """A benchmark could not measure what it meant to (a build failed, a program misbehaved)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How hard to try. ``runs``/``iterations`` override the per-benchmark defaults."""

    quick: bool = False
    runs: int | None = None
    iterations: int | None = None

    def repetitions(self, full: int, quick: int) -> int:
        """How many times to repeat a measurement (a benchmark's full/quick defaults)."""
        if self.runs is not None:
            return self.runs
        return quick if self.quick else full

    def loop_count(self, full: int, quick: int) -> int:
        """How many iterations an in-program timing loop runs."""
        if self.iterations is not None:
            return self.iterations
        return quick if self.quick else full


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table: a PyOcclum figure against a same-run baseline.

    ``ratio`` is ``pyocclum / baseline``. For times lower figures are
    better and the row passes when the ratio is at most ``target``; for
    throughputs (``higher_is_better``) it passes when the ratio is at least
    ``target``. A row without a target only reports (``passed`` is None).
    """

    benchmark: str
    case: str
    unit: Unit
    pyocclum: float
    baseline: float
    baseline_is: str
    target: float | None
    #: How the figures were obtained (e.g. "median of 10 runs").
    method: str
    #: The same case on the host, without any WebAssembly (None: not applicable or unavailable).
    native: float | None = None
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.pyocclum / self.baseline

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.higher_is_better:
            return self.ratio >= self.target
        return self.ratio <= self.target

    def as_dict(self) -> dict[str, object]:
        return {
            "benchmark": self.benchmark,
            "case": self.case,
            "unit": self.unit,
            "pyocclum": self.pyocclum,
            "baseline": self.baseline,
            "baseline_is": self.baseline_is,
            "native": self.native,
            "ratio": self.ratio,
            "target": self.target,
            "higher_is_better": self.higher_is_better,
            "passed": self.passed,
            "method": self.method,
        }


@dataclass(frozen=True, slots=True)
class Benchmark:
    """A registered benchmark: ``measure`` returns its rows, or raises BenchError."""

    name: str
    summary: str
    measure: Callable[[Context], list[Row]]


Say = Callable[[str], None]


@dataclass
class Context:
    """Handed to every benchmark: the settings, the shared workspace, a progress printer."""

    settings: Settings
    workspace: Workspace
    say: Say = field(default=lambda _msg: None)


def tool(name: str) -> Path:
    """A console script of this environment (``occlum``, ``occlum-cc``), beside our Python.

    Falls back to ``PATH``; the benchmarks must run the same interpreter
    they compare against, so the venv's copy is preferred.
    """
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"cannot find the {name!r} command (is the package installed?)")
    return Path(found)


def run_checked(cmd: Sequence[str], *, cwd: Path | None = None, what: str = "") -> bytes:
    """Run ``cmd`` to completion; its stdout, or BenchError with its output if it failed."""
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise BenchError(
            f"{what or cmd[0]} failed with exit status {proc.returncode}: {' '.join(cmd)}\n"
            + (proc.stdout + proc.stderr).decode(errors="replace").strip()
        )
    return proc.stdout


def timed_run(cmd: Sequence[str], *, cwd: Path | None = None, what: str = "") -> float:
    """Wall-clock seconds of one run of ``cmd`` as a fresh host process (must succeed)."""
    start = time.perf_counter()
    run_checked(cmd, cwd=cwd, what=what)
    return time.perf_counter() - start


def run_inside(instance: Instance, argv: Sequence[str]) -> bytes:
    """Run ``argv`` in the built PyOcclum ``instance`` (must exit 0); its stdout."""
    result = instance.run(list(argv), capture=True)
    if result.exit_code != 0:
        err = (result.stderr or b"").decode(errors="replace").strip()
        raise BenchError(
            f"inside PyOcclum, {' '.join(argv)} exited with {result.exit_code}: "
            f"{result.error or ''} {err}".rstrip()
        )
    return result.stdout or b""


def parse_figure(output: bytes, key: str, where: str) -> float:
    """The positive number on the ``<key> <number>`` line a program printed."""
    match = re.search(rb"^" + re.escape(key.encode()) + rb" ([0-9]+(?:\.[0-9]*)?)$", output,
                      re.MULTILINE)
    if match is None:
        raise BenchError(f"{where}: no {key} line in its output {output[-500:]!r}")
    value = float(match[1])
    if not value > 0:
        raise BenchError(f"{where}: measured {key} = {value}: clock too coarse")
    return value


def median(samples: Sequence[float]) -> float:
    if not samples:
        raise BenchError("no samples were taken")
    return statistics.median(samples)


def settle_page_cache(root: Path) -> None:
    """Write out everything unwritten (``sync``) and ask the kernel to drop the
    cached pages of every file under ``root`` (``POSIX_FADV_DONTNEED``): an I/O
    benchmark then starts as if alone, not behind the hundreds of MB of page
    cache the earlier benchmarks' images and programs left. Without root, and
    only for the benchmarks' own files."""
    os.sync()
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                fd = os.open(os.path.join(folder, name),
                             os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO must not block
            except OSError:
                continue  # a symlink, a socket, gone meanwhile: nothing to drop
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            except OSError:
                pass
            finally:
                os.close(fd)


class Workspace:
    """A scratch folder holding compiled programs and one instance, built on demand.

    Everything is built at most once per run; the instance gets whatever
    programs the benchmarks ask for and is rebuilt (incrementally) when that set grows.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._wasm: dict[str, Path] = {}
        self._native: dict[str, Path | None] = {}
        self._instance_programs: set[str] = set()
        self._named: dict[str, tuple[tuple[str, ...], dict[str, Path]]] = {}

    def wasm(self, name: str) -> Path:
        """The program ``name`` built for wasm32-wasi with ``occlum-cc`` (-O2 is its default)."""
        if name not in self._wasm:
            program = _program(name)
            out = self.root / "wasm" / name
            out.parent.mkdir(parents=True, exist_ok=True)
            run_checked([str(tool("occlum-cc")), *program.cflags, str(program.source),
                         "-o", str(out)], what="occlum-cc")
            self._wasm[name] = out
        return self._wasm[name]

    def native(self, name: str) -> Path | None:
        """The program ``name`` built for the host with ``gcc -O2`` (None if there is no gcc)."""
        if name not in self._native:
            compiler = shutil.which("gcc") or shutil.which("cc")
            if compiler is None:
                self._native[name] = None
            else:
                program = _program(name)
                out = self.root / "native" / name
                out.parent.mkdir(parents=True, exist_ok=True)
                run_checked([compiler, "-O2", *program.cflags, str(program.source),
                             "-o", str(out)], what="gcc")
                self._native[name] = out
        return self._native[name]

    def require_native(self, name: str) -> Path:
        """Like :meth:`native`, for benchmarks whose baseline *is* the native program."""
        path = self.native(name)
        if path is None:
            raise BenchError("no host C compiler (gcc or cc) for the native baseline")
        return path

    @property
    def instance_dir(self) -> Path:
        return self.root / "instance"

    def instance(self, programs: Sequence[str]) -> Path:
        """A built instance with each of ``programs`` at ``/bin/<name>``; its folder."""
        from pyocclum.boot import Instance
        from pyocclum.config.template import new_instance
        from pyocclum.errors import ConfigError, InstanceError

        missing = set(programs) - self._instance_programs
        folder = self.instance_dir
        try:
            if not folder.exists():
                new_instance(folder)
            if missing or not Instance(folder).is_built():
                for name in sorted(missing):
                    shutil.copy2(self.wasm(name), folder / "image" / "bin" / name)
                Instance(folder).build()
        except (InstanceError, ConfigError) as e:
            raise BenchError(f"cannot prepare the instance in {folder}: {e}") from e
        self._instance_programs |= missing
        return folder


    def random_file(self, name: str, size: int) -> Path:
        """A file of ``size`` random bytes under ``data/``, written once per workspace.

        The name includes the size, so files of different sizes never clash;
        each file has its own random content (an integrity image stores
        identical files once, so copies would not add to its size).
        """
        out = self.root / "data" / f"{name}-{size}.bin"
        if out.is_file() and out.stat().st_size == size:
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        chunk = 1 << 20
        with tmp.open("wb") as f:
            left = size
            while left > 0:
                n = min(chunk, left)
                f.write(os.urandom(n))
                left -= n
        tmp.replace(out)
        return out

    def named_instance(self, folder_name: str, programs: Sequence[str],
                       files: Mapping[str, Path] | None = None) -> Path:
        """A built instance of its own in ``<workspace>/<folder_name>``; its folder.

        Each of ``programs`` is at ``/bin/<name>``; ``files`` maps paths
        relative to the instance folder (``image/data/big.bin``,
        ``host/big.bin``) to host files put there (hard links when possible,
        copies otherwise). Built at most once per run for the same contents;
        with a kept ``--workdir`` the build is incremental.
        """
        from pyocclum.boot import Instance
        from pyocclum.config.template import new_instance
        from pyocclum.errors import ConfigError, InstanceError

        wanted = dict(files or {})
        key = (tuple(sorted(programs)), wanted)
        if self._named.get(folder_name) == key:
            return self.root / folder_name
        folder = self.root / folder_name
        try:
            if not folder.exists():
                new_instance(folder)
            for name in programs:
                shutil.copy2(self.wasm(name), folder / "image" / "bin" / name)
            for relative, source in wanted.items():
                _place(source, folder / relative, executable=relative.startswith("image/bin/"))
            Instance(folder).build()
        except (InstanceError, ConfigError, OSError) as e:
            raise BenchError(f"cannot prepare the instance in {folder}: {e}") from e
        self._named[folder_name] = key
        return folder


def _place(source: Path, target: Path, executable: bool = False) -> None:
    """Make ``target`` hold ``source``'s bytes: a hard link if possible, else a copy.

    An ``executable`` target (a program in ``image/bin``: running it needs an
    execute bit, as on Linux) whose source has none is a copy made executable,
    so the source's mode (a file of an installed package) is never changed.
    """
    needs_copy = executable and not source.stat().st_mode & 0o111
    if target.is_file() and target.samefile(source) and not needs_copy:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        target.unlink()
    if needs_copy:
        shutil.copyfile(source, target)
        target.chmod(0o755)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _program(name: str) -> Program:
    try:
        program = SOURCES[name]
    except KeyError:
        raise BenchError(f"no source registered for program {name!r}") from None
    if not program.source.is_file():
        raise BenchError(f"{program.source} is missing")
    return program
