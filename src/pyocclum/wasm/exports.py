"""Looking up exports of an instance by name, and calling a program's entry."""

from __future__ import annotations

import ctypes
from typing import Any, cast

import wasmtime
from wasmtime import _bindings
from wasmtime import _ffi as ffi
from wasmtime._extern import wrap_extern

# The C functions themselves: wasmtime-py's wrappers add a Python frame per call.
_export_get = _bindings._wasmtime_instance_export_get
func_call = _bindings._wasmtime_func_call
_instantiate_pre = _bindings._wasmtime_instance_pre_instantiate
TrapPointer = ctypes.POINTER(ffi.wasm_trap_t)
_FUNC = ffi.WASMTIME_EXTERN_FUNC.value
_MEMORY = ffi.WASMTIME_EXTERN_MEMORY.value


def s32(value: int) -> int:
    """An i32 argument from an unsigned value (wasmtime wants signed)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def raise_failure(error: Any, trap: Any) -> None:
    """Raise what wasmtime-py raises for a C call that returned ``error`` or
    set ``trap``: ``wasmtime.WasmtimeError`` (a host function's error, an
    argument of the wrong type) or ``wasmtime.Trap``. Nothing if neither."""
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
    if trap:
        raise wasmtime.Trap._from_ptr(trap)


def export(store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> Any:
    """The export ``name`` of ``instance``, or None.

    wasmtime-py's ``Instance.exports()`` wraps every export on first use; a
    spawn needs two or three of them, so this asks for them by name.
    """
    raw = name.encode()
    item = ffi.wasmtime_extern_t()
    found = _export_get(
        store._context(), ctypes.byref(instance._instance), raw, len(raw), ctypes.byref(item)
    )
    if not found:
        return None
    # The two kinds a spawn asks for, wrapped here: wrap_extern imports its
    # classes on every call.
    kind = cast(int, item.kind)  # a struct's integer field reads as an int
    if kind == _FUNC:
        return wasmtime.Func._from_raw(item.of.func)
    if kind == _MEMORY:
        return wasmtime.Memory._from_raw(item.of.memory)
    return wrap_extern(item)


def call_entry(store: wasmtime.Store, func: wasmtime.Func, returns_i32: bool) -> int | None:
    """Call ``func``, which takes no arguments and returns nothing or one i32
    (``returns_i32``; wasmtime checks that it does): its result, or None.

    As ``func(store)`` does, a trap raises ``wasmtime.Trap`` and an error
    (a host function's) ``wasmtime.WasmtimeError``; without the per-call
    work of wasmtime-py's generic call (the function's type fetched and
    wrapped, value conversions, a context manager), about 15 us a spawn.
    """
    trap = TrapPointer()
    results = _ONE_RESULT() if returns_i32 else None
    error = func_call(store._context(), ctypes.byref(func._func), None, 0, results,
                      1 if returns_i32 else 0, ctypes.byref(trap))
    raise_failure(error, trap)
    return int(results[0].of.i32) if results is not None else None


def instantiate(pre: wasmtime.InstancePre, store: wasmtime.Store) -> wasmtime.Instance:
    """``pre.instantiate(store)`` without wasmtime-py's context manager (the
    same errors: ``wasmtime.WasmtimeError``, or ``wasmtime.Trap`` if a start
    function traps)."""
    instance = ffi.wasmtime_instance_t()
    trap = TrapPointer()
    error = _instantiate_pre(pre.ptr(), store._context(), ctypes.byref(instance),
                             ctypes.byref(trap))
    raise_failure(error, trap)
    return wasmtime.Instance._from_raw(instance)


_ONE_RESULT = ffi.wasmtime_val_t * 1
