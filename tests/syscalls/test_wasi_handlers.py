"""WASI handlers on plain values: open flags, readdir cookies, rename, unlink, poll, times."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syscalls_harness import NoExecutor

from pyocclum.abi import wasi
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import EventType, FdFlags, FileType, LookupFlags, OFlags, Rights
from pyocclum.errors import KernelError, ProcessExit
from pyocclum.fs.devfs import DevFs
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream, BytesInputStream
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import FdTable, Kernel, Process
from pyocclum.kernel.fdtable import ROOT_FD
from pyocclum.syscalls.wasi import WasiSyscalls

FOLLOW = LookupFlags.SYMLINK_FOLLOW
RD = Rights.FD_READ | Rights.FD_READDIR
WR = Rights.FD_WRITE
RW = RD | WR


class Env:
    def __init__(self) -> None:
        fs = RamFs()
        fs.root().mkdir("dev", 0o755)
        fs.root().mkdir("tmp", 0o755)
        vfs = Vfs(fs)
        vfs.mount("/dev", DevFs(None))
        self.kernel = Kernel(vfs, NoExecutor())
        self.sys = WasiSyscalls(self.kernel)
        self.out = BufferStream()
        fds = FdTable(64)
        fds.install_at(0, self.stream(BytesInputStream(b"input"), True))
        fds.install_at(1, self.stream(self.out, False))
        fds.install_at(2, self.stream(self.out, False))
        fds.install_at(ROOT_FD, self.kernel.root_file())
        self.p = Process(pid=1, ppid=0, path="/bin/t", argv=[b"/bin/t", b"x"], env=[b"A=1"],
                         cwd=vfs.root(), fds=fds, start_ns=0)

    @staticmethod
    def stream(s: BufferStream | BytesInputStream, readable: bool) -> OpenFile:
        return OpenFile(inode=None, stream=s, path="stdio", filetype=FileType.UNKNOWN,
                        readable=readable, writable=not readable)

    def open(self, path: str, oflags: int = 0, rights: int = RD, fdflags: int = 0,
             follow: bool = True) -> int:
        return self.sys.path_open(self.p, ROOT_FD, FOLLOW if follow else 0, path, oflags,
                                  rights, rights, fdflags)

    def errno(self, fn: object, *args: object) -> Errno:
        assert callable(fn)
        with pytest.raises(KernelError) as e:
            fn(self.p, *args)
        return e.value.errno


@pytest.fixture
def env() -> Env:
    return Env()


def test_args_and_environ(env: Env) -> None:
    assert env.sys.args_sizes_get(env.p) == (2, len("/bin/t\0x\0"))
    assert env.sys.args_get(env.p) == [b"/bin/t", b"x"]
    assert env.sys.environ_sizes_get(env.p) == (1, 4)


def test_open_create_excl_trunc_append(env: Env) -> None:
    fd = env.open("f", OFlags.CREAT | OFlags.EXCL, RW)
    assert fd == 4
    assert env.sys.fd_write(env.p, fd, b"hello") == 5
    assert env.errno(env.sys.path_open, ROOT_FD, FOLLOW, "f", OFlags.CREAT | OFlags.EXCL,
                     RW, RW, 0) == Errno.EEXIST
    fd2 = env.open("f", 0, RW, FdFlags.APPEND)
    env.sys.fd_write(env.p, fd2, b"!")
    assert env.sys.fd_pread(env.p, fd, 100, 0) == b"hello!"
    fd3 = env.open("f", OFlags.TRUNC, WR)
    assert env.sys.fd_filestat_get(env.p, fd3)[4] == 0
    assert env.errno(env.sys.fd_read, fd3, 10) == Errno.EBADF  # write-only


def test_open_errors(env: Env) -> None:
    assert env.errno(env.sys.path_open, ROOT_FD, FOLLOW, "nope", 0, RD, RD, 0) == Errno.ENOENT
    assert env.errno(env.sys.path_open, ROOT_FD, FOLLOW, "tmp", 0, RW, RW, 0) == Errno.EISDIR
    env.open("f", OFlags.CREAT, RW)
    assert env.errno(env.sys.path_open, ROOT_FD, FOLLOW, "f", OFlags.DIRECTORY, RD, RD,
                     0) == Errno.ENOTDIR
    assert env.errno(env.sys.path_open, ROOT_FD, FOLLOW, "f/x", 0, RD, RD, 0) == Errno.ENOTDIR
    env.sys.path_symlink(env.p, "f", ROOT_FD, "link")
    assert env.errno(env.sys.path_open, ROOT_FD, 0, "link", 0, RD, RD, 0) == Errno.ELOOP
    assert env.errno(env.sys.path_open, ROOT_FD, FOLLOW, "f", 0x10, RD, RD, 0) == Errno.EINVAL


def test_seek_tell_and_holes(env: Env) -> None:
    fd = env.open("f", OFlags.CREAT, RW)
    assert env.sys.fd_seek(env.p, fd, 10, wasi.Whence.SET) == 10
    env.sys.fd_write(env.p, fd, b"x")
    assert env.sys.fd_tell(env.p, fd) == 11
    assert env.sys.fd_pread(env.p, fd, 20, 0) == b"\0" * 10 + b"x"
    assert env.sys.fd_seek(env.p, fd, -1, wasi.Whence.END) == 10
    assert env.errno(env.sys.fd_seek, fd, -100, wasi.Whence.CUR) == Errno.EINVAL
    assert env.errno(env.sys.fd_seek, 0, 0, wasi.Whence.SET) == Errno.ESPIPE


def test_readdir_cookies_are_stable(env: Env) -> None:
    for name in ["a", "b", "c"]:
        env.open(f"tmp/{name}", OFlags.CREAT, RW)
    fd = env.open("tmp", OFlags.DIRECTORY)
    whole = env.sys.fd_readdir(env.p, fd, 4096, 0)
    names = _dirent_names(whole)
    assert names == [".", "..", "a", "b", "c"]
    # Page with a small buffer: each call resumes from the last complete entry's cookie.
    seen: list[str] = []
    cookie = 0
    while True:
        chunk = env.sys.fd_readdir(env.p, fd, 30, cookie)
        entries = _dirents(chunk)
        if not entries:
            break
        d_next, name = entries[0]
        seen.append(name)
        cookie = d_next
        if name == "a":
            env.sys.path_unlink_file(env.p, ROOT_FD, "tmp/c")  # removal mid-listing
    # The listing started from cookie 0 is a snapshot: cookies stay valid.
    assert seen == [".", "..", "a", "b", "c"]
    assert _dirent_names(env.sys.fd_readdir(env.p, fd, 4096, 0)) == [".", "..", "a", "b"]


def _dirents(buf: bytes) -> list[tuple[int, str]]:
    out = []
    pos = 0
    while pos + wasi.DIRENT.size <= len(buf):
        d_next, _ino, namlen, _t = wasi.DIRENT.unpack_from(buf, pos)
        pos += wasi.DIRENT.size
        if pos + namlen > len(buf):
            break
        out.append((d_next, buf[pos:pos + namlen].decode()))
        pos += namlen
    return out


def _dirent_names(buf: bytes) -> list[str]:
    return [name for _, name in _dirents(buf)]


def test_rename_unlink_rmdir(env: Env) -> None:
    env.sys.path_create_directory(env.p, ROOT_FD, "d")
    env.open("d/f", OFlags.CREAT, RW)
    assert env.errno(env.sys.path_remove_directory, ROOT_FD, "d") == Errno.ENOTEMPTY
    assert env.errno(env.sys.path_unlink_file, ROOT_FD, "d") == Errno.EISDIR
    assert env.errno(env.sys.path_remove_directory, ROOT_FD, "d/f") == Errno.ENOTDIR
    assert env.errno(env.sys.path_rename, ROOT_FD, "d", ROOT_FD, "d/sub") == Errno.EINVAL
    assert env.errno(env.sys.path_rename, ROOT_FD, "d/f", ROOT_FD, "dev/f") == Errno.EXDEV
    env.sys.path_rename(env.p, ROOT_FD, "d", ROOT_FD, "e")
    env.sys.path_unlink_file(env.p, ROOT_FD, "e/f")
    env.sys.path_remove_directory(env.p, ROOT_FD, "e")
    assert env.errno(env.sys.path_filestat_get, ROOT_FD, 0, "e") == Errno.ENOENT
    assert env.errno(env.sys.path_remove_directory, ROOT_FD, "dev") == Errno.EBUSY
    assert env.errno(env.sys.path_create_directory, ROOT_FD, "tmp") == Errno.EEXIST


def test_links_and_readlink(env: Env) -> None:
    env.open("f", OFlags.CREAT, RW)
    env.sys.path_link(env.p, ROOT_FD, 0, "f", ROOT_FD, "g")
    assert env.sys.path_filestat_get(env.p, ROOT_FD, 0, "f")[3] == 2
    env.sys.path_symlink(env.p, "./f", ROOT_FD, "s")
    assert env.sys.path_readlink(env.p, ROOT_FD, "s", 100) == b"./f"
    assert env.sys.path_readlink(env.p, ROOT_FD, "s", 1) == b"."
    # WASI paths stay below their fd (wasmtime): no absolute symlink targets.
    assert env.errno(env.sys.path_symlink, "/f", ROOT_FD, "abs") == Errno.EPERM
    assert env.errno(env.sys.path_readlink, ROOT_FD, "f", 100) == Errno.EINVAL
    assert env.errno(env.sys.path_link, ROOT_FD, 0, "tmp", ROOT_FD, "t2") == Errno.EPERM
    st = env.sys.path_filestat_get(env.p, ROOT_FD, 0, "s")
    assert st[2] == FileType.SYMBOLIC_LINK
    assert env.sys.path_filestat_get(env.p, ROOT_FD, FOLLOW, "s")[2] == FileType.REGULAR_FILE


def test_times(env: Env) -> None:
    fd = env.open("f", OFlags.CREAT, RW)
    env.sys.fd_filestat_set_times(env.p, fd, 5_000, 7_000, 0b0101)
    st = env.sys.fd_filestat_get(env.p, fd)
    assert (st[5], st[6]) == (5_000, 7_000)
    before = time.time_ns()
    env.sys.path_filestat_set_times(env.p, ROOT_FD, FOLLOW, "f", 0, 0, 0b1010)
    assert env.sys.fd_filestat_get(env.p, fd)[6] >= before
    assert env.errno(env.sys.fd_filestat_set_times, fd, 0, 0, 0b0011) == Errno.EINVAL


def test_devices(env: Env) -> None:
    null = env.open("dev/null", 0, RW)
    assert env.sys.fd_write(env.p, null, b"x" * 100) == 100
    assert env.sys.fd_read(env.p, null, 10) == b""
    full = env.open("dev/full", 0, RW)
    assert env.errno(env.sys.fd_write, full, b"x") == Errno.ENOSPC
    zero = env.open("dev/zero", 0, RD)
    assert env.sys.fd_read(env.p, zero, 4) == b"\0\0\0\0"
    stdout = env.open("dev/stdout", 0, WR)
    env.sys.fd_write(env.p, stdout, b"via alias")
    assert env.out.getvalue() == b"via alias"
    ftype, _flags, rights, _inh = env.sys.fd_fdstat_get(env.p, null)
    assert ftype == FileType.CHARACTER_DEVICE
    assert rights & Rights.FD_SEEK  # not a tty: wasi-libc's isatty() says no


def test_prestat_only_root(env: Env) -> None:
    assert env.sys.fd_prestat_get(env.p, ROOT_FD) == (0, 1)
    assert env.sys.fd_prestat_dir_name(env.p, ROOT_FD, 1) == b"/"
    assert env.errno(env.sys.fd_prestat_get, 4) == Errno.EBADF
    # The preopen is the description, wherever fd_renumber moves it (as wasmtime).
    env.sys.fd_renumber(env.p, ROOT_FD, 1)
    assert env.sys.fd_prestat_get(env.p, 1) == (0, 1)
    assert env.errno(env.sys.fd_prestat_get, ROOT_FD) == Errno.EBADF
    assert env.errno(env.sys.fd_prestat_dir_name, 0, 8) == Errno.ENOTDIR


def test_fdstat_flags_and_rights(env: Env) -> None:
    fd = env.open("f", OFlags.CREAT, RW)
    env.sys.fd_fdstat_set_flags(env.p, fd, FdFlags.NONBLOCK | FdFlags.APPEND)
    assert env.sys.fd_fdstat_get(env.p, fd)[1] == FdFlags.NONBLOCK | FdFlags.APPEND
    # Rights follow the open mode and never change (wasmtime: ENOTSUP).
    assert env.errno(env.sys.fd_fdstat_set_rights, fd, Rights.FD_READ, 0) == Errno.ENOTSUP
    assert env.errno(env.sys.fd_fdstat_set_rights, 99, 0, 0) == Errno.EBADF
    assert env.sys.fd_fdstat_get(env.p, fd)[2] & Rights.FD_WRITE
    ro = env.open("f", 0, RD)
    assert not env.sys.fd_fdstat_get(env.p, ro)[2] & Rights.FD_WRITE


def test_poll_clock_and_readiness(env: Env) -> None:
    clock = wasi.SUBSCRIPTION_CLOCK.pack(wasi.ClockId.MONOTONIC, 20_000_000, 0, 0)
    t0 = time.monotonic()
    events = env.sys.poll_oneoff(env.p, [(42, EventType.CLOCK, clock.ljust(32, b"\0"))])
    assert time.monotonic() - t0 >= 0.019
    assert events == [(42, 0, EventType.CLOCK, 0, 0)]
    fd_sub = wasi.SUBSCRIPTION_FD.pack(0).ljust(32, b"\0")
    events = env.sys.poll_oneoff(env.p, [(1, EventType.FD_READ, fd_sub),
                                         (2, EventType.CLOCK, clock.ljust(32, b"\0"))])
    assert events[0][:3] == (1, 0, EventType.FD_READ)
    bad = wasi.SUBSCRIPTION_FD.pack(99).ljust(32, b"\0")
    # wasmtime: a bad fd fails the whole call, as does a clock that cannot be waited on.
    assert env.errno(env.sys.poll_oneoff, [(3, EventType.FD_WRITE, bad)]) == Errno.EBADF
    cpu = wasi.SUBSCRIPTION_CLOCK.pack(wasi.ClockId.PROCESS_CPUTIME_ID, 1, 0, 0)
    assert env.errno(env.sys.poll_oneoff, [(4, EventType.CLOCK, cpu.ljust(32, b"\0"))]) == (
        Errno.EINVAL)
    assert env.errno(env.sys.poll_oneoff, []) == Errno.EINVAL


def test_proc_exit_and_raise(env: Env) -> None:
    with pytest.raises(ProcessExit) as e:
        env.sys.proc_exit(env.p, 300)
    assert e.value.status == (300 & 0xFF) << 8
    with pytest.raises(ProcessExit) as e:
        env.sys.proc_raise(env.p, 15)  # WASI SIGTERM
    assert e.value.status == 15
    env.sys.proc_raise(env.p, 16)  # WASI SIGCHLD: ignored by default
    assert env.errno(env.sys.proc_raise, 99) == Errno.EINVAL


def test_random_and_sockets(env: Env) -> None:
    a, b = env.sys.random_get(env.p, 32), env.sys.random_get(env.p, 32)
    assert len(a) == 32
    assert a != b
    assert env.errno(env.sys.sock_send, 1, b"x", 0) == Errno.ENOTSOCK
    assert env.errno(env.sys.sock_recv, 77, 1, 0) == Errno.EBADF
    assert env.errno(env.sys.sock_shutdown, 1, 0) == Errno.ENOTSOCK


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["w", "seek", "trunc", "pread"]),
                              st.integers(0, 300), st.binary(max_size=40)), max_size=25))
def test_file_io_matches_a_bytearray_model(ops: list[tuple[str, int, bytes]]) -> None:
    env = Env()
    fd = env.open("model", OFlags.CREAT, RW)
    model = bytearray()
    pos = 0
    for op, n, data in ops:
        if op == "w":
            end = pos + len(data)
            if data and end > len(model):  # an empty write never extends (POSIX)
                model.extend(b"\0" * (end - len(model)))
            model[pos:end] = data
            pos = end
            assert env.sys.fd_write(env.p, fd, data) == len(data)
        elif op == "seek":
            pos = n
            assert env.sys.fd_seek(env.p, fd, n, wasi.Whence.SET) == n
        elif op == "trunc":
            del model[n:]
            model.extend(b"\0" * (n - len(model)))
            env.sys.fd_filestat_set_size(env.p, fd, n)
        else:
            assert env.sys.fd_pread(env.p, fd, 64, n) == bytes(model[n:n + 64])
    assert env.sys.fd_pread(env.p, fd, 10_000, 0) == bytes(model)


def test_occlum_lseek_is_linux_where_fd_seek_is_wasmtime(env: Env) -> None:
    d = env.open("dev", OFlags.DIRECTORY, RD)
    assert env.errno(env.sys.fd_seek, d, 0, 0) == Errno.EBADF  # wasmtime
    assert env.errno(env.sys.fd_tell, d) == Errno.EBADF
    assert env.sys.lseek(env.p, d, 0, 0) == 0  # Linux: a directory fd rewinds
    assert env.sys.lseek(env.p, d, 0, 1) == 0
    assert env.errno(env.sys.lseek, d, 0, 2) == Errno.EINVAL
    f = env.open("f", OFlags.CREAT, RW)
    env.sys.fd_write(env.p, f, b"0123456789")
    assert env.sys.lseek(env.p, f, 4, 3) == 4  # SEEK_DATA: all of a file is data
    assert env.sys.lseek(env.p, f, 4, 4) == 10  # SEEK_HOLE: the end
    assert env.errno(env.sys.lseek, f, 10, 3) == Errno.ENXIO
    assert env.errno(env.sys.lseek, f, 0, 5) == Errno.EINVAL
    assert env.errno(env.sys.lseek, f, -11, 2) == Errno.EINVAL
    assert env.errno(env.sys.lseek, 0, 0, 0) == Errno.ESPIPE  # stdin: a stream
    assert env.errno(env.sys.lseek, 99, 0, 0) == Errno.EBADF
