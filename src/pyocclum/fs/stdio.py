"""Streams that connect process stdio to the host or to memory.

* :class:`HostFdStream`: a host file descriptor (the terminal, or whatever
  ``occlum run``'s own stdin/stdout/stderr are). Reads never block the
  kernel: they raise ``WouldBlock`` until the host fd is readable.
* :class:`BufferStream`: output captured in memory (the embedding API's
  ``capture=True``).
* :class:`BytesInputStream`: stdin from a fixed byte string.
"""

from __future__ import annotations

import math
import os
import select
import threading

from pyocclum.abi.errno import Errno, from_host
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.types import Stream

__all__ = ["BufferStream", "BytesInputStream", "HostFdStream"]

#: Largest single host read: ``os.read`` allocates its whole buffer up front,
#: and the guest controls ``size``.
_READ_MAX = 1 << 20

_IN_READY = select.POLLIN | select.POLLHUP | select.POLLERR | select.POLLNVAL
_OUT_READY = select.POLLOUT | select.POLLHUP | select.POLLERR | select.POLLNVAL


def _poll(fd: int, events: int, timeout: float | None) -> int:
    """``revents`` of ``fd`` after waiting up to ``timeout`` seconds (None: forever).

    ``poll`` rather than ``select``: it has no ``FD_SETSIZE`` limit on the fd number.
    """
    p = select.poll()
    p.register(fd, events)
    ms = None if timeout is None else max(0, math.ceil(timeout * 1000))
    ready = p.poll(ms)
    return ready[0][1] if ready else 0


class _FdWaiter:
    """Waitable for a host fd becoming readable or writable."""

    __slots__ = ("_events", "_fd")

    def __init__(self, fd: int, events: int) -> None:
        self._fd = fd
        self._events = events

    def wait(self, timeout: float | None) -> None:
        _poll(self._fd, self._events, timeout)


class HostFdStream(Stream):
    """A host file descriptor as a stream.

    ``read`` raises ``WouldBlock`` (waitable: poll for input on the fd) when
    nothing is available, and returns ``b""`` at end of file. ``write`` writes
    everything, waiting for writability if the host fd is non-blocking and
    full; concurrent writers do not interleave within one ``write``. A closed
    reader on the host gives ``EPIPE``.

    The host fd is not ours unless ``owns_fd``: ``close`` leaves it open, so
    that closing a process's stdout never closes the LibOS's own.
    """

    def __init__(self, fd: int, readable: bool, writable: bool, *, owns_fd: bool = False) -> None:
        self.fd = fd
        self._readable = readable
        self._writable = writable
        self._owns_fd = owns_fd
        self._closed = False
        self._tty = os.isatty(fd)
        self._read_waiter = _FdWaiter(fd, select.POLLIN)
        self._write_waiter = _FdWaiter(fd, select.POLLOUT)
        self._wlock = threading.Lock()

    def read(self, size: int) -> bytes:
        if not self._readable:
            raise KernelError(Errno.EBADF, "stream is not readable")
        if size <= 0:
            return b""
        if not _poll(self.fd, select.POLLIN, 0) & _IN_READY:
            raise WouldBlock(self._read_waiter)
        try:
            return os.read(self.fd, min(size, _READ_MAX))
        except BlockingIOError:
            raise WouldBlock(self._read_waiter) from None
        except OSError as e:
            raise KernelError(from_host(e.errno), f"host read: {e.strerror}") from e

    def write(self, data: bytes) -> int:
        if not self._writable:
            raise KernelError(Errno.EBADF, "stream is not writable")
        n = len(data)
        if n == 0:
            return 0
        done = 0
        with self._wlock:
            try:
                while done < n:
                    try:
                        if done == 0:
                            done = os.write(self.fd, data)
                        else:
                            with memoryview(data) as view:
                                done += os.write(self.fd, view[done:])
                    except BlockingIOError:
                        # A non-blocking host fd that is full: wait, then go on.
                        self._write_waiter.wait(None)
            except OSError as e:
                if done:
                    return done
                raise KernelError(from_host(e.errno), f"host write: {e.strerror}") from e
        return done

    def readable_now(self) -> bool:
        if not self._readable:
            return True  # read fails at once with EBADF
        return bool(_poll(self.fd, select.POLLIN, 0) & _IN_READY)

    def writable_now(self) -> bool:
        if not self._writable:
            return True
        return bool(_poll(self.fd, select.POLLOUT, 0) & _OUT_READY)

    def hung_up(self) -> bool:
        return bool(_poll(self.fd, 0, 0) & (select.POLLHUP | select.POLLERR))

    def isatty(self) -> bool:
        return self._tty

    def sync(self) -> None:
        """Nothing to do: writes go straight to the host fd (unbuffered)."""

    def close(self) -> None:
        if self._owns_fd and not self._closed:
            self._closed = True
            os.close(self.fd)


class BufferStream(Stream):
    """Write-only stream that keeps everything written, for ``getvalue``.

    Thread-safe: processes writing at once never lose or split a write.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._lock = threading.Lock()

    def write(self, data: bytes) -> int:
        with self._lock:
            self._buf += data
        return len(data)

    def getvalue(self) -> bytes:
        """Everything written so far."""
        with self._lock:
            return bytes(self._buf)


class BytesInputStream(Stream):
    """Read-only stream over ``data``; ``b""`` (end of file) once consumed.

    Thread-safe: concurrent readers each get distinct bytes.
    """

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0
        self._lock = threading.Lock()

    def read(self, size: int) -> bytes:
        if size <= 0:
            return b""
        with self._lock:
            pos = self._pos
            chunk = self._data[pos : pos + size]
            self._pos = pos + len(chunk)
        return chunk
