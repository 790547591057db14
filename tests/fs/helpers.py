"""Helpers shared by the file system tests (tests/fs): the errno of a failing
call, walking and listing a tree of inodes, and saving, restoring and
abandoning a sefs volume's host folder. Imported by module name (``tests/fs``
is on pytest's pythonpath)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.types import Inode


def errno_of(fn: Callable[..., object], *args: object) -> Errno:
    """The errno of the KernelError ``fn(*args)`` raises (the test fails if none)."""
    with pytest.raises(KernelError) as info:
        fn(*args)
    return info.value.errno


def names(d: Inode) -> list[str]:
    """The names in directory ``d``, in its order."""
    return [e.name for e in d.entries()]


def walk(root: Inode, path: str) -> Inode:
    """The inode at ``path`` (``/``-separated, relative to ``root``; empty parts skipped)."""
    node = root
    for part in path.split("/"):
        if part:
            node = node.lookup(part)
    return node


def host_files(folder: Path) -> dict[str, bytes]:
    """Every regular file of a volume's host folder, by name."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def restore(folder: Path, files: dict[str, bytes]) -> None:
    """Make ``folder`` hold exactly ``files`` (as :func:`host_files` saved them)."""
    for p in folder.iterdir():
        if p.name not in files:
            p.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)


def abandon(fs: SeFs) -> None:
    """Drop a mounted volume as a crash would: no commit, descriptors (and lock) gone."""
    fs._closed = True
    fs._closer()
