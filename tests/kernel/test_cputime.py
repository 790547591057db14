"""CpuAccount: a process's CPU time from the host threads that ran it."""

from __future__ import annotations

import threading
import time

from pyocclum.kernel.cputime import CpuAccount, Usage

MS = 1_000_000


def _spin(ns: int) -> None:
    start = time.thread_time_ns()
    while time.thread_time_ns() - start < ns:
        pass


def _on_a_thread(account: CpuAccount, spin_ns: int, before: int = 0) -> None:
    """Spin ``before`` ns outside the process, then ``spin_ns`` inside it."""
    def run() -> None:
        _spin(before)
        account.enter()
        _spin(spin_ns)
        account.leave()

    t = threading.Thread(target=run)
    t.start()
    t.join()


def test_only_the_time_between_enter_and_leave_counts() -> None:
    account = CpuAccount()
    _on_a_thread(account, 60 * MS, before=100 * MS)
    own = account.own()
    assert 55 * MS <= own.user_ns + own.sys_ns < 95 * MS
    assert account.thread_ns() == 0  # this thread runs none of it
    assert account.thread() == Usage()


def test_a_running_thread_is_counted_while_it_runs() -> None:
    account = CpuAccount()
    inside, go = threading.Event(), threading.Event()

    def run() -> None:
        account.enter()
        _spin(80 * MS)
        inside.set()
        go.wait(10)
        account.leave()

    t = threading.Thread(target=run)
    t.start()
    assert inside.wait(10)
    seen = account.own()
    go.set()
    t.join()
    assert seen.user_ns + seen.sys_ns >= 75 * MS  # read through its CPU clock
    done = account.own()
    assert done.user_ns + done.sys_ns >= seen.user_ns + seen.sys_ns - 20 * MS


def test_the_calling_threads_own_figures() -> None:
    account = CpuAccount()
    account.enter()
    try:
        _spin(40 * MS)
        assert 35 * MS <= account.thread_ns() < 80 * MS
        mine = account.thread()
        assert 30 * MS <= mine.user_ns + mine.sys_ns < 90 * MS
        own = account.own()
        assert 30 * MS <= own.user_ns + own.sys_ns < 90 * MS
    finally:
        account.leave()


def test_children_add_up_with_their_own_children_and_the_largest_memory() -> None:
    parent, child, grandchild = CpuAccount(), CpuAccount(), CpuAccount()
    _on_a_thread(grandchild, 30 * MS)
    grandchild.peak_kib = 5000
    _on_a_thread(child, 20 * MS)
    child.peak_kib = 300
    got = child.add_child(grandchild)
    assert got.maxrss_kib == 5000
    assert child.children().maxrss_kib == 5000
    total = parent.add_child(child)
    kids = parent.children()
    assert kids == total
    assert kids.maxrss_kib == 5000
    assert 45 * MS <= kids.user_ns + kids.sys_ns < 100 * MS
    assert parent.own() == Usage()  # the parent itself ran nothing


def test_leave_without_enter_counts_nothing() -> None:
    account = CpuAccount()
    account.leave()
    assert account.own() == Usage()


def test_the_clock_is_owns_total() -> None:
    account = CpuAccount()
    _on_a_thread(account, 20 * MS)
    own = account.own()
    assert account.cpu_ns() == own.user_ns + own.sys_ns  # no thread runs: both exact
