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

The package: :class:`HostFs` (here: the mount, its inode table and the LRU of
open file descriptors); ``nodes.py`` (files and symlinks); ``dirs.py``
(directories); ``host.py`` (open flags, host errors and ``stat`` results as the
LibOS's, the owner mapping).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.hostfs.dirs import HostDir
from pyocclum.fs.hostfs.host import _DIR_FLAGS, _filetype, _fstat_or_close, _kerr, _Key, _key
from pyocclum.fs.hostfs.nodes import HostFile, HostSymlink, _HostNode
from pyocclum.fs.types import FileSystem

__all__ = ["HostFs"]


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
                st = _fstat_or_close(fd, f"stat directory {name!r}")
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
