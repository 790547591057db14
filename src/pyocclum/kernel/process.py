"""A LibOS process: identity, arguments, cwd, fds and how it ended."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.vfs import Location
from pyocclum.kernel.fdtable import FdTable

#: ``this_thread.process`` is the process this thread runs (the hot path reads it directly).
this_thread = threading.local()


def current_process() -> Process:
    """The process whose syscall this thread is serving."""
    proc: Process | None = getattr(this_thread, "process", None)
    if proc is None:
        raise KernelError(Errno.ESRCH, "no current process on this thread")
    return proc


def set_current_process(proc: Process | None) -> None:
    this_thread.process = proc


@dataclass(eq=False)
class Process:
    """One process. ``status`` is set once, with Linux ``wait4`` encoding."""

    pid: int
    ppid: int
    path: str
    argv: list[bytes]
    env: list[bytes]
    cwd: Location
    fds: FdTable
    start_ns: int
    status: int | None = None
    #: Human-readable reason for a death by signal (e.g. "out-of-bounds memory access").
    death_reason: str = ""
    #: Memory limit (bytes) for the process's linear memory.
    memory_limit: int = 0
    #: Set by the executor: anything it needs to keep per process (store, memory).
    runtime: Any = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def cwd_path(self) -> str:
        return self.cwd.path

    def finish(self, status: int, reason: str = "") -> None:
        """Record how the process ended (first call wins)."""
        if self.status is None:
            self.status = status
            self.death_reason = reason
