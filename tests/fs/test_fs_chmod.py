"""Setting permission bits (Inode.chmod) on the file systems whose own tests do not
cover it: sefs (kept across a remount, ctime moves, symlinks refused) and the
integrity image (read-only: EROFS). ramfs, hostfs, unionfs and devfs test theirs in
their own modules; the occlum fchmodat call is tested in tests/syscalls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.integrityfs import IntegrityFs
from pyocclum.fs.sefs import SeFs
from pyocclum.image.manifest import build_image

KEY = bytes(range(32))


def errno_of(fn: object, *args: object) -> Errno:
    assert callable(fn)
    with pytest.raises(KernelError) as e:
        fn(*args)
    return e.value.errno


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
