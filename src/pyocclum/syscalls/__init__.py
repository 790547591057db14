"""Syscall handlers (plain Python values in and out) and the table describing them.

The socket and events calls' handlers are made when the first of them is linked
(or called): their tables (``net_table``, ``events_table``) name them, so a run
whose programs import none of them does not import :mod:`pyocclum.net`, epoll,
eventfd or timerfd.
"""

from __future__ import annotations

from pyocclum.kernel.kernel import Kernel
from pyocclum.syscalls import events_table, net_table
from pyocclum.syscalls.files import FileSyscalls
from pyocclum.syscalls.host import HostCalls
from pyocclum.syscalls.occlum import OcclumSyscalls
from pyocclum.syscalls.paths import PathSyscalls
from pyocclum.syscalls.signals import SignalSyscalls
from pyocclum.syscalls.spec import HandlerGroup, Syscall
from pyocclum.syscalls.sync import SyncSyscalls
from pyocclum.syscalls.threads import ThreadSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

__all__ = ["Syscall", "syscall_table"]


def syscall_table(kernel: Kernel) -> list[Syscall]:
    """Every function a process may import, bound to ``kernel``."""
    wasi = WasiSyscalls(kernel)

    def events() -> object:
        from pyocclum.syscalls.events import EventsSyscalls

        return EventsSyscalls(kernel)

    def net() -> object:
        from pyocclum.syscalls.net import NetSyscalls

        return NetSyscalls(kernel)

    return (
        wasi.table()
        + OcclumSyscalls(kernel, wasi).table()
        + HostCalls().table()
        + PathSyscalls(kernel).table()
        + SyncSyscalls(kernel).table()
        + events_table.table(HandlerGroup(events).handler)
        + ThreadSyscalls(kernel).table()
        + SignalSyscalls(kernel).table()
        + FileSyscalls(kernel, wasi).table()
        + net_table.table(HandlerGroup(net).handler)
    )
