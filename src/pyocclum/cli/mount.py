"""The FUSE operations of ``occlum mount``: a :class:`FileSystem` served by path.

:class:`RootOperations` follows the method names and conventions of
mfusepy's ``Operations`` (paths are absolute, errors are ``OSError`` with a
Linux errno, times in nanoseconds since ``use_ns`` is set) without importing
it, so it can be tested without libfuse. mfusepy calls only the methods that
exist here; the others fall back to libfuse's defaults.

Serve it single-threaded (``nothreads``): the file systems below are not all
safe for concurrent use, and one request at a time keeps it simple. Nothing
in this process may touch the mount point while it is served.
"""

from __future__ import annotations

import errno
import functools
import itertools
import os
import stat as host_stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.cli.hostview import host_errno_of, mode_bits
from pyocclum.errors import KernelError
from pyocclum.fs.types import FileSystem, Inode, now_ns
from pyocclum.fs.vfs import Vfs

__all__ = ["UTIME_NOW", "UTIME_OMIT", "RootOperations"]

log = _log.getLogger("pyocclum.mount")

#: ``utimensat``'s special nanosecond values, as libfuse passes them on.
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
BLOCK = 4096

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _fuse_call(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``method`` under the lock; a KernelError becomes the OSError FUSE wants."""

    @functools.wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        self = args[0]
        assert isinstance(self, RootOperations)
        with self._mutex:
            try:
                return method(*args, **kwargs)
            except KernelError as e:
                number = host_errno_of(e.errno)
                raise OSError(number, os.strerror(number)) from None
            except OSError:
                raise
            except Exception as e:  # a bug below: this request fails, the mount stays
                log.error("%s%s failed: %r", method.__name__, args[1:2], e)
                log.debug("traceback", exc_info=True)
                raise OSError(errno.EIO, os.strerror(errno.EIO)) from None

    return call


class RootOperations:
    """``fs`` served by path; ``statvfs_of`` is the host folder ``statfs`` reports on."""

    #: Times are nanoseconds (mfusepy's convention when this is set).
    use_ns = True
    #: libfuse 2: pass UTIME_NOW/UTIME_OMIT on to :meth:`utimens` (libfuse 3 always does).
    flag_utime_omit_ok = 1

    def __init__(self, fs: FileSystem, statvfs_of: Path) -> None:
        self.fs = fs
        self.vfs = Vfs(fs)
        self.statvfs_of = statvfs_of
        self._mutex = threading.RLock()
        self._handles: dict[int, Inode] = {}
        self._next_handle = itertools.count(1)
        self._uid, self._gid = os.getuid(), os.getgid()

    # -- helpers ------------------------------------------------------------------------
    def _inode(self, path: str) -> Inode:
        return self.vfs.resolve(self.vfs.root(), path, follow=False).inode

    def _parent(self, path: str) -> tuple[Inode, str]:
        where = self.vfs.resolve_parent(self.vfs.root(), path)
        if not where.name:
            raise KernelError(Errno.EBUSY, "the root")
        return where.parent.inode, where.name

    def _open(self, inode: Inode) -> int:
        handle = next(self._next_handle)
        self._handles[handle] = inode
        return handle

    def _by_handle(self, path: str | None, fh: int | None) -> Inode:
        if fh:
            inode = self._handles.get(fh)
            if inode is not None:
                return inode
        if path is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        return self._inode(path)

    # -- attributes ---------------------------------------------------------------------
    @_fuse_call
    def getattr(self, path: str | None, fh: int | None = None) -> dict[str, Any]:
        st = self._by_handle(path, fh).stat()
        return {
            "st_mode": mode_bits(st),
            "st_nlink": max(st.nlink, 1),
            "st_size": st.size,
            "st_uid": self._uid,
            "st_gid": self._gid,
            "st_blksize": BLOCK,
            "st_blocks": (st.size + 511) // 512,
            "st_atime": st.atim,
            "st_mtime": st.mtim,
            "st_ctime": st.ctim,
        }

    @_fuse_call
    def access(self, path: str, amode: int) -> int:
        self._inode(path)  # permissions: the kernel checks them (default_permissions)
        return 0

    @_fuse_call
    def chmod(self, path: str | None, mode: int) -> int:
        self._by_handle(path, None).chmod(mode & 0o7777)
        return 0

    @_fuse_call
    def chown(self, path: str | None, uid: int, gid: int) -> int:
        # Nothing inside has an owner: only "no change" (or the owner it shows) is possible.
        if uid not in (-1, self._uid) or gid not in (-1, self._gid):
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))
        self._by_handle(path, None)
        return 0

    @_fuse_call
    def utimens(self, path: str | None, times: tuple[int, int] | None = None) -> int:
        inode = self._by_handle(path, None)
        now = now_ns()
        if times is None:
            inode.set_times(now, now)
            return 0

        def pick(value: int) -> int | None:
            # libfuse passes utimensat's specials as they are (tv_sec 0).
            if value == UTIME_OMIT:
                return None
            return now if value == UTIME_NOW else int(value)

        atim, mtim = pick(times[0]), pick(times[1])
        if atim is not None or mtim is not None:
            inode.set_times(atim, mtim)
        return 0

    @_fuse_call
    def statfs(self, path: str) -> dict[str, int]:
        host = os.statvfs(self.statvfs_of)
        return {
            "f_bsize": host.f_bsize,
            "f_frsize": host.f_frsize,
            "f_blocks": host.f_blocks,
            "f_bfree": host.f_bfree,
            "f_bavail": host.f_bavail,
            "f_files": host.f_files,
            "f_ffree": host.f_ffree,
            "f_favail": host.f_favail,
            "f_namemax": 255,
        }

    # -- directories --------------------------------------------------------------------
    @_fuse_call
    def opendir(self, path: str) -> int:
        inode = self._inode(path)
        if inode.filetype != FileType.DIRECTORY:
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        return self._open(inode)

    @_fuse_call
    def readdir(self, path: str | None, fh: int) -> list[str]:
        inode = self._by_handle(path, fh)
        return [".", "..", *(e.name for e in inode.entries())]

    @_fuse_call
    def releasedir(self, path: str | None, fh: int) -> int:
        self._handles.pop(fh, None)
        return 0

    @_fuse_call
    def mkdir(self, path: str, mode: int) -> int:
        parent, name = self._parent(path)
        parent.mkdir(name, mode & 0o7777)
        return 0

    @_fuse_call
    def rmdir(self, path: str) -> int:
        parent, name = self._parent(path)
        parent.rmdir(name)
        return 0

    @_fuse_call
    def unlink(self, path: str) -> int:
        parent, name = self._parent(path)
        parent.unlink(name)
        return 0

    @_fuse_call
    def rename(self, old: str, new: str) -> int:
        old_parent, old_name = self._parent(old)
        new_parent, new_name = self._parent(new)
        old_parent.rename(old_name, new_parent, new_name)
        return 0

    @_fuse_call
    def symlink(self, path: str, target: str) -> int:
        """``ln -s target path`` (mfusepy's order: the new link first)."""
        parent, name = self._parent(path)
        parent.symlink(name, target)
        return 0

    @_fuse_call
    def link(self, path: str, existing: str) -> int:
        """``ln existing path`` (mfusepy's order: the new name first)."""
        parent, name = self._parent(path)
        parent.link(name, self._inode(existing))
        return 0

    @_fuse_call
    def readlink(self, path: str) -> str:
        return self._inode(path).readlink()

    # -- files ----------------------------------------------------------------------------
    @_fuse_call
    def create(self, path: str, mode: int, flags: int = 0) -> int:
        parent, name = self._parent(path)
        if not host_stat.S_ISREG(mode) and host_stat.S_IFMT(mode):
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))
        return self._open(parent.create(name, mode & 0o7777))

    @_fuse_call
    def open(self, path: str, flags: int) -> int:
        inode = self._inode(path)
        if inode.filetype == FileType.DIRECTORY and flags & os.O_ACCMODE != os.O_RDONLY:
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
        return self._open(inode)

    @_fuse_call
    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        return self._by_handle(path, fh).read(offset, size)

    @_fuse_call
    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        self._by_handle(path, fh).write(offset, data)
        return len(data)

    @_fuse_call
    def truncate(self, path: str | None, length: int, fh: int | None = None) -> int:
        self._by_handle(path, fh).truncate(length)
        return 0

    @_fuse_call
    def fsync(self, path: str | None, datasync: int, fh: int) -> int:
        self._by_handle(path, fh).sync()
        return 0

    @_fuse_call
    def flush(self, path: str | None, fh: int) -> int:
        return 0

    @_fuse_call
    def release(self, path: str | None, fh: int) -> int:
        self._handles.pop(fh, None)
        return 0

    @_fuse_call
    def destroy(self, path: str) -> None:
        """Unmounted: make everything durable (the caller commits again when it closes)."""
        self._handles.clear()
        self.fs.sync()

