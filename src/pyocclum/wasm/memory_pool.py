"""One pool for the heaps of every process of a LibOS, as Occlum's
``resource_limits.user_space_size``.

Each Store is held to its process's own limit (``limit_store``); this bounds
their sum. As the per-process limit, the pool counts what a program grows
into, not its image's own memory (its data and stack, which every process of
the program has from its start: 16 MiB for zig's default stack, mostly pages
never touched); so the memory all processes hold is at most
``user_space_size`` plus each one's initial memory, and ``max_num_of_processes``
bounds the latter.

The engine makes every (unshared) linear memory through :class:`MemoryPool`,
registered as wasmtime's host memory creator: each ``memory.grow`` takes the
growth from the pool (past the budget the grow fails: ``memory.grow`` returns
-1, and ``malloc`` NULL), and the memory gives it back when its Store is
deleted. Shared memories (programs with threads) are made by the executor, not
wasmtime's creator: it takes their largest growth from the pool up front
(:meth:`MemoryPool.charge`) and gives it back when the process ends.

A memory is what wasmtime's own would be: an address range of
``reserved + guard`` bytes (``memory_may_move`` is off, so compiled code
checks bounds against the reservation and faults in the guard), of which the
first ``size`` bytes are readable and writable, the rest ``PROT_NONE``; the
pages are the kernel's zero pages until written (``MAP_NORESERVE``).
wasmtime's copy-on-write initialisation of memories from a module image works
with its own memories only, so it is off: instantiation copies the data
segments (what the program's image holds, once per process).

The callbacks run on whichever thread instantiates or grows (they take the
GIL; a grow is rare, as ``malloc`` grows by large steps) and must never raise
into wasmtime: a failure is returned as a wasmtime error.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import wasmtime
from wasmtime import _bindings as B
from wasmtime import _ffi as ffi

__all__ = ["UNLIMITED", "Charge", "MemoryPool", "PoolExhausted"]

#: A pool without a budget (an engine outside a kernel, as tests make).
UNLIMITED = 1 << 62

_PROT_NONE, _PROT_RW = 0, 3
_MAP_PRIVATE, _MAP_ANONYMOUS, _MAP_NORESERVE = 0x02, 0x20, 0x4000
_MAP_FAILED = ctypes.c_void_p(-1).value
_HOST_PAGE = 4096

_libc = ctypes.CDLL(None, use_errno=True)
_mmap = _libc.mmap
_mmap.restype = ctypes.c_void_p
_mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                  ctypes.c_long]
_mprotect = _libc.mprotect
_mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_munmap = _libc.munmap
_munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_Finalizer = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class PoolExhausted(Exception):
    """Taking bytes from the pool would pass its budget."""


def _pages(n: int) -> int:
    return -(-n // _HOST_PAGE) * _HOST_PAGE


def _error(message: str) -> int:
    """A new wasmtime error, as a callback returns it."""
    err = ffi.wasmtime_error_new(ctypes.create_string_buffer(message.encode()))
    return ctypes.cast(err, ctypes.c_void_p).value or 0


class _Memory:
    __slots__ = ("base", "initial", "mapped", "maximum", "size")

    def __init__(self, base: int, size: int, maximum: int, mapped: int) -> None:
        self.base = base
        self.initial = size
        self.size = size
        self.maximum = maximum
        self.mapped = mapped


class Charge:
    """Bytes taken from a pool by :meth:`MemoryPool.charge`; :meth:`release`
    gives them back, once (later calls do nothing)."""

    __slots__ = ("_lock", "_nbytes", "_pool")

    def __init__(self, pool: MemoryPool, nbytes: int) -> None:
        self._pool: MemoryPool | None = pool
        self._nbytes = nbytes
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.release(self._nbytes)


class MemoryPool:
    """The budget of linear memory bytes shared by every process of one engine,
    and wasmtime's memory creator drawing on it."""

    def __init__(self, budget: int = UNLIMITED) -> None:
        #: Bytes of linear memory all memories together may have (settable: the
        #: kernel sets ``user_space_size`` once it is bound).
        self.budget = budget
        self._used = 0
        self._lock = threading.Lock()
        self._memories: dict[int, _Memory] = {}
        self._next_id = 1
        # The callbacks live as long as the pool (and the engine made with it).
        self._get = B.wasmtime_memory_get_callback_t(self._get_memory)
        self._grow = B.wasmtime_memory_grow_callback_t(self._grow_memory)
        self._free = _Finalizer(self._free_memory)
        self._new = B.wasmtime_new_memory_callback_t(self._new_memory)
        self._creator = B.wasmtime_memory_creator_t(None, self._new, _Finalizer(0))

    @property
    def used(self) -> int:
        """Bytes taken now: every live memory's growth and every charge."""
        return self._used

    def install(self, config: wasmtime.Config) -> None:
        """Make ``config``'s engine create its memories here (and copy data
        segments in, not map the module's image copy-on-write)."""
        B._wasmtime_config_memory_init_cow_set(config.ptr(), False)
        B._wasmtime_config_host_memory_creator_set(config.ptr(), ctypes.byref(self._creator))

    def charge(self, nbytes: int) -> Charge:
        """Take ``nbytes`` (a shared memory's) until the returned charge is
        released; :class:`PoolExhausted` past the budget."""
        with self._lock:
            if self._used + nbytes > self.budget:
                raise PoolExhausted(self._refusal(nbytes))
            self._used += nbytes
        return Charge(self, nbytes)

    def release(self, nbytes: int) -> None:
        with self._lock:
            self._used -= nbytes

    def _refusal(self, nbytes: int) -> str:
        return (f"{nbytes} more bytes of memory would pass resource_limits.user_space_size "
                f"({self.budget} bytes; all processes' heaps hold {self._used})")

    # -- wasmtime's callbacks (never raise) ------------------------------------------
    def _new_memory(self, env: Any, ty: Any, minimum: int, maximum: int, reserved: int,
                    guard: int, ret: Any) -> int:
        try:
            mapped = max(_pages(reserved or maximum), _pages(minimum)) + _pages(guard)
            base = _mmap(None, mapped, _PROT_NONE,
                         _MAP_PRIVATE | _MAP_ANONYMOUS | _MAP_NORESERVE, -1, 0)
            if base is None or base == _MAP_FAILED:
                return _error(f"cannot reserve {mapped} bytes of address space "
                              f"(errno {ctypes.get_errno()})")
            if minimum and _mprotect(base, _pages(minimum), _PROT_RW) != 0:
                _munmap(base, mapped)
                return _error(f"cannot map {minimum} bytes (errno {ctypes.get_errno()})")
            with self._lock:
                key = self._next_id
                self._next_id += 1
                self._memories[key] = _Memory(base, minimum, maximum, mapped)
            out = ret[0]
            out.env = key
            out.get_memory = self._get
            out.grow_memory = self._grow
            out.finalizer = self._free
            return 0
        except BaseException as e:  # nothing may unwind into wasmtime
            return _error(f"memory creation failed: {e!r}")

    def _get_memory(self, env: Any, size: Any, maximum: Any) -> int:
        memory = self._memories[env]
        size[0] = memory.size
        maximum[0] = memory.maximum
        return memory.base

    def _grow_memory(self, env: Any, new_size: int) -> int:
        try:
            memory = self._memories[env]
            grow = new_size - memory.size
            with self._lock:
                if self._used + grow > self.budget:
                    return _error(self._refusal(grow))
                self._used += grow
            if _mprotect(memory.base, _pages(new_size), _PROT_RW) != 0:
                self.release(grow)
                return _error(f"cannot map {new_size} bytes (errno {ctypes.get_errno()})")
            memory.size = new_size
            return 0
        except BaseException as e:
            return _error(f"memory growth failed: {e!r}")

    def _free_memory(self, env: Any) -> None:
        try:
            with self._lock:
                memory = self._memories.pop(env)
                self._used -= memory.size - memory.initial
            _munmap(memory.base, memory.mapped)
        except BaseException:  # a finalizer has no one to tell
            pass
