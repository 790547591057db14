"""``occlum.sched_check``: the kernel's part of libocclum's futexes (docs/abi.md,
"Synchronization (futexes)").

libocclum waits on a futex with wasm's ``memory.atomic.wait32`` (threaded
builds) or by sleeping (single-threaded builds), in bounded slices. Between
slices it calls ``sched_check`` so that a thread blocked on a lock can still be
killed (SIGKILL, ``exit_group``) and run its signal handlers.
"""

from __future__ import annotations

import time

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process
from pyocclum.syscalls import spec as S
from pyocclum.syscalls.blocking import WAIT_SLICE, interrupted

MODULE = "occlum"
#: Longest wait one call may ask for (libocclum asks for slices of 50 ms).
MAX_TIMEOUT_NS = 1_000_000_000


class SyncSyscalls:
    """Handlers of the synchronization calls of ABI version 3."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def sched_check(self, p: Process, timeout_ns: int) -> None:
        """Let a kill take the caller, or run its pending signal handlers; else
        wait up to ``timeout_ns`` (0: not at all) for a signal to arrive.

        Handlers that ran make the call return at once: EINTR if one of them
        lacks SA_RESTART (a futex wait fails with EINTR, as Linux's), else
        success (the wait restarts after the caller re-checked its futex
        word). Returns normally when the time is up with nothing delivered. A
        negative or over-long (> 1 s) timeout is EINVAL.
        """
        if not 0 <= timeout_ns <= MAX_TIMEOUT_NS:
            raise KernelError(Errno.EINVAL, f"sched_check timeout {timeout_ns} ns")
        deadline = time.monotonic() + timeout_ns / 1e9
        queue = WaitQueue()
        while True:
            token = queue.token()
            if p.kill_status is not None or p.sig.pending & ~p.sig.blocked:
                interrupted(p, restart=True)
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            p.waiting_on = queue.since(token)
            try:
                queue.wait(min(left, WAIT_SLICE), token)
            finally:
                p.waiting_on = None

    def table(self) -> list[S.Syscall]:
        return [S.Syscall(MODULE, "sched_check", (S.s64("timeout_ns"),), self.sched_check)]
