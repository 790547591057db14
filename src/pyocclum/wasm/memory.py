"""Bounds-checked access to one process's linear memory.

The engine never moves linear memories (``memory_may_move=False``) and they
only grow, so a view of the memory stays valid; it is re-made only when an
access goes past the size last seen. An access still out of bounds after
that is EFAULT.
"""

from __future__ import annotations

import ctypes
import struct

import wasmtime
from wasmtime import _bindings

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_IOVEC = struct.Struct("<II")
#: Cap on the bytes one iovec list may describe (Linux's MAX_RW_COUNT).
MAX_IOV_BYTES = 0x7FFFF000
#: Cap on the number of iovecs (Linux's IOV_MAX).
IOV_MAX = 1024


# The C functions themselves (wasmtime-py's wrappers add two Python frames a call).
_memory_data = _bindings._wasmtime_memory_data
_memory_data_size = _bindings._wasmtime_memory_data_size


class GuestMemory:
    """The exported ``memory`` of one instance."""

    __slots__ = ("_base", "_context", "_memory", "_ref", "_store", "size", "view")

    def __init__(self, store: wasmtime.Store, memory: wasmtime.Memory) -> None:
        self._store = store  # keeps the context alive
        self._memory = memory
        self._context = store._context()
        self._ref = ctypes.byref(memory._memory)
        self._base = ctypes.addressof(_memory_data(self._context, self._ref).contents)
        self.size = 0
        self.view = memoryview(b"")
        self.remap()

    def remap(self) -> None:
        """Take the memory's current size (it grows without telling the kernel).
        Only on the thread that runs the store."""
        size = int(_memory_data_size(self._context, self._ref))
        if size != self.size:
            arr = (ctypes.c_ubyte * size).from_address(self._base)
            self.view = memoryview(arr).cast("B")
            self.size = size

    def check(self, ptr: int, n: int) -> None:
        """EFAULT unless ``[ptr, ptr+n)`` lies in the memory."""
        if ptr + n > self.size:
            self.remap()
            if ptr + n > self.size:
                raise KernelError(Errno.EFAULT, f"bad address {ptr:#x}+{n}")

    def read(self, ptr: int, n: int) -> bytes:
        self.check(ptr, n)
        return bytes(self.view[ptr : ptr + n])

    def write(self, ptr: int, data: bytes) -> None:
        n = len(data)
        self.check(ptr, n)
        self.view[ptr : ptr + n] = data

    def u32(self, ptr: int) -> int:
        self.check(ptr, 4)
        return int(_U32.unpack_from(self.view, ptr)[0])

    def set_u32(self, ptr: int, value: int) -> None:
        self.check(ptr, 4)
        _U32.pack_into(self.view, ptr, value)

    def set_u64(self, ptr: int, value: int) -> None:
        self.check(ptr, 8)
        _U64.pack_into(self.view, ptr, value)

    def iovecs(self, ptr: int, count: int) -> list[tuple[int, int]]:
        """The (buf, len) pairs of an iovec array, each checked to be in bounds, and
        together no more bytes than the memory has (see :func:`_clip`)."""
        if count == 1:  # the usual case, kept short
            if ptr + 8 > self.size:
                self.check(ptr, 8)
            buf, n = _IOVEC.unpack_from(self.view, ptr)
            if buf + n > self.size:
                self.check(buf, n)
            if n > MAX_IOV_BYTES:
                raise KernelError(Errno.EINVAL, "iovecs describe too many bytes")
            return [(buf, n)]
        if count > IOV_MAX:
            raise KernelError(Errno.EINVAL, f"more than {IOV_MAX} iovecs")
        self.check(ptr, 8 * count)
        view = self.view
        out = []
        total = 0
        for i in range(count):
            buf, n = _IOVEC.unpack_from(view, ptr + 8 * i)
            self.check(buf, n)
            total += n
            out.append((buf, n))
        if total > MAX_IOV_BYTES:
            raise KernelError(Errno.EINVAL, "iovecs describe too many bytes")
        if total > self.size:
            return _clip(out, self.size)
        return out

    def gather(self, iovs: list[tuple[int, int]]) -> bytes:
        view = self.view
        if len(iovs) == 1:
            buf, n = iovs[0]
            return bytes(view[buf : buf + n])
        return b"".join(view[buf : buf + n] for buf, n in iovs)

    def scatter(self, iovs: list[tuple[int, int]], data: bytes) -> None:
        if len(iovs) == 1:
            buf, n = iovs[0]
            if len(data) <= n:
                self.view[buf : buf + len(data)] = data
            else:
                self.view[buf : buf + n] = data[:n]
            return
        view = self.view
        pos = 0
        end = len(data)
        for buf, n in iovs:
            if pos >= end:
                break
            take = min(n, end - pos)
            view[buf : buf + take] = data[pos : pos + take]
            pos += take


def _clip(iovs: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """The first ``limit`` bytes of ``iovs``. Overlapping iovecs may describe far
    more bytes than the memory they lie in (1024 of them over all of it): one
    call then moves at most as many bytes as the process has memory, a short
    transfer as Linux's MAX_RW_COUNT makes one, instead of the kernel allocating
    that many host bytes for it (a memory bomb, found by the fuzzer)."""
    out = []
    for buf, n in iovs:
        if n >= limit:
            out.append((buf, limit))
            break
        out.append((buf, n))
        limit -= n
    return out
