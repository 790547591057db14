"""AF_UNIX through the kernel's calls (syscalls/net.py and the file calls), on
a kernel that runs no programs: socket nodes seen by stat/readdir/open/unlink,
waits woken by the other side, fd passing between two processes."""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable, Iterator

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import FdTable, Kernel, Process
from pyocclum.net import addr as A
from pyocclum.syscalls.events import POLLFD, EventsSyscalls
from pyocclum.syscalls.net import NetSyscalls
from pyocclum.syscalls.occlum import OcclumSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

AF_UNIX, SOCK_STREAM, SOCK_DGRAM, SOCK_NONBLOCK = 1, 1, 2, 0x800
MSG_WAITALL = 0x100
POLLIN, POLLOUT, POLLHUP = 0x1, 0x4, 0x10
S_IFMT, S_IFSOCK = 0o170000, 0o140000
AT_FDCWD = -100
WASI_SOCKET_STREAM = 6


class Env:
    def __init__(self) -> None:
        self.kernel = Kernel(Vfs(RamFs()), NoExecutor())
        self.p = first_process(self.kernel)
        self.net = NetSyscalls(self.kernel)
        self.wasi = WasiSyscalls(self.kernel)
        self.occlum = OcclumSyscalls(self.kernel, self.wasi)
        self.ev = EventsSyscalls(self.kernel)

    def errno(self, fn: Callable[..., object], *args: object) -> Errno:
        with pytest.raises(KernelError) as e:
            fn(self.p, *args)
        return e.value.errno

    def other(self) -> Process:
        """A second process with an empty fd table."""
        return Process(pid=2, ppid=1, path="/bin/o", argv=[b"/bin/o"], env=[],
                       cwd=self.kernel.vfs.root(), fds=FdTable(64), start_ns=0)

    def server(self, path: bytes, type_: int = SOCK_STREAM) -> int:
        fd = self.net.socket(self.p, AF_UNIX, type_, 0)
        self.net.bind(self.p, fd, A.encode(A.UnixAddr(path=path)))
        if type_ == SOCK_STREAM:
            self.net.listen(self.p, fd, 0)
        return fd

    def poll1(self, p: Process, fd: int, events: int) -> int:
        out, _ = self.ev.poll(p, [(fd, events, 0)], POLLFD.size, 0, None)
        return int(POLLFD.unpack_from(out)[2]) & 0xFFFF


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    yield e
    e.p.fds.close_all()


def later(action: Callable[[], object]) -> threading.Thread:
    t = threading.Thread(target=action)
    t.start()
    return t


def test_socket_node_in_stat_readdir_open_unlink(env: Env) -> None:
    env.server(b"/s.sock")
    mode = env.occlum.fstatat(env.p, AT_FDCWD, "/s.sock", 0)[2]
    assert mode & S_IFMT == S_IFSOCK
    assert env.errno(env.occlum.openat, AT_FDCWD, "/s.sock", 0, 0) == Errno.ENXIO
    root = env.occlum.openat(env.p, AT_FDCWD, "/", 0o200000, 0)  # O_DIRECTORY
    listing = env.wasi.fd_readdir(env.p, root, 4096, 0)
    # a dirent: d_next u64, d_ino u64, d_namlen u32, d_type u8 (+3 padding), name
    assert b"s.sock" in listing
    at = listing.index(b"s.sock")
    assert listing[at - 4] == WASI_SOCKET_STREAM
    env.wasi.path_unlink_file(env.p, root, "s.sock")
    c = env.net.socket(env.p, AF_UNIX, SOCK_STREAM, 0)
    assert env.errno(env.net.connect, c, A.encode(A.UnixAddr(path=b"/s.sock"))) == Errno.ENOENT


def test_blocking_connect_waits_for_room_in_the_backlog(env: Env) -> None:
    srv = env.server(b"/b.sock")  # backlog 0: one connection may wait
    addr = A.encode(A.UnixAddr(path=b"/b.sock"))
    first = env.net.socket(env.p, AF_UNIX, SOCK_STREAM, 0)
    env.net.connect(env.p, first, addr)
    nb = env.net.socket(env.p, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)
    assert env.errno(env.net.connect, nb, addr) == Errno.EAGAIN
    other = env.other()
    blocked = env.net.socket(other, AF_UNIX, SOCK_STREAM, 0)
    done = threading.Event()

    def connect() -> None:
        env.net.connect(other, blocked, addr)
        done.set()

    t = later(connect)
    assert not done.wait(0.2)  # really waits
    env.net.accept4(env.p, srv, 0, 128)
    assert done.wait(5)
    t.join()


def test_waitall_gathers_across_writes(env: Env) -> None:
    a, b = env.net.socketpair(env.p, AF_UNIX, SOCK_STREAM, 0)
    env.net.sendmsg(env.p, a, b"12345", 0, b"", [])
    t = later(lambda: env.net.sendmsg(env.p, a, b"67890", 0, b"", []))
    got = env.net.recvmsg(env.p, b, 10, MSG_WAITALL, 0, 0)
    t.join()
    assert got[0] == b"1234567890"


def test_poll_on_a_unix_socket_and_a_pipe(env: Env) -> None:
    a, b = env.net.socketpair(env.p, AF_UNIX, SOCK_STREAM, 0)
    r, w = env.occlum.pipe2(env.p, 0)
    fds = [(b, POLLIN, 0), (r, POLLIN, 0)]
    t = later(lambda: env.net.sendmsg(env.p, a, b"wake", 0, b"", []))
    out, n = env.ev.poll(env.p, fds, POLLFD.size * 2, 5_000_000_000, None)
    t.join()
    assert n == 1
    assert POLLFD.unpack_from(out, 0)[2] & POLLIN
    assert not POLLFD.unpack_from(out, POLLFD.size)[2]
    env.p.fds.close(a)
    assert env.poll1(env.p, b, POLLIN) & (POLLIN | POLLHUP) == POLLIN | POLLHUP
    env.p.fds.close(w)


def test_pass_a_pipe_end_to_another_process(env: Env) -> None:
    srv = env.server(b"/pass.sock")
    other = env.other()
    c = env.net.socket(other, AF_UNIX, SOCK_STREAM, 0)
    env.net.connect(other, c, A.encode(A.UnixAddr(path=b"/pass.sock")))
    _, conn = env.net.accept4(env.p, srv, 0, 128)
    r, w = env.occlum.pipe2(env.p, 0)
    env.net.sendmsg(env.p, conn, b"here", 0, b"", [(w,)])
    env.p.fds.close(w)
    data, _, fds, count, flags = env.net.recvmsg(other, c, 10, 0, 0, 4)
    assert (data, count, flags) == (b"here", 4, 0)
    (w_other,) = (int.from_bytes(fds, "little", signed=True),)
    assert env.wasi.fd_write(other, w_other, b"via the passed end") == 18
    assert env.wasi.fd_read(env.p, r, 100) == b"via the passed end"
    other.fds.close_all()
    assert env.wasi.fd_read(env.p, r, 100) == b""  # the last write end went with it


def test_peercred_names_the_process_that_connected_and_the_one_that_listened(
    env: Env,
) -> None:
    # Both sockets are made by pid 1 and handed to pid 2 (inherited, as by spawn):
    # Linux takes the credentials at connect and listen, not at socket.
    other = env.other()
    srv = env.net.socket(env.p, AF_UNIX, SOCK_STREAM, 0)
    c = env.net.socket(env.p, AF_UNIX, SOCK_STREAM, 0)
    other.fds.install(env.p.fds.get(srv).acquire())
    other.fds.install(env.p.fds.get(c).acquire())
    env.net.bind(env.p, srv, A.encode(A.UnixAddr(path=b"/cred.sock")))
    env.net.listen(other, srv, 1)
    env.net.connect(other, c, A.encode(A.UnixAddr(path=b"/cred.sock")))
    _, conn = env.net.accept4(env.p, srv, 0, 128)
    SO_PEERCRED = 17
    ucred = struct.Struct("<iII")
    assert ucred.unpack(env.net.getsockopt(env.p, conn, 1, SO_PEERCRED, 12))[0] == other.pid
    assert ucred.unpack(env.net.getsockopt(env.p, c, 1, SO_PEERCRED, 12))[0] == other.pid
    other.fds.close_all()


def test_dgram_sendto_a_path_and_recvfrom(env: Env) -> None:
    srv = env.server(b"/d.sock", SOCK_DGRAM)
    c = env.net.socket(env.p, AF_UNIX, SOCK_DGRAM, 0)
    env.net.bind(env.p, c, A.encode(A.UnixAddr(abstract=b"client")))
    env.net.sendmsg(env.p, c, b"dgram", 0, A.encode(A.UnixAddr(path=b"/d.sock")), [])
    data, addr, _, _, _ = env.net.recvmsg(env.p, srv, 100, 0, 128, 0)
    assert data == b"dgram"
    assert A.decode(addr) == A.UnixAddr(abstract=b"client")


@pytest.mark.parametrize("type_", [SOCK_STREAM, 5])  # SOCK_SEQPACKET
def test_two_threads_move_a_megabyte_through_a_small_buffer(env: Env, type_: int) -> None:
    a, b = env.net.socketpair(env.p, AF_UNIX, type_, 0)
    env.net.setsockopt(env.p, a, 1, 7, (4096).to_bytes(4, "little"))  # SO_SNDBUF 8192
    chunks = [bytes([i % 251]) * (1 + (i * 7919) % 4000) for i in range(400)]
    expect = b"".join(chunks)
    got: list[bytes] = []

    def reader() -> None:
        have = 0
        while have < len(expect):
            data = env.net.recvmsg(env.p, b, 3000 if type_ == SOCK_STREAM else 8192, 0, 0, 0)[0]
            assert data
            got.append(data)
            have += len(data)

    t = later(reader)
    for c in chunks:
        assert env.net.sendmsg(env.p, a, c, 0, b"", []) == len(c)
    t.join(30)
    assert not t.is_alive()
    assert b"".join(got) == expect
    if type_ != SOCK_STREAM:
        assert got == chunks  # boundaries kept
