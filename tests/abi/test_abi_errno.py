"""Host errno -> kernel Errno: aliases, unknown numbers, same-named errors."""

from __future__ import annotations

import errno as host

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyocclum.abi.errno import Errno, from_host

#: Kernel errors with a host (Linux) errno of the same name whose errorcode entry
#: is the name itself (EDEADLK is tested on its own: Python names 35 "EDEADLOCK").
SAME_NAMED = [
    e for e in Errno
    if e not in (Errno.SUCCESS, Errno.ENOTCAPABLE, Errno.EDEADLK) and hasattr(host, e.name)
]


def test_sample_is_wide() -> None:
    # Linux knows every WASI errno except ENOTCAPABLE (and SUCCESS is not an error).
    assert len(SAME_NAMED) >= 70


@pytest.mark.parametrize("err", SAME_NAMED, ids=lambda e: e.name)
def test_same_named_host_errno(err: Errno) -> None:
    assert from_host(getattr(host, err.name)) is err


@pytest.mark.parametrize(
    ("host_errno", "expected"),
    [
        (host.ENOENT, Errno.ENOENT),
        (host.EACCES, Errno.EACCES),
        (host.EEXIST, Errno.EEXIST),
        (host.ENOTDIR, Errno.ENOTDIR),
        (host.EISDIR, Errno.EISDIR),
        (host.ENOSPC, Errno.ENOSPC),
        (host.EXDEV, Errno.EXDEV),
        (host.ELOOP, Errno.ELOOP),
        (host.EPIPE, Errno.EPIPE),
        (host.ENAMETOOLONG, Errno.ENAMETOOLONG),
        (host.EPERM, Errno.EPERM),
    ],
)
def test_common_host_errnos(host_errno: int, expected: Errno) -> None:
    # Values differ between Linux and WASI: the mapping is by name, not by number.
    assert from_host(host_errno) is expected


def test_ewouldblock_is_eagain() -> None:
    assert from_host(host.EWOULDBLOCK) is Errno.EAGAIN
    assert from_host(host.EAGAIN) is Errno.EAGAIN


def test_eopnotsupp_is_enotsup() -> None:
    assert from_host(host.EOPNOTSUPP) is Errno.ENOTSUP
    assert from_host(host.ENOTSUP) is Errno.ENOTSUP


def test_edeadlk_alias() -> None:
    assert from_host(host.EDEADLK) is Errno.EDEADLK


def test_none_is_eio() -> None:
    assert from_host(None) is Errno.EIO


@pytest.mark.parametrize("n", [-1, 0, 4096, 10**6, 2**31])
def test_unknown_numbers_are_eio(n: int) -> None:
    assert from_host(n) is Errno.EIO


def test_host_only_errnos_are_eio() -> None:
    # Linux errors that WASI has no name for (the host may say anything).
    for name in ("ENODATA", "ETIME", "EREMOTEIO", "ENOKEY", "ESHUTDOWN"):
        assert from_host(getattr(host, name)) is Errno.EIO, name


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_any_number_maps_to_an_errno(n: int) -> None:
    result = from_host(n)
    assert isinstance(result, Errno)
    assert result is not Errno.SUCCESS  # a failure never becomes success
    name = host.errorcode.get(n)
    if result is not Errno.EIO:
        assert name is not None
        assert name == result.name or (name, result.name) in {
            ("EWOULDBLOCK", "EAGAIN"),
            ("EDEADLOCK", "EDEADLK"),
            ("EOPNOTSUPP", "ENOTSUP"),
        }
