"""``occlum.sched_check`` (syscalls/sync.py): what lets a futex wait in libocclum
be killed or run signal handlers between its bounded slices."""

from __future__ import annotations

import threading
import time

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Process
from pyocclum.kernel.signals import SA_RESTART, SigAction
from pyocclum.syscalls.sync import SyncSyscalls


class Env:
    def __init__(self) -> None:
        self.kernel = Kernel(Vfs(RamFs()), NoExecutor())
        self.sync = SyncSyscalls(self.kernel)
        self.p = first_process(self.kernel)
        self.ran: list[int] = []
        self.p.run_handlers = self._run_handlers

    def _run_handlers(self, p: Process) -> bool:
        """Stand-in for the wasm layer: 'run' each pending handler; True if all
        of them had SA_RESTART."""
        restart = True
        ready = p.sig.pending & ~p.sig.blocked
        for sig in range(1, 65):
            if ready & (1 << (sig - 1)):
                p.sig.pending &= ~(1 << (sig - 1))
                self.ran.append(sig)
                restart = restart and bool(p.sig.action(sig).flags & SA_RESTART)
        return restart

    def handle(self, sig: int, flags: int) -> None:
        self.p.sig.actions[sig] = SigAction(handler=7, flags=flags)

    def errno(self, timeout_ns: int) -> Errno:
        with pytest.raises(KernelError) as e:
            self.sync.sched_check(self.p, timeout_ns)
        return e.value.errno


@pytest.fixture
def env() -> Env:
    return Env()


def test_nothing_pending_returns_at_once(env: Env) -> None:
    t0 = time.monotonic()
    env.sync.sched_check(env.p, 0)
    assert time.monotonic() - t0 < 0.02
    assert env.ran == []


def test_waits_the_timeout(env: Env) -> None:
    t0 = time.monotonic()
    env.sync.sched_check(env.p, 80_000_000)
    elapsed = time.monotonic() - t0
    assert 0.075 <= elapsed < 0.5


@pytest.mark.parametrize("timeout_ns", [-1, 1_000_000_001, -(1 << 63)])
def test_bad_timeouts(env: Env, timeout_ns: int) -> None:
    assert env.errno(timeout_ns) == Errno.EINVAL


def test_handler_without_sa_restart_is_eintr(env: Env) -> None:
    env.handle(Signal.SIGUSR1, 0)
    env.kernel.send_signal(env.p, Signal.SIGUSR1)
    assert env.errno(0) == Errno.EINTR
    assert env.ran == [Signal.SIGUSR1]


def test_handler_with_sa_restart_returns_success(env: Env) -> None:
    env.handle(Signal.SIGUSR2, SA_RESTART)
    env.kernel.send_signal(env.p, Signal.SIGUSR2)
    t0 = time.monotonic()
    env.sync.sched_check(env.p, 500_000_000)  # returns at once: the handler ran
    assert time.monotonic() - t0 < 0.1
    assert env.ran == [Signal.SIGUSR2]


def test_blocked_signal_waits(env: Env) -> None:
    env.handle(Signal.SIGUSR1, 0)
    env.p.sig.blocked = 1 << (Signal.SIGUSR1 - 1)
    env.kernel.send_signal(env.p, Signal.SIGUSR1)
    env.sync.sched_check(env.p, 20_000_000)
    assert env.ran == []


def test_signal_during_the_wait_ends_it(env: Env) -> None:
    env.handle(Signal.SIGUSR1, 0)
    timer = threading.Timer(0.05, env.kernel.send_signal, (env.p, Signal.SIGUSR1))
    timer.start()
    t0 = time.monotonic()
    try:
        assert env.errno(1_000_000_000) == Errno.EINTR
    finally:
        timer.join()
    assert time.monotonic() - t0 < 0.5
    assert env.ran == [Signal.SIGUSR1]


def test_kill_ends_the_wait(env: Env) -> None:
    timer = threading.Timer(0.05, env.kernel.send_signal, (env.p, Signal.SIGKILL))
    timer.start()
    try:
        assert env.errno(1_000_000_000) == Errno.EINTR
    finally:
        timer.join()
    assert env.p.kill_status is not None  # the dispatcher ends the caller
    assert env.ran == []


def test_in_the_syscall_table(env: Env) -> None:
    (sc,) = env.sync.table()
    assert (sc.module, sc.name, sc.wasm_params) == ("occlum", "sched_check", ("i64",))
