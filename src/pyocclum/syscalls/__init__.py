"""Syscall handlers (plain Python values in and out) and the table describing them."""

from __future__ import annotations

from pyocclum.kernel.kernel import Kernel
from pyocclum.syscalls.events import EventsSyscalls
from pyocclum.syscalls.files import FileSyscalls
from pyocclum.syscalls.host import HostCalls
from pyocclum.syscalls.net import NetSyscalls
from pyocclum.syscalls.occlum import OcclumSyscalls
from pyocclum.syscalls.paths import PathSyscalls
from pyocclum.syscalls.signals import SignalSyscalls
from pyocclum.syscalls.spec import Syscall
from pyocclum.syscalls.sync import SyncSyscalls
from pyocclum.syscalls.threads import ThreadSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

__all__ = ["Syscall", "syscall_table"]


def syscall_table(kernel: Kernel) -> list[Syscall]:
    """Every function a process may import, bound to ``kernel``."""
    wasi = WasiSyscalls(kernel)
    return (
        wasi.table()
        + OcclumSyscalls(kernel, wasi).table()
        + HostCalls().table()
        + PathSyscalls(kernel).table()
        + SyncSyscalls(kernel).table()
        + EventsSyscalls(kernel).table()
        + ThreadSyscalls(kernel).table()
        + SignalSyscalls(kernel).table()
        + FileSyscalls(kernel, wasi).table()
        + NetSyscalls(kernel).table()
    )
