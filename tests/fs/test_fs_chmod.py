"""Setting permission bits (Inode.chmod) on the file systems whose own tests do not
cover it: sefs (kept across a remount, ctime moves, symlinks refused) and the
integrity image (read-only: EROFS). ramfs, hostfs, unionfs and devfs test theirs in
their own modules; the occlum fchmodat call is tested in tests/syscalls.
Owners (Inode.chown) on every file system that records them, here too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import errno_of

from pyocclum.abi.errno import Errno
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.integrityfs import IntegrityFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.unionfs import UnionFs
from pyocclum.image.manifest import build_image

KEY = bytes(range(32))


@pytest.mark.parametrize("mode", [0o0, 0o600, 0o755, 0o4711, 0o7777])
def test_sefs_chmod_is_kept_across_a_remount(tmp_path: Path, mode: int) -> None:
    fs = SeFs(tmp_path / "v", KEY)
    f = fs.root().create("f", 0o644)
    d = fs.root().mkdir("d", 0o755)
    before = f.stat().ctim
    f.chmod(mode | 0o170000)  # type bits are not permission bits: dropped
    d.chmod(mode)
    assert f.stat().mode == mode
    assert f.stat().ctim > before  # a change of metadata
    link = fs.root().symlink("l", "f")
    assert errno_of(link.chmod, 0o600) == Errno.ENOTSUP
    fs.close()
    again = SeFs(tmp_path / "v", KEY)
    assert again.root().lookup("f").stat().mode == mode
    assert again.root().lookup("d").stat().mode == mode
    again.close()


def test_integrity_image_refuses_chmod(tmp_path: Path) -> None:
    src = tmp_path / "image"
    (src / "d").mkdir(parents=True)
    (src / "d" / "f").write_bytes(b"x")
    os.chmod(src / "d" / "f", 0o640)
    fs = IntegrityFs(tmp_path / "build", build_image(src, tmp_path / "build").root)
    f = fs.root().lookup("d").lookup("f")
    assert errno_of(f.chmod, 0o600) == Errno.EROFS
    assert errno_of(fs.root().lookup("d").chmod, 0o700) == Errno.EROFS
    assert f.stat().mode == 0o640


# -- owners (Inode.chown) ----------------------------------------------------------------
def test_sefs_chown_is_kept_across_a_remount(tmp_path: Path) -> None:
    fs = SeFs(tmp_path / "v", KEY)
    f = fs.root().create("f", 0o644)
    link = fs.root().symlink("l", "f")
    assert (f.stat().uid, f.stat().gid) == (0, 0)  # new objects belong to root
    before = f.stat().ctim
    f.chown(1000, None)
    f.chown(None, 2**32 - 2)
    link.chown(7, 8)  # a symlink has an owner of its own
    assert f.stat().ctim > before
    fs.close()
    again = SeFs(tmp_path / "v", KEY)
    st = again.root().lookup("f").stat()
    assert (st.uid, st.gid, st.mode) == (1000, 2**32 - 2, 0o644)
    st = again.root().lookup("l").stat()
    assert (st.uid, st.gid) == (7, 8)
    again.close()


def test_ramfs_chown(tmp_path: Path) -> None:
    fs = RamFs()
    d = fs.root().mkdir("d", 0o755)
    d.chown(3, 4)
    assert (d.stat().uid, d.stat().gid) == (3, 4)
    d.chown(None, None)
    assert (d.stat().uid, d.stat().gid) == (3, 4)


def test_unionfs_copy_up_keeps_mode_and_owner(tmp_path: Path) -> None:
    lower = RamFs()
    f = lower.root().mkdir("d", 0o710).create("f", 0o4750)
    f.write(0, b"x")
    f.chown(5, 6)
    lower.root().lookup("d").chown(7, 8)
    union = UnionFs(RamFs(), [lower])
    union.root().lookup("d").lookup("f").write(1, b"y")  # copies d and f up
    upper_d = union.upper.root().lookup("d")
    assert (upper_d.stat().mode, upper_d.stat().uid, upper_d.stat().gid) == (0o710, 7, 8)
    st = upper_d.lookup("f").stat()
    assert (st.mode, st.uid, st.gid) == (0o4750, 5, 6)
    # chown of a lower file copies it up first.
    g = lower.root().create("g", 0o640)
    union.root().lookup("g").chown(9, None)
    assert union.upper.root().lookup("g").stat()[9:11] == (9, 0)
    assert g.stat().uid == 0


def test_integrity_image_refuses_chown_and_owns_everything_as_root(tmp_path: Path) -> None:
    src = tmp_path / "image"
    src.mkdir()
    (src / "f").write_bytes(b"x")
    fs = IntegrityFs(tmp_path / "build", build_image(src, tmp_path / "build").root)
    f = fs.root().lookup("f")
    assert errno_of(f.chown, 1, 1) == Errno.EROFS
    assert (f.stat().uid, f.stat().gid) == (0, 0)


def test_hostfs_chown_passes_through_with_the_libos_ids_as_root(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    fs = HostFs(tmp_path / "h")
    f = fs.root().create("f", 0o644)
    assert (f.stat().uid, f.stat().gid) == (0, 0)
    f.chown(0, 0)  # root inside is the LibOS's own host ids
    host = (tmp_path / "h" / "f").stat()
    assert (host.st_uid, host.st_gid) == (os.geteuid(), os.getegid())
    if os.geteuid() != 0:
        assert errno_of(f.chown, 4321, None) == Errno.EPERM
        return
    f.chown(4321, 1234)
    fs.root().chown(55, None)
    host = (tmp_path / "h" / "f").stat()
    assert (host.st_uid, host.st_gid) == (4321, 1234)
    assert (f.stat().uid, f.stat().gid) == (4321, 1234)
    assert (tmp_path / "h").stat().st_uid == 55
