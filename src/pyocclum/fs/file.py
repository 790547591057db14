"""Open file descriptions: what an fd points to, shared by ``dup``'ed fds.

The offset, status flags and directory-listing snapshot live here, so two
fds made by ``dup`` (or inherited by a child) move one offset together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FdFlags, FileType, Whence
from pyocclum.errors import FileSizeLimit, KernelError
from pyocclum.fs.types import DirEntry, Inode, Stream

#: Largest single read or write the kernel performs (like Linux's MAX_RW_COUNT).
MAX_IO = 0x7FFFF000
# Plain ints: ``int & IntFlag`` builds an enum member (about 1 us), on every write.
_APPEND = int(FdFlags.APPEND)
_NONBLOCK = int(FdFlags.NONBLOCK)
_SYNCS = int(FdFlags.SYNC | FdFlags.DSYNC)


class OpenFile:
    """One open file description.

    Exactly one of two I/O modes applies: offset-based I/O on ``inode`` (regular
    files, directories) or stream I/O on ``stream`` (devices, pipes, host stdio).
    """

    __slots__ = (
        "_dir_snapshot",
        "_lock",
        "_refs",
        "fdflags",
        "filetype",
        "inode",
        "offset",
        "on_last_close",
        "path",
        "readable",
        "rights_base",
        "rights_inheriting",
        "stream",
        "writable",
    )

    def __init__(
        self,
        *,
        inode: Inode | None,
        stream: Stream | None,
        path: str,
        filetype: FileType,
        readable: bool,
        writable: bool,
        fdflags: int = 0,
        rights_base: int = 0,
        rights_inheriting: int = 0,
    ) -> None:
        self.inode = inode
        self.stream = stream
        self.path = path
        self.filetype = filetype
        self.readable = readable
        self.writable = writable
        self.fdflags = fdflags
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.offset = 0
        self._lock = threading.Lock()
        self._refs = 1
        self._dir_snapshot: list[DirEntry] | None = None
        #: Called once when the last reference goes (the lock table drops the
        #: description's OFD and flock locks there: kernel/locks.py).
        self.on_last_close: Callable[[OpenFile], None] | None = None

    # -- lifetime: one reference per fd (in any process) ----------------------
    def acquire(self) -> OpenFile:
        with self._lock:
            self._refs += 1
        return self

    def release(self) -> None:
        """Drop one reference; the last one closes the stream, or syncs a file it
        could write on a file system that is durable at close (KernelError if that
        sync fails: the descriptor is gone either way, as with Linux's close)."""
        with self._lock:
            self._refs -= 1
            last = self._refs == 0
        if not last:
            return
        hook = self.on_last_close
        if hook is not None:
            self.on_last_close = None
            hook(self)
        if self.stream is not None:
            self.stream.close()
        elif self.writable and self.inode is not None and self.inode.fs.durable_close:
            self.inode.sync()

    @property
    def closed(self) -> bool:
        """Every fd of this description has been closed (epoll forgets it then)."""
        return self._refs <= 0

    @property
    def nonblocking(self) -> bool:
        return bool(int(self.fdflags) & _NONBLOCK)

    @property
    def is_directory(self) -> bool:
        return self.filetype == FileType.DIRECTORY

    # -- I/O --------------------------------------------------------------------
    def read(self, size: int) -> bytes:
        if not self.readable:
            raise KernelError(Errno.EBADF, "not open for reading")
        size = min(size, MAX_IO)
        if self.stream is not None:
            return self.stream.read(size)
        inode = self._file_inode()
        with self._lock:
            data = inode.read(self.offset, size)
            self.offset += len(data)
        return data

    def write(self, data: bytes, limit: int | None = None) -> int:
        """Write at the offset (the end with O_APPEND). ``limit``: the writer's
        RLIMIT_FSIZE, which a regular file is not written past: a write is cut
        short at it, and one that would start there is FileSizeLimit."""
        if not self.writable:
            raise KernelError(Errno.EBADF, "not open for writing")
        if self.stream is not None:
            return self.stream.write(data)
        inode = self._file_inode()
        with self._lock:
            if int(self.fdflags) & _APPEND:
                self.offset = inode.stat().size
            if limit is not None:
                data = self._within(data, self.offset, limit)
            n = inode.write(self.offset, data)
            self.offset += n
        if int(self.fdflags) & _SYNCS:
            inode.sync()
        return n

    def pread(self, size: int, offset: int) -> bytes:
        if not self.readable:
            raise KernelError(Errno.EBADF, "not open for reading")
        if self.stream is not None:
            raise KernelError(Errno.ESPIPE, "pread on a stream")
        return self._file_inode().read(offset, min(size, MAX_IO))

    def pwrite(self, data: bytes, offset: int, limit: int | None = None) -> int:
        """Write at ``offset`` (``limit``: as :meth:`write`'s)."""
        if not self.writable:
            raise KernelError(Errno.EBADF, "not open for writing")
        if self.stream is not None:
            raise KernelError(Errno.ESPIPE, "pwrite on a stream")
        inode = self._file_inode()
        # Linux ignores the offset of pwrite on O_APPEND files and appends.
        if int(self.fdflags) & _APPEND:
            offset = inode.stat().size
        if limit is not None:
            data = self._within(data, offset, limit)
        return inode.write(offset, data)

    def _within(self, data: bytes, offset: int, limit: int) -> bytes:
        """``data`` cut to end at ``limit`` (Linux's generic_write_checks)."""
        if self.filetype != FileType.REGULAR_FILE or offset + len(data) <= limit or not data:
            return data
        if offset >= limit:
            raise FileSizeLimit()
        return data[: limit - offset]

    def seek(self, offset: int, whence: int) -> int:
        if self.stream is not None:
            raise KernelError(Errno.ESPIPE, "seek on a stream")
        with self._lock:
            if whence == Whence.SET:
                new = offset
            elif whence == Whence.CUR:
                new = self.offset + offset
            elif whence == Whence.END:
                assert self.inode is not None
                new = self.inode.stat().size + offset
            else:
                raise KernelError(Errno.EINVAL, f"bad whence {whence}")
            if new < 0:
                raise KernelError(Errno.EINVAL, "resulting offset is negative")
            if new >= 1 << 63:
                raise KernelError(Errno.EOVERFLOW, "offset too large")
            self.offset = new
            if self._dir_snapshot is not None and whence == Whence.SET and new == 0:
                self._dir_snapshot = None
            return new

    def tell(self) -> int:
        if self.stream is not None:
            raise KernelError(Errno.ESPIPE, "tell on a stream")
        return self.offset

    def dir_entries(self, cookie: int) -> list[DirEntry]:
        """The listing ``fd_readdir`` pages through.

        A listing is snapshotted when read from cookie 0 and reused for later
        cookies, so cookies stay stable while the directory changes.
        """
        if self.inode is None or not self.is_directory:
            raise KernelError(Errno.ENOTDIR, "not a directory")
        with self._lock:
            if cookie == 0 or self._dir_snapshot is None:
                self._dir_snapshot = list(self.inode.entries())
            return self._dir_snapshot

    def sync(self) -> None:
        if self.stream is not None:
            self.stream.sync()
        elif self.inode is not None:
            self.inode.sync()

    def _file_inode(self) -> Inode:
        if self.inode is None:
            raise KernelError(Errno.EBADF)
        if self.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EISDIR, "is a directory")
        return self.inode
