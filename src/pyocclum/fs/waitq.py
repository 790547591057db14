"""Wait queues: how a blocked syscall sleeps until an object may be ready."""

from __future__ import annotations

import threading


class WaitQueue:
    """A condition that waiters sleep on and producers ``notify``.

    Waiters must re-check their condition after waking (wake-ups may be
    spurious). To never miss a wake-up, take a :meth:`token` *before* checking
    the condition and sleep on :meth:`since` that token: the sleep returns at
    once if a notify came in between.
    """

    __slots__ = ("_cond", "_generation")

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._generation = 0

    def token(self) -> int:
        return self._generation

    def since(self, token: int) -> _Since:
        """A waitable that does not sleep if anything was notified after ``token``."""
        return _Since(self, token)

    def wait(self, timeout: float | None, token: int | None = None) -> None:
        with self._cond:
            if token is not None and token != self._generation:
                return
            self._cond.wait(timeout)

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()


class _Since:
    __slots__ = ("_queue", "_token")

    def __init__(self, queue: WaitQueue, token: int) -> None:
        self._queue = queue
        self._token = token

    def wait(self, timeout: float | None) -> None:
        self._queue.wait(timeout, self._token)

    def notify(self) -> None:
        self._queue.notify()
