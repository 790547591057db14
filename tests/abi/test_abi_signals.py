"""wait4 status encoding, what a shell reports for it, and signal names."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyocclum.abi.signals import (
    NSIG,
    Signal,
    shell_exit_code,
    signal_name,
    wait_status_exited,
    wait_status_signaled,
)


@given(st.integers(min_value=0, max_value=255))
def test_exit_code_round_trips(code: int) -> None:
    status = wait_status_exited(code)
    assert shell_exit_code(status) == code
    # Same encoding as the host's <sys/wait.h> macros.
    assert os.WIFEXITED(status)
    assert not os.WIFSIGNALED(status)
    assert os.WEXITSTATUS(status) == code


@given(st.integers(min_value=-(2**20), max_value=2**20))
def test_exit_code_is_taken_modulo_256(code: int) -> None:
    # exit(256) reports 0, exit(-1) reports 255, as on Linux.
    assert shell_exit_code(wait_status_exited(code)) == code & 0xFF


@given(st.integers(min_value=1, max_value=NSIG - 1))
def test_signal_gives_128_plus_n(signo: int) -> None:
    status = wait_status_signaled(signo)
    assert shell_exit_code(status) == 128 + signo
    assert os.WIFSIGNALED(status)
    assert not os.WIFEXITED(status)
    assert os.WTERMSIG(status) == signo


def test_known_statuses() -> None:
    assert wait_status_exited(0) == 0
    assert wait_status_exited(1) == 0x100
    assert wait_status_signaled(Signal.SIGKILL) == 9
    assert shell_exit_code(wait_status_signaled(Signal.SIGSEGV)) == 139
    assert shell_exit_code(wait_status_signaled(Signal.SIGKILL)) == 137


def test_signal_numbers_are_linux() -> None:
    assert int(Signal.SIGKILL) == 9
    assert int(Signal.SIGSEGV) == 11
    assert int(Signal.SIGCHLD) == 17
    assert int(Signal.SIGSYS) == 31
    assert NSIG == 65


@pytest.mark.parametrize("sig", list(Signal), ids=lambda s: s.name)
def test_signal_name_of_named(sig: Signal) -> None:
    assert signal_name(int(sig)) == sig.name


@pytest.mark.parametrize("n", [0, 32, 34, 40, 64, 100, -1])
def test_signal_name_of_unnamed(n: int) -> None:
    assert signal_name(n) == f"signal {n}"
