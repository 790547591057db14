"""A LibOS process: identity, arguments, cwd, fds and how it ended."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, Waitable
from pyocclum.fs.vfs import Location
from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.cputime import CpuAccount
from pyocclum.kernel.fdtable import FdTable
from pyocclum.kernel.signals import SignalState
from pyocclum.kernel.threads import Thread, ThreadGroup

#: The resource whose soft limit caps the size a process may give a file.
RLIMIT_FSIZE = 1

#: ``this_thread.process`` is the process this thread runs (the hot path reads it directly).
this_thread = threading.local()


def current_process() -> Process:
    """The process whose syscall this thread is serving."""
    proc: Process | None = getattr(this_thread, "process", None)
    if proc is None:
        raise KernelError(Errno.ESRCH, "no current process on this thread")
    return proc


def set_current_process(proc: Process | None, thread: Thread | None = None) -> None:
    """Make this host thread serve ``proc`` (its ``thread``: default the main one)."""
    this_thread.process = proc
    this_thread.thread = thread if thread is not None or proc is None else proc.threads.main


def current_thread() -> Thread | None:
    """The LibOS thread this host thread runs (None outside a process)."""
    thread: Thread | None = getattr(this_thread, "thread", None)
    return thread


class Process:
    """One process. ``status`` is set once, with Linux ``wait4`` encoding.

    Lifecycle: running -> exited (``status`` set, resources released) ->
    reaped by the parent's ``wait4`` (or at once if nobody will wait).
    Compared by identity. (A plain class: a dataclass costs start-up time.)
    """

    def __init__(
        self,
        pid: int,
        ppid: int,
        path: str,
        argv: list[bytes],
        env: list[bytes],
        cwd: Location,
        fds: FdTable,
        start_ns: int,
        pgid: int = 0,
        sid: int = 0,
        umask: int = 0o022,
        memory_limit: int = 0,
    ) -> None:
        self.pid = pid
        self.ppid = ppid
        self.path = path
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.fds = fds
        self.start_ns = start_ns
        self.pgid = pgid
        self.sid = sid
        self.umask = umask
        self.status: int | None = None
        #: Human-readable reason for a death by signal (e.g. "out-of-bounds memory access").
        self.death_reason = ""
        #: Memory limit (bytes) for the process's linear memory.
        self.memory_limit = memory_limit
        #: Set by the executor: anything it needs to keep per process (store, memory).
        self.runtime: Any = None
        self.done = threading.Event()
        self.sig = SignalState()
        #: Guards ``sig``, ``children`` and ``waiting_on``.
        self.lock = threading.Lock()
        self.children: set[int] = set()
        #: Woken when a child exits (wait4 sleeps here).
        self.child_waitq = WaitQueue()
        #: What a blocked syscall of this process sleeps on (a signal wakes it).
        self.waiting_on: Waitable | None = None
        #: Set when a fatal signal must stop the process wherever it is (even in a loop).
        self.kill_status: int | None = None
        #: A pending ``execve``: (path, image, argv, env), carried out by the executor.
        self.exec_request: tuple[str, bytes, list[bytes], list[bytes]] | None = None
        #: Runs pending handled signals in the guest; returns True if every handler
        #: asked for SA_RESTART (set by the executor).
        self.run_handlers: Callable[[Process], bool] | None = None
        #: Limits set by setrlimit (resource -> (soft, hard)); inherited by spawn.
        self.rlimits: dict[int, tuple[int, int]] = {}
        #: The name prctl(PR_SET_NAME) gave, with the argv list it was given under:
        #: execve replaces argv, and so resets the name to the program's (Linux).
        self.comm: tuple[list[bytes], str] | None = None
        #: The nice value (setpriority/nice): recorded, inherited on spawn.
        self.nice = 0
        self.alarm: threading.Timer | None = None
        self.alarm_deadline = 0.0
        #: The live threads (kernel/threads.py); the main one's tid is the pid.
        self.threads = ThreadGroup(self)
        #: Its CPU time and its reaped children's (kernel/cputime.py).
        self.cpu = CpuAccount()

    def __repr__(self) -> str:
        return f"Process(pid={self.pid}, path={self.path!r}, status={self.status})"

    def file_size_limit(self) -> int | None:
        """RLIMIT_FSIZE's soft limit in bytes; None when there is none."""
        limit = self.rlimits.get(RLIMIT_FSIZE)
        return None if limit is None or limit[0] >= 1 << 63 else limit[0]

    @property
    def cwd_path(self) -> str:
        return self.cwd.path

    @property
    def exited(self) -> bool:
        return self.status is not None

    def finish(self, status: int, reason: str = "") -> None:
        """Record how the process ended (first call wins)."""
        if self.status is None:
            self.status = status
            self.death_reason = reason

    def has_deliverable_signal(self) -> bool:
        return bool(self.sig.pending & ~self.sig.blocked) or self.kill_status is not None

    def wake(self) -> None:
        """Interrupt whatever blocking call the process is in (it re-checks signals)."""
        waiting = self.waiting_on
        notify = getattr(waiting, "notify", None)
        if notify is not None:
            notify()
