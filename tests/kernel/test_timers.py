"""kernel/timers.py: one thread running callbacks at deadlines."""

from __future__ import annotations

import threading
import time

from pyocclum.kernel.timers import Timers


def test_timers_run_in_deadline_order_and_cancel() -> None:
    timers = Timers()
    ran: list[int] = []
    done = threading.Event()
    now = time.monotonic()
    timers.at(now + 0.03, lambda: ran.append(2))
    h = timers.at(now + 0.02, lambda: ran.append(99))
    timers.at(now + 0.01, lambda: ran.append(1))
    timers.at(now + 0.05, done.set)
    timers.cancel(h)
    assert done.wait(5)
    assert ran == [1, 2]
    assert timers.pending() == 0


def test_an_earlier_deadline_added_later_wakes_the_thread() -> None:
    timers = Timers()
    done = threading.Event()
    timers.at(time.monotonic() + 60, lambda: None)  # the thread sleeps towards this one
    start = time.monotonic()
    timers.at(time.monotonic() + 0.02, done.set)
    assert done.wait(5)
    assert time.monotonic() - start < 2
