"""Path walks of the raw WASI calls: beneath the directory fd, as wasmtime's WASI.

wasmtime (cap-std) resolves a WASI path inside its directory fd and never
leaves it: an absolute path, a ``..`` above the fd's directory, and a symlink
whose target is absolute or climbs above it all fail with ``EPERM``. POSIX
walks (absolute paths from ``/``, ``/..`` staying at ``/``, absolute symlink
targets) are :class:`~pyocclum.fs.vfs.Vfs`'s, which libocclum reaches through
the ``occlum`` path calls. Both offer the same two methods (:class:`Walker`),
so the WASI handlers and the shared open code take either.
"""

from __future__ import annotations

from typing import Protocol

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import Inode
from pyocclum.fs.vfs import MAX_SYMLINKS, PATH_MAX, Location, ParentLocation, Vfs


class Walker(Protocol):
    """Resolves paths from a start directory (:class:`Vfs` or :class:`Beneath`)."""

    def resolve(self, start: Location, path: str, *, follow: bool = True) -> Location: ...

    def resolve_parent(self, start: Location, path: str) -> ParentLocation: ...


class Beneath:
    """One WASI walk that may not leave ``base`` (the directory fd's location).

    The checks and answers are :meth:`Vfs.resolve`'s (ENOENT, ENOTDIR, ELOOP,
    ENAMETOOLONG...) except for leaving ``base``: EPERM. Symlinks in the
    middle of a path are always followed, the last one as asked.
    """

    def __init__(self, vfs: Vfs, base: Location) -> None:
        self.vfs = vfs
        self.floor = len(base.chain)
        self.links = 0

    def resolve(self, start: Location, path: str, *, follow: bool = True) -> Location:
        parent = self.resolve_parent(start, path)
        if not parent.name:
            return parent.parent
        chain = list(parent.parent.chain)
        self._step(chain, parent.name, follow or parent.trailing_slash)
        loc = Location(tuple(chain))
        if parent.trailing_slash and loc.inode.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{loc.path} is not a directory")
        return loc

    def resolve_parent(self, start: Location, path: str) -> ParentLocation:
        if not path:
            raise KernelError(Errno.ENOENT, "empty path")
        if "\0" in path:
            raise KernelError(Errno.EINVAL, "path contains NUL")
        if len(path.encode("utf-8", "surrogateescape")) >= PATH_MAX:
            raise KernelError(Errno.ENAMETOOLONG, "path too long")
        if path.startswith("/"):
            raise KernelError(Errno.EPERM, f"{path}: absolute paths are not allowed in WASI")
        chain = list(start.chain)
        parts = [p for p in path.split("/") if p]
        if parts[-1] in (".", ".."):
            for part in parts:
                self._step(chain, part, True)
            return ParentLocation(Location(tuple(chain)), "", True, parts[-1])
        for part in parts[:-1]:
            self._step(chain, part, True)
        if chain[-1][1].filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, "a path component is not a directory")
        return ParentLocation(Location(tuple(chain)), parts[-1], path.endswith("/"))

    def _step(self, chain: list[tuple[str, Inode]], part: str, follow: bool) -> None:
        if part in (".", ".."):
            if chain[-1][1].filetype != FileType.DIRECTORY:
                raise KernelError(Errno.ENOTDIR, "not a directory")
            if part == "..":
                if len(chain) <= self.floor:
                    raise KernelError(Errno.EPERM, "a path may not leave its directory fd")
                chain.pop()
            return
        # One name, looked up by the VFS (mount points, lookup errors).
        loc = self.vfs.resolve(Location(tuple(chain)), part, follow=False)
        inode = loc.inode
        if follow and inode.filetype == FileType.SYMBOLIC_LINK and inode.alias_fd is None:
            self.links += 1
            if self.links > MAX_SYMLINKS:
                raise KernelError(Errno.ELOOP, "too many levels of symbolic links")
            target = inode.readlink()
            if not target:
                raise KernelError(Errno.ENOENT, "empty symlink")
            if target.startswith("/"):
                raise KernelError(Errno.EPERM, f"{part}: a symlink to an absolute path")
            for sub in (p for p in target.split("/") if p):
                self._step(chain, sub, True)
            return
        chain[:] = loc.chain
