"""Readiness of open files, for ``poll``, ``select`` and ``epoll``.

The interface every pollable object implements (issue 13's sockets plug in
the same way): its :class:`~pyocclum.fs.types.Stream`

* has a ``waitq`` (:class:`~pyocclum.fs.waitq.WaitQueue`) that it notifies
  whenever its readiness may have changed: data arrived, room appeared, the
  other end closed (for edge-triggered epoll, Linux's rule: every arrival of
  data, not only the empty -> non-empty change);
* answers ``poll_events() -> int`` with Linux's ``POLL*`` bits that hold now
  (``POLLIN``, ``POLLOUT``, ``POLLHUP``, ``POLLERR``, ``POLLRDHUP``, with
  ``POLLRDNORM``/``POLLWRNORM`` alongside ``POLLIN``/``POLLOUT``).

A stream without ``poll_events`` is judged from ``readable_now``,
``writable_now`` and ``hung_up``. A stream without a ``waitq`` (a host file
descriptor) cannot wake a waiter by itself: a wait arms its host fd on the
kernel's :class:`~pyocclum.kernel.hostpoll.HostPoller` for each sleep; one
that has neither (a nested epoll over a host fd) re-checks it every
:data:`BLIND_NAP` seconds. Regular files and directories are always ready
(``DEFAULT_POLLMASK``) and cannot be added to an epoll set (EPERM), as Linux.
Nothing here blocks; :class:`MultiWait` sleeps on the wait queues.
"""

from __future__ import annotations

from collections.abc import Callable

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Stream
from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.hostpoll import HostPoller
from pyocclum.kernel.process import Process

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND = 0x40, 0x80, 0x100, 0x200
POLLMSG, POLLRDHUP = 0x400, 0x2000
#: What Linux answers for a file without a poll method (regular files, ...).
DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
#: Reported whether asked for or not.
ALWAYS = POLLERR | POLLHUP | POLLNVAL
#: How often a wait re-checks a stream that has no wait queue (a host fd).
BLIND_NAP = 0.005
#: Longest single sleep before re-checking (signals wake the sleeper anyway).
WAIT_SLICE = 0.5


def stream_events(stream: Stream, readable: bool, writable: bool) -> int:
    """The ``POLL*`` bits of ``stream`` now, for a description open with the given modes."""
    answer: Callable[[], int] | None = getattr(stream, "poll_events", None)
    if answer is not None:
        return answer()
    mask = 0
    if readable and stream.readable_now():
        mask |= POLLIN | POLLRDNORM
    if writable and stream.writable_now():
        mask |= POLLOUT | POLLWRNORM
    if stream.hung_up():
        mask |= POLLHUP
    return mask


def poll_events(f: OpenFile) -> int:
    """Linux's ``POLL*`` bits of the open file ``f`` now."""
    if f.stream is None:
        return DEFAULT_POLLMASK
    return stream_events(f.stream, f.readable, f.writable)


def can_poll(f: OpenFile) -> bool:
    """Does ``f`` have a poll method of its own (Linux's ``file_can_poll``)?
    Regular files, directories and ``/dev/null``-like devices do not."""
    s = f.stream
    if s is None:
        return False
    return (
        getattr(s, "poll_events", None) is not None
        or s.waitq is not None
        or isinstance(getattr(s, "fd", None), int)  # a host fd: the host polls it
    )


def wait_queue(f: OpenFile) -> WaitQueue | None:
    """The queue notified when ``f``'s readiness changes (None: nothing notifies)."""
    return f.stream.waitq if f.stream is not None else None


def host_fd(f: OpenFile) -> int | None:
    """The host file descriptor behind ``f`` (a host stdin/stdout), if any."""
    fd = getattr(f.stream, "fd", None) if f.stream is not None else None
    return fd if isinstance(fd, int) else None


class MultiWait:
    """Sleeps until any of several wait queues is notified, or a signal comes.

    Subscribes to each queue once (:meth:`watch`); :meth:`close` unsubscribes.
    Host fds (:meth:`watch_host`) are armed on the kernel's
    :class:`~pyocclum.kernel.hostpoll.HostPoller` for each sleep. Take
    :meth:`token` before checking readiness, then :meth:`sleep` on it: a
    notify in between is never slept through.
    """

    __slots__ = ("_hosts", "_poller", "_queue", "_watched", "blind")

    def __init__(self, poller: HostPoller | None = None) -> None:
        self._queue = WaitQueue()
        self._watched: list[WaitQueue] = []
        self._poller = poller
        self._hosts: list[tuple[int, int]] = []
        #: Something watched cannot notify: sleeps are short naps.
        self.blind = False

    def watch(self, queue: WaitQueue | None) -> None:
        if queue is None:
            self.blind = True
            return
        queue.subscribe(self._queue.notify)
        self._watched.append(queue)

    def watch_file(self, f: OpenFile, events: int) -> None:
        """Watch ``f`` for ``events`` (``POLL*``): its wait queue, or its host fd."""
        queue = wait_queue(f)
        fd = host_fd(f) if queue is None else None
        if queue is None and fd is not None and self._poller is not None:
            self._hosts.append((fd, events & (POLLIN | POLLOUT | POLLPRI)))
        else:
            self.watch(queue)

    def token(self) -> int:
        return self._queue.token()

    def sleep(self, p: Process, token: int, timeout: float | None) -> None:
        """Sleep until a watched queue (or a signal, through ``p.wake``) notifies."""
        slice_ = BLIND_NAP if self.blind else WAIT_SLICE
        wait = slice_ if timeout is None else min(slice_, timeout)
        if wait <= 0:
            return
        since = self._queue.since(token)
        poller = self._poller
        if poller is not None:
            for fd, events in self._hosts:
                poller.arm(fd, events, self._queue)
        p.waiting_on = since
        try:
            # A signal sent before waiting_on was published did not wake us: look again.
            if p.kill_status is None and not p.sig.pending & ~p.sig.blocked:
                since.wait(wait)
        finally:
            p.waiting_on = None
            if poller is not None and self._hosts:
                poller.disarm(self._queue)

    def close(self) -> None:
        for q in self._watched:
            q.unsubscribe(self._queue.notify)
        self._watched.clear()

    def __enter__(self) -> MultiWait:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_fd_open(p: Process, fd: int) -> OpenFile:
    """The open file ``fd`` (EBADF if it is not open)."""
    if fd < 0:
        raise KernelError(Errno.EBADF, f"fd {fd} is not open")
    return p.fds.get(fd)
