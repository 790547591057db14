"""hostfs's files and symlinks: a host object found by (parent directory, name); a
regular file's data through a host descriptor opened lazily and kept in the
file system's LRU (see the package's docstring)."""

from __future__ import annotations

import errno as host_errno
import os
import stat as host_stat
import weakref
from typing import TYPE_CHECKING, Any

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.hostfs.host import (
    _FILE_FLAGS,
    _IO_MAX,
    _READ,
    _WRITE,
    _chown_args,
    _fstat_or_close,
    _kerr,
    _Key,
    _key,
    _to_stat,
)
from pyocclum.fs.types import (
    MAX_FILE_SIZE,
    Inode,
    Stat,
    check_truncate,
    check_write,
)

if TYPE_CHECKING:
    from pyocclum.fs.hostfs import HostFs
    from pyocclum.fs.hostfs.dirs import HostDir

__all__ = ["HostFile", "HostSymlink"]


class _HostNode(Inode):
    """A host object found by ``(parent directory inode, name)``.

    The name is where we last saw it (updated by lookups and our renames);
    every use re-checks with ``lstat`` that the name still refers to the same
    host object (``ESTALE`` otherwise). Device nodes, FIFOs and sockets on the
    host are plain instances: they can be stat'ed but not opened for I/O.
    """

    def __init__(
        self, fs: HostFs, key: _Key, ft: FileType, parent: HostDir | None, name: str
    ) -> None:
        self.fs = fs
        self._hfs = fs
        self.ino = key[1]
        self._key = key
        self._ft = ft
        self._parent = parent
        self._name = name

    @property
    def filetype(self) -> FileType:
        return self._ft

    def _relocate(self, parent: HostDir, name: str) -> None:
        self._parent = parent
        self._name = name

    def _where(self) -> tuple[int, str]:
        parent = self._parent
        if parent is None:
            raise KernelError(Errno.ESTALE, "host object has no known name")
        return parent._dirfd(), self._name

    def _lstat_here(self) -> os.stat_result:
        dfd, name = self._where()
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except OSError as e:
            if e.errno == host_errno.ENOENT:
                raise KernelError(Errno.ESTALE, f"{name!r} is gone on the host") from e
            raise _kerr(e, f"stat {name!r}") from e
        if _key(st) != self._key:
            raise KernelError(Errno.ESTALE, f"{name!r} was replaced on the host")
        return st

    def _host_stat(self) -> os.stat_result:
        return self._lstat_here()

    def stat(self) -> Stat:
        return _to_stat(self._hfs.dev, self._host_stat())

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        self._hfs._writable()
        st = self._lstat_here()  # also checks the name is still this object
        atim = st.st_atime_ns if atim is None else atim
        mtim = st.st_mtime_ns if mtim is None else mtim
        dfd, name = self._where()
        try:
            os.utime(name, ns=(atim, mtim), dir_fd=dfd, follow_symlinks=False)
        except OSError as e:
            raise _kerr(e, f"set times of {name!r}") from e

    def chmod(self, mode: int) -> None:
        self._hfs._writable()
        self._lstat_here()
        dfd, name = self._where()
        try:
            os.chmod(name, mode & 0o7777, dir_fd=dfd, follow_symlinks=False)
        except OSError as e:
            raise _kerr(e, f"chmod {name!r}") from e
        except (ValueError, NotImplementedError) as e:
            # Python's way of saying the host cannot chmod a symlink itself.
            raise KernelError(Errno.ENOTSUP, f"chmod {name!r}: {e}") from e

    def chown(self, uid: int | None, gid: int | None) -> None:
        self._hfs._writable()
        self._lstat_here()
        dfd, name = self._where()
        try:
            os.chown(name, *_chown_args(uid, gid), dir_fd=dfd, follow_symlinks=False)
        except OSError as e:
            raise _kerr(e, f"chown {name!r}") from e


class HostSymlink(_HostNode):
    """A host symlink; never followed here, only read."""

    def readlink(self) -> str:
        self._lstat_here()
        dfd, name = self._where()
        try:
            return os.readlink(name, dir_fd=dfd)
        except OSError as e:
            raise _kerr(e, f"readlink {name!r}") from e


class HostFile(_HostNode):
    """A host regular file, read and written with ``pread``/``pwrite`` on a
    lazily opened, cached descriptor."""

    def __init__(
        self, fs: HostFs, key: _Key, ft: FileType, parent: HostDir | None, name: str
    ) -> None:
        super().__init__(fs, key, ft, parent, name)
        self._io_fd: int | None = None
        self._io_acc = os.O_RDONLY
        self._io_users = 0
        self._io_close: weakref.finalize[Any, Any] | None = None
        self._pinned = False

    # -- the data descriptor (all with the fs lock held) -----------------------
    def _set_io(self, fd: int, acc: int) -> None:
        self._io_fd = fd
        self._io_acc = acc
        self._io_close = weakref.finalize(self, os.close, fd)
        if not self._pinned:
            self._hfs._lru_add(self)

    def _open_io(self) -> None:
        dfd, name = self._where()
        modes = [os.O_RDONLY] if self._hfs.read_only else [os.O_RDWR, os.O_RDONLY, os.O_WRONLY]
        fd = -1
        acc = os.O_RDONLY
        for i, acc in enumerate(modes):
            try:
                fd = os.open(name, _FILE_FLAGS | acc, dir_fd=dfd)
                break
            except OSError as e:
                last = i == len(modes) - 1
                if not last and e.errno in (host_errno.EACCES, host_errno.EPERM, host_errno.EROFS):
                    continue
                if e.errno == host_errno.ENOENT:
                    raise KernelError(Errno.ESTALE, f"{name!r} is gone on the host") from e
                raise _kerr(e, f"open {name!r}") from e
        st = _fstat_or_close(fd, f"stat {name!r}")
        if _key(st) != self._key or not host_stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise KernelError(Errno.ESTALE, f"{name!r} was replaced on the host")
        self._set_io(fd, acc)

    def _close_io(self) -> None:
        fin = self._io_close
        self._io_fd = None
        self._io_close = None
        if fin is not None:
            fin()

    def _pin(self) -> None:
        """Keep the data descriptor for the inode's lifetime (its name is going)."""
        if self._io_fd is None:
            try:
                self._open_io()
            except KernelError:
                return  # unreadable or already gone on the host: nothing to keep
        self._pinned = True
        self._hfs._lru.pop(id(self), None)

    def _acquire(self, need: int) -> int:
        fs = self._hfs
        with fs.lock:
            if self._io_fd is None:
                self._open_io()
            fd = self._io_fd
            assert fd is not None
            acc = self._io_acc
            if (need & _WRITE and acc == os.O_RDONLY) or (need & _READ and acc == os.O_WRONLY):
                raise KernelError(Errno.EACCES, "the host does not allow this access")
            self._io_users += 1
            if not self._pinned:
                fs._lru.move_to_end(id(self))
            return fd

    def _release(self) -> None:
        with self._hfs.lock:
            self._io_users -= 1

    # -- Inode ------------------------------------------------------------------
    def _host_stat(self) -> os.stat_result:
        fs = self._hfs
        with fs.lock:
            fd = self._io_fd
            if fd is None:
                return self._lstat_here()
            self._io_users += 1
        try:
            return os.fstat(fd)
        except OSError as e:
            raise _kerr(e, "stat") from e
        finally:
            self._release()

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset``; short only at end of file (for
        regular host files, where ``pread`` is short only there)."""
        if offset < 0 or size < 0:
            raise KernelError(Errno.EINVAL, "negative offset or size")
        if offset >= MAX_FILE_SIZE:  # no host file reaches there (pread takes an off_t)
            return b""
        fd = self._acquire(_READ)
        try:
            if size <= _IO_MAX:
                return os.pread(fd, size, offset)
            parts = []
            got = 0
            while got < size:
                want = min(size - got, _IO_MAX)
                piece = os.pread(fd, want, offset + got)
                parts.append(piece)
                got += len(piece)
                if len(piece) < want:
                    break
            return b"".join(parts)
        except OSError as e:
            raise _kerr(e, "read") from e
        finally:
            self._release()

    def write(self, offset: int, data: bytes) -> int:
        """Write all of ``data`` (short only if the host fails part-way)."""
        self._hfs._writable()
        n = len(data)
        check_write(offset, n)  # EINVAL, or EFBIG past an off_t (as the other file systems)
        if n == 0:
            return 0
        fd = self._acquire(_WRITE)
        done = 0
        try:
            done = os.pwrite(fd, data, offset)
            if done < n:
                with memoryview(data) as view:
                    while done < n:
                        w = os.pwrite(fd, view[done:], offset + done)
                        if w == 0:
                            break
                        done += w
            return done
        except OSError as e:
            if done:
                return done
            raise _kerr(e, "write") from e
        finally:
            self._release()

    def truncate(self, size: int) -> None:
        self._hfs._writable()
        check_truncate(size)  # EINVAL, or EFBIG past an off_t (ftruncate would overflow)
        fd = self._acquire(_WRITE)
        try:
            os.ftruncate(fd, size)
        except OSError as e:
            raise _kerr(e, "truncate") from e
        finally:
            self._release()

    def allocate(self, offset: int, length: int) -> None:
        """``posix_fallocate`` on the host file. ENOSPC at once, with nothing
        allocated, for more than the host file system has free: the host's
        fallocate (ext4's) allocates until the disk is full, keeps what it got and
        only then fails, so one call inside could fill the host's disk."""
        self._hfs._writable()
        if offset < 0 or length <= 0:
            raise KernelError(Errno.EINVAL, "bad offset or length")
        if offset + length > MAX_FILE_SIZE:
            raise KernelError(Errno.EFBIG, "file would exceed the maximum size")
        fd = self._acquire(_WRITE)
        try:
            vfs = os.fstatvfs(fd)
            if length > vfs.f_bavail * vfs.f_frsize:
                raise KernelError(Errno.ENOSPC, "allocate: more than the host has free")
            os.posix_fallocate(fd, offset, length)
        except OSError as e:
            raise _kerr(e, "allocate") from e
        finally:
            self._release()

    def next_data(self, offset: int) -> int:
        """The host's ``SEEK_DATA`` (this descriptor's offset is never used for I/O:
        reads and writes are ``pread``/``pwrite``)."""
        fd = self._acquire(0)
        try:
            size = os.fstat(fd).st_size
            if offset >= size:
                return size
            try:
                return min(os.lseek(fd, offset, os.SEEK_DATA), size)
            except OSError as e:
                if e.errno == host_errno.ENXIO:  # only a hole up to the end
                    return size
                if e.errno == host_errno.EINVAL:  # no SEEK_DATA here: all data
                    return offset
                raise _kerr(e, "seek") from e
        except OSError as e:
            raise _kerr(e, "stat") from e
        finally:
            self._release()

    def sync(self) -> None:
        fd = self._acquire(0)
        try:
            os.fsync(fd)
        except OSError as e:
            raise _kerr(e, "fsync") from e
        finally:
            self._release()
