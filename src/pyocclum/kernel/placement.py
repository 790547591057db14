"""Which host CPU a process's thread runs on: a spawned child starts where its
parent is about to wait for it.

A spawn and its ``wait4`` hand the work from one host thread to another and
back (the parent to the child's worker thread, the child's exit to the
waiting parent), and the GIL lets only one of them run Python at a time, so
the two gain nothing from running on different CPUs. But the host kernel
wakes a thread on an idle CPU when there is one, and on a VM waking an idle
virtual CPU is slow: ``posix_spawn`` + ``wait4`` of an empty program took
322-436 us with the threads placed by the host and 240-338 us with the whole
LibOS held to one CPU (``taskset``), on the 2-CPU machine of issue 15, where
Linux's own spawn does not care (700-740 us either way).

So the kernel does for a spawn what Linux's synchronous wake-up does for a
pipe: the child's worker and the parent are pinned to the CPU the parent
runs on when it hands the child over (:meth:`Placement.place`; else the host
moves the parent to the idle CPU as soon as the child's thread wakes beside
it), and a parent blocked in ``wait4`` is pinned to its CPU while it sleeps
(:meth:`Placement.waiting`), so that the exit wakes it there. A pin lasts
at most :data:`PIN_SECONDS`: the executor's epoch ticker lifts older ones
(:meth:`Placement.release_expired`), so a child that runs on, and processes
that compute side by side, spread over the CPUs as before, a few
milliseconds later; and every pin when the last process has ended. Only the
LibOS's own threads are pinned, never a host thread that boots or runs it.

Off with ``$PYOCCLUM_SPAWN_PLACEMENT=0`` (read when a kernel is made), and
never on with one CPU or without ``sched_getcpu``. The mask a pin is lifted
to is the host process's affinity when the kernel was made.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType

__all__ = ["PIN_SECONDS", "SWITCH", "Placement"]

#: The environment variable that turns placement off ("0").
SWITCH = "PYOCCLUM_SPAWN_PLACEMENT"
#: The longest a thread stays pinned (the epoch ticker lifts older pins).
PIN_SECONDS = 0.01


def _sched_getcpu() -> Callable[[], int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).sched_getcpu
    except (AttributeError, OSError):
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = []
    return fn


def _set_affinity(tid: int, cpus: Iterable[int]) -> bool:
    """Hold host thread ``tid`` to ``cpus``; False if it has ended or the host
    forbids it (then nothing changes)."""
    try:
        os.sched_setaffinity(tid, cpus)
    except OSError:
        return False
    return True


class Placement:
    """The pins of one kernel's threads (see the module's docstring)."""

    def __init__(self, *, enabled: bool | None = None) -> None:
        try:
            self._mask = frozenset(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            self._mask = frozenset()
        self._getcpu = _sched_getcpu()
        if enabled is None:
            enabled = os.environ.get(SWITCH, "1") != "0"
        #: Whether threads are pinned at all.
        self.enabled = enabled and len(self._mask) > 1 and self._getcpu is not None
        self._lock = threading.Lock()
        #: Pinned host threads (native ids) and when each was pinned.
        self._pinned: dict[int, float] = {}

    def here(self) -> int | None:
        """The CPU the calling thread runs on (None when placement is off)."""
        if not self.enabled or self._getcpu is None:
            return None
        cpu = self._getcpu()
        return cpu if cpu in self._mask else None

    def place(self, tid: int, cpu: int | None) -> None:
        """Pin host thread ``tid`` to ``cpu`` (from :meth:`here`; None: leave it)."""
        if cpu is None or not _set_affinity(tid, (cpu,)):
            return
        with self._lock:
            self._pinned[tid] = time.monotonic()

    def release(self, tid: int) -> None:
        """Lift ``tid``'s pin (a thread that has ended is ignored)."""
        with self._lock:
            self._pinned.pop(tid, None)
        _set_affinity(tid, self._mask)

    def release_expired(self) -> None:
        """Lift the pins older than :data:`PIN_SECONDS` (the epoch ticker calls this)."""
        if not self._pinned:
            return
        oldest = time.monotonic() - PIN_SECONDS
        with self._lock:
            expired = [tid for tid, at in self._pinned.items() if at < oldest]
            for tid in expired:
                del self._pinned[tid]
        for tid in expired:
            _set_affinity(tid, self._mask)

    def release_all(self) -> None:
        """Lift every pin (the executor's last process has ended)."""
        with self._lock:
            pinned = list(self._pinned)
            self._pinned.clear()
        for tid in pinned:
            _set_affinity(tid, self._mask)

    def waiting(self) -> _Waiting:
        """A context in which the calling thread, about to sleep until another
        thread wakes it (``wait4``), stays on the CPU it runs on."""
        return _Waiting(self)


class _Waiting:
    __slots__ = ("_placement", "_tid")

    def __init__(self, placement: Placement) -> None:
        self._placement = placement
        self._tid = 0

    def __enter__(self) -> None:
        cpu = self._placement.here()
        if cpu is not None:
            self._tid = threading.get_native_id()
            self._placement.place(self._tid, cpu)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tid:
            self._placement.release(self._tid)
