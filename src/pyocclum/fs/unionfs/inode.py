"""One merged object of the union: the guest's view of it.

Owns: the :class:`UnionInode` (an upper inode, lower inodes, or both), its
weak cache of children, and every ``Inode`` operation the guest calls, done
with the union's rules: reads fall through to the top-most layer, changes
copy up first, removals leave whiteouts. What a name resolves to, inode
numbers and copy-up are the union's (``union.py``).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import DirEntry, Inode, Stat, Stream, lookup_or_none
from pyocclum.fs.unionfs.markers import (
    OPAQUE_NAME,
    check_guest_name,
    drop_whiteout,
    make_opaque,
    make_whiteout,
    purge,
    whiteout_name,
)

if TYPE_CHECKING:
    from pyocclum.fs.unionfs.union import UnionFs


class UnionInode(Inode):
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
        parent: UnionInode | None,
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
        self._children: MutableMapping[str, UnionInode] = (
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

    def child(self, name: str) -> UnionInode | None:
        if self.dead:
            return None
        node = self._children.get(name)
        if node is None:
            node = self.fs.resolve(self, name)
            if node is not None:
                self._children[name] = node
                self.fs.remember(node)
        return node

    def _forget_child(self, name: str, node: UnionInode) -> None:
        node.dead = True
        self.fs.drop_recent(node)
        if self._children.get(name) is node:
            del self._children[name]

    def _need_dir(self) -> None:
        if self._filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, "not a directory")

    def _lookup_existing(self, name: str) -> UnionInode:
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
        upper_dir = self.fs.copy_up(self)
        return upper_dir, lookup_or_none(upper_dir, whiteout_name(name)) is not None

    def _adopt_new(self, name: str, upper: Inode) -> UnionInode:
        ino = self.fs.union_ino(0, upper.ino)
        node = UnionInode(
            self.fs, self, name, upper=upper, lowers=[], ino=ino, filetype=upper.filetype
        )
        self._children[name] = node
        return node

    def _is_ancestor_of(self, node: UnionInode) -> bool:
        """``self`` is ``node`` or one of its parents."""
        walker: UnionInode | None = node
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
        return upper if upper is not None else self.fs.copy_up(self, keep)

    # -- directories ---------------------------------------------------------------------------
    def lookup(self, name: str) -> Inode:
        self._need_dir()
        # The path walk's hot path: a cached name needs no lock (changes to the
        # cache are ordered so that a racing lookup sees the old or new state).
        node = self._children.get(name)
        if node is not None and not node.dead:
            return node
        check_guest_name(name)
        with self.fs.lock:
            return self._lookup_existing(name)

    def entries(self) -> Iterator[DirEntry]:
        """The merged listing: upper entries, then each lower layer's unseen ones."""
        self._need_dir()
        with self.fs.lock:
            if self.dead:
                return iter(())
            return iter(self.fs.merged_entries(self))

    def create(self, name: str, mode: int) -> Inode:
        self._need_dir()
        check_guest_name(name)
        with self.fs.lock:
            upper_dir, whiteout = self._upper_for_new(name)
            upper = upper_dir.create(name, mode)
            if whiteout:  # after the create: a crash in between still shows the new file
                drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def mkdir(self, name: str, mode: int) -> Inode:
        self._need_dir()
        check_guest_name(name)
        with self.fs.lock:
            upper_dir, whiteout = self._upper_for_new(name)
            if not whiteout:
                return self._adopt_new(name, upper_dir.mkdir(name, mode))
            # A lower directory of that name must stay hidden: build the opaque
            # directory out of sight, then move it in with one rename.
            work = self.fs.work.folder()
            tmp = self.fs.work.tmp_name(work)
            upper = work.mkdir(tmp, mode)
            upper.create(OPAQUE_NAME, 0)
            work.rename(tmp, upper_dir, name)
            drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def symlink(self, name: str, target: str) -> Inode:
        self._need_dir()
        check_guest_name(name)
        with self.fs.lock:
            upper_dir, whiteout = self._upper_for_new(name)
            upper = upper_dir.symlink(name, target)
            if whiteout:
                drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def mksock(self, name: str, mode: int) -> Inode:
        self._need_dir()
        check_guest_name(name)
        with self.fs.lock:
            upper_dir, whiteout = self._upper_for_new(name)
            upper = upper_dir.mksock(name, mode)
            if whiteout:
                drop_whiteout(upper_dir, name)
            return self._adopt_new(name, upper)

    def link(self, name: str, inode: Inode) -> None:
        """Hard link; a lower file is copied up first and the copy is linked.

        Errors in Linux's order: EEXIST, then EXDEV, EPERM, ENOENT.
        """
        self._link(name, inode, unnamed=False)

    def relink(self, name: str, inode: Inode) -> None:
        # An unnamed file was made in the upper layer: the upper one names it.
        self._link(name, inode, unnamed=True)

    def _link(self, name: str, inode: Inode, unnamed: bool) -> None:
        self._need_dir()
        check_guest_name(name)
        with self.fs.lock:
            if self.dead:
                raise KernelError(Errno.ENOENT, "the directory has been removed")
            if self.child(name) is not None:
                raise KernelError(Errno.EEXIST, f"{name!r} exists")
            if not isinstance(inode, UnionInode) or inode.fs is not self.fs:
                raise KernelError(Errno.EXDEV, "hard link across file systems")
            if inode.filetype == FileType.DIRECTORY:
                raise KernelError(Errno.EPERM, "hard link to a directory")
            removed = inode.dead and (inode.upper is None or inode.upper.stat().nlink == 0)
            if removed and not (unnamed and inode.upper is not None):
                raise KernelError(Errno.ENOENT, "the file has been removed")
            upper_dir, whiteout = self._upper_for_new(name)
            if removed:
                assert inode.upper is not None
                upper_dir.relink(name, inode.upper)
            else:
                upper_dir.link(name, self.fs.copy_up(inode))
            if whiteout:
                drop_whiteout(upper_dir, name)

    def unlink(self, name: str) -> None:
        self._need_dir()
        check_guest_name(name)
        with self.fs.lock:
            node = self._lookup_existing(name)
            if node.filetype == FileType.DIRECTORY:
                raise KernelError(Errno.EISDIR, f"{name!r} is a directory")
            upper_dir = self.fs.copy_up(self)
            # Whiteout first: until the upper entry goes, the upper entry wins.
            if self.fs.lower_entry(self, name) is not None:
                make_whiteout(upper_dir, name)
            if node.upper is not None:
                upper_dir.unlink(name)
                self.fs.forget_origin(node.upper, is_dir=False)
            self._forget_child(name, node)

    def rmdir(self, name: str) -> None:
        self._need_dir()
        check_guest_name(name)
        with self.fs.lock:
            node = self._lookup_existing(name)
            if node.filetype != FileType.DIRECTORY:
                raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")
            if self.fs.merged_entries(node):
                raise KernelError(Errno.ENOTEMPTY, f"{name!r} is not empty")
            upper_dir = self.fs.copy_up(self)
            if self.fs.lower_entry(self, name) is not None:
                make_whiteout(upper_dir, name)
            if node.upper is not None:
                self.fs.work.remove_upper_dir(upper_dir, name)
                self.fs.forget_origin(node.upper, is_dir=True)
            self._forget_child(name, node)

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        """Linux ``rename``; ``EXDEV`` for a directory with lower-layer content."""
        self._need_dir()
        if not isinstance(new_dir, UnionInode) or new_dir.fs is not self.fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        new_dir._need_dir()
        check_guest_name(old)
        check_guest_name(new)
        fs = self.fs
        with fs.lock:
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
            if dst is not None and dst_is_dir and fs.merged_entries(dst):
                raise KernelError(Errno.ENOTEMPTY, f"{new!r} is not empty")
            src_upper = fs.copy_up(src)
            old_upper_dir = fs.copy_up(self)
            new_upper_dir = fs.copy_up(new_dir)
            # Markers first, so that a crash at any point shows old or new state.
            if fs.lower_entry(self, old) is not None:
                make_whiteout(old_upper_dir, old)
            if src_is_dir:
                below = fs.lower_entry(new_dir, new)
                if below is not None and below.filetype == FileType.DIRECTORY:
                    make_opaque(src_upper)
            try:
                old_upper_dir.rename(old, new_upper_dir, new)
            except KernelError as e:
                if not (e.errno == Errno.ENOTEMPTY and dst is not None and dst.upper is not None):
                    raise
                # The target's upper directory holds only markers: clear them, retry.
                purge(dst.upper, only_reserved=True)
                old_upper_dir.rename(old, new_upper_dir, new)
            drop_whiteout(new_upper_dir, new)
            if dst is not None:
                if dst.upper is not None:
                    fs.forget_origin(dst.upper, is_dir=dst_is_dir)
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

    def next_data(self, offset: int) -> int:
        upper = self.upper
        return (upper if upper is not None else self.lowers[0][1]).next_data(offset)

    # -- devices -------------------------------------------------------------------------------
    def open_stream(self) -> Stream | None:
        upper = self.upper
        return (upper if upper is not None else self.lowers[0][1]).open_stream()
