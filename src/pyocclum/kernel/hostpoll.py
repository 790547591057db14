"""Waiting for host file descriptors (a terminal or host pipe as stdin/stdout).

A host fd has no wait queue of its own: nothing in the LibOS learns when it
becomes readable. :class:`HostPoller` is one thread per kernel that waits on
the host fds someone is waiting for (host ``poll(2)``, plus a wake-up pipe of
its own) and notifies the waiter's queue when one is ready. Arming is
one-shot: a waiter arms before each sleep (:meth:`arm`) and disarms after
(:meth:`disarm`), so a fd that stays ready (``/dev/null``) does not make the
thread spin. The thread starts on first use and is a daemon.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading

from pyocclum.fs.waitq import WaitQueue

_ALWAYS = select.POLLERR | select.POLLHUP | select.POLLNVAL


class HostPoller:
    """Host fds armed by waiters, watched by one thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: fd -> [(events, queue)] of the waiters armed on it.
        self._armed: dict[int, list[tuple[int, WaitQueue]]] = {}
        self._pipe: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None

    def arm(self, fd: int, events: int, queue: WaitQueue) -> None:
        """Notify ``queue`` once host ``fd`` has any of ``events`` (``POLLIN``,
        ``POLLOUT``) or an error/hang-up."""
        with self._lock:
            self._armed.setdefault(fd, []).append((events, queue))
            if self._pipe is None:
                self._pipe = os.pipe()
                os.set_blocking(self._pipe[1], False)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pyocclum-hostpoll",
                                                daemon=True)
                self._thread.start()
            wake = self._pipe[1]
        self._kick(wake)

    def disarm(self, queue: WaitQueue) -> None:
        """Forget every arming of ``queue`` (what fired is gone already)."""
        with self._lock:
            for fd in list(self._armed):
                kept = [(ev, q) for ev, q in self._armed[fd] if q is not queue]
                if kept:
                    self._armed[fd] = kept
                else:
                    del self._armed[fd]

    def armed(self) -> int:
        """How many armings are pending (for tests)."""
        with self._lock:
            return sum(len(v) for v in self._armed.values())

    @staticmethod
    def _kick(wake: int) -> None:
        with contextlib.suppress(BlockingIOError):  # full: the thread wakes anyway
            os.write(wake, b"x")

    def _run(self) -> None:
        assert self._pipe is not None
        wake_r = self._pipe[0]
        while True:
            poller = select.poll()
            poller.register(wake_r, select.POLLIN)
            with self._lock:
                for fd, waiters in self._armed.items():
                    mask = 0
                    for events, _ in waiters:
                        mask |= events
                    poller.register(fd, mask)
            fired: list[WaitQueue] = []
            for fd, revents in poller.poll():
                if fd == wake_r:
                    os.read(wake_r, 4096)
                    continue
                with self._lock:
                    waiters = self._armed.get(fd, [])
                    hit = [(ev, q) for ev, q in waiters if revents & (ev | _ALWAYS)]
                    rest = [(ev, q) for ev, q in waiters if not revents & (ev | _ALWAYS)]
                    if rest:
                        self._armed[fd] = rest
                    else:
                        self._armed.pop(fd, None)
                fired += [q for _, q in hit]
            for q in fired:
                q.notify()
