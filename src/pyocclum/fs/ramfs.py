"""``ramfs``: a file system that lives in memory and is lost at exit (``/tmp``).

File data is stored sparsely in fixed-size chunks (``bytearray`` each), so
holes (``truncate`` beyond the end, writes past the end) cost no memory and
read as zeros; a process cannot exhaust the LibOS's memory by seeking far and
writing one byte. An optional ``capacity`` bounds the bytes actually stored
(``ENOSPC`` beyond it, as a size-limited tmpfs would).

Locking: one ``threading.RLock`` per file system guards every mutation and
every multi-step read (processes run on separate threads). Single dictionary
lookups (``lookup``) rely on the GIL instead: they are the path walk's hot path.

Times follow Linux (strict atime): reading data or a directory listing sets
``atim``; writing sets ``mtim`` and ``ctim``; metadata changes (chmod, link
count, rename) set ``ctim``; adding or removing entries sets the directory's
``mtim`` and ``ctim``.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Iterator

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import (
    MAX_FILE_SIZE,
    MAX_SYMLINK,
    DirEntry,
    FileSystem,
    Inode,
    Stat,
    check_name,
    check_symlink_target,
    check_truncate,
    check_write,
    now_ns,
)

__all__ = [
    "CHUNK_SIZE", "MAX_FILE_SIZE", "MAX_SYMLINK", "RamDir", "RamFile", "RamFs", "RamSocket",
    "RamSymlink",
]

#: Bytes per storage chunk: big enough that typical reads touch one chunk,
#: small enough that a hole-y file wastes little.
CHUNK_SIZE = 1 << 16
#: Linux's MAX_LFS_FILESIZE on 64-bit.
#: Longest symlink target (Linux PATH_MAX - 1).


class _Space:
    """Bytes stored by one RamFs, and its optional limit.

    Freed bytes of dead files arrive through ``freed`` (``deque.append`` is
    atomic), because finalisers may run on any thread, even one that is in the
    middle of updating ``used`` under the file system lock.
    """

    __slots__ = ("capacity", "freed", "inodes", "inodes_freed", "max_inodes", "stored")

    def __init__(self, capacity: int | None, max_inodes: int | None = None) -> None:
        self.capacity = capacity
        self.stored = 0
        self.freed: deque[int] = deque()
        self.max_inodes = max_inodes
        self.inodes = 0
        self.inodes_freed: deque[int] = deque()

    def new_inode(self, node: object) -> None:
        """Count ``node`` in (lock held); ENOSPC if ``max_inodes`` are alive. It is
        counted out when it is gone (no name and no open file description)."""
        freed = self.inodes_freed
        while freed:
            self.inodes -= freed.popleft()
        if self.max_inodes is not None and self.inodes >= self.max_inodes:
            raise KernelError(Errno.ENOSPC, f"no free inodes (at most {self.max_inodes})")
        self.inodes += 1
        weakref.finalize(node, freed.append, 1)

    def release(self, chunks: dict[int, bytearray]) -> None:
        """Finaliser of a file: its remaining chunks are gone."""
        self.freed.append(sum(len(c) for c in chunks.values()))

    def used(self) -> int:
        """Bytes stored now (call with the file system lock held)."""
        freed = self.freed
        while freed:
            self.stored -= freed.popleft()
        return self.stored


class RamFs(FileSystem):
    """An in-memory file system.

    ``capacity`` (bytes of file data, ``None`` = unlimited) makes writes fail
    with ``ENOSPC`` once reached; ``max_inodes`` (files, directories, symlinks
    and sockets alive, the root included; ``None`` = unlimited) makes creating
    one more fail with ``ENOSPC``, as tmpfs's ``nr_inodes``: every inode costs
    host memory that no byte count sees. ``root_mode`` is the permission bits
    of ``/`` (``0o1777`` suits ``/tmp``).
    """

    fstype = "ramfs"

    def __init__(
        self, *, capacity: int | None = None, max_inodes: int | None = None,
        root_mode: int = 0o755,
    ) -> None:
        if capacity is not None and capacity < 0:
            raise ValueError("capacity must be >= 0")
        if max_inodes is not None and max_inodes < 1:
            raise ValueError("max_inodes must be >= 1 (the root)")
        self.lock = threading.RLock()
        self._space = _Space(capacity, max_inodes)
        self._last_ino = 0
        self._root = RamDir(self, root_mode, None)

    def root(self) -> RamDir:
        return self._root

    @property
    def bytes_used(self) -> int:
        """File data bytes currently stored (holes excluded)."""
        with self.lock:
            return self._space.used()

    @property
    def capacity(self) -> int | None:
        return self._space.capacity

    def _new_ino(self) -> int:
        # Called with the lock held (or from the constructor).
        self._last_ino += 1
        return self._last_ino


class _RamNode(Inode):
    """Fields and metadata operations shared by every RamFs inode."""

    _FILETYPE = FileType.UNKNOWN

    def __init__(self, fs: RamFs, mode: int) -> None:
        self.fs = fs
        self._fs = fs
        with fs.lock:
            fs._space.new_inode(self)
            self.ino = fs._new_ino()
        self.mode = mode & 0o7777
        self.uid = 0
        self.gid = 0
        self.nlink = 1
        now = now_ns()
        self.atim = now
        self.mtim = now
        self.ctim = now

    @property
    def filetype(self) -> FileType:
        return self._FILETYPE

    def _size(self) -> int:
        return 0

    def stat(self) -> Stat:
        return Stat(
            dev=self._fs.dev,
            ino=self.ino,
            filetype=self._FILETYPE,
            mode=self.mode,
            nlink=self.nlink,
            size=self._size(),
            atim=self.atim,
            mtim=self.mtim,
            ctim=self.ctim,
            uid=self.uid,
            gid=self.gid,
        )

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        with self._fs.lock:
            if atim is not None:
                self.atim = atim
            if mtim is not None:
                self.mtim = mtim
            self.ctim = now_ns()

    def chmod(self, mode: int) -> None:
        with self._fs.lock:
            self.mode = mode & 0o7777
            self.ctim = now_ns()

    def chown(self, uid: int | None, gid: int | None) -> None:
        with self._fs.lock:
            if uid is not None:
                self.uid = uid
            if gid is not None:
                self.gid = gid
            self.ctim = now_ns()


class RamFile(_RamNode):
    """A regular file: chunked sparse data and a logical size.

    Chunk ``i`` holds bytes ``[i*CHUNK_SIZE, ...)``; a missing chunk, or the
    part of a chunk past its current length, reads as zeros.
    """

    _FILETYPE = FileType.REGULAR_FILE

    def __init__(self, fs: RamFs, mode: int) -> None:
        super().__init__(fs, mode)
        self._chunks: dict[int, bytearray] = {}
        self._length = 0
        # Gives the space back when the last reference (a name or an open
        # file description) goes, not when the last name is unlinked.
        weakref.finalize(self, fs._space.release, self._chunks)

    def _size(self) -> int:
        return self._length

    def _piece(self, ci: int, co: int, n: int) -> bytes:
        """``n`` bytes from chunk ``ci`` at ``co`` (``co + n <= CHUNK_SIZE``)."""
        chunk = self._chunks.get(ci)
        if chunk is None:
            return bytes(n)
        have = len(chunk) - co
        if have >= n:
            if n < 8192:
                return bytes(chunk[co : co + n])  # two small copies beat a view's setup
            with memoryview(chunk) as mv:  # one copy for big reads
                return mv[co : co + n].tobytes()
        if have <= 0:
            return bytes(n)
        return bytes(chunk[co:]) + bytes(n - have)

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise KernelError(Errno.EINVAL, "negative offset or size")
        with self._fs.lock:
            end = min(offset + size, self._length)
            if size:
                self.atim = now_ns()
            if end <= offset:
                return b""
            ci, co = divmod(offset, CHUNK_SIZE)
            n = end - offset
            if co + n <= CHUNK_SIZE:
                return self._piece(ci, co, n)
            parts = []
            pos = offset
            while pos < end:
                ci, co = divmod(pos, CHUNK_SIZE)
                take = min(CHUNK_SIZE - co, end - pos)
                parts.append(self._piece(ci, co, take))
                pos += take
            return b"".join(parts)

    def write(self, offset: int, data: bytes) -> int:
        """Write ``data`` at ``offset``; short only when ``capacity`` runs out
        after part of it was stored (``ENOSPC`` if none was)."""
        n = len(data)
        check_write(offset, n)
        if n == 0:
            return 0
        fs = self._fs
        space = fs._space
        chunks = self._chunks
        with fs.lock:
            capacity = space.capacity
            done = 0
            pos = offset
            view = None
            while done < n:
                ci, co = divmod(pos, CHUNK_SIZE)
                take = min(CHUNK_SIZE - co, n - done)
                chunk = chunks.get(ci)
                old = 0 if chunk is None else len(chunk)
                grow = co + take - old
                if grow > 0:
                    if capacity is not None and space.used() + grow > capacity:
                        if done == 0:
                            raise KernelError(Errno.ENOSPC, "ramfs is full")
                        break
                    space.stored += grow
                if chunk is None:
                    chunk = chunks[ci] = bytearray()
                if co > old:
                    chunk += bytes(co - old)  # a hole inside this chunk
                if take == n:
                    chunk[co : co + take] = data
                else:
                    if view is None:
                        view = memoryview(data)
                    chunk[co : co + take] = view[done : done + take]
                done += take
                pos += take
            if view is not None:
                view.release()
            self._length = max(self._length, pos)
            self.mtim = self.ctim = now_ns()
            return done

    def truncate(self, size: int) -> None:
        check_truncate(size)
        fs = self._fs
        with fs.lock:
            if size < self._length:
                chunks = self._chunks
                last, co = divmod(size, CHUNK_SIZE)
                freed = 0
                for ci in [k for k in chunks if k > last or (k == last and co == 0)]:
                    freed += len(chunks.pop(ci))
                chunk = chunks.get(last)
                if chunk is not None and len(chunk) > co:
                    freed += len(chunk) - co
                    del chunk[co:]
                fs._space.stored -= freed
            self._length = size
            self.mtim = self.ctim = now_ns()

    def next_data(self, offset: int) -> int:
        """The first stored byte at or after ``offset`` (chunks hold the data)."""
        with self._fs.lock:
            size = self._length
            if offset >= size:
                return size
            ci, co = divmod(offset, CHUNK_SIZE)
            chunk = self._chunks.get(ci)
            if chunk is not None and len(chunk) > co:
                return offset
            later = min((k for k, v in self._chunks.items() if k > ci and v), default=None)
            return size if later is None else min(later * CHUNK_SIZE, size)

    def allocate(self, offset: int, length: int) -> None:
        """Extend the size to ``offset + length`` if smaller (no bytes are reserved:
        like tmpfs without a size limit, the space is taken when written)."""
        if offset < 0 or length <= 0:
            raise KernelError(Errno.EINVAL, "bad offset or length")
        end = offset + length
        if end > MAX_FILE_SIZE:
            raise KernelError(Errno.EFBIG, "file would exceed the maximum size")
        with self._fs.lock:
            if end > self._length:
                self._length = end
                self.mtim = self.ctim = now_ns()


class RamSymlink(_RamNode):
    _FILETYPE = FileType.SYMBOLIC_LINK

    def __init__(self, fs: RamFs, target: str) -> None:
        super().__init__(fs, 0o777)
        self.target = target

    def _size(self) -> int:
        return len(self.target.encode("utf-8", "surrogateescape"))

    def readlink(self) -> str:
        self.atim = now_ns()
        return self.target

    def chmod(self, mode: int) -> None:
        raise KernelError(Errno.ENOTSUP, "symbolic links have no mode of their own")


class RamSocket(_RamNode):
    """A socket node (``bind`` of an AF_UNIX path): a name for a socket, no content."""

    _FILETYPE = FileType.SOCKET_STREAM


class RamDir(_RamNode):
    """A directory: entries in insertion order (so listings are stable), and
    its parent (for the rename-into-own-subtree check). ``nlink`` is 2 plus the
    number of subdirectories while it exists and 0 once removed."""

    _FILETYPE = FileType.DIRECTORY

    def __init__(self, fs: RamFs, mode: int, parent: RamDir | None) -> None:
        super().__init__(fs, mode)
        self.nlink = 2
        self.parent = parent
        self.children: dict[str, _RamNode] = {}

    def _size(self) -> int:
        return len(self.children)

    def _alive(self) -> None:
        if self.nlink == 0:
            raise KernelError(Errno.ENOENT, "directory has been removed")

    def _touch(self, now: int) -> None:
        self.mtim = self.ctim = now

    def lookup(self, name: str) -> Inode:
        check_name(name)
        child = self.children.get(name)
        if child is None:
            raise KernelError(Errno.ENOENT, f"no entry {name!r}")
        return child

    def entries(self) -> Iterator[DirEntry]:
        with self._fs.lock:
            self.atim = now_ns()
            snapshot = [DirEntry(n, c.ino, c._FILETYPE) for n, c in self.children.items()]
        return iter(snapshot)

    def _add(self, name: str, node: _RamNode) -> None:
        """Insert a fresh node (lock held, ``name`` checked and free)."""
        self.children[name] = node
        self._touch(node.ctim)

    def _check_new(self, name: str) -> None:
        check_name(name)
        self._alive()
        if name in self.children:
            raise KernelError(Errno.EEXIST, f"{name!r} exists")

    def create(self, name: str, mode: int) -> Inode:
        with self._fs.lock:
            self._check_new(name)
            node = RamFile(self._fs, mode)
            self._add(name, node)
            return node

    def mkdir(self, name: str, mode: int) -> Inode:
        with self._fs.lock:
            self._check_new(name)
            node = RamDir(self._fs, mode, self)
            self._add(name, node)
            self.nlink += 1  # the new directory's ".."
            return node

    def symlink(self, name: str, target: str) -> Inode:
        check_symlink_target(target)
        with self._fs.lock:
            self._check_new(name)
            node = RamSymlink(self._fs, target)
            self._add(name, node)
            return node

    def mksock(self, name: str, mode: int) -> Inode:
        with self._fs.lock:
            self._check_new(name)
            node = RamSocket(self._fs, mode)
            self._add(name, node)
            return node

    def link(self, name: str, inode: Inode) -> None:
        """Errors in Linux's order: EEXIST, then EXDEV, EPERM, ENOENT."""
        self._link(name, inode, unnamed=False)

    def relink(self, name: str, inode: Inode) -> None:
        # The node lives while it is open (its bytes are counted until it is
        # freed), so naming it again is only an entry and a link count.
        self._link(name, inode, unnamed=True)

    def _link(self, name: str, inode: Inode, unnamed: bool) -> None:
        with self._fs.lock:
            self._check_new(name)
            if inode.fs is not self._fs or not isinstance(inode, _RamNode):
                raise KernelError(Errno.EXDEV, "hard link across file systems")
            if isinstance(inode, RamDir):
                raise KernelError(Errno.EPERM, "hard link to a directory")
            if inode.nlink == 0 and not unnamed:
                # Linux refuses to resurrect an unlinked file (without O_TMPFILE).
                raise KernelError(Errno.ENOENT, "file has been removed")
            inode.nlink += 1
            now = now_ns()
            inode.ctim = now
            self.children[name] = inode
            self._touch(now)

    def unlink(self, name: str) -> None:
        check_name(name)
        with self._fs.lock:
            child = self.children.get(name)
            if child is None:
                raise KernelError(Errno.ENOENT, f"no entry {name!r}")
            if isinstance(child, RamDir):
                raise KernelError(Errno.EISDIR, f"{name!r} is a directory")
            del self.children[name]
            now = now_ns()
            child.nlink -= 1
            child.ctim = now
            self._touch(now)

    def rmdir(self, name: str) -> None:
        check_name(name)
        with self._fs.lock:
            child = self.children.get(name)
            if child is None:
                raise KernelError(Errno.ENOENT, f"no entry {name!r}")
            if not isinstance(child, RamDir):
                raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")
            if child.children:
                raise KernelError(Errno.ENOTEMPTY, f"{name!r} is not empty")
            del self.children[name]
            self._drop_dir(child, now_ns())

    def _drop_dir(self, child: RamDir, now: int) -> None:
        """``child`` (empty) has just lost its entry in ``self``."""
        child.nlink = 0
        child.parent = None
        child.ctim = now
        self.nlink -= 1
        self._touch(now)

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        check_name(old)
        check_name(new)
        if new_dir.fs is not self._fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        if not isinstance(new_dir, RamDir):
            raise KernelError(Errno.ENOTDIR, "rename target parent is not a directory")
        with self._fs.lock:
            src = self.children.get(old)
            if src is None:
                raise KernelError(Errno.ENOENT, f"no entry {old!r}")
            new_dir._alive()
            dst = new_dir.children.get(new)
            # Checks in Linux's order (do_renameat2, then vfs_rename).
            if isinstance(src, RamDir):
                p: RamDir | None = new_dir
                while p is not None:
                    if p is src:
                        raise KernelError(Errno.EINVAL, "cannot move a directory into itself")
                    p = p.parent
            if isinstance(dst, RamDir):
                p = self
                while p is not None:
                    if p is dst:
                        raise KernelError(Errno.ENOTEMPTY, f"{new!r} contains the source")
                    p = p.parent
            if dst is src:
                return  # same entry, or two links to one file: Linux does nothing
            if isinstance(src, RamDir):
                if dst is not None:
                    if not isinstance(dst, RamDir):
                        raise KernelError(Errno.ENOTDIR, f"{new!r} is not a directory")
                    if dst.children:
                        raise KernelError(Errno.ENOTEMPTY, f"{new!r} is not empty")
            elif isinstance(dst, RamDir):
                raise KernelError(Errno.EISDIR, f"{new!r} is a directory")
            now = now_ns()
            del self.children[old]
            if isinstance(dst, RamDir):
                new_dir._drop_dir(dst, now)
            elif dst is not None:
                dst.nlink -= 1
                dst.ctim = now
            new_dir.children[new] = src
            if isinstance(src, RamDir) and new_dir is not self:
                self.nlink -= 1
                new_dir.nlink += 1
                src.parent = new_dir
            src.ctim = now
            self._touch(now)
            new_dir._touch(now)
