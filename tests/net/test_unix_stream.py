"""AF_UNIX SOCK_STREAM inside the kernel: connections, data, EOF/EPIPE, backlog,
shutdown and poll bits, peek, WAITALL, names and credentials."""

from __future__ import annotations

import contextlib
import struct
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, Waitable, WouldBlock
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Location, Vfs
from pyocclum.net import unix_core
from pyocclum.net.addr import UnixAddr
from pyocclum.net.socket import (
    MSG_PEEK,
    MSG_WAITALL,
    SHUT_RD,
    SHUT_RDWR,
    SHUT_WR,
    SOCK_DGRAM,
    SOCK_STREAM,
    SOL_SOCKET,
    Credentials,
    Socket,
)
from pyocclum.net.unix import UnixNamespace, unix_socket, unix_socketpair
from pyocclum.net.unix_core import MIN_SNDBUF

POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP = 0x1, 0x4, 0x8, 0x10, 0x2000
ME = Credentials(10, 1000, 1001)
OTHER = Credentials(20, 2000, 2001)


def errno_of(fn: object, *args: object) -> Errno:
    assert callable(fn)
    with pytest.raises(KernelError) as info:
        fn(*args)
    return info.value.errno

def assert_woken(w: Waitable) -> None:
    """``w`` was notified since it was made: waiting on it returns at once."""
    t0 = time.monotonic()
    w.wait(5)
    assert time.monotonic() - t0 < 2.5


@pytest.fixture
def vfs() -> Vfs:
    v = Vfs(RamFs())
    v.root().inode.mkdir("tmp", 0o777)
    return v


@pytest.fixture
def ns(vfs: Vfs) -> UnixNamespace:
    return UnixNamespace(vfs)


@pytest.fixture
def at(vfs: Vfs) -> Location:
    return vfs.resolve(vfs.root(), "/tmp")


def send(s: Socket, data: bytes) -> int:
    return s.sendmsg(data, 0, None, None, [], ME)  # type: ignore[arg-type]


def listener(ns: UnixNamespace, at: Location, path: bytes = b"srv", backlog: int = 5) -> Socket:
    s = unix_socket(SOCK_STREAM, OTHER, ns)
    s.bind(UnixAddr(path=path), at)
    s.listen(backlog)
    return s


def connected(ns: UnixNamespace, at: Location) -> tuple[Socket, Socket, Socket]:
    srv = listener(ns, at)
    c = unix_socket(SOCK_STREAM, ME, ns)
    c.connect(UnixAddr(path=b"srv"), at)
    a, _ = srv.accept()
    return srv, c, a


def test_echo_over_a_path(ns: UnixNamespace, at: Location) -> None:
    _srv, c, a = connected(ns, at)
    assert send(c, b"hello") == 5
    got = a.recvmsg(100, 0, 0)
    assert got.data == b"hello"
    assert send(a, got.data.upper()) == 5
    assert c.recvmsg(100, 0, 0).data == b"HELLO"
    assert c.getpeername() == UnixAddr(path=b"srv")
    assert a.getsockname() == UnixAddr(path=b"srv")
    assert c.getsockname() == UnixAddr()
    assert a.getpeername() == UnixAddr()
    # read()/write() are the flagless recv/send
    assert c.write(b"xy") == 2
    assert a.read(10) == b"xy"


def test_accept_waits_then_wakes(ns: UnixNamespace, at: Location) -> None:
    srv = listener(ns, at)
    with pytest.raises(WouldBlock) as info:
        srv.accept()
    assert not srv.poll_events() & POLLIN
    c = unix_socket(SOCK_STREAM, ME, ns)
    t = threading.Thread(target=c.connect, args=(UnixAddr(path=b"srv"), at))
    t.start()
    assert_woken(info.value.waitable)  # returns at once: the connect notified
    t.join()
    assert srv.poll_events() & POLLIN
    _a, peer = srv.accept()
    assert peer == UnixAddr()


def test_recv_wouldblock_then_eof_and_epipe(ns: UnixNamespace, at: Location) -> None:
    _, c, a = connected(ns, at)
    with pytest.raises(WouldBlock):
        a.recvmsg(10, 0, 0)
    send(c, b"last")
    c.close()
    assert a.recvmsg(10, 0, 0).data == b"last"
    assert a.recvmsg(10, 0, 0).data == b""  # EOF
    assert errno_of(send, a, b"x") == Errno.EPIPE
    ev = a.poll_events()
    assert ev & POLLHUP
    assert ev & POLLIN
    assert ev & POLLRDHUP


def test_close_with_unread_data_resets_the_peer(ns: UnixNamespace, at: Location) -> None:
    _, c, a = connected(ns, at)
    send(c, b"unread by a")
    a.close()
    assert c.poll_events() & POLLERR
    assert errno_of(c.recvmsg, 10, 0, 0) == Errno.ECONNRESET
    assert c.recvmsg(10, 0, 0).data == b""


def test_backlog_full_blocks_connect(ns: UnixNamespace, at: Location) -> None:
    srv = listener(ns, at, backlog=1)
    clients = [unix_socket(SOCK_STREAM, ME, ns) for _ in range(3)]
    clients[0].connect(UnixAddr(path=b"srv"), at)
    clients[1].connect(UnixAddr(path=b"srv"), at)  # Linux: full only past the backlog
    with pytest.raises(WouldBlock):
        clients[2].connect(UnixAddr(path=b"srv"), at)
    srv.accept()
    clients[2].connect(UnixAddr(path=b"srv"), at)


def test_connect_errors(ns: UnixNamespace, at: Location, vfs: Vfs) -> None:
    c = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(c.connect, UnixAddr(path=b"nothing"), at) == Errno.ENOENT
    assert errno_of(c.connect, UnixAddr(abstract=b"nothing"), at) == Errno.ECONNREFUSED
    s = unix_socket(SOCK_STREAM, ME, ns)
    s.bind(UnixAddr(path=b"bound"), at)  # bound, not listening
    assert errno_of(c.connect, UnixAddr(path=b"bound"), at) == Errno.ECONNREFUSED
    s.close()  # the node stays, nobody is bound
    assert vfs.resolve(at, "bound").inode.stat().filetype.name == "SOCKET_STREAM"
    assert errno_of(c.connect, UnixAddr(path=b"bound"), at) == Errno.ECONNREFUSED
    d = unix_socket(SOCK_DGRAM, ME, ns)
    d.bind(UnixAddr(path=b"dgram"), at)
    assert errno_of(c.connect, UnixAddr(path=b"dgram"), at) == Errno.EPROTOTYPE
    vfs.resolve(at, ".").inode.create("file", 0o644)
    assert errno_of(c.connect, UnixAddr(path=b"file"), at) == Errno.ECONNREFUSED
    assert errno_of(c.connect, UnixAddr(path=b"file/x"), at) == Errno.ENOTDIR


def test_bind_errors_and_unlink(ns: UnixNamespace, at: Location, vfs: Vfs) -> None:
    s = unix_socket(SOCK_STREAM, ME, ns)
    s.bind(UnixAddr(path=b"/tmp/sock"), at)
    assert errno_of(s.bind, UnixAddr(path=b"/tmp/other"), at) == Errno.EINVAL
    t = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(t.bind, UnixAddr(path=b"sock"), at) == Errno.EADDRINUSE
    assert errno_of(t.bind, UnixAddr(path=b"/tmp"), at) == Errno.EADDRINUSE
    assert errno_of(t.bind, UnixAddr(path=b"/no/such"), at) == Errno.ENOENT
    # unlink removes the name; the socket stays bound but unreachable
    s.listen(1)
    at.inode.unlink("sock")
    c = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(c.connect, UnixAddr(path=b"sock"), at) == Errno.ENOENT
    t.bind(UnixAddr(path=b"sock"), at)  # the name is free again
    t.listen(1)
    c.connect(UnixAddr(path=b"sock"), at)
    a, _ = t.accept()
    send(c, b"to t")
    assert a.recvmsg(10, 0, 0).data == b"to t"


def test_abstract_names_are_freed_on_close(ns: UnixNamespace, at: Location) -> None:
    s = unix_socket(SOCK_STREAM, ME, ns)
    s.bind(UnixAddr(abstract=b"name"), at)
    t = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(t.bind, UnixAddr(abstract=b"name"), at) == Errno.EADDRINUSE
    assert ns.abstract_names == [b"name"]
    s.close()
    assert ns.abstract_names == []
    t.bind(UnixAddr(abstract=b"name"), at)
    assert t.getsockname() == UnixAddr(abstract=b"name")


def test_autobind(ns: UnixNamespace, at: Location) -> None:
    s = unix_socket(SOCK_STREAM, ME, ns)
    s.bind(UnixAddr(), at)
    name = s.getsockname()
    assert isinstance(name, UnixAddr)
    assert name.abstract is not None
    assert len(name.abstract) == 5


def test_shutdown_write_and_read(ns: UnixNamespace, at: Location) -> None:
    a, b = unix_socketpair(SOCK_STREAM, ME, ns)
    assert a.poll_events() == POLLOUT | 0x100 | 0x200
    send(a, b"x")
    a.shutdown(SHUT_WR)
    assert errno_of(send, a, b"y") == Errno.EPIPE
    ev = b.poll_events()
    assert ev & POLLIN
    assert ev & POLLRDHUP
    assert not ev & POLLHUP
    assert b.recvmsg(10, 0, 0).data == b"x"
    assert b.recvmsg(10, 0, 0).data == b""
    send(b, b"back")  # the other direction still works
    assert a.recvmsg(10, 0, 0).data == b"back"
    b.shutdown(SHUT_RD)  # a may not send any more: the peer does not read
    assert errno_of(send, a, b"z") == Errno.EPIPE
    a.shutdown(SHUT_RDWR)
    assert a.poll_events() & POLLHUP
    assert b.poll_events() & POLLHUP
    assert errno_of(a.shutdown, 7) == Errno.EINVAL


def test_fresh_and_listening_poll_bits(ns: UnixNamespace, at: Location) -> None:
    s = unix_socket(SOCK_STREAM, ME, ns)
    assert s.poll_events() == POLLHUP | POLLOUT | 0x100 | 0x200  # as Linux: TCP_CLOSE
    srv = listener(ns, at)
    assert srv.poll_events() == 0
    c = unix_socket(SOCK_STREAM, ME, ns)
    c.connect(UnixAddr(path=b"srv"), at)
    assert srv.poll_events() == POLLIN | 0x40


def test_peek(ns: UnixNamespace, at: Location) -> None:
    a, b = unix_socketpair(SOCK_STREAM, ME, ns)
    send(a, b"abc")
    send(a, b"def")
    assert b.recvmsg(4, MSG_PEEK, 0).data == b"abcd"
    assert b.nread() == 6
    assert b.recvmsg(8, MSG_WAITALL, 0).data == b"abcdef"  # what is there (the caller loops)
    with pytest.raises(WouldBlock):
        b.recvmsg(8, MSG_PEEK, 0)


def test_send_buffer_limits_and_wakes(ns: UnixNamespace) -> None:
    a, b = unix_socketpair(SOCK_STREAM, ME, ns)
    a.setsockopt(SOL_SOCKET, 7, struct.pack("<i", 4096))
    assert a.getsockopt(SOL_SOCKET, 7, 4) == struct.pack("<i", 8192)
    assert send(a, b"y" * 10000) == 8192
    assert not a.poll_events() & POLLOUT
    with pytest.raises(WouldBlock) as info:
        send(a, b"z")
    b.recvmsg(8000, 0, 0)
    assert_woken(info.value.waitable)  # woken by the read (returns at once)
    assert a.poll_events() & POLLOUT
    assert send(a, b"z") == 1


def test_sockets_share_one_budget(ns: UnixNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past UNIX_BYTES_SOFT queued in the kernel's sockets together, each sender may
    have only MIN_SNDBUF queued (slowed, not cut off: a socket with less queued still
    sends); what a reader takes or a close drops is given back."""
    monkeypatch.setattr(unix_core, "UNIX_BYTES_SOFT", 100_000)
    pairs = [unix_socketpair(SOCK_STREAM, ME, ns) for _ in range(3)]
    (a, b), (c, d), (e, f) = pairs
    assert send(a, b"a" * 150_000) == 150_000  # under the budget: SO_SNDBUF holds
    assert ns.queued == 150_000
    assert c.poll_events() & POLLOUT  # nothing queued yet
    assert send(c, b"c" * 10_000) == MIN_SNDBUF  # over it: MIN_SNDBUF each
    assert not c.poll_events() & POLLOUT
    with pytest.raises(WouldBlock):
        send(c, b"c")
    assert not a.poll_events() & POLLOUT
    with pytest.raises(WouldBlock):
        send(a, b"a")
    assert ns.queued == 150_000 + MIN_SNDBUF
    b.recvmsg(100_000, 0, 0)  # the budget is back: SO_SNDBUF again
    assert ns.queued == 50_000 + MIN_SNDBUF
    assert c.poll_events() & POLLOUT
    assert send(c, b"c" * 10_000) == 10_000
    b.close()  # dropping a's unread bytes gives them back too
    assert ns.queued == MIN_SNDBUF + 10_000
    for s_ in (a, c, d, e, f):
        s_.close()
    assert ns.queued == 0


def test_peercred_and_options(ns: UnixNamespace, at: Location) -> None:
    srv, c, a = connected(ns, at)
    ucred = struct.Struct("<iII")
    assert ucred.unpack(c.getsockopt(SOL_SOCKET, 17, 12)) == (20, 2000, 2001)  # the listener's
    assert ucred.unpack(a.getsockopt(SOL_SOCKET, 17, 12)) == (10, 1000, 1001)  # the client's
    fresh = unix_socket(SOCK_STREAM, ME, ns)
    assert ucred.unpack(fresh.getsockopt(SOL_SOCKET, 17, 12)) == (0, 0xFFFFFFFF, 0xFFFFFFFF)
    p, _ = unix_socketpair(SOCK_STREAM, ME, ns)
    assert ucred.unpack(p.getsockopt(SOL_SOCKET, 17, 12)) == (10, 1000, 1001)

    def opt(s: Socket, name: int) -> int:
        return int(struct.unpack("<i", s.getsockopt(SOL_SOCKET, name, 4))[0])

    assert opt(c, 3) == SOCK_STREAM  # SO_TYPE
    assert opt(srv, 30) == 1
    assert opt(c, 30) == 0
    assert opt(c, 39) == 1
    assert opt(c, 38) == 0
    assert opt(c, 4) == 0  # SO_ERROR
    c.setsockopt(SOL_SOCKET, 16, struct.pack("<i", 1))  # SO_PASSCRED
    assert opt(c, 16) == 1
    c.setsockopt(SOL_SOCKET, 8, struct.pack("<i", 10000))
    assert opt(c, 8) == 20000
    assert errno_of(c.getsockopt, SOL_SOCKET, 999, 4) == Errno.ENOPROTOOPT
    assert errno_of(c.setsockopt, SOL_SOCKET, 3, struct.pack("<i", 1)) == Errno.ENOPROTOOPT
    assert errno_of(c.getsockopt, 6, 1, 4) == Errno.ENOTSUP  # TCP level: EOPNOTSUPP


def test_state_errors(ns: UnixNamespace, at: Location) -> None:
    s = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(send, s, b"x") == Errno.ENOTCONN
    assert errno_of(s.recvmsg, 1, 0, 0) == Errno.EINVAL
    assert errno_of(s.listen, 1) == Errno.EINVAL  # unbound
    assert errno_of(s.accept) == Errno.EINVAL
    assert errno_of(s.getpeername) == Errno.ENOTCONN
    s.shutdown(SHUT_RDWR)  # Linux: no ENOTCONN for AF_UNIX
    a, _ = unix_socketpair(SOCK_STREAM, ME, ns)
    assert errno_of(a.connect, UnixAddr(path=b"x"), at) == Errno.EISCONN
    assert errno_of(a.sendmsg, b"x", 0, UnixAddr(path=b"x"), at, [], ME) == Errno.EISCONN
    assert errno_of(unix_socket, 99, ME, ns) == Errno.EPROTONOSUPPORT


def test_listener_close_resets_pending_clients(ns: UnixNamespace, at: Location) -> None:
    srv = listener(ns, at)
    c = unix_socket(SOCK_STREAM, ME, ns)
    c.connect(UnixAddr(path=b"srv"), at)
    send(c, b"never read")
    srv.close()
    assert errno_of(c.recvmsg, 10, 0, 0) == Errno.ECONNRESET
    assert errno_of(send, c, b"x") == Errno.EPIPE


@settings(max_examples=40, deadline=None)
@given(
    writes=st.lists(st.binary(min_size=0, max_size=3000), max_size=30),
    reads=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=30),
)
def test_bytes_out_equal_bytes_in(writes: list[bytes], reads: list[int]) -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(SOCK_STREAM, ME, ns)
    a.setsockopt(SOL_SOCKET, 7, struct.pack("<i", 2500))  # a small buffer: partial sends
    pending = b"".join(writes)
    expect = pending
    got = bytearray()
    i = 0
    while pending or b.nread():
        if pending:
            try:
                n = send(a, pending)
                assert 0 < n <= len(pending)
                pending = pending[n:]
            except WouldBlock:
                pass
        with contextlib.suppress(WouldBlock):
            got += b.recvmsg(reads[i % len(reads)], 0, 0).data
        assert ns.queued == b.nread() == a.wmem  # the kernel-wide count follows every byte
        i += 1
    assert bytes(got) == expect
    assert ns.queued == 0


def test_shutdown_wakes_a_listener_with_einval(ns: UnixNamespace, at: Location) -> None:
    srv = listener(ns, at)
    with pytest.raises(WouldBlock) as info:
        srv.accept()
    srv.shutdown(SHUT_RD)
    assert_woken(info.value.waitable)  # returns at once: notified
    assert errno_of(srv.accept) == Errno.EINVAL
    c = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(c.connect, UnixAddr(path=b"srv"), at) == Errno.ECONNREFUSED


def test_bind_of_a_bound_socket_in_linux_order(ns: UnixNamespace, at: Location, vfs: Vfs) -> None:
    s = unix_socket(SOCK_STREAM, ME, ns)
    s.bind(UnixAddr(path=b"first"), at)
    at.inode.create("file", 0o644)
    assert errno_of(s.bind, UnixAddr(path=b"file"), at) == Errno.EADDRINUSE  # the path first
    assert errno_of(s.bind, UnixAddr(path=b"fresh"), at) == Errno.EINVAL
    assert errno_of(vfs.resolve, at, "fresh") == Errno.ENOENT  # no node left behind
    assert errno_of(s.bind, UnixAddr(path=b"no/dir"), at) == Errno.ENOENT
    assert errno_of(s.bind, UnixAddr(abstract=b"a"), at) == Errno.EINVAL
    s.bind(UnixAddr(), at)  # autobind of a bound socket: nothing, no error
    assert s.getsockname() == UnixAddr(path=b"first")
    assert errno_of(s.disconnect) == Errno.EINVAL
