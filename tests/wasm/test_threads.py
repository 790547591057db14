"""Threads in the executor and kernel (wasm/threads.py, kernel/threads.py,
syscalls/threads.py), with hand-written modules that import a shared memory:
thread_spawn, tids, the thread limit, exit_group, kills and crashes of busy
threads, and the shared-memory import that wasmtime-py gets wrong."""

from __future__ import annotations

import time
from typing import Any

import pytest
import wasmtime

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_exited, wait_status_signaled
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Process
from pyocclum.kernel.kernel import Limits
from pyocclum.wasm import executor as ex
from pyocclum.wasm.engine import make_engine
from pyocclum.wasm.threads import SharedGuestMemory, shared_extern

# A process whose _start spawns N threads (N from memory[8]) at
# __occlum_thread_start(tid, arg) and records thread_spawn's errno (16 + 4i)
# and tid (64 + 4i); each thread runs BODY (a WAT fragment with $tid, $arg).
# Memory: 0 = threads started counter, 4 = main's "go on" flag, 200 = threads
# the kernel has marked done (__occlum_thread_done).
_MODULE = """
(module
  (import "env" "memory" (memory 1 16 shared))
  (import "occlum" "thread_spawn" (func $spawn (param i32 i32) (result i32)))
  (import "occlum" "gettid" (func $gettid (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func (export "__occlum_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (i32.store (i32.add (i32.const 128) (i32.shl (local.get $arg) (i32.const 2)))
               (call $gettid))
    %(body)s)
  (func (export "__occlum_thread_done") (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 200) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 200) (i32.const -1))))
  (func (export "_start") (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.const %(n)d)))
      (i32.store (i32.add (i32.const 16) (i32.shl (local.get $i) (i32.const 2)))
                 (call $spawn (local.get $i)
                              (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    %(main)s))
"""

# Main waits (atomic wait, bounded) until `want` threads have started, then exits 0.
_WAIT_STARTED = """
    (block $ok (loop $w
      (br_if $ok (i32.ge_u (i32.atomic.load (i32.const 0)) (i32.const %d)))
      (drop (memory.atomic.wait32 (i32.const 0) (i32.atomic.load (i32.const 0))
                                  (i64.const 1000000)))
      (br $w)))
"""


class _Box:
    def __init__(self, max_threads: int = 32) -> None:
        self.fs = RamFs()
        self.executor = ex.WasmExecutor()
        self.kernel = Kernel(Vfs(self.fs), self.executor, limits=Limits(max_threads=max_threads))
        self.executor.bind(self.kernel)

    def spawn(self, wat: str, name: str = "prog") -> Process:
        self.fs.root().create(name, 0o755).write(0, bytes(wasmtime.wat2wasm(wat)))
        return self.kernel.spawn(f"/{name}", [name.encode()], [], cwd=self.kernel.vfs.root())


def _module(n: int, body: str = "", main: str = "") -> str:
    return _MODULE % {"n": n, "body": body, "main": main}


def _memory(proc: Process) -> SharedGuestMemory:
    mem = proc.runtime.memory
    assert isinstance(mem, SharedGuestMemory)
    return mem


def _wait_for(cond: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.002)
    return False


def test_threads_get_tids_from_the_pid_space_and_share_memory() -> None:
    box = _Box()
    snapshot: dict[str, list[int]] = {}

    def grab() -> bool:
        if box.kernel.processes() and box.kernel.processes()[0].runtime is not None:
            mem = _memory(box.kernel.processes()[0])
            # A thread counts itself started before it stores its gettid, and may
            # start before thread_spawn has written its tid for main: wait for all.
            tids = [mem.u32(64 + 4 * i) for i in range(3)]
            seen = [mem.u32(128 + 4 * i) for i in range(3)]
            if mem.u32(0) >= 3 and all(tids) and all(seen):
                snapshot["errnos"] = [mem.u32(16 + 4 * i) for i in range(3)]
                snapshot["tids"], snapshot["seen"] = tids, seen
                return True
        return False

    # Main waits for its threads, then spins until the test looked, then exits.
    proc = box.spawn(_module(3, main=_WAIT_STARTED % 3 + """
      (block $b (loop $s (br_if $b (i32.atomic.load (i32.const 4))) (br $s)))
      (call $exit (i32.const 7))"""))
    assert _wait_for(grab)
    _memory(proc).set_u32(4, 1)
    assert proc.done.wait(10)
    assert proc.status == wait_status_exited(7)
    assert snapshot["errnos"] == [0, 0, 0]
    tids = snapshot["tids"]
    assert len(set(tids)) == 3
    assert proc.pid not in tids
    assert all(t > proc.pid for t in tids)
    assert snapshot["seen"] == tids  # gettid in each thread is its own tid
    # The next process's pid does not reuse a tid.
    other = box.spawn(_module(0), "other")
    assert other.pid not in tids
    assert other.done.wait(10)


def test_exit_in_one_thread_ends_every_thread() -> None:
    box = _Box()
    # Thread 0 spins for ever; thread 1 exits the process with 9; main spins.
    body = """
      (if (i32.eqz (local.get $arg)) (then (loop $l (br $l))))
      (call $exit (i32.const 9))"""
    proc = box.spawn(_module(2, body=body, main="(loop $m (br $m))"))
    assert proc.done.wait(10)
    assert proc.status == wait_status_exited(9)
    assert proc.threads.others(proc.threads.main) == []


def test_sigkill_stops_every_busy_thread() -> None:
    box = _Box()
    proc = box.spawn(_module(3, body="(loop $l (br $l))", main=_WAIT_STARTED % 3
                             + "(loop $m (br $m))"))
    assert _wait_for(lambda: proc.runtime is not None and _memory(proc).u32(0) == 3)
    start = time.monotonic()
    box.kernel.kill(None, proc.pid, Signal.SIGKILL)
    assert proc.done.wait(10)
    assert time.monotonic() - start < 2
    assert proc.status == wait_status_signaled(Signal.SIGKILL)


def test_a_crashing_thread_kills_its_process_not_the_libos() -> None:
    box = _Box()
    proc = box.spawn(_module(1, body="(unreachable)", main="(loop $m (br $m))"))
    assert proc.done.wait(10)
    assert proc.status == wait_status_signaled(Signal.SIGILL)
    again = box.spawn(_module(0), "again")
    assert again.done.wait(10)
    assert again.status == 0


def test_thread_limit_gives_eagain() -> None:
    box = _Box(max_threads=2)
    body = "(loop $l (br_if $l (i32.eqz (i32.atomic.load (i32.const 4)))))"
    proc = box.spawn(_module(4, body=body, main=_WAIT_STARTED % 2 + """
      (i32.atomic.store (i32.const 4) (i32.const 1))
      (block $b (loop $s (br_if $b (i32.atomic.load (i32.const 12))) (br $s)))"""))
    assert _wait_for(lambda: proc.runtime is not None and _memory(proc).u32(4) == 1)
    mem = _memory(proc)
    assert [mem.u32(16 + 4 * i) for i in range(4)] == [0, 0, Errno.EAGAIN, Errno.EAGAIN]
    mem.set_u32(12, 1)
    assert proc.done.wait(10)
    assert proc.status == 0


def test_a_program_without_shared_memory_cannot_spawn_threads() -> None:
    box = _Box()
    wat = """
    (module
      (import "occlum" "thread_spawn" (func $spawn (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (call $spawn (i32.const 0) (i32.const 8)))))"""
    proc = box.spawn(wat)
    assert proc.done.wait(10)
    assert proc.status == wait_status_exited(Errno.EAGAIN)


def test_shared_memory_extern_is_the_memory_itself() -> None:
    """wasmtime-py's SharedMemory._as_extern passes a pointer to the pointer;
    ours passes the memory: two instances in two stores see the same bytes."""
    engine = make_engine()
    ty = wasmtime.MemoryType(wasmtime.Limits(1, 2), shared=True)
    shared = wasmtime.SharedMemory(engine, ty)
    module = wasmtime.Module(engine, """
      (module (import "env" "memory" (memory 1 2 shared))
              (func (export "bump") (result i32)
                (i32.atomic.rmw.add (i32.const 8) (i32.const 1))))""")
    results = []
    for _ in range(2):
        store = wasmtime.Store(engine)
        store.set_epoch_deadline(1 << 40)
        item = shared_extern(shared)
        instance = wasmtime.Instance._from_raw(_instantiate(store, module, item))
        bump = instance.exports(store)["bump"]
        assert isinstance(bump, wasmtime.Func)
        results.append(bump(store))
    assert results == [0, 1]
    mem = SharedGuestMemory(shared)
    assert mem.u32(8) == 2


def _instantiate(store: wasmtime.Store, module: wasmtime.Module, item: Any) -> Any:
    import ctypes

    from wasmtime import _ffi

    imports = (_ffi.wasmtime_extern_t * 1)(item)
    instance = _ffi.wasmtime_instance_t()
    trap = ctypes.POINTER(_ffi.wasm_trap_t)()
    err = _ffi.wasmtime_instance_new(store._context(), module.ptr(), imports, 1,
                                     ctypes.byref(instance), ctypes.byref(trap))
    if err or trap:
        pytest.fail("instantiation failed")
    return instance


def test_an_ended_threads_instance_runs_the_next_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    real = ex.new_thread_instance  # type: ignore[attr-defined]

    def counting(*args: Any) -> Any:
        made.append(args)
        return real(*args)

    monkeypatch.setattr(ex, "new_thread_instance", counting)
    box = _Box()
    # Main spawns 5 threads one after the other, each once the previous one is
    # done (memory[200] counts them), then exits 0.
    wat = _module(0, main="""
      (local.set $i (i32.const 0))
      (block $end (loop $next
        (br_if $end (i32.ge_u (local.get $i) (i32.const 5)))
        (drop (call $spawn (local.get $i) (i32.const 64)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block $ok (loop $w
          (br_if $ok (i32.ge_u (i32.atomic.load (i32.const 200)) (local.get $i)))
          (drop (memory.atomic.wait32 (i32.const 200) (i32.atomic.load (i32.const 200))
                                      (i64.const 1000000)))
          (br $w)))
        (br $next)))""")
    proc = box.spawn(wat)
    assert proc.done.wait(10)
    assert proc.status == 0
    assert len(made) == 1
