"""The signal calls of the ``occlum`` ABI: dispositions, masks, sending (``kill``,
``sigqueueinfo``), waiting (``sigsuspend``, ``sigtimedwait``), ``alarm`` and
``setitimer``
(docs/abi.md, "Signals" in versions 2 and 3).

Numbers, masks and ``si_code`` values are Linux's. Handlers run in the guest
(wasm/signals.py); these handlers only change the kernel's signal state.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.errors import KernelError
from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process
from pyocclum.kernel.signals import (
    SI_TKILL,
    SIG_BLOCK,
    SIG_SETMASK,
    SIG_UNBLOCK,
    UNBLOCKABLE_MASK,
    UNCATCHABLE,
    CpuTimer,
    IntervalTimer,
    SigAction,
    SigInfo,
    check_signal,
)
from pyocclum.syscalls import spec as S
from pyocclum.syscalls.blocking import WAIT_SLICE, interrupted

MODULE = "occlum"

SIGACTION = struct.Struct("<IIQ")  # handler, flags, mask
U64 = struct.Struct("<Q")
#: A siginfo record (32 bytes): signo, code, pid, uid, value, status, errno, reserved.
SIGINFO = struct.Struct("<iiiIiiii")
#: An interval timer: value and interval, in ns (i64 each).
ITIMER = struct.Struct("<qq")
ITIMER_REAL = 0
#: The CPU-time interval timers and their signals.
CPU_TIMERS = {1: Signal.SIGVTALRM, 2: Signal.SIGPROF}


def _cpu_clock(p: Process, which: int) -> Callable[[], int]:
    """What an ITIMER_VIRTUAL (1) or ITIMER_PROF (2) timer of ``p`` counts: the
    process's user CPU time, or its user and system time (all its threads)."""
    cpu = p.cpu
    if which == 1:
        return lambda: cpu.own().user_ns
    return cpu.cpu_ns
MASK64 = (1 << 64) - 1
NS = 1_000_000_000


def siginfo_record(info: SigInfo) -> tuple[int, ...]:
    """``info`` as the ABI's 32-byte record (what ``sigtimedwait`` writes and the
    trampoline receives as arguments)."""
    return (info.signo, info.code, info.pid, info.uid & 0xFFFFFFFF,
            _s32(info.value), info.status, info.errno, 0)


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _ns(seconds: float) -> int:
    """A timer's seconds (a float) as the ns an itimerval reports: rounded, and within
    0..2**63-1 (a timer armed for 2**63-1 ns comes back as 2.0**63 s, one past it)."""
    return min(max(0, round(seconds * 1e9)), (1 << 63) - 1)


class SignalSyscalls:
    """Handlers of the ``occlum`` signal calls for one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        #: The CPU-time interval timers, by (pid, which), with their process.
        self._cpu_timers: dict[tuple[int, int], tuple[Process, CpuTimer]] = {}
        self._timers_lock = threading.Lock()

    # == sending ======================================================================
    def kill(self, p: Process, pid: int, sig: int) -> None:
        self.kernel.kill(p, pid, sig)

    def sigqueueinfo(self, p: Process, pid: int, sig: int, code: int, value: int) -> None:
        """Linux ``rt_sigqueueinfo``: send ``sig`` to process ``pid`` with ``si_code``
        ``code`` and ``si_value`` ``value``. Only the caller may send itself a
        code that the kernel or ``kill`` would make (``code >= 0``, SI_TKILL:
        ``raise``); EPERM to others. ``sig`` 0 only checks. A real-time signal
        beyond RLIMIT_SIGPENDING is EAGAIN. A zombie accepts (and drops) it."""
        check_signal(sig, allow_zero=True)
        if pid <= 0:
            raise KernelError(Errno.ESRCH, f"no process {pid}")
        target = self.kernel.process(pid)
        if (code >= 0 or code == SI_TKILL) and target is not p:
            raise KernelError(Errno.EPERM, f"si_code {code} may only be sent to oneself")
        if sig == 0:
            return
        info = SigInfo(sig, code, pid=p.pid, value=value)
        if not self.kernel.send_signal(target, sig, info):
            raise KernelError(Errno.EAGAIN, "RLIMIT_SIGPENDING signals are queued already")

    # == dispositions and masks =========================================================
    def sigaction(
        self, p: Process, sig: int, act: tuple[int, int, int] | None
    ) -> tuple[int, int, int]:
        check_signal(sig)
        with p.lock:
            old = p.sig.action(sig)
            if act is not None:
                if sig in UNCATCHABLE:
                    raise KernelError(Errno.EINVAL, "SIGKILL and SIGSTOP cannot be caught")
                handler, flags, mask = act
                p.sig.actions[sig] = SigAction(handler, flags, mask & ~UNBLOCKABLE_MASK)
                if p.sig.ignores(sig):
                    p.sig.discard(sig)  # POSIX: a pending signal is discarded when ignored
        return (old.handler, old.flags, old.mask)

    def sigprocmask(self, p: Process, how: int, new: tuple[int] | None) -> tuple[int]:
        with p.lock:
            old = p.sig.blocked
            if new is not None:
                (mask,) = new
                if how == SIG_BLOCK:
                    blocked = old | mask
                elif how == SIG_UNBLOCK:
                    blocked = old & ~mask
                elif how == SIG_SETMASK:
                    blocked = mask
                else:
                    raise KernelError(Errno.EINVAL, f"bad sigprocmask how {how}")
                p.sig.blocked = blocked & ~UNBLOCKABLE_MASK & MASK64
        return (old,)

    def sigpending(self, p: Process) -> int:
        return p.sig.pending & p.sig.blocked

    # == waiting ======================================================================
    def sigsuspend(self, p: Process, mask: int) -> None:
        with p.lock:
            saved = p.sig.blocked
            p.sig.blocked = mask & ~UNBLOCKABLE_MASK
        queue = WaitQueue()
        try:
            while True:
                token = queue.token()
                if p.kill_status is not None or p.sig.pending & ~p.sig.blocked:
                    interrupted(p, restart=False)
                p.waiting_on = queue.since(token)
                try:
                    queue.wait(WAIT_SLICE, token)
                finally:
                    p.waiting_on = None
        finally:
            with p.lock:
                p.sig.blocked = saved

    def sigtimedwait(self, p: Process, mask: int, timeout_ns: int) -> tuple[int, ...]:
        """Linux ``rt_sigtimedwait``: take the lowest pending signal of ``mask``
        (its oldest record) without running its handler, waiting up to
        ``timeout_ns`` (negative: for ever; 0: just look). EAGAIN when the time
        is up; EINTR when a handler of a signal outside ``mask`` ran meanwhile.
        SIGKILL and SIGSTOP cannot be waited for."""
        mask &= ~UNBLOCKABLE_MASK & MASK64
        deadline = None if timeout_ns < 0 else time.monotonic() + timeout_ns / 1e9
        queue = WaitQueue()
        while True:
            token = queue.token()
            with p.lock:
                ready = p.sig.pending & mask
                if ready:
                    return siginfo_record(p.sig.take((ready & -ready).bit_length()))
            if p.kill_status is not None or p.sig.pending & ~p.sig.blocked:
                interrupted(p, restart=False)
            left = WAIT_SLICE if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise KernelError(Errno.EAGAIN, "no signal of the set arrived in time")
            p.waiting_on = queue.since(token)
            try:
                queue.wait(min(left, WAIT_SLICE), token)
            finally:
                p.waiting_on = None

    # == timers ======================================================================
    def _real_timer(self, p: Process, value_ns: int, interval_ns: int) -> tuple[int, int]:
        """Replace ``p``'s ITIMER_REAL (0: disarm); the old one's (value, interval) in ns."""
        old = p.alarm
        before = (0, 0)
        if old is not None:
            if isinstance(old, IntervalTimer):
                before = (_ns(old.remaining()), _ns(old.interval))
            elif not old.finished.is_set():
                before = (_ns(p.alarm_deadline - time.monotonic()), 0)
            old.cancel()
            p.alarm = None
        if value_ns:
            timer = IntervalTimer(value_ns / 1e9, interval_ns / 1e9,
                                  lambda: self.kernel.send_signal(p, Signal.SIGALRM))
            p.alarm, p.alarm_deadline = timer, timer.deadline
            timer.start()
        return before

    def alarm(self, p: Process, seconds: int) -> int:
        """Linux ``alarm``: ITIMER_REAL once; the old timer's seconds left, rounded
        to the nearest second but never 0 while one was armed, and at most
        ``UINT_MAX`` (alarm returns an unsigned int; a setitimer may have armed
        the timer for centuries)."""
        value, _ = self._real_timer(p, seconds * NS, 0)
        left = value // NS + (1 if value % NS >= NS // 2 or 0 < value < NS else 0)
        return min(left, 0xFFFFFFFF)

    def setitimer(self, p: Process, which: int, new: tuple[int, int] | None) -> tuple[int, int]:
        """Linux ``setitimer``/``getitimer`` (``new`` absent): ``new`` is (value,
        interval) in ns; returns the old one. ITIMER_REAL counts wall-clock time
        (SIGALRM); ITIMER_VIRTUAL (SIGVTALRM) the process's user CPU time and
        ITIMER_PROF (SIGPROF) its user and system time, all its threads'."""
        if which in CPU_TIMERS:
            return self._cpu_timer(p, which, new)
        if which != ITIMER_REAL:
            raise KernelError(Errno.EINVAL, f"no interval timer {which}")
        if new is None:
            timer = p.alarm
            if isinstance(timer, IntervalTimer):
                return (_ns(timer.remaining()), _ns(timer.interval))
            if timer is not None and not timer.finished.is_set():
                return (_ns(p.alarm_deadline - time.monotonic()), 0)
            return (0, 0)
        value, interval = new
        if value < 0 or interval < 0:
            raise KernelError(Errno.EINVAL, "negative itimer value")
        return self._real_timer(p, value, interval)

    def _cpu_timer(self, p: Process, which: int, new: tuple[int, int] | None) -> tuple[int, int]:
        key = (p.pid, which)
        with self._timers_lock:
            held = self._cpu_timers.get(key)
            timer = held[1] if held is not None and held[0] is p else None
            before = (timer.remaining(), timer.interval) if timer is not None else (0, 0)
            if new is None:
                return before
            value, interval = new
            if value < 0 or interval < 0:
                raise KernelError(Errno.EINVAL, "negative itimer value")
            if timer is not None:
                timer.cancel()
            self._cpu_timers.pop(key, None)
            # Forget the timers of processes that are gone.
            for k, (q, t) in list(self._cpu_timers.items()):
                if q.exited or t.finished.is_set():
                    del self._cpu_timers[k]
            if value:
                sig = CPU_TIMERS[which]
                timer = CpuTimer(_cpu_clock(p, which), value, interval,
                                 lambda: self.kernel.send_signal(p, sig),
                                 lambda: not p.exited)
                self._cpu_timers[key] = (p, timer)
                timer.start()
        return before

    # == the table ========================================================================
    def table(self) -> list[S.Syscall]:
        m = MODULE
        return [
            S.Syscall(m, "kill", (S.s32("pid"), S.s32("sig")), self.kill),
            S.Syscall(m, "sigaction", (S.u32("sig"), S.struct_in("act", SIGACTION),
                                       S.out_struct_opt("oldact", SIGACTION)), self.sigaction),
            S.Syscall(m, "sigprocmask", (S.u32("how"), S.struct_in("set", U64),
                                         S.out_struct_opt("oldset", U64)), self.sigprocmask),
            S.Syscall(m, "sigpending", (S.out_u64("set"),), self.sigpending),
            S.Syscall(m, "sigsuspend", (S.u64("mask"),), self.sigsuspend),
            S.Syscall(m, "alarm", (S.u32("seconds"), S.out_u32("remaining")), self.alarm),
            # version 3
            S.Syscall(m, "sigqueueinfo", (S.s32("pid"), S.s32("sig"), S.s32("code"),
                                          S.s32("value")), self.sigqueueinfo),
            S.Syscall(m, "sigtimedwait", (S.u64("mask"), S.s64("timeout_ns"),
                                          S.out_struct_opt("info", SIGINFO)), self.sigtimedwait),
            S.Syscall(m, "setitimer", (S.u32("which"), S.struct_in("new", ITIMER),
                                       S.out_struct_opt("old", ITIMER)), self.setitimer),
        ]


__all__ = ["SIGINFO", "SignalSyscalls", "siginfo_record"]
