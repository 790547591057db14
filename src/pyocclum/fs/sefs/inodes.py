"""sefs's inodes, directories and names: ``_Inodes``, the layer of ``SeFs`` that
loads, allocates and frees objects (inode records in the inode table, the
bitmap of inodes, orphans), parses and stores directory entries, and brackets
every operation (``_begin``/``_end``: closed volume, deferred frees, cache
bounds); and the handles given to the VFS (``SeFile``, ``SeDir``,
``SeSymlink``, ``SeSocket``) with the POSIX semantics of their operations."""

from __future__ import annotations

import struct
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.sefs.ondisk import (
    _DENT,
    _FILETYPE,
    _KIND_DIR,
    _KIND_FILE,
    _KIND_LINK,
    _KIND_SOCK,
    _MAX_INODES,
    _NOT_FULL,
    _REC,
    _RECORD,
    _SHIFT,
    _ZERO_ENT,
    _ZERO_REC,
    NODE_SIZE,
    _enc_name,
    _height,
    _nnodes,
)
from pyocclum.fs.sefs.store import _Core
from pyocclum.fs.sefs.tree import _Tree
from pyocclum.fs.types import (
    MAX_FILE_SIZE,
    DirEntry,
    Inode,
    Stat,
    check_name,
    check_symlink_target,
    check_truncate,
    check_write,
    now_ns,
)

if TYPE_CHECKING:
    from pyocclum.fs.sefs.volume import SeFs


class _Inodes(_Tree):
    """Objects, directories and operation brackets of one volume (see the module)."""

    # -- common entry and exit of every operation (lock held) ----------------------------
    def _begin(self) -> None:
        if self._closed:
            raise KernelError(Errno.EIO, "the sefs volume is closed")
        if self._released:
            self._drain()

    def _end(self) -> None:
        """Bring the caches back within bounds (only here: no core is in use)."""
        if self._npages > self._max_pages:
            self._evict()
        if self._ntables > self._max_tables:
            self._shed_tables()
        if len(self._cores) > self._max_cores:
            self._trim_cores()

    def _drain(self) -> None:
        """Free unlinked inodes whose last handle has gone."""
        while self._released:
            ino = self._released.popleft()
            c = self._cores.get(ino)
            if c is not None and c.nlink == 0 and ino not in self._handles:
                self._free_core(c)

    # -- inodes --------------------------------------------------------------------------
    def _core(self, ino: int) -> _Core:
        """The object ``ino`` (loaded and checked if not in memory)."""
        c = self._cores.get(ino)
        if c is not None:
            self._cores.move_to_end(ino)
            return c
        it = self._itable
        if not 0 < ino < it.size // _REC or not (self._inos[ino >> 3] >> (ino & 7)) & 1:
            raise KernelError(Errno.EIO, f"sefs: a directory names free inode {ino}")
        raw = self._read(it, ino * _REC, _REC)
        (kind, height, mode, nlink, size, atim, mtim, ctim, root, parent, uid,
         gid) = _RECORD.unpack_from(raw)
        if (kind not in _FILETYPE or height != _height(_nnodes(size)) or mode > 0o7777
                or size > MAX_FILE_SIZE or (kind == _KIND_LINK and not 0 < size < NODE_SIZE)
                or (kind == _KIND_SOCK and size != 0)
                or (kind == _KIND_DIR and parent == 0)):
            raise KernelError(Errno.EIO, f"sefs: inode {ino} has an invalid record")
        c = _Core(ino, kind, mode, nlink, size, (atim, mtim, ctim), root, parent, (uid, gid))
        self._cores[ino] = c  # before reading: the cache holds pages of known cores only
        try:
            if kind == _KIND_DIR:
                blob = self._read(c, 0, size)
                c.kids = self._parse_dir(ino, blob)
                c.kids_blob = blob
            elif kind == _KIND_LINK:
                c.target = self._read(c, 0, size).decode("utf-8", "surrogateescape")
        except BaseException:
            self._drop_pages(c, 0, None)
            del self._cores[ino]
            raise
        return c

    @staticmethod
    def _parse_dir(ino: int, blob: bytes) -> dict[str, tuple[int, int]]:
        kids: dict[str, tuple[int, int]] = {}
        pos = 0
        n = len(blob)
        try:
            while pos < n:
                child, kind, ln = _DENT.unpack_from(blob, pos)
                pos += _DENT.size
                name = blob[pos : pos + ln].decode("utf-8", "surrogateescape")
                pos += ln
                check_name(name)
                if pos > n or child < 2 or kind not in _FILETYPE or name in kids:
                    raise ValueError(name)
                kids[name] = (child, kind)
        except (struct.error, ValueError, KernelError) as e:
            raise KernelError(Errno.EIO, f"sefs: directory inode {ino} is malformed") from e
        return kids

    def _trim_cores(self) -> None:
        """Forget clean objects nobody holds, oldest first."""
        goal = self._max_cores * 3 // 4
        for ino in list(self._cores):
            if len(self._cores) <= goal:
                break
            c = self._cores[ino]
            if ino <= 1 or ino in self._dirty or c.nlink == 0 or ino in self._handles:
                continue
            self._drop_pages(c, 0, None)
            del self._cores[ino]

    def _handle(self, c: _Core) -> _SeNode:
        h = self._handles.get(c.ino)
        if h is None:
            h = _CLASSES[c.kind](cast("SeFs", self), c)  # this layer is always a SeFs's
            self._handles[c.ino] = h
        return h

    def _new_core(self, kind: int, mode: int, parent: int) -> _Core:
        inos = self._inos
        m = _NOT_FULL.search(inos)
        b = m.start() if m is not None else len(inos)
        if b == len(inos):
            inos.append(0)
        v = inos[b]
        bit = (~v & (v + 1)).bit_length() - 1
        ino = (b << 3) | bit
        if ino >= _MAX_INODES:
            raise KernelError(Errno.ENOSPC, "no free inodes")
        inos[b] = v | (1 << bit)
        now = now_ns()
        nlink = 2 if kind == _KIND_DIR else 1
        c = _Core(ino, kind, mode & 0o7777, nlink, 0, (now, now, now), _ZERO_ENT, parent)
        old = self._cores.pop(ino, None)
        assert old is None, f"inode {ino} reused while in memory"
        self._cores[ino] = c
        self._dirty.add(ino)
        return c

    def _unlinked(self, c: _Core) -> None:
        """``c`` lost its last name: free it now, or when its last handle goes."""
        h = self._handles.get(c.ino)
        if h is None:
            self._free_core(c)
        else:
            self._orphans.add(c.ino)
            weakref.finalize(h, self._released.append, c.ino)

    def _free_core(self, c: _Core) -> None:
        ino = c.ino
        self._free_storage(c)
        self._write(self._itable, ino * _REC, _ZERO_REC)
        self._inos[ino >> 3] &= ~(1 << (ino & 7)) & 0xFF
        self._orphans.discard(ino)
        self._cores.pop(ino, None)
        self._dirty.discard(ino)
        self._dirty.add(0)

    # -- directories --------------------------------------------------------------------
    def _store_dir(self, c: _Core) -> None:
        """Write ``c``'s entries as its content, rewriting only the nodes that changed."""
        parts = []
        for name, (ino, kind) in c.kids.items():
            b = _enc_name(name)
            parts.append(_DENT.pack(ino, kind, len(b)))
            parts.append(b)
        blob = b"".join(parts)
        old = c.kids_blob
        if blob != old:
            n = len(blob)
            if n < c.size:
                self._resize(c, n)
            for k in range(0, n, NODE_SIZE):
                piece = blob[k : k + NODE_SIZE]
                if piece != old[k : k + NODE_SIZE]:
                    self._write(c, k, piece)
            c.kids_blob = blob
        c.kids_dirty = False


# -- inodes handed to the VFS ------------------------------------------------------------
class _SeNode(Inode):
    """A handle on one sefs object. Handles are unique per object while alive;
    when the last handle of an unlinked object goes, its storage is freed."""

    def __init__(self, fs: SeFs, core: _Core) -> None:
        self.fs = fs
        self._fs = fs
        self._c = core
        self.ino = core.ino

    @property
    def filetype(self) -> FileType:
        return _FILETYPE[self._c.kind]

    def stat(self) -> Stat:
        c = self._c
        return Stat(
            dev=self._fs.dev,
            ino=c.ino,
            filetype=_FILETYPE[c.kind],
            mode=c.mode,
            nlink=c.nlink,
            size=len(c.kids) if c.kind == _KIND_DIR else c.size,
            atim=c.atim,
            mtim=c.mtim,
            ctim=c.ctim,
            uid=c.uid,
            gid=c.gid,
        )

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if atim is not None:
                c.atim = atim
            if mtim is not None:
                c.mtim = mtim
            c.ctim = now_ns()
            fs._dirty.add(c.ino)

    def chmod(self, mode: int) -> None:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            c.mode = mode & 0o7777
            c.ctim = now_ns()
            fs._dirty.add(c.ino)

    def chown(self, uid: int | None, gid: int | None) -> None:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if uid is not None:
                c.uid = uid
            if gid is not None:
                c.gid = gid
            c.ctim = now_ns()
            fs._dirty.add(c.ino)

    def sync(self) -> None:
        """Make this object's data and metadata durable: a commit of the whole
        volume if the object has changes not yet committed; nothing otherwise
        (its last commit already holds it as it is)."""
        fs = self._fs
        with fs.lock:
            fs._begin()
            if self._c.ino in fs._dirty:
                fs._commit()


#: relatime, Linux's default: a read sets ``atim`` only when it is not newer than
#: the last change or is a day old, so reading does not make every session commit.
_RELATIME_NS = 86_400 * 1_000_000_000


def _read_access(fs: SeFs, c: _Core) -> None:
    now = now_ns()
    if c.atim <= c.mtim or c.atim <= c.ctim or now - c.atim >= _RELATIME_NS:
        c.atim = now
        fs._dirty.add(c.ino)


class SeFile(_SeNode):
    """A regular file: sparse (holes read as zeros and take no slots)."""

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset``; EIO if stored data fails authentication."""
        if offset < 0 or size < 0:
            raise KernelError(Errno.EINVAL, "negative offset or size")
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if size:
                _read_access(fs, c)
            end = min(offset + size, c.size)
            idx = offset >> _SHIFT
            if offset < end and idx == (end - 1) >> _SHIFT and offset != c.ra_next:
                # Within one node, not sequential (random 4 KiB reads): the shortest path.
                p = fs._page(c, idx)
                if p is None:
                    return bytes(end - offset)
                if fs._npages > fs._max_pages:
                    fs._evict()
                if end - offset == NODE_SIZE and type(p) is bytes:
                    return p  # immutable: shared with the cache
                lo = offset & (NODE_SIZE - 1)
                return bytes(p[lo : lo + end - offset])
            data = fs._read_file(c, offset, size)
            fs._end()
            return data

    def write(self, offset: int, data: bytes) -> int:
        """Write all of ``data`` at ``offset`` (durable after the next sync)."""
        n = len(data)
        check_write(offset, n)
        if n == 0:
            return 0
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            fs._write(c, offset, data)
            c.mtim = c.ctim = now_ns()
            fs._dirty.add(c.ino)
            fs._end()
        return n

    def truncate(self, size: int) -> None:
        check_truncate(size)
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            fs._resize(c, size)
            c.mtim = c.ctim = now_ns()
            fs._end()

    def next_data(self, offset: int) -> int:
        """The start of the first node at or after ``offset``'s that holds data
        (a hole has no entry), or the size."""
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            size = c.size
            if offset >= size:
                return size
            m = fs._next_data(c, offset >> _SHIFT)
            found = size if m is None else min(max(offset, m << _SHIFT), size)
            fs._end()
            return found

    def allocate(self, offset: int, length: int) -> None:
        """Extend the size to ``offset + length`` if smaller (no slots are reserved)."""
        if offset < 0 or length <= 0:
            raise KernelError(Errno.EINVAL, "bad offset or length")
        end = offset + length
        if end > MAX_FILE_SIZE:
            raise KernelError(Errno.EFBIG, "file would exceed the maximum size")
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if end > c.size:
                fs._resize(c, end)
                c.mtim = c.ctim = now_ns()


class SeSymlink(_SeNode):
    def readlink(self) -> str:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            _read_access(fs, c)
            return c.target

    def chmod(self, mode: int) -> None:
        raise KernelError(Errno.ENOTSUP, "symbolic links have no mode of their own")


class SeSocket(_SeNode):
    """A socket node (``bind`` of an AF_UNIX path): a name for a socket, no content."""


class SeDir(_SeNode):
    """A directory: entries in insertion order; ``nlink`` is 2 plus the number of
    subdirectories while it exists and 0 once removed; ``size`` is the number of
    entries (as ramfs reports)."""

    def _alive(self) -> None:
        if self._c.nlink == 0:
            raise KernelError(Errno.ENOENT, "directory has been removed")

    def _touch(self, now: int) -> None:
        c = self._c
        c.mtim = c.ctim = now
        c.kids_dirty = True
        self._fs._dirty.add(c.ino)

    def _check_new(self, name: str) -> None:
        check_name(name)
        _enc_name(name)
        self._alive()
        if name in self._c.kids:
            raise KernelError(Errno.EEXIST, f"{name!r} exists")

    def lookup(self, name: str) -> Inode:
        node = self.find(name)
        if node is None:
            raise KernelError(Errno.ENOENT, f"no entry {name!r}")
        return node

    def find(self, name: str) -> Inode | None:
        check_name(name)
        fs = self._fs
        with fs.lock:
            fs._begin()
            ent = self._c.kids.get(name)
            if ent is None:
                return None
            c = fs._core(ent[0])
            if c.kind != ent[1]:
                raise KernelError(Errno.EIO, f"sefs: inode {c.ino} is not what its entry says")
            h = fs._handle(c)
            fs._end()
            return h

    def entries(self) -> Iterator[DirEntry]:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            _read_access(fs, c)
            snapshot = [DirEntry(n, ino, _FILETYPE[k]) for n, (ino, k) in c.kids.items()]
        return iter(snapshot)

    def _add(self, name: str, kind: int, mode: int) -> _Core:
        fs = self._fs
        node = fs._new_core(kind, mode, self._c.ino)
        self._c.kids[name] = (node.ino, kind)
        self._touch(node.ctim)
        return node

    def create(self, name: str, mode: int) -> Inode:
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            return fs._handle(self._add(name, _KIND_FILE, mode))

    def mkdir(self, name: str, mode: int) -> Inode:
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            node = self._add(name, _KIND_DIR, mode)
            node.kids_dirty = True
            self._c.nlink += 1  # the new directory's ".."
            return fs._handle(node)

    def symlink(self, name: str, target: str) -> Inode:
        check_symlink_target(target)
        raw = _enc_name(target)
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            node = self._add(name, _KIND_LINK, 0o777)
            node.target = target
            fs._write(node, 0, raw)
            fs._end()
            return fs._handle(node)

    def mksock(self, name: str, mode: int) -> Inode:
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            return fs._handle(self._add(name, _KIND_SOCK, mode))

    def link(self, name: str, inode: Inode) -> None:
        """Errors in Linux's order: EEXIST, then EXDEV, EPERM, ENOENT."""
        self._link(name, inode, unnamed=False)

    def relink(self, name: str, inode: Inode) -> None:
        # An open file with no links is on the orphan list (freed at its last
        # close, or at the next mount after a crash): taking it off keeps it.
        self._link(name, inode, unnamed=True)

    def _link(self, name: str, inode: Inode, unnamed: bool) -> None:
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            if inode.fs is not fs or not isinstance(inode, _SeNode):
                raise KernelError(Errno.EXDEV, "hard link across file systems")
            if isinstance(inode, SeDir):
                raise KernelError(Errno.EPERM, "hard link to a directory")
            ic = inode._c
            if ic.nlink == 0:
                if not unnamed:
                    raise KernelError(Errno.ENOENT, "file has been removed")
                fs._orphans.discard(ic.ino)
            ic.nlink += 1
            now = now_ns()
            ic.ctim = now
            fs._dirty.add(ic.ino)
            self._c.kids[name] = (ic.ino, ic.kind)
            self._touch(now)

    def _entry(self, name: str) -> tuple[int, int]:
        """(inode, kind) of the entry ``name``; ENOENT if there is none."""
        ent = self._c.kids.get(name)
        if ent is None:
            raise KernelError(Errno.ENOENT, f"no entry {name!r}")
        return ent

    def unlink(self, name: str) -> None:
        check_name(name)
        fs = self._fs
        with fs.lock:
            fs._begin()
            kids = self._c.kids
            ent = self._entry(name)
            if ent[1] == _KIND_DIR:
                raise KernelError(Errno.EISDIR, f"{name!r} is a directory")
            child = fs._core(ent[0])
            del kids[name]
            now = now_ns()
            child.nlink -= 1
            child.ctim = now
            fs._dirty.add(child.ino)
            self._touch(now)
            if child.nlink == 0:
                fs._unlinked(child)
            fs._end()

    def rmdir(self, name: str) -> None:
        check_name(name)
        fs = self._fs
        with fs.lock:
            fs._begin()
            kids = self._c.kids
            ent = self._entry(name)
            if ent[1] != _KIND_DIR:
                raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")
            child = fs._core(ent[0])
            if child.kids:
                raise KernelError(Errno.ENOTEMPTY, f"{name!r} is not empty")
            del kids[name]
            self._drop_dir(child, now_ns())
            fs._end()

    def _drop_dir(self, child: _Core, now: int) -> None:
        """``child`` (empty) has just lost its entry in ``self``."""
        child.nlink = 0
        child.ctim = now
        self._fs._dirty.add(child.ino)
        self._c.nlink -= 1
        self._touch(now)
        self._fs._unlinked(child)

    def _ancestors(self, start: _Core) -> Iterator[int]:
        """Inode numbers from ``start`` up to the root."""
        fs = self._fs
        c = start
        for _ in range(1 << 16):
            yield c.ino
            if c.ino == 1:
                return
            c = fs._core(c.parent)
        raise KernelError(Errno.EIO, "sefs: directory parents form a loop")

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        check_name(old)
        check_name(new)
        fs = self._fs
        if new_dir.fs is not fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        if not isinstance(new_dir, SeDir):
            raise KernelError(Errno.ENOTDIR, "rename target parent is not a directory")
        with fs.lock:
            fs._begin()
            sc, dc = self._c, new_dir._c
            src = sc.kids.get(old)
            if src is None:
                raise KernelError(Errno.ENOENT, f"no entry {old!r}")
            new_dir._alive()
            _enc_name(new)
            dst = dc.kids.get(new)
            # Checks in Linux's order (do_renameat2, then vfs_rename).
            if src[1] == _KIND_DIR and src[0] in self._ancestors(dc):
                raise KernelError(Errno.EINVAL, "cannot move a directory into itself")
            if dst is not None and dst[1] == _KIND_DIR and dst[0] in self._ancestors(sc):
                raise KernelError(Errno.ENOTEMPTY, f"{new!r} contains the source")
            if dst is not None and dst[0] == src[0]:
                return  # same entry, or two links to one file: Linux does nothing
            dst_core = fs._core(dst[0]) if dst is not None else None
            if src[1] == _KIND_DIR:
                if dst_core is not None:
                    if dst_core.kind != _KIND_DIR:
                        raise KernelError(Errno.ENOTDIR, f"{new!r} is not a directory")
                    if dst_core.kids:
                        raise KernelError(Errno.ENOTEMPTY, f"{new!r} is not empty")
            elif dst_core is not None and dst_core.kind == _KIND_DIR:
                raise KernelError(Errno.EISDIR, f"{new!r} is a directory")
            src_core = fs._core(src[0])
            now = now_ns()
            del sc.kids[old]
            if dst_core is not None and dst_core.kind == _KIND_DIR:
                new_dir._drop_dir(dst_core, now)
            elif dst_core is not None:
                dst_core.nlink -= 1
                dst_core.ctim = now
                fs._dirty.add(dst_core.ino)
                if dst_core.nlink == 0:
                    fs._unlinked(dst_core)
            dc.kids[new] = src
            if src[1] == _KIND_DIR and dc is not sc:
                sc.nlink -= 1
                dc.nlink += 1
                src_core.parent = dc.ino
            src_core.ctim = now
            fs._dirty.add(src_core.ino)
            self._touch(now)
            new_dir._touch(now)
            fs._end()


_CLASSES: dict[int, type[_SeNode]] = {
    _KIND_FILE: SeFile,
    _KIND_DIR: SeDir,
    _KIND_LINK: SeSymlink,
    _KIND_SOCK: SeSocket,
}
