"""The thread calls of the ``occlum`` ABI (version 3, docs/abi.md "Threads").

``thread_spawn`` starts a new instance of the caller's program, on the
process's shared memory, at the guest's ``__occlum_thread_start(tid, arg)``
(libocclum's thread_start.s); ``thread_exit`` ends the calling thread
(pthread_exit: its guest part has already run); ``gettid`` and ``tkill``
(pthread_kill) name threads by their tid. See docs/threads.md.
"""

from __future__ import annotations

import threading

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.errors import KernelError
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process, current_thread
from pyocclum.kernel.signals import SI_TKILL, SIG_DFL, SigInfo, bit, check_signal
from pyocclum.kernel.threads import ThreadedSignalState, ThreadExit, new_thread
from pyocclum.syscalls import spec as S

MODULE = "occlum"


class ThreadSyscalls:
    """Handlers of the thread calls."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    @property
    def max_threads(self) -> int:
        return self.kernel.limits.max_threads

    def thread_spawn(self, p: Process, start_arg: int) -> int:
        """Start a thread at the guest's thread entry with ``start_arg``; its tid.

        EAGAIN past ``max_num_of_threads`` or when the program cannot run
        threads; ENOMEM if its instance cannot be made.
        """
        thread = new_thread(self.kernel, p, self.max_threads)
        spawn = p.threads.spawn
        assert spawn is not None  # new_thread checked
        try:
            with p.lock:
                if not isinstance(p.sig, ThreadedSignalState):  # masks per thread from now on
                    p.sig = ThreadedSignalState.of(p.sig, threading.get_ident())
                thread.mask = p.sig.blocked  # the creator's, as pthread_create gives
            spawn(thread, start_arg)
        except BaseException:
            p.threads.remove(thread)
            raise
        return thread.tid

    def thread_exit(self, p: Process) -> None:
        """End the calling thread (its guest part of pthread_exit has run).

        If it was the last thread the process ends with status 0 (libocclum
        calls exit(0) itself first, so this is a fallback).
        """
        thread = current_thread()
        if thread is None:
            raise KernelError(Errno.ESRCH, "no current thread")
        thread.exited = True
        raise ThreadExit()

    def gettid(self, p: Process) -> int:
        thread = current_thread()
        return thread.tid if thread is not None else p.pid

    def tkill(self, p: Process, tid: int, sig: int) -> None:
        """Send ``sig`` to the thread ``tid`` of the caller's process (pthread_kill).

        A signal that the thread handles or blocks is pending for that thread
        only: it runs the handler (at its next syscall, or futex-wait slice).
        One whose default action ends the process (or SIGKILL) ends it, as on
        Linux; an ignored one is dropped. ``sig`` 0 only checks that the
        thread lives.
        """
        check_signal(sig, allow_zero=True)
        target = p.threads.get(tid) if tid > 0 else None
        if target is None:
            raise KernelError(Errno.ESRCH, f"no thread {tid} in process {p.pid}")
        if not sig:
            return
        with p.lock:
            state = p.sig
            directed = (
                isinstance(state, ThreadedSignalState) and target.host != 0
                and sig != Signal.SIGKILL and not state.ignores(sig)
                and (state.action(sig).handler != SIG_DFL
                     or bool(state.masks.get(target.host, 0) & bit(sig)))
            )
            if directed:
                assert isinstance(state, ThreadedSignalState)
                state.direct(target.host, bit(sig))
        if not directed:
            # si_code SI_TKILL, as Linux's tgkill.
            self.kernel.send_signal(p, sig, SigInfo(sig, SI_TKILL, pid=p.pid))
        else:
            p.wake()

    def table(self) -> list[S.Syscall]:
        return [
            S.Syscall(MODULE, "thread_spawn", (S.u32("start_arg"), S.out_u32("tid")),
                      self.thread_spawn),
            S.Syscall(MODULE, "thread_exit", (), self.thread_exit, returns="none"),
            S.Syscall(MODULE, "gettid", (), self.gettid, returns="value"),
            S.Syscall(MODULE, "tkill", (S.s32("tid"), S.s32("sig")), self.tkill),
        ]
