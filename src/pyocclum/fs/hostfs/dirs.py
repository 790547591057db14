"""hostfs's directories: each pinned by an ``O_PATH`` descriptor, every operation in
it relative to that descriptor and naming one component (see the package's docstring)."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.hostfs.host import (
    _DIR_FLAGS,
    _FILE_FLAGS,
    _chown_args,
    _filetype,
    _kerr,
    _Key,
    _key,
)
from pyocclum.fs.hostfs.nodes import HostFile, _HostNode
from pyocclum.fs.types import (
    DirEntry,
    Inode,
    check_name,
    check_symlink_target,
)

if TYPE_CHECKING:
    from pyocclum.fs.hostfs import HostFs

__all__ = ["HostDir"]


class HostDir(_HostNode):
    """A host directory, pinned by an ``O_PATH`` descriptor for its lifetime;
    every operation in it is relative to that descriptor."""

    def __init__(self, fs: HostFs, fd: int, st: os.stat_result) -> None:
        super().__init__(fs, _key(st), FileType.DIRECTORY, None, "")
        self._fd: int | None = fd
        self._fd_close = weakref.finalize(self, os.close, fd)

    def _dirfd(self) -> int:
        fd = self._fd
        if fd is None:
            raise KernelError(Errno.EBADF, "hostfs has been closed")
        return fd

    def _close_fd(self) -> None:
        self._fd = None
        self._fd_close()

    def _relocate(self, parent: HostDir, name: str) -> None:
        pass  # the descriptor, not a name, finds a directory

    def _host_stat(self) -> os.stat_result:
        try:
            return os.fstat(self._dirfd())
        except OSError as e:
            raise _kerr(e, "stat directory") from e

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        self._hfs._writable()
        if atim is None or mtim is None:
            st = self._host_stat()
            atim = st.st_atime_ns if atim is None else atim
            mtim = st.st_mtime_ns if mtim is None else mtim
        try:
            os.utime(".", ns=(atim, mtim), dir_fd=self._dirfd(), follow_symlinks=False)
        except OSError as e:
            raise _kerr(e, "set times of directory") from e

    def chmod(self, mode: int) -> None:
        self._hfs._writable()
        try:
            os.chmod(".", mode & 0o7777, dir_fd=self._dirfd())
        except OSError as e:
            raise _kerr(e, "chmod directory") from e

    def chown(self, uid: int | None, gid: int | None) -> None:
        self._hfs._writable()
        try:
            os.chown(".", *_chown_args(uid, gid), dir_fd=self._dirfd())
        except OSError as e:
            raise _kerr(e, "chown directory") from e

    def sync(self) -> None:
        try:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self._dirfd())
        except OSError as e:
            raise _kerr(e, "open directory") from e
        try:
            os.fsync(fd)
        except OSError as e:
            raise _kerr(e, "fsync directory") from e
        finally:
            os.close(fd)

    # -- names ------------------------------------------------------------------
    def _lstat(self, name: str, dfd: int | None = None) -> os.stat_result:
        try:
            return os.stat(name, dir_fd=self._dirfd() if dfd is None else dfd,
                           follow_symlinks=False)
        except OSError as e:
            raise _kerr(e, repr(name)) from e

    def _creating(self, name: str) -> None:
        """Checks before creating ``name``: valid, and on a read-only mount
        ``EEXIST`` if it exists, ``EROFS`` otherwise."""
        check_name(name)
        if self._hfs.read_only:
            try:
                os.stat(name, dir_fd=self._dirfd(), follow_symlinks=False)
            except OSError:
                raise KernelError(Errno.EROFS, "hostfs is mounted read-only") from None
            raise KernelError(Errno.EEXIST, f"{name!r} exists")

    def lookup(self, name: str) -> Inode:
        check_name(name)
        return self._hfs._node_for(self, name, self._lstat(name))

    def entries(self) -> Iterator[DirEntry]:
        """The host's entries, sorted by name (a stable order even while the
        directory changes)."""
        try:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self._dirfd())
        except OSError as e:
            raise _kerr(e, "open directory") from e
        out = []
        try:
            with os.scandir(fd) as it:
                for ent in it:
                    try:
                        if ent.is_symlink():
                            ft = FileType.SYMBOLIC_LINK
                        elif ent.is_dir(follow_symlinks=False):
                            ft = FileType.DIRECTORY
                        elif ent.is_file(follow_symlinks=False):
                            ft = FileType.REGULAR_FILE
                        else:
                            ft = _filetype(ent.stat(follow_symlinks=False).st_mode)
                        ino = ent.inode()
                    except OSError:
                        continue  # vanished while we listed
                    out.append(DirEntry(ent.name, ino, ft))
        except OSError as e:
            raise _kerr(e, "list directory") from e
        finally:
            os.close(fd)
        out.sort(key=lambda d: d.name)
        return iter(out)

    def create(self, name: str, mode: int) -> Inode:
        """New empty file with exactly ``mode`` (the host umask is undone: the
        VFS has already applied the process's umask)."""
        self._creating(name)
        fs = self._hfs
        mode &= 0o7777
        try:
            fd = os.open(name, _FILE_FLAGS | os.O_CREAT | os.O_EXCL | os.O_RDWR, mode,
                         dir_fd=self._dirfd())
        except OSError as e:
            raise _kerr(e, f"create {name!r}") from e
        try:
            os.fchmod(fd, mode)
            st = os.fstat(fd)
        except OSError as e:
            os.close(fd)
            raise _kerr(e, f"create {name!r}") from e
        with fs.lock:
            node = HostFile(fs, _key(st), FileType.REGULAR_FILE, self, name)
            fs._nodes[node._key] = node
            node._set_io(fd, os.O_RDWR)
        return node

    def mkdir(self, name: str, mode: int) -> Inode:
        self._creating(name)
        fs = self._hfs
        dfd = self._dirfd()
        try:
            os.mkdir(name, mode & 0o777, dir_fd=dfd)
            fd = os.open(name, _DIR_FLAGS, dir_fd=dfd)
        except OSError as e:
            raise _kerr(e, f"mkdir {name!r}") from e
        try:
            os.chmod(".", mode & 0o7777, dir_fd=fd)
            st = os.fstat(fd)
        except OSError as e:
            os.close(fd)
            raise _kerr(e, f"mkdir {name!r}") from e
        with fs.lock:
            node = HostDir(fs, fd, st)
            fs._nodes[node._key] = node
        return node

    def symlink(self, name: str, target: str) -> Inode:
        check_symlink_target(target)
        self._creating(name)
        dfd = self._dirfd()
        try:
            os.symlink(target, name, dir_fd=dfd)
        except OSError as e:
            raise _kerr(e, f"symlink {name!r}") from e
        return self._hfs._node_for(self, name, self._lstat(name, dfd))

    def mksock(self, name: str, mode: int) -> Inode:
        """Socket nodes are not made on the host: a host socket file could not
        lead to an in-LibOS socket after a restart, and would let host programs
        see names meant for the LibOS. EEXIST first (as Linux's mknod), then
        EPERM (Linux for a file system without ``mknod``)."""
        self._creating(name)
        try:
            self._lstat(name)
        except KernelError as e:
            if e.errno != Errno.ENOENT:
                raise
        else:
            raise KernelError(Errno.EEXIST, f"{name!r} exists")
        raise KernelError(Errno.EPERM, "hostfs cannot hold socket nodes")

    def link(self, name: str, inode: Inode) -> None:
        """Errors in Linux's order: EEXIST, EROFS, then EXDEV, EPERM."""
        fs = self._hfs
        self._creating(name)
        dfd = self._dirfd()
        try:
            os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except OSError:
            pass
        else:
            raise KernelError(Errno.EEXIST, f"{name!r} exists")
        if not isinstance(inode, _HostNode) or inode.fs is not fs:
            raise KernelError(Errno.EXDEV, "hard link across file systems")
        if isinstance(inode, HostDir):
            raise KernelError(Errno.EPERM, "hard link to a directory")
        with fs.lock:  # keeps a data descriptor from being evicted meanwhile
            try:
                try:
                    sdfd, sname = inode._where()
                    inode._lstat_here()
                except KernelError:
                    fd = inode._io_fd if isinstance(inode, HostFile) else None
                    if fd is None:
                        raise KernelError(Errno.ENOENT, "the file has no name left") from None
                    # The kernel's magic link names exactly the open file.
                    os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dfd, follow_symlinks=True)
                else:
                    os.link(sname, name, src_dir_fd=sdfd, dst_dir_fd=dfd, follow_symlinks=False)
            except OSError as e:
                raise _kerr(e, f"link {name!r}") from e

    def unlink(self, name: str) -> None:
        check_name(name)
        fs = self._hfs
        fs._writable()
        dfd = self._dirfd()
        with fs.lock:
            node = fs._nodes.get(_key(self._lstat(name, dfd)))
            if isinstance(node, HostFile):
                node._pin()
            try:
                os.unlink(name, dir_fd=dfd)
            except OSError as e:
                raise _kerr(e, f"unlink {name!r}") from e

    def rmdir(self, name: str) -> None:
        check_name(name)
        self._hfs._writable()
        try:
            os.rmdir(name, dir_fd=self._dirfd())
        except OSError as e:
            raise _kerr(e, f"rmdir {name!r}") from e

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        check_name(old)
        check_name(new)
        fs = self._hfs
        if not isinstance(new_dir, _HostNode) or new_dir.fs is not fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        if not isinstance(new_dir, HostDir):
            raise KernelError(Errno.ENOTDIR, "rename target parent is not a directory")
        fs._writable()
        sdfd = self._dirfd()
        ddfd = new_dir._dirfd()
        with fs.lock:
            src_key = _key(self._lstat(old, sdfd))
            try:
                dst_key: _Key | None = _key(os.stat(new, dir_fd=ddfd, follow_symlinks=False))
            except OSError:
                dst_key = None  # absent (or unreachable: rename reports that)
            if dst_key is not None and dst_key != src_key:
                victim = fs._nodes.get(dst_key)
                if isinstance(victim, HostFile):
                    victim._pin()
            try:
                os.rename(old, new, src_dir_fd=sdfd, dst_dir_fd=ddfd)
            except OSError as e:
                raise _kerr(e, f"rename {old!r}") from e
            moved = fs._nodes.get(src_key)
            if moved is not None and dst_key != src_key:
                moved._relocate(new_dir, new)
