"""kernel/threads.py: per-thread signal masks and thread-directed signals
(ThreadedSignalState), and the thread table's bookkeeping."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pyocclum.kernel.signals import SigInfo, SignalState, bit
from pyocclum.kernel.threads import Thread, ThreadedSignalState

USR1, USR2, TERM = 10, 12, 15


def _on_other_thread(fn: Callable[[], object]) -> object:
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def _threaded(blocked: int = 0, pending: int = 0) -> ThreadedSignalState:
    base = SignalState()
    base.blocked, base.pending = blocked, pending
    return ThreadedSignalState.of(base, threading.get_ident())


def test_the_main_threads_state_carries_over() -> None:
    state = _threaded(blocked=bit(USR1), pending=bit(TERM))
    assert state.blocked == bit(USR1)
    assert state.pending == bit(TERM)


def test_each_thread_has_its_own_mask_and_outsiders_see_what_all_block() -> None:
    state = _threaded(blocked=bit(USR1) | bit(USR2))
    ready, done = threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def worker() -> None:  # alive until the checks are done (idents are reused)
        thread = Thread.__new__(Thread)
        thread.mask = bit(USR1)
        state.started(thread)
        seen["start"] = state.blocked
        state.blocked = bit(USR1) | bit(TERM)
        seen["set"] = state.blocked
        seen["host"] = thread.host
        ready.set()
        done.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    assert ready.wait(5)
    assert seen["start"] == bit(USR1)  # its creator's mask
    assert seen["set"] == bit(USR1) | bit(TERM)
    assert state.blocked == bit(USR1) | bit(USR2)  # the main thread's is unchanged
    outsider: list[int] = []
    o = threading.Thread(target=lambda: outsider.append(state.blocked))
    o.start()
    o.join()
    assert outsider == [bit(USR1)]  # only USR1 is blocked by every thread
    done.set()
    t.join()
    state.ended(seen["host"])
    assert state.masks == {threading.get_ident(): bit(USR1) | bit(USR2)}


def test_a_directed_signal_is_pending_for_its_thread_only() -> None:
    state = _threaded()
    ready = threading.Event()
    go = threading.Event()
    seen: dict[str, int] = {}

    def worker() -> None:
        thread = Thread.__new__(Thread)
        thread.mask = 0
        state.started(thread)
        ready.set()
        go.wait(5)
        seen["before"] = state.pending
        state.take(USR1)
        seen["after"] = state.pending

    t = threading.Thread(target=worker)
    t.start()
    assert ready.wait(5)
    host = next(h for h in state.masks if h != threading.get_ident())
    state.direct(host, bit(USR1))
    assert state.pending == 0  # not the main thread's
    go.set()
    t.join()
    assert seen == {"before": bit(USR1), "after": 0}


def test_process_signals_are_shared_and_taken_once() -> None:
    state = _threaded()
    state.post(SigInfo(USR2), 100)
    assert _on_other_thread(lambda: state.pending) == bit(USR2)
    assert state.take(USR2).signo == USR2
    assert state.pending == 0
    assert _on_other_thread(lambda: state.pending) == 0


def test_taking_prefers_the_threads_own_copy() -> None:
    state = _threaded(pending=bit(USR1))
    state.direct(threading.get_ident(), bit(USR1))
    state.pending &= ~bit(USR1)
    assert state.pending == bit(USR1)  # the process's copy is still there
    state.pending &= ~bit(USR1)
    assert state.pending == 0
