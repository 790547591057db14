"""Turning ``WouldBlock`` into sleeping (or EAGAIN) for blocking syscalls."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.file import OpenFile
from pyocclum.kernel.process import Process

T = TypeVar("T")

#: How long one sleep lasts before re-checking for a kill (seconds).
WAIT_SLICE = 0.05


def blocking(proc: Process, file: OpenFile, op: Callable[[], T]) -> T:
    """Run ``op`` until it stops raising ``WouldBlock``.

    Non-blocking descriptions get EAGAIN at once; a process being killed gets
    EINTR so that it unwinds promptly.
    """
    while True:
        try:
            return op()
        except WouldBlock as wb:
            if file.nonblocking:
                raise KernelError(Errno.EAGAIN, "operation would block") from None
            if proc.status is not None:
                raise KernelError(Errno.EINTR, "interrupted") from None
            wb.waitable.wait(WAIT_SLICE)
