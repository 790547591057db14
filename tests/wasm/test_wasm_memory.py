"""GuestMemory over a real wasmtime instance: bounds, growth, iovecs."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.wasm.engine import make_engine
from pyocclum.wasm.memory import IOV_MAX, GuestMemory

PAGE = 65536
WAT = """
(module
  (memory (export "memory") 1 8)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8))
"""


@dataclass
class Guest:
    store: wasmtime.Store
    mem: GuestMemory
    exports: Any

    def grow(self, pages: int) -> int:
        return int(self.exports["grow"](self.store, pages))

    def load(self, addr: int) -> int:
        return int(self.exports["load"](self.store, addr)) & 0xFFFFFFFF

    def store8(self, addr: int, value: int) -> None:
        self.exports["store8"](self.store, addr, value)


def new_guest() -> Guest:
    engine = make_engine()
    module = wasmtime.Module(engine, bytes(wasmtime.wat2wasm(WAT)))
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 40)
    instance = wasmtime.Instance(store, module, [])
    exports = instance.exports(store)
    memory = exports["memory"]
    assert isinstance(memory, wasmtime.Memory)
    return Guest(store, GuestMemory(store, memory), exports)


@pytest.fixture
def guest() -> Guest:
    return new_guest()


@pytest.fixture(scope="module")
def shared() -> Iterator[Guest]:
    """One instance shared by the hypothesis tests (a store per example would be slow)."""
    g = new_guest()
    yield g
    g.store.close()


def efault(e: pytest.ExceptionInfo[KernelError]) -> bool:
    return e.value.errno == Errno.EFAULT


def test_read_write_round_trip(guest: Guest) -> None:
    assert guest.mem.size == PAGE
    guest.mem.write(100, b"hello")
    assert guest.mem.read(100, 5) == b"hello"
    assert guest.mem.read(99, 7) == b"\0hello\0"
    assert guest.mem.read(0, 0) == b""


def test_guest_sees_host_writes_and_back(guest: Guest) -> None:
    guest.mem.set_u32(8, 0xDEADBEEF)
    assert guest.load(8) == 0xDEADBEEF
    assert guest.mem.read(8, 4) == b"\xef\xbe\xad\xde"  # little-endian
    guest.store8(20, 0x7A)
    assert guest.mem.read(20, 1) == b"\x7a"
    guest.mem.set_u64(32, 0x0102030405060708)
    assert guest.mem.read(32, 8) == struct.pack("<Q", 0x0102030405060708)
    assert guest.mem.u32(32) == 0x05060708


def test_last_bytes_are_reachable(guest: Guest) -> None:
    guest.mem.write(PAGE - 4, b"tail")
    assert guest.mem.read(PAGE - 4, 4) == b"tail"
    assert guest.mem.u32(PAGE - 4) == struct.unpack("<I", b"tail")[0]
    guest.mem.set_u32(PAGE - 4, 1)
    assert guest.mem.read(PAGE, 0) == b""  # empty range at the very end


@pytest.mark.parametrize(
    ("ptr", "n"), [(PAGE, 1), (PAGE - 1, 2), (PAGE - 4, 5), (PAGE + 100, 1), (0, PAGE + 1),
                   (0xFFFFFFFF, 1), (2**32, 0)],
)
def test_efault_at_and_past_the_end(guest: Guest, ptr: int, n: int) -> None:
    with pytest.raises(KernelError) as e:
        guest.mem.read(ptr, n)
    assert efault(e)
    with pytest.raises(KernelError) as e:
        guest.mem.write(ptr, b"x" * n)
    assert efault(e)


@pytest.mark.parametrize("ptr", [PAGE - 3, PAGE - 1, PAGE])
def test_efault_for_words(guest: Guest, ptr: int) -> None:
    for call in (lambda: guest.mem.u32(ptr), lambda: guest.mem.set_u32(ptr, 1)):
        with pytest.raises(KernelError) as e:
            call()
        assert efault(e)
    with pytest.raises(KernelError) as e:
        guest.mem.set_u64(PAGE - 7, 1)
    assert efault(e)


def test_failed_write_changes_nothing(guest: Guest) -> None:
    before = guest.mem.read(PAGE - 8, 8)
    with pytest.raises(KernelError):
        guest.mem.write(PAGE - 8, b"123456789")
    assert guest.mem.read(PAGE - 8, 8) == before


def test_growth_by_the_guest_is_seen(guest: Guest) -> None:
    with pytest.raises(KernelError) as e:
        guest.mem.read(PAGE, 4)
    assert efault(e)
    assert guest.grow(2) == 1  # memory.grow returns the old size in pages
    guest.mem.write(3 * PAGE - 4, b"new!")
    assert guest.mem.size == 3 * PAGE
    assert guest.mem.read(3 * PAGE - 4, 4) == b"new!"
    assert guest.load(3 * PAGE - 4) == struct.unpack("<I", b"new!")[0]
    with pytest.raises(KernelError) as e:
        guest.mem.read(3 * PAGE, 1)
    assert efault(e)


def test_growth_keeps_old_contents(guest: Guest) -> None:
    guest.mem.write(10, b"kept")
    guest.grow(1)
    assert guest.mem.read(10, 4) == b"kept"
    guest.mem.set_u32(PAGE + 4, 77)  # the new page, through u32 paths
    assert guest.mem.u32(PAGE + 4) == 77
    assert guest.load(10) == struct.unpack("<I", b"kept")[0]


def test_failed_growth_still_efaults(guest: Guest) -> None:
    assert guest.grow(100) == -1  # past the maximum of 8 pages
    with pytest.raises(KernelError) as e:
        guest.mem.read(PAGE, 1)
    assert efault(e)


# -- iovecs ---------------------------------------------------------------------------


def put_iovecs(mem: GuestMemory, at: int, iovs: list[tuple[int, int]]) -> None:
    mem.write(at, b"".join(struct.pack("<II", b, n) for b, n in iovs))


def test_iovecs_decodes(guest: Guest) -> None:
    put_iovecs(guest.mem, 0, [(100, 5), (200, 0), (PAGE - 10, 10)])
    assert guest.mem.iovecs(0, 3) == [(100, 5), (200, 0), (PAGE - 10, 10)]
    assert guest.mem.iovecs(0, 0) == []


def test_iovecs_limit(guest: Guest) -> None:
    # 1024 empty iovecs at 0 are fine; 1025 are EINVAL, even before looking at memory.
    assert len(guest.mem.iovecs(0, IOV_MAX)) == IOV_MAX == 1024
    with pytest.raises(KernelError) as e:
        guest.mem.iovecs(0, IOV_MAX + 1)
    assert e.value.errno == Errno.EINVAL
    with pytest.raises(KernelError) as e:
        guest.mem.iovecs(PAGE * 100, 5000)
    assert e.value.errno == Errno.EINVAL


@pytest.mark.parametrize(
    "bad", [(PAGE - 4, 5), (PAGE, 1), (0xFFFFFFFF, 1), (0xFFFFFFF0, 0x20), (0, PAGE + 1)],
)
def test_iovecs_out_of_bounds_buffer(guest: Guest, bad: tuple[int, int]) -> None:
    put_iovecs(guest.mem, 0, [(100, 5), bad])
    with pytest.raises(KernelError) as e:
        guest.mem.iovecs(0, 2)
    assert efault(e)
    put_iovecs(guest.mem, 0, [bad])  # one iovec takes a shorter path: the same checks
    with pytest.raises(KernelError) as e:
        guest.mem.iovecs(0, 1)
    assert efault(e)


def test_iovec_array_out_of_bounds(guest: Guest) -> None:
    with pytest.raises(KernelError) as e:
        guest.mem.iovecs(PAGE - 8, 2)
    assert efault(e)
    assert guest.mem.iovecs(PAGE - 8, 1) == [(0, 0)]
    for at in (PAGE - 4, PAGE, 0xFFFFFFFC):
        with pytest.raises(KernelError) as e:
            guest.mem.iovecs(at, 1)
        assert efault(e)


def test_iovecs_valid_after_growth(guest: Guest) -> None:
    put_iovecs(guest.mem, 0, [(PAGE + 10, 4)])
    with pytest.raises(KernelError):
        guest.mem.iovecs(0, 1)
    guest.grow(1)
    assert guest.mem.iovecs(0, 1) == [(PAGE + 10, 4)]


def _layout(lengths: list[int], gaps: list[int], base: int) -> list[tuple[int, int]]:
    iovs = []
    at = base
    for n, gap in zip(lengths, gaps, strict=True):
        at += gap
        iovs.append((at, n))
        at += n
    return iovs


chunks = st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(chunks, st.data())
def test_scatter_gather_round_trip(
    shared: Guest, lengths: list[int], data: st.DataObject
) -> None:
    mem = shared.mem
    gaps = data.draw(st.lists(st.integers(0, 40), min_size=len(lengths), max_size=len(lengths)))
    iovs = _layout(lengths, gaps, 4096)
    if data.draw(st.booleans()):
        iovs.reverse()  # buffers need not be in address order
    payload = data.draw(st.binary(min_size=sum(lengths), max_size=sum(lengths)))
    put_iovecs(mem, 0, iovs)
    decoded = mem.iovecs(0, len(iovs))
    assert decoded == iovs
    mem.scatter(decoded, payload)
    assert mem.gather(decoded) == payload
    assert b"".join(mem.read(b, n) for b, n in iovs) == payload


@settings(max_examples=60, deadline=None)
@given(chunks, st.data())
def test_short_scatter_writes_a_prefix(
    shared: Guest, lengths: list[int], data: st.DataObject
) -> None:
    mem = shared.mem
    iovs = _layout(lengths, [1] * len(lengths), 8192)
    total = sum(lengths)
    mem.scatter(iovs, b"\xaa" * total)
    short = data.draw(st.binary(max_size=total))
    mem.scatter(iovs, short)
    assert mem.gather(iovs) == short + b"\xaa" * (total - len(short))


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=2 * PAGE), st.integers(min_value=0, max_value=PAGE))
def test_bounds_property(shared: Guest, ptr: int, n: int) -> None:
    mem = shared.mem
    size = mem.size
    if ptr + n <= size:
        assert len(mem.read(ptr, n)) == n
    else:
        with pytest.raises(KernelError) as e:
            mem.read(ptr, n)
        assert efault(e)


def test_cstring_running_into_grown_memory_is_read(guest: Guest) -> None:
    """A string that starts in the mapped part and ends in memory grown since
    (a spawn argument malloc'd after a memory.grow) is read, not EFAULT."""
    from pyocclum.wasm.host import _read_cstring

    guest.mem.check(0, 1)  # maps the first page
    assert guest.grow(1) == 1
    for i, byte in enumerate(b"abcdef\0"):
        guest.store8(PAGE - 3 + i, byte)
    assert _read_cstring(guest.mem, PAGE - 3) == b"abcdef"
    guest.store8(2 * PAGE - 1, ord("x"))
    with pytest.raises(KernelError) as err:
        _read_cstring(guest.mem, 2 * PAGE - 1)
    assert err.value.errno == Errno.EFAULT
