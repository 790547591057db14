"""syscalls/signals.py and the kernel's signal posting: sigqueueinfo (codes,
permissions, RLIMIT_SIGPENDING), sigtimedwait (taking, timeouts, wake-ups,
EINTR), what kill and a child's exit record, SA_NOCLDWAIT, ignored signals."""

from __future__ import annotations

import threading
import time

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_exited, wait_status_signaled
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import FdTable, Kernel, Process
from pyocclum.kernel.signals import (
    CLD_EXITED,
    CLD_KILLED,
    RLIMIT_SIGPENDING,
    SA_NOCLDWAIT,
    SI_QUEUE,
    SI_TKILL,
    SI_USER,
    SIG_IGN,
    SigAction,
    SigInfo,
    bit,
)
from pyocclum.syscalls.signals import SignalSyscalls

RT = 34
USR1, USR2, CHLD = Signal.SIGUSR1, Signal.SIGUSR2, Signal.SIGCHLD


class Env:
    def __init__(self) -> None:
        self.kernel = Kernel(Vfs(RamFs()), NoExecutor())
        self.calls = SignalSyscalls(self.kernel)
        self.p = self.add(first_process(self.kernel))
        self.ran: list[int] = []
        self.p.run_handlers = self._run_handlers

    def add(self, proc: Process) -> Process:
        self.kernel._procs[proc.pid] = proc  # as spawn registers it
        return proc

    def child(self, pid: int) -> Process:
        proc = Process(pid=pid, ppid=self.p.pid, path="/bin/c", argv=[], env=[],
                       cwd=self.kernel.vfs.root(), fds=FdTable(8), start_ns=0)
        self.p.children.add(pid)
        return self.add(proc)

    def _run_handlers(self, p: Process) -> bool:
        """Stand-in for the wasm layer: 'run' each deliverable handler."""
        while ready := p.sig.pending & ~p.sig.blocked:
            sig = (ready & -ready).bit_length()
            p.sig.take(sig)
            self.ran.append(sig)
        return False

    def errno(self, fn: object, *args: object) -> Errno:
        with pytest.raises(KernelError) as e:
            fn(*args)  # type: ignore[operator]
        return e.value.errno


@pytest.fixture
def env() -> Env:
    return Env()


def test_sigqueueinfo_records_code_sender_and_value(env: Env) -> None:
    env.p.sig.blocked = bit(RT)
    env.calls.sigqueueinfo(env.p, 1, RT, SI_QUEUE, 77)
    env.calls.sigqueueinfo(env.p, 1, RT, SI_TKILL, -5)  # raise: to oneself only
    assert env.p.sig.take(RT) == SigInfo(RT, SI_QUEUE, pid=1, value=77)
    assert env.p.sig.take(RT) == SigInfo(RT, SI_TKILL, pid=1, value=-5)


def test_sigqueueinfo_errors(env: Env) -> None:
    other = env.child(2)
    q = env.calls.sigqueueinfo
    assert env.errno(q, env.p, 0, USR1, SI_QUEUE, 0) == Errno.ESRCH
    assert env.errno(q, env.p, -1, USR1, SI_QUEUE, 0) == Errno.ESRCH
    assert env.errno(q, env.p, 99, USR1, SI_QUEUE, 0) == Errno.ESRCH
    assert env.errno(q, env.p, 1, 65, SI_QUEUE, 0) == Errno.EINVAL
    assert env.errno(q, env.p, 2, USR1, SI_TKILL, 0) == Errno.EPERM
    assert env.errno(q, env.p, 2, USR1, SI_USER, 0) == Errno.EPERM
    q(env.p, 2, 0, SI_QUEUE, 0)  # signal 0: exists
    assert other.sig.pending == 0


def test_sigqueueinfo_beyond_the_limit_is_eagain(env: Env) -> None:
    env.p.rlimits[RLIMIT_SIGPENDING] = (2, 2)
    env.p.sig.blocked = bit(RT) | bit(RT + 1)
    env.calls.sigqueueinfo(env.p, 1, RT, SI_QUEUE, 1)
    env.calls.sigqueueinfo(env.p, 1, RT, SI_QUEUE, 2)
    assert env.errno(env.calls.sigqueueinfo, env.p, 1, RT + 1, SI_QUEUE, 3) == Errno.EAGAIN
    assert not env.p.sig.pending & bit(RT + 1)
    env.calls.kill(env.p, 1, RT + 1)  # kill: pending, record lost
    assert env.p.sig.pending & bit(RT + 1)


def test_sigtimedwait_takes_the_lowest_signal_of_the_set(env: Env) -> None:
    env.p.sig.blocked = bit(USR1) | bit(RT)
    env.calls.sigqueueinfo(env.p, 1, RT, SI_QUEUE, 5)
    env.calls.kill(env.p, 1, USR1)
    mask = bit(USR1) | bit(RT)
    assert env.calls.sigtimedwait(env.p, mask, 0) == (USR1, SI_USER, 1, 0, 0, 0, 0, 0)
    assert env.calls.sigtimedwait(env.p, mask, 0) == (RT, SI_QUEUE, 1, 0, 5, 0, 0, 0)
    assert env.errno(env.calls.sigtimedwait, env.p, mask, 0) == Errno.EAGAIN
    assert env.ran == []


def test_sigtimedwait_times_out(env: Env) -> None:
    t0 = time.monotonic()
    assert env.errno(env.calls.sigtimedwait, env.p, bit(USR1), 80_000_000) == Errno.EAGAIN
    assert time.monotonic() - t0 >= 0.08


def test_sigtimedwait_wakes_for_a_signal_sent_meanwhile(env: Env) -> None:
    env.p.sig.blocked = bit(USR2)
    sender = threading.Timer(0.05, env.kernel.send_signal,
                             (env.p, USR2, SigInfo(USR2, SI_QUEUE, pid=9, value=1)))
    sender.start()
    t0 = time.monotonic()
    got = env.calls.sigtimedwait(env.p, bit(USR2), -1)
    assert got[:5] == (USR2, SI_QUEUE, 9, 0, 1)
    assert time.monotonic() - t0 < 1


def test_sigtimedwait_is_interrupted_by_a_handler(env: Env) -> None:
    env.p.sig.actions[USR2] = SigAction(handler=7)
    env.kernel.send_signal(env.p, USR2)  # not in the set, not blocked: its handler runs
    assert env.errno(env.calls.sigtimedwait, env.p, bit(USR1), -1) == Errno.EINTR
    assert env.ran == [USR2]


def test_sigkill_cannot_be_waited_for(env: Env) -> None:
    assert env.errno(env.calls.sigtimedwait, env.p, bit(Signal.SIGKILL), 0) == Errno.EAGAIN


def test_ignored_signals_are_dropped_unless_blocked(env: Env) -> None:
    env.kernel.send_signal(env.p, CHLD)  # ignored by default
    assert env.p.sig.pending == 0
    env.p.sig.blocked = bit(CHLD)
    env.kernel.send_signal(env.p, CHLD)
    assert env.p.sig.pending == bit(CHLD)
    env.calls.sigaction(env.p, CHLD, (SIG_IGN, 0, 0))  # SIG_IGN discards it
    assert env.p.sig.pending == 0


def test_kill_records_the_sender_and_reaches_zombies(env: Env) -> None:
    child = env.child(2)
    child.sig.blocked = bit(USR1)
    env.calls.kill(env.p, 2, USR1)
    assert child.sig.take(USR1) == SigInfo(USR1, SI_USER, pid=1)
    child.finish(0)
    env.calls.kill(env.p, 2, 0)  # a zombie still exists
    env.calls.kill(env.p, 2, Signal.SIGTERM)
    assert env.errno(env.calls.kill, env.p, 3, 0) == Errno.ESRCH


@pytest.mark.parametrize(("status", "code", "value"), [
    (wait_status_exited(3), CLD_EXITED, 3),
    (wait_status_signaled(Signal.SIGTERM), CLD_KILLED, Signal.SIGTERM),
])
def test_sigchld_says_how_the_child_ended(env: Env, status: int, code: int, value: int) -> None:
    env.p.sig.blocked = bit(CHLD)
    child = env.child(2)
    env.kernel.exit_process(child, status)
    assert env.p.sig.take(CHLD) == SigInfo(CHLD, code, pid=2, status=value)
    assert 2 in env.kernel._procs  # a zombie until waited for


def test_sa_nocldwait_reaps_but_still_signals(env: Env) -> None:
    env.p.sig.actions[CHLD] = SigAction(handler=7, flags=SA_NOCLDWAIT)
    env.p.sig.blocked = bit(CHLD)
    child = env.child(2)
    env.kernel.exit_process(child, 0)
    assert 2 not in env.kernel._procs
    assert 2 not in env.p.children
    assert env.p.sig.pending == bit(CHLD)


def test_sigprocmask_and_sigpending(env: Env) -> None:
    assert env.calls.sigprocmask(env.p, 99, None) == (0,)  # how is checked only with a set
    assert env.errno(env.calls.sigprocmask, env.p, 99, (1,)) == Errno.EINVAL
    env.calls.sigprocmask(env.p, 0, (bit(USR1) | bit(Signal.SIGKILL),))
    assert env.p.sig.blocked == bit(USR1)
    env.calls.kill(env.p, 1, USR1)
    env.p.sig.pending |= bit(USR2)  # pending but not blocked: not reported
    assert env.calls.sigpending(env.p) == bit(USR1)


def test_itimer_real_is_periodic_and_shared_with_alarm(env: Env) -> None:
    env.p.sig.blocked = bit(Signal.SIGALRM)
    ms = 1_000_000
    assert env.calls.setitimer(env.p, 0, (30 * ms, 20 * ms)) == (0, 0)
    value, interval = env.calls.setitimer(env.p, 0, None)
    assert 0 < value <= 30 * ms
    assert interval == 20 * ms
    deadline = time.monotonic() + 2
    while env.p.sig.pending & bit(Signal.SIGALRM) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert env.p.sig.take(Signal.SIGALRM).code == 0x80  # SI_KERNEL
    time.sleep(0.1)
    assert env.p.sig.take(Signal.SIGALRM).signo == Signal.SIGALRM  # it fired again
    assert env.calls.alarm(env.p, 0) == 1  # < 1 s left is never reported as 0
    assert env.calls.setitimer(env.p, 0, None) == (0, 0)
    assert env.calls.alarm(env.p, 5) == 0
    value, interval = env.calls.setitimer(env.p, 0, (0, 0))
    assert 4 * 10**9 < value <= 5 * 10**9
    assert interval == 0


def test_itimer_errors(env: Env) -> None:
    assert env.errno(env.calls.setitimer, env.p, 3, (1, 0)) == Errno.EINVAL
    assert env.errno(env.calls.setitimer, env.p, 0, (-1, 0)) == Errno.EINVAL
    assert env.errno(env.calls.setitimer, env.p, 2, (0, -1)) == Errno.EINVAL


@pytest.mark.parametrize(("which", "sig"), [(1, Signal.SIGVTALRM), (2, Signal.SIGPROF)])
def test_cpu_timers_count_the_processs_cpu_time(env: Env, which: int, sig: int) -> None:
    env.p.sig.blocked = bit(sig)
    ms = 1_000_000
    env.p.cpu.enter()  # this host thread runs the process (kernel/cputime.py)
    try:
        assert env.calls.setitimer(env.p, which, (20 * ms, 20 * ms)) == (0, 0)
        time.sleep(0.1)  # no CPU time: nothing
        assert not env.p.sig.pending & bit(sig)
        value, interval = env.calls.setitimer(env.p, which, None)
        assert 0 < value <= 20 * ms
        assert interval == 20 * ms
        until = time.thread_time() + 0.1
        while time.thread_time() < until and not env.p.sig.pending & bit(sig):
            pass  # the process's CPU time
    finally:
        env.p.cpu.leave()
    deadline = time.monotonic() + 1
    while not env.p.sig.pending & bit(sig) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert env.p.sig.pending & bit(sig)
    assert env.calls.setitimer(env.p, which, (0, 0))[1] == 20 * ms
    assert env.calls.setitimer(env.p, which, None) == (0, 0)


def test_a_cpu_timer_counts_the_other_threads_of_the_process(env: Env) -> None:
    """Set from one thread (which then sleeps), fired by another's computing."""
    import threading

    env.p.sig.blocked = bit(Signal.SIGPROF)
    env.calls.setitimer(env.p, 2, (20_000_000, 0))

    def other_thread() -> None:
        env.p.cpu.enter()
        until = time.thread_time() + 0.1
        while time.thread_time() < until and not env.p.sig.pending & bit(Signal.SIGPROF):
            pass
        env.p.cpu.leave()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    deadline = time.monotonic() + 1
    while not env.p.sig.pending & bit(Signal.SIGPROF) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert env.p.sig.pending & bit(Signal.SIGPROF)


def test_exit_cancels_the_timer(env: Env) -> None:
    child = env.child(2)
    env.calls.setitimer(child, 0, (10**9, 10**9))
    timer = child.alarm
    assert timer is not None
    env.kernel.exit_process(child, 0)
    assert timer.finished.is_set()
