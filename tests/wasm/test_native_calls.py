"""The WASI calls served natively (``wasm/native_calls.py``) give what the
Python kernel gives, the oracle: the same values and the same errnos (EINVAL,
EFAULT) for the same calls, run once with them served natively and once with
every call in Python; the CPU-time clocks and every error go to the kernel;
tracing and the switch keep every call in Python."""

from __future__ import annotations

import struct
import time

import pytest
import wasmtime

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream, BytesInputStream
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Process
from pyocclum.native import library
from pyocclum.syscalls.spec import Syscall
from pyocclum.wasm import WasmExecutor, native_calls

WASI = "wasi_snapshot_preview1"
PAGE = 65536
#: Where each call's record goes: errno (u32), then what the call wrote (u64).
OUT = 1024


class Box:
    """A kernel with a RamFs root; runs one module and returns its memory's
    record area."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, native: bool,
                 strace: list[str] | None = None) -> None:
        monkeypatch.setenv(native_calls.SWITCH, "1" if native else "0")
        self.fs = RamFs()
        self.fs.root().mkdir("bin", 0o755)
        self.executor = WasmExecutor()
        self.kernel = Kernel(Vfs(self.fs), self.executor,
                             strace=strace.append if strace is not None else None)
        self.executor.bind(self.kernel)

    def native_routes(self) -> int:
        binder = self.executor._binder
        assert binder is not None
        return len(binder._native._keep)

    def run(self, image: bytes) -> bytes:
        self.fs.root().lookup("bin").create("prog", 0o755).write(0, image)

        def f(stream: BufferStream | BytesInputStream, r: bool) -> OpenFile:
            return OpenFile(inode=None, stream=stream, path="stdio",
                            filetype=FileType.UNKNOWN, readable=r, writable=not r)

        out = BufferStream()
        proc: Process = self.kernel.spawn(
            "/bin/prog", [b"/bin/prog"], [], cwd=self.kernel.vfs.root(),
            stdio=[f(BytesInputStream(b""), True), f(out, False), f(out, False)])
        assert proc.done.wait(20)
        assert proc.status == 0, (proc.status, out.getvalue())
        return out.getvalue()


def program(calls: list[str], pages: int = 2, memory: str | None = None) -> bytes:
    """A module that makes ``calls`` (WAT expressions giving an errno), stores
    each errno at ``OUT + 16 * i`` and writes the record area to stdout."""
    body = "\n".join(f"(i32.store (i32.const {OUT + 16 * i}) {c})" for i, c in enumerate(calls))
    return bytes(wasmtime.wat2wasm(f"""
      (module
        (import "{WASI}" "clock_time_get" (func $time (param i32 i64 i32) (result i32)))
        (import "{WASI}" "clock_res_get" (func $res (param i32 i32) (result i32)))
        (import "{WASI}" "random_get" (func $random (param i32 i32) (result i32)))
        (import "{WASI}" "sched_yield" (func $yield (result i32)))
        (import "{WASI}" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "{WASI}" "proc_exit" (func $exit (param i32)))
        {memory or f'(memory (export "memory") {pages})'}
        (func (export "_start")
          {body}
          (i32.store (i32.const 0) (i32.const {OUT}))
          (i32.store (i32.const 4) (i32.const {16 * len(calls)}))
          (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
          (call $exit (i32.const 0))))"""))


def records(out: bytes) -> list[tuple[int, int]]:
    """(errno, value) of each call: the value its own slot holds (8 bytes at +8)."""
    return [(e, v) for e, _, v in struct.iter_unpack("<IIQ", out)]


@pytest.fixture(autouse=True)
def _have_the_library() -> None:
    if library.shared() is None:
        pytest.skip("no native library here")


def both(monkeypatch: pytest.MonkeyPatch, image: bytes) -> tuple[bytes, bytes]:
    """The output of ``image`` with native calls, then with every call in Python."""
    native = Box(monkeypatch, native=True)
    got = native.run(image)
    assert native.native_routes() == 4  # all four calls of the module were routed
    python = Box(monkeypatch, native=False)
    want = python.run(image)
    assert python.native_routes() == 0
    return got, want


def at(i: int, off: int = 8) -> int:
    return OUT + 16 * i + off


TOP = 2 * PAGE  # the end of the memory


def test_errnos_are_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [
        f"(call $time (i32.const 4) (i64.const 0) (i32.const {at(0)}))",  # no such clock
        f"(call $time (i32.const -1) (i64.const 0) (i32.const {at(1)}))",
        f"(call $time (i32.const 1) (i64.const 0) (i32.const {TOP - 7}))",  # EFAULT
        "(call $time (i32.const 0) (i64.const 0) (i32.const -1))",
        f"(call $res (i32.const 4) (i32.const {at(4)}))",
        f"(call $res (i32.const 0) (i32.const {TOP - 4}))",
        f"(call $random (i32.const {TOP - 10}) (i32.const 11))",  # one byte too many
        "(call $random (i32.const -1) (i32.const 2))",
        f"(call $random (i32.const 0) (i32.const {(1 << 20) + 1}))",  # EFAULT first
        "(call $yield)",
        f"(call $res (i32.const 3) (i32.const {at(10)}))",
        f"(call $random (i32.const {TOP}) (i32.const 0))",  # nothing, at the very end
    ]
    got, want = both(monkeypatch, program(calls))
    assert got == want
    errnos = [e for e, _ in records(got)]
    assert errnos == [Errno.EINVAL, Errno.EINVAL, Errno.EFAULT, Errno.EFAULT, Errno.EINVAL,
                      Errno.EFAULT, Errno.EFAULT, Errno.EFAULT, Errno.EFAULT, 0, 0, 0]


def test_values_are_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [
        *(f"(call $res (i32.const {c}) (i32.const {at(c)}))" for c in range(4)),
        f"(call $time (i32.const 0) (i64.const 0) (i32.const {at(4)}))",
        f"(call $time (i32.const 1) (i64.const -1) (i32.const {at(5)}))",
        f"(call $time (i32.const 2) (i64.const 0) (i32.const {at(6)}))",  # the kernel's
        f"(call $time (i32.const 3) (i64.const 0) (i32.const {at(7)}))",
        f"(call $random (i32.const {at(8)}) (i32.const 8))",
        f"(call $random (i32.const {at(9)}) (i32.const 8))",
        f"(call $time (i32.const 1) (i64.const 0) (i32.const {TOP - 8}))",  # the last 8 bytes
        f"(call $random (i32.const {TOP - 1}) (i32.const 1))",
    ]
    image = program(calls)
    for native in (True, False):
        box = Box(monkeypatch, native=native)
        wall, mono = time.time_ns(), time.monotonic_ns()
        rec = records(box.run(image))
        wall2, mono2 = time.time_ns(), time.monotonic_ns()
        assert [e for e, _ in rec] == [0] * len(calls), native
        assert [v for _, v in rec[:4]] == [1, 1, 1, 1]
        assert wall <= rec[4][1] <= wall2
        assert mono <= rec[5][1] <= mono2
        assert 0 < rec[6][1] < 10**12  # CPU time of this process, not a wall clock
        assert 0 < rec[7][1] < 10**12
        assert rec[8][1] != rec[9][1]  # 8 random bytes twice: never the same


def test_the_largest_random_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """The most the kernel gives in one call (1 MiB) is served; one byte more is not."""
    calls = [f"(call $random (i32.const {PAGE}) (i32.const {1 << 20}))",
             f"(call $random (i32.const {PAGE}) (i32.const {(1 << 20) + 1}))"]
    got, want = both(monkeypatch, program(calls, pages=32))
    assert got == want
    assert [e for e, _ in records(got)] == [0, Errno.EINVAL]


def test_strace_keeps_every_call_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    box = Box(monkeypatch, native=True, strace=lines)
    box.run(program(["(call $yield)", f"(call $time (i32.const 1) (i64.const 0) "
                     f"(i32.const {at(1)}))"]))
    assert box.native_routes() == 0
    assert any("sched_yield(" in line for line in lines)
    assert any("clock_time_get(" in line for line in lines)


def test_a_handler_of_its_own_is_not_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel whose clock is not the stock one keeps its clock."""
    from pyocclum.syscalls.wasi import WasiSyscalls

    monkeypatch.setattr(WasiSyscalls, "clock_time_get", lambda self, p, c, pr: 42)
    box = Box(monkeypatch, native=True)
    rec = records(box.run(program([f"(call $time (i32.const 1) (i64.const 0) "
                                   f"(i32.const {at(0)}))"])))
    assert rec == [(0, 42)]
    assert box.native_routes() == 3  # the other three calls the module imports


@pytest.fixture
def reached(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the served calls that reached their Python dispatcher
    (each dispatcher handed to a native function counts its calls)."""
    from pyocclum.wasm.host import _CALLBACK

    got: list[str] = []
    real = native_calls.NativeCalls.route

    def counting(self: native_calls.NativeCalls, sc: Syscall, callback: object) -> object:
        if (sc.module, sc.name) not in native_calls.served():  # fd_write, proc_exit
            return real(self, sc, callback)

        def count(env: int, caller: int, args: int, nargs: int) -> int:
            got.append(sc.name)
            return int(callback(env, caller, args, nargs))  # type: ignore[operator]

        wrapped = _CALLBACK(count)
        self._keep.append(wrapped)  # type: ignore[arg-type]
        return real(self, sc, wrapped)

    monkeypatch.setattr(native_calls.NativeCalls, "route", counting)
    return got


def test_only_what_it_does_not_serve_reaches_python(monkeypatch: pytest.MonkeyPatch,
                                                    reached: list[str]) -> None:
    """Only the CPU-time clock, the bad address and the unknown clock reach Python."""
    box = Box(monkeypatch, native=True)
    calls = [
        *(f"(call $time (i32.const 1) (i64.const 0) (i32.const {at(0)}))" for _ in range(5)),
        f"(call $time (i32.const 0) (i64.const 0) (i32.const {at(1)}))",
        f"(call $res (i32.const 2) (i32.const {at(2)}))",
        f"(call $random (i32.const {at(3)}) (i32.const 8))",
        "(call $yield)",
        f"(call $time (i32.const 2) (i64.const 0) (i32.const {at(5)}))",  # Python
        f"(call $time (i32.const 1) (i64.const 0) (i32.const {TOP}))",  # Python: EFAULT
        f"(call $res (i32.const 9) (i32.const {at(7)}))",  # Python: EINVAL
    ]
    rec = records(box.run(program(calls)))
    assert [e for e, _ in rec][-3:] == [0, Errno.EFAULT, Errno.EINVAL]
    assert reached == ["clock_time_get", "clock_time_get", "clock_res_get"]


@pytest.mark.parametrize("exported", [True, False])
def test_a_shared_memory(monkeypatch: pytest.MonkeyPatch, exported: bool,
                         reached: list[str]) -> None:
    """A program with threads imports a shared memory: served there too when it
    exports it again, by the kernel when it does not."""
    memory = '(import "env" "memory" (memory 2 16 shared))' + (
        '(export "memory" (memory 0))' if exported else "")
    calls = [f"(call $time (i32.const 1) (i64.const 0) (i32.const {at(0)}))",
             f"(call $res (i32.const 1) (i32.const {TOP}))",
             f"(call $random (i32.const {at(2)}) (i32.const 8))",
             f"(call $random (i32.const {at(3)}) (i32.const 8))",
             f"(call $res (i32.const 1) (i32.const {at(4)}))"]
    for native in (True, False):
        rec = records(Box(monkeypatch, native=native).run(program(calls, memory=memory)))
        assert [e for e, _ in rec] == [0, Errno.EFAULT, 0, 0, 0]
        assert rec[0][1] > 0
        assert rec[2][1] != rec[3][1]
        assert rec[4][1] == 1
        if native:
            assert len(reached) == (1 if exported else len(calls))
