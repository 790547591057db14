"""WASI preview1 struct layouts and the WASI -> Linux signal mapping."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyocclum.abi import wasi
from pyocclum.abi.signals import Signal
from pyocclum.abi.wasi import pack_dirent, signal_from_wasi


@pytest.mark.parametrize(
    ("layout", "size"),
    [
        (wasi.FILESTAT, 64),
        (wasi.FDSTAT, 24),
        (wasi.DIRENT, 24),
        (wasi.SUBSCRIPTION, 48),
        (wasi.EVENT, 32),
        (wasi.PRESTAT, 8),
        (wasi.IOVEC, 8),
        (wasi.U32, 4),
        (wasi.U64, 8),
    ],
)
def test_struct_sizes(layout: struct.Struct, size: int) -> None:
    assert layout.size == size


def test_filestat_offsets() -> None:
    raw = wasi.FILESTAT.pack(1, 2, 3, 4, 5, 6, 7, 8)
    assert struct.unpack_from("<Q", raw, 0)[0] == 1  # dev
    assert struct.unpack_from("<Q", raw, 8)[0] == 2  # ino
    assert raw[16] == 3  # filetype
    assert raw[17:24] == bytes(7)
    assert struct.unpack_from("<QQQQQ", raw, 24) == (4, 5, 6, 7, 8)  # nlink size atim mtim ctim


def test_fdstat_offsets() -> None:
    raw = wasi.FDSTAT.pack(4, 0x15, 0x1122, 0x3344)
    assert raw[0] == 4
    assert struct.unpack_from("<H", raw, 2)[0] == 0x15
    assert struct.unpack_from("<QQ", raw, 8) == (0x1122, 0x3344)


def test_prestat_offsets() -> None:
    raw = wasi.PRESTAT.pack(wasi.PREOPENTYPE_DIR, 1)
    assert raw == b"\0\0\0\0\x01\0\0\0"


def test_event_offsets() -> None:
    raw = wasi.EVENT.pack(0xAA, 8, wasi.EventType.FD_READ, 77, wasi.EVENTRWFLAG_HANGUP)
    assert struct.unpack_from("<Q", raw, 0)[0] == 0xAA
    assert struct.unpack_from("<H", raw, 8)[0] == 8
    assert raw[10] == wasi.EventType.FD_READ
    assert struct.unpack_from("<Q", raw, 16)[0] == 77
    assert struct.unpack_from("<H", raw, 24)[0] == wasi.EVENTRWFLAG_HANGUP


def test_subscription_clock_offsets() -> None:
    body = wasi.SUBSCRIPTION_CLOCK.pack(1, 1000, 10, wasi.SUBCLOCKFLAG_ABSTIME)
    raw = wasi.SUBSCRIPTION.pack(0xBEEF, wasi.EventType.CLOCK, body.ljust(32, b"\0"))
    assert struct.unpack_from("<Q", raw, 0)[0] == 0xBEEF
    assert raw[8] == wasi.EventType.CLOCK
    # The union starts at offset 16: clock id, then (8-aligned) timeout, precision, flags.
    assert struct.unpack_from("<I", raw, 16)[0] == 1
    assert struct.unpack_from("<QQH", raw, 24) == (1000, 10, wasi.SUBCLOCKFLAG_ABSTIME)


def test_pack_dirent_layout() -> None:
    rec = pack_dirent(7, 0x0102030405060708, wasi.FileType.REGULAR_FILE, b"hello")
    assert len(rec) == 24 + 5
    assert struct.unpack_from("<Q", rec, 0)[0] == 7  # d_next
    assert struct.unpack_from("<Q", rec, 8)[0] == 0x0102030405060708  # d_ino
    assert struct.unpack_from("<I", rec, 16)[0] == 5  # d_namlen
    assert rec[20] == wasi.FileType.REGULAR_FILE  # d_type
    assert rec[21:24] == b"\0\0\0"
    assert rec[24:] == b"hello"


@given(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=0, max_value=2**64 - 1),
    st.sampled_from(list(wasi.FileType)),
    st.binary(max_size=300),
)
def test_pack_dirent_round_trips(next_: int, ino: int, ft: wasi.FileType, name: bytes) -> None:
    rec = pack_dirent(next_, ino, ft, name)
    assert wasi.DIRENT.unpack_from(rec) == (next_, ino, len(name), ft)
    assert rec[wasi.DIRENT.size :] == name


def test_signal_from_wasi_examples() -> None:
    assert signal_from_wasi(0) == 0
    assert signal_from_wasi(15) == int(Signal.SIGTERM) == 15
    assert signal_from_wasi(16) == int(Signal.SIGCHLD) == 17  # WASI has no SIGSTKFLT
    assert signal_from_wasi(9) == Signal.SIGKILL
    assert signal_from_wasi(30) == int(Signal.SIGSYS) == 31


@given(st.integers(min_value=1, max_value=30))
def test_signal_from_wasi_skips_sigstkflt(w: int) -> None:
    linux = signal_from_wasi(w)
    assert linux == (w if w < 16 else w + 1)
    assert linux != Signal.SIGSTKFLT


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=31)))
def test_signal_from_wasi_out_of_range(w: int) -> None:
    assert signal_from_wasi(w) is None


def test_rights_sets_fit_in_rights_all() -> None:
    for rights in (wasi.RIGHTS_REGULAR_FILE, wasi.RIGHTS_DIRECTORY, wasi.RIGHTS_STREAM):
        assert rights & ~wasi.RIGHTS_ALL == 0
    assert sum(int(r) for r in wasi.Rights) == wasi.RIGHTS_ALL
