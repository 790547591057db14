"""C programs from tests/programs/, built with occlum-cc and run end to end.

Each program prints deterministic lines only (errno *names*, never inode
numbers, times or addresses) and checks itself: a failed check prints a line
starting with ``FAIL`` and the program exits 1; its last line is
``done: N failures``. A case runs the program

* under the oracle, wasmtime's own WASI (allowed in tests only, DESIGN.md
  section 1) with a copy of the instance image preopened as ``/``: the
  program must pass its own checks there, which validates the program;
* under PyOcclum (``Instance.run``): the same stdout and exit code as the oracle;
* under PyOcclum with ``--linux``: the checks of Linux semantics that
  wasmtime's sandboxed WASI lacks (absolute symlinks, ``/..``, EISDIR when
  reading a directory, one event per poll, ...) must pass too.

A known kernel bug is a Linux case (``linux_case("NAME")`` in the C source)
that the ordinary runs skip with ``--skip=NAME`` and a strict xfail runs; when
the bug is fixed the xfail fails: drop the entry from ``KNOWN_BUGS``.

Compiled programs are cached by the hash of their inputs in the session's
temporary folder (shared by pytest-xdist workers, one lock per program).
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from bench.stand_ins import StandInKernel

from pyocclum.boot.instance import Instance, RunResult
from pyocclum.cli import cc
from pyocclum.config.template import new_instance

PROGRAMS = Path(__file__).resolve().parent / "programs"
OCCLUM_CC = Path(sys.executable).parent / "occlum-cc"
CFLAGS = ("-O2", "-Wall", "-Wextra", "-Werror")
#: A run that takes longer than this is a hang (a kernel bug), not a slow test.
RUN_TIMEOUT = 60.0

#: Extra files image.c expects in the instance image (next to the template's /etc files).
IMAGE_FILES: Mapping[str, bytes] = {
    "data/dir/a.txt": b"a\n",
    "data/dir/sub/b.txt": b"b\n",
    "data/keep.txt": b"keep\n",
    "data/mv/x.txt": b"x\n",
    "data/mv/in/y.txt": b"y\n",
}

#: Linux cases that fail because of a kernel bug: (program, case) -> the bug.
KNOWN_BUGS: Mapping[tuple[str, str], str] = {}


# --- building the programs ------------------------------------------------------------


class Programs:
    """Compiles tests/programs/NAME.c with occlum-cc, once per input hash."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)

    def _key(self, source: Path) -> str:
        h = hashlib.sha256()
        parts = [source.read_bytes(), (PROGRAMS / "common.h").read_bytes(),
                 Path(cc.__file__).read_bytes(), cc.libocclum_key().encode(),
                 " ".join(CFLAGS).encode()]
        for part in parts:
            h.update(len(part).to_bytes(8, "little") + part)
        return h.hexdigest()[:20]

    def get(self, name: str) -> Path:
        source = PROGRAMS / f"{name}.c"
        out = self.cache / f"{name}-{self._key(source)}.wasm"
        if out.exists():
            return out
        with (self.cache / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another xdist worker may be building it
            if out.exists():
                return out
            tmp = out.with_suffix(".partial")
            proc = subprocess.run(
                [str(OCCLUM_CC), *CFLAGS, str(source), "-o", str(tmp)],
                capture_output=True, text=True, timeout=900, check=False,
            )
            if proc.returncode != 0:
                pytest.fail(f"occlum-cc {source.name} failed:\n{proc.stdout}{proc.stderr}")
            tmp.rename(out)
        return out


@pytest.fixture(scope="session")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Programs:
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, shared by the workers
    return Programs(root / "compiled-programs")


# --- the oracle: wasmtime's own WASI ------------------------------------------------------


@dataclass(frozen=True)
class OracleResult:
    #: The proc_exit code (0 if _start returned); None if the program trapped.
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    trap: str = ""


class Oracle:
    """One engine and its compiled modules (one per xdist worker: never shared)."""

    def __init__(self) -> None:
        self.engine = wasmtime.Engine()
        self._modules: dict[Path, Any] = {}
        self._lock = threading.Lock()

    def module(self, wasm: Path) -> Any:
        with self._lock:
            if wasm not in self._modules:
                self._modules[wasm] = wasmtime.Module.from_file(self.engine, str(wasm))
            return self._modules[wasm]

    def run(self, wasm: Path, root: Path, argv: Sequence[str], env: Sequence[tuple[str, str]],
            stdin: bytes, work: Path) -> OracleResult:
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        # The occlum imports libocclum needs, keeping a current directory as the
        # kernel does (lexically: the programs never chdir through a symlink).
        StandInKernel(tracking=True).define(linker, self.module(wasm))
        store = wasmtime.Store(self.engine)
        config = wasmtime.WasiConfig()
        config.argv = list(argv)
        config.env = [list(kv) for kv in env]
        (work / "stdin").write_bytes(stdin)
        config.stdin_file = str(work / "stdin")
        config.stdout_file = str(work / "stdout")
        config.stderr_file = str(work / "stderr")
        config.preopen_dir(str(root), "/")
        store.set_wasi(config)
        instance = linker.instantiate(store, self.module(wasm))
        start = instance.exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        code: int | None = 0
        trap = ""
        try:
            start(store)
        except wasmtime.ExitTrap as e:
            code = e.code
        except wasmtime.Trap as e:
            code, trap = None, str(e)
        return OracleResult(code, (work / "stdout").read_bytes(), (work / "stderr").read_bytes(),
                            trap)


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    return Oracle()


# --- one test's runs ---------------------------------------------------------------------


@dataclass
class Runner:
    """Runs a program under PyOcclum or the oracle, each run in a fresh instance."""

    tmp: Path
    programs: Programs
    oracle_: Oracle
    image_files: Mapping[str, bytes] = field(default_factory=dict)
    env_default: Sequence[str] | None = None
    env_untrusted: Sequence[str] | None = None
    host_env: Mapping[str, str] = field(default_factory=dict)
    _count: itertools.count[int] = field(default_factory=itertools.count)

    def _instance(self, name: str) -> Path:
        path = self.tmp / f"instance-{next(self._count)}"
        new_instance(path)
        image = path / "image"
        shutil.copyfile(self.programs.get(name), image / "bin" / name)
        (image / "bin" / name).chmod(0o755)
        for rel, data in self.image_files.items():
            (image / rel).parent.mkdir(parents=True, exist_ok=True)
            (image / rel).write_bytes(data)
        if self.env_default is not None or self.env_untrusted is not None:
            config = json.loads((path / "Occlum.json").read_text())
            if self.env_default is not None:
                config["env"]["default"] = list(self.env_default)
            if self.env_untrusted is not None:
                config["env"]["untrusted"] = list(self.env_untrusted)
            (path / "Occlum.json").write_text(json.dumps(config, indent=4))
        return path

    def pyocclum(self, name: str, *args: str, stdin: bytes = b"") -> RunResult:
        path = self._instance(name)
        Instance(path).build()
        results: list[RunResult] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                results.append(Instance(path).run(
                    [f"/bin/{name}", *args], capture=True, stdin=stdin, host_env=self.host_env))
            except BaseException as e:
                errors.append(e)

        # In a thread, so that a hang (a kernel bug) fails the test instead of the session.
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(RUN_TIMEOUT)
        if errors:
            raise errors[0]
        assert results, f"/bin/{name} did not finish in {RUN_TIMEOUT} s"
        return results[0]

    def oracle(self, name: str, *args: str, stdin: bytes = b"") -> OracleResult:
        path = self._instance(name)
        root = self.tmp / f"oracle-root-{next(self._count)}"
        shutil.copytree(path / "image", root, symlinks=True)
        work = root.with_name(root.name + "-io")
        work.mkdir()
        # The environment PyOcclum would give the program (Occlum.json and host_env).
        env = Instance(path).config().env_for_first_process(self.host_env)
        return self.oracle_.run(self.programs.get(name), root, [f"/bin/{name}", *args],
                                env, stdin, work)


@pytest.fixture
def runner(tmp_path: Path, programs: Programs, oracle: Oracle,
           monkeypatch: pytest.MonkeyPatch) -> Runner:
    # Keep the SIM-mode platform secret out of the user's home.
    monkeypatch.setenv("PYOCCLUM_PLATFORM_SECRET", str(tmp_path / "platform-secret"))
    return Runner(tmp_path, programs, oracle)


def lines(out: bytes | None) -> list[str]:
    assert out is not None
    return out.decode("utf-8", "replace").splitlines()


def assert_passed(out: bytes | None, exit_code: int | None, where: str) -> None:
    """The program ran to its end and all of its own checks passed."""
    text = lines(out)
    failed = [line for line in text if line.startswith("FAIL")]
    assert not failed, f"{where}: failed checks:\n" + "\n".join(failed)
    assert text, f"{where}: no output"
    assert text[-1] == "done: 0 failures", f"{where}: did not finish:\n" + "\n".join(text)
    assert exit_code == 0, f"{where}: exit code {exit_code}"


def assert_same_as_oracle(ours: RunResult, theirs: OracleResult) -> None:
    assert ours.error == "", ours.error
    assert lines(ours.stdout) == lines(theirs.stdout)
    assert ours.stdout == theirs.stdout  # down to the last newline
    assert ours.stderr == theirs.stderr
    assert ours.exit_code == theirs.exit_code


# --- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    program: str
    args: tuple[str, ...] = ()
    stdin: bytes = b""
    image: Mapping[str, bytes] = field(default_factory=dict)

    def param(self, *marks: pytest.MarkDecorator) -> Any:
        return pytest.param(self, id=self.id, marks=marks)


def text_input(size: int) -> bytes:
    """Deterministic lines of varying length, about ``size`` bytes."""
    out = bytearray()
    for i in itertools.count():
        if len(out) >= size:
            return bytes(out)
        out += f"line {i}: {'abcdefghij' * (i % 7)}{i * i}\n".encode()
    raise AssertionError("unreachable")


def binary_input(size: int) -> bytes:
    return bytes((i * 131 + (i >> 8)) % 256 for i in range(size))


FS_ROOTS = (("ramfs", "/tmp"), ("unionfs", "/root"), ("hostfs", "/host"))
FS_CASES = [Case(f"{prog}-{fs}", prog, (where,))
            for prog in ("files", "dirs", "symlinks") for fs, where in FS_ROOTS]
IMAGE_CASE = Case("image-unionfs", "image", image=IMAGE_FILES)
POLL_CASE = Case("poll", "poll", stdin=b"ready input\nsecond line\n")

ORACLE_CASES = [
    *(c.param() for c in FS_CASES),
    IMAGE_CASE.param(),
    Case("clocks", "clocks").param(),
    Case("random", "random").param(),
    Case("stdin-empty", "stdin").param(),
    Case("stdin-8k-text", "stdin", stdin=text_input(8 * 1024)).param(),
    Case("stdin-300k-binary", "stdin", stdin=binary_input(300 * 1024)).param(),
    POLL_CASE.param(),
    Case("isatty", "isatty").param(),
]

LINUX_CASES = [*FS_CASES, IMAGE_CASE, POLL_CASE]


def skips_for(program: str) -> list[str]:
    return [f"--skip={case}" for (prog, case) in KNOWN_BUGS if prog == program]


@pytest.mark.parametrize("case", ORACLE_CASES)
def test_matches_oracle(runner: Runner, case: Case) -> None:
    runner.image_files = case.image
    theirs = runner.oracle(case.program, *case.args, stdin=case.stdin)
    assert_passed(theirs.stdout, theirs.exit_code, "under wasmtime's WASI (the program itself)")
    ours = runner.pyocclum(case.program, *case.args, stdin=case.stdin)
    assert_same_as_oracle(ours, theirs)


@pytest.mark.parametrize("case", [c.param() for c in LINUX_CASES])
def test_linux_semantics(runner: Runner, case: Case) -> None:
    runner.image_files = case.image
    args = (*case.args, "--linux", *skips_for(case.program))
    ours = runner.pyocclum(case.program, *args, stdin=case.stdin)
    assert ours.error == "", ours.error
    assert_passed(ours.stdout, ours.exit_code, "under PyOcclum with --linux")
    assert any(line.startswith("linux: ") for line in lines(ours.stdout)), "no Linux checks ran"


@pytest.mark.parametrize("bug", [
    pytest.param(key, id=f"{key[0]}-{key[1]}", marks=pytest.mark.xfail(strict=True, reason=why))
    for key, why in KNOWN_BUGS.items()
])
def test_known_kernel_bug(runner: Runner, bug: tuple[str, str]) -> None:
    program, name = bug
    ours = runner.pyocclum(program, "/tmp", "--linux")
    assert_passed(ours.stdout, ours.exit_code, f"Linux case {name}")


# --- stdin, args and environment -----------------------------------------------------------


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


@pytest.mark.parametrize("data", [
    pytest.param(b"", id="empty"),
    pytest.param(b"no newline at the end", id="one-line"),
    pytest.param(text_input(8 * 1024), id="8k-text"),
])
def test_stdin_digest(runner: Runner, data: bytes) -> None:
    first = data.split(b"\n", 1)[0][:60].decode()
    newlines = data.count(b"\n")
    ours = runner.pyocclum("stdin", stdin=data)
    assert lines(ours.stdout) == [
        f"bytes: {len(data)}",
        f"lines: {newlines}",
        f"fnv1a: {fnv1a(data):08x}",
        f'first line: "{first}"',
        "read again at EOF: 0",
        "and again: 0",
        "done: 0 failures",
    ]
    assert ours.exit_code == 0


@pytest.mark.parametrize("data", [
    pytest.param(binary_input(300 * 1024), id="300k-binary"),
    pytest.param(text_input(64 * 1024), id="64k-text"),
])
def test_stdin_echo(runner: Runner, data: bytes) -> None:
    ours = runner.pyocclum("stdin", "echo", stdin=data)
    assert ours.stdout == data
    assert ours.stderr == f"echoed {len(data)} bytes\n".encode()
    assert ours.exit_code == 0
    assert_same_as_oracle(ours, runner.oracle("stdin", "echo", stdin=data))


def java_hash(data: bytes) -> int:
    h = 0
    for b in data:
        h = (h * 31 + b) & 0xFFFFFFFF
    return h


def test_args_and_env(runner: Runner) -> None:
    runner.env_default = ["OCCLUM=yes", "GREETING=hello world", "EMPTY=", "EQ=a=b"]
    runner.env_untrusted = ["EXAMPLE", "HOME"]
    runner.host_env = {"EXAMPLE": "from host", "SECRET": "must not pass", "HOME": "/root"}
    long_arg = "0123456789abcdef" * 500
    args = ("one", "two words", "", "h\u00e9llo", long_arg)
    expected = [
        "argc: 6",
        'argv[0]: "/bin/args_env" (13 bytes)',
        'argv[1]: "one" (3 bytes)',
        'argv[2]: "two words" (9 bytes)',
        'argv[3]: "" (0 bytes)',
        'argv[4]: "h\u00e9llo" (6 bytes)',
        f"argv[5]: {len(long_arg)} bytes, checksum {java_hash(long_arg.encode()):08x}",
        "envc: 6",
        "env: EMPTY=",
        "env: EQ=a=b",
        "env: EXAMPLE=from host",
        "env: GREETING=hello world",
        "env: HOME=/root",
        "env: OCCLUM=yes",
        'getenv OCCLUM: "yes"',
        'getenv GREETING: "hello world"',
        'getenv EMPTY: ""',
        'getenv EXAMPLE: "from host"',
        "getenv SECRET: unset",
        "getenv PATH: unset",
        'getenv HOME: "/root"',
        'getenv ADDED: "by setenv"',
        'getenv OCCLUM: "yes"',
        "getenv OCCLUM: unset",
        "done: 0 failures",
    ]
    ours = runner.pyocclum("args_env", *args)
    assert lines(ours.stdout) == expected
    assert ours.exit_code == 0
    theirs = runner.oracle("args_env", *args)
    assert_same_as_oracle(ours, theirs)


def test_many_args(runner: Runner) -> None:
    args = [f"arg{i}" for i in range(1000)]
    ours = runner.pyocclum("args_env", *args)
    out = lines(ours.stdout)
    assert out[0] == "argc: 1001"
    assert out[1:4] == ['argv[0]: "/bin/args_env" (13 bytes)', 'argv[1]: "arg0" (4 bytes)',
                        'argv[2]: "arg1" (4 bytes)']
    assert out[1001] == 'argv[1000]: "arg999" (6 bytes)'
    assert_same_as_oracle(ours, runner.oracle("args_env", *args))


# --- exit codes, abort and traps -----------------------------------------------------------


@pytest.mark.parametrize(("arg", "code", "out"), [
    ("0", 0, b"exiting with 0 (no newline)"),
    ("7", 7, b"exiting with 7 (no newline)"),
    ("125", 125, b"exiting with 125 (no newline)"),
    ("return:9", 9, b"returning 9\n"),
    ("atexit:4", 4, b"exiting 4 with a handler\natexit handler ran\n"),
    ("_exit:5", 5, b""),
])
def test_exit_code(runner: Runner, arg: str, code: int, out: bytes) -> None:
    ours = runner.pyocclum("exitcode", arg)
    assert (ours.exit_code, ours.stdout, ours.error) == (code, out, "")
    assert ours.status == code << 8  # wait4 encoding: exited normally
    assert_same_as_oracle(ours, runner.oracle("exitcode", arg))


@pytest.mark.parametrize(("arg", "code"), [
    ("126", 126), ("255", 255), ("256", 0), ("300", 44), ("-1", 255),
])
def test_exit_code_keeps_low_8_bits(runner: Runner, arg: str, code: int) -> None:
    """As wait4 on Linux (wasmtime's WASI refuses exit codes >= 126: PyOcclum only)."""
    ours = runner.pyocclum("exitcode", arg)
    assert (ours.exit_code, ours.status, ours.error) == (code, code << 8, "")
    assert ours.stdout == f"exiting with {arg} (no newline)".encode()


def assert_killed(ours: RunResult, theirs: OracleResult, signal: str, number: int) -> None:
    assert ours.status & 0x7F == number, f"status {ours.status:#x}"
    assert ours.exit_code == 128 + number
    assert f"killed by {signal}" in ours.error, ours.error
    assert theirs.exit_code is None, f"the oracle did not trap: exit {theirs.exit_code}"
    assert ours.stdout == theirs.stdout


def test_abort_is_sigabrt(runner: Runner) -> None:
    """libocclum's abort raises SIGABRT (the oracle, without signals, traps)."""
    ours = runner.pyocclum("exitcode", "abort")
    theirs = runner.oracle("exitcode", "abort")
    assert_killed(ours, theirs, "SIGABRT", 6)
    assert ours.stdout == b"calling abort\n"


@pytest.mark.parametrize(("what", "signal", "number"), [
    ("segv", "SIGSEGV", 11),
    ("ill", "SIGILL", 4),
    ("fpe", "SIGFPE", 8),
    ("overflow", "SIGFPE", 8),
    ("nullfn", "SIGSEGV", 11),
])
def test_trap_is_a_signal(runner: Runner, what: str, signal: str, number: int) -> None:
    ours = runner.pyocclum("trap", what)
    theirs = runner.oracle("trap", what)
    assert_killed(ours, theirs, signal, number)
    assert ours.stdout == f"about to {what}\n".encode()


# --- PyOcclum only ---------------------------------------------------------------------------


def test_devices(runner: Runner) -> None:
    """/dev (wasmtime's WASI has none)."""
    ours = runner.pyocclum("devices")
    assert ours.error == ""
    assert lines(ours.stdout) == [
        "/dev/null: char device 1, listed 1",
        "/dev/zero: char device 1, listed 1",
        "/dev/full: char device 1, listed 1",
        "/dev/random: char device 1, listed 1",
        "/dev/urandom: char device 1, listed 1",
        "open /dev/null: ok",
        "read /dev/null: 0",
        "write /dev/null: 4",
        "open /dev/zero: ok",
        "read /dev/zero: 4096 all zero 1",
        "write /dev/zero: 4",
        "open /dev/full: ok",
        "write /dev/full: ENOSPC",
        "read /dev/full: 100 all zero 1",
        "/dev/urandom: ok",
        "/dev/urandom: 64+64 bytes, non-zero 1, differ 1",
        "/dev/random: ok",
        "/dev/random: 64+64 bytes, non-zero 1, differ 1",
        "/dev/urandom 64 KiB: 65536 bytes, bit balance ok",
        "open /dev/stdout: ok",
        "written to /dev/stdout",
        "open /dev/nonexistent: ENOENT",
        "done: 0 failures",
    ]
    assert ours.exit_code == 0
