"""The union file system object: layers, inode numbers, lookups, copy-up.

Owns: the layer list and its checks, the union lock, the mapping of layer
inode numbers to union ones (and the origin of copied-up objects), resolving
a name through the layers (whiteouts and opaque directories applied), the
merged listing of a directory, the ring of recent lookups, and when an object
is copied up. The semantics are in the package's docstring.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Sequence

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import DirEntry, FileSystem, Inode, Stat, lookup_or_none
from pyocclum.fs.unionfs.copyup import WorkDir, copy_file, times_kept
from pyocclum.fs.unionfs.inode import UnionInode
from pyocclum.fs.unionfs.markers import OPAQUE_NAME, RESERVED_PREFIX, whiteout_name

_LAYER_SHIFT = 56
_REAL_INO_LIMIT = 1 << _LAYER_SHIFT
#: Layer bits reserved for layer inode numbers too large to pack.
_BIG_INO_LAYER = 0xFF
_MAX_LOWERS = _BIG_INO_LAYER - 1
#: How many looked-up objects the union keeps alive (see the package docstring).
_RECENT = 512


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
        self.lock = threading.RLock()
        # Upper-layer inode number of a copied-up object -> the number it had.
        self._origin: dict[int, int] = {}
        self._big_inos: dict[tuple[int, int], int] = {}
        self._next_big = itertools.count(1)
        self.work = WorkDir(upper)
        # The ring of recently looked-up objects (changed with the lock held).
        self._recent: list[UnionInode | None] = [None] * _RECENT
        self._recent_next = 0
        self.work.clean()
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
    def _make_root(self) -> UnionInode:
        upper_root = self._upper_fs.root()
        lowers: list[tuple[int, Inode]] = []
        if lookup_or_none(upper_root, OPAQUE_NAME) is None:
            for layer, fs in enumerate(self._lower_fss, start=1):
                lower_root = fs.root()
                lowers.append((layer, lower_root))
                if lookup_or_none(lower_root, OPAQUE_NAME) is not None:
                    break
        ino = self.union_ino(0, upper_root.ino)
        return UnionInode(
            self, None, "", upper=upper_root, lowers=lowers, ino=ino, filetype=FileType.DIRECTORY
        )

    # -- inode numbers ----------------------------------------------------------------
    def union_ino(self, layer: int, real: int) -> int:
        if layer == 0:
            origin = self._origin.get(real)
            if origin is not None:
                return origin
        if 0 <= real < _REAL_INO_LIMIT:
            return (layer << _LAYER_SHIFT) | real
        with self.lock:
            ino = self._big_inos.get((layer, real))
            if ino is None:
                ino = (_BIG_INO_LAYER << _LAYER_SHIFT) | next(self._next_big)
                self._big_inos[(layer, real)] = ino
            return ino

    def forget_origin(self, upper: Inode, is_dir: bool) -> None:
        """``upper`` lost a name: once it has none, its number may be reused by the layer."""
        if upper.ino not in self._origin:
            return
        if is_dir or upper.stat().nlink == 0:
            del self._origin[upper.ino]

    # -- resolving names -----------------------------------------------------------------
    def resolve(self, parent: UnionInode, name: str) -> UnionInode | None:
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
        ino = self.union_ino(top_layer, top.ino)
        return UnionInode(
            self, parent, name, upper=upper, lowers=lowers, ino=ino, filetype=top.filetype
        )

    def remember(self, node: UnionInode) -> None:
        """Keep ``node`` alive until ``_RECENT`` later lookups (union lock held)."""
        i = self._recent_next
        self._recent[i] = node
        self._recent_next = (i + 1) % _RECENT

    def drop_recent(self, node: UnionInode) -> None:
        """``node`` lost its name: stop holding it (union lock held)."""
        recent = self._recent
        with contextlib.suppress(ValueError):
            while True:
                recent[recent.index(node)] = None

    def lower_entry(self, parent: UnionInode, name: str) -> Inode | None:
        """What ``parent``'s lower layers (alone) have at ``name``, whiteouts applied."""
        for _layer, directory in parent.lowers:
            child = lookup_or_none(directory, name)
            if child is not None:
                return child
            if lookup_or_none(directory, whiteout_name(name)) is not None:
                return None
        return None

    def merged_entries(self, directory: UnionInode) -> list[DirEntry]:
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
                    out.append(DirEntry(name, self.union_ino(layer, entry.ino), entry.filetype))
            above.update(reserved)
        return out

    # -- copy-up -----------------------------------------------------------------------------
    def copy_up(self, node: UnionInode, keep: int | None = None) -> Inode:
        """Make sure ``node`` is in the upper layer and return its upper inode.

        For a regular file ``keep`` limits how many bytes are copied (a
        truncate is about to cut the rest). Idempotent; takes the union lock.
        """
        with self.lock:
            upper = node.upper
            if upper is not None:
                return upper
            if node.dead:
                return self._copy_up_orphan(node)
            parent = node.parent
            assert parent is not None, "the root is always in the upper layer"
            upper_parent = self.copy_up(parent)
            src = node.lowers[0][1]
            st = src.stat()
            with times_kept(upper_parent):
                upper = self.work.copy_object(src, st, upper_parent, node.name, keep)
            self._adopt(node, upper, st)
            return upper

    def _copy_up_orphan(self, node: UnionInode) -> Inode:
        """Copy up a lower file whose name is gone (written through an open fd)."""
        if node.filetype != FileType.REGULAR_FILE:
            raise KernelError(Errno.ENOENT, "the object has been removed")
        src = node.lowers[0][1]
        st = src.stat()
        work = self.work.folder()
        tmp = self.work.tmp_name(work)
        upper = copy_file(src, st, work, tmp, None)
        work.unlink(tmp)
        node.set_upper(upper, node.ino)
        return upper

    def _adopt(self, node: UnionInode, upper: Inode, st: Stat) -> None:
        """``node`` now lives in ``upper``: keep its number if that is unambiguous."""
        ino = node.ino
        if st.filetype == FileType.REGULAR_FILE and st.nlink > 1:
            ino = self.union_ino(0, upper.ino)
        else:
            self._origin[upper.ino] = ino
        node.set_upper(upper, ino)


