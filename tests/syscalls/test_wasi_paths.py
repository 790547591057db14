"""The raw WASI path walk (syscalls/wasi_paths.py): beneath its directory fd,
across mount points, against the VFS's POSIX walk."""

from __future__ import annotations

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Location, Vfs
from pyocclum.syscalls.wasi_paths import Beneath


@pytest.fixture
def vfs() -> Vfs:
    root = RamFs()
    r = root.root()
    r.mkdir("m", 0o755)
    r.mkdir("d", 0o755).mkdir("e", 0o755)
    r.create("f", 0o644)
    r.symlink("abs", "/f")
    r.lookup("d").symlink("up", "../f")
    r.lookup("d").symlink("upup", "../../f")
    r.symlink("loop", "loop")
    vfs = Vfs(root)
    inner = RamFs()
    inner.root().create("x", 0o644)
    inner.root().symlink("back", "../f")
    vfs.mount("/m", inner)
    return vfs


def errno(fn: object, *args: object, **kwargs: object) -> Errno:
    assert callable(fn)
    with pytest.raises(KernelError) as e:
        fn(*args, **kwargs)
    return e.value.errno


def at(vfs: Vfs, path: str) -> tuple[Beneath, Location]:
    start = vfs.location_of(path)
    return Beneath(vfs, start), start


def test_inside_the_start_as_the_vfs(vfs: Vfs) -> None:
    walk, root = at(vfs, "/")
    for path in ("f", "d/e/../../f", "d/up", "m/x", "m/back", "m/../f", "./d/./e"):
        assert walk.resolve(root, path).path == vfs.resolve(root, path).path, path
    assert walk.resolve(root, "abs", follow=False).path == "/abs"


def test_leaving_the_start_is_eperm(vfs: Vfs) -> None:
    walk, root = at(vfs, "/")
    for path in ("/f", "..", "d/../..", "abs", "d/upup", "m/../.."):
        assert errno(walk.resolve, root, path) == Errno.EPERM, path
        assert vfs.resolve(root, path)  # the POSIX walk goes on (to / or /f)
    walk, d = at(vfs, "/d")
    assert errno(walk.resolve, d, "up") == Errno.EPERM  # ../f leaves /d
    assert errno(walk.resolve, d, "..") == Errno.EPERM
    assert walk.resolve(d, "e/..").path == "/d"
    walk, m = at(vfs, "/m")
    assert errno(walk.resolve, m, "back") == Errno.EPERM  # out of the mount's root too
    assert errno(walk.resolve_parent, m, "../f") == Errno.EPERM


def test_the_usual_errors(vfs: Vfs) -> None:
    walk, root = at(vfs, "/")
    assert errno(walk.resolve, root, "") == Errno.ENOENT
    assert errno(walk.resolve, root, "nope/x") == Errno.ENOENT
    assert errno(walk.resolve, root, "f/x") == Errno.ENOTDIR
    assert errno(walk.resolve, root, "f/..") == Errno.ENOTDIR
    assert errno(walk.resolve, root, "f/") == Errno.ENOTDIR
    assert errno(walk.resolve, root, "loop") == Errno.ELOOP
    assert errno(walk.resolve, root, "a\0b") == Errno.EINVAL
    assert errno(walk.resolve, root, "a" * 5000) == Errno.ENAMETOOLONG
    parent = walk.resolve_parent(root, "d/e/new/")
    assert (parent.parent.path, parent.name, parent.trailing_slash) == ("/d/e", "new", True)
