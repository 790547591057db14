"""Reactor modules (no ``_start``; ``_initialize`` then ``run``) and the refused ``host.call``.

The WAT modules pin the calling convention (order, exit status, bad shapes);
``reactor.c`` built by occlum-cc with ``-mexec-model=reactor`` shows the
convention holds for a real wasi-libc reactor, run directly and spawned.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.boot import Instance
from pyocclum.config.template import new_instance
from pyocclum.errors import ImageError, KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream, BytesInputStream
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Process
from pyocclum.syscalls.host import NO_HOST
from pyocclum.wasm import WasmExecutor
from pyocclum.wasm.executor import entry_of

HERE = Path(__file__).resolve().parent
CC = Path(sys.executable).parent / "occlum-cc"

IMPORTS = """
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
"""


def wat(body: str, imports: str = "") -> bytes:
    """A module with ``proc_exit``, ``imports``, one page of memory, and ``body``."""
    return bytes(wasmtime.wat2wasm(
        f'(module {IMPORTS} {imports} (memory (export "memory") 1) {body})'))


class Box:
    """A booted kernel with a RamFs root and captured stdout."""

    def __init__(self) -> None:
        self.fs = RamFs()
        self.executor = WasmExecutor()
        self.kernel = Kernel(Vfs(self.fs), self.executor)
        self.executor.bind(self.kernel)
        self.out = BufferStream()

    def run(self, image: bytes) -> Process:
        self.fs.root().create("prog", 0o755).write(0, image)

        def f(stream: BufferStream | BytesInputStream, r: bool) -> OpenFile:
            return OpenFile(inode=None, stream=stream, path="stdio",
                            filetype=FileType.UNKNOWN, readable=r, writable=not r)

        stdio = [f(BytesInputStream(b""), True), f(self.out, False), f(self.out, False)]
        proc = self.kernel.spawn("/prog", [b"prog"], [], cwd=self.kernel.vfs.root(), stdio=stdio)
        assert proc.done.wait(10)
        return proc


@pytest.fixture
def box() -> Box:
    return Box()


# _initialize stores 40 at address 0; run returns it plus 2: an exit status of 42
# shows both ran, in that order (run alone would return 2).
ORDERED = """
  (func (export "_initialize") (i32.store (i32.const 0) (i32.const 40)))
  (func (export "run") (result i32) (i32.add (i32.load (i32.const 0)) (i32.const 2)))
"""


def test_reactor_runs_initialize_then_run_whose_result_is_the_exit_status(box: Box) -> None:
    assert box.run(wat(ORDERED)).status == 42 << 8


def test_exit_status_keeps_the_low_eight_bits_as_exit_does(box: Box) -> None:
    proc = box.run(wat('(func (export "run") (result i32) (i32.const 0x1234))'))
    assert proc.status == 0x34 << 8


def test_reactor_without_initialize_and_without_result(box: Box) -> None:
    assert box.run(wat('(func (export "run"))')).status == 0


def test_proc_exit_inside_run_ends_the_process(box: Box) -> None:
    proc = box.run(wat(
        '(func (export "run") (result i32) (call $exit (i32.const 5)) (i32.const 0))'))
    assert proc.status == 5 << 8


def test_trap_in_initialize_is_a_signal_and_run_is_not_called(box: Box) -> None:
    proc = box.run(wat("""
      (func (export "_initialize") unreachable)
      (func (export "run") (result i32) (call $exit (i32.const 3)) (i32.const 0))"""))
    assert proc.status == 4  # SIGILL, as for unreachable in a command


def test_command_still_starts_at_start_even_if_it_exports_run(box: Box) -> None:
    proc = box.run(wat("""
      (func (export "_start") (call $exit (i32.const 7)))
      (func (export "run") (result i32) (i32.const 1))"""))
    assert proc.status == 7 << 8


def test_a_command_whose_start_returns_an_i32_exits_with_it(box: Box) -> None:
    # wasmtime-py's generic call returned the result and the executor used it;
    # the direct entry call (wasm/exports.call_entry) keeps that.
    proc = box.run(wat('(func (export "_start") (result i32) (i32.const 0x1203))'))
    assert proc.status == 3 << 8


@pytest.mark.parametrize("body", [
    '(func (export "_start") (param i32))',
    '(func (export "_start") (result i32 i32) (i32.const 1) (i32.const 2))',
])
def test_a_command_whose_start_has_another_type_is_still_run_the_generic_way(
    box: Box, body: str
) -> None:
    proc = box.run(wat(body))
    # A parameter it cannot be given kills it; two results end it with status 0.
    assert proc.status == (9 if "param" in body else 0)


@pytest.mark.parametrize(("body", "words"), [
    ('(func (export "main"))', "exports neither _start (a command) nor run (a reactor)"),
    ('(func (export "run") (param i32) (result i32) (i32.const 0))', "must take no parameters"),
    ('(func (export "run") (result i64) (i64.const 0))', "-> (i64)"),
    ('(func (export "_initialize") (result i32) (i32.const 0)) (func (export "run"))',
     "_initialize must take no parameters"),
])
def test_modules_that_are_not_programs_are_enoexec_at_spawn(
    box: Box, body: str, words: str
) -> None:
    with pytest.raises(KernelError) as e:
        box.run(wat(body))
    assert e.value.errno == Errno.ENOEXEC
    assert words in e.value.msg


def test_entry_of_names_the_program_in_its_error() -> None:
    module = wasmtime.Module(wasmtime.Engine(), wat('(func (export "main"))'))
    with pytest.raises(ImageError, match=r"^/bin/lib: not a program"):
        entry_of(module, "/bin/lib")
    reactor = wasmtime.Module(wasmtime.Engine(), wat(ORDERED))
    assert entry_of(reactor, "r").calls == ("_initialize", "run")


def test_host_call_is_refused_with_no_host_and_writes_nothing(box: Box) -> None:
    # The response pointer and length words at 64 and 68 hold 0x55555555 before
    # the call: the refusal must leave them alone. Exit status: 1 if the call
    # answered NO_HOST, 2 if it answered anything else, 3 if a word changed.
    proc = box.run(wat("""
      (func (export "run") (result i32)
        (i32.store (i32.const 64) (i32.const 0x55555555))
        (i32.store (i32.const 68) (i32.const 0x55555555))
        (if (i32.ne (call $call (i32.const 0) (i32.const 16) (i32.const 64) (i32.const 68))
                    (i32.const NO_HOST))
          (then (return (i32.const 2))))
        (if (i32.or (i32.ne (i32.load (i32.const 64)) (i32.const 0x55555555))
                    (i32.ne (i32.load (i32.const 68)) (i32.const 0x55555555)))
          (then (return (i32.const 3))))
        (i32.const 1))""".replace("NO_HOST", str(NO_HOST)),
        '(import "host" "call" (func $call (param i32 i32 i32 i32) (result i32)))'))
    assert proc.status == 1 << 8


def test_other_unknown_modules_still_fail_to_link(box: Box) -> None:
    with pytest.raises(KernelError) as e:
        box.run(wat('(func (export "run"))', '(import "host" "other" (func))'))
    assert e.value.errno == Errno.ENOEXEC
    assert "other" in e.value.msg


# -- a wasi-libc reactor built by occlum-cc ------------------------------------------


def _cc(source: Path, out: Path, *flags: str) -> None:
    r = subprocess.run(
        [str(CC), "-O2", "-Wall", "-Wextra", "-Werror", *flags, str(source), "-o", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def reactor_instance(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    folder = tmp_path_factory.mktemp("reactor") / "inst"
    new_instance(folder)
    bin_dir = folder / "image" / "bin"
    _cc(HERE / "reactor.c", bin_dir / "reactor", "-mexec-model=reactor")
    _cc(HERE / "reactor_spawner.c", bin_dir / "spawner")
    inst = Instance(folder)
    inst.build()
    return inst


def test_c_reactor_is_a_reactor(reactor_instance: Instance) -> None:
    image = (reactor_instance.path / "image" / "bin" / "reactor").read_bytes()
    names = {e.name for e in wasmtime.Module(wasmtime.Engine(), image).exports}
    assert "_start" not in names
    assert {"_initialize", "run"} <= names


@pytest.mark.parametrize("args", [["a b", "c"], ["--exit=3"], ["--exit=4", "--call-exit"]])
def test_c_reactor_gets_its_arguments_and_exits_with_runs_result(
    reactor_instance: Instance, args: list[str]
) -> None:
    r = reactor_instance.run(["/bin/reactor", *args], capture=True)
    expected = f"initialized=1 argc={1 + len(args)} greeting=(unset)\n"
    expected += "".join(f"arg {a}\n" for a in args)
    assert r.stdout == expected.encode(), r.stderr
    status = next((int(a[7:]) for a in args if a.startswith("--exit=")), 0)
    assert r.exit_code == status


def test_c_reactor_spawned_by_a_command(reactor_instance: Instance) -> None:
    r = reactor_instance.run(["/bin/spawner"], capture=True)
    assert r.stdout == (
        b"initialized=1 argc=3 greeting=hello\narg from-spawn\narg --exit=9\n"
        b"child exited=1 status=9\n"
    ), r.stderr
    assert r.exit_code == 0


def test_c_reactor_replaces_a_command_through_execve(reactor_instance: Instance) -> None:
    r = reactor_instance.run(["/bin/spawner", "exec"], capture=True)
    assert r.stdout == (
        b"initialized=1 argc=3 greeting=bonjour\narg from-exec\narg --exit=6\n"
    ), r.stderr
    assert r.exit_code == 6
