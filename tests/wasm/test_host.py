"""The syscall dispatcher: EFAULT without side effects, traps as signals, kernel bugs
kill only the calling process, memory limits."""

from __future__ import annotations

import pytest
import wasmtime

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.abi.wasi import FileType
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream, BytesInputStream
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Limits, Process
from pyocclum.syscalls.wasi import WasiSyscalls
from pyocclum.wasm import WasmExecutor

HEADER = """
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory (export "memory") 1)
"""


def module(body: str) -> bytes:
    return bytes(wasmtime.wat2wasm(f"(module {HEADER} {body})"))


class Box:
    """A booted kernel with a RamFs root and captured stdout."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.fs = RamFs()
        self.fs.root().mkdir("bin", 0o755)
        self.executor = WasmExecutor()
        self.kernel = Kernel(Vfs(self.fs), self.executor, limits=limits)
        self.executor.bind(self.kernel)
        self.out = BufferStream()

    def install(self, name: str, image: bytes) -> str:
        self.fs.root().lookup("bin").create(name, 0o755).write(0, image)
        return f"/bin/{name}"

    def spawn(self, path: str) -> Process:
        def f(stream: BufferStream | BytesInputStream, r: bool) -> OpenFile:
            return OpenFile(inode=None, stream=stream, path="stdio",
                            filetype=FileType.UNKNOWN, readable=r, writable=not r)

        stdio = [f(BytesInputStream(b""), True), f(self.out, False), f(self.out, False)]
        return self.kernel.spawn(path, [path.encode()], [], cwd=self.kernel.vfs.root(),
                                 stdio=stdio)

    def run(self, image: bytes, name: str = "prog") -> Process:
        proc = self.spawn(self.install(name, image))
        assert proc.done.wait(10)
        return proc


@pytest.fixture
def box() -> Box:
    return Box()


def test_exit_code(box: Box) -> None:
    proc = box.run(module('(func (export "_start") (call $exit (i32.const 7)))'))
    assert proc.status == 7 << 8


def test_write_reaches_stdout(box: Box) -> None:
    proc = box.run(module("""
      (data (i32.const 16) "hi\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 3))
        (call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
    """))
    assert box.out.getvalue() == b"hi\n"
    assert proc.status == 0


@pytest.mark.parametrize(
    ("iov_buf", "iov_len", "out_ptr"),
    [
        (0x20000, 4, 8),  # data pointer past the end of memory
        (0xFFFFFFF0, 64, 8),  # wraps around 4 GiB
        (16, 3, 0x10000),  # result pointer past the end
    ],
)
def test_bad_pointer_is_efault_with_no_side_effect(
    box: Box, iov_buf: int, iov_len: int, out_ptr: int
) -> None:
    proc = box.run(module(f"""
      (data (i32.const 16) "hi\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const {iov_buf}))
        (i32.store (i32.const 4) (i32.const {iov_len}))
        (call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                                    (i32.const {out_ptr}))))
    """))
    assert proc.status == int(Errno.EFAULT) << 8
    assert box.out.getvalue() == b""


@pytest.mark.parametrize(
    ("body", "signal"),
    [
        ("unreachable", Signal.SIGILL),
        ("(drop (i32.load (i32.const 0x7ffffff0)))", Signal.SIGSEGV),
        ("(drop (i32.div_s (i32.const 1) (i32.const 0)))", Signal.SIGFPE),
    ],
)
def test_trap_kills_with_signal(box: Box, body: str, signal: Signal) -> None:
    proc = box.run(module(f'(func (export "_start") {body})'))
    assert proc.status == int(signal)
    assert signal.name in proc.death_reason


def test_kernel_bug_kills_only_the_caller(
    box: Box, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: WasiSyscalls, p: Process) -> None:
        raise ZeroDivisionError("injected bug")

    monkeypatch.setattr(WasiSyscalls, "sched_yield", broken)
    box2 = Box()  # bound after the patch: its sched_yield is broken
    victim = box2.run(module(
        '(func (export "_start") (drop (call $yield)) (call $exit (i32.const 0)))'))
    assert victim.status == int(Signal.SIGKILL)
    assert "kernel error in sched_yield" in victim.death_reason
    assert "injected bug" in caplog.text
    # The same kernel keeps serving other processes.
    survivor = box2.run(module('(func (export "_start") (call $exit (i32.const 3)))'), "ok")
    assert survivor.status == 3 << 8


def test_memory_limit_makes_grow_fail() -> None:
    box = Box(Limits(process_memory=4 << 16))  # four 64 KiB pages
    proc = box.run(module("""
      (func (export "_start")
        (call $exit (i32.eq (memory.grow (i32.const 100)) (i32.const -1))))
    """))
    assert proc.status == 1 << 8  # grow returned -1: refused, not a crash


def test_not_wasm_and_invalid_module_are_enoexec(box: Box) -> None:
    from pyocclum.errors import KernelError

    for name, image, words in [
        ("text", b"echo hi\n", "not a WebAssembly module"),
        ("broken", b"\0asm\x01\0\0\0\x01\xff", "invalid WebAssembly module"),
    ]:
        path = box.install(name, image)
        with pytest.raises(KernelError) as e:
            box.spawn(path)
        assert e.value.errno == Errno.ENOEXEC
        assert words in e.value.msg


def test_unknown_import_is_named(box: Box) -> None:
    from pyocclum.errors import KernelError

    image = bytes(wasmtime.wat2wasm("""
      (module (import "env" "mystery" (func)) (memory (export "memory") 1)
              (func (export "_start")))"""))
    with pytest.raises(KernelError) as e:
        box.spawn(box.install("odd", image))
    assert "mystery" in e.value.msg


def test_parameters_come_from_the_low_bytes_of_each_value() -> None:
    import ctypes

    from wasmtime import _ffi as ffi

    from pyocclum.wasm.host import _HOST, _params

    vals = (ffi.wasmtime_val_raw_t * 3)()
    ctypes.memset(vals, 0xA5, ctypes.sizeof(vals))  # whatever lies above each value
    vals[0].i32 = -2
    vals[1].i64 = -3
    vals[2].i32 = 7
    got = _params(("i32", "i64", "i32")).unpack_from(_HOST, ctypes.addressof(vals))
    assert got == (0xFFFFFFFE, (1 << 64) - 3, 7)


def test_i64_parameters_and_results_cross_the_boundary(box: Box) -> None:
    # clock_time_get(MONOTONIC, precision = all ones, &time): 0 and a time;
    # fd_write to fd -1: EBADF (an i32 read as unsigned, and the errno written back).
    image = bytes(wasmtime.wat2wasm("""
      (module
        (import "wasi_snapshot_preview1" "clock_time_get"
          (func $clock (param i32 i64 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write"
          (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start")
          (if (call $clock (i32.const 1) (i64.const -1) (i32.const 64))
            (then (call $exit (i32.const 1))))
          (if (i64.eqz (i64.load (i32.const 64))) (then (call $exit (i32.const 2))))
          (call $exit (call $fd_write (i32.const -1) (i32.const 0) (i32.const 0)
                                      (i32.const 8)))))"""))
    proc = box.run(image)
    assert proc.status == int(Errno.EBADF) << 8


def test_strace_shows_records_with_their_field_names() -> None:
    from pyocclum.fs.types import DirEntry
    from pyocclum.wasm.host import _format_result

    entry = DirEntry("a", 7, FileType.DIRECTORY)
    assert _format_result(entry) == f"{{name='a', ino=7, filetype={int(FileType.DIRECTORY)}}}"
    assert _format_result((3, entry)) == (
        f"(3, {{name='a', ino=7, filetype={int(FileType.DIRECTORY)}}})")
