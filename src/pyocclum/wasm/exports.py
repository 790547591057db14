"""Looking up one export of an instance by name."""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._extern import wrap_extern


def export(store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> Any:
    """The export ``name`` of ``instance``, or None.

    wasmtime-py's ``Instance.exports()`` wraps every export on first use; a
    spawn needs two or three of them, so this asks for them by name.
    """
    raw = name.encode()
    item = ffi.wasmtime_extern_t()
    found = ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance._instance), raw, len(raw), ctypes.byref(item)
    )
    return wrap_extern(item) if found else None
