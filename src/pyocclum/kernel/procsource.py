"""The kernel's side of procfs: snapshots of the process table."""

from __future__ import annotations

import time

from pyocclum.fs.procfs import ProcInfo
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import this_thread


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
        name = p.path.rsplit("/", 1)[-1][:15]
        return ProcInfo(
            pid=p.pid, ppid=p.ppid, pgid=p.pgid, sid=p.sid, state=state, comm=name,
            cmdline=tuple(p.argv), cwd=p.cwd.path, exe=p.path, fds=fds,
            start_ns=p.start_ns - self.kernel.boot_ns, memory_bytes=memory,
        )

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
