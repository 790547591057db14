"""kernel/placement.py: pins on the caller's CPU, lifted when they expire or
the wait ends, and never when placement is off."""

from __future__ import annotations

import os
import threading
import time

import pytest

from pyocclum.kernel import placement as pl
from pyocclum.kernel.placement import Placement

MASK = os.sched_getaffinity(0)


def _can_pin() -> bool:
    try:
        os.sched_setaffinity(0, MASK)
    except OSError:
        return False
    return len(MASK) > 1


needs_pins = pytest.mark.skipif(not _can_pin(), reason="needs 2 CPUs and sched_setaffinity")


def _in_thread() -> tuple[int, threading.Event]:
    """A thread that waits until the returned event is set; its native id."""
    stop = threading.Event()
    started = threading.Event()
    tid = [0]

    def run() -> None:
        tid[0] = threading.get_native_id()
        started.set()
        stop.wait(10)

    threading.Thread(target=run, daemon=True).start()
    assert started.wait(5)
    return tid[0], stop


@needs_pins
def test_place_pins_and_release_expired_lifts_only_old_pins() -> None:
    p = Placement(enabled=True)
    assert p.enabled
    cpu = max(MASK)
    old, stop_old = _in_thread()
    new, stop_new = _in_thread()
    try:
        p.place(old, cpu)
        assert os.sched_getaffinity(old) == {cpu}
        time.sleep(pl.PIN_SECONDS * 2)
        p.place(new, cpu)
        p.release_expired()
        assert os.sched_getaffinity(old) == MASK
        assert os.sched_getaffinity(new) == {cpu}
        p.release(new)
        assert os.sched_getaffinity(new) == MASK
    finally:
        stop_old.set()
        stop_new.set()


@needs_pins
def test_waiting_keeps_the_caller_on_its_cpu_until_the_wait_ends() -> None:
    p = Placement(enabled=True)
    with p.waiting():
        inside = os.sched_getaffinity(0)
        here = p.here()
    assert here is not None
    assert inside == {here}
    assert os.sched_getaffinity(0) == MASK


def test_off_by_switch_or_with_one_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pl.SWITCH, "0")
    off = Placement()
    assert not off.enabled
    assert off.here() is None
    with off.waiting():
        assert os.sched_getaffinity(0) == MASK
    monkeypatch.delenv(pl.SWITCH)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not Placement().enabled


def test_a_thread_that_has_ended_is_ignored() -> None:
    p = Placement(enabled=True)
    tid, stop = _in_thread()
    stop.set()
    time.sleep(0.05)
    p.place(tid, min(MASK))  # ESRCH (or another thread of ours: harmless) is no error
    p.release(tid)
    p.release_expired()
