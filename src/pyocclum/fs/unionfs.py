"""A union file system: one writable upper layer over read-only lower layers.

This is what ``/`` is (DESIGN.md section 4): the upper layer takes every
change (ramfs now, the encrypted sefs later) and the lower layers are the
measured program image, as in Occlum's default root. The semantics follow
Linux overlayfs; the markers are those of aufs and OCI image layers:

* **Lookup** walks the layers top-most first. The first layer that has the
  name decides what it is; directories found in several layers merge, a
  non-directory hides everything below it.
* **Whiteouts** hide a lower entry: an empty regular file ``.wh.<name>`` in
  the same directory of a higher layer. A name too long for the prefix to fit
  in 255 bytes gets ``.wh..wh.h.<sha256 hex of the name>`` instead.
* **Opaque directories** hide everything below them: the directory contains
  an empty regular file ``.wh..wh..opq``. ``mkdir`` over a whiteout makes one.
* Markers are kept with the ordinary :class:`~pyocclum.fs.types.Inode`
  interface (no extended attributes), so any writable file system can be the
  upper layer. Every name starting with ``.wh.`` is reserved: it never shows
  in a listing, and looking it up, creating, linking, renaming or removing it
  fails with ``EPERM`` (aufs does the same). Lower layers are read with the
  same rules, so a layer may itself be an exported upper layer; a file in the
  image whose name starts with ``.wh.`` is therefore never visible.
* **Copy-up** is lazy: opening or reading a lower file never copies. The
  first change (write, truncate, allocate, set_times, chmod, being linked or
  renamed) copies the object into the upper layer, after copying up its
  parent directories (modes and times kept). Regular files are copied into a
  work directory (``/.wh..wh.work`` of the upper layer) and renamed into
  place, so a crash never leaves a half-copied file hiding the lower one; the
  work directory is emptied when the union is constructed. Copying up does
  not change the parent directory's times (it is not a visible change).
* **Removal** of a name that exists in a lower layer leaves a whiteout (made
  before the upper entry goes, so no crash can make the lower entry reappear).
  ``rmdir`` needs the *merged* directory to be empty.
* **Rename** of files and symlinks copies up and renames in the upper layer,
  leaving a whiteout at the old name if a lower layer has it. A directory that
  exists only in the upper layer (or is opaque) is renamed plainly (and made
  opaque if a lower layer has a directory at the new name). Renaming a
  directory that has lower layer content fails with ``EXDEV``, as overlayfs
  does without ``redirect_dir``: ``mv`` and friends then copy and delete.

The inodes the union hands out are one object per path while anyone holds
them (a weak cache per directory), and a copied-up inode forwards to its
upper copy, so an open file description made before a copy-up keeps working
and sees the new data. The union itself holds the last ``_RECENT`` objects it
looked up (a ring, like Linux's dentry cache), so a path walked again and again
(``open`` of the same file by a server) finds them in the per-directory cache
instead of asking every layer each time; an object that loses its name leaves
the ring at once (an unlinked file's storage is freed on its last close, as
before). This changes no answer: a cached object is the one a holder would see.

Inode numbers: an object from layer ``i`` (0 = upper, 1.. = lowers) with
layer inode number ``n`` is ``i << 56 | n`` (overlayfs's ``xino`` scheme), so
upper-only objects keep the upper layer's numbers. A copied-up object keeps
the number it had in its lower layer for as long as this ``UnionFs`` lives
(an in-memory map, bounded by the number of lower objects ever copied up);
after a remount it reports the upper number. Exception: a lower regular file
with several hard links gets its upper number at copy-up, because its other
lower names still refer to the lower file (overlayfs without ``index`` breaks
such links the same way). Directories keep their numbers across copy-up,
which the VFS relies on for mount points. ``dev`` is the union's own.

Never written: the lower layers. Thread safety: one re-entrant lock per
union serializes lookups and every change; reads and writes of objects that
are already in the upper layer do not take it.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
import weakref
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import (
    MAX_NAME,
    DirEntry,
    FileSystem,
    Inode,
    Stat,
    Stream,
    check_name,
    lookup_or_none,
)

__all__ = ["OPAQUE_NAME", "RESERVED_PREFIX", "WORK_DIR_NAME", "UnionFs", "whiteout_name"]

#: Names starting with this are the union's own markers, never the guest's.
RESERVED_PREFIX = ".wh."
#: Prefix of the union's meta names; ``.wh.<guest name>`` can never start with it.
_META_PREFIX = ".wh..wh."
#: Present in a directory of some layer: lower layers' directories are hidden.
OPAQUE_NAME = _META_PREFIX + ".opq"
#: Directory in the upper layer's root for copy-up temporaries and removed trees.
WORK_DIR_NAME = _META_PREFIX + "work"
_LONG_WHITEOUT_PREFIX = _META_PREFIX + "h."

_LAYER_SHIFT = 56
_REAL_INO_LIMIT = 1 << _LAYER_SHIFT
#: Layer bits reserved for layer inode numbers too large to pack.
_BIG_INO_LAYER = 0xFF
_MAX_LOWERS = _BIG_INO_LAYER - 1
#: How many looked-up objects the union keeps alive (see the module docstring).
_RECENT = 512
_COPY_CHUNK = 1 << 20


def whiteout_name(name: str) -> str:
    """The upper-layer name of the whiteout that hides ``name`` in lower layers."""
    plain = RESERVED_PREFIX + name
    if len(plain.encode("utf-8", "surrogateescape")) <= MAX_NAME:
        return plain
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
    return _LONG_WHITEOUT_PREFIX + digest


def _check_guest_name(name: str) -> None:
    """A name the guest may use: valid for any file system and not reserved."""
    check_name(name)
    if name.startswith(RESERVED_PREFIX):
        raise KernelError(Errno.EPERM, f"names starting with {RESERVED_PREFIX!r} are reserved")


def _keep_owner(upper: Inode, st: Stat) -> None:
    """Give a copied-up object the owner of the lower one (a layer that cannot
    record owners, EPERM, keeps its own)."""
    if (upper.stat().uid, upper.stat().gid) == (st.uid, st.gid):
        return
    try:
        upper.chown(st.uid, st.gid)
    except KernelError as e:
        if e.errno != Errno.EPERM:
            raise


@contextmanager
def _times_kept(directory: Inode) -> Iterator[None]:
    """Restore ``directory``'s atime/mtime after a change the guest must not see."""
    before = directory.stat()
    try:
        yield
    finally:
        directory.set_times(before.atim, before.mtim)


class UnionFs(FileSystem):
    """``upper`` (writable) over ``lowers`` (read-only, top-most first).

    Raises ``ValueError`` for a read-only upper layer, no lower layer, more
    than 254 lower layers, or a layer given twice. The lower layers must not
    change while the union is mounted, and nothing else may change the upper
    layer (the union caches what it has looked up).
    """

    fstype = "unionfs"
    read_only = False

    def __init__(self, upper: FileSystem, lowers: Sequence[FileSystem]) -> None:
        if upper.read_only:
            raise ValueError("the upper layer of a union must be writable")
        if not lowers:
            raise ValueError("a union needs at least one lower layer")
        if len(lowers) > _MAX_LOWERS:
            raise ValueError(f"a union takes at most {_MAX_LOWERS} lower layers")
        layers = [upper, *lowers]
        if len({id(fs) for fs in layers}) != len(layers):
            raise ValueError("a file system appears twice among the union's layers")
        self._upper_fs = upper
        self._lower_fss = tuple(lowers)
        self.durable_close = upper.durable_close  # writes land in the upper layer
        self._lock = threading.RLock()
        # Upper-layer inode number of a copied-up object -> the number it had.
        self._origin: dict[int, int] = {}
        self._big_inos: dict[tuple[int, int], int] = {}
        self._next_big = itertools.count(1)
        self._next_tmp = itertools.count(1)
        self._work: Inode | None = None
        # The ring of recently looked-up objects (changed with the lock held).
        self._recent: list[_UnionInode | None] = [None] * _RECENT
        self._recent_next = 0
        self._clean_work_dir()
        self._root = self._make_root()

    @property
    def upper(self) -> FileSystem:
        return self._upper_fs

    @property
    def lowers(self) -> tuple[FileSystem, ...]:
        return self._lower_fss

    def root(self) -> Inode:
        return self._root

    def sync(self) -> None:
        self._upper_fs.sync()

    # -- construction -------------------------------------------------------------
    def _make_root(self) -> _UnionInode:
        upper_root = self._upper_fs.root()
        lowers: list[tuple[int, Inode]] = []
        if lookup_or_none(upper_root, OPAQUE_NAME) is None:
            for layer, fs in enumerate(self._lower_fss, start=1):
                lower_root = fs.root()
                lowers.append((layer, lower_root))
                if lookup_or_none(lower_root, OPAQUE_NAME) is not None:
                    break
        ino = self._union_ino(0, upper_root.ino)
        return _UnionInode(
            self, None, "", upper=upper_root, lowers=lowers, ino=ino, filetype=FileType.DIRECTORY
        )

    def _clean_work_dir(self) -> None:
        """Remove what an earlier mount left in the work directory (e.g. at a crash)."""
        upper_root = self._upper_fs.root()
        work = lookup_or_none(upper_root, WORK_DIR_NAME)
        if work is None:
            return
        if work.filetype != FileType.DIRECTORY:
            upper_root.unlink(WORK_DIR_NAME)
            return
        self._purge(work, only_reserved=False)
        self._work = work

    # -- inode numbers ----------------------------------------------------------------
    def _union_ino(self, layer: int, real: int) -> int:
        if layer == 0:
            origin = self._origin.get(real)
            if origin is not None:
                return origin
        if 0 <= real < _REAL_INO_LIMIT:
            return (layer << _LAYER_SHIFT) | real
        with self._lock:
            ino = self._big_inos.get((layer, real))
            if ino is None:
                ino = (_BIG_INO_LAYER << _LAYER_SHIFT) | next(self._next_big)
                self._big_inos[(layer, real)] = ino
            return ino

    def _forget_origin(self, upper: Inode, is_dir: bool) -> None:
        """``upper`` lost a name: once it has none, its number may be reused by the layer."""
        if upper.ino not in self._origin:
            return
        if is_dir or upper.stat().nlink == 0:
            del self._origin[upper.ino]

    # -- resolving names -----------------------------------------------------------------
    def _resolve(self, parent: _UnionInode, name: str) -> _UnionInode | None:
        """The merged object called ``name`` in ``parent``, or None if none is visible."""
        found: list[tuple[int, Inode]] = []
        for layer, directory in parent.layers():
            child = lookup_or_none(directory, name)
            if child is None:
                if lookup_or_none(directory, whiteout_name(name)) is not None:
                    break
                continue
            is_dir = child.filetype == FileType.DIRECTORY
            if not is_dir:
                # A non-directory hides everything below; below a directory it is hidden.
                if not found:
                    found.append((layer, child))
                break
            found.append((layer, child))
            if lookup_or_none(child, OPAQUE_NAME) is not None:
                break
        if not found:
            return None
        top_layer, top = found[0]
        upper = top if top_layer == 0 else None
        lowers = found[1:] if top_layer == 0 else found
        ino = self._union_ino(top_layer, top.ino)
        return _UnionInode(
            self, parent, name, upper=upper, lowers=lowers, ino=ino, filetype=top.filetype
        )

    def _remember(self, node: _UnionInode) -> None:
        """Keep ``node`` alive until ``_RECENT`` later lookups (union lock held)."""
        i = self._recent_next
        self._recent[i] = node
        self._recent_next = (i + 1) % _RECENT

    def _drop_recent(self, node: _UnionInode) -> None:
        """``node`` lost its name: stop holding it (union lock held)."""
        recent = self._recent
        with contextlib.suppress(ValueError):
            while True:
                recent[recent.index(node)] = None

    def _lower_entry(self, parent: _UnionInode, name: str) -> Inode | None:
        """What ``parent``'s lower layers (alone) have at ``name``, whiteouts applied."""
        for _layer, directory in parent.lowers:
            child = lookup_or_none(directory, name)
            if child is not None:
                return child
            if lookup_or_none(directory, whiteout_name(name)) is not None:
                return None
        return None

    def _merged_entries(self, directory: _UnionInode) -> list[DirEntry]:
        out: list[DirEntry] = []
        seen: set[str] = set()
        # Reserved names of the layers above the one being read (its whiteouts).
        above: set[str] = set()
        for layer, inode in directory.layers():
            reserved: list[str] = []
            for entry in list(inode.entries()):
                name = entry.name
                if name.startswith(RESERVED_PREFIX):
                    reserved.append(name)
                elif name not in seen and (not above or whiteout_name(name) not in above):
                    seen.add(name)
                    out.append(DirEntry(name, self._union_ino(layer, entry.ino), entry.filetype))
            above.update(reserved)
        return out

    # -- the upper layer's helpers ---------------------------------------------------------
    def _work_dir(self) -> Inode:
        if self._work is None:
            upper_root = self._upper_fs.root()
            with _times_kept(upper_root):
                self._work = upper_root.mkdir(WORK_DIR_NAME, 0o700)
        return self._work

    def _tmp_name(self, directory: Inode) -> str:
        while True:
            name = f"tmp.{next(self._next_tmp)}"
            if lookup_or_none(directory, name) is None:
                return name

    def _make_whiteout(self, upper_dir: Inode, name: str) -> None:
        try:
            upper_dir.create(whiteout_name(name), 0)
        except KernelError as e:
            if e.errno != Errno.EEXIST:  # left over: it hides the same thing
                raise

    def _make_opaque(self, upper_dir: Inode) -> None:
        try:
            upper_dir.create(OPAQUE_NAME, 0)
        except KernelError as e:
            if e.errno != Errno.EEXIST:
                raise

    def _drop_whiteout(self, upper_dir: Inode, name: str) -> None:
        try:
            upper_dir.unlink(whiteout_name(name))
        except KernelError as e:
            if e.errno != Errno.ENOENT:
                raise

    def _purge(self, directory: Inode, *, only_reserved: bool) -> None:
        """Delete ``directory``'s contents (just the union's markers if ``only_reserved``)."""
        for entry in list(directory.entries()):
            if only_reserved and not entry.name.startswith(RESERVED_PREFIX):
                continue
            if entry.filetype == FileType.DIRECTORY:
                self._purge(directory.lookup(entry.name), only_reserved=False)
                directory.rmdir(entry.name)
            else:
                directory.unlink(entry.name)

    def _remove_upper_dir(self, upper_parent: Inode, name: str) -> None:
        """rmdir an upper directory whose merged view is empty (markers may remain)."""
        try:
            upper_parent.rmdir(name)
            return
        except KernelError as e:
            if e.errno != Errno.ENOTEMPTY:
                raise
        # Only markers are left: move it out of sight in one step, then empty it.
        work = self._work_dir()
        tmp = self._tmp_name(work)
        upper_parent.rename(name, work, tmp)
        doomed = work.lookup(tmp)
        self._purge(doomed, only_reserved=False)
        work.rmdir(tmp)

    # -- copy-up -----------------------------------------------------------------------------
    def _copy_up(self, node: _UnionInode, keep: int | None = None) -> Inode:
        """Make sure ``node`` is in the upper layer and return its upper inode.

        For a regular file ``keep`` limits how many bytes are copied (a
        truncate is about to cut the rest). Idempotent; takes the union lock.
        """
        with self._lock:
            upper = node.upper
            if upper is not None:
                return upper
            if node.dead:
                return self._copy_up_orphan(node)
            parent = node.parent
            assert parent is not None, "the root is always in the upper layer"
            upper_parent = self._copy_up(parent)
            src = node.lowers[0][1]
            st = src.stat()
            with _times_kept(upper_parent):
                upper = self._copy_object(src, st, upper_parent, node.name, keep)
            self._adopt(node, upper, st)
            return upper

    def _copy_object(
        self, src: Inode, st: Stat, upper_parent: Inode, name: str, keep: int | None
    ) -> Inode:
        if st.filetype == FileType.DIRECTORY:
            # An empty upper directory merges with the lower one: no temporary needed.
            upper = upper_parent.mkdir(name, st.mode)
            _keep_owner(upper, st)
            upper.set_times(st.atim, st.mtim)
            return upper
        if st.filetype == FileType.SYMBOLIC_LINK:
            upper = upper_parent.symlink(name, src.readlink())
            _keep_owner(upper, st)
            try:
                upper.set_times(st.atim, st.mtim)
            except KernelError as e:
                if e.errno != Errno.EPERM:  # some layers keep no symlink times
                    raise
            return upper
        if st.filetype in (FileType.SOCKET_STREAM, FileType.SOCKET_DGRAM):
            # A socket node has no content: a new node in the upper layer is its copy.
            upper = upper_parent.mksock(name, st.mode)
            _keep_owner(upper, st)
            upper.set_times(st.atim, st.mtim)
            return upper
        if st.filetype != FileType.REGULAR_FILE:
            raise KernelError(Errno.ENOTSUP, f"cannot copy up a {st.filetype.name.lower()}")
        work = self._work_dir()
        tmp = self._tmp_name(work)
        upper = self._copy_file(src, st, work, tmp, keep)
        try:
            work.rename(tmp, upper_parent, name)
        except KernelError:
            work.unlink(tmp)
            raise
        return upper

    def _copy_file(self, src: Inode, st: Stat, work: Inode, tmp: str, keep: int | None) -> Inode:
        """A copy of ``src`` (its first ``keep`` bytes) as ``work/tmp``; nothing on failure."""
        upper = work.create(tmp, st.mode)
        try:
            size = st.size if keep is None else min(st.size, keep)
            offset = 0
            while offset < size:
                chunk = src.read(offset, min(_COPY_CHUNK, size - offset))
                if not chunk:
                    break
                if upper.write(offset, chunk) != len(chunk):
                    raise KernelError(Errno.ENOSPC, "upper layer full during copy-up")
                offset += len(chunk)
            upper.chmod(st.mode)
            _keep_owner(upper, st)
            upper.set_times(st.atim, st.mtim)
        except KernelError:
            work.unlink(tmp)
            raise
        return upper

    def _copy_up_orphan(self, node: _UnionInode) -> Inode:
        """Copy up a lower file whose name is gone (written through an open fd)."""
        if node.filetype != FileType.REGULAR_FILE:
            raise KernelError(Errno.ENOENT, "the object has been removed")
        src = node.lowers[0][1]
        st = src.stat()
        work = self._work_dir()
        tmp = self._tmp_name(work)
        upper = self._copy_file(src, st, work, tmp, None)
        work.unlink(tmp)
        node.set_upper(upper, node.ino)
        return upper

    def _adopt(self, node: _UnionInode, upper: Inode, st: Stat) -> None:
        """``node`` now lives in ``upper``: keep its number if that is unambiguous."""
        ino = node.ino
        if st.filetype == FileType.REGULAR_FILE and st.nlink > 1:
            ino = self._union_ino(0, upper.ino)
        else:
            self._origin[upper.ino] = ino
        node.set_upper(upper, ino)


class _UnionInode(Inode):
    """One merged object: an upper inode, lower inodes, or both (directories).

    For a directory ``lowers`` lists the lower directories that merge into it
    (top-most first, stopping at an opaque one); for anything else it holds
    at most the one lower object it shows (kept after a copy-up, so that a
    reader racing with the copy-up can still use it).
    """

    fs: UnionFs

    def __init__(
        self,
        fs: UnionFs,
        parent: _UnionInode | None,
        name: str,
        *,
        upper: Inode | None,
        lowers: list[tuple[int, Inode]],
        ino: int,
        filetype: FileType,
    ) -> None:
        self.fs = fs
        self.ino = ino
        self.parent = parent
        self.name = name
        self.upper = upper
        self.lowers = lowers
        self.dead = False  # its name was removed (it may still be open)
        self._filetype = filetype
        # Cached children, weakly: an object lives while someone holds it.
        self._children: MutableMapping[str, _UnionInode] = (
            weakref.WeakValueDictionary() if filetype == FileType.DIRECTORY else {}
        )

    def __repr__(self) -> str:
        where = "upper" if self.upper is not None else "lower"
        return f"<union {self._filetype.name.lower()} {self.name!r} ino={self.ino} {where}>"

    # -- bookkeeping (union lock held) -------------------------------------------------
    def layers(self) -> list[tuple[int, Inode]]:
        """Layer index and inode of every layer this object shows, top-most first."""
        upper = self.upper
        if upper is None:
            return list(self.lowers)
        return [(0, upper), *self.lowers]

    def set_upper(self, upper: Inode, ino: int) -> None:
        self.ino = ino
        self.upper = upper

    def child(self, name: str) -> _UnionInode | None:
        if self.dead:
            return None
        node = self._children.get(name)
        if node is None:
            node = self.fs._resolve(self, name)
            if node is not None:
                self._children[name] = node
                self.fs._remember(node)
        return node

    def _forget_child(self, name: str, node: _UnionInode) -> None:
        node.dead = True
        self.fs._drop_recent(node)
        if self._children.get(name) is node:
            del self._children[name]

    def _need_dir(self) -> None:
        if self._filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, "not a directory")

    def _lookup_existing(self, name: str) -> _UnionInode:
        node = self.child(name)
        if node is None:
            raise KernelError(Errno.ENOENT, f"{name!r} does not exist")
        return node

    def _upper_for_new(self, name: str) -> tuple[Inode, bool]:
        """Check that ``name`` is free; the upper directory and whether a whiteout is there."""
        if self.dead:
            raise KernelError(Errno.ENOENT, "the directory has been removed")
        if self.child(name) is not None:
            raise KernelError(Errno.EEXIST, f"{name!r} exists")
        upper_dir = self.fs._copy_up(self)
        return upper_dir, lookup_or_none(upper_dir, whiteout_name(name)) is not None

    def _adopt_new(self, name: str, upper: Inode) -> _UnionInode:
        ino = self.fs._union_ino(0, upper.ino)
        node = _UnionInode(
            self.fs, self, name, upper=upper, lowers=[], ino=ino, filetype=upper.filetype
        )
        self._children[name] = node
        return node

    def _is_ancestor_of(self, node: _UnionInode) -> bool:
        """``self`` is ``node`` or one of its parents."""
        walker: _UnionInode | None = node
        while walker is not None:
            if walker is self:
                return True
            walker = walker.parent
        return False

    def _is_merged(self) -> bool:
        return len(self.lowers) + (self.upper is not None) > 1

    # -- every kind ------------------------------------------------------------------------
    def stat(self) -> Stat:
        upper = self.upper
        top = upper if upper is not None else self.lowers[0][1]
        st = top.stat()
        nlink = st.nlink
        is_dir = self._filetype == FileType.DIRECTORY
        if is_dir and self._is_merged():
            nlink = 1  # unknown, as overlayfs reports it: `find` then counts nothing
        if self.dead and upper is None:
            nlink = 0 if is_dir else max(nlink - 1, 0)
        return Stat(
            dev=self.fs.dev,
            ino=self.ino,
            filetype=st.filetype,
            mode=st.mode,
            nlink=nlink,
            size=st.size,
            atim=st.atim,
            mtim=st.mtim,
            ctim=st.ctim,
            uid=st.uid,
            gid=st.gid,
        )

    @property
    def filetype(self) -> FileType:
        return self._filetype

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        self._writable_upper().set_times(atim, mtim)

    def chmod(self, mode: int) -> None:
        self._writable_upper().chmod(mode)

    def chown(self, uid: int | None, gid: int | None) -> None:
        self._writable_upper().chown(uid, gid)

    def sync(self) -> None:
        upper = self.upper
        if upper is not None:
            upper.sync()

    def _writable_upper(self, keep: int | None = None) -> Inode:
        upper = self.upper
        return upper if upper is not None else self.fs._copy_up(self, keep)

    # -- directories ---------------------------------------------------------------------------
    def lookup(self, name: str) -> Inode:
        self._need_dir()
        # The path walk's hot path: a cached name needs no lock (changes to the
        # cache are ordered so that a racing lookup sees the old or new state).
        node = self._children.get(name)
        if node is not None and not node.dead:
            return node
        _check_guest_name(name)
        with self.fs._lock:
            return self._lookup_existing(name)

    def entries(self) -> Iterator[DirEntry]:
        """The merged listing: upper entries, then each lower layer's unseen ones."""
        self._need_dir()
        with self.fs._lock:
            if self.dead:
                return iter(())
            return iter(self.fs._merged_entries(self))

    def create(self, name: str, mode: int) -> Inode:
        self._need_dir()
        _check_guest_name(name)
        with self.fs._lock:
            upper_dir, whiteout = self._upper_for_new(name)
            upper = upper_dir.create(name, mode)
            if whiteout:  # after the create: a crash in between still shows the new file
                self.fs._drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def mkdir(self, name: str, mode: int) -> Inode:
        self._need_dir()
        _check_guest_name(name)
        with self.fs._lock:
            upper_dir, whiteout = self._upper_for_new(name)
            if not whiteout:
                return self._adopt_new(name, upper_dir.mkdir(name, mode))
            # A lower directory of that name must stay hidden: build the opaque
            # directory out of sight, then move it in with one rename.
            work = self.fs._work_dir()
            tmp = self.fs._tmp_name(work)
            upper = work.mkdir(tmp, mode)
            upper.create(OPAQUE_NAME, 0)
            work.rename(tmp, upper_dir, name)
            self.fs._drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def symlink(self, name: str, target: str) -> Inode:
        self._need_dir()
        _check_guest_name(name)
        with self.fs._lock:
            upper_dir, whiteout = self._upper_for_new(name)
            upper = upper_dir.symlink(name, target)
            if whiteout:
                self.fs._drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def mksock(self, name: str, mode: int) -> Inode:
        self._need_dir()
        _check_guest_name(name)
        with self.fs._lock:
            upper_dir, whiteout = self._upper_for_new(name)
            upper = upper_dir.mksock(name, mode)
            if whiteout:
                self.fs._drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def link(self, name: str, inode: Inode) -> None:
        """Hard link; a lower file is copied up first and the copy is linked.

        Errors in Linux's order: EEXIST, then EXDEV, EPERM, ENOENT.
        """
        self._need_dir()
        _check_guest_name(name)
        with self.fs._lock:
            if self.dead:
                raise KernelError(Errno.ENOENT, "the directory has been removed")
            if self.child(name) is not None:
                raise KernelError(Errno.EEXIST, f"{name!r} exists")
            if not isinstance(inode, _UnionInode) or inode.fs is not self.fs:
                raise KernelError(Errno.EXDEV, "hard link across file systems")
            if inode.filetype == FileType.DIRECTORY:
                raise KernelError(Errno.EPERM, "hard link to a directory")
            if inode.dead and (inode.upper is None or inode.upper.stat().nlink == 0):
                raise KernelError(Errno.ENOENT, "the file has been removed")
            upper_dir, whiteout = self._upper_for_new(name)
            upper_dir.link(name, self.fs._copy_up(inode))
            if whiteout:
                self.fs._drop_whiteout(upper_dir, name)

    def unlink(self, name: str) -> None:
        self._need_dir()
        _check_guest_name(name)
        with self.fs._lock:
            node = self._lookup_existing(name)
            if node.filetype == FileType.DIRECTORY:
                raise KernelError(Errno.EISDIR, f"{name!r} is a directory")
            upper_dir = self.fs._copy_up(self)
            # Whiteout first: until the upper entry goes, the upper entry wins.
            if self.fs._lower_entry(self, name) is not None:
                self.fs._make_whiteout(upper_dir, name)
            if node.upper is not None:
                upper_dir.unlink(name)
                self.fs._forget_origin(node.upper, is_dir=False)
            self._forget_child(name, node)

    def rmdir(self, name: str) -> None:
        self._need_dir()
        _check_guest_name(name)
        with self.fs._lock:
            node = self._lookup_existing(name)
            if node.filetype != FileType.DIRECTORY:
                raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")
            if self.fs._merged_entries(node):
                raise KernelError(Errno.ENOTEMPTY, f"{name!r} is not empty")
            upper_dir = self.fs._copy_up(self)
            if self.fs._lower_entry(self, name) is not None:
                self.fs._make_whiteout(upper_dir, name)
            if node.upper is not None:
                self.fs._remove_upper_dir(upper_dir, name)
                self.fs._forget_origin(node.upper, is_dir=True)
            self._forget_child(name, node)

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        """Linux ``rename``; ``EXDEV`` for a directory with lower-layer content."""
        self._need_dir()
        if not isinstance(new_dir, _UnionInode) or new_dir.fs is not self.fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        new_dir._need_dir()
        _check_guest_name(old)
        _check_guest_name(new)
        fs = self.fs
        with fs._lock:
            src = self._lookup_existing(old)
            if new_dir.dead:
                raise KernelError(Errno.ENOENT, "the target directory has been removed")
            dst = new_dir.child(new)
            # The checks come in Linux's order: the VFS's, then overlayfs's.
            src_is_dir = src.filetype == FileType.DIRECTORY
            dst_is_dir = dst is not None and dst.filetype == FileType.DIRECTORY
            if src_is_dir and src._is_ancestor_of(new_dir):
                raise KernelError(Errno.EINVAL, "directory moved into itself")
            if dst is not None and dst_is_dir and dst._is_ancestor_of(self):
                raise KernelError(Errno.ENOTEMPTY, f"{new!r} contains the source")
            if dst is src or (dst is not None and src.upper is not None
                              and dst.upper is src.upper):
                return  # the same object under both names: Linux does nothing
            if dst is not None and src_is_dir and not dst_is_dir:
                raise KernelError(Errno.ENOTDIR, f"{new!r} is not a directory")
            if dst_is_dir and not src_is_dir:
                raise KernelError(Errno.EISDIR, f"{new!r} is a directory")
            if src_is_dir and src.lowers:
                # overlayfs without redirect_dir does the same; callers copy instead.
                raise KernelError(Errno.EXDEV, "directory has lower-layer content")
            if dst is not None and dst_is_dir and fs._merged_entries(dst):
                raise KernelError(Errno.ENOTEMPTY, f"{new!r} is not empty")
            src_upper = fs._copy_up(src)
            old_upper_dir = fs._copy_up(self)
            new_upper_dir = fs._copy_up(new_dir)
            # Markers first, so that a crash at any point shows old or new state.
            if fs._lower_entry(self, old) is not None:
                fs._make_whiteout(old_upper_dir, old)
            if src_is_dir:
                below = fs._lower_entry(new_dir, new)
                if below is not None and below.filetype == FileType.DIRECTORY:
                    fs._make_opaque(src_upper)
            try:
                old_upper_dir.rename(old, new_upper_dir, new)
            except KernelError as e:
                if not (e.errno == Errno.ENOTEMPTY and dst is not None and dst.upper is not None):
                    raise
                # The target's upper directory holds only markers: clear them, retry.
                fs._purge(dst.upper, only_reserved=True)
                old_upper_dir.rename(old, new_upper_dir, new)
            fs._drop_whiteout(new_upper_dir, new)
            if dst is not None:
                if dst.upper is not None:
                    fs._forget_origin(dst.upper, is_dir=dst_is_dir)
                new_dir._forget_child(new, dst)
            if self._children.get(old) is src:
                del self._children[old]
            src.parent = new_dir
            src.name = new
            new_dir._children[new] = src

    # -- symlinks ------------------------------------------------------------------------------
    def readlink(self) -> str:
        upper = self.upper
        return (upper if upper is not None else self.lowers[0][1]).readlink()

    # -- regular files -------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> bytes:
        upper = self.upper
        return (upper if upper is not None else self.lowers[0][1]).read(offset, size)

    # Calls that are bound to fail do so before a copy-up, with the error Linux gives.
    def write(self, offset: int, data: bytes) -> int:
        if self.upper is None:
            if self._filetype != FileType.REGULAR_FILE:
                return super().write(offset, data)
            if offset < 0:
                raise KernelError(Errno.EINVAL, "negative offset")
        return self._writable_upper().write(offset, data)

    def truncate(self, size: int) -> None:
        if self.upper is None:
            if self._filetype != FileType.REGULAR_FILE:
                super().truncate(size)
                return
            if size < 0:
                raise KernelError(Errno.EINVAL, "negative size")
        self._writable_upper(keep=size).truncate(size)

    def allocate(self, offset: int, length: int) -> None:
        if self.upper is None:
            if self._filetype != FileType.REGULAR_FILE:
                super().allocate(offset, length)
                return
            if offset < 0 or length <= 0:
                raise KernelError(Errno.EINVAL, "bad offset or length")
        self._writable_upper().allocate(offset, length)

    # -- devices -------------------------------------------------------------------------------
    def open_stream(self) -> Stream | None:
        upper = self.upper
        return (upper if upper is not None else self.lowers[0][1]).open_stream()
