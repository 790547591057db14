"""Per-process file descriptor tables."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile

#: fd 3 is always the root directory preopen (wasi-libc scans preopens from 3).
ROOT_FD = 3

log = _log.getLogger("pyocclum.kernel")


def _release_quietly(file: OpenFile) -> None:
    """Release for an implicit close (dup2 over it, exit): nobody can see an error."""
    try:
        file.release()
    except KernelError as e:
        log.error("closing %s: %s", file.path, e.msg or e.errno.name)


class FdEntry:
    """One slot of the table: the open file description and the fd's own flag."""

    __slots__ = ("cloexec", "file")

    def __init__(self, file: OpenFile, cloexec: bool = False) -> None:
        self.file = file
        self.cloexec = cloexec

    def __repr__(self) -> str:
        return f"FdEntry({self.file!r}, cloexec={self.cloexec})"


class FdTable:
    """fd -> open file description. New fds take the lowest free number,
    never ``ROOT_FD``, up to ``max_fds`` (EMFILE beyond)."""

    def __init__(self, max_fds: int) -> None:
        self._fds: dict[int, FdEntry] = {}
        self._lock = threading.Lock()
        self.max_fds = max_fds
        #: Called with each description whose fd this table closes (close, dup2 over
        #: it, renumber, exit), before it is released: the lock table sets it on the
        #: table of a process that takes a POSIX record lock, which any close of the
        #: file drops (kernel/locks.py).
        self.on_close: Callable[[OpenFile], None] | None = None

    def _closing(self, file: OpenFile) -> None:
        hook = self.on_close
        if hook is not None:
            hook(file)

    def get(self, fd: int) -> OpenFile:
        entry = self._fds.get(fd)
        if entry is None:
            raise KernelError(Errno.EBADF, f"fd {fd} is not open")
        return entry.file

    def entry(self, fd: int) -> FdEntry:
        entry = self._fds.get(fd)
        if entry is None:
            raise KernelError(Errno.EBADF, f"fd {fd} is not open")
        return entry

    def items(self) -> list[tuple[int, FdEntry]]:
        with self._lock:
            return sorted(self._fds.items())

    def __contains__(self, fd: int) -> bool:
        return fd in self._fds

    def __len__(self) -> int:
        return len(self._fds)

    def install(self, file: OpenFile, *, cloexec: bool = False, lowest: int = 0) -> int:
        """Put ``file`` at the lowest free fd >= ``lowest``; takes over the caller's reference."""
        with self._lock:
            if len(self._fds) >= self.max_fds:
                raise KernelError(Errno.EMFILE, f"open files limit ({self.max_fds}) reached")
            fd = lowest
            while fd in self._fds or fd == ROOT_FD:
                fd += 1
            if fd >= self.max_fds + 1:
                raise KernelError(Errno.EMFILE, f"open files limit ({self.max_fds}) reached")
            self._fds[fd] = FdEntry(file, cloexec)
            return fd

    def install_new(self, file: OpenFile, *, cloexec: bool = False) -> int:
        """:meth:`install` a description just made; if that fails (EMFILE), release it."""
        try:
            return self.install(file, cloexec=cloexec)
        except KernelError:
            file.release()
            raise

    def install_at(self, fd: int, file: OpenFile, *, cloexec: bool = False) -> None:
        """Put ``file`` at exactly ``fd``, closing what was there (``dup2``)."""
        with self._lock:
            old = self._fds.get(fd)
            if old is None and len(self._fds) >= self.max_fds:
                raise KernelError(Errno.EMFILE, f"open files limit ({self.max_fds}) reached")
            self._fds[fd] = FdEntry(file, cloexec)
        if old is not None:
            self._closing(old.file)
            _release_quietly(old.file)

    def close(self, fd: int) -> None:
        with self._lock:
            entry = self._fds.pop(fd, None)
        if entry is None:
            raise KernelError(Errno.EBADF, f"fd {fd} is not open")
        self._closing(entry.file)
        entry.file.release()

    def renumber(self, fd: int, to: int) -> None:
        """WASI ``fd_renumber``: move ``fd`` onto ``to`` (closing ``to``)."""
        with self._lock:
            if fd not in self._fds or to not in self._fds:
                raise KernelError(Errno.EBADF, "fd_renumber needs two open fds")
            if fd == to:
                return
            old = self._fds[to]
            self._fds[to] = self._fds.pop(fd)
        self._closing(old.file)
        _release_quietly(old.file)

    def close_all(self) -> None:
        with self._lock:
            entries = list(self._fds.values())
            self._fds.clear()
        for e in entries:
            self._closing(e.file)
            _release_quietly(e.file)
