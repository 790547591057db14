"""syscalls/files.py on plain values, over every file system the default instance
mounts: statfs types and capacities, fallocate's modes and errors, O_TMPFILE,
record locks and flock between processes (and their release on close), and
getdents64 records. tests/linux/programs/files_*.c compare the same calls with Linux."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.devfs import DevFs
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.integrityfs import IntegrityFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Vfs
from pyocclum.image.manifest import build_image
from pyocclum.kernel import FdTable, Kernel, Process
from pyocclum.kernel.fdtable import ROOT_FD
from pyocclum.syscalls.files import (
    F_GETLK,
    F_OFD_SETLK,
    F_SETLK,
    FALLOC_FL_COLLAPSE_RANGE,
    FALLOC_FL_INSERT_RANGE,
    FALLOC_FL_KEEP_SIZE,
    FALLOC_FL_PUNCH_HOLE,
    FALLOC_FL_ZERO_RANGE,
    FUSE_SUPER_MAGIC,
    INTEGRITY_MAGIC,
    LOCK_EX,
    LOCK_NB,
    LOCK_SH,
    OVERLAYFS_SUPER_MAGIC,
    SEFS_MAGIC,
    ST_RDONLY,
    TMPFS_MAGIC,
    FileSyscalls,
)
from pyocclum.syscalls.occlum import AT_EMPTY_PATH, AT_FDCWD, OcclumSyscalls
from pyocclum.syscalls.paths import PathSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL = 0, 1, 2, 0o100, 0o200
O_DIRECTORY, O_TMPFILE = 0o200000, 0o20200000
F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2


class Env:
    """A ramfs root with ``/host`` (hostfs), ``/enc`` (sefs), ``/img`` (unionfs of a
    ramfs over an integrity image), ``/ro`` (the image itself) and ``/dev``."""

    def __init__(self, tmp: Path) -> None:
        root = RamFs(capacity=1 << 20)
        for d in ("host", "enc", "img", "ro", "dev"):
            root.root().mkdir(d, 0o755)
        self.vfs = Vfs(root)
        self.host = tmp / "host"
        self.host.mkdir()
        self.vfs.mount("/host", HostFs(self.host))
        self.vfs.mount("/enc", SeFs(tmp / "sefs", bytes(range(32))))
        (tmp / "image").mkdir()
        (tmp / "image" / "data").write_bytes(b"x" * 10000)
        image = IntegrityFs(tmp / "build", build_image(tmp / "image", tmp / "build").root)
        self.vfs.mount("/img", UnionFs(SeFs(tmp / "upper", bytes(32)), [image]))
        self.vfs.mount("/ro", image)
        self.vfs.mount("/dev", DevFs())
        self.kernel = Kernel(self.vfs, NoExecutor())
        self.wasi = WasiSyscalls(self.kernel)
        self.occlum = OcclumSyscalls(self.kernel, self.wasi)
        self.files = FileSyscalls(self.kernel, self.wasi)
        self.p = first_process(self.kernel)

    def other_process(self) -> Process:
        fds = FdTable(64)
        fds.install_at(ROOT_FD, self.kernel.root_file())
        return Process(pid=2, ppid=1, path="/bin/t", argv=[b"/bin/t"], env=[],
                       cwd=self.vfs.root(), fds=fds, start_ns=0)

    def open(self, path: str, flags: int = O_RDWR | O_CREAT, p: Process | None = None) -> int:
        return self.occlum.openat(p or self.p, AT_FDCWD, path, flags, 0o644)

    def errno(self, fn: Callable[..., object], *args: object, p: Process | None = None) -> Errno:
        with pytest.raises(KernelError) as e:
            fn(p or self.p, *args)
        return e.value.errno


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


# -- statfs -------------------------------------------------------------------------
def test_statfs_types_capacities_and_flags(env: Env, tmp_path: Path) -> None:
    def stats(path: str) -> tuple[int, ...]:
        return env.files.statfs(env.p, AT_FDCWD, path, 0)

    ram = stats("/")
    assert ram[0] == TMPFS_MAGIC
    assert ram[1] == 4096
    assert ram[8] == 255
    assert ram[2] == (1 << 20) // 4096
    assert ram[3] == ram[2]
    fd = env.open("/f")
    env.wasi.fd_write(env.p, fd, b"x" * 5000)
    assert stats("/")[3] == ram[2] - 2  # two blocks used
    host = os.statvfs(tmp_path)
    for path, magic in (("/host", FUSE_SUPER_MAGIC), ("/enc", SEFS_MAGIC),
                        ("/img", OVERLAYFS_SUPER_MAGIC)):
        s = stats(path)
        assert s[0] == magic
        assert s[2] == host.f_blocks * host.f_frsize // 4096  # the host's capacity
        assert not s[10] & ST_RDONLY
    ro = stats("/ro/data")
    assert ro[0] == INTEGRITY_MAGIC
    assert ro[10] & ST_RDONLY
    assert ro[2] >= 3
    assert ro[3] == 0
    assert stats("/dev")[0] == TMPFS_MAGIC
    # fstatfs: AT_EMPTY_PATH with an empty path names the fd; errors as a path walk.
    assert env.files.statfs(env.p, fd, "", AT_EMPTY_PATH)[7] == ram[7]
    assert env.errno(env.files.statfs, AT_FDCWD, "/missing", 0) == Errno.ENOENT
    assert env.errno(env.files.statfs, AT_FDCWD, "/f/x", 0) == Errno.ENOTDIR
    assert env.errno(env.files.statfs, 99, "", AT_EMPTY_PATH) == Errno.EBADF
    assert env.errno(env.files.statfs, AT_FDCWD, "/", 0x4) == Errno.EINVAL


# -- fallocate ----------------------------------------------------------------------
@pytest.mark.parametrize("where", ["/enc/", "/img/", "/host/"])
def test_fallocate_modes(env: Env, where: str) -> None:
    fd = env.open(where + "f")
    env.wasi.fd_write(env.p, fd, b"abcdefghij")

    def data() -> bytes:
        return env.wasi.fd_pread(env.p, fd, 1 << 16, 0)

    env.files.fallocate(env.p, fd, 0, 8, 4)
    assert data() == b"abcdefghij\0\0"
    env.files.fallocate(env.p, fd, FALLOC_FL_KEEP_SIZE, 0, 100)
    assert len(data()) == 12
    env.files.fallocate(env.p, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1, 2)
    assert data() == b"a\0\0defghij\0\0"
    env.files.fallocate(env.p, fd, FALLOC_FL_ZERO_RANGE, 10, 6)
    assert data() == b"a\0\0defghij" + bytes(6)
    blocks = b"".join(bytes([65 + i]) * 4096 for i in range(3))
    env.wasi.fd_pwrite(env.p, fd, blocks, 0)
    env.files.fallocate(env.p, fd, FALLOC_FL_COLLAPSE_RANGE, 4096, 4096)
    assert data() == b"A" * 4096 + b"C" * 4096
    env.files.fallocate(env.p, fd, FALLOC_FL_INSERT_RANGE, 0, 4096)
    assert data() == bytes(4096) + b"A" * 4096 + b"C" * 4096
    assert env.errno(env.files.fallocate, fd, FALLOC_FL_COLLAPSE_RANGE, 100, 4096) == Errno.EINVAL


def test_fallocate_errors_in_linux_order(env: Env) -> None:
    fd = env.open("/enc/f")
    ro = env.open("/enc/f", O_RDONLY)
    r, w = env.occlum.pipe2(env.p, 0)
    null = env.open("/dev/null", O_WRONLY)
    cases = [
        ((99, 0, -1, 1), Errno.EBADF),
        ((fd, 0, -1, 1), Errno.EINVAL),
        ((fd, 0, 0, 0), Errno.EINVAL),
        ((fd, 0x100, 0, 1), Errno.ENOTSUP),
        ((fd, FALLOC_FL_PUNCH_HOLE, 0, 1), Errno.ENOTSUP),
        ((fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE, 0, 1), Errno.ENOTSUP),
        ((fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096), Errno.ENOTSUP),
        ((ro, 0, 0, 1), Errno.EBADF),
        ((r, 0, 0, 1), Errno.EBADF),
        ((w, 0, 0, 1), Errno.ESPIPE),
        ((null, 0, 0, 1), Errno.ENODEV),
        ((fd, 0, (1 << 63) - 10, 100), Errno.EFBIG),
    ]
    for args, errno in cases:
        assert env.errno(env.files.fallocate, *args) == errno, args
    # ramfs is like Linux's tmpfs: PUNCH_HOLE yes, ZERO_RANGE no.
    tmp = env.open("/t")
    env.files.fallocate(env.p, tmp, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10)
    assert env.errno(env.files.fallocate, tmp, FALLOC_FL_ZERO_RANGE, 0, 10) == Errno.ENOTSUP


# -- O_TMPFILE ----------------------------------------------------------------------
@pytest.mark.parametrize("where", ["/", "/enc", "/img", "/host"])
def test_tmpfile_is_unnamed(env: Env, where: str) -> None:
    before = sorted(e.name for e in env.vfs.resolve(env.vfs.root(), where).inode.entries())
    fd = env.files.open_tmpfile(env.p, AT_FDCWD, where, O_TMPFILE | O_RDWR, 0o600)
    env.wasi.fd_write(env.p, fd, b"hello")
    assert env.wasi.fd_pread(env.p, fd, 10, 0) == b"hello"
    st = env.occlum.fstatat(env.p, fd, "", AT_EMPTY_PATH)
    assert st[2] == 0o100600
    assert st[3] == 0
    assert st[6] == 5
    after = sorted(e.name for e in env.vfs.resolve(env.vfs.root(), where).inode.entries())
    assert after == before


@pytest.mark.parametrize("where", ["/", "/enc", "/img"])
def test_tmpfile_can_be_named_once_with_linkat(env: Env, where: str) -> None:
    """Linux's I_LINKABLE: linkat(fd, "", AT_EMPTY_PATH) names an O_TMPFILE file
    (not one made with O_EXCL, nor a file that was unlinked)."""
    paths = PathSyscalls(env.kernel)
    base = where.rstrip("/")
    fd = env.files.open_tmpfile(env.p, AT_FDCWD, where, O_TMPFILE | O_RDWR, 0o600)
    env.wasi.fd_write(env.p, fd, b"hello")
    paths.linkat(env.p, fd, "", AT_FDCWD, f"{base}/named", AT_EMPTY_PATH)
    by_fd = env.occlum.fstatat(env.p, fd, "", AT_EMPTY_PATH)
    by_name = env.occlum.fstatat(env.p, AT_FDCWD, f"{base}/named", 0)
    assert by_fd[3] == by_name[3] == 1  # nlink
    assert by_fd[1] == by_name[1]  # the same file
    named = env.open(f"{base}/named", O_RDWR)
    assert env.wasi.fd_pread(env.p, named, 10, 0) == b"hello"
    assert env.errno(paths.linkat, fd, "", AT_FDCWD, f"{base}/named", AT_EMPTY_PATH) \
        == Errno.EEXIST
    paths.linkat(env.p, fd, "", AT_FDCWD, f"{base}/second", AT_EMPTY_PATH)  # a plain link now
    assert env.occlum.fstatat(env.p, fd, "", AT_EMPTY_PATH)[3] == 2
    # Unlinked again, it is an ordinary removed file.
    paths.unlinkat(env.p, AT_FDCWD, f"{base}/named", 0)
    paths.unlinkat(env.p, AT_FDCWD, f"{base}/second", 0)
    assert env.errno(paths.linkat, fd, "", AT_FDCWD, f"{base}/back", AT_EMPTY_PATH) \
        == Errno.ENOENT
    excl = env.files.open_tmpfile(env.p, AT_FDCWD, where, O_TMPFILE | O_RDWR | O_EXCL, 0o600)
    assert env.errno(paths.linkat, excl, "", AT_FDCWD, f"{base}/excl", AT_EMPTY_PATH) \
        == Errno.ENOENT
    gone = env.open(f"{base}/gone")
    paths.unlinkat(env.p, AT_FDCWD, f"{base}/gone", 0)
    assert env.errno(paths.linkat, gone, "", AT_FDCWD, f"{base}/gone2", AT_EMPTY_PATH) \
        == Errno.ENOENT


def test_a_named_tmpfile_on_sefs_survives_a_remount(tmp_path: Path) -> None:
    """Taken off sefs's orphan list when named: a remount does not free it."""
    vfs = Vfs(RamFs())
    vfs.root().inode.mkdir("enc", 0o755)
    vol = SeFs(tmp_path / "vol", bytes(range(32)))
    vfs.mount("/enc", vol)
    kernel = Kernel(vfs, NoExecutor())
    wasi = WasiSyscalls(kernel)
    files, paths = FileSyscalls(kernel, wasi), PathSyscalls(kernel)
    p = first_process(kernel)
    fd = files.open_tmpfile(p, AT_FDCWD, "/enc", O_TMPFILE | O_RDWR, 0o600)
    wasi.fd_write(p, fd, b"kept")
    paths.linkat(p, fd, "", AT_FDCWD, "/enc/kept", AT_EMPTY_PATH)
    wasi.fd_close(p, fd)
    vol.close()
    again = SeFs(tmp_path / "vol", bytes(range(32)))
    assert again.root().lookup("kept").read(0, 10) == b"kept"


def test_tmpfile_errors(env: Env) -> None:
    env.open("/file")

    def err(path: str, flags: int, dirfd: int = AT_FDCWD) -> Errno:
        return env.errno(env.files.open_tmpfile, dirfd, path, flags, 0o600)

    assert err("/", O_TMPFILE | O_RDONLY) == Errno.EINVAL
    assert err("/", O_TMPFILE | O_RDWR | O_CREAT) == Errno.EINVAL
    assert err("/", O_TMPFILE & ~O_DIRECTORY | O_RDWR) == Errno.EINVAL
    assert err("/file", O_TMPFILE | O_RDWR) == Errno.ENOTDIR
    assert err("/missing", O_TMPFILE | O_RDWR) == Errno.ENOENT
    assert err("/ro", O_TMPFILE | O_RDWR) == Errno.EROFS
    assert err("/dev", O_TMPFILE | O_RDWR) == Errno.ENOTSUP
    assert err("d", O_TMPFILE | O_RDWR, 99) == Errno.EBADF


# -- locks --------------------------------------------------------------------------
FLOCK = struct.Struct("<hhqqi")


def lock(env: Env, p: Process, fd: int, cmd: int, kind: int, start: int = 0,
         length: int = 0, whence: int = 0) -> tuple[int, int, int, int, int]:
    return env.files.lock(p, fd, cmd, (kind, whence, start, length, 0))


def test_record_locks_between_processes_and_release_on_close(env: Env) -> None:
    q = env.other_process()
    a = env.open("/enc/f")
    b = env.open("/enc/f", O_RDWR, q)
    lock(env, env.p, a, F_SETLK, F_WRLCK, 0, 10)
    assert lock(env, q, b, F_GETLK, F_RDLCK, 5, 1) == (F_WRLCK, 0, 0, 10, 1)
    assert env.errno(env.files.lock, b, F_SETLK, (F_RDLCK, 0, 5, 1, 0), p=q) == Errno.EAGAIN
    # SEEK_END -2: bytes 8..9 of the 10-byte file, inside the lock.
    env.wasi.fd_write(env.p, a, b"0123456789")
    assert env.errno(env.files.lock, b, F_SETLK, (F_WRLCK, 2, -2, 2, 0), p=q) == Errno.EAGAIN
    lock(env, q, b, F_SETLK, F_WRLCK, 10, 0)  # 10.. to end of file is free
    # Closing ANOTHER fd of the file in the owning process drops its locks.
    other = env.open("/enc/f", O_RDONLY)
    env.wasi.fd_close(env.p, other)
    assert lock(env, q, b, F_GETLK, F_WRLCK, 0, 10)[0] == F_UNLCK
    # ... and the other process's locks go when its table closes everything (exit).
    q.fds.close_all()
    assert lock(env, env.p, a, F_GETLK, F_WRLCK, 0, 0)[0] == F_UNLCK
    assert env.errno(env.files.lock, a, F_SETLK, None) == Errno.EFAULT
    assert env.errno(env.files.lock, a, 99, (F_WRLCK, 0, 0, 0, 0)) == Errno.EINVAL


def test_ofd_and_flock_belong_to_the_description(env: Env) -> None:
    a = env.open("/f")
    b = env.open("/f")
    lock(env, env.p, a, F_OFD_SETLK, F_WRLCK)
    assert env.errno(env.files.lock, b, F_OFD_SETLK, (F_RDLCK, 0, 0, 1, 0)) == Errno.EAGAIN
    d = env.occlum.dup(env.p, a)
    env.wasi.fd_close(env.p, d)  # not the last fd of the description: kept
    assert env.errno(env.files.lock, b, F_SETLK, (F_RDLCK, 0, 0, 1, 0)) == Errno.EAGAIN
    env.wasi.fd_close(env.p, a)  # the last: gone
    lock(env, env.p, b, F_SETLK, F_RDLCK)
    env.files.flock(env.p, b, LOCK_SH)
    c = env.open("/f")
    env.files.flock(env.p, c, LOCK_SH | LOCK_NB)
    assert env.errno(env.files.flock, c, LOCK_EX | LOCK_NB) == Errno.EAGAIN
    env.wasi.fd_close(env.p, b)
    env.files.flock(env.p, c, LOCK_EX | LOCK_NB)
    assert env.errno(env.files.flock, c, 0) == Errno.EINVAL


# -- getdents64 ---------------------------------------------------------------------
def test_getdents64_records_and_paging(env: Env) -> None:
    env.vfs.resolve(env.vfs.root(), "/enc").inode.mkdir("d", 0o755)
    for name in ("a", "bb", "ccc"):
        env.open(f"/enc/d/{name}")
    fd = env.open("/enc/d", O_RDONLY | O_DIRECTORY)
    names: list[tuple[bytes, int]] = []
    calls = 0
    while True:
        buf = env.files.getdents64(env.p, fd, 40)  # one record at a time
        calls += 1
        if not buf:
            break
        off = 0
        while off < len(buf):
            _ino, next_off, reclen, dtype = struct.unpack_from("<QqHB", buf, off)
            assert reclen % 8 == 0
            assert next_off == len(names) + 1
            names.append((buf[off + 19:off + reclen].split(b"\0")[0], dtype))
            off += reclen
    assert names == [(b".", 4), (b"..", 4), (b"a", 8), (b"bb", 8), (b"ccc", 8)]
    assert calls == 6
    assert env.files.getdents64(env.p, fd, 16) == b""  # at the end: nothing, however small
    env.p.fds.get(fd).seek(0, 0)  # lseek(fd, 0, SEEK_SET) rewinds
    assert env.errno(env.files.getdents64, fd, 16) == Errno.EINVAL
    assert env.errno(env.files.getdents64, env.open("/enc/d/a"), 100) == Errno.ENOTDIR
