"""wasm/exports.py's direct calls answer as wasmtime-py's generic ones do.

``instantiate`` and ``call_entry`` skip wasmtime-py's per-call wrappers on
the spawn path; the executor's handling of failures depends on their
raising the same exception types with the same messages.
"""

from __future__ import annotations

import pytest
import wasmtime

from pyocclum.wasm.engine import make_engine
from pyocclum.wasm.exports import call_entry, export, instantiate


def _pre(wat: str) -> tuple[wasmtime.Engine, wasmtime.InstancePre]:
    engine = make_engine()
    module = wasmtime.Module(engine, bytes(wasmtime.wat2wasm(wat)))
    return engine, wasmtime.Linker(engine).instantiate_pre(module)


def _store(engine: wasmtime.Engine) -> wasmtime.Store:
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 40)  # the engine interrupts on epochs
    return store


def test_instantiate_gives_a_working_instance() -> None:
    engine, pre = _pre('(module (memory (export "memory") 1) (func (export "run") (result i32)'
                       " (i32.store (i32.const 8) (i32.const 5)) (i32.load (i32.const 8))))")
    store = _store(engine)
    instance = instantiate(pre, store)
    func = export(store, instance, "run")
    assert isinstance(func, wasmtime.Func)
    assert isinstance(export(store, instance, "memory"), wasmtime.Memory)
    assert export(store, instance, "nothing") is None
    assert call_entry(store, func, True) == 5 == func(store)


def test_instantiate_raises_what_instance_pre_raises() -> None:
    # Over the store's memory limit: a WasmtimeError, with the same message.
    engine, pre = _pre('(module (memory (export "memory") 4))')
    messages = []
    for make in (instantiate, lambda p, s: p.instantiate(s)):
        store = _store(engine)
        store.set_limits(memory_size=1 << 16)
        with pytest.raises(wasmtime.WasmtimeError) as e:
            make(pre, store)
        messages.append(str(e.value))
    assert messages[0] == messages[1]
    # A start function that traps: a Trap (not a WasmtimeError), as before.
    engine, pre = _pre("(module (func $s unreachable) (start $s))")
    for make in (instantiate, lambda p, s: p.instantiate(s)):
        with pytest.raises(wasmtime.Trap, match="unreachable"):
            make(pre, _store(engine))


def test_call_entry_raises_what_a_generic_call_raises() -> None:
    engine, pre = _pre('(module (func (export "_start") unreachable))')
    store = _store(engine)
    func = export(store, instantiate(pre, store), "_start")
    with pytest.raises(wasmtime.Trap, match="unreachable"):
        call_entry(store, func, False)
    # The wrong result count is wasmtime's error, not a crash.
    with pytest.raises(wasmtime.WasmtimeError):
        call_entry(store, func, True)
