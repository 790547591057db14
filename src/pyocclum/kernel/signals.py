"""Signal dispositions, masks and pending sets (Linux semantics, no job control stops)."""

from __future__ import annotations

from typing import NamedTuple

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import NSIG, Signal
from pyocclum.errors import KernelError

SIG_DFL = 0
SIG_IGN = 1

SA_NOCLDSTOP = 0x1
SA_SIGINFO = 0x4
SA_RESTART = 0x10000000
SA_NODEFER = 0x40000000
SA_RESETHAND = 0x80000000

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2

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


class SigAction(NamedTuple):
    """``handler`` is SIG_DFL, SIG_IGN or a guest function-table index."""

    handler: int = SIG_DFL
    flags: int = 0
    mask: int = 0


DEFAULT_ACTION = SigAction()


class SignalState:
    """One process's dispositions, blocked mask and pending set.

    Not locked by itself: the owning :class:`~pyocclum.kernel.process.Process`
    serializes access with its lock.
    """

    __slots__ = ("actions", "blocked", "pending")

    def __init__(self) -> None:
        self.actions: dict[int, SigAction] = {}
        self.blocked = 0
        self.pending = 0

    def action(self, sig: int) -> SigAction:
        return self.actions.get(sig, DEFAULT_ACTION)

    def ignores(self, sig: int) -> bool:
        act = self.action(sig)
        return act.handler == SIG_IGN or (act.handler == SIG_DFL and sig in DEFAULT_IGNORE)

    def deliverable(self) -> int:
        return self.pending & ~self.blocked

    def inherit(self) -> SignalState:
        """For spawn/exec: the mask and ignored signals stay, handlers become default."""
        child = SignalState()
        child.blocked = self.blocked
        child.actions = {s: a for s, a in self.actions.items() if a.handler == SIG_IGN}
        return child
