"""kernel/timerfd.py: expirations counted from the clock, waiters notified by
the timer thread."""

from __future__ import annotations

import struct
import time

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.kernel.timerfd import (
    CLOCK_MONOTONIC,
    TFD_TIMER_ABSTIME,
    TimerFd,
    check_timespec,
    clock_now,
)
from pyocclum.kernel.timers import Timers

MS = 1_000_000


def test_one_shot_counts_one_expiration_and_notifies() -> None:
    t = TimerFd(CLOCK_MONOTONIC, Timers())
    token = t.queue.token()
    t.settime(0, 20 * MS, 0)
    with pytest.raises(WouldBlock) as wb:
        t.read(8)
    wb.value.waitable.wait(5)  # the timer thread notifies at expiry
    assert t.queue.token() != token
    assert t.read(8) == struct.pack("<Q", 1)
    assert t.gettime() == (0, 0)


def test_interval_counts_every_period() -> None:
    t = TimerFd(CLOCK_MONOTONIC, Timers())
    t.settime(0, 10 * MS, 10 * MS)
    time.sleep(0.055)
    (n,) = struct.unpack("<Q", t.read(8))
    assert 4 <= n <= 7
    left, interval = t.settime(0, 0, 0)
    assert interval == 10 * MS
    assert 0 < left <= 10 * MS
    assert t.poll_events() == 0


def test_absolute_time_in_the_past_fires_at_once() -> None:
    t = TimerFd(CLOCK_MONOTONIC, Timers())
    t.settime(TFD_TIMER_ABSTIME, clock_now(CLOCK_MONOTONIC) - 1000 * MS, 0)
    assert t.read(8) == struct.pack("<Q", 1)


def test_bad_timespecs_and_short_reads() -> None:
    for sec, nsec in ((-1, 0), (0, -1), (0, 1_000_000_000)):
        with pytest.raises(KernelError) as e:
            check_timespec(sec, nsec)
        assert e.value.errno == Errno.EINVAL
    with pytest.raises(KernelError) as e:
        TimerFd(CLOCK_MONOTONIC, Timers()).read(4)
    assert e.value.errno == Errno.EINVAL


def test_close_cancels_the_pending_notification() -> None:
    timers = Timers()
    t = TimerFd(CLOCK_MONOTONIC, timers)
    t.settime(0, 10_000 * MS, 0)
    assert timers.pending() == 1
    t.close()
    assert timers.pending() == 0
