"""Wait queues: how a blocked syscall sleeps until an object may be ready."""

from __future__ import annotations

import threading
from collections.abc import Callable


class WaitQueue:
    """A condition that waiters sleep on and producers ``notify``.

    Waiters must re-check their condition after waking (wake-ups may be
    spurious). To never miss a wake-up, take a :meth:`token` *before* checking
    the condition and sleep on :meth:`since` that token: the sleep returns at
    once if a notify came in between.

    A waiter that watches several queues at once (``poll``, ``epoll``)
    :meth:`subscribe`\\ s a callback instead: ``notify`` calls it, on the
    notifier's thread, after waking the sleepers. Callbacks must be quick and
    must not block (set a flag, notify another queue).
    """

    __slots__ = ("_cond", "_generation", "_subscribers")

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._generation = 0
        self._subscribers: tuple[Callable[[], None], ...] = ()

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
            subscribers = self._subscribers
        for callback in subscribers:
            callback()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` on every later :meth:`notify` (until unsubscribed)."""
        with self._cond:
            self._subscribers = (*self._subscribers, callback)

    def unsubscribe(self, callback: Callable[[], None]) -> None:
        """Stop calling ``callback`` (one subscription of it); absent: nothing."""
        with self._cond:
            subs = list(self._subscribers)
            if callback in subs:
                subs.remove(callback)
                self._subscribers = tuple(subs)


class _Since:
    __slots__ = ("_queue", "_token")

    def __init__(self, queue: WaitQueue, token: int) -> None:
        self._queue = queue
        self._token = token

    def wait(self, timeout: float | None) -> None:
        self._queue.wait(timeout, self._token)

    def notify(self) -> None:
        self._queue.notify()
