"""Hot WASI calls that need no kernel state, served by C callbacks.

A call through the Python kernel costs about a microsecond of ctypes callback
entry, argument decoding and result writing; a program that reads the clock
in a loop pays it every time. The native helper library
(:mod:`pyocclum.native`, ``wasi_calls.zig``) serves these calls itself,
registered with wasmtime's C API as "unchecked" host functions (wasmtime calls
them with no Python, and no GIL, on the way):

* ``clock_time_get`` of ``REALTIME`` and ``MONOTONIC`` (the host's
  ``clock_gettime``, as ``time.time_ns``/``time.monotonic_ns``);
* ``clock_res_get`` of the four WASI clocks (1 ns);
* ``random_get`` (``getrandom``, as ``os.urandom``);
* ``sched_yield``.

Each native function is handed the Python dispatcher of the same call (its
``env``) and calls it for everything else: the CPU-time clocks (the kernel's
business: per process and thread), unknown clocks, addresses outside the
caller's memory, more random bytes than the kernel allows, a host error. So
results and errnos (EINVAL, EFAULT...) are the Python kernel's own; the tests
run both paths on the same calls and compare (``tests/wasm/test_native_calls.py``).

``args_sizes_get`` and ``environ_sizes_get`` stay in Python: they answer from
the calling process's argv and environment (kernel state), and a program
calls each at most once, at start-up.

What changes with a native call: it is not traced, so ``occlum run --strace``
serves every call in Python (all are traced, as before); and the kernel does
not look for pending signals after it (a Python call does): a handled signal
that arrives while a program calls only these is run by the epoch check, within
one tick (about 10 ms), as for a program that computes without calls. A fatal
signal stops it at once, as before.

Off with ``$PYOCCLUM_NATIVE_CALLS=0`` (or ``$PYOCCLUM_NATIVE=0``), read when a
kernel's linker is made; also off when the native library cannot be had (no
zig to build it, for one), or when a call's handler is not the stock one.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from wasmtime import _ffi as ffi

from pyocclum import _log
from pyocclum.kernel.kernel import Kernel
from pyocclum.native.library import (
    ABI,
    NATIVE_SWITCH,
    NativeLibrary,
    NativeUnavailable,
    shared,
    switched_off,
)
from pyocclum.syscalls.spec import Syscall
from pyocclum.syscalls.wasi import WasiSyscalls

__all__ = ["SWITCH", "NativeCalls", "served"]

log = _log.getLogger("pyocclum.wasm.native")

#: Set to ``0`` to serve every call in Python.
SWITCH = "PYOCCLUM_NATIVE_CALLS"

_WASI = "wasi_snapshot_preview1"
#: Calls served natively: (module, name) -> (exported function, wasm parameter
#: types, the stock handler it stands in for).
_SERVED: dict[tuple[str, str], tuple[str, tuple[str, ...], Any]] = {
    (_WASI, "clock_time_get"): ("pyocclum_wasi_clock_time_get", ("i32", "i64", "i32"),
                                WasiSyscalls.clock_time_get),
    (_WASI, "clock_res_get"): ("pyocclum_wasi_clock_res_get", ("i32", "i32"),
                               WasiSyscalls.clock_res_get),
    (_WASI, "random_get"): ("pyocclum_wasi_random_get", ("i32", "i32"),
                            WasiSyscalls.random_get),
    (_WASI, "sched_yield"): ("pyocclum_wasi_sched_yield", (), WasiSyscalls.sched_yield),
}


def served() -> list[tuple[str, str]]:
    """The (module, name) of every call that may be served natively."""
    return list(_SERVED)


class _Fallback(ctypes.Structure):
    """``wasi_calls.zig``'s ``Fallback``: the Python dispatcher of the call."""

    _fields_ = [("func", ctypes.c_void_p), ("env", ctypes.c_void_p)]


class _Api(ctypes.Structure):
    """``wasi_calls.zig``'s ``Api``: wasmtime's C API functions it calls."""

    _fields_ = [(name, ctypes.c_void_p) for name in (
        "caller_export_get", "caller_context", "memory_data", "memory_data_size",
        "sharedmemory_data", "sharedmemory_data_size", "extern_delete")] + [
        ("kind_memory", ctypes.c_uint64), ("kind_sharedmemory", ctypes.c_uint64)]


_API_FUNCTIONS = ("wasmtime_caller_export_get", "wasmtime_caller_context",
                  "wasmtime_memory_data", "wasmtime_memory_data_size",
                  "wasmtime_sharedmemory_data", "wasmtime_sharedmemory_data_size",
                  "wasmtime_extern_delete")
#: ``wasmtime_extern_t`` and ``wasmtime_val_raw_t`` as ``wasi_calls.zig`` lays them out.
_EXTERN_SIZE, _EXTERN_UNION_AT, _VAL_RAW_SIZE = 32, 8, 16

_init_lock = threading.Lock()
#: The library handed wasmtime's functions (once per process: they do not change).
_ready: NativeLibrary | None = None


def _wasmtime_layout_ok() -> bool:
    return (ctypes.sizeof(ffi.wasmtime_extern_t) == _EXTERN_SIZE
            and ffi.wasmtime_extern_t.of.offset == _EXTERN_UNION_AT
            and ctypes.sizeof(ffi.wasmtime_val_raw_t) == _VAL_RAW_SIZE)


def _library() -> NativeLibrary | None:
    """The native library, its WASI calls set up (once per process), or None."""
    global _ready
    if _ready is not None:
        return _ready
    lib = shared()
    if lib is None:
        return None
    with _init_lock:
        if _ready is None:
            if not _wasmtime_layout_ok():
                log.debug("native calls off: wasmtime's structs are not laid out as expected")
                return None
            try:
                table = _Api(*(ctypes.cast(getattr(ffi.dll, name), ctypes.c_void_p).value
                               for name in _API_FUNCTIONS),
                             ffi.WASMTIME_EXTERN_MEMORY.value,
                             ffi.WASMTIME_EXTERN_SHAREDMEMORY.value)
                init = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p)(
                    lib.address("pyocclum_wasi_init"))
                for name, _, _ in _SERVED.values():
                    lib.address(name)
            except (AttributeError, NativeUnavailable) as e:
                log.debug("native calls off: %s", e)
                return None
            abi = init(ctypes.addressof(table))  # the library copies the table
            if abi != ABI:
                log.debug("native calls off: ABI %d, expected %d", abi, ABI)
                return None
            _ready = lib
    return _ready


class NativeCalls:
    """Which calls one kernel's linker serves natively (see the module's doc)."""

    def __init__(self, kernel: Kernel) -> None:
        off = switched_off(NATIVE_SWITCH, SWITCH)
        if off is not None:
            log.debug("native calls off (%s=0)", off)
        #: Decided now: tracing shows every call, so nothing is served natively.
        self.enabled = off is None and kernel.strace is None
        # The fallbacks must outlive the linker: kept here, as the Binder keeps
        # its callbacks.
        self._keep: list[_Fallback] = []

    def route(self, sc: Syscall, callback: Any) -> tuple[Any, int | None]:
        """The function and ``env`` to define for ``sc``, whose Python dispatcher
        is ``callback``: the native function with ``callback`` as its fallback,
        or ``callback`` itself (with no ``env``)."""
        plain = ctypes.cast(callback, ffi.wasmtime_func_unchecked_callback_t), None
        entry = _SERVED.get((sc.module, sc.name))
        if not self.enabled or entry is None:
            return plain
        name, params, stock = entry
        if (getattr(sc.handler, "__func__", None) is not stock or sc.wasm_params != params
                or sc.returns != "errno"):
            return plain
        lib = _library()
        if lib is None:
            return plain
        fallback = _Fallback(ctypes.cast(callback, ctypes.c_void_p).value, None)
        self._keep.append(fallback)
        return (ffi.wasmtime_func_unchecked_callback_t(lib.address(name)),
                ctypes.addressof(fallback))
