"""kernel/hostpoll.py: one thread waking waiters on host fds, armed one-shot."""

from __future__ import annotations

import os
import select
import time

from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.hostpoll import HostPoller


def notified(queue: WaitQueue, token: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if queue.token() != token:
            return True
        queue.wait(0.05, token)
    return queue.token() != token


def test_a_readable_host_fd_notifies_once_and_disarms() -> None:
    r, w = os.pipe()
    try:
        poller, queue = HostPoller(), WaitQueue()
        token = queue.token()
        poller.arm(r, select.POLLIN, queue)
        time.sleep(0.05)
        assert queue.token() == token  # nothing to read yet
        os.write(w, b"x")
        assert notified(queue, token)
        assert poller.armed() == 0  # one-shot: a fd that stays readable does not spin
        token = queue.token()
        time.sleep(0.05)
        assert queue.token() == token
    finally:
        os.close(r)
        os.close(w)


def test_disarm_forgets_and_a_hang_up_counts() -> None:
    r, w = os.pipe()
    try:
        poller, a, b = HostPoller(), WaitQueue(), WaitQueue()
        poller.arm(r, select.POLLIN, a)
        poller.arm(r, select.POLLIN, b)
        poller.disarm(a)
        assert poller.armed() == 1
        token_a, token_b = a.token(), b.token()
        os.close(w)  # POLLHUP wakes a reader armed for POLLIN
        assert notified(b, token_b)
        assert a.token() == token_a
    finally:
        os.close(r)
