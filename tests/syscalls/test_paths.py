"""The ``occlum`` path calls (syscalls/paths.py) on plain values, over every kind of
mount the default instance has: Linux's semantics, errors and their order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mounts_harness import KEY, S_IFDIR, S_IFREG, Env

from pyocclum.abi.errno import Errno
from pyocclum.fs.sefs import SeFs
from pyocclum.kernel.fdtable import ROOT_FD
from pyocclum.syscalls.paths import (
    AT_EACCESS,
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_REMOVEDIR,
    AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW,
    NO_ID,
    R_OK,
    RENAME_EXCHANGE,
    RENAME_NOREPLACE,
    UTIME_NOW,
    UTIME_OMIT,
    W_OK,
    X_OK,
)

WRITABLE = ["/", "/host/", "/enc/", "/img/"]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def stat(env: Env, path: str, flags: int = 0) -> tuple[int, ...]:
    return tuple(env.sys.fstatat(env.p, AT_FDCWD, path, flags))


# -- mkdirat -----------------------------------------------------------------------------
@pytest.mark.parametrize("where", WRITABLE)
def test_mkdirat_applies_the_mode_and_umask(env: Env, where: str) -> None:
    env.p.umask = 0o027
    env.paths.mkdirat(env.p, AT_FDCWD, where + "nd", 0o7777)  # setuid/setgid dropped
    assert env.mode(where + "nd") == S_IFDIR | 0o1750
    env.paths.mkdirat(env.p, AT_FDCWD, where + "nd/e/", 0o700)  # a trailing slash is fine
    assert env.mode(where + "nd/e") == S_IFDIR | 0o700
    env.sys.fchmodat(env.p, AT_FDCWD, where + "nd", 0o2755, 0)
    env.paths.mkdirat(env.p, AT_FDCWD, where + "nd/g", 0o755)  # inherits setgid
    assert env.mode(where + "nd/g") == S_IFDIR | 0o2750


def test_mkdirat_errors(env: Env) -> None:
    env.create("/f")
    e = env.errno
    for path in ("/", ".", "..", "/f", "/host", "/f/"):
        assert e(env.paths.mkdirat, AT_FDCWD, path, 0o755) == Errno.EEXIST, path
    assert e(env.paths.mkdirat, AT_FDCWD, "/nope/d", 0o755) == Errno.ENOENT
    assert e(env.paths.mkdirat, AT_FDCWD, "/f/d", 0o755) == Errno.ENOTDIR
    assert e(env.paths.mkdirat, AT_FDCWD, "/" + "x" * 256, 0o755) == Errno.ENAMETOOLONG
    assert e(env.paths.mkdirat, AT_FDCWD, "", 0o755) == Errno.ENOENT
    assert e(env.paths.mkdirat, AT_FDCWD, "/ro/d", 0o755) == Errno.EROFS
    assert e(env.paths.mkdirat, 99, "d", 0o755) == Errno.EBADF
    fd = env.create("/g")
    assert e(env.paths.mkdirat, fd, "d", 0o755) == Errno.ENOTDIR
    env.paths.mkdirat(env.p, fd, "/abs", 0o755)  # an absolute path ignores the fd


def test_mkdirat_mode_persists_on_sefs(env: Env) -> None:
    env.p.umask = 0
    env.paths.mkdirat(env.p, AT_FDCWD, "/enc/d", 0o1701)
    env.sefs.close()
    again = SeFs(env.sefs_folder, KEY)
    assert again.root().lookup("d").stat().mode == 0o1701
    again.close()


# -- unlinkat -----------------------------------------------------------------------------
@pytest.mark.parametrize("where", WRITABLE)
def test_unlinkat_files_and_directories(env: Env, where: str) -> None:
    env.create(where + "nf")
    env.paths.mkdirat(env.p, AT_FDCWD, where + "nd", 0o755)
    env.create(where + "nd/x")
    e = env.errno
    assert e(env.paths.unlinkat, AT_FDCWD, where + "nd", 0) == Errno.EISDIR
    assert e(env.paths.unlinkat, AT_FDCWD, where + "nf/", 0) == Errno.ENOTDIR
    assert e(env.paths.unlinkat, AT_FDCWD, where + "nf", AT_REMOVEDIR) == Errno.ENOTDIR
    assert e(env.paths.unlinkat, AT_FDCWD, where + "nd", AT_REMOVEDIR) == Errno.ENOTEMPTY
    assert e(env.paths.unlinkat, AT_FDCWD, where + "nf", 0x1) == Errno.EINVAL
    env.paths.unlinkat(env.p, AT_FDCWD, where + "nf", 0)
    env.paths.unlinkat(env.p, AT_FDCWD, where + "nd/x", 0)
    env.paths.unlinkat(env.p, AT_FDCWD, where + "nd/", AT_REMOVEDIR)
    assert e(env.paths.unlinkat, AT_FDCWD, where + "nf", 0) == Errno.ENOENT
    assert e(env.paths.unlinkat, AT_FDCWD, where + "nd", AT_REMOVEDIR) == Errno.ENOENT


def test_rmdir_of_dot_dotdot_root_and_mount_points(env: Env) -> None:
    e = env.errno
    assert e(env.paths.unlinkat, AT_FDCWD, "/", AT_REMOVEDIR) == Errno.EBUSY
    assert e(env.paths.unlinkat, AT_FDCWD, "/host/.", AT_REMOVEDIR) == Errno.EINVAL
    assert e(env.paths.unlinkat, AT_FDCWD, "/host/..", AT_REMOVEDIR) == Errno.ENOTEMPTY
    assert e(env.paths.unlinkat, AT_FDCWD, "/enc", AT_REMOVEDIR) == Errno.EBUSY


# -- renameat2 ----------------------------------------------------------------------------
@pytest.mark.parametrize("where", WRITABLE)
def test_renameat2(env: Env, where: str) -> None:
    env.create(where + "a")
    env.create(where + "b")
    env.paths.mkdirat(env.p, AT_FDCWD, where + "nd", 0o755)
    e = env.errno
    assert e(env.paths.renameat2, AT_FDCWD, where + "a", AT_FDCWD, where + "b",
             RENAME_NOREPLACE) == Errno.EEXIST
    assert e(env.paths.renameat2, AT_FDCWD, where + "a", AT_FDCWD, where + "c",
             RENAME_EXCHANGE) == Errno.EINVAL
    assert e(env.paths.renameat2, AT_FDCWD, where + "nd", AT_FDCWD, where + "nd/sub",
             0) == Errno.EINVAL
    assert e(env.paths.renameat2, AT_FDCWD, where + "a/", AT_FDCWD, where + "c", 0) == Errno.ENOTDIR
    assert e(env.paths.renameat2, AT_FDCWD, where + "nope", AT_FDCWD, where + "c",
             0) == Errno.ENOENT
    env.paths.renameat2(env.p, AT_FDCWD, where + "a", AT_FDCWD, where + "c", RENAME_NOREPLACE)
    env.paths.renameat2(env.p, AT_FDCWD, where + "c", AT_FDCWD, where + "b", 0)  # replaces
    assert env.mode(where + "b") & ~0o7777 == S_IFREG
    assert e(env.paths.renameat2, AT_FDCWD, where + "c", AT_FDCWD, where + "x", 0) == Errno.ENOENT


def test_rename_across_mounts_is_exdev_before_the_lookup(env: Env) -> None:
    env.create("/f")
    e = env.errno
    assert e(env.paths.renameat2, AT_FDCWD, "/f", AT_FDCWD, "/enc/f", 0) == Errno.EXDEV
    assert e(env.paths.renameat2, AT_FDCWD, "/nope", AT_FDCWD, "/enc/f", 0) == Errno.EXDEV
    assert e(env.paths.renameat2, AT_FDCWD, "/.", AT_FDCWD, "/x", 0) == Errno.EBUSY
    assert e(env.paths.renameat2, AT_FDCWD, "/enc", AT_FDCWD, "/x", 0) == Errno.EBUSY


# -- linkat and symlinkat ------------------------------------------------------------------
@pytest.mark.parametrize("where", WRITABLE)
def test_linkat(env: Env, where: str) -> None:
    fd = env.create(where + "nf")
    env.paths.symlinkat(env.p, "nf", AT_FDCWD, where + "l")
    env.paths.linkat(env.p, AT_FDCWD, where + "l", AT_FDCWD, where + "l2", 0)  # the link itself
    assert stat(env, where + "l2", AT_SYMLINK_NOFOLLOW)[1] == stat(
        env, where + "l", AT_SYMLINK_NOFOLLOW)[1]
    env.paths.linkat(env.p, AT_FDCWD, where + "l", AT_FDCWD, where + "nf2", AT_SYMLINK_FOLLOW)
    env.paths.linkat(env.p, fd, "", AT_FDCWD, where + "nf3", AT_EMPTY_PATH)
    assert stat(env, where + "nf")[3] == 3  # f, f2, f3
    e = env.errno
    assert e(env.paths.linkat, AT_FDCWD, where + "nf", AT_FDCWD, where + "nf2", 0) == Errno.EEXIST
    assert e(env.paths.linkat, AT_FDCWD, where + "nf", AT_FDCWD, where + "n/", 0) == Errno.ENOENT
    assert e(env.paths.linkat, AT_FDCWD, "", AT_FDCWD, where + "n", 0) == Errno.ENOENT
    assert e(env.paths.linkat, AT_FDCWD, where + "nope", AT_FDCWD, where + "n", 0) == Errno.ENOENT
    assert e(env.paths.linkat, AT_FDCWD, where.rstrip("/") or "/", AT_FDCWD, where + "n",
             0) == Errno.EPERM
    assert e(env.paths.linkat, AT_FDCWD, where + "nf", AT_FDCWD, where + "n", 0x1) == Errno.EINVAL


def test_linkat_across_mounts_and_of_removed_files(env: Env) -> None:
    fd = env.create("/f")
    e = env.errno
    assert e(env.paths.linkat, AT_FDCWD, "/f", AT_FDCWD, "/enc/f", 0) == Errno.EXDEV
    assert e(env.paths.linkat, AT_FDCWD, "/enc", AT_FDCWD, "/x", 0) == Errno.EXDEV
    r, _ = env.sys.pipe2(env.p, 0)
    assert e(env.paths.linkat, r, "", AT_FDCWD, "/p", AT_EMPTY_PATH) == Errno.EXDEV
    env.paths.unlinkat(env.p, AT_FDCWD, "/f", 0)
    assert e(env.paths.linkat, fd, "", AT_FDCWD, "/back", AT_EMPTY_PATH) == Errno.ENOENT


@pytest.mark.parametrize("where", WRITABLE)
def test_symlinkat(env: Env, where: str) -> None:
    e = env.errno
    assert e(env.paths.symlinkat, "", AT_FDCWD, where + "l") == Errno.ENOENT
    assert e(env.paths.symlinkat, "t", AT_FDCWD, "") == Errno.ENOENT
    env.paths.symlinkat(env.p, "t", AT_FDCWD, where + "l")
    assert e(env.paths.symlinkat, "t", AT_FDCWD, where + "l") == Errno.EEXIST
    assert e(env.paths.symlinkat, "t", AT_FDCWD, where + "l/") == Errno.EEXIST
    assert e(env.paths.symlinkat, "t", AT_FDCWD, where + "m/") == Errno.ENOENT
    assert e(env.paths.symlinkat, "t" * 4096, AT_FDCWD, where + "m") == Errno.ENAMETOOLONG
    assert env.paths.readlinkat(env.p, AT_FDCWD, where + "l", 100) == b"t"


def test_absolute_symlinks_resolve_from_the_root_and_dotdot_stays_there(env: Env) -> None:
    env.paths.mkdirat(env.p, AT_FDCWD, "/enc/d", 0o755)
    env.create("/enc/d/f")
    env.paths.symlinkat(env.p, "/enc/d", AT_FDCWD, "/host/abs")
    env.paths.symlinkat(env.p, "../../../../enc/d/f", AT_FDCWD, "/host/up")
    want = stat(env, "/enc/d/f")
    assert stat(env, "/host/abs/f") == want
    assert stat(env, "/host/up") == want
    assert env.paths.realpath(env.p, "/host/abs/../d/./f", 4096) == b"/enc/d/f"
    assert env.paths.realpath(env.p, "/host/up", 4096) == b"/enc/d/f"
    assert env.paths.realpath(env.p, "/../..", 4096) == b"/"
    assert env.errno(env.paths.realpath, "/host/up", 7) == Errno.ERANGE
    assert env.errno(env.paths.realpath, "/host/nope", 4096) == Errno.ENOENT
    # The host sees the targets as they were given.
    assert os.readlink(env.host / "abs") == "/enc/d"


def test_symlink_loops_and_long_paths(env: Env) -> None:
    env.paths.symlinkat(env.p, "b", AT_FDCWD, "/a")
    env.paths.symlinkat(env.p, "a", AT_FDCWD, "/b")
    e = env.errno
    assert e(env.sys.fstatat, AT_FDCWD, "/a", 0) == Errno.ELOOP
    assert e(env.paths.faccessat, AT_FDCWD, "/a/x", 0, 0) == Errno.ELOOP
    assert e(env.paths.faccessat, AT_FDCWD, "/" + "x/" * 2048, 0, 0) == Errno.ENAMETOOLONG
    assert e(env.paths.faccessat, AT_FDCWD, "/nope/" + "x" * 300, 0, 0) == Errno.ENOENT
    assert e(env.paths.faccessat, AT_FDCWD, "/" + "x" * 300 + "/y", 0, 0) == Errno.ENAMETOOLONG


# -- readlinkat ----------------------------------------------------------------------------
def test_readlinkat(env: Env) -> None:
    env.create("/f")
    env.paths.symlinkat(env.p, "some/target", AT_FDCWD, "/l")
    e = env.errno
    assert env.paths.readlinkat(env.p, AT_FDCWD, "/l", 4) == b"some"
    assert env.paths.readlinkat(env.p, ROOT_FD, "l", 100) == b"some/target"
    assert e(env.paths.readlinkat, AT_FDCWD, "/l", 0) == Errno.EINVAL
    assert e(env.paths.readlinkat, AT_FDCWD, "/f", 10) == Errno.EINVAL
    assert e(env.paths.readlinkat, AT_FDCWD, "", 10) == Errno.ENOENT
    assert e(env.paths.readlinkat, AT_FDCWD, "/nope", 10) == Errno.ENOENT


# -- utimensat -----------------------------------------------------------------------------
@pytest.mark.parametrize("where", WRITABLE)
def test_utimensat(env: Env, where: str) -> None:
    fd = env.create(where + "nf")
    env.paths.utimensat(env.p, AT_FDCWD, where + "nf", (5, 6, 7, 8), 0)
    *_, atim, mtim, ctim = stat(env, where + "nf")
    assert (atim, mtim) == (5_000_000_006, 7_000_000_008)
    env.paths.utimensat(env.p, fd, "", (0, UTIME_OMIT, 9, 0), AT_EMPTY_PATH)  # futimens
    *_, atim, mtim, _ = stat(env, where + "nf")
    assert (atim, mtim) == (5_000_000_006, 9_000_000_000)
    env.paths.utimensat(env.p, AT_FDCWD, where + "nf", (0, UTIME_NOW, 0, UTIME_OMIT), 0)
    *_, atim2, mtim2, ctim2 = stat(env, where + "nf")
    assert atim2 >= ctim
    assert mtim2 == mtim
    assert ctim2 >= ctim
    env.paths.utimensat(env.p, AT_FDCWD, where + "nf", None, 0)
    *_, atim3, mtim3, _ = stat(env, where + "nf")
    assert atim3 >= atim2
    assert mtim3 > mtim
    e = env.errno
    assert e(env.paths.utimensat, AT_FDCWD, where + "nf", (0, -1, 0, 0), 0) == Errno.EINVAL
    assert e(env.paths.utimensat, AT_FDCWD, where + "nf", (0, 10**9, 0, 0), 0) == Errno.EINVAL
    assert e(env.paths.utimensat, AT_FDCWD, where + "nope", (0, -1, 0, 0), 0) == Errno.ENOENT
    assert e(env.paths.utimensat, AT_FDCWD, where + "nf", None, 0x1) == Errno.EINVAL
    # Both omitted: nothing to do, and the path is not even looked at (Linux).
    env.paths.utimensat(env.p, AT_FDCWD, where + "nope", (0, UTIME_OMIT, 0, UTIME_OMIT), 0)


def test_utimensat_on_a_symlink_itself_and_read_only(env: Env) -> None:
    env.create("/f")
    env.paths.symlinkat(env.p, "f", AT_FDCWD, "/l")
    env.paths.utimensat(env.p, AT_FDCWD, "/l", (1, 0, 2, 0), AT_SYMLINK_NOFOLLOW)
    assert stat(env, "/l", AT_SYMLINK_NOFOLLOW)[8] == 2_000_000_000
    assert stat(env, "/f")[8] != 2_000_000_000
    assert env.errno(env.paths.utimensat, AT_FDCWD, "/ro/f", None, 0) == Errno.EROFS


# -- faccessat -----------------------------------------------------------------------------
@pytest.mark.parametrize("where", WRITABLE)
def test_faccessat_for_root(env: Env, where: str) -> None:
    env.create(where + "nf")
    e = env.errno
    for bits in (0o000, 0o644):
        env.sys.fchmodat(env.p, AT_FDCWD, where + "nf", bits, 0)
        env.paths.faccessat(env.p, AT_FDCWD, where + "nf", R_OK | W_OK, 0)  # root reads, writes
        assert e(env.paths.faccessat, AT_FDCWD, where + "nf", X_OK, 0) == Errno.EACCES
    for bits in (0o100, 0o010, 0o001):
        env.sys.fchmodat(env.p, AT_FDCWD, where + "nf", bits, 0)
        env.paths.faccessat(env.p, AT_FDCWD, where + "nf", R_OK | W_OK | X_OK, AT_EACCESS)
    env.paths.mkdirat(env.p, AT_FDCWD, where + "nd", 0)
    env.paths.faccessat(env.p, AT_FDCWD, where + "nd", X_OK | W_OK, 0)  # root searches any dir
    assert e(env.paths.faccessat, AT_FDCWD, where + "nope", 0, 0) == Errno.ENOENT
    assert e(env.paths.faccessat, AT_FDCWD, where + "nf", 8, 0) == Errno.EINVAL
    assert e(env.paths.faccessat, AT_FDCWD, where + "nf", 0, 0x1) == Errno.EINVAL


def test_faccessat_symlinks_fds_and_read_only(env: Env) -> None:
    fd = env.create("/f")
    env.paths.symlinkat(env.p, "f", AT_FDCWD, "/l")
    env.paths.symlinkat(env.p, "nope", AT_FDCWD, "/dangling")
    e = env.errno
    assert e(env.paths.faccessat, AT_FDCWD, "/l", X_OK, 0) == Errno.EACCES  # f is 0644
    env.paths.faccessat(env.p, AT_FDCWD, "/l", X_OK, AT_SYMLINK_NOFOLLOW)  # the link: 0777
    assert e(env.paths.faccessat, AT_FDCWD, "/dangling", 0, 0) == Errno.ENOENT
    env.paths.faccessat(env.p, AT_FDCWD, "/dangling", 0, AT_SYMLINK_NOFOLLOW)
    assert e(env.paths.faccessat, fd, "", X_OK, AT_EMPTY_PATH) == Errno.EACCES
    r, _ = env.sys.pipe2(env.p, 0)
    env.paths.faccessat(env.p, r, "", R_OK | W_OK, AT_EMPTY_PATH)
    assert e(env.paths.faccessat, r, "", X_OK, AT_EMPTY_PATH) == Errno.EACCES
    env.paths.faccessat(env.p, AT_FDCWD, "/ro/f", R_OK, 0)
    assert e(env.paths.faccessat, AT_FDCWD, "/ro/f", W_OK, 0) == Errno.EROFS
    # The union root over the read-only image is writable: a write copies up.
    env.paths.faccessat(env.p, AT_FDCWD, "/img/f", W_OK, 0)


# -- fchownat ------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["/", "/enc/", "/img/"])
def test_fchownat_records_the_owner(env: Env, where: str) -> None:
    fd = env.create(where + "nf")
    env.paths.fchownat(env.p, AT_FDCWD, where + "nf", 12, 34, 0)
    assert stat(env, where + "nf")[4:6] == (12, 34)
    env.paths.fchownat(env.p, fd, "", NO_ID, 56, AT_EMPTY_PATH)  # fchown, uid unchanged
    assert stat(env, where + "nf")[4:6] == (12, 56)
    env.paths.symlinkat(env.p, "nf", AT_FDCWD, where + "l")
    env.paths.fchownat(env.p, AT_FDCWD, where + "l", 7, 8, AT_SYMLINK_NOFOLLOW)  # lchown
    assert stat(env, where + "l", AT_SYMLINK_NOFOLLOW)[4:6] == (7, 8)
    assert stat(env, where + "nf")[4:6] == (12, 56)
    env.paths.fchownat(env.p, AT_FDCWD, where + "l", 1, NO_ID, 0)  # follows
    assert stat(env, where + "nf")[4:6] == (1, 56)
    assert env.errno(env.paths.fchownat, AT_FDCWD, where + "nf", 0, 0, 0x4) == Errno.EINVAL


def test_fchownat_clears_setuid_and_group_executable_setgid(env: Env) -> None:
    env.create("/f")
    env.paths.mkdirat(env.p, AT_FDCWD, "/d", 0o755)
    for before, after in ((0o6755, 0o755), (0o6745, 0o2745), (0o2710, 0o710), (0o1755, 0o1755)):
        env.sys.fchmodat(env.p, AT_FDCWD, "/f", before, 0)
        env.paths.fchownat(env.p, AT_FDCWD, "/f", NO_ID, NO_ID, 0)
        assert env.mode("/f") == S_IFREG | after
    env.sys.fchmodat(env.p, AT_FDCWD, "/d", 0o6755, 0)
    env.paths.fchownat(env.p, AT_FDCWD, "/d", 1, 1, 0)
    assert env.mode("/d") == S_IFDIR | 0o6755  # directories keep theirs


def test_fchownat_persists_on_sefs_and_copies_up_on_the_union(env: Env) -> None:
    env.create("/enc/f")
    env.paths.fchownat(env.p, AT_FDCWD, "/enc/f", 1000, 100, 0)
    env.sefs.close()
    again = SeFs(env.sefs_folder, KEY)
    st = again.root().lookup("f").stat()
    assert (st.uid, st.gid) == (1000, 100)
    again.close()
    env.paths.fchownat(env.p, AT_FDCWD, "/img/d", 5, 6, 0)  # a lower directory: copied up
    st = env.upper.root().lookup("d").stat()
    assert (st.uid, st.gid, st.mode) == (5, 6, 0o750)
    assert env.image.root().lookup("d").stat().uid == 0
    assert env.errno(env.paths.fchownat, AT_FDCWD, "/ro/f", 1, 1, 0) == Errno.EROFS
    assert env.errno(env.paths.fchownat, AT_FDCWD, "/proc", 1, 1, 0) == Errno.ENOENT


def test_fchownat_on_hostfs_changes_the_host_file(env: Env) -> None:
    env.create("/host/f")
    uid, gid = os.geteuid(), os.getegid()
    assert stat(env, "/host/f")[4:6] == (0, 0)  # the LibOS's own ids are root inside
    env.paths.fchownat(env.p, AT_FDCWD, "/host/f", 0, 0, 0)
    assert ((env.host / "f").stat().st_uid, (env.host / "f").stat().st_gid) == (uid, gid)
    if uid != 0:
        pytest.skip("giving a host file away needs a root host")
    env.paths.fchownat(env.p, AT_FDCWD, "/host/f", 1234, 4321, 0)
    assert ((env.host / "f").stat().st_uid, (env.host / "f").stat().st_gid) == (1234, 4321)
    assert stat(env, "/host/f")[4:6] == (1234, 4321)
