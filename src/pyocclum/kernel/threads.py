"""Threads of a process (docs/threads.md).

A thread is one instance of the process's program importing the process's
shared linear memory, run by the executor on a host thread of its own. The
kernel keeps, per thread, its tid (the main thread's is the pid; the
others come from the pid space, as Linux), whether it asked to stop, and
what the executor needs to run signal handlers on it.

Lifecycle: :meth:`ThreadGroup.add` (``thread_spawn``) -> running ->
:meth:`ThreadGroup.remove` when its instance has stopped, for any reason: it
returned from its start routine or called ``pthread_exit`` (``thread_exit``),
or the process is ending (``exit`` in any thread = exit_group, a fatal
signal, a crash of any thread) or being replaced (``execve``). The process
ends once its last thread has stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError

if TYPE_CHECKING:
    from pyocclum.kernel.kernel import Kernel
    from pyocclum.kernel.process import Process


class ThreadExit(BaseException):  # noqa: N818 - named as ProcessExit
    """Unwinds one thread's host stack when it calls ``thread_exit`` (pthread_exit).

    A ``BaseException`` so that a handler's ``except Exception`` cannot swallow it.
    """


class Thread:
    """One thread of a process. ``tid`` of the main thread is the pid."""

    __slots__ = ("done", "exited", "process", "runtime", "stop", "tid")

    def __init__(self, process: Process, tid: int) -> None:
        self.process = process
        self.tid = tid
        #: Set by the executor: what it needs to call into this thread's instance.
        self.runtime: Any = None
        #: Set when the thread must stop wherever it is (``execve`` by another thread).
        self.stop = False
        #: The thread ended by ``thread_exit`` (pthread_exit), not by a trap.
        self.exited = False
        self.done = threading.Event()

    def __repr__(self) -> str:
        return f"Thread(tid={self.tid}, pid={self.process.pid})"


class ThreadGroup:
    """The live threads of one process, the main one included.

    ``spawn`` is set by the executor for processes that can run threads
    (their program imports a shared memory); it starts ``thread`` at the
    guest's thread entry with ``start_arg``, or raises ``KernelError``.
    """

    def __init__(self, process: Process) -> None:
        self.main = Thread(process, process.pid)
        self.live: dict[int, Thread] = {process.pid: self.main}
        self.cond = threading.Condition()
        self.spawn: Callable[[Thread, int], None] | None = None

    def __len__(self) -> int:
        return len(self.live)

    def get(self, tid: int) -> Thread | None:
        return self.live.get(tid)

    def others(self, me: Thread | None) -> list[Thread]:
        with self.cond:
            return [t for t in self.live.values() if t is not me]

    def remove(self, thread: Thread) -> int:
        """Forget a thread whose instance has stopped; returns how many are left."""
        with self.cond:
            self.live.pop(thread.tid, None)
            thread.done.set()
            self.cond.notify_all()
            return len(self.live)

    def wait_alone(self, me: Thread, timeout: float | None = None) -> bool:
        """Wait until ``me`` is the only thread left (or none is); False on timeout."""
        with self.cond:
            return self.cond.wait_for(
                lambda: not any(t is not me for t in self.live.values()), timeout)

    def reset(self) -> None:
        """After ``execve``: only the main thread is left, and runs the new image."""
        with self.cond:
            self.main.stop = False
            self.main.exited = False
            self.main.done.clear()
            self.live = {self.main.tid: self.main}


def _thread_count(procs: list[Process]) -> int:
    """Threads other than main threads, over ``procs``."""
    return sum(len(p.threads) - 1 for p in procs if not p.exited and len(p.threads) > 1)


def new_thread(kernel: Kernel, proc: Process, max_threads: int) -> Thread:
    """A new thread of ``proc`` with a tid from the pid space (not started yet).

    EAGAIN once ``max_threads`` threads besides the main ones exist in the
    kernel (Occlum's ``resource_limits.max_num_of_threads``) or if the
    process cannot run threads (it was not built with ``-pthread``), as
    Linux's ``clone`` when RLIMIT_NPROC is reached.
    """
    if proc.threads.spawn is None:
        raise KernelError(
            Errno.EAGAIN, "the program cannot run threads (build it with occlum-cc -pthread)")
    if proc.exited or proc.kill_status is not None:
        raise KernelError(Errno.EAGAIN, "the process is ending")
    with kernel._lock:  # the pid allocator's lock: tids and pids are one space
        procs = list(kernel._procs.values())
        if _thread_count(procs) >= max_threads:
            raise KernelError(
                Errno.EAGAIN,
                f"thread limit reached (resource_limits.max_num_of_threads = {max_threads})",
            )
        tid = kernel._next_pid
        while tid in kernel._procs or any(tid in p.threads.live for p in procs):
            tid += 1
        kernel._next_pid = tid + 1
        thread = Thread(proc, tid)
        with proc.threads.cond:
            proc.threads.live[tid] = thread
    return thread


__all__ = ["Thread", "ThreadExit", "ThreadGroup", "new_thread"]
