"""One thread that runs callbacks at deadlines (timerfd expirations).

:meth:`Timers.at` schedules ``callback()`` for a ``time.monotonic()`` deadline
and returns a handle that :meth:`Timers.cancel` accepts. Callbacks run on the
timer thread and must be quick (notify a wait queue). The thread starts on
first use and is a daemon: a kernel that is dropped leaves at most one idle
thread behind.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

#: Longest single wait of a timer thread (then it looks again): a wait of more
#: than about 2**63 ns is an OverflowError (threading's timeout in a time_t),
#: which ended the timer thread, and every timerfd of the kernel with it, when
#: a guest armed a timerfd for 2**63-1 ns (found by the fuzzer).
MAX_WAIT = 3600.0


class Timers:
    """Deadlines of one kernel, served by one thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count(1)
        self._thread: threading.Thread | None = None

    def at(self, deadline: float, callback: Callable[[], None]) -> int:
        """Run ``callback()`` once ``time.monotonic()`` reaches ``deadline``."""
        with self._cond:
            handle = next(self._seq)
            heapq.heappush(self._heap, (deadline, handle, callback))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pyocclum-timers", daemon=True
                )
                self._thread.start()
            elif self._heap[0][1] == handle:
                self._cond.notify()  # the new one is now the earliest
        return handle

    def cancel(self, handle: int) -> None:
        """Forget a scheduled callback (one that already ran: nothing)."""
        with self._cond:
            kept = [e for e in self._heap if e[1] != handle]
            if len(kept) != len(self._heap):
                heapq.heapify(kept)
                self._heap = kept

    def pending(self) -> int:
        """How many callbacks are scheduled and not cancelled (for tests)."""
        with self._cond:
            return len(self._heap)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, callback = self._heap[0]
                now = time.monotonic()
                if deadline > now:
                    self._cond.wait(min(deadline - now, MAX_WAIT))
                    continue
                heapq.heappop(self._heap)
            callback()
