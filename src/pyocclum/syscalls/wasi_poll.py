"""WASI's ``poll_oneoff``: clock timeouts and fd readiness (a part of
:class:`~pyocclum.syscalls.wasi.WasiSyscalls`)."""

from __future__ import annotations

import time
from typing import NamedTuple

from pyocclum.abi import wasi
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import EVENTRWFLAG_HANGUP, SUBCLOCKFLAG_ABSTIME, ClockId, EventType
from pyocclum.errors import KernelError, Waitable
from pyocclum.kernel.process import Process
from pyocclum.syscalls.blocking import WAIT_SLICE, interrupted


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
        while True:
            waiters: list[Waitable] = []
            events: list[tuple[int, ...]] = []
            blind = self._ready_events(p, parsed, events, waiters)
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
            wait = WAIT_SLICE if deadline is None else max(0.0, min(WAIT_SLICE, deadline - now))
            if len(waiters) == 1 and not blind:
                p.waiting_on = waiters[0]
                try:
                    waiters[0].wait(wait)
                finally:
                    p.waiting_on = None
            elif wait > 0:
                # Several objects (or one that cannot be waited on): short naps.
                time.sleep(min(wait, 0.002) if waiters or blind else wait)

    def _ready_events(
        self,
        p: Process,
        subs: list[_Sub],
        events: list[tuple[int, ...]],
        waiters: list[Waitable],
    ) -> bool:
        """Append the events that are ready now, and a waitable for each stream that
        is not. Returns True if some stream cannot be waited on (no wait queue)."""
        blind = False
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
            queue = stream.waitq
            token = queue.token() if queue is not None else 0  # before looking: no lost wake-up
            hup = EVENTRWFLAG_HANGUP if stream.hung_up() else 0
            ready = stream.readable_now() if s.kind == EventType.FD_READ else stream.writable_now()
            if ready or hup:
                events.append((s.userdata, 0, s.kind, 1, hup))
            elif queue is not None:
                waiters.append(queue.since(token))
            else:
                blind = True
        return blind
