"""Signal dispositions, masks, pending sets and their siginfo records (Linux
semantics, no job control stops).

Each pending signal carries :class:`SigInfo` records: at most one for a
standard signal (1-31: a second one while it is pending is merged away, as on
Linux), a queue of them for a real-time signal (32-64: every one is delivered,
in the order sent). ``pending`` stays a plain bit mask (bit ``n-1`` for signal
``n``), which the hot paths test directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import NSIG, Signal
from pyocclum.errors import KernelError
from pyocclum.kernel.timers import MAX_WAIT

SIG_DFL = 0
SIG_IGN = 1

SA_NOCLDSTOP = 0x1
SA_NOCLDWAIT = 0x2
SA_SIGINFO = 0x4
SA_ONSTACK = 0x08000000
SA_RESTART = 0x10000000
SA_NODEFER = 0x40000000
SA_RESETHAND = 0x80000000

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2

#: ``si_code`` values (Linux's <asm-generic/siginfo.h>).
SI_USER = 0
SI_KERNEL = 0x80
SI_QUEUE = -1
SI_TKILL = -6
CLD_EXITED, CLD_KILLED, CLD_DUMPED = 1, 2, 3

#: The first real-time signal as the kernel numbers them (libc's SIGRTMIN is higher).
SIGRTMIN_KERNEL = 32
#: Linux's RLIMIT_SIGPENDING resource number.
RLIMIT_SIGPENDING = 11
#: Queued siginfo records a process may have (RLIMIT_SIGPENDING's default here;
#: Linux derives its per-user default from the memory size, typically tens of thousands).
DEFAULT_SIGPENDING = 4096

#: Signals whose default action is to do nothing (stop/continue included: no job control).
DEFAULT_IGNORE = frozenset(
    {Signal.SIGCHLD, Signal.SIGCONT, Signal.SIGURG, Signal.SIGWINCH,
     Signal.SIGSTOP, Signal.SIGTSTP, Signal.SIGTTIN, Signal.SIGTTOU}
)
UNCATCHABLE = frozenset({Signal.SIGKILL, Signal.SIGSTOP})
UNBLOCKABLE_MASK = (1 << (Signal.SIGKILL - 1)) | (1 << (Signal.SIGSTOP - 1))
ALL_MASK = (1 << (NSIG - 1)) - 1


def bit(sig: int) -> int:
    return 1 << (sig - 1)


def check_signal(sig: int, *, allow_zero: bool = False) -> None:
    if not (1 <= sig < NSIG or (allow_zero and sig == 0)):
        raise KernelError(Errno.EINVAL, f"bad signal number {sig}")


def is_realtime(sig: int) -> bool:
    return sig >= SIGRTMIN_KERNEL


class SigInfo(NamedTuple):
    """What a handler's ``siginfo_t`` says about one sent signal.

    ``pid``/``uid`` are the sender's (or the child's for SIGCHLD), ``value`` the
    ``sigqueue`` value (``si_value``, 32 bits in wasm32), ``status`` the child's
    exit code or signal for SIGCHLD.
    """

    signo: int
    code: int = SI_USER
    pid: int = 0
    uid: int = 0
    value: int = 0
    status: int = 0
    errno: int = 0


class SigAction(NamedTuple):
    """``handler`` is SIG_DFL, SIG_IGN or a guest function-table index."""

    handler: int = SIG_DFL
    flags: int = 0
    mask: int = 0


DEFAULT_ACTION = SigAction()


class SignalState:
    """One process's dispositions, blocked mask, pending set and siginfo records.

    Not locked by itself: the owning :class:`~pyocclum.kernel.process.Process`
    serializes access with its lock.
    """

    __slots__ = ("actions", "blocked", "infos", "pending")

    def __init__(self) -> None:
        self.actions: dict[int, SigAction] = {}
        self.blocked = 0
        self.pending = 0
        #: The records of pending signals (a list per signal, oldest first).
        self.infos: dict[int, list[SigInfo]] = {}

    def action(self, sig: int) -> SigAction:
        return self.actions.get(sig, DEFAULT_ACTION)

    def ignores(self, sig: int) -> bool:
        act = self.action(sig)
        return act.handler == SIG_IGN or (act.handler == SIG_DFL and sig in DEFAULT_IGNORE)

    def deliverable(self) -> int:
        return self.pending & ~self.blocked

    def queued(self) -> int:
        """How many siginfo records are pending (what RLIMIT_SIGPENDING counts)."""
        return sum(len(q) for s, q in self.infos.items() if self.pending & bit(s))

    def post(self, info: SigInfo, limit: int) -> bool:
        """Make ``info.signo`` pending with its record; False if it was not sent.

        A standard signal already pending is merged (the new record dropped). A
        real-time one is queued unless ``limit`` records are queued already.
        Then, as on Linux, one sent by ``kill`` or the kernel (SI_USER,
        SI_KERNEL) is still made pending, its record lost (it reads as
        SI_USER); any other (``sigqueue``) is not sent: False (EAGAIN).
        """
        sig = info.signo
        if not self.pending & bit(sig):
            self.infos.pop(sig, None)  # stale records of a signal cleared elsewhere
        records = self.infos.get(sig, [])
        if records and not is_realtime(sig):
            return True
        if is_realtime(sig) and self.queued() >= limit:
            if info.code not in (SI_USER, SI_KERNEL):
                return False
            self.pending |= bit(sig)
            return True
        self.pending |= bit(sig)
        self.infos.setdefault(sig, []).append(info)
        return True

    def take(self, sig: int) -> SigInfo:
        """Dequeue ``sig``'s oldest record; the signal stays pending while more are queued."""
        records = self.infos.get(sig) if self.pending & bit(sig) else None
        info = records.pop(0) if records else SigInfo(sig)
        if not records:
            self.infos.pop(sig, None)
            self.pending &= ~bit(sig)
        return info

    def discard(self, sig: int) -> None:
        """Forget ``sig`` and all its records (it became ignored)."""
        self.pending &= ~bit(sig)
        self.infos.pop(sig, None)

    def inherit(self) -> SignalState:
        """For spawn: the mask and ignored signals stay, handlers become default,
        nothing is pending."""
        child = SignalState()
        child.blocked = self.blocked
        child.actions = {s: a for s, a in self.actions.items() if a.handler == SIG_IGN}
        return child

    def after_exec(self) -> SignalState:
        """For execve: as :meth:`inherit`, but pending signals (and records) stay, as on Linux."""
        state = self.inherit()
        state.pending = self.pending
        state.infos = {s: list(q) for s, q in self.infos.items() if self.pending & bit(s)}
        return state


class IntervalTimer(threading.Timer):
    """A process's ITIMER_REAL (``alarm`` and ``setitimer``): calls ``fire``
    after ``value`` seconds, then every ``interval`` seconds (0: once) until
    cancelled. A ``threading.Timer``, so whoever holds one can ``cancel`` it."""

    def __init__(self, value: float, interval: float, fire: Callable[[], object]) -> None:
        super().__init__(value, fire)
        self.daemon = True
        self.interval = interval
        self.deadline = time.monotonic() + value

    def remaining(self) -> float:
        """Seconds to the next expiry (0 once expired for good or cancelled). A
        periodic timer whose thread has not re-armed it yet (a busy machine)
        reports the next period, as Linux's never says 0 while one is set."""
        if self.finished.is_set():
            return 0.0
        left = self.deadline - time.monotonic()
        if left <= 0 and self.interval:
            left = self.interval - (-left % self.interval)
        return max(0.0, left)

    def run(self) -> None:
        while True:
            left = self.deadline - time.monotonic()
            if left > 0:  # in slices: a wait past ~2**63 ns is an OverflowError
                if self.finished.wait(min(left, MAX_WAIT)):
                    break
                continue
            if self.finished.is_set():
                break
            self.function()
            if not self.interval:
                break
            # Overruns are not queued: the next expiry is the next period still ahead,
            # and at least MIN_TIMER_GAP away.
            now = time.monotonic()
            self.deadline += self.interval
            if self.deadline <= now:
                self.deadline = now + self.interval
            self.deadline = max(self.deadline, now + MIN_TIMER_GAP)
        self.finished.set()


#: The shortest time between two expiries of an ITIMER_REAL. A period of 1 ns
#: made this thread send SIGALRM as fast as it could loop, holding the GIL most
#: of the time: every process slowed to a crawl (found by the syscall fuzzer).
#: SIGALRM does not queue (a second one while one is pending is lost, on Linux
#: too), and delivering one costs the kernel tens of microseconds, so expiries
#: closer than this could only take the CPU from the process they signal; a
#: period below it fires every MIN_TIMER_GAP (getitimer still reports the period
#: that was set).
MIN_TIMER_GAP = 0.001


class CpuTimer(threading.Thread):
    """ITIMER_VIRTUAL or ITIMER_PROF: calls ``fire`` once ``clock()`` (CPU ns:
    the process's user time, or its user and system time) has advanced by
    ``value`` ns, then every ``interval`` ns of it (0: once), while ``alive()``.
    It looks at the clock every :data:`CPU_TIMER_POLL` seconds."""

    def __init__(self, clock: Callable[[], int], value: int, interval: int,
                 fire: Callable[[], object], alive: Callable[[], bool]) -> None:
        super().__init__(daemon=True, name="itimer")
        self._clock = clock
        self._seen = clock()
        self.interval = interval
        self.fire = fire
        self.alive = alive
        self.finished = threading.Event()
        self.deadline = self._seen + value

    def clock(self) -> int:
        """The clock, never going back: a process's user time can (a running
        thread counts as all user time until it ends and its system part is
        known), and the time left must never grow past what was set."""
        self._seen = max(self._seen, self._clock())
        return self._seen

    def remaining(self) -> int:
        """CPU ns to the next expiry (0 once expired for good or cancelled)."""
        if self.finished.is_set():
            return 0
        return max(0, self.deadline - self.clock())

    def cancel(self) -> None:
        self.finished.set()

    def run(self) -> None:
        while not self.finished.wait(CPU_TIMER_POLL) and self.alive():
            now = self.clock()
            if now < self.deadline:
                continue
            self.fire()
            if not self.interval:
                break
            self.deadline += self.interval
            if self.deadline <= now:
                self.deadline = now + self.interval
        self.finished.set()


#: How often a CPU-time timer looks at its clock (seconds).
CPU_TIMER_POLL = 0.005
