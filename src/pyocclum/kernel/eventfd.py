"""``eventfd``: a 64-bit counter read and written through a file descriptor.

Linux's semantics (fs/eventfd.c): ``write`` of an 8-byte value adds it
(``WouldBlock`` while the sum would exceed ``2**64 - 2``; the value
``2**64 - 1`` is EINVAL); ``read`` of at least 8 bytes returns the counter and
zeroes it, or with ``EFD_SEMAPHORE`` returns 1 and decrements it
(``WouldBlock`` while it is 0). Buffers shorter than 8 bytes: EINVAL.
Readable when the counter is above 0, writable while it is below ``2**64 - 2``.
"""

from __future__ import annotations

import struct
import threading

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.types import Stream
from pyocclum.fs.waitq import WaitQueue
from pyocclum.kernel.readiness import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM

EFD_SEMAPHORE = 1
#: The largest value the counter may hold.
COUNTER_MAX = (1 << 64) - 2
_U64 = struct.Struct("<Q")


class EventFd(Stream):
    """One eventfd object (shared by every fd of its open file description)."""

    __slots__ = ("_lock", "counter", "queue", "semaphore", "waitq")

    def __init__(self, initval: int, semaphore: bool) -> None:
        self.counter = initval
        self.semaphore = semaphore
        self._lock = threading.Lock()
        self.queue = WaitQueue()
        self.waitq = self.queue

    def read(self, size: int) -> bytes:
        if size < 8:
            raise KernelError(Errno.EINVAL, "eventfd reads need 8 bytes")
        with self._lock:
            token = self.queue.token()
            if self.counter == 0:
                raise WouldBlock(self.queue.since(token))
            value = 1 if self.semaphore else self.counter
            self.counter -= value
        self.queue.notify()  # writers waiting for room, and pollers
        return _U64.pack(value)

    def write(self, data: bytes) -> int:
        if len(data) < 8:
            raise KernelError(Errno.EINVAL, "eventfd writes need 8 bytes")
        (value,) = _U64.unpack_from(data)
        if value == (1 << 64) - 1:
            raise KernelError(Errno.EINVAL, "0xffffffffffffffff cannot be added")
        with self._lock:
            token = self.queue.token()
            if self.counter + value > COUNTER_MAX:
                raise WouldBlock(self.queue.since(token))
            self.counter += value
        if value:
            self.queue.notify()
        return 8

    def poll_events(self) -> int:
        mask = 0
        count = self.counter
        if count > 0:
            mask |= POLLIN | POLLRDNORM
        if count < COUNTER_MAX:
            mask |= POLLOUT | POLLWRNORM
        return mask

    def readable_now(self) -> bool:
        return self.counter > 0

    def writable_now(self) -> bool:
        return self.counter < COUNTER_MAX
