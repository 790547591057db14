"""The virtual file system: the mount table and the path walk.

A walk keeps the chain of directories from ``/`` to where it is (names and
inodes), so ``..`` goes to the real parent after symlinks and across mount
points, as Linux's physical walk does.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import MAX_NAME, FileSystem, Inode

#: Linux's limit on symlinks followed in one walk (MAXSYMLINKS).
MAX_SYMLINKS = 40
#: Linux's PATH_MAX.
PATH_MAX = 4096


class Mount(NamedTuple):
    path: str
    fs: FileSystem
    options: str = ""


class Location(NamedTuple):
    """Where a walk ended: the chain ``[("", root), (name, inode), ...]``."""

    chain: tuple[tuple[str, Inode], ...]

    @property
    def inode(self) -> Inode:
        return self.chain[-1][1]

    @property
    def path(self) -> str:
        return "/" + "/".join(name for name, _ in self.chain[1:])


class ParentLocation(NamedTuple):
    """A walk that stopped before the last component (for create, unlink, ...)."""

    parent: Location
    name: str
    #: The path ended with ``/``: the object must be (or become) a directory.
    trailing_slash: bool
    #: With an empty ``name``: the last component that named ``parent`` (".", ".." or "").
    last: str = ""

    @property
    def path(self) -> str:
        base = self.parent.path
        return (base.rstrip("/") + "/" + self.name) if self.name else base


def refuse_move_into_itself(src: ParentLocation, dst: ParentLocation) -> None:
    """EINVAL if renaming directory ``src`` to ``dst`` would put it below itself
    (the loop would be detached from the tree), as Linux's rename."""
    src_path = src.parent.path.rstrip("/") + "/" + src.name
    dst_path = dst.parent.path.rstrip("/") + "/" + dst.name
    if dst_path != src_path and dst_path.startswith(src_path + "/"):
        raise KernelError(Errno.EINVAL, "cannot move a directory into itself")


def _check_length(name: str) -> None:
    """ENAMETOOLONG for a path component longer than any name can be (Linux checks
    every component as it walks, before looking it up)."""
    if len(name) > MAX_NAME // 4 and len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
        raise KernelError(Errno.ENAMETOOLONG, f"a path component is longer than {MAX_NAME} bytes")


def _key(inode: Inode) -> tuple[int, int]:
    return (id(inode.fs), inode.ino)


class Vfs:
    """Mount table plus path resolution; shared by every process of a kernel."""

    def __init__(self, root: FileSystem) -> None:
        self._lock = threading.Lock()
        self._next_dev = 1
        root.dev = self._alloc_dev()
        self._mounts: list[Mount] = [Mount("/", root)]
        self._root_inode = root.root()
        # (id(fs), ino) of a covered directory -> root inode of what is mounted on it.
        self._covered: dict[tuple[int, int], Inode] = {}

    def _alloc_dev(self) -> int:
        dev = self._next_dev
        self._next_dev += 1
        return dev

    @property
    def mounts(self) -> list[Mount]:
        return list(self._mounts)

    def root(self) -> Location:
        return Location((("", self._root_inode),))

    def is_mount_point(self, parent: Location, name: str) -> bool:
        """Whether ``name`` in ``parent`` is where a file system is mounted (rename
        and rmdir of it are EBUSY)."""
        full = parent.path.rstrip("/") + "/" + name
        return any(m.path == full for m in self._mounts)

    def mount(self, path: str, fs: FileSystem, options: str = "") -> None:
        """Mount ``fs`` on the existing directory ``path`` (absolute)."""
        where = self.resolve(self.root(), path, follow=True)
        if where.inode.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"mount point {path} is not a directory")
        with self._lock:
            key = _key(where.inode)
            if key in self._covered or any(m.path == where.path for m in self._mounts):
                raise KernelError(Errno.EBUSY, f"{where.path} is already a mount point")
            fs.dev = self._alloc_dev()
            self._covered[key] = fs.root()
            self._mounts.append(Mount(where.path, fs, options))

    def sync(self) -> None:
        for m in self.mounts:
            m.fs.sync()

    # -- path walk -----------------------------------------------------------------
    def location_of(self, path: str) -> Location:
        """The chain for a canonical absolute path (no symlinks in it)."""
        return self.resolve(self.root(), path, follow=False)

    def resolve(self, start: Location, path: str, *, follow: bool = True) -> Location:
        """Walk ``path`` from ``start`` (ignored if ``path`` is absolute).

        ``follow`` says whether a symlink in the last component is followed.
        A trailing ``/`` requires a directory (and always follows).
        """
        parent = self.resolve_parent(start, path)
        if not parent.name:
            return parent.parent
        chain = list(parent.parent.chain)
        links = [0]
        self._step(chain, parent.name, follow or parent.trailing_slash, links)
        loc = Location(tuple(chain))
        if parent.trailing_slash and loc.inode.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{loc.path} is not a directory")
        return loc

    def resolve_parent(self, start: Location, path: str) -> ParentLocation:
        """Walk all but the last component of ``path``.

        The returned ``name`` is ``""`` when the path names a directory by a
        path ending in ``.``/``..``/``/`` alone (e.g. ``/`` or ``a/..``), in
        which case ``parent`` is that directory itself.
        """
        if not path:
            raise KernelError(Errno.ENOENT, "empty path")
        if "\0" in path:
            raise KernelError(Errno.EINVAL, "path contains NUL")
        if len(path.encode("utf-8", "surrogateescape")) >= PATH_MAX:
            raise KernelError(Errno.ENAMETOOLONG, "path too long")
        chain = [self.root().chain[0]] if path.startswith("/") else list(start.chain)
        parts = [p for p in path.split("/") if p]
        trailing = path.endswith("/")
        links = [0]
        if parts and parts[-1] in (".", ".."):
            # "a/b/.." names a directory reached by walking: resolve fully.
            for part in parts:
                self._step(chain, part, True, links)
            return ParentLocation(Location(tuple(chain)), "", True, parts[-1])
        for part in parts[:-1]:
            self._step(chain, part, True, links)
        if not parts:
            return ParentLocation(Location(tuple(chain)), "", True)
        if chain[-1][1].filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, "a path component is not a directory")
        _check_length(parts[-1])
        return ParentLocation(Location(tuple(chain)), parts[-1], trailing)

    def _step(
        self, chain: list[tuple[str, Inode]], part: str, follow: bool, links: list[int]
    ) -> None:
        """Advance ``chain`` by one component, following symlinks as told."""
        if part == ".":
            if chain[-1][1].filetype != FileType.DIRECTORY:
                raise KernelError(Errno.ENOTDIR, "not a directory")
            return
        if part == "..":
            if chain[-1][1].filetype != FileType.DIRECTORY:
                raise KernelError(Errno.ENOTDIR, "not a directory")
            if len(chain) > 1:
                chain.pop()
            return
        _check_length(part)
        inode = chain[-1][1].lookup(part)
        covering = self._covered.get(_key(inode))
        if covering is not None:
            inode = covering
        # A "magic link" (/proc/self/fd/N) names an fd, not a path: never followed.
        if follow and inode.filetype == FileType.SYMBOLIC_LINK and inode.alias_fd is None:
            links[0] += 1
            if links[0] > MAX_SYMLINKS:
                raise KernelError(Errno.ELOOP, "too many levels of symbolic links")
            target = inode.readlink()
            if not target:
                raise KernelError(Errno.ENOENT, "empty symlink")
            if target.startswith("/"):
                del chain[1:]
            parts = [p for p in target.split("/") if p]
            # Every component of a followed link's target is followed too.
            for sub in parts:
                self._step(chain, sub, True, links)
            return
        chain.append((part, inode))
