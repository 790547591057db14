"""The kernel's side of procfs: snapshots of the process table."""

from __future__ import annotations

import os
import time

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.procfs import ProcInfo
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process, this_thread
from pyocclum.kernel.signals import SIG_DFL, SIG_IGN, bit

#: Linux's TASK_COMM_LEN - 1: the longest process name.
COMM_MAX = 15


def comm_of(p: Process) -> str:
    """The process's name: what prctl(PR_SET_NAME) set since the last execve, else
    the program's file name (at most 15 bytes, as Linux)."""
    if p.comm is not None and p.comm[0] is p.argv:
        return p.comm[1]
    name = p.path.rsplit("/", 1)[-1].encode("utf-8", "surrogateescape")[:COMM_MAX]
    return name.decode("utf-8", "surrogateescape")


def host_cpus() -> int:
    """CPUs the enclave reports: those the host lets this LibOS run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class KernelProcSource:
    """Implements :class:`pyocclum.fs.procfs.ProcSource` for one kernel."""

    def __init__(self, kernel: Kernel, total_memory: int) -> None:
        self.kernel = kernel
        self.total_memory = total_memory

    def pids(self) -> list[int]:
        return sorted(p.pid for p in self.kernel.processes())

    def info(self, pid: int) -> ProcInfo | None:
        try:
            p = self.kernel.process(pid)
        except Exception:
            return None
        memory = self.kernel.executor.memory_size(p)
        fds = {fd: entry.file.path for fd, entry in p.fds.items()}
        state = "Z" if p.exited else ("S" if p.waiting_on is not None else "R")
        name = comm_of(p)
        with p.lock:
            sig = p.sig
            ignored = caught = 0
            for n, act in sig.actions.items():
                if act.handler == SIG_IGN:
                    ignored |= bit(n)
                elif act.handler != SIG_DFL:
                    caught |= bit(n)
            pending, blocked = sig.pending, sig.blocked
        own, kids = p.cpu.own(), p.cpu.children()
        return ProcInfo(
            pid=p.pid, ppid=p.ppid, pgid=p.pgid, sid=p.sid, state=state, comm=name,
            cmdline=tuple(p.argv), cwd=p.cwd.path, exe=p.path, fds=fds,
            start_ns=p.start_ns - self.kernel.boot_ns, memory_bytes=memory,
            umask=p.umask, sig_pending=pending, sig_blocked=blocked, sig_ignored=ignored,
            sig_caught=caught, sig_queued=pending.bit_count(), nice=p.nice,
            cpus=host_cpus(), threads=max(1, len(p.threads)), utime_ns=own.user_ns,
            stime_ns=own.sys_ns, cutime_ns=kids.user_ns, cstime_ns=kids.sys_ns,
        )

    def set_comm(self, pid: int, name: bytes) -> None:
        proc = getattr(this_thread, "process", None)
        if proc is None or proc.pid != pid:
            raise KernelError(Errno.EINVAL, "only a process's own comm can be written")
        text = name[:COMM_MAX].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        proc.comm = (proc.argv, text)

    def current_pid(self) -> int:
        proc = getattr(this_thread, "process", None)
        return proc.pid if proc is not None else 0

    def mounts(self) -> list[tuple[str, str, str, str]]:
        return [(m.fs.fstype, m.path, m.fs.fstype, m.options or "rw")
                for m in self.kernel.vfs.mounts]

    def uptime_ns(self) -> int:
        return time.monotonic_ns() - self.kernel.boot_ns

    def memory(self) -> tuple[int, int]:
        used = sum(self.kernel.executor.memory_size(p) for p in self.kernel.processes())
        return self.total_memory, max(0, self.total_memory - used)
