"""The host's Ctrl-C and SIGTERM, passed on to the processes of a running instance."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from pyocclum.abi.signals import Signal
from pyocclum.errors import KernelError
from pyocclum.kernel import Kernel

#: After SIGTERM, how long processes get to exit before SIGKILL.
TERM_GRACE = 5.0


@contextlib.contextmanager
def forward_host_signals(kernel: Kernel) -> Iterator[None]:
    """While the instance runs: Ctrl-C (SIGINT) goes to the foreground process
    group (the entry process's), SIGTERM to every process, then SIGKILL after
    :data:`TERM_GRACE` seconds. Only the main thread can install handlers;
    elsewhere (an embedding program's worker thread) nothing is forwarded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_int(signo: int, frame: object) -> None:
        # The foreground group is the entry process's (pid 1). Not kill(-pgid):
        # that group is 1, and kill(-1) means "everyone".
        try:
            group = kernel.process(1).pgid
        except KernelError:
            return
        for p in kernel.live_processes():
            if p.pgid == group:
                kernel.send_signal(p, Signal.SIGINT)

    def on_term(signo: int, frame: object) -> None:
        for p in kernel.live_processes():
            kernel.send_signal(p, Signal.SIGTERM)
        timer = threading.Timer(TERM_GRACE, kernel.shutdown)
        timer.daemon = True
        timer.start()

    old_int = signal.signal(signal.SIGINT, on_int)
    old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
