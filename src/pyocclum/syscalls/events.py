"""Events (``occlum`` ABI version 3): epoll, poll, eventfd, timerfd, and the rest.

Values are Linux's (``EPOLL*``, ``POLL*``, ``O_NONBLOCK``/``O_CLOEXEC`` in
flags, clock ids). Every wait sleeps on the wait queues of what it watches
(:mod:`pyocclum.kernel.readiness`): a write to a pipe, an eventfd or an
expiring timerfd wakes the sleeper, and a host descriptor (a terminal as
stdin) is armed on the kernel's :class:`HostPoller` thread; nothing polls in a
loop. ``poll`` and ``epoll_pwait`` are never restarted after a signal handler
(EINTR, as Linux). See ``docs/abi.md``,
"Events and the rest".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import RIGHTS_STREAM, FdFlags, FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Stream
from pyocclum.kernel.epoll import (
    EPOLL_CTL_ADD,
    EPOLL_CTL_DEL,
    EPOLL_CTL_MOD,
    EPOLLEXCLUSIVE,
    EPOLLWAKEUP,
    MAX_NESTS,
    Epoll,
    nest_depth,
    reaches,
)
from pyocclum.kernel.eventfd import EFD_SEMAPHORE, EventFd
from pyocclum.kernel.hostpoll import HostPoller
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process, current_thread
from pyocclum.kernel.procsource import COMM_MAX, comm_of, host_cpus
from pyocclum.kernel.readiness import (
    POLLERR,
    POLLHUP,
    POLLNVAL,
    MultiWait,
    can_poll,
    poll_events,
)
from pyocclum.kernel.signals import UNBLOCKABLE_MASK
from pyocclum.kernel.threads import Thread
from pyocclum.kernel.timerfd import CLOCKS, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET, TimerFd
from pyocclum.kernel.timerfd import check_timespec as _timespec_ns
from pyocclum.kernel.timers import Timers
from pyocclum.syscalls import events_table
from pyocclum.syscalls import spec as S
from pyocclum.syscalls.blocking import interrupted
from pyocclum.syscalls.events_table import EPOLL_EVENT, POLLFD

T = TypeVar("T")

O_NONBLOCK, O_CLOEXEC = 0x800, 0x80000
EPOLL_CLOEXEC = O_CLOEXEC
EFD_FLAGS = EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC
TFD_FLAGS = O_NONBLOCK | O_CLOEXEC
#: Linux's EP_MAX_EVENTS (INT_MAX / sizeof(struct epoll_event)).
EP_MAX_EVENTS = 0x7FFFFFFF // 12
_NS = 1_000_000_000
PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2
#: A private ``events`` bit of the poll call: report exactly the events asked
#: for, without the implicit POLLERR|POLLHUP (libocclum's select: an fd wakes
#: select only for the sets it is in, as Linux's do_select).
POLL_EXACT = 0x8000


def _short(v: int) -> int:
    """``v`` as a C ``short`` (pollfd's events and revents)."""
    return ((v & 0xFFFF) ^ 0x8000) - 0x8000


def _ns_pair(ns: int) -> tuple[int, int]:
    return ns // _NS, ns % _NS


class EventsSyscalls:
    """Handlers of the events calls for one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.timers = Timers()
        self.hostpoll = HostPoller()
        #: Names of threads other than the main one: (pid, tid) -> (thread, name).
        self._thread_comms: dict[tuple[int, int], tuple[Thread, str]] = {}
        self._comm_lock = threading.Lock()

    # == helpers ====================================================================
    def _install(self, p: Process, stream: Stream, name: str, flags: int) -> int:
        f = OpenFile(
            inode=None, stream=stream, path=f"anon_inode:[{name}]", filetype=FileType.UNKNOWN,
            readable=True, writable=True,
            fdflags=int(FdFlags.NONBLOCK) if flags & O_NONBLOCK else 0,
            rights_base=RIGHTS_STREAM,
        )
        return p.fds.install_new(f, cloexec=bool(flags & O_CLOEXEC))

    def _wait(
        self,
        p: Process,
        check: Callable[[], T | None],
        waiter: MultiWait,
        timeout_ns: int,
        sigmask: tuple[int] | None,
    ) -> T | None:
        """Call ``check`` until it answers (returned), the timeout passes (None;
        ``timeout_ns`` < 0: never) or a signal interrupts (EINTR), with the signal
        mask ``sigmask`` (if given) in force meanwhile. ``check`` runs at least once."""
        deadline = None if timeout_ns < 0 else time.monotonic() + timeout_ns / 1e9
        saved = 0
        if sigmask is not None:
            with p.lock:
                saved = p.sig.blocked
                p.sig.blocked = sigmask[0] & ~UNBLOCKABLE_MASK
        try:
            while True:
                token = waiter.token()
                found = check()
                if found is not None:
                    return found
                if p.kill_status is not None or p.sig.pending & ~p.sig.blocked:
                    interrupted(p, restart=False)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                waiter.sleep(p, token, remaining)
        finally:
            if sigmask is not None:
                with p.lock:
                    p.sig.blocked = saved

    # == epoll ======================================================================
    def epoll_create1(self, p: Process, flags: int) -> int:
        if flags & ~EPOLL_CLOEXEC:
            raise KernelError(Errno.EINVAL, f"bad epoll_create1 flags {flags:#x}")
        return self._install(p, Epoll(), "eventpoll", flags)

    def _epoll(self, p: Process, epfd: int) -> Epoll:
        ep = p.fds.get(epfd).stream
        if not isinstance(ep, Epoll):
            raise KernelError(Errno.EINVAL, f"fd {epfd} is not an epoll fd")
        return ep

    def epoll_ctl(
        self, p: Process, epfd: int, op: int, fd: int, event: tuple[int, int] | None
    ) -> None:
        """Linux's checks, in Linux's order: EFAULT, EBADF, EPERM, EINVAL, ELOOP,
        then EEXIST/ENOENT."""
        if op in (EPOLL_CTL_ADD, EPOLL_CTL_MOD) and event is None:
            raise KernelError(Errno.EFAULT, "no event given")
        ef = p.fds.get(epfd)
        tf = p.fds.get(fd)
        if not can_poll(tf):
            raise KernelError(Errno.EPERM, f"fd {fd} cannot be polled (a regular file?)")
        ep = ef.stream
        if tf is ef or not isinstance(ep, Epoll):
            raise KernelError(Errno.EINVAL, f"fd {epfd} is not an epoll fd, or is fd {fd}")
        events, data = event or (0, 0)
        events &= ~EPOLLWAKEUP  # needs CAP_BLOCK_SUSPEND; Linux drops it silently too
        target = tf.stream
        exclusive = event is not None and events & EPOLLEXCLUSIVE
        if exclusive and (op == EPOLL_CTL_MOD or isinstance(target, Epoll)):
            raise KernelError(Errno.EINVAL, "EPOLLEXCLUSIVE here")
        if op == EPOLL_CTL_ADD:
            if isinstance(target, Epoll) and (
                reaches(target, ep) or nest_depth(target) + 1 > MAX_NESTS
            ):
                raise KernelError(Errno.ELOOP, "epoll sets would form a loop or nest too deep")
            ep.add(fd, tf, events, data)
        elif op == EPOLL_CTL_MOD:
            ep.modify(fd, tf, events, data)
        elif op == EPOLL_CTL_DEL:
            ep.delete(fd, tf)
        else:
            raise KernelError(Errno.EINVAL, f"bad epoll_ctl op {op}")

    def epoll_pwait(
        self, p: Process, epfd: int, cap: int, timeout_ns: int, sigmask: tuple[int] | None
    ) -> tuple[bytes, int]:
        """Up to ``cap // 12`` events as packed ``struct epoll_event``s, and their count."""
        maxevents = cap // EPOLL_EVENT.size
        if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
            raise KernelError(Errno.EINVAL, f"bad maxevents {maxevents}")
        ep = self._epoll(p, epfd)
        with MultiWait(self.hostpoll) as waiter:
            waiter.watch(ep.waitq)
            for f, wanted in ep.unqueued():
                if isinstance(f.stream, Epoll):
                    waiter.watch(None)  # a host fd inside a nested set: re-check it
                else:
                    waiter.watch_file(f, wanted)
            found = self._wait(p, lambda: ep.collect(maxevents) or None, waiter, timeout_ns,
                               sigmask)
        events = found or []
        return b"".join(EPOLL_EVENT.pack(ev, data) for ev, data in events), len(events)

    # == poll =======================================================================
    def poll(
        self,
        p: Process,
        fds: list[tuple[int, int, int]],
        cap: int,
        timeout_ns: int,
        sigmask: tuple[int] | None,
    ) -> tuple[bytes, int]:
        """Linux ``ppoll``: the ``struct pollfd`` array back with ``revents`` set,
        and how many have any. A negative fd is skipped (revents 0); one that is
        not open gets POLLNVAL. ``events`` with :data:`POLL_EXACT` get exactly
        what they ask for (select)."""
        if len(fds) > p.fds.max_fds or cap < len(fds) * POLLFD.size:
            raise KernelError(Errno.EINVAL, f"too many fds for poll ({len(fds)})")
        files: list[OpenFile | None] = []
        for fd, _, _ in fds:
            files.append(p.fds.get(fd) if fd >= 0 and fd in p.fds else None)

        def check() -> list[int] | None:
            revents = []
            for (fd, events, _), f in zip(fds, files, strict=True):
                if fd < 0:
                    revents.append(0)
                elif f is None or f.closed:
                    revents.append(POLLNVAL)
                else:
                    asked = events & 0xFFFF
                    want = asked & ~POLL_EXACT if asked & POLL_EXACT else (
                        asked | POLLERR | POLLHUP)
                    revents.append(poll_events(f) & want)
            return revents if any(revents) else None

        with MultiWait(self.hostpoll) as waiter:
            seen: set[int] = set()
            for (_, events, _), f in zip(fds, files, strict=True):
                if f is not None and id(f) not in seen:
                    seen.add(id(f))
                    waiter.watch_file(f, events & 0xFFFF)
            found = self._wait(p, check, waiter, timeout_ns, sigmask)
        revents = found or [0] * len(fds)
        out = b"".join(POLLFD.pack(fd, _short(ev), _short(r))
                       for (fd, ev, _), r in zip(fds, revents, strict=True))
        return out, sum(1 for r in revents if r)

    # == eventfd ====================================================================
    def eventfd2(self, p: Process, initval: int, flags: int) -> int:
        if flags & ~EFD_FLAGS:
            raise KernelError(Errno.EINVAL, f"bad eventfd flags {flags:#x}")
        return self._install(p, EventFd(initval, bool(flags & EFD_SEMAPHORE)), "eventfd", flags)

    # == timerfd ====================================================================
    def timerfd_create(self, p: Process, clock: int, flags: int) -> int:
        if clock not in CLOCKS:
            raise KernelError(Errno.EINVAL, f"timerfd on clock {clock}")
        if flags & ~TFD_FLAGS:
            raise KernelError(Errno.EINVAL, f"bad timerfd_create flags {flags:#x}")
        return self._install(p, TimerFd(clock, self.timers), "timerfd", flags)

    def _timerfd(self, p: Process, fd: int) -> TimerFd:
        t = p.fds.get(fd).stream
        if not isinstance(t, TimerFd):
            raise KernelError(Errno.EINVAL, f"fd {fd} is not a timerfd")
        return t

    def timerfd_settime(
        self, p: Process, fd: int, flags: int, new: tuple[int, int, int, int] | None
    ) -> tuple[int, int, int, int]:
        if new is None:
            raise KernelError(Errno.EFAULT, "no new value")
        if flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET):
            raise KernelError(Errno.EINVAL, f"bad timerfd_settime flags {flags:#x}")
        isec, insec, vsec, vnsec = new
        interval, value = _timespec_ns(isec, insec), _timespec_ns(vsec, vnsec)
        t = self._timerfd(p, fd)
        old_value, old_interval = t.settime(flags, value, interval)
        return (*_ns_pair(old_interval), *_ns_pair(old_value))

    def timerfd_gettime(self, p: Process, fd: int) -> tuple[int, int, int, int]:
        value, interval = self._timerfd(p, fd).gettime()
        return (*_ns_pair(interval), *_ns_pair(value))

    # == the rest ===================================================================
    def cpu_count(self, p: Process) -> int:
        """CPUs the enclave may run on: the host's (those this LibOS may use)."""
        return host_cpus()

    def set_comm(self, p: Process, name: bytes) -> None:
        """``prctl(PR_SET_NAME)``: the first 15 bytes (up to a NUL) name the calling
        thread; the main thread's name is the process's, in ``/proc/<pid>/comm``
        and ``status``, until the next ``execve``."""
        text = name.split(b"\0", 1)[0][:COMM_MAX].decode("utf-8", "surrogateescape")
        thread = current_thread()
        if thread is None or thread is p.threads.main:
            p.comm = (p.argv, text)
            return
        with self._comm_lock:
            for key, (t, _) in list(self._thread_comms.items()):
                owner = self._owner_of(key[0])
                if owner is None or owner.threads.get(key[1]) is not t:
                    del self._thread_comms[key]  # that thread has gone
            self._thread_comms[(p.pid, thread.tid)] = (thread, text)

    def _owner_of(self, pid: int) -> Process | None:
        try:
            return self.kernel.process(pid)
        except KernelError:
            return None

    def get_comm(self, p: Process, size: int) -> bytes:
        """``prctl(PR_GET_NAME)``: the calling thread's name, NUL-terminated (at most
        16 bytes); a thread that set none has the process's."""
        thread = current_thread()
        text = comm_of(p)
        if thread is not None and thread is not p.threads.main:
            with self._comm_lock:
                named = self._thread_comms.get((p.pid, thread.tid))
            if named is not None and named[0] is thread:
                text = named[1]
        out = text.encode("utf-8", "surrogateescape")[:COMM_MAX] + b"\0"
        if len(out) > size:
            raise KernelError(Errno.ERANGE, "buffer too small for the name")
        return out

    def _priority_target(self, p: Process, which: int, who: int) -> list[Process]:
        if which == PRIO_PROCESS:
            if who == 0:
                return [p]
            return [q for q in self.kernel.live_processes() if q.pid == who]
        if which == PRIO_PGRP:
            pgid = who or p.pgid
            return [q for q in self.kernel.live_processes() if q.pgid == pgid]
        if which == PRIO_USER:
            # Every process runs as root (uid 0).
            return self.kernel.live_processes() if who == 0 else []
        raise KernelError(Errno.EINVAL, f"bad getpriority which {which}")

    def getpriority(self, p: Process, which: int, who: int) -> int:
        """Linux's raw getpriority: ``20 - nice`` of the nicest target (1..40)."""
        targets = self._priority_target(p, which, who)
        if not targets:
            raise KernelError(Errno.ESRCH, f"no process for which={which} who={who}")
        return 20 - min(q.nice for q in targets)

    def setpriority(self, p: Process, which: int, who: int, nice: int) -> None:
        """Record ``nice`` (clamped to -20..19) on every target; it changes nothing
        else: the host schedules the LibOS's threads."""
        targets = self._priority_target(p, which, who)
        if not targets:
            raise KernelError(Errno.ESRCH, f"no process for which={which} who={who}")
        for q in targets:
            q.nice = max(-20, min(19, nice))

    # == the table ==================================================================
    def table(self) -> list[S.Syscall]:
        return events_table.table(lambda name: getattr(self, name))


__all__ = ["EPOLL_EVENT", "POLLFD", "EventsSyscalls"]
