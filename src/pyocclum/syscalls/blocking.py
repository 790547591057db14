"""Turning ``WouldBlock`` into sleeping (or EAGAIN, or EINTR) for blocking syscalls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.kernel.process import Process

T = TypeVar("T")

#: Longest sleep before re-checking (a signal or kill also wakes the sleeper).
WAIT_SLICE = 0.05


def interrupted(proc: Process, *, restart: bool) -> bool:
    """Handle signals that arrived while ``proc`` was blocked.

    Runs pending handlers in the guest. Returns True if the call may go on
    (every handler asked for SA_RESTART and ``restart`` allows it); raises
    EINTR if it must fail; a kill is left for the dispatcher to carry out.
    """
    if proc.kill_status is not None:
        raise KernelError(Errno.EINTR, "interrupted by a fatal signal")
    if not proc.sig.pending & ~proc.sig.blocked:
        return True
    handlers = proc.run_handlers
    again = handlers(proc) if handlers is not None else False
    if proc.kill_status is not None or not (again and restart):
        raise KernelError(Errno.EINTR, "interrupted by a signal")
    return True


def blocking(
    proc: Process,
    op: Callable[[], T],
    *,
    nonblocking: bool = False,
    restart: bool = True,
    timeout: float | None = None,
) -> T:
    """Run ``op`` until it stops raising ``WouldBlock``.

    ``nonblocking`` gives EAGAIN at once. A handled signal runs its handler and
    then restarts ``op`` (SA_RESTART and ``restart``) or fails with EINTR.
    ``timeout`` (seconds; a socket's SO_RCVTIMEO/SO_SNDTIMEO) gives EAGAIN once
    it has passed without ``op`` succeeding.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            return op()
        except WouldBlock as wb:
            if nonblocking:
                raise KernelError(Errno.EAGAIN, "operation would block") from None
            waitable = wb.waitable
        if proc.kill_status is not None or proc.sig.pending & ~proc.sig.blocked:
            interrupted(proc, restart=restart)
            continue
        wait = WAIT_SLICE
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                raise KernelError(Errno.EAGAIN, "timed out")
        proc.waiting_on = waitable
        try:
            # A signal sent before waiting_on was published did not wake us: look again.
            if proc.kill_status is None and not proc.sig.pending & ~proc.sig.blocked:
                waitable.wait(wait)
        finally:
            proc.waiting_on = None
