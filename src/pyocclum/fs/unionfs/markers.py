"""The union's reserved names and the markers it keeps in the upper layer.

Owns: the ``.wh.`` prefix every marker starts with, the whiteout name of a
guest name, the opaque-directory marker, the name of the work directory, and
the operations that make, drop and sweep markers in an upper directory. The
markers are plain empty files, so any writable file system can hold them.
"""

from __future__ import annotations

import hashlib

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import MAX_NAME, Inode, check_name

#: Names starting with this are the union's own markers, never the guest's.
RESERVED_PREFIX = ".wh."
#: Prefix of the union's meta names; ``.wh.<guest name>`` can never start with it.
_META_PREFIX = ".wh..wh."
#: Present in a directory of some layer: lower layers' directories are hidden.
OPAQUE_NAME = _META_PREFIX + ".opq"
#: Directory in the upper layer's root for copy-up temporaries and removed trees.
WORK_DIR_NAME = _META_PREFIX + "work"
_LONG_WHITEOUT_PREFIX = _META_PREFIX + "h."


def whiteout_name(name: str) -> str:
    """The upper-layer name of the whiteout that hides ``name`` in lower layers."""
    plain = RESERVED_PREFIX + name
    if len(plain.encode("utf-8", "surrogateescape")) <= MAX_NAME:
        return plain
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
    return _LONG_WHITEOUT_PREFIX + digest


def check_guest_name(name: str) -> None:
    """A name the guest may use: valid for any file system and not reserved."""
    check_name(name)
    if name.startswith(RESERVED_PREFIX):
        raise KernelError(Errno.EPERM, f"names starting with {RESERVED_PREFIX!r} are reserved")


def make_whiteout(upper_dir: Inode, name: str) -> None:
    """Hide the lower layers' ``name`` below ``upper_dir``."""
    try:
        upper_dir.create(whiteout_name(name), 0)
    except KernelError as e:
        if e.errno != Errno.EEXIST:  # left over: it hides the same thing
            raise


def make_opaque(upper_dir: Inode) -> None:
    """Hide every lower directory below ``upper_dir``."""
    try:
        upper_dir.create(OPAQUE_NAME, 0)
    except KernelError as e:
        if e.errno != Errno.EEXIST:
            raise


def drop_whiteout(upper_dir: Inode, name: str) -> None:
    """Remove the whiteout of ``name`` in ``upper_dir``, if there is one."""
    try:
        upper_dir.unlink(whiteout_name(name))
    except KernelError as e:
        if e.errno != Errno.ENOENT:
            raise


def purge(directory: Inode, *, only_reserved: bool) -> None:
    """Delete ``directory``'s contents (just the union's markers if ``only_reserved``)."""
    for entry in list(directory.entries()):
        if only_reserved and not entry.name.startswith(RESERVED_PREFIX):
            continue
        if entry.filetype == FileType.DIRECTORY:
            purge(directory.lookup(entry.name), only_reserved=False)
            directory.rmdir(entry.name)
        else:
            directory.unlink(entry.name)
