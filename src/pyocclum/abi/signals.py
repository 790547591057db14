"""Linux signal numbers (wasi-libc uses the same) and ``wait4`` status encoding."""

from __future__ import annotations

import enum


class Signal(enum.IntEnum):
    """Signal numbers as on Linux x86-64."""

    SIGHUP = 1
    SIGINT = 2
    SIGQUIT = 3
    SIGILL = 4
    SIGTRAP = 5
    SIGABRT = 6
    SIGBUS = 7
    SIGFPE = 8
    SIGKILL = 9
    SIGUSR1 = 10
    SIGSEGV = 11
    SIGUSR2 = 12
    SIGPIPE = 13
    SIGALRM = 14
    SIGTERM = 15
    SIGSTKFLT = 16
    SIGCHLD = 17
    SIGCONT = 18
    SIGSTOP = 19
    SIGTSTP = 20
    SIGTTIN = 21
    SIGTTOU = 22
    SIGURG = 23
    SIGXCPU = 24
    SIGXFSZ = 25
    SIGVTALRM = 26
    SIGPROF = 27
    SIGWINCH = 28
    SIGPOLL = 29
    SIGPWR = 30
    SIGSYS = 31


NSIG = 65


def wait_status_exited(code: int) -> int:
    """``wait4`` status of a process that called ``exit(code)``."""
    return (code & 0xFF) << 8


def wait_status_signaled(signo: int) -> int:
    """``wait4`` status of a process terminated by signal ``signo``."""
    return signo & 0x7F


def shell_exit_code(status: int) -> int:
    """What a shell reports for a ``wait4`` status: the code, or 128+N for signal N."""
    signo = status & 0x7F
    if signo:
        return 128 + signo
    return (status >> 8) & 0xFF


def signal_name(signo: int) -> str:
    """``SIGSEGV`` for 11, ``signal 40`` for numbers without a name."""
    try:
        return Signal(signo).name
    except ValueError:
        return f"signal {signo}"
