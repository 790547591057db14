"""``timerfd``: a timer whose expirations are read through a file descriptor.

Linux's semantics (fs/timerfd.c): ``settime`` arms the timer (``value`` 0
disarms it) to expire at ``value`` (relative, or absolute on the timer's clock
with ``TFD_TIMER_ABSTIME``) and then every ``interval`` (0: once); ``read`` of
at least 8 bytes returns the number of expirations since the last read and
resets it (``WouldBlock`` while there were none; EINVAL below 8 bytes);
``gettime`` gives the time to the next expiration and the interval. The fd is
readable while expirations are waiting.

Expirations are counted from the clock when asked (never lost, whatever the
timer thread's latency); the kernel's :class:`~pyocclum.kernel.timers.Timers`
thread only notifies the wait queue at each expiration, so that sleepers in
``read``, ``poll`` and ``epoll_wait`` wake.
"""

from __future__ import annotations

import struct
import threading
import time

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.types import Stream
from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.readiness import POLLIN, POLLRDNORM
from pyocclum.kernel.timers import Timers

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME = 0, 1, 7
CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM = 8, 9
#: Clocks a timerfd may use (Linux: the alarm clocks need CAP_WAKE_ALARM; root has it).
CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM,
          CLOCK_BOOTTIME_ALARM)
TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 1, 2
_U64 = struct.Struct("<Q")
_NS = 1_000_000_000


def clock_now(clock: int) -> int:
    """Nanoseconds on ``clock`` (the same clocks ``clock_gettime`` reads)."""
    if clock in (CLOCK_REALTIME, CLOCK_REALTIME_ALARM):
        return time.time_ns()
    return time.monotonic_ns()


def check_timespec(sec: int, nsec: int) -> int:
    """Nanoseconds of a ``struct timespec`` (EINVAL if it is not a valid one)."""
    if sec < 0 or not 0 <= nsec < _NS:
        raise KernelError(Errno.EINVAL, f"bad timespec {{{sec}, {nsec}}}")
    return sec * _NS + nsec


class TimerFd(Stream):
    """One timerfd object."""

    __slots__ = ("_handle", "_lock", "_timers", "clock", "expired", "interval", "next_ns",
                 "queue", "waitq")

    def __init__(self, clock: int, timers: Timers) -> None:
        self.clock = clock
        self._timers = timers
        self._lock = threading.Lock()
        self.queue = WaitQueue()
        self.waitq = self.queue
        #: Next expiration on ``clock`` (ns), or 0 when disarmed.
        self.next_ns = 0
        self.interval = 0
        #: Expirations counted but not read yet.
        self.expired = 0
        self._handle = 0

    # -- the clock -----------------------------------------------------------------
    def _advance(self, now: int) -> None:
        """Count the expirations up to ``now`` (lock held)."""
        if self.next_ns == 0 or now < self.next_ns:
            return
        if self.interval:
            n = 1 + (now - self.next_ns) // self.interval
            self.expired += n
            self.next_ns += n * self.interval
        else:
            self.expired += 1
            self.next_ns = 0

    def _schedule(self) -> None:
        """Have the timer thread notify at the next expiration (lock held)."""
        if self._handle:
            self._timers.cancel(self._handle)
            self._handle = 0
        if self.next_ns:
            delay = max(0, self.next_ns - clock_now(self.clock)) / _NS
            self._handle = self._timers.at(time.monotonic() + delay, self._fire)

    def _fire(self) -> None:
        with self._lock:
            self._handle = 0
            self._advance(clock_now(self.clock))
            if self.next_ns and self.interval:
                self._schedule()  # the next period (only while someone may look)
        self.queue.notify()

    # -- the calls -------------------------------------------------------------------
    def settime(self, flags: int, value_ns: int, interval_ns: int) -> tuple[int, int]:
        """Arm (``value_ns`` > 0) or disarm (0); returns the old ``gettime``."""
        with self._lock:
            old = self._gettime()
            self.expired = 0
            self.interval = interval_ns
            if value_ns == 0:
                self.next_ns = 0
            elif flags & TFD_TIMER_ABSTIME:
                # An absolute time already past expires at once (Linux).
                self.next_ns = max(value_ns, 1)
            else:
                self.next_ns = clock_now(self.clock) + value_ns
            self._advance(clock_now(self.clock))
            self._schedule()
        self.queue.notify()
        return old

    def gettime(self) -> tuple[int, int]:
        """``(ns to the next expiration, interval ns)``; (0, interval) when disarmed."""
        with self._lock:
            return self._gettime()

    def _gettime(self) -> tuple[int, int]:
        self._advance(clock_now(self.clock))
        if self.next_ns == 0:
            return 0, self.interval
        return max(1, self.next_ns - clock_now(self.clock)), self.interval

    def read(self, size: int) -> bytes:
        if size < 8:
            raise KernelError(Errno.EINVAL, "timerfd reads need 8 bytes")
        with self._lock:
            token = self.queue.token()
            self._advance(clock_now(self.clock))
            if self.expired == 0:
                raise WouldBlock(self.queue.since(token))
            n, self.expired = self.expired, 0
        return _U64.pack(n)

    def write(self, data: bytes) -> int:
        raise KernelError(Errno.EINVAL, "a timerfd cannot be written")

    def poll_events(self) -> int:
        with self._lock:
            self._advance(clock_now(self.clock))
            return POLLIN | POLLRDNORM if self.expired else 0

    def readable_now(self) -> bool:
        return bool(self.poll_events())

    def close(self) -> None:
        with self._lock:
            self.next_ns = 0
            self._schedule()
