"""The kernel object: everything a LibOS instance shares, with no module-level state."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import RIGHTS_DIRECTORY, RIGHTS_STREAM, FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Stream
from pyocclum.fs.vfs import Location, Vfs
from pyocclum.kernel.fdtable import ROOT_FD, FdTable
from pyocclum.kernel.process import Process

log = logging.getLogger("pyocclum.kernel")


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits the kernel enforces (from ``Occlum.json``)."""

    max_processes: int = 256
    max_open_files: int = 1024
    #: Linear memory limit per process, bytes.
    process_memory: int = 32 << 20


class Executor(Protocol):
    """Starts a program image as a process (implemented by the wasm layer)."""

    def start(self, kernel: Kernel, proc: Process, image: bytes) -> None:
        """Load ``image`` and run ``proc`` on a thread of its own; return at once.

        Raises ``KernelError(ENOEXEC)`` if ``image`` is not a loadable program.
        When the process ends, the executor calls ``kernel.exit_process``.
        """


#: Strace sink: receives one formatted line per syscall.
TraceSink = Callable[[str], None]


class Kernel:
    """Processes, the VFS and the executor of one LibOS instance."""

    def __init__(
        self,
        vfs: Vfs,
        executor: Executor,
        *,
        limits: Limits | None = None,
        strace: TraceSink | None = None,
    ) -> None:
        self.vfs = vfs
        self.executor = executor
        self.limits = limits or Limits()
        self.strace = strace
        self.boot_ns = time.monotonic_ns()
        self._lock = threading.Lock()
        self._procs: dict[int, Process] = {}
        self._next_pid = 1

    # -- process table ----------------------------------------------------------
    def process(self, pid: int) -> Process:
        proc = self._procs.get(pid)
        if proc is None:
            raise KernelError(Errno.ESRCH, f"no process {pid}")
        return proc

    def processes(self) -> list[Process]:
        with self._lock:
            return list(self._procs.values())

    def _alloc_pid(self) -> int:
        with self._lock:
            if len(self._procs) >= self.limits.max_processes:
                raise KernelError(
                    Errno.EAGAIN,
                    f"process limit reached (resource_limits.max_num_of_processes = "
                    f"{self.limits.max_processes})",
                )
            pid = self._next_pid
            self._next_pid += 1
            return pid

    def root_file(self) -> OpenFile:
        """A new open description of ``/`` (the fd 3 preopen)."""
        root = self.vfs.root()
        return OpenFile(
            inode=root.inode,
            stream=None,
            path="/",
            filetype=FileType.DIRECTORY,
            readable=True,
            writable=False,
            rights_base=RIGHTS_DIRECTORY,
            rights_inheriting=(1 << 30) - 1,
        )

    def spawn(
        self,
        path: str,
        argv: Sequence[bytes],
        env: Sequence[bytes],
        *,
        cwd: Location,
        stdio: Sequence[OpenFile],
        parent: int = 0,
    ) -> Process:
        """Start the program at ``path`` (absolute, resolved in the VFS) as a new process.

        ``stdio`` are open files for fds 0, 1, 2 (references are taken over).
        """
        loc = self.vfs.resolve(self.vfs.root(), path, follow=True)
        st = loc.inode.stat()
        if st.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EACCES, f"{path} is a directory")
        if st.filetype != FileType.REGULAR_FILE:
            raise KernelError(Errno.EACCES, f"{path} is not a regular file")
        image = loc.inode.read(0, st.size)
        pid = self._alloc_pid()
        fds = FdTable(self.limits.max_open_files)
        for i, f in enumerate(stdio):
            fds.install_at(i, f)
        fds.install_at(ROOT_FD, self.root_file())
        proc = Process(
            pid=pid,
            ppid=parent,
            path=loc.path,
            argv=list(argv),
            env=list(env),
            cwd=cwd,
            fds=fds,
            start_ns=time.monotonic_ns(),
            memory_limit=self.limits.process_memory,
        )
        with self._lock:
            self._procs[pid] = proc
        try:
            self.executor.start(self, proc, image)
        except BaseException:
            with self._lock:
                del self._procs[pid]
            fds.close_all()
            raise
        return proc

    def exit_process(self, proc: Process, status: int, reason: str = "") -> None:
        """Called once when a process has stopped running: release its resources."""
        proc.finish(status, reason)
        proc.fds.close_all()
        with self._lock:
            # No wait4 yet (spawn and reaping come with multitasking): drop at once.
            self._procs.pop(proc.pid, None)
        proc.done.set()

    def log_bug(self, proc: Process, what: str) -> None:
        log.error("kernel bug in pid %d (%s), killing it: %s", proc.pid, proc.path, what)

    def new_stdio_file(self, stream: Stream, *, readable: bool, writable: bool) -> OpenFile:
        tty = stream.isatty()
        # wasi-libc's isatty() is "a character device without seek rights": only a
        # terminal may look like that. Other stdio (pipes, files, captures) is
        # reported as WASI's "unknown" type, as wasmtime reports pipes.
        return OpenFile(
            inode=None,
            stream=stream,
            path="/dev/tty" if tty else "pipe:[stdio]",
            filetype=FileType.CHARACTER_DEVICE if tty else FileType.UNKNOWN,
            readable=readable,
            writable=writable,
            rights_base=RIGHTS_STREAM,
        )
