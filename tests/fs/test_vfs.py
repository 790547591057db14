"""The path walk: mounts, '..' across mounts, symlinks, ELOOP, trailing slashes."""

from __future__ import annotations

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import MAX_SYMLINKS, Vfs


def make_vfs() -> Vfs:
    root = RamFs()
    r = root.root()
    r.mkdir("tmp", 0o755)
    a = r.mkdir("a", 0o755)
    b = a.mkdir("b", 0o755)
    b.create("f", 0o644).write(0, b"hello")
    r.symlink("abs", "/a/b")
    a.symlink("rel", "b/f")
    r.symlink("up", "a/b/../..")
    r.symlink("loop1", "loop2")
    r.symlink("loop2", "loop1")
    r.symlink("dangling", "/nope")
    vfs = Vfs(root)
    tmp = RamFs()
    tmp.root().create("t", 0o644)
    vfs.mount("/tmp", tmp)
    return vfs


def test_absolute_and_relative_walks() -> None:
    vfs = make_vfs()
    loc = vfs.resolve(vfs.root(), "/a/b/f")
    assert loc.path == "/a/b/f"
    assert loc.inode.read(0, 5) == b"hello"
    a = vfs.resolve(vfs.root(), "a")
    assert vfs.resolve(a, "b/./f").path == "/a/b/f"
    assert vfs.resolve(a, "../a/b/../b/f").path == "/a/b/f"
    assert vfs.resolve(vfs.root(), "/../../a").path == "/a"


def test_symlinks_followed_and_not() -> None:
    vfs = make_vfs()
    assert vfs.resolve(vfs.root(), "/abs/f").path == "/a/b/f"
    assert vfs.resolve(vfs.root(), "/a/rel").path == "/a/b/f"
    link = vfs.resolve(vfs.root(), "/a/rel", follow=False)
    assert link.inode.filetype == FileType.SYMBOLIC_LINK
    assert link.path == "/a/rel"
    # '..' after a symlink goes to the real parent of the target.
    assert vfs.resolve(vfs.root(), "/abs/..").path == "/a"
    assert vfs.resolve(vfs.root(), "/up").path == "/"


def test_symlink_loop_is_eloop() -> None:
    vfs = make_vfs()
    with pytest.raises(KernelError) as e:
        vfs.resolve(vfs.root(), "/loop1")
    assert e.value.errno == Errno.ELOOP
    assert MAX_SYMLINKS == 40


def test_dangling_and_missing() -> None:
    vfs = make_vfs()
    with pytest.raises(KernelError) as e:
        vfs.resolve(vfs.root(), "/dangling")
    assert e.value.errno == Errno.ENOENT
    assert vfs.resolve(vfs.root(), "/dangling", follow=False).path == "/dangling"
    with pytest.raises(KernelError) as e:
        vfs.resolve(vfs.root(), "/a/b/f/x")
    assert e.value.errno == Errno.ENOTDIR
    with pytest.raises(KernelError) as e:
        vfs.resolve(vfs.root(), "")
    assert e.value.errno == Errno.ENOENT


def test_trailing_slash_requires_directory() -> None:
    vfs = make_vfs()
    assert vfs.resolve(vfs.root(), "/a/").path == "/a"
    with pytest.raises(KernelError) as e:
        vfs.resolve(vfs.root(), "/a/b/f/")
    assert e.value.errno == Errno.ENOTDIR


def test_mount_crossing_both_ways() -> None:
    vfs = make_vfs()
    t = vfs.resolve(vfs.root(), "/tmp/t")
    assert t.inode.fs is not vfs.root().inode.fs
    assert vfs.resolve(vfs.root(), "/tmp/..").path == "/"
    assert vfs.resolve(vfs.root(), "/tmp/../a").path == "/a"
    assert [m.path for m in vfs.mounts] == ["/", "/tmp"]
    with pytest.raises(KernelError) as e:
        vfs.mount("/tmp", RamFs())
    assert e.value.errno == Errno.EBUSY
    with pytest.raises(KernelError) as e:
        vfs.mount("/a/b/f", RamFs())
    assert e.value.errno == Errno.ENOTDIR


def test_resolve_parent() -> None:
    vfs = make_vfs()
    p = vfs.resolve_parent(vfs.root(), "/a/b/new")
    assert (p.parent.path, p.name, p.trailing_slash) == ("/a/b", "new", False)
    p = vfs.resolve_parent(vfs.root(), "/a/b/new/")
    assert p.trailing_slash
    p = vfs.resolve_parent(vfs.root(), "/a/..")
    assert (p.parent.path, p.name) == ("/", "")
    with pytest.raises(KernelError) as e:
        vfs.resolve_parent(vfs.root(), "/a/b/f/new")
    assert e.value.errno == Errno.ENOTDIR
    with pytest.raises(KernelError) as e:
        vfs.resolve_parent(vfs.root(), "/a/" + "x" * 5000)
    assert e.value.errno == Errno.ENAMETOOLONG


def test_long_components_are_enametoolong_where_the_walk_reaches_them() -> None:
    vfs = make_vfs()
    long = "x" * 256

    def errno_of(path: str) -> Errno:
        with pytest.raises(KernelError) as e:
            vfs.resolve(vfs.root(), path)
        return e.value.errno

    assert errno_of("/" + long) == Errno.ENAMETOOLONG
    assert errno_of("/a/" + long + "/f") == Errno.ENAMETOOLONG
    assert errno_of("/nope/" + long) == Errno.ENOENT  # the walk stops before it, as Linux's
    assert errno_of("/a/b/f/" + long) == Errno.ENOTDIR
    assert errno_of("/" + "é" * 128) == Errno.ENAMETOOLONG  # 256 bytes in UTF-8
    with pytest.raises(KernelError) as e:
        vfs.resolve_parent(vfs.root(), "/a/" + long)
    assert e.value.errno == Errno.ENAMETOOLONG
    vfs.resolve_parent(vfs.root(), "/a/" + "y" * 255)  # 255 is fine (and need not exist)
    vfs.root().inode.lookup("a").symlink("longlink", "b/" + long)
    assert errno_of("/a/longlink") == Errno.ENAMETOOLONG  # in a followed target too
