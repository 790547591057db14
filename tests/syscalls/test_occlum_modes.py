"""The ``occlum`` calls for file modes: ``fstatat`` (type and permission bits, owner)
and ``fchmodat`` (chmod, fchmod, fchmodat), on plain values, over every file system
the default instance mounts: ramfs, sefs, unionfs over the integrity image, hostfs."""

from __future__ import annotations

from pathlib import Path

import pytest
from mounts_harness import KEY, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, Env

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.sefs import SeFs
from pyocclum.kernel.fdtable import ROOT_FD
from pyocclum.syscalls.occlum import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_fstatat_reports_type_bits_permissions_and_root_owner(env: Env) -> None:
    fd = env.create("/f")
    env.wasi.fd_write(env.p, fd, b"hello")
    env.wasi.path_symlink(env.p, "f", ROOT_FD, "link")
    dev, ino, mode, nlink, uid, gid, size, *_ = env.sys.fstatat(env.p, AT_FDCWD, "/f", 0)
    st = env.vfs.resolve(env.vfs.root(), "/f").inode.stat()
    assert (dev, ino, nlink, size) == (st.dev, st.ino, st.nlink, 5)
    assert (mode, uid, gid) == (S_IFREG | st.mode, 0, 0)
    assert env.mode("/link") == mode  # followed
    assert env.mode("/link", AT_SYMLINK_NOFOLLOW) == S_IFLNK | 0o777
    assert env.mode("/host") & ~0o7777 == S_IFDIR
    # AT_EMPTY_PATH names the fd itself; a relative path starts at a directory fd or the cwd.
    assert env.mode("", AT_EMPTY_PATH, fd) == mode
    assert env.mode("f", 0, ROOT_FD) == mode
    env.p.cwd = env.vfs.resolve(env.vfs.root(), "/img")
    assert env.mode("f") == S_IFREG | 0o640
    assert env.mode("d") == S_IFDIR | 0o750


def test_fstatat_of_a_pipe_and_errors(env: Env) -> None:
    r, _ = env.sys.pipe2(env.p, 0)
    assert env.mode("", AT_EMPTY_PATH, r) == S_IFIFO | 0o600  # as Linux shows a pipe
    fd = env.create("/f")
    assert env.errno(env.sys.fstatat, AT_FDCWD, "/nope", 0) == Errno.ENOENT
    assert env.errno(env.sys.fstatat, AT_FDCWD, "", 0) == Errno.ENOENT
    assert env.errno(env.sys.fstatat, fd, "x", 0) == Errno.ENOTDIR
    assert env.errno(env.sys.fstatat, 42, "x", 0) == Errno.EBADF
    assert env.errno(env.sys.fstatat, AT_FDCWD, "/f", 0x4) == Errno.EINVAL


@pytest.mark.parametrize("where", ["/", "/host/", "/enc/", "/img/"])
def test_fchmodat_sets_the_bits_on_every_writable_fs(env: Env, where: str) -> None:
    fd = env.create(where + "f")
    env.sys.fchmodat(env.p, AT_FDCWD, where + "f", 0o4751, 0)
    assert env.mode(where + "f") == S_IFREG | 0o4751
    env.sys.fchmodat(env.p, fd, "", 0o170600, AT_EMPTY_PATH)  # fchmod; type bits ignored
    assert env.mode(where + "f") == S_IFREG | 0o600
    env.wasi.path_symlink(env.p, "f", ROOT_FD, where.lstrip("/") + "l")
    env.sys.fchmodat(env.p, AT_FDCWD, where + "l", 0o640, 0)  # follows the link
    assert env.mode(where + "f") == S_IFREG | 0o640
    assert env.errno(env.sys.fchmodat, AT_FDCWD, where + "l", 0o600,
                     AT_SYMLINK_NOFOLLOW) == Errno.ENOTSUP
    env.wasi.path_create_directory(env.p, ROOT_FD, where.lstrip("/") + "d2")
    env.sys.fchmodat(env.p, ROOT_FD, where.lstrip("/") + "d2", 0o1700, 0)
    assert env.mode(where + "d2") == S_IFDIR | 0o1700


def test_fchmodat_on_hostfs_changes_the_host_file(env: Env) -> None:
    env.create("/host/f")
    env.sys.fchmodat(env.p, AT_FDCWD, "/host/f", 0o705, 0)
    assert (env.host / "f").stat().st_mode & 0o7777 == 0o705
    assert env.errno(env.sys.fchmodat, AT_FDCWD, "/ro/f", 0o600, 0) == Errno.EROFS
    assert env.errno(env.sys.fchmodat, AT_FDCWD, "/host/nope", 0o600, 0) == Errno.ENOENT


def test_fchmodat_on_sefs_persists_across_a_remount(env: Env) -> None:
    env.create("/enc/f")
    env.wasi.path_create_directory(env.p, ROOT_FD, "enc/d")
    env.sys.fchmodat(env.p, AT_FDCWD, "/enc/f", 0o611, 0)
    env.sys.fchmodat(env.p, AT_FDCWD, "/enc/d", 0o701, 0)
    env.sefs.close()
    again = SeFs(env.sefs_folder, KEY)
    assert again.root().lookup("f").stat().mode == 0o611
    assert again.root().lookup("d").stat().mode == 0o701


def test_fchmodat_on_the_image_copies_up(env: Env) -> None:
    env.sys.fchmodat(env.p, AT_FDCWD, "/img/f", 0o600, 0)
    env.sys.fchmodat(env.p, AT_FDCWD, "/img/d", 0o700, 0)
    assert env.mode("/img/f") == S_IFREG | 0o600
    assert env.mode("/img/d") == S_IFDIR | 0o700
    # The image itself is unchanged (and refuses changes): the upper layer has the copy.
    assert env.image.root().lookup("f").stat().mode == 0o640
    assert env.upper.root().lookup("f").stat().mode == 0o600
    with pytest.raises(KernelError) as e:
        env.image.root().lookup("f").chmod(0o600)
    assert e.value.errno == Errno.EROFS


def test_fchmodat_refusals(env: Env) -> None:
    assert env.errno(env.sys.fchmodat, AT_FDCWD, "/proc", 0o600, 0x4) == Errno.EINVAL
    r, _ = env.sys.pipe2(env.p, 0)
    env.sys.fchmodat(env.p, r, "", 0o644, AT_EMPTY_PATH)  # Linux accepts it: no error
    assert env.mode("", AT_EMPTY_PATH, r) == S_IFIFO | 0o600
