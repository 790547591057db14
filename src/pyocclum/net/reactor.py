"""Readiness of host sockets, delivered as events: one host ``epoll`` per kernel.

Every host socket behind an AF_INET/AF_INET6 socket is registered once, for
``EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET`` (edge-triggered: the host
reports each change once, so a socket that stays ready costs nothing). One
daemon thread waits on that epoll and notifies the socket's
:class:`~pyocclum.fs.waitq.WaitQueue` for every event. Everything that
waits on a socket (a blocking ``recv``, ``poll``, ``epoll``, ``poll_oneoff``)
therefore just sleeps on the wait queue: the rule of ``kernel/readiness.py``
(take a token, check, sleep on the token) makes a wake-up between the check
and the sleep impossible to lose.

The thread starts with the first registration and ends (closing its epoll)
when the last socket is unregistered, so a kernel without sockets has no
thread, and an idle one does not keep a thread alive.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from typing import TYPE_CHECKING

from pyocclum.fs.waitq import WaitQueue

if TYPE_CHECKING:
    import socket

#: What every host socket is registered for.
EVENTS = select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET
#: Most events taken from the host epoll in one wait.
_BATCH = 256


class Reactor:
    """The host epoll of one kernel and the thread that turns its events into notifies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: host fd -> the queue of the socket registered with it.
        self._queues: dict[int, WaitQueue] = {}
        self._epoll: select.epoll | None = None
        self._wake: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None

    def register(self, sock: socket.socket, queue: WaitQueue) -> None:
        """Notify ``queue`` on every readiness event of ``sock`` until :meth:`unregister`."""
        fd = sock.fileno()
        with self._lock:
            if self._thread is None:
                self._start()
            assert self._epoll is not None
            self._epoll.register(fd, EVENTS)  # (OSError: nothing recorded)
            self._queues[fd] = queue

    def unregister(self, sock: socket.socket) -> None:
        """Forget ``sock`` (before it is closed on the host); the last one stops the thread."""
        fd = sock.fileno()
        with self._lock:
            if self._queues.pop(fd, None) is None:
                return
            assert self._epoll is not None
            with contextlib.suppress(OSError):
                self._epoll.unregister(fd)
            if not self._queues and self._wake is not None:
                with contextlib.suppress(BlockingIOError):
                    os.write(self._wake[1], b"x")

    def registered(self) -> int:
        """How many sockets are registered (for tests)."""
        with self._lock:
            return len(self._queues)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def _start(self) -> None:
        # Called with the lock held.
        self._epoll = select.epoll()
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._wake = (r, w)
        self._epoll.register(r, select.EPOLLIN)
        self._thread = threading.Thread(
            target=self._run, args=(self._epoll, r, w), name="pyocclum-net-reactor", daemon=True
        )
        self._thread.start()

    def _run(self, ep: select.epoll, wake_r: int, wake_w: int) -> None:
        while True:
            try:
                events = ep.poll(-1, _BATCH)
            except InterruptedError:  # pragma: no cover - PEP 475 retries already
                continue
            queues: list[WaitQueue] = []
            stop = False
            with self._lock:
                for fd, _ in events:
                    if fd == wake_r:
                        with contextlib.suppress(BlockingIOError):
                            os.read(wake_r, 512)
                        stop = not self._queues
                        continue
                    q = self._queues.get(fd)
                    if q is not None:
                        queues.append(q)
                if stop:
                    self._thread = None
                    self._epoll = None
                    self._wake = None
            for q in queues:
                q.notify()
            if stop:
                ep.close()
                os.close(wake_r)
                os.close(wake_w)
                return
