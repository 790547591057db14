"""``epoll``: an interest list of open files and a ready list, as Linux's eventpoll.

Each registration (:class:`Item`, keyed by fd number and open file, as
Linux) subscribes to its file's wait queue; a notify puts it at the tail of
the ready list and notifies the epoll's own queue (which ``epoll_wait``
sleeps on, and which an outer epoll or ``poll`` watches: an epoll fd is
itself pollable, readable while something on its ready list is ready).

:meth:`Epoll.collect` is Linux's ``ep_send_events``: it takes the ready
list, asks each item's file for its events now, reports those asked for
(``EPOLLERR``/``EPOLLHUP`` always), and

* level-triggered: puts a reported item back at the tail (so it is reported
  again while it stays ready, and others get their turn under ``maxevents``);
* ``EPOLLET``: does not (the next notify of the file queues it again);
* ``EPOLLONESHOT``: disables the item until ``EPOLL_CTL_MOD`` re-arms it.

Items not reached because of ``maxevents`` stay at the head. A registration
disappears when its open file description is closed everywhere (Linux's
``eventpoll_release``); a file whose stream has no wait queue (a host fd) is
re-checked on every collect.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Stream
from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.readiness import POLLERR, POLLHUP, POLLIN, POLLRDNORM, poll_events

EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET = 1 << 28, 1 << 29, 1 << 30, 1 << 31
#: Bits that are not events (Linux's EP_PRIVATE_BITS).
PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
#: Linux's EP_MAX_NESTS: epoll sets nest at most this deep.
MAX_NESTS = 4


class Item:
    """One registration: ``fd`` (and its open file) with ``events`` and ``data``."""

    __slots__ = ("data", "epoll", "events", "fd", "file", "queue")

    def __init__(self, epoll: Epoll, fd: int, file: OpenFile, events: int, data: int) -> None:
        self.epoll = epoll
        self.fd = fd
        self.file = file
        self.events = events
        self.data = data
        self.queue = file.stream.waitq if file.stream is not None else None

    def wake(self) -> None:
        """The file's wait queue was notified: queue this item as maybe ready."""
        self.epoll._queue_ready(self)

    @property
    def disabled(self) -> bool:
        """An ``EPOLLONESHOT`` item that fired (no events left until MOD)."""
        return not self.events & ~PRIVATE_BITS


class Epoll(Stream):
    """One epoll instance (the stream behind an epoll fd)."""

    def __init__(self) -> None:
        self.queue = WaitQueue()
        self.waitq = self.queue
        self._lock = threading.RLock()
        self._items: dict[tuple[int, int], Item] = {}
        # OrderedDict as an ordered set: the ready list.
        self._ready: OrderedDict[tuple[int, int], Item] = OrderedDict()
        self._closed = False

    # -- the interest list ----------------------------------------------------------
    @staticmethod
    def _key(fd: int, file: OpenFile) -> tuple[int, int]:
        return fd, id(file)

    def add(self, fd: int, file: OpenFile, events: int, data: int) -> None:
        """``EPOLL_CTL_ADD`` (the caller has checked the file can be polled and loops)."""
        key = self._key(fd, file)
        with self._lock:
            self._prune()
            if key in self._items:
                raise KernelError(Errno.EEXIST, f"fd {fd} is already registered")
            # Linux adds EPOLLERR|EPOLLHUP to what is asked (do_epoll_ctl): they
            # are always reported, and only a fired one-shot has no events left.
            item = Item(self, fd, file, events | POLLERR | POLLHUP, data)
            self._items[key] = item
            if item.queue is not None:
                item.queue.subscribe(item.wake)
        # Linux checks readiness at once (ep_insert). Outside the lock: queuing
        # notifies watchers (an outer epoll takes its own lock).
        self._queue_ready(item)

    def modify(self, fd: int, file: OpenFile, events: int, data: int) -> None:
        """``EPOLL_CTL_MOD``: new events and data (re-arms a fired one-shot)."""
        with self._lock:
            self._prune()
            item = self._items.get(self._key(fd, file))
            if item is None:
                raise KernelError(Errno.ENOENT, f"fd {fd} is not registered")
            if item.events & EPOLLEXCLUSIVE:
                raise KernelError(Errno.EINVAL, "an EPOLLEXCLUSIVE registration cannot change")
            item.events = events | POLLERR | POLLHUP
            item.data = data
        self._queue_ready(item)

    def delete(self, fd: int, file: OpenFile) -> None:
        """``EPOLL_CTL_DEL``."""
        with self._lock:
            self._prune()
            item = self._items.pop(self._key(fd, file), None)
            if item is None:
                raise KernelError(Errno.ENOENT, f"fd {fd} is not registered")
            self._forget(item)

    def _forget(self, item: Item) -> None:
        self._ready.pop(self._key(item.fd, item.file), None)
        if item.queue is not None:
            item.queue.unsubscribe(item.wake)

    def _prune(self) -> None:
        """Drop registrations whose open file is closed everywhere (lock held)."""
        for key, item in list(self._items.items()):
            if item.file.closed:
                del self._items[key]
                self._forget(item)

    def watched_epolls(self) -> list[Epoll]:
        """The epoll instances registered in this one (for loop and depth checks)."""
        with self._lock:
            return [i.file.stream for i in self._items.values()
                    if isinstance(i.file.stream, Epoll) and not i.file.closed]

    def __len__(self) -> int:
        with self._lock:
            self._prune()
            return len(self._items)

    # -- the ready list -------------------------------------------------------------
    def _queue_ready(self, item: Item) -> None:
        with self._lock:
            key = self._key(item.fd, item.file)
            if self._items.get(key) is not item or item.disabled:
                return
            self._ready[key] = item
        self.queue.notify()

    def collect(self, maxevents: int) -> list[tuple[int, int]]:
        """Up to ``maxevents`` ``(events, data)`` ready now (see the module docstring)."""
        out: list[tuple[int, int]] = []
        with self._lock:
            self._prune()
            for item in self._items.values():
                if item.queue is None and not item.disabled:
                    self._ready.setdefault(self._key(item.fd, item.file), item)
            tx = self._ready
            self._ready = OrderedDict()
            requeue: list[tuple[tuple[int, int], Item]] = []
            while tx and len(out) < maxevents:
                key, item = tx.popitem(last=False)
                if item.disabled:
                    continue
                revents = poll_events(item.file) & item.events
                if not revents:
                    continue
                out.append((revents, item.data))
                if item.events & EPOLLONESHOT:
                    item.events &= PRIVATE_BITS
                elif not item.events & EPOLLET:
                    requeue.append((key, item))
            # Not reached: back at the head; then whatever came in meanwhile; then
            # the level-triggered ones just reported.
            tx.update(self._ready)
            for key, item in requeue:
                tx.setdefault(key, item)
            self._ready = tx
        return out

    def poll_events(self) -> int:
        """Readable while an item on the ready list is ready (Linux's ep_eventpoll_poll)."""
        with self._lock:
            self._prune()
            for item in list(self._ready.values()):
                if item.disabled:
                    continue
                if poll_events(item.file) & item.events:
                    return POLLIN | POLLRDNORM
            for item in self._items.values():
                if item.queue is None and not item.disabled and (
                    poll_events(item.file) & item.events
                ):
                    return POLLIN | POLLRDNORM
        return 0

    def readable_now(self) -> bool:
        return bool(self.poll_events())

    def unqueued(self) -> list[tuple[OpenFile, int]]:
        """``(file, events)`` of the registrations whose file has no wait queue
        (host fds: a wait must arm them itself), and of nested epoll sets that
        hold such files (those can only be re-checked)."""
        with self._lock:
            out = [(i.file, i.events) for i in self._items.values()
                   if i.queue is None and not i.disabled]
            nested = [i.file for i in self._items.values()
                      if isinstance(i.file.stream, Epoll) and not i.disabled]
        for f in nested:
            assert isinstance(f.stream, Epoll)
            if f.stream.unqueued():
                out.append((f, 0))  # seen only through the inner set: re-check
        return out

    def read(self, size: int) -> bytes:
        raise KernelError(Errno.EINVAL, "an epoll fd cannot be read")

    def write(self, data: bytes) -> int:
        raise KernelError(Errno.EINVAL, "an epoll fd cannot be written")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for item in self._items.values():
                self._forget(item)
            self._items.clear()
            self._ready.clear()


def reaches(start: Epoll, target: Epoll, depth: int = 0) -> bool:
    """Can ``start`` see ``target`` through nested registrations?"""
    if start is target:
        return True
    if depth > MAX_NESTS:
        return False
    return any(reaches(inner, target, depth + 1) for inner in start.watched_epolls())


def nest_depth(ep: Epoll, depth: int = 0) -> int:
    """How deep epoll sets nest below ``ep`` (0: it watches no epoll)."""
    if depth > MAX_NESTS:
        return depth
    inner = ep.watched_epolls()
    return max((1 + nest_depth(i, depth + 1) for i in inner), default=0)
