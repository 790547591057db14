"""kernel/signals.py: pending sets with their siginfo records (standard signals
merged, real-time ones queued up to RLIMIT_SIGPENDING) and what spawn and exec
keep; Kernel.send_signal/kill choosing who gets what record."""

from __future__ import annotations

import time

import pytest

from pyocclum.abi.signals import Signal
from pyocclum.kernel.signals import (
    CLD_EXITED,
    MIN_TIMER_GAP,
    SI_KERNEL,
    SI_QUEUE,
    SI_USER,
    SIG_IGN,
    SIGRTMIN_KERNEL,
    CpuTimer,
    IntervalTimer,
    SigAction,
    SigInfo,
    SignalState,
    bit,
    is_realtime,
)

RT = SIGRTMIN_KERNEL + 2  # libc's SIGRTMIN (34)


def test_standard_signals_merge_keeping_the_first_record() -> None:
    s = SignalState()
    assert s.post(SigInfo(Signal.SIGUSR1, SI_USER, pid=5), limit=10)
    assert s.post(SigInfo(Signal.SIGUSR1, SI_QUEUE, pid=6, value=1), limit=10)
    assert s.pending == bit(Signal.SIGUSR1)
    assert s.queued() == 1
    assert s.take(Signal.SIGUSR1) == SigInfo(Signal.SIGUSR1, SI_USER, pid=5)
    assert s.pending == 0
    assert s.queued() == 0


def test_realtime_signals_queue_in_order() -> None:
    s = SignalState()
    for v in range(3):
        assert s.post(SigInfo(RT, SI_QUEUE, value=v), limit=10)
    assert s.queued() == 3
    assert [s.take(RT).value for _ in range(2)] == [0, 1]
    assert s.pending == bit(RT)  # one left
    assert s.take(RT).value == 2
    assert s.pending == 0


def test_limit_refuses_sigqueue_but_kill_loses_only_the_record() -> None:
    s = SignalState()
    assert s.post(SigInfo(Signal.SIGUSR1), limit=2)  # a standard one takes a place too
    assert s.post(SigInfo(RT, SI_QUEUE, value=1), limit=2)
    assert not s.post(SigInfo(RT + 1, SI_QUEUE), limit=2)
    assert not s.pending & bit(RT + 1)  # not sent at all
    assert s.post(SigInfo(RT + 1, SI_USER, pid=3), limit=2)
    assert s.pending & bit(RT + 1)
    assert s.take(RT + 1) == SigInfo(RT + 1)  # the record was lost: SI_USER, no pid
    assert s.post(SigInfo(Signal.SIGUSR1), limit=2)  # merging never fails


def test_take_without_record_and_discard() -> None:
    s = SignalState()
    s.pending = bit(Signal.SIGTERM)  # set by code that knows no records
    assert s.take(Signal.SIGTERM) == SigInfo(Signal.SIGTERM)
    s.post(SigInfo(RT, SI_QUEUE), limit=5)
    s.post(SigInfo(RT, SI_QUEUE), limit=5)
    s.discard(RT)
    assert s.pending == 0
    assert s.queued() == 0
    # stale records of a signal whose bit was cleared elsewhere are not delivered
    s.post(SigInfo(RT, SI_QUEUE, value=1), limit=5)
    s.pending = 0
    s.post(SigInfo(RT, SI_QUEUE, value=2), limit=5)
    assert s.take(RT).value == 2


def test_spawn_and_exec_inheritance() -> None:
    s = SignalState()
    s.actions = {Signal.SIGUSR1: SigAction(9), Signal.SIGUSR2: SigAction(SIG_IGN)}
    s.blocked = bit(Signal.SIGHUP)
    s.post(SigInfo(RT, SI_QUEUE, value=4), limit=5)
    child = s.inherit()
    assert (child.blocked, child.pending, child.actions) == (
        bit(Signal.SIGHUP), 0, {Signal.SIGUSR2: SigAction(SIG_IGN)})
    execd = s.after_exec()
    assert (execd.blocked, execd.pending) == (bit(Signal.SIGHUP), bit(RT))
    assert execd.actions == {Signal.SIGUSR2: SigAction(SIG_IGN)}
    assert execd.take(RT).value == 4
    assert s.take(RT).value == 4  # the records were copied, not shared


@pytest.mark.parametrize(("sig", "rt"), [(1, False), (31, False), (32, True), (64, True)])
def test_is_realtime(sig: int, rt: bool) -> None:
    assert is_realtime(sig) is rt


def test_constants_are_linuxs() -> None:
    assert (SI_USER, SI_KERNEL, SI_QUEUE, CLD_EXITED) == (0, 0x80, -1, 1)


def test_interval_timer_fires_at_most_once_per_min_gap() -> None:
    """A 1 ns ITIMER_REAL period fires every MIN_TIMER_GAP, not as fast as the timer
    thread can loop. Regression: it sent SIGALRM in a tight loop holding the GIL,
    and every process of the LibOS crawled (the syscall fuzzer's seed 1216203428
    ran past its 240 s budget)."""
    fired = 0

    def fire() -> None:
        nonlocal fired
        fired += 1

    timer = IntervalTimer(0.0, 1e-9, fire)
    timer.start()
    time.sleep(0.2)
    timer.cancel()
    timer.join(5)
    assert not timer.is_alive()
    assert 1 <= fired <= 0.2 / MIN_TIMER_GAP + 5, fired
    assert timer.interval == 1e-9  # the period that was set is kept (getitimer reports it)


def test_a_periodic_timer_not_yet_rearmed_reports_its_next_period() -> None:
    """Linux never reports 0 left while a periodic ITIMER_REAL is set; here the
    timer's thread may be late to re-arm it on a busy machine (a fresh-clone run
    saw alarm(0) say 0). Not started here: its thread never re-arms it."""
    timer = IntervalTimer(0.01, 0.02, lambda: None)
    time.sleep(0.015)
    assert 0 < timer.remaining() <= 0.02
    once = IntervalTimer(0.0, 0.0, lambda: None)
    time.sleep(0.001)
    assert once.remaining() == 0.0  # a one-shot timer that expired: nothing left


def test_a_cpu_timer_never_reports_more_than_was_set() -> None:
    """A process's user time can go back a little (a running thread counts as
    user time until it ends): the timer's clock does not, so the time left never
    grows past the value set (the fuzzer's 2**63 - 1 overflowed the reply)."""
    readings = iter([1_000, 5_000, 4_000, 3_000, 6_000])
    timer = CpuTimer(lambda: next(readings), 2**63 - 1, 0, lambda: None, lambda: True)
    assert timer.remaining() == 2**63 - 1 - 4_000
    assert timer.remaining() == 2**63 - 1 - 4_000  # 4,000 read: still 5,000
    assert timer.remaining() == 2**63 - 1 - 4_000  # 3,000 read
    assert timer.remaining() == 2**63 - 1 - 5_000
