"""AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: boundaries, MSG_TRUNC, addresses,
connected and unconnected sends, queue limits, EOF and poll bits."""

from __future__ import annotations

import struct
import time

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, Waitable, WouldBlock
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Location, Vfs
from pyocclum.net.addr import SockAddr, UnixAddr
from pyocclum.net.socket import (
    MSG_PEEK,
    MSG_TRUNC,
    SHUT_RD,
    SHUT_WR,
    SOCK_DGRAM,
    SOCK_SEQPACKET,
    SOCK_STREAM,
    SOL_SOCKET,
    Credentials,
    Socket,
)
from pyocclum.net.unix import UnixNamespace, unix_socket, unix_socketpair

POLLIN, POLLOUT, POLLHUP, POLLRDHUP = 0x1, 0x4, 0x10, 0x2000
ME = Credentials(10, 1000, 1001)


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
    return Vfs(RamFs())


@pytest.fixture
def ns(vfs: Vfs) -> UnixNamespace:
    return UnixNamespace(vfs)


@pytest.fixture
def at(vfs: Vfs) -> Location:
    return vfs.root()


def sendto(s: Socket, data: bytes, addr: SockAddr | None = None, at: Location | None = None) -> int:
    return s.sendmsg(data, 0, addr, at, [], ME)  # type: ignore[arg-type]


def fill(s: Socket, dgram: bytes) -> int:
    """Send ``dgram`` until WouldBlock; how many went."""
    n = 0
    while True:
        try:
            sendto(s, dgram)
        except WouldBlock:
            return n
        n += 1


def bound(ns: UnixNamespace, at: Location, name: bytes, type_: int = SOCK_DGRAM) -> Socket:
    s = unix_socket(type_, ME, ns)
    s.bind(UnixAddr(path=name), at)
    return s


def test_boundaries_and_trunc(ns: UnixNamespace, at: Location) -> None:
    r = bound(ns, at, b"r")
    w = bound(ns, at, b"w")
    assert sendto(w, b"one", UnixAddr(path=b"r"), at) == 3
    assert sendto(w, b"second", UnixAddr(path=b"/r"), at) == 6
    assert sendto(w, b"", UnixAddr(path=b"r"), at) == 0
    assert r.nread() == 3
    got = r.recvmsg(100, 0, 0)
    assert (got.data, got.addr, got.msg_flags) == (b"one", UnixAddr(path=b"w"), 0)
    got = r.recvmsg(3, 0, 0)  # the rest of the datagram is dropped
    assert (got.data, got.msg_flags & MSG_TRUNC) == (b"sec", MSG_TRUNC)
    assert got.full_length is None
    got = r.recvmsg(100, 0, 0)
    assert got.data == b""  # an empty datagram
    with pytest.raises(WouldBlock):
        r.recvmsg(100, 0, 0)
    sendto(w, b"abcdef", UnixAddr(path=b"r"), at)
    got = r.recvmsg(2, MSG_TRUNC | MSG_PEEK, 0)
    assert (got.data, got.full_length, got.msg_flags) == (b"ab", 6, MSG_TRUNC)
    assert r.recvmsg(10, 0, 0).data == b"abcdef"


def test_unnamed_sender_has_no_address(ns: UnixNamespace, at: Location) -> None:
    r = bound(ns, at, b"r")
    w = unix_socket(SOCK_DGRAM, ME, ns)
    sendto(w, b"x", UnixAddr(path=b"r"), at)
    assert r.recvmsg(10, 0, 0).addr is None
    w.setsockopt(SOL_SOCKET, 16, struct.pack("<i", 1))  # SO_PASSCRED: Linux names it
    sendto(w, b"x", UnixAddr(path=b"r"), at)
    got = r.recvmsg(10, 0, 0).addr
    assert isinstance(got, UnixAddr)
    assert got.abstract is not None
    assert got == w.getsockname()


def test_connected_dgram(ns: UnixNamespace, at: Location) -> None:
    r = bound(ns, at, b"r")
    w = unix_socket(SOCK_DGRAM, ME, ns)
    assert errno_of(sendto, w, b"x") == Errno.ENOTCONN
    w.connect(UnixAddr(path=b"r"), at)
    assert w.getpeername() == UnixAddr(path=b"r")
    assert sendto(w, b"hi") == 2
    assert r.recvmsg(10, 0, 0).data == b"hi"
    # r connected to someone else refuses others' datagrams
    other = bound(ns, at, b"other")
    r.connect(UnixAddr(path=b"other"), at)
    assert errno_of(sendto, w, b"x") == Errno.EPERM
    sendto(other, b"ok", UnixAddr(path=b"r"), at)
    assert r.recvmsg(10, 0, 0).data == b"ok"


def test_disconnect(ns: UnixNamespace, at: Location) -> None:
    r = bound(ns, at, b"r")
    w = unix_socket(SOCK_DGRAM, ME, ns)
    w.connect(UnixAddr(path=b"r"), at)
    r.connect(UnixAddr(path=b"r"), at)  # r is connected to itself: w may not send
    assert errno_of(sendto, w, b"x") == Errno.EPERM
    w.disconnect()
    assert errno_of(sendto, w, b"x") == Errno.ENOTCONN
    assert errno_of(w.getpeername) == Errno.ENOTCONN


def test_send_to_a_closed_peer(ns: UnixNamespace, at: Location) -> None:
    r = bound(ns, at, b"r")
    w = unix_socket(SOCK_DGRAM, ME, ns)
    w.connect(UnixAddr(path=b"r"), at)
    r.close()
    assert errno_of(sendto, w, b"x") == Errno.ECONNREFUSED
    assert errno_of(sendto, w, b"x") == Errno.ENOTCONN
    assert errno_of(sendto, w, b"x", UnixAddr(path=b"r"), at) == Errno.ECONNREFUSED
    assert errno_of(sendto, w, b"x", UnixAddr(path=b"none"), at) == Errno.ENOENT


def test_queue_limit_and_wakeup(ns: UnixNamespace, at: Location) -> None:
    r = bound(ns, at, b"r")
    w = unix_socket(SOCK_DGRAM, ME, ns)
    w.connect(UnixAddr(path=b"r"), at)
    sent = fill(w, b"d")
    assert sent == 11  # Linux: full past max_dgram_qlen (10)
    with pytest.raises(WouldBlock) as info:
        sendto(w, b"d")
    assert not w.poll_events() & POLLOUT
    r.recvmsg(10, 0, 0)
    assert_woken(info.value.waitable)  # woken by the receive
    assert w.poll_events() & POLLOUT
    sendto(w, b"d")


def test_socketpair_dgram_is_bounded_by_the_send_buffer(ns: UnixNamespace) -> None:
    a, b = unix_socketpair(SOCK_DGRAM, ME, ns)
    a.setsockopt(SOL_SOCKET, 7, struct.pack("<i", 4096))
    assert errno_of(sendto, a, b"x" * 9000) == Errno.EMSGSIZE
    n = fill(a, b"x" * 1000)
    assert n == 9  # more than max_dgram_qlen would allow: b is connected back to a
    assert len(b.recvmsg(5000, 0, 0).data) == 1000


def test_dgram_shutdown(ns: UnixNamespace) -> None:
    a, b = unix_socketpair(SOCK_DGRAM, ME, ns)
    b.shutdown(SHUT_RD)
    assert b.poll_events() & (POLLIN | POLLRDHUP) == POLLIN | POLLRDHUP
    assert b.recvmsg(10, 0, 0).data == b""
    assert errno_of(sendto, a, b"x") == Errno.EPIPE
    a.shutdown(SHUT_WR)
    assert errno_of(sendto, a, b"x") == Errno.EPIPE


def test_seqpacket_boundaries_eof_and_poll(ns: UnixNamespace, at: Location) -> None:
    srv = bound(ns, at, b"sp", SOCK_SEQPACKET)
    srv.listen(4)
    c = unix_socket(SOCK_SEQPACKET, ME, ns)
    assert c.poll_events() & POLLHUP  # unconnected seqpacket: TCP_CLOSE
    assert errno_of(c.recvmsg, 10, 0, 0) == Errno.ENOTCONN
    stream = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(stream.connect, UnixAddr(path=b"sp"), at) == Errno.EPROTOTYPE
    c.connect(UnixAddr(path=b"sp"), at)
    a, _ = srv.accept()
    assert sendto(c, b"first") == 5
    assert sendto(c, b"second") == 6
    got = a.recvmsg(3, 0, 0)
    assert (got.data, got.msg_flags) == (b"fir", MSG_TRUNC)
    assert a.recvmsg(100, 0, 0).data == b"second"
    assert sendto(c, b"x", UnixAddr(path=b"ignored"), at) == 1  # Linux ignores the address
    assert a.recvmsg(100, 0, 0).data == b"x"
    c.close()
    assert a.poll_events() & (POLLHUP | POLLIN | POLLRDHUP) == POLLHUP | POLLIN | POLLRDHUP
    assert a.recvmsg(100, 0, 0).data == b""
    assert errno_of(sendto, a, b"x") == Errno.EPIPE
