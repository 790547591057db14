"""MemoryPool: every linear memory's growth drawn from one budget."""

from __future__ import annotations

import gc

import pytest
import wasmtime

from pyocclum.wasm.engine import make_engine
from pyocclum.wasm.memory_pool import MemoryPool, PoolExhausted

PAGE = 65536
WAT = """(module (memory (export "memory") 2)
  (data (i32.const 100) "hello")
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"""


def _instance(engine: wasmtime.Engine) -> tuple[wasmtime.Store, wasmtime.Instance]:
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 40)
    return store, wasmtime.Instance(store, wasmtime.Module(engine, WAT), [])


def test_growth_takes_from_the_pool_and_goes_back_when_the_store_goes() -> None:
    pool = MemoryPool(budget=6 * PAGE)
    engine = make_engine(pool)
    store, inst = _instance(engine)
    grow, load = inst.exports(store)["grow"], inst.exports(store)["load"]
    assert isinstance(grow, wasmtime.Func)
    assert isinstance(load, wasmtime.Func)
    assert pool.used == 0  # the image's own memory is not counted
    assert [load(store, 100 + i) for i in range(5)] == list(b"hello")  # data segments copied
    assert grow(store, 4) == 2
    assert pool.used == 4 * PAGE
    other_store, other = _instance(engine)
    other_grow = other.exports(other_store)["grow"]
    assert isinstance(other_grow, wasmtime.Func)
    assert other_grow(other_store, 1) == 2
    assert pool.used == 5 * PAGE
    assert grow(store, 2) == -1  # past the budget: malloc would get NULL
    assert grow(store, 1) == 6
    assert pool.used == 6 * PAGE
    assert other_grow(other_store, 1) == -1
    with pytest.raises(wasmtime.Trap):
        load(store, 7 * PAGE)  # past the memory's size: the guard, not the budget
    del grow, load, inst, store
    gc.collect()
    assert pool.used == PAGE
    assert other_grow(other_store, 1) == 3
    del other_grow, other, other_store
    gc.collect()
    assert pool.used == 0


def test_a_charge_is_given_back_once() -> None:
    pool = MemoryPool(budget=100)
    charge = pool.charge(60)
    with pytest.raises(PoolExhausted, match="user_space_size"):
        pool.charge(41)
    charge.release()
    charge.release()
    assert pool.used == 0
    pool.charge(100).release()
    assert pool.used == 0


def test_a_raised_budget_lets_a_memory_grow() -> None:
    pool = MemoryPool(budget=0)
    store, inst = _instance(make_engine(pool))
    grow = inst.exports(store)["grow"]
    assert isinstance(grow, wasmtime.Func)
    assert grow(store, 1) == -1
    pool.budget = PAGE
    assert grow(store, 1) == 2
