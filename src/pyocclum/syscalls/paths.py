"""The POSIX path calls of the ``occlum`` ABI (version 3): ``mkdirat``, ``unlinkat``,
``renameat2``, ``linkat``, ``symlinkat``, ``readlinkat``, ``utimensat``,
``faccessat``, ``fchownat`` and ``realpath``, with Linux's semantics.

libocclum routes the POSIX functions here so that it needs nothing beyond WASI
from the raw ``wasi_snapshot_preview1`` layer, which follows WASI (relative
paths only, no absolute symlink targets): here an absolute path or symlink
target starts at the process's root, ``..`` at ``/`` stays at ``/``, a path is
resolved from the kernel's cwd (``AT_FDCWD``, -100) or from a directory fd,
and every process is root (uid and gid 0), so permission bits are checked only
where Linux checks them for root: ``X_OK`` and running a program need an
execute bit on anything but a directory. Flag values are Linux's.
"""

from __future__ import annotations

import struct
import time

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Inode, clamp_time
from pyocclum.fs.vfs import Location, ParentLocation, Vfs, refuse_move_into_itself
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process
from pyocclum.syscalls import spec as S

MODULE = "occlum"

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_EACCESS = 0x200  # faccessat's meaning of the same bit
AT_SYMLINK_FOLLOW = 0x400
AT_EMPTY_PATH = 0x1000
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
X_OK, W_OK, R_OK = 1, 2, 4
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
S_ISUID, S_ISGID, S_IXGRP = 0o4000, 0o2000, 0o010
#: ``chown``'s "leave unchanged": (uid_t)-1 / (gid_t)-1.
NO_ID = 0xFFFFFFFF
#: utimensat's times: (atime sec, atime nsec, mtime sec, mtime nsec).
TIMES = struct.Struct("<qqqq")
_NS = 1_000_000_000


def at_start(p: Process, vfs: Vfs, fd: int, path: str) -> Location:
    """Where an ``*at`` call's ``path`` is resolved from: the cwd for ``AT_FDCWD``
    or an absolute path, else the directory open as ``fd`` (EBADF if none,
    ENOTDIR if it is not a directory)."""
    if fd == AT_FDCWD or path.startswith("/"):
        return p.cwd
    d = p.fds.get(fd)
    if d.inode is None or not d.is_directory:
        raise KernelError(Errno.ENOTDIR, f"fd {fd} is not a directory")
    return vfs.location_of(d.path)


def at_target(
    p: Process, vfs: Vfs, fd: int, path: str, flags: int, *, follow_flag: int = 0
) -> Inode | OpenFile:
    """The object an ``*at`` call names: with ``AT_EMPTY_PATH`` and an empty path
    the cwd (``AT_FDCWD``) or the file open as ``fd``, else ``path`` from
    :func:`at_start`. A final symlink is followed unless ``AT_SYMLINK_NOFOLLOW``
    is in ``flags``, or, if ``follow_flag`` is given, only if it is. An open
    file without an inode (a pipe, a host stream) is returned as the file."""
    if not path and flags & AT_EMPTY_PATH:
        if fd == AT_FDCWD:
            return p.cwd.inode
        f = p.fds.get(fd)
        return f if f.inode is None else f.inode
    if not path:
        raise KernelError(Errno.ENOENT, "empty path")  # before the fd is looked at (Linux)
    follow = bool(flags & follow_flag) if follow_flag else not flags & AT_SYMLINK_NOFOLLOW
    return vfs.resolve(at_start(p, vfs, fd, path), path, follow=follow).inode


def _check_flags(flags: int, allowed: int) -> None:
    if flags & ~allowed:
        raise KernelError(Errno.EINVAL, f"unknown flags {flags & ~allowed:#x}")


def _id(value: int) -> int | None:
    return None if value == NO_ID else value


def _time(sec: int, nsec: int, now: int) -> int | None:
    """One utimensat time: None for UTIME_OMIT; EINVAL for a bad nanosecond field;
    clamped to the range files keep (:func:`clamp_time`)."""
    if nsec == UTIME_OMIT:
        return None
    if nsec == UTIME_NOW:
        return now
    if not 0 <= nsec < _NS:
        raise KernelError(Errno.EINVAL, f"tv_nsec {nsec} out of range")
    return clamp_time(sec * _NS + nsec)


class PathSyscalls:
    """Handlers of the ``occlum`` path calls for one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.vfs = kernel.vfs

    def _parent(self, p: Process, fd: int, path: str) -> ParentLocation:
        if not path:
            raise KernelError(Errno.ENOENT, "empty path")  # before the fd is looked at (Linux)
        return self.vfs.resolve_parent(at_start(p, self.vfs, fd, path), path)

    # == creating and removing names ===================================================
    def mkdirat(self, p: Process, fd: int, path: str, mode: int) -> None:
        """Linux ``mkdirat``: the new directory gets ``mode & 01777 & ~umask``, plus
        the set-group-ID bit if its parent has it (as Linux's file systems do)."""
        loc = self._parent(p, fd, path)
        if not loc.name:
            raise KernelError(Errno.EEXIST, f"{path} exists")
        directory = loc.parent.inode
        if directory.find(loc.name) is not None:
            raise KernelError(Errno.EEXIST, f"{path} exists")
        bits = mode & 0o1777 & ~p.umask
        if directory.stat().mode & S_ISGID:
            bits |= S_ISGID
        directory.mkdir(loc.name, bits)

    def unlinkat(self, p: Process, fd: int, path: str, flags: int) -> None:
        """Linux ``unlinkat``: ``AT_REMOVEDIR`` (0x200) removes an empty directory
        (``rmdir``), otherwise a non-directory (``unlink``: EISDIR for a directory)."""
        _check_flags(flags, AT_REMOVEDIR)
        loc = self._parent(p, fd, path)
        if flags & AT_REMOVEDIR:
            self._rmdir(loc, path)
            return
        if not loc.name:
            raise KernelError(Errno.EISDIR, f"{path} is a directory")
        node = loc.parent.inode.lookup(loc.name)
        if node.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EISDIR, f"{path} is a directory")
        if loc.trailing_slash:
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        loc.parent.inode.unlink(loc.name)

    def _rmdir(self, loc: ParentLocation, path: str) -> None:
        if not loc.name:
            # As Linux: "/" is busy, a last "." is invalid, a last ".." is not empty.
            if loc.last == "..":
                raise KernelError(Errno.ENOTEMPTY, f"{path}: directory not empty")
            raise KernelError(Errno.EBUSY if loc.last == "" else Errno.EINVAL, path)
        target = loc.parent.inode.lookup(loc.name)
        if target.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        if self.vfs.is_mount_point(loc.parent, loc.name):
            raise KernelError(Errno.EBUSY, f"{path} is a mount point")
        loc.parent.inode.rmdir(loc.name)

    def renameat2(
        self, p: Process, old_fd: int, old_path: str, new_fd: int, new_path: str, flags: int
    ) -> None:
        """Linux ``renameat2``: flags ``RENAME_NOREPLACE`` (1: EEXIST if the new name
        exists); ``RENAME_EXCHANGE`` and ``RENAME_WHITEOUT`` are EINVAL (as on a
        file system without them). Errors in Linux's order: EXDEV (the two
        parents on different mounts) before EBUSY (``.``/``..``) before the
        lookup of the old name."""
        _check_flags(flags, RENAME_NOREPLACE)
        src = self._parent(p, old_fd, old_path)
        dst = self._parent(p, new_fd, new_path)
        if src.parent.inode.fs is not dst.parent.inode.fs:
            raise KernelError(Errno.EXDEV, "rename across mounts")
        if not src.name or not dst.name:
            raise KernelError(Errno.EBUSY, "cannot rename . or ..")
        node = src.parent.inode.lookup(src.name)
        if flags & RENAME_NOREPLACE and dst.parent.inode.find(dst.name) is not None:
            raise KernelError(Errno.EEXIST, f"{new_path} exists")
        is_dir = node.filetype == FileType.DIRECTORY
        if (src.trailing_slash or dst.trailing_slash) and not is_dir:
            raise KernelError(Errno.ENOTDIR, "trailing slash on a non-directory")
        target = dst.parent.inode.find(dst.name)
        if target is not None and target.fs is node.fs and target.ino == node.ino:
            return  # two names of one file (or one name twice): nothing happens (Linux)
        vfs = self.vfs
        if vfs.is_mount_point(src.parent, src.name) or vfs.is_mount_point(dst.parent, dst.name):
            raise KernelError(Errno.EBUSY, "cannot rename a mount point")
        if is_dir:
            refuse_move_into_itself(src, dst)
        src.parent.inode.rename(src.name, dst.parent.inode, dst.name)

    def linkat(
        self, p: Process, old_fd: int, old_path: str, new_fd: int, new_path: str, flags: int
    ) -> None:
        """Linux ``linkat``: a final symlink of ``old_path`` is linked itself unless
        ``AT_SYMLINK_FOLLOW`` (0x400); ``AT_EMPTY_PATH`` with an empty ``old_path``
        links the file open as ``old_fd``. Errors in Linux's order: the old name,
        the new one (EEXIST), EXDEV across mounts, EPERM for a directory."""
        _check_flags(flags, AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)
        src = at_target(p, self.vfs, old_fd, old_path, flags, follow_flag=AT_SYMLINK_FOLLOW)
        dst = self._parent(p, new_fd, new_path)
        if not dst.name or dst.parent.inode.find(dst.name) is not None:
            raise KernelError(Errno.EEXIST, f"{new_path} exists")
        if dst.trailing_slash:
            raise KernelError(Errno.ENOENT, "trailing slash on a link name")
        if isinstance(src, OpenFile):
            raise KernelError(Errno.EXDEV, "a pipe or stream has no name to link")
        if src.fs is not dst.parent.inode.fs:
            raise KernelError(Errno.EXDEV, "hard link across mounts")
        st = src.stat()
        if st.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EPERM, "hard links to directories are not allowed")
        unnamed = self.kernel.unnamed_files
        if st.nlink == 0:
            if src not in unnamed:  # removed, not made by O_TMPFILE (or with O_EXCL)
                raise KernelError(Errno.ENOENT, "the file has been removed")
            dst.parent.inode.relink(dst.name, src)
            unnamed.discard(src)  # named now: unlinked again, it is gone for good
            return
        dst.parent.inode.link(dst.name, src)

    def symlinkat(self, p: Process, target: str, fd: int, path: str) -> None:
        """Linux ``symlinkat``: an empty target or link path is ENOENT; the target is
        stored as given (an absolute one resolves from the root when followed)."""
        if not target:
            raise KernelError(Errno.ENOENT, "empty symlink target")
        loc = self._parent(p, fd, path)
        if not loc.name or loc.parent.inode.find(loc.name) is not None:
            raise KernelError(Errno.EEXIST, f"{path} exists")
        if loc.trailing_slash:
            raise KernelError(Errno.ENOENT, "trailing slash on a symlink name")
        loc.parent.inode.symlink(loc.name, target)

    def readlinkat(self, p: Process, fd: int, path: str, size: int) -> bytes:
        """Linux ``readlinkat``: the target, cut to ``size`` bytes (no NUL); EINVAL
        for ``size`` 0 or a path that is not a symlink, ENOENT for an empty path
        (which names ``fd``, never a symlink here)."""
        if size == 0:
            raise KernelError(Errno.EINVAL, "buffer size 0")
        if not path:
            at_target(p, self.vfs, fd, path, AT_EMPTY_PATH)  # EBADF for a bad fd
            raise KernelError(Errno.ENOENT, "an empty path names no symlink")
        inode = at_target(p, self.vfs, fd, path, AT_SYMLINK_NOFOLLOW)
        if isinstance(inode, OpenFile) or inode.filetype != FileType.SYMBOLIC_LINK:
            raise KernelError(Errno.EINVAL, f"{path} is not a symbolic link")
        return inode.readlink().encode("utf-8", "surrogateescape")[:size]

    def realpath(self, p: Process, path: str, size: int) -> bytes:
        """The canonical absolute path of ``path`` (every symlink followed, ``.``
        and ``..`` gone), as ``realpath(3)``; ERANGE if longer than ``size``."""
        out = self.vfs.resolve(p.cwd, path, follow=True).path.encode("utf-8", "surrogateescape")
        if len(out) > size:
            raise KernelError(Errno.ERANGE, "buffer too small for the path")
        return out

    # == metadata ======================================================================
    def utimensat(
        self, p: Process, fd: int, path: str, times: tuple[int, int, int, int] | None, flags: int
    ) -> None:
        """Linux ``utimensat``: ``times`` is (atime s, ns, mtime s, ns) or NULL (both
        now); a nanosecond field may be ``UTIME_NOW`` or ``UTIME_OMIT``. Both
        omitted: nothing happens, the path is not even looked at (Linux)."""
        if times is not None and times[1] == UTIME_OMIT and times[3] == UTIME_OMIT:
            return
        _check_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
        target = at_target(p, self.vfs, fd, path, flags)
        now = time.time_ns()
        if times is None:
            atim: int | None = now
            mtim: int | None = now
        else:
            atim = _time(times[0], times[1], now)
            mtim = _time(times[2], times[3], now)
        if isinstance(target, OpenFile):
            return  # a pipe's times live as long as the pipe: nothing to keep
        target.set_times(atim, mtim)

    def faccessat(self, p: Process, fd: int, path: str, mode: int, flags: int) -> None:
        """Linux ``faccessat2`` for root: ``F_OK``, ``R_OK`` and ``W_OK`` pass (``W_OK``
        is EROFS on a read-only file system for files, directories and
        symlinks); ``X_OK`` needs an execute bit unless it is a directory.
        ``AT_EACCESS`` changes nothing (real and effective ids are both 0)."""
        if mode & ~(R_OK | W_OK | X_OK):
            raise KernelError(Errno.EINVAL, f"bad access mode {mode:#o}")
        _check_flags(flags, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
        target = at_target(p, self.vfs, fd, path, flags)
        if isinstance(target, OpenFile):
            if mode & X_OK:
                raise KernelError(Errno.EACCES, "a pipe is not executable")  # mode 0600
            return
        st = target.stat()
        if (mode & W_OK and target.fs.read_only and st.filetype in (
                FileType.REGULAR_FILE, FileType.DIRECTORY, FileType.SYMBOLIC_LINK)):
            raise KernelError(Errno.EROFS, "read-only file system")
        if mode & X_OK and st.filetype != FileType.DIRECTORY and not st.mode & 0o111:
            raise KernelError(Errno.EACCES, "no execute permission")

    def fchownat(self, p: Process, fd: int, path: str, uid: int, gid: int, flags: int) -> None:
        """Linux ``fchownat``: record the owner and/or group (``-1``: unchanged). As on
        Linux, even root's chown of a non-directory clears its set-user-ID bit,
        and its set-group-ID bit if it is group-executable."""
        _check_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
        target = at_target(p, self.vfs, fd, path, flags)
        if isinstance(target, OpenFile):
            return  # a pipe's owner lives as long as the pipe: nothing to keep
        target.chown(_id(uid), _id(gid))
        st = target.stat()
        if st.filetype != FileType.DIRECTORY:
            kill = S_ISUID | (S_ISGID if st.mode & S_IXGRP else 0)
            if st.mode & kill:
                target.chmod(st.mode & ~kill)

    # == the table =====================================================================
    def table(self) -> list[S.Syscall]:
        m = MODULE
        dirfd, path = S.s32("dirfd"), S.string("path")
        return [
            S.Syscall(m, "mkdirat", (dirfd, path, S.u32("mode")), self.mkdirat),
            S.Syscall(m, "unlinkat", (dirfd, path, S.u32("flags")), self.unlinkat),
            S.Syscall(m, "renameat2", (S.s32("olddirfd"), S.string("oldpath"), S.s32("newdirfd"),
                                       S.string("newpath"), S.u32("flags")), self.renameat2),
            S.Syscall(m, "linkat", (S.s32("olddirfd"), S.string("oldpath"), S.s32("newdirfd"),
                                    S.string("newpath"), S.u32("flags")), self.linkat),
            S.Syscall(m, "symlinkat", (S.string("target"), dirfd, path), self.symlinkat),
            S.Syscall(m, "readlinkat", (dirfd, path, S.buf_out("buf"), S.out_len("len")),
                      self.readlinkat),
            S.Syscall(m, "realpath", (path, S.buf_out("buf"), S.out_len("len")), self.realpath),
            S.Syscall(m, "utimensat", (dirfd, path, S.struct_in("times", TIMES), S.u32("flags")),
                      self.utimensat),
            S.Syscall(m, "faccessat", (dirfd, path, S.u32("mode"), S.u32("flags")),
                      self.faccessat),
            S.Syscall(m, "fchownat", (dirfd, path, S.u32("uid"), S.u32("gid"), S.u32("flags")),
                      self.fchownat),
        ]


__all__ = ["PathSyscalls", "at_start", "at_target"]
