"""The signal calls of the ``occlum`` ABI: dispositions, masks, sending (``kill``,
``sigqueueinfo``), waiting (``sigsuspend``, ``sigtimedwait``) and ``alarm``
(docs/abi.md, "Signals" in versions 2 and 3).

Numbers, masks and ``si_code`` values are Linux's. Handlers run in the guest
(wasm/signals.py); these handlers only change the kernel's signal state.
"""

from __future__ import annotations

import struct
import threading
import time

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
MASK64 = (1 << 64) - 1


def siginfo_record(info: SigInfo) -> tuple[int, ...]:
    """``info`` as the ABI's 32-byte record (what ``sigtimedwait`` writes and the
    trampoline receives as arguments)."""
    return (info.signo, info.code, info.pid, info.uid & 0xFFFFFFFF,
            _s32(info.value), info.status, info.errno, 0)


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


class SignalSyscalls:
    """Handlers of the ``occlum`` signal calls for one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

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

    def alarm(self, p: Process, seconds: int) -> int:
        remaining = 0
        if p.alarm is not None:
            p.alarm.cancel()
            remaining = max(0, round(p.alarm_deadline - time.monotonic()))
            p.alarm = None
        if seconds:
            timer = threading.Timer(seconds, self.kernel.send_signal, (p, Signal.SIGALRM))
            timer.daemon = True
            p.alarm, p.alarm_deadline = timer, time.monotonic() + seconds
            timer.start()
        return remaining

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
        ]


__all__ = ["SIGINFO", "SignalSyscalls", "siginfo_record"]
