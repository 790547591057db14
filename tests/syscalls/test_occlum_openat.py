"""The ``occlum.openat`` call: Linux ``openat`` with the mode of a created file.

WASI's ``path_open`` has no mode, so every file created through it is
``0666 & ~umask``. SQLite opens its temporary files with mode 0600, checks
with ``fstat`` that it got 0600 and otherwise calls ``fchmod``, which its WASI
build leaves as a null function pointer: ``CREATE INDEX`` on a large table
died of SIGSEGV. These tests check the mode on plain values, over every file
system the default instance mounts (tests/demos/test_sqlite_open_mode.py runs
the same pattern in C against Linux).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import RIGHTS_ALL
from pyocclum.errors import KernelError
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.integrityfs import IntegrityFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Vfs
from pyocclum.image.manifest import build_image
from pyocclum.kernel import Kernel
from pyocclum.kernel.fdtable import ROOT_FD
from pyocclum.syscalls.occlum import AT_EMPTY_PATH, AT_FDCWD, OcclumSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

S_IFREG, S_IFDIR = 0o100000, 0o040000

# Linux's O_* values, as libocclum passes them.
O_WRONLY, O_RDWR, O_CREAT, O_EXCL = 0o1, 0o2, 0o100, 0o200
O_TRUNC, O_APPEND, O_DIRECTORY, O_CLOEXEC = 0o1000, 0o2000, 0o200000, 0o2000000


class Env:
    """A kernel whose root is a ramfs with ``/host`` (hostfs of ``tmp/host``),
    ``/enc`` (sefs) and ``/img`` (unionfs of a ramfs over an integrity image):
    the file systems of the default instance."""

    def __init__(self, tmp: Path) -> None:
        root = RamFs()
        for d in ("host", "enc", "img"):
            root.root().mkdir(d, 0o755)
        self.vfs = Vfs(root)
        self.host = tmp / "host"
        self.host.mkdir()
        self.vfs.mount("/host", HostFs(self.host))
        self.vfs.mount("/enc", SeFs(tmp / "sefs", bytes(range(32))))
        (tmp / "image").mkdir()
        image = IntegrityFs(tmp / "build", build_image(tmp / "image", tmp / "build").root)
        self.vfs.mount("/img", UnionFs(RamFs(), [image]))
        self.kernel = Kernel(self.vfs, NoExecutor())
        self.wasi = WasiSyscalls(self.kernel)
        self.sys = OcclumSyscalls(self.kernel, self.wasi)
        self.p = first_process(self.kernel)

    def mode(self, path: str, flags: int = 0, fd: int = AT_FDCWD) -> int:
        return int(self.sys.fstatat(self.p, fd, path, flags)[2])

    def errno(self, fn: Callable[..., object], *args: object) -> Errno:
        with pytest.raises(KernelError) as e:
            fn(self.p, *args)
        return e.value.errno


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


@pytest.mark.parametrize("where", ["/", "/host/", "/enc/", "/img/"])
@pytest.mark.parametrize(("mode", "umask"), [(0o600, 0o022), (0o644, 0o022), (0o777, 0o077),
                                             (0o4755, 0o002)])
def test_created_file_gets_mode_less_umask(env: Env, where: str, mode: int, umask: int) -> None:
    env.p.umask = umask
    fd = env.sys.openat(env.p, AT_FDCWD, where + "f", O_RDWR | O_CREAT | O_EXCL, mode)
    assert env.mode("", AT_EMPTY_PATH, fd) == S_IFREG | (mode & ~umask)
    # An existing file keeps its mode, whatever the new open asks for.
    again = env.sys.openat(env.p, AT_FDCWD, where + "f", O_RDWR | O_CREAT, 0o666)
    assert env.mode("", AT_EMPTY_PATH, again) == S_IFREG | (mode & ~umask)
    assert env.errno(env.sys.openat, AT_FDCWD, where + "f",
                     O_RDWR | O_CREAT | O_EXCL, 0o600) == Errno.EEXIST


def test_host_file_gets_the_mode_on_the_host(env: Env) -> None:
    env.p.umask = 0o022
    env.sys.openat(env.p, AT_FDCWD, "/host/f", O_WRONLY | O_CREAT, 0o640)
    assert (env.host / "f").stat().st_mode & 0o7777 == 0o640


def test_flags_fds_and_directories(env: Env) -> None:
    fd = env.sys.openat(env.p, AT_FDCWD, "/f", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    assert fd == 0  # lowest free
    assert env.p.fds.entry(fd).cloexec
    env.wasi.fd_write(env.p, fd, b"ab")
    env.wasi.fd_seek(env.p, fd, 0, 0)
    env.wasi.fd_write(env.p, fd, b"cd")  # O_APPEND: at the end, not at 0
    rd = env.sys.openat(env.p, AT_FDCWD, "/f", 0, 0)
    assert not env.p.fds.entry(rd).cloexec
    assert env.wasi.fd_read(env.p, rd, 10) == b"abcd"
    assert env.errno(env.wasi.fd_write, rd, b"x") == Errno.EBADF  # read-only
    env.sys.openat(env.p, AT_FDCWD, "/f", O_WRONLY | O_TRUNC, 0)
    assert env.sys.fstatat(env.p, AT_FDCWD, "/f", 0)[6] == 0
    # A directory fd opened here can create files below it, relative to it.
    env.wasi.path_create_directory(env.p, ROOT_FD, "d")
    d = env.sys.openat(env.p, AT_FDCWD, "/d", O_DIRECTORY, 0)
    assert env.p.fds.get(d).rights_inheriting == RIGHTS_ALL
    assert env.mode("/d") == S_IFDIR | 0o755
    env.sys.openat(env.p, d, "g", O_WRONLY | O_CREAT, 0o600)
    assert env.mode("/d/g") == S_IFREG | 0o600
    env.sys.openat(env.p, 999, "/abs", O_WRONLY | O_CREAT, 0o600)  # absolute: fd ignored


def test_errors(env: Env) -> None:
    fd = env.sys.openat(env.p, AT_FDCWD, "/f", O_WRONLY | O_CREAT, 0o600)
    assert env.errno(env.sys.openat, AT_FDCWD, "/nope", 0, 0) == Errno.ENOENT
    assert env.errno(env.sys.openat, fd, "x", O_CREAT, 0o600) == Errno.ENOTDIR
    assert env.errno(env.sys.openat, 42, "x", 0, 0) == Errno.EBADF
    assert env.errno(env.sys.openat, AT_FDCWD, "/f", O_DIRECTORY, 0) == Errno.ENOTDIR
    assert env.errno(env.sys.openat, AT_FDCWD, "/host", O_WRONLY, 0) == Errno.EISDIR
