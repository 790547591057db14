"""The host's name-service files inside: ``/etc/resolv.conf``, ``/etc/hosts``, ``/etc/hostname``.

As Occlum does, each boot copies these three files from the host into the
root's ``/etc`` (the writable layer), so that a program inside resolves names
as the host does, unless the image has its own: a file the image layer holds
is never replaced (it is part of what was measured and signed), except the
placeholders ``occlum init`` writes (``etc/hosts`` with ``127.0.0.1
localhost``, ``etc/hostname`` with ``occlum``: :func:`default_image_files`),
which stand for "the host's" and give way to it. A file is
written only when it is missing inside or differs from the host's, so an
unchanged host costs no write to the encrypted root. A host file that is
missing or unreadable is skipped (the copy inside stays as it was).

Their content is the host's, hence untrusted: it is what a program would get
from the host's DNS anyway.
"""

from __future__ import annotations

from pathlib import Path

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.config.image_files import default_image_files
from pyocclum.errors import KernelError
from pyocclum.fs.types import FileSystem, FileType, Inode
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Vfs

log = _log.getLogger("pyocclum.boot")

#: Where the host's files are read from (tests point it elsewhere).
HOST_ETC = Path("/etc")
#: The files copied in.
HOST_FILES = ("resolv.conf", "hosts", "hostname")
#: The most of one host file that is copied (they are a few lines each).
MAX_SIZE = 1 << 20
#: Linux's longest host name (``HOST_NAME_MAX``).
HOST_NAME_MAX = 64


def _in_image(root: FileSystem, name: str) -> bool:
    """Does a lower (image) layer of the root hold an ``/etc/name`` of its own (not
    ``occlum init``'s placeholder)?"""
    layers = root.lowers if isinstance(root, UnionFs) else ()
    placeholder = default_image_files().get(f"etc/{name}")
    for fs in layers:
        try:
            etc = fs.root().find("etc")
            node = etc.find(name) if etc is not None else None
            if node is None:
                continue
            is_placeholder = (placeholder is not None and node.filetype == FileType.REGULAR_FILE
                              and node.read(0, len(placeholder) + 1) == placeholder)
            return not is_placeholder
        except KernelError:
            continue
    return False


def _etc_dir(vfs: Vfs) -> Inode:
    root = vfs.root()
    try:
        return vfs.resolve(root, "etc").inode
    except KernelError as e:
        if e.errno != Errno.ENOENT:
            raise
    root.inode.mkdir("etc", 0o755)
    return vfs.resolve(root, "etc").inode


def copy_host_etc(vfs: Vfs, root: FileSystem, host_etc: Path | None = None) -> list[str]:
    """Copy the host's files into ``/etc`` where the image has none; the names written."""
    source = HOST_ETC if host_etc is None else host_etc
    written: list[str] = []
    for name in HOST_FILES:
        try:
            with (source / name).open("rb") as f:
                data = f.read(MAX_SIZE)
        except OSError:
            continue
        if _in_image(root, name):
            continue
        try:
            etc = _etc_dir(vfs)
            node = etc.find(name)
            if node is not None:
                if node.filetype != FileType.REGULAR_FILE:
                    continue  # something else the program put there: leave it
                if node.stat().size == len(data) and node.read(0, len(data)) == data:
                    continue
                node.truncate(0)
            else:
                node = etc.create(name, 0o644)
            node.write(0, data)
            written.append(name)
        except KernelError as e:
            log.warning("cannot copy the host's /etc/%s inside: %s", name, e.msg or e.errno.name)
    return written


def hostname_inside(vfs: Vfs) -> bytes | None:
    """The first line of ``/etc/hostname`` inside, if it is a usable host name (1 to
    :data:`HOST_NAME_MAX` bytes, no blanks or NULs): what the boot makes ``uname``'s
    nodename, as a Linux system sets its host name from that file at boot."""
    try:
        node = vfs.resolve(vfs.root(), "etc/hostname").inode
        if node.filetype != FileType.REGULAR_FILE:
            return None
        first = node.read(0, 4 * HOST_NAME_MAX).split(b"\n", 1)[0].strip()
    except KernelError:
        return None
    if not 0 < len(first) <= HOST_NAME_MAX or any(c in first for c in b" \t\0"):
        return None
    return first
