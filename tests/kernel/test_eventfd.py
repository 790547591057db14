"""kernel/eventfd.py: Linux's eventfd counter."""

from __future__ import annotations

import struct

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.kernel.eventfd import COUNTER_MAX, EventFd
from pyocclum.kernel.readiness import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def test_counter_read_zeroes_and_semaphore_takes_one() -> None:
    e = EventFd(5, semaphore=False)
    assert e.read(8) == u64(5)
    with pytest.raises(WouldBlock):
        e.read(8)
    s = EventFd(2, semaphore=True)
    assert s.read(16) == u64(1)
    assert s.read(8) == u64(1)
    with pytest.raises(WouldBlock):
        s.read(8)


def test_short_buffers_and_the_forbidden_value() -> None:
    e = EventFd(1, semaphore=False)
    for call in (lambda: e.read(7), lambda: e.write(b"1234"), lambda: e.write(u64(2**64 - 1))):
        with pytest.raises(KernelError) as err:
            call()
        assert err.value.errno == Errno.EINVAL


def test_overflow_would_block_and_readiness() -> None:
    e = EventFd(0, semaphore=False)
    assert e.poll_events() == POLLOUT | POLLWRNORM
    e.write(u64(COUNTER_MAX))
    assert e.poll_events() == POLLIN | POLLRDNORM
    with pytest.raises(WouldBlock):
        e.write(u64(1))
    assert e.write(u64(0)) == 8  # adding 0 always fits


def test_writes_notify_the_queue() -> None:
    e = EventFd(0, semaphore=False)
    token = e.queue.token()
    e.write(u64(3))
    assert e.queue.token() != token
