"""kernel/locks.py: range arithmetic against a byte-by-byte model, conflicts,
deadlock detection, flock, and release by owner and description."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.kernel.locks import OFFSET_MAX, LockKind, LockTable, RangeLock, normalize, range_of

KEY = ("dev", 1)
R, W, U = LockKind.READ, LockKind.WRITE, LockKind.UNLOCK
#: The model covers bytes 0..SPAN-1; OFFSET_MAX stands for "to the end" beyond it.
SPAN = 24


class Owner:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def model_of(locks: list[RangeLock], owner: object) -> list[LockKind | None]:
    """What ``owner`` holds on each byte 0..SPAN (SPAN: every byte beyond)."""
    out: list[LockKind | None] = [None] * (SPAN + 1)
    for lk in locks:
        if lk.owner is not owner:
            continue
        for b in range(lk.start, min(lk.end, SPAN) + 1):
            assert out[b] is None, "an owner's locks overlap"
            out[b] = lk.kind
    return out


requests = st.lists(
    st.tuples(
        st.integers(0, SPAN - 1),
        st.one_of(st.integers(0, SPAN - 1), st.just(OFFSET_MAX)),
        st.sampled_from([R, W, U]),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(requests)
def test_ranges_match_a_byte_model(ops: list[tuple[int, int, LockKind]]) -> None:
    """Setting locks replaces, splits and merges exactly as a per-byte map says, and
    the held list is normalized (sorted, same-kind neighbours merged)."""
    table = LockTable()
    me = Owner("me")
    model: list[LockKind | None] = [None] * (SPAN + 1)
    for a, b, kind in ops:
        start, end = (a, b) if b == OFFSET_MAX or a <= b else (b, a)
        table.set_range(KEY, me, start, end, kind, pid=1)
        for byte in range(start, min(end, SPAN) + 1):
            model[byte] = None if kind == U else kind
        if end == OFFSET_MAX:
            model[SPAN] = None if kind == U else kind
        held = table.locks(KEY)
        assert model_of(held, me) == model
        assert normalize(held) == held
        for x, y in itertools.pairwise(held):
            assert x.end < y.start
            assert x.kind != y.kind or x.end + 1 < y.start


def test_range_of_follows_flock_to_posix_lock() -> None:
    assert range_of(10, 5) == (10, 14)
    assert range_of(10, 0) == (10, OFFSET_MAX)
    assert range_of(10, -4) == (6, 9)
    assert range_of(0, 1) == (0, 0)
    for start, length, errno in [(-1, 1, Errno.EINVAL), (3, -4, Errno.EINVAL),
                                 (OFFSET_MAX, 2, Errno.EOVERFLOW)]:
        with pytest.raises(KernelError) as e:
            range_of(start, length)
        assert e.value.errno == errno


def test_conflicts_only_between_owners_and_with_a_writer() -> None:
    table = LockTable()
    a, b = Owner("a"), Owner("b")
    table.set_range(KEY, a, 0, 9, R, pid=1)
    table.set_range(KEY, b, 5, 14, R, pid=2)  # readers share
    assert table.test(KEY, b, 0, 20, W) == RangeLock(0, 9, R, a, 1)
    assert table.test(KEY, a, 0, 9, W) is not None  # b's read lock overlaps
    assert table.test(KEY, a, 0, 4, W) is None
    assert table.test(("dev", 2), b, 0, 9, W) is None  # another file
    with pytest.raises(WouldBlock):
        table.set_range(KEY, b, 0, 0, W, pid=2)
    with pytest.raises(KernelError) as e:
        table.test(KEY, a, 0, 1, U)
    assert e.value.errno == Errno.EINVAL


def test_unlock_wakes_waiters_and_release_drops_an_owners_locks() -> None:
    table = LockTable()
    a, b = Owner("a"), Owner("b")
    table.set_range(KEY, a, 0, OFFSET_MAX, W, pid=1)
    table.set_range(("dev", 2), a, 0, 3, R, pid=1)
    token = table.waitq.token()
    table.release_posix(KEY, a)
    assert table.waitq.token() != token
    assert table.locks(KEY) == []
    assert [lk.start for lk in table.locks(("dev", 2))] == [0]
    table.set_range(KEY, b, 0, 0, W, pid=2)
    table.release_owner(a)
    assert table.locks(("dev", 2)) == []
    assert table.locks(KEY) == [RangeLock(0, 0, W, b, 2)]


def test_deadlock_between_two_waiting_processes() -> None:
    table = LockTable()
    a, b = Owner("a"), Owner("b")
    table.set_range(KEY, a, 0, 0, W, pid=1)
    table.set_range(KEY, b, 1, 1, W, pid=2)
    with pytest.raises(WouldBlock):
        table.set_range(KEY, a, 1, 1, W, pid=1, wait=True)  # a now waits for b
    with pytest.raises(KernelError) as e:
        table.set_range(KEY, b, 0, 0, W, pid=2, wait=True)  # b would wait for a
    assert e.value.errno == Errno.EDEADLK
    table.stop_waiting(a)
    with pytest.raises(WouldBlock):  # a no longer waits: b may
        table.set_range(KEY, b, 0, 0, W, pid=2, wait=True)
    # OFD waiters are not followed (Linux checks POSIX locks only).
    table.stop_waiting(b)
    table.set_range(KEY, a, 5, 5, W, pid=-1, ofd=True)
    with pytest.raises(WouldBlock):
        table.set_range(KEY, b, 5, 5, W, pid=2, wait=True)


def test_flock_shared_exclusive_conversion_and_release() -> None:
    table = LockTable()
    a, b = Owner("a"), Owner("b")
    table.flock(KEY, a, R)
    table.flock(KEY, b, R)
    with pytest.raises(WouldBlock):
        table.flock(KEY, a, W)
    # The failed conversion dropped a's shared lock, as Linux does.
    assert table.flock_holders(KEY) == {b: False}
    table.flock(KEY, b, W)  # converting alone succeeds
    assert table.flock_holders(KEY) == {b: True}
    table.flock(KEY, b, W)  # again: nothing changes
    with pytest.raises(WouldBlock):
        table.flock(KEY, a, R)
    table.release_description(b)
    table.flock(KEY, a, R)
    table.flock(KEY, a, U)
    assert table.flock_holders(KEY) == {}
    # flock and record locks never conflict.
    table.flock(KEY, a, W)
    table.set_range(KEY, b, 0, OFFSET_MAX, W, pid=2)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1]), st.integers(0, SPAN - 1),
                          st.integers(0, SPAN - 1), st.sampled_from([R, W, U])), max_size=16))
def test_two_owners_match_a_byte_model(ops: list[tuple[int, int, int, LockKind]]) -> None:
    """With two owners, a request conflicts exactly when a byte of its range is
    write-locked by the other owner, or the request is a write and the other owner
    holds any lock there; a refused request changes nothing; F_GETLK agrees."""
    table = LockTable()
    owners = [Owner("a"), Owner("b")]
    models: list[list[LockKind | None]] = [[None] * (SPAN + 1), [None] * (SPAN + 1)]
    for who, x, y, kind in ops:
        start, end = min(x, y), max(x, y)
        me, other = owners[who], owners[1 - who]
        theirs = models[1 - who][start:end + 1]
        conflict = kind != U and any(
            k == W or (k is not None and kind == W) for k in theirs)
        if kind != U:
            assert (table.test(KEY, me, start, end, kind) is not None) == conflict
        if conflict:
            with pytest.raises(WouldBlock):
                table.set_range(KEY, me, start, end, kind, pid=who)
        else:
            table.set_range(KEY, me, start, end, kind, pid=who)
            for b in range(start, end + 1):
                models[who][b] = None if kind == U else kind
        held = table.locks(KEY)
        assert model_of(held, me) == models[who]
        assert model_of(held, other) == models[1 - who]
