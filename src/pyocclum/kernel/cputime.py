"""CPU time per process: ``getrusage``, ``times``, ``wait4``'s rusage, the
CPU-time clocks and ``/proc/<pid>/stat``.

The LibOS's processes share one host process. Each thread of a process runs
on a host thread for as long as it runs, and host threads are reused (the
executor's workers, a process's idle thread instances), so a process's CPU
time is what its host threads' CPU clocks advanced between the start and the
end of each of its threads' runs; the system part is the host kernel's split
of that time (``RUSAGE_THREAD``, sampled), the rest is user time. A thread
that runs on while another reads its process's times is read through its CPU
clock, which has no split: that part counts as user time until it ends.
"""

from __future__ import annotations

import contextlib
import resource
import threading
import time
from typing import NamedTuple


class Usage(NamedTuple):
    """CPU time in nanoseconds and the peak memory in KiB (``ru_maxrss``)."""

    user_ns: int = 0
    sys_ns: int = 0
    maxrss_kib: int = 0


class _Mark(NamedTuple):
    """Where one host thread's CPU time stood when it began running a thread:
    its CPU clock (exact) and the system part of it (``RUSAGE_THREAD``, which
    splits that clock as the host kernel sampled it)."""

    total_ns: int
    sys_ns: int


def _now() -> _Mark:
    """The calling host thread's CPU time (ns) and its system part."""
    total = time.thread_time_ns()
    return _Mark(total, round(resource.getrusage(resource.RUSAGE_THREAD).ru_stime * 1e9))


def _usage(total: int, sys_: int, maxrss: int = 0) -> Usage:
    sys_ = min(max(sys_, 0), max(total, 0))
    return Usage(max(total, 0) - sys_, sys_, maxrss)


class CpuAccount:
    """One process's CPU time: its ended threads', its running threads' (from
    their marks) and its reaped children's (``RUSAGE_CHILDREN``)."""

    __slots__ = ("_children", "_ended_sys", "_ended_total", "_lock", "_running", "peak_kib")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ended_total = 0
        self._ended_sys = 0
        #: Host thread ident -> its mark, for the threads running now.
        self._running: dict[int, _Mark] = {}
        self._children = Usage()
        #: The largest its memory has been (KiB), set by the executor at its end.
        self.peak_kib = 0

    def enter(self) -> None:
        """The calling host thread begins running a thread of this process."""
        mark = _now()
        with self._lock:
            self._running[threading.get_ident()] = mark

    def leave(self) -> None:
        """The calling host thread stops running a thread of this process (its
        time so far becomes the process's for good)."""
        now = _now()
        with self._lock:
            mark = self._running.pop(threading.get_ident(), None)
            if mark is not None:
                spent = max(0, now.total_ns - mark.total_ns)
                self._ended_total += spent
                self._ended_sys += min(spent, max(0, now.sys_ns - mark.sys_ns))

    def thread_ns(self) -> int:
        """The calling thread's CPU time since it began running (0 outside)."""
        mark = self._running.get(threading.get_ident())
        return 0 if mark is None else max(0, time.thread_time_ns() - mark.total_ns)

    def thread(self) -> Usage:
        """The calling thread's CPU time since it began running (``RUSAGE_THREAD``)."""
        mark = self._running.get(threading.get_ident())
        if mark is None:
            return Usage()
        now = _now()
        return _usage(now.total_ns - mark.total_ns, now.sys_ns - mark.sys_ns)

    def own(self) -> Usage:
        """The process's CPU time now (``RUSAGE_SELF``), ``peak_kib`` as maxrss."""
        me = threading.get_ident()
        now = _now() if me in self._running else _Mark(0, 0)
        total, sys_ = self._sum(now)
        return _usage(total, sys_, self.peak_kib)

    def cpu_ns(self) -> int:
        """The process's CPU time now, user and system together
        (``CLOCK_PROCESS_CPUTIME_ID``): :meth:`own`'s total without asking the
        host for the split (a program may read this clock in a loop)."""
        return max(0, self._sum(_Mark(time.thread_time_ns(), 0))[0])

    def _sum(self, now: _Mark) -> tuple[int, int]:
        """(total, system) ns of the ended and running threads; ``now`` is the
        calling thread's clocks (used only if it runs a thread of this process)."""
        me = threading.get_ident()
        with self._lock:
            total, sys_ = self._ended_total, self._ended_sys
            for ident, mark in self._running.items():
                if ident == me:
                    total += max(0, now.total_ns - mark.total_ns)
                    sys_ += max(0, now.sys_ns - mark.sys_ns)
                    continue
                with contextlib.suppress(OSError):  # the host thread is gone: leaving
                    clock = time.clock_gettime_ns(time.pthread_getcpuclockid(ident))
                    total += max(0, clock - mark.total_ns)
        return total, sys_

    def total(self) -> Usage:
        """Its own time and its reaped children's: what its parent's ``wait4``
        reports and adds to the parent's children (Linux's ``RUSAGE_BOTH``)."""
        own, kids = self.own(), self._children
        return Usage(own.user_ns + kids.user_ns, own.sys_ns + kids.sys_ns,
                     max(own.maxrss_kib, kids.maxrss_kib))

    def children(self) -> Usage:
        """The reaped children's time (``RUSAGE_CHILDREN``): each one's own and
        its reaped children's; maxrss is the largest child's."""
        return self._children

    def add_child(self, child: CpuAccount) -> Usage:
        """Count a reaped ``child`` (all its threads have ended); returns its total."""
        usage = child.total()
        with self._lock:
            kids = self._children
            self._children = Usage(kids.user_ns + usage.user_ns, kids.sys_ns + usage.sys_ns,
                                   max(kids.maxrss_kib, usage.maxrss_kib))
        return usage
