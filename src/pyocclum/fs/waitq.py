"""Wait queues: how a blocked syscall sleeps until an object may be ready."""

from __future__ import annotations

import threading


class WaitQueue:
    """A condition that waiters sleep on and producers ``notify``.

    Waiters must re-check their condition after waking (wake-ups may be
    spurious, and ``wait`` does not say why it returned).
    """

    __slots__ = ("_cond", "_generation")

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._generation = 0

    def wait(self, timeout: float | None) -> None:
        with self._cond:
            gen = self._generation
            # A notify between the caller's failed check and this point is
            # not lost for long: callers wait in short slices.
            if gen == self._generation:
                self._cond.wait(timeout)

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()
