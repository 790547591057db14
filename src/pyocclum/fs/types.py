"""The interfaces every file system implements.

An :class:`Inode` is one file system object. Directory methods take a single
path component (never ``/``, ``.`` or ``..``: the VFS walks paths). All
methods raise :class:`~pyocclum.errors.KernelError` on failure and never block.
Times are nanoseconds since the Unix epoch.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError

if TYPE_CHECKING:
    from pyocclum.fs.waitq import WaitQueue

__all__ = [
    "MAX_NAME",
    "MAX_SYMLINK",
    "DirEntry",
    "FileSystem",
    "FileType",
    "FixedDirectory",
    "Inode",
    "Stat",
    "Stream",
    "check_name",
    "check_symlink_target",
    "clamp_time",
    "now_ns",
]

MAX_NAME = 255
#: Longest symlink target, in bytes (Linux: PATH_MAX - 1).
MAX_SYMLINK = 4095
#: Largest size of a regular file (Linux's MAX_LFS_FILESIZE on 64 bits).
MAX_FILE_SIZE = (1 << 63) - 1


def now_ns() -> int:
    return time.time_ns()


#: The range of a file's timestamps (ns since the epoch): Linux's signed 64-bit time.
TIME_MIN = -(1 << 63)
TIME_MAX = (1 << 63) - 1


def clamp_time(ns: int) -> int:
    """A timestamp a program asks to set, clamped into :data:`TIME_MIN`..:data:`TIME_MAX`,
    what every file system stores (sefs records it as a signed 64-bit field), as
    Linux clamps a time to its file system's range. ``Inode.set_times`` is only
    ever given clamped times."""
    return TIME_MIN if ns < TIME_MIN else TIME_MAX if ns > TIME_MAX else ns


def check_write(offset: int, n: int) -> None:
    """A write of ``n`` bytes at ``offset``: EINVAL for a negative offset, EFBIG if
    the file would grow past ``MAX_FILE_SIZE``."""
    if offset < 0:
        raise KernelError(Errno.EINVAL, "negative offset")
    if offset + n > MAX_FILE_SIZE:
        raise KernelError(Errno.EFBIG, "file would exceed the maximum size")


def check_truncate(size: int) -> None:
    """A size to truncate a file to: EINVAL if negative, EFBIG past ``MAX_FILE_SIZE``."""
    if size < 0:
        raise KernelError(Errno.EINVAL, "negative size")
    if size > MAX_FILE_SIZE:
        raise KernelError(Errno.EFBIG, "size exceeds the maximum file size")


def check_name(name: str) -> None:
    """Reject a directory entry name that no file system may store."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise KernelError(Errno.EINVAL, f"bad file name {name!r}")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
        raise KernelError(Errno.ENAMETOOLONG, f"name longer than {MAX_NAME} bytes")


def check_symlink_target(target: str) -> None:
    """Reject a symlink target that no file system may store."""
    if not target:
        raise KernelError(Errno.ENOENT, "empty symlink target")
    if "\0" in target:
        raise KernelError(Errno.EINVAL, "NUL in symlink target")
    if len(target.encode("utf-8", "surrogateescape")) > MAX_SYMLINK:
        raise KernelError(Errno.ENAMETOOLONG, "symlink target too long")


class Stat(NamedTuple):
    """What ``stat`` reports. ``mode`` holds permission bits only (0o7777);
    ``uid``/``gid`` are the recorded owner (0: every process runs as root)."""

    dev: int
    ino: int
    filetype: FileType
    mode: int
    nlink: int
    size: int
    atim: int
    mtim: int
    ctim: int
    uid: int = 0
    gid: int = 0
    #: A device file's number (Linux's dev_t encoding, as ``makedev``); 0 otherwise.
    rdev: int = 0


class DirEntry(NamedTuple):
    name: str
    ino: int
    filetype: FileType


class Stream:
    """A byte stream that replaces offset-based I/O (devices, pipes, host stdio).

    ``read``/``write`` raise ``WouldBlock`` when they cannot make progress;
    ``read`` returns ``b""`` at end of stream.
    """

    waitq: WaitQueue | None = None

    def read(self, size: int) -> bytes:
        raise KernelError(Errno.EBADF, "stream is not readable")

    def write(self, data: bytes) -> int:
        raise KernelError(Errno.EBADF, "stream is not writable")

    def readable_now(self) -> bool:
        """Would ``read`` return without ``WouldBlock``?"""
        return True

    def writable_now(self) -> bool:
        return True

    def hung_up(self) -> bool:
        """The other end has gone (for ``poll``'s hangup flag)."""
        return False

    def isatty(self) -> bool:
        return False

    def sync(self) -> None:
        """Flush buffered output to where it goes."""

    def close(self) -> None:
        """The last open file description using this stream closed."""


class FileSystem:
    """One mounted file system instance."""

    #: Device number reported in ``stat``; the VFS assigns one per mount.
    dev: int = 0
    #: Name as shown in /proc/mounts (``ramfs``, ``hostfs``, ...).
    fstype: str = "none"
    read_only: bool = False
    #: Closing the last description that wrote a file makes it durable
    #: (:meth:`Inode.sync`). Linux's close does not sync; sefs promises it.
    durable_close: bool = False

    def root(self) -> Inode:
        raise NotImplementedError

    def sync(self) -> None:
        """Make everything written so far durable."""


class Inode:
    """One file system object; the default methods fail as Linux would."""

    fs: FileSystem
    ino: int

    # -- every kind ---------------------------------------------------------
    def stat(self) -> Stat:
        raise NotImplementedError

    @property
    def filetype(self) -> FileType:
        return self.stat().filetype

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        """Set access/modification times (None leaves one unchanged)."""
        raise KernelError(Errno.EPERM, "times cannot be set here")

    def chmod(self, mode: int) -> None:
        raise KernelError(Errno.EPERM, "mode cannot be set here")

    def chown(self, uid: int | None, gid: int | None) -> None:
        """Record a new owner and/or group (None leaves one unchanged) and move
        ctime. Linux's clearing of set-user/group-ID bits is the caller's (the
        ``fchownat`` call does it for every file system alike)."""
        raise KernelError(Errno.EPERM, "owner cannot be set here")

    def sync(self) -> None:
        """Make this object's data and metadata durable."""

    # -- directories ----------------------------------------------------------
    def lookup(self, name: str) -> Inode:
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def find(self, name: str) -> Inode | None:
        """:meth:`lookup`, or None where it fails with ENOENT; any other error is
        raised. A file system may override it to answer a miss without raising
        (path resolution, unionfs above all, looks up many names that are not there)."""
        try:
            return self.lookup(name)
        except KernelError as e:
            if e.errno == Errno.ENOENT:
                return None
            raise

    def entries(self) -> Iterator[DirEntry]:
        """Entries in a stable order, without ``.`` and ``..``."""
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def create(self, name: str, mode: int) -> Inode:
        """New empty regular file; EEXIST if ``name`` exists."""
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def mkdir(self, name: str, mode: int) -> Inode:
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def symlink(self, name: str, target: str) -> Inode:
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def mksock(self, name: str, mode: int) -> Inode:
        """New socket node (``bind`` of an AF_UNIX path): an inode of filetype
        SOCKET_STREAM with no content; EEXIST if ``name`` exists. A file system
        that cannot hold sockets refuses with EPERM (Linux's ``vfs_mknod``
        when the file system has no ``mknod``)."""
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def link(self, name: str, inode: Inode) -> None:
        """Hard link; EXDEV if ``inode`` is on another file system, EPERM for directories."""
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def relink(self, name: str, inode: Inode) -> None:
        """As :meth:`link`, for an open file that has no name left because it was
        made unnamed (``O_TMPFILE``): it gets ``name`` here and lives on as any
        file. A file system that cannot give a removed file a name again says
        ENOENT, as ``link`` of a removed file."""
        self.link(name, inode)

    def unlink(self, name: str) -> None:
        """Remove a non-directory entry (EISDIR for a directory)."""
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def rmdir(self, name: str) -> None:
        """Remove an empty directory (ENOTEMPTY, ENOTDIR as on Linux)."""
        raise KernelError(Errno.ENOTDIR, "not a directory")

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        """Linux ``rename``: replaces ``new`` if compatible; EXDEV across file systems;
        EINVAL when moving a directory into itself (the VFS checks ancestry)."""
        raise KernelError(Errno.ENOTDIR, "not a directory")

    # -- symlinks -----------------------------------------------------------------
    def readlink(self) -> str:
        raise KernelError(Errno.EINVAL, "not a symbolic link")

    # -- regular files ------------------------------------------------------------
    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset`` (short only at end of file)."""
        raise KernelError(Errno.EISDIR if self.filetype == FileType.DIRECTORY else Errno.EINVAL)

    def write(self, offset: int, data: bytes) -> int:
        """Write all of ``data`` at ``offset``, extending the file (holes read as zeros)."""
        raise KernelError(Errno.EISDIR if self.filetype == FileType.DIRECTORY else Errno.EINVAL)

    def truncate(self, size: int) -> None:
        raise KernelError(Errno.EISDIR if self.filetype == FileType.DIRECTORY else Errno.EINVAL)

    def allocate(self, offset: int, length: int) -> None:
        """Make sure ``[offset, offset+length)`` is within the file (extends the size)."""
        end = offset + length
        if end > self.stat().size:
            self.truncate(end)

    def next_data(self, offset: int) -> int:
        """Where the data at or after ``offset`` starts (as ``lseek``'s SEEK_DATA):
        everything from ``offset`` up to the answer is a hole (reads as zeros and
        takes no space); the size if only holes follow. A file system that keeps no
        holes answers ``offset`` (all of a file is data)."""
        return min(offset, self.stat().size)

    # -- devices ------------------------------------------------------------------
    def open_stream(self) -> Stream | None:
        """For character devices: a stream used instead of ``read``/``write``."""
        return None

    #: For ``/dev/stdin``-like aliases: opening it duplicates this fd of the
    #: opening process (as Linux's ``/proc/self/fd/N`` links do).
    alias_fd: int | None = None


def lookup_or_none(directory: Inode, name: str) -> Inode | None:
    """``directory.lookup(name)``, or None if there is no such entry (ENOENT);
    any other error is raised (:meth:`Inode.find`)."""
    return directory.find(name)


class FixedDirectory(Inode):
    """A directory whose entries never change (devfs, procfs, the integrity image).

    Every call that would add a name fails with the error :meth:`refuse_new`
    gives, so each file system states its rule (e.g. EEXIST before EROFS, as
    Linux orders them) in one place.
    """

    def refuse_new(self, name: str) -> KernelError:
        raise NotImplementedError

    def create(self, name: str, mode: int) -> Inode:
        raise self.refuse_new(name)

    def mkdir(self, name: str, mode: int) -> Inode:
        raise self.refuse_new(name)

    def symlink(self, name: str, target: str) -> Inode:
        raise self.refuse_new(name)

    def mksock(self, name: str, mode: int) -> Inode:
        raise self.refuse_new(name)

    def link(self, name: str, inode: Inode) -> None:
        raise self.refuse_new(name)  # EEXIST or the refusal come before EXDEV on Linux
