"""``hostfs``: a plain host directory, for moving data in and out of the LibOS.

Confinement (DESIGN.md section 7: a process must not escape a hostfs root):

* Every directory inode holds an ``O_PATH`` descriptor of its host directory,
  opened with ``O_NOFOLLOW``; every operation is relative to such a
  descriptor and names exactly one component (``check_name`` refuses ``/``,
  ``.`` and ``..``). No host path string is ever resolved by the host below
  the root, so a symlink or a rename on the host cannot redirect an operation
  that started from an inode we already hold.
* Host symlinks are never followed: ``lstat``, ``O_NOFOLLOW`` and
  ``follow_symlinks=False`` everywhere. A symlink is presented as a symlink
  inode whose ``readlink`` returns the target text, so the VFS resolves it
  inside the LibOS namespace.
* Regular files are opened lazily with ``O_NOFOLLOW | O_NONBLOCK`` and
  checked with ``fstat`` to be the same regular file (``ESTALE`` otherwise),
  so a FIFO or device swapped in on the host is neither opened for I/O nor
  waited on.

Open host descriptors for file data are cached per inode and bounded by an
LRU (``max_open_files``). A file that is unlinked or replaced through this
file system while its inode is alive keeps its descriptor ("pinned") until
the inode is garbage collected, so an unlinked-but-open file keeps working.

The host is untrusted: anything it changes behind our back shows up as
ordinary errors (``ENOENT``, ``ESTALE``), never as access outside the root.
Inode numbers are the host's ``st_ino``; a root that spans several host file
systems may therefore show two files with the same inode number.

Modes and owners pass through: ``chmod`` and ``chown`` change the host file.
Owners are mapped as a user namespace would: the host's effective uid/gid (the
LibOS's own) is 0 inside, where every process runs as root, and 0 outside;
any other id is the same number inside and out, except the host's root seen
by a LibOS that is not root itself, which is 65534 (``nobody``) inside.
"""

from __future__ import annotations

import errno as host_errno
import os
import stat as host_stat
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyocclum.abi.errno import Errno, from_host
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import (
    MAX_FILE_SIZE,
    DirEntry,
    FileSystem,
    Inode,
    Stat,
    check_name,
    check_symlink_target,
    check_truncate,
    check_write,
)

__all__ = ["HostDir", "HostFile", "HostFs", "HostSymlink"]

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY
#: Largest single host read: ``os.pread`` allocates its whole buffer up front.
_IO_MAX = 1 << 20

_Key = tuple[int, int]  # (st_dev, st_ino) on the host

_READ = 1
_WRITE = 2


def _kerr(e: OSError, what: str) -> KernelError:
    return KernelError(from_host(e.errno), f"{what}: {e.strerror or e}")


def _filetype(mode: int) -> FileType:
    if host_stat.S_ISREG(mode):
        return FileType.REGULAR_FILE
    if host_stat.S_ISDIR(mode):
        return FileType.DIRECTORY
    if host_stat.S_ISLNK(mode):
        return FileType.SYMBOLIC_LINK
    if host_stat.S_ISCHR(mode):
        return FileType.CHARACTER_DEVICE
    if host_stat.S_ISBLK(mode):
        return FileType.BLOCK_DEVICE
    if host_stat.S_ISSOCK(mode):
        return FileType.SOCKET_STREAM
    return FileType.UNKNOWN  # FIFOs and anything else


def _key(st: os.stat_result) -> _Key:
    return (st.st_dev, st.st_ino)


#: What an owner the LibOS cannot map shows as (Linux's overflow uid/gid).
_NOBODY = 65534


def _id_inside(host_id: int, own: int) -> int:
    """A host uid/gid as processes see it (``own``: the LibOS's own host id)."""
    if host_id == own:
        return 0
    return _NOBODY if host_id == 0 else host_id


def _id_on_host(inside: int | None, own: int) -> int:
    """An id given inside, for ``os.chown`` (-1: unchanged)."""
    if inside is None:
        return -1
    return own if inside == 0 else inside


def _chown_args(uid: int | None, gid: int | None) -> tuple[int, int]:
    return _id_on_host(uid, os.geteuid()), _id_on_host(gid, os.getegid())


def _to_stat(dev: int, st: os.stat_result) -> Stat:
    return Stat(
        dev=dev,
        ino=st.st_ino,
        filetype=_filetype(st.st_mode),
        mode=st.st_mode & 0o7777,
        nlink=st.st_nlink,
        size=st.st_size,
        atim=st.st_atime_ns,
        mtim=st.st_mtime_ns,
        ctim=st.st_ctime_ns,
        uid=_id_inside(st.st_uid, os.geteuid()),
        gid=_id_inside(st.st_gid, os.getegid()),
    )


class HostFs(FileSystem):
    """A host directory ``root`` mounted into the LibOS.

    ``read_only`` makes every mutation fail with ``EROFS`` (creating a name
    that exists still reports ``EEXIST``, as Linux does). ``max_open_files``
    bounds the host descriptors kept open for file data (directory inodes
    hold one ``O_PATH`` descriptor each while they are alive).
    """

    fstype = "hostfs"

    def __init__(
        self, root: Path | str, read_only: bool = False, *, max_open_files: int = 256
    ) -> None:
        if max_open_files < 1:
            raise ValueError("max_open_files must be >= 1")
        self.read_only = read_only
        self.host_root = Path(root)
        self.lock = threading.RLock()
        self._max_open = max_open_files
        # Live inodes by host identity, so that one host object is one Inode.
        self._nodes: weakref.WeakValueDictionary[_Key, _HostNode] = (
            weakref.WeakValueDictionary()
        )
        # Unpinned files with an open data descriptor, least recently used first.
        self._lru: OrderedDict[int, HostFile] = OrderedDict()
        try:
            # The root path itself comes from trusted configuration: following
            # symlinks in it is fine. Nothing below it is followed.
            fd = os.open(self.host_root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as e:
            raise _kerr(e, f"hostfs root {self.host_root}") from e
        st = os.fstat(fd)
        self._root = HostDir(self, fd, st)
        self._nodes[_key(st)] = self._root

    def root(self) -> HostDir:
        return self._root

    def sync(self) -> None:
        """Make what was written through this mount durable on the host.

        A host folder on a file system that cannot sync (``fsync`` fails with
        EINVAL: procfs, sysfs, some FUSE file systems) has nothing to make
        durable: skipped, not an error (the shutdown of a boot that mounts one
        raised it, as ``sync()`` inside did).
        """
        with self.lock:
            files = list(self._lru.values())
        for node in (*files, self._root):
            try:
                node.sync()
            except KernelError as e:
                if e.errno != Errno.EINVAL:
                    raise

    def close(self) -> None:
        """Close the cached data descriptors and the root's descriptor now
        (they are otherwise closed when the inodes are garbage collected)."""
        with self.lock:
            for k, f in list(self._lru.items()):
                if f._io_users == 0:
                    del self._lru[k]
                    f._close_io()
            self._root._close_fd()

    # -- internals ------------------------------------------------------------
    def _writable(self) -> None:
        if self.read_only:
            raise KernelError(Errno.EROFS, "hostfs is mounted read-only")

    def _node_for(self, parent: HostDir, name: str, st: os.stat_result) -> _HostNode:
        """The inode for ``name`` in ``parent`` whose ``lstat`` gave ``st``."""
        ft = _filetype(st.st_mode)
        key = _key(st)
        with self.lock:
            node = self._nodes.get(key)
            if node is not None and node._ft == ft:
                node._relocate(parent, name)
                return node
            new: _HostNode
            if ft == FileType.DIRECTORY:
                try:
                    fd = os.open(name, _DIR_FLAGS, dir_fd=parent._dirfd())
                except OSError as e:
                    raise _kerr(e, f"open directory {name!r}") from e
                try:
                    st = os.fstat(fd)
                except OSError as e:
                    os.close(fd)
                    raise _kerr(e, f"stat directory {name!r}") from e
                key = _key(st)
                node = self._nodes.get(key)
                if isinstance(node, HostDir):  # replaced on the host meanwhile
                    os.close(fd)
                    return node
                new = HostDir(self, fd, st)
            elif ft == FileType.REGULAR_FILE:
                new = HostFile(self, key, ft, parent, name)
            elif ft == FileType.SYMBOLIC_LINK:
                new = HostSymlink(self, key, ft, parent, name)
            else:
                new = _HostNode(self, key, ft, parent, name)
            self._nodes[key] = new
            return new

    def _lru_add(self, node: HostFile) -> None:
        """Track ``node``'s new data descriptor; evict idle ones beyond the bound
        (lock held)."""
        lru = self._lru
        lru[id(node)] = node
        if len(lru) <= self._max_open:
            return
        for k, old in list(lru.items()):
            if len(lru) <= self._max_open:
                break
            if old is not node and old._io_users == 0:
                del lru[k]
                old._close_io()


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
        try:
            st = os.fstat(fd)
        except OSError as e:
            os.close(fd)
            raise _kerr(e, f"stat {name!r}") from e
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
