"""The executor's threads: the epoch ticker runs only while processes do, and
idle worker threads exit, so a host process that boots many LibOS instances
(``make bench``, a test session) does not pile up threads."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime

from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Process
from pyocclum.kernel.placement import Placement
from pyocclum.wasm import executor as ex
from pyocclum.wasm.codecache import DISPATCH_FILE, CodeCache


class _Box:
    """A kernel with a RamFs root whose processes have no stdio."""

    def __init__(self, code_cache: CodeCache | None = None) -> None:
        self.fs = RamFs()
        self.executor = ex.WasmExecutor(code_cache)
        self.kernel = Kernel(Vfs(self.fs), self.executor)
        self.executor.bind(self.kernel)

    def spawn(self, name: str, wat: str) -> Process:
        self.fs.root().create(name, 0o755).write(0, bytes(wasmtime.wat2wasm(wat)))
        return self.kernel.spawn(f"/{name}", [name.encode()], [], cwd=self.kernel.vfs.root())


def _wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.005)
    return False


def test_the_ticker_stops_when_no_process_runs_and_starts_again() -> None:
    box = _Box()
    for round_ in range(2):
        proc = box.spawn(f"p{round_}", """
          (module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                  (memory (export "memory") 1)
                  (func (export "_start") (call $exit (i32.const 0))))""")
        assert proc.done.wait(5)
        assert proc.status == 0
        assert _wait_for(lambda: box.executor._ticker is None)
        assert box.executor._live == 0


_WRITE_AND_EXIT = """
  (module (import "wasi_snapshot_preview1" "fd_write"
            (func $w (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (call $exit (call $w (i32.const 99) (i32.const 0) (i32.const 0) (i32.const 8)))))"""


def test_dispatchers_compiled_once_are_taken_from_the_code_cache(tmp_path: Path) -> None:
    first = _Box(CodeCache(tmp_path, bytes(32), b"m"))
    proc = first.spawn("p", _WRITE_AND_EXIT)
    assert proc.done.wait(5)
    assert proc.status == 8 << 8  # EBADF from fd_write, as its exit status
    stored = (tmp_path / DISPATCH_FILE).stat().st_mtime_ns
    again = _Box(CodeCache(tmp_path, bytes(32), b"m"))
    binder = again.executor._binder
    assert binder is not None
    assert len(binder.codes) == 2
    proc = again.spawn("p", _WRITE_AND_EXIT)
    assert proc.done.wait(5)
    assert proc.status == 8 << 8
    assert not binder.new_codes
    assert len(binder.codes) == 2
    assert (tmp_path / DISPATCH_FILE).stat().st_mtime_ns == stored  # nothing new to save
    other = _Box(CodeCache(tmp_path, bytes(32), b"another build"))
    assert other.executor._binder is not None
    assert other.executor._binder.codes == {}


def test_a_busy_process_is_still_stopped_by_a_kill() -> None:
    box = _Box()
    proc = box.spawn("spin", """
      (module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))""")
    assert box.executor._ticker is not None
    box.kernel.kill(None, proc.pid, 9)
    assert proc.done.wait(5)
    assert _wait_for(lambda: box.executor._ticker is None)


def test_idle_workers_exit_and_new_work_still_runs() -> None:
    workers = ex._Workers(idle_exit=0.02)
    ran = threading.Event()
    workers.submit(ran.set, "w-test-1")
    assert ran.wait(5)
    assert _wait_for(lambda: not any(t.name == "w-test-1" for t in threading.enumerate()))
    again = threading.Event()
    workers.submit(again.set, "w-test-2")
    assert again.wait(5)


def test_no_task_is_lost_when_submits_race_idle_exits() -> None:
    workers = ex._Workers(idle_exit=0.003)
    rng = random.Random(5)
    done = threading.Semaphore(0)
    for _ in range(300):
        workers.submit(done.release, "w-race")
        time.sleep(rng.choice([0, 0.001, 0.003, 0.004]))
    for _ in range(300):
        assert done.acquire(timeout=5)


def test_a_worker_starts_on_the_cpu_of_the_thread_that_hands_it_work() -> None:
    """kernel/placement.py: the child of a spawn runs where its parent is."""
    mask = os.sched_getaffinity(0)
    if len(mask) < 2:
        pytest.skip("needs 2 CPUs")
    workers = ex._Workers(idle_exit=5)
    workers.placement = Placement(enabled=True)
    seen: list[set[int]] = []
    for cpu in sorted(mask)[:2] * 2:  # a new thread, then idle ones picked again
        ran = threading.Event()

        def task(ran: threading.Event = ran) -> None:
            seen.append(os.sched_getaffinity(0))
            ran.set()

        def submit(cpu: int = cpu) -> None:
            os.sched_setaffinity(0, {cpu})
            workers.submit(task, "w-place")

        t = threading.Thread(target=submit)
        t.start()
        t.join()
        assert ran.wait(5)
        time.sleep(0.01)  # back among the idle ones
    assert seen == [{cpu} for cpu in sorted(mask)[:2] * 2]


def test_no_pin_outlives_the_processes_and_the_host_thread_is_never_pinned() -> None:
    mask = os.sched_getaffinity(0)
    if len(mask) < 2:
        pytest.skip("needs 2 CPUs")
    box = _Box()
    box.kernel.placement = box.executor._workers.placement = Placement(enabled=True)
    seen: list[set[int]] = []
    box.executor._workers.submit(lambda: seen.append(os.sched_getaffinity(0)), "w-host")
    assert _wait_for(lambda: bool(seen))
    assert os.sched_getaffinity(0) == mask  # the host's thread that handed work over
    proc = box.spawn("empty", '(module (memory (export "memory") 1) (func (export "_start")))')
    assert proc.done.wait(5)
    assert _wait_for(lambda: box.executor._ticker is None)
    assert not box.kernel.placement._pinned
    # The worker deletes the process's Store after the parent is told, so it
    # may join the idle list a little after the process is done.
    assert _wait_for(lambda: bool(box.executor._workers._idle))
    workers = box.executor._workers._idle
    for w in workers:
        assert os.sched_getaffinity(w.tid) == mask
