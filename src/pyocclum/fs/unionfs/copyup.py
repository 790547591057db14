"""Copying objects from a lower layer into the upper one, crash-safely.

Owns: the work directory (``/.wh..wh.work`` of the upper layer) where
copies are made before being renamed into place, its temporary names, its
sweeping at mount; and the copy of each kind of object with its mode, owner
and times. A crash at any point leaves either no copy or a whole one: a
half-copied file only ever exists in the work directory, which the next
mount empties.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import FileSystem, Inode, Stat, lookup_or_none
from pyocclum.fs.unionfs.markers import WORK_DIR_NAME, purge

_COPY_CHUNK = 1 << 20


def keep_owner(upper: Inode, st: Stat) -> None:
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
def times_kept(directory: Inode) -> Iterator[None]:
    """Restore ``directory``'s atime/mtime after a change the guest must not see."""
    before = directory.stat()
    try:
        yield
    finally:
        directory.set_times(before.atim, before.mtim)


class WorkDir:
    """The upper layer's work directory, made on first use (the union lock held)."""

    def __init__(self, upper: FileSystem) -> None:
        self._upper = upper
        self._work: Inode | None = None
        self._next_tmp = itertools.count(1)

    def clean(self) -> None:
        """Remove what an earlier mount left in the work directory (e.g. at a crash)."""
        upper_root = self._upper.root()
        work = lookup_or_none(upper_root, WORK_DIR_NAME)
        if work is None:
            return
        if work.filetype != FileType.DIRECTORY:
            upper_root.unlink(WORK_DIR_NAME)
            return
        purge(work, only_reserved=False)
        self._work = work

    def folder(self) -> Inode:
        """The work directory's inode (made now if it does not exist yet)."""
        if self._work is None:
            upper_root = self._upper.root()
            with times_kept(upper_root):
                self._work = upper_root.mkdir(WORK_DIR_NAME, 0o700)
        return self._work

    def tmp_name(self, directory: Inode) -> str:
        """A name free in ``directory``."""
        while True:
            name = f"tmp.{next(self._next_tmp)}"
            if lookup_or_none(directory, name) is None:
                return name

    def remove_upper_dir(self, upper_parent: Inode, name: str) -> None:
        """rmdir an upper directory whose merged view is empty (markers may remain)."""
        try:
            upper_parent.rmdir(name)
            return
        except KernelError as e:
            if e.errno != Errno.ENOTEMPTY:
                raise
        # Only markers are left: move it out of sight in one step, then empty it.
        work = self.folder()
        tmp = self.tmp_name(work)
        upper_parent.rename(name, work, tmp)
        doomed = work.lookup(tmp)
        purge(doomed, only_reserved=False)
        work.rmdir(tmp)

    def copy_object(
        self, src: Inode, st: Stat, upper_parent: Inode, name: str, keep: int | None
    ) -> Inode:
        """Copy ``src`` (whose stat is ``st``) to ``upper_parent/name``; the copy.

        For a regular file ``keep`` limits how many bytes are copied.
        """
        if st.filetype == FileType.DIRECTORY:
            # An empty upper directory merges with the lower one: no temporary needed.
            upper = upper_parent.mkdir(name, st.mode)
            keep_owner(upper, st)
            upper.set_times(st.atim, st.mtim)
            return upper
        if st.filetype == FileType.SYMBOLIC_LINK:
            upper = upper_parent.symlink(name, src.readlink())
            keep_owner(upper, st)
            try:
                upper.set_times(st.atim, st.mtim)
            except KernelError as e:
                if e.errno != Errno.EPERM:  # some layers keep no symlink times
                    raise
            return upper
        if st.filetype in (FileType.SOCKET_STREAM, FileType.SOCKET_DGRAM):
            # A socket node has no content: a new node in the upper layer is its copy.
            upper = upper_parent.mksock(name, st.mode)
            keep_owner(upper, st)
            upper.set_times(st.atim, st.mtim)
            return upper
        if st.filetype != FileType.REGULAR_FILE:
            raise KernelError(Errno.ENOTSUP, f"cannot copy up a {st.filetype.name.lower()}")
        work = self.folder()
        tmp = self.tmp_name(work)
        upper = copy_file(src, st, work, tmp, keep)
        try:
            work.rename(tmp, upper_parent, name)
        except KernelError:
            work.unlink(tmp)
            raise
        return upper


def copy_file(src: Inode, st: Stat, work: Inode, tmp: str, keep: int | None) -> Inode:
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
        keep_owner(upper, st)
        upper.set_times(st.atim, st.mtim)
    except KernelError:
        work.unlink(tmp)
        raise
    return upper
