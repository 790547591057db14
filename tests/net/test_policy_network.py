"""net/policy.py: which endpoints a policy allows, and how a refusal looks."""

from __future__ import annotations

import logging

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.net.policy import ALLOW_ALL, LOGGED_REFUSALS, NetworkPolicy


def test_left_out_allows_all_and_an_empty_list_nothing() -> None:
    assert ALLOW_ALL.unrestricted
    assert ALLOW_ALL.allows("bind", "0.0.0.0", 80)
    only_connect = NetworkPolicy.from_entries(None, [])
    assert not only_connect.unrestricted
    assert only_connect.allows("bind", "::", 0)
    assert not only_connect.allows("connect", "127.0.0.1", 80)


def test_any_entry_may_allow() -> None:
    policy = NetworkPolicy.from_entries(["127.0.0.1:8080", "[::1]:*", "0.0.0.0:9000-9010"], None)
    assert policy.allows("bind", "127.0.0.1", 8080)
    assert not policy.allows("bind", "127.0.0.1", 8081)
    assert policy.allows("bind", "::1", 0)
    assert policy.allows("bind", "0.0.0.0", 9005)
    assert not policy.allows("bind", "0.0.0.0", 8080)
    assert policy.allows("connect", "8.8.8.8", 53)


def test_a_refusal_is_eacces_and_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    policy = NetworkPolicy.from_entries(None, ["10.0.0.0/8:*"])
    with caplog.at_level(logging.WARNING, logger="pyocclum.net"):
        policy.check("connect", "10.9.9.9", 443, "pid 7 (/bin/c)", "connect")
        with pytest.raises(KernelError) as e:
            policy.check("connect", "::1", 443, "pid 7 (/bin/c)", "sendto")
    assert e.value.errno == Errno.EACCES
    assert [r.getMessage() for r in caplog.records] == [
        "network policy: pid 7 (/bin/c): sendto to [::1]:443 denied (not in network.connect)"
    ]


def test_refusals_in_a_loop_do_not_flood_the_log(caplog: pytest.LogCaptureFixture) -> None:
    policy = NetworkPolicy.from_entries([], [])
    with caplog.at_level(logging.DEBUG, logger="pyocclum.net"):
        for port in range(LOGGED_REFUSALS + 50):
            with pytest.raises(KernelError):
                policy.check("bind", "0.0.0.0", port, "pid 3 (/bin/b)", "bind")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == LOGGED_REFUSALS + 1
    assert errors[-1] == (f"network policy: {LOGGED_REFUSALS} refusals; the next ones are "
                          "logged at level debug")
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 50  # still there for OCCLUM_LOG_LEVEL=debug
    assert debug[-1].getMessage().endswith(f"0.0.0.0:{LOGGED_REFUSALS + 49} denied "
                                           "(not in network.bind)")
