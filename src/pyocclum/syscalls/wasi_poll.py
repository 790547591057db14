"""WASI's ``poll_oneoff``: clock timeouts and fd readiness (a part of
:class:`~pyocclum.syscalls.wasi.WasiSyscalls`).

Waiting sleeps on the wait queues of every fd subscribed to
(:class:`~pyocclum.kernel.readiness.MultiWait`): a pipe write, socket data
(the reactor's events), an eventfd... wakes it at once; a host fd (a terminal
as stdin) is armed on a :class:`~pyocclum.kernel.hostpoll.HostPoller`. A
socket's FD_READ event carries the bytes ready to read in ``nbytes`` (what
wasi-libc's ``ioctl(FIONREAD)`` answers).
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

from pyocclum.abi import wasi
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import EVENTRWFLAG_HANGUP, SUBCLOCKFLAG_ABSTIME, ClockId, EventType
from pyocclum.errors import KernelError
from pyocclum.kernel.hostpoll import HostPoller
from pyocclum.kernel.process import Process
from pyocclum.kernel.readiness import POLLERR, POLLHUP, POLLIN, POLLOUT, MultiWait
from pyocclum.net.socket import Socket
from pyocclum.syscalls.blocking import interrupted

_POLLER_LOCK = threading.Lock()


class _Sub(NamedTuple):
    userdata: int
    kind: int
    clock_id: int = 0
    timeout: int = 0
    flags: int = 0
    fd: int = 0
    #: For realtime/monotonic clocks: when it fires, on ``time.monotonic()``'s scale.
    deadline: float | None = None


class WasiPoll:
    """``poll_oneoff``; the clocks are the subclass's."""

    def clock_time_get(self, p: Process, clock_id: int, precision: int) -> int:
        raise NotImplementedError

    def poll_oneoff(self, p: Process, subs: list[tuple[int, int, bytes]]) -> list[tuple[int, ...]]:
        """Wait for the first of: clock timeouts and fd readiness. Returns events
        ``(userdata, errno, type, nbytes, flags)``."""
        if not subs:
            raise KernelError(Errno.EINVAL, "no subscriptions")
        parsed: list[_Sub] = []
        deadline: float | None = None
        for userdata, tag, body in subs:
            if tag == EventType.CLOCK:
                clock_id, timeout, _precision, flags = wasi.SUBSCRIPTION_CLOCK.unpack_from(body)
                if clock_id not in (ClockId.REALTIME, ClockId.MONOTONIC):
                    # wasmtime: only these two can be waited on; the call fails.
                    raise KernelError(Errno.EINVAL, f"cannot wait on clock {clock_id}")
                if flags & SUBCLOCKFLAG_ABSTIME:
                    rel = max(0, timeout - self.clock_time_get(p, clock_id, 0))
                else:
                    rel = timeout
                at = time.monotonic() + rel / 1e9
                deadline = at if deadline is None else min(deadline, at)
                parsed.append(_Sub(userdata, tag, clock_id, timeout, flags, deadline=at))
            elif tag in (EventType.FD_READ, EventType.FD_WRITE):
                (fd,) = wasi.SUBSCRIPTION_FD.unpack_from(body)
                # wasmtime: a bad fd or a directory fails the whole call (EBADF).
                if p.fds.get(fd).is_directory:
                    raise KernelError(Errno.EBADF, f"fd {fd} is a directory")
                parsed.append(_Sub(userdata, tag, fd=fd))
            else:
                raise KernelError(Errno.EINVAL, f"bad subscription type {tag}")
        with MultiWait(self._host_poller()) as waiter:
            for s in parsed:
                if s.kind != EventType.CLOCK:
                    f = p.fds.get(s.fd)
                    waiter.watch_file(f, POLLIN if s.kind == EventType.FD_READ else POLLOUT)
            while True:
                # The token first: a notify after the check below ends the sleep at once.
                token = waiter.token()
                events = self._ready_events(p, parsed)
                now = time.monotonic()
                if not events and deadline is not None and now >= deadline:
                    events = [
                        (s.userdata, 0, int(EventType.CLOCK), 0, 0)
                        for s in parsed
                        if s.deadline is not None and s.deadline <= now
                    ]
                if events:
                    return events
                if p.kill_status is not None or p.sig.pending & ~p.sig.blocked:
                    interrupted(p, restart=False)  # poll is never restarted (Linux)
                waiter.sleep(p, token, None if deadline is None else deadline - now)

    def _host_poller(self) -> HostPoller:
        """The thread that watches host fds (a terminal as stdin) for this kernel's
        ``poll_oneoff``; started on first use."""
        poller: HostPoller | None = getattr(self, "_hostpoll", None)
        if poller is None:
            with _POLLER_LOCK:
                poller = getattr(self, "_hostpoll", None)
                if poller is None:
                    poller = HostPoller()
                    self._hostpoll = poller
        return poller

    def _ready_events(self, p: Process, subs: list[_Sub]) -> list[tuple[int, ...]]:
        """The fd events that are ready now."""
        events: list[tuple[int, ...]] = []
        for s in subs:
            if s.kind == EventType.CLOCK:
                continue
            try:
                f = p.fds.get(s.fd)  # checked at the call; closed since by another thread
            except KernelError as e:
                events.append((s.userdata, int(e.errno), s.kind, 0, 0))
                continue
            if f.stream is None:
                nbytes = 0
                if s.kind == EventType.FD_READ and f.inode is not None and not f.is_directory:
                    nbytes = max(0, f.inode.stat().size - f.offset)
                events.append((s.userdata, 0, s.kind, nbytes, 0))
                continue
            stream = f.stream
            if isinstance(stream, Socket):
                mask = stream.poll_events()
                hup = EVENTRWFLAG_HANGUP if mask & POLLHUP else 0
                want = POLLIN if s.kind == EventType.FD_READ else POLLOUT
                if mask & (want | POLLERR) or hup:
                    # wasi-libc's ioctl(FIONREAD) reads nbytes of an FD_READ event.
                    nbytes = stream.nread() if s.kind == EventType.FD_READ else 1
                    events.append((s.userdata, 0, s.kind, nbytes, hup))
                continue
            hup = EVENTRWFLAG_HANGUP if stream.hung_up() else 0
            ready = stream.readable_now() if s.kind == EventType.FD_READ else stream.writable_now()
            if ready or hup:
                # A pipe's FD_READ carries its buffered count (FIONREAD, as for sockets).
                nread = getattr(stream, "nread", None) if s.kind == EventType.FD_READ else None
                nbytes = nread() if nread is not None else 1
                events.append((s.userdata, 0, s.kind, nbytes, hup))
        return events
