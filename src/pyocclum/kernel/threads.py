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
from pyocclum.kernel.signals import SignalState

if TYPE_CHECKING:
    from pyocclum.kernel.kernel import Kernel
    from pyocclum.kernel.process import Process


class ThreadExit(BaseException):
    """Unwinds one thread's host stack when it calls ``thread_exit`` (pthread_exit).

    A ``BaseException`` so that a handler's ``except Exception`` cannot swallow it.
    """


class Thread:
    """One thread of a process. ``tid`` of the main thread is the pid."""

    __slots__ = ("done", "exited", "host", "mask", "process", "runtime", "stop", "tid")

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
        #: The host thread running it (``threading.get_ident()``), 0 before it starts.
        self.host = 0
        #: Its signal mask when it starts (its creator's, as pthread_create gives).
        self.mask = 0

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


class ThreadedSignalState(SignalState):
    """A process's signal state once it has threads: one blocked mask per
    thread and signals sent to one thread (``tkill``), on top of the
    process's dispositions, pending set and records.

    ``blocked`` and ``pending`` answer for the thread that asks (the host
    thread running it, known by ``threading.get_ident()``): its own mask, and
    the process's pending signals plus those sent to it. Asked from outside
    the process (another process's ``kill``, /proc), ``blocked`` is what
    every thread blocks: a signal is blocked for the process only if no
    thread can take it.
    """

    __slots__ = ("directed", "masks", "shared")

    def __init__(self) -> None:
        self.masks: dict[int, int] = {}
        self.directed: dict[int, int] = {}
        self.shared = 0
        super().__init__()  # (its blocked = 0 and pending = 0 go through the properties)
        self.masks.clear()

    @classmethod
    def of(cls, state: SignalState, host: int) -> ThreadedSignalState:
        """``state`` (the main thread's, on host thread ``host``) with threads."""
        new = cls()
        new.actions = state.actions
        new.infos = state.infos
        new.shared = state.pending
        new.masks[host] = state.blocked
        return new

    @property
    def blocked(self) -> int:
        mask = self.masks.get(threading.get_ident())
        if mask is not None:
            return mask
        every = -1
        for m in self.masks.values():
            every &= m
        return every if self.masks else 0

    @blocked.setter
    def blocked(self, value: int) -> None:
        self.masks[threading.get_ident()] = value

    @property
    def pending(self) -> int:
        return self.shared | self.directed.get(threading.get_ident(), 0)

    @pending.setter
    def pending(self, value: int) -> None:
        host = threading.get_ident()
        mine = self.directed.get(host, 0)
        old = self.shared | mine
        removed = old & ~value
        # A signal taken by this thread is its own one first, else the process's.
        left = mine & ~removed
        self.shared = (self.shared & ~(removed & ~mine)) | (value & ~old)
        if left:
            self.directed[host] = left
        elif mine:
            del self.directed[host]

    def direct(self, host: int, bits: int) -> None:
        """Make ``bits`` pending for the thread on host thread ``host`` only."""
        self.directed[host] = self.directed.get(host, 0) | bits

    def started(self, thread: Thread) -> None:
        """``thread`` starts on this host thread: its mask is its creator's."""
        host = threading.get_ident()
        thread.host = host
        self.masks[host] = thread.mask
        self.directed.pop(host, None)

    def ended(self, host: int) -> None:
        self.masks.pop(host, None)
        self.directed.pop(host, None)



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
