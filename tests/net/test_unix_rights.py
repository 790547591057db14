"""SCM_RIGHTS over AF_UNIX: descriptions travel with the bytes they were sent
with, are handed over (or released past the room, MSG_CTRUNC), and released
when a socket closes with them queued."""

from __future__ import annotations

import pytest

from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.file import OpenFile
from pyocclum.ipc.pipe import Pipe
from pyocclum.net.socket import (
    MSG_CTRUNC,
    MSG_PEEK,
    SOCK_DGRAM,
    SOCK_SEQPACKET,
    SOCK_STREAM,
    Credentials,
    Socket,
)
from pyocclum.net.unix import UnixNamespace, unix_socketpair

ME = Credentials(1, 0, 0)


def pipe_files() -> tuple[OpenFile, OpenFile]:
    p = Pipe()
    r = OpenFile(inode=None, stream=p.reader, path="pipe:", filetype=FileType.UNKNOWN,
                 readable=True, writable=False)
    w = OpenFile(inode=None, stream=p.writer, path="pipe:", filetype=FileType.UNKNOWN,
                 readable=False, writable=True)
    return r, w


def refs(f: OpenFile) -> int:
    return f._refs


def send(s: Socket, data: bytes, rights: list[OpenFile]) -> int:
    # The caller's acquire, as the syscall layer does for each passed fd.
    return s.sendmsg(data, 0, None, None, [f.acquire() for f in rights], ME)  # type: ignore[arg-type]


@pytest.mark.parametrize("type_", [SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET])
def test_pass_a_pipe_end(type_: int) -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(type_, ME, ns)
    r, w = pipe_files()
    assert send(a, b"fd", [w]) == 2
    w.release()  # the sender closes its fd: the queued reference keeps the pipe open
    assert not r.stream.hung_up()  # type: ignore[union-attr]
    got = b.recvmsg(10, 0, 5)
    assert got.data == b"fd"
    assert got.msg_flags == 0
    (w2,) = got.rights
    assert w2 is w  # the same description
    assert w2.write(b"through the passed end") == 22
    assert r.read(100) == b"through the passed end"
    w2.release()
    assert r.read(100) == b""  # last writer gone: EOF


def test_stream_recv_stops_after_a_write_with_rights() -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(SOCK_STREAM, ME, ns)
    r, w = pipe_files()
    send(a, b"plain-", [])
    send(a, b"with", [w])
    send(a, b"after", [])
    got = b.recvmsg(100, 0, 5)
    assert got.data == b"plain-with"
    assert got.rights == [w]
    assert b.recvmsg(100, 0, 5).data == b"after"
    # rights belong to the first byte: a partial read takes them, the rest comes without
    send(a, b"0123456789", [r])
    got = b.recvmsg(3, 0, 5)
    assert (got.data, got.rights) == (b"012", [r])
    got = b.recvmsg(100, 0, 5)
    assert (got.data, got.rights) == (b"3456789", [])


def test_rights_past_the_room_are_released_and_ctrunc() -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(SOCK_DGRAM, ME, ns)
    r, w = pipe_files()
    send(a, b"x", [r, w])
    assert refs(r) == 2
    assert refs(w) == 2
    got = b.recvmsg(10, 0, 1)
    assert got.rights == [r]
    assert got.msg_flags & MSG_CTRUNC
    assert refs(w) == 1
    assert refs(r) == 2


def test_peek_hands_new_references() -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(SOCK_STREAM, ME, ns)
    _r, w = pipe_files()
    send(a, b"p", [w])
    assert refs(w) == 2
    peeked = b.recvmsg(10, MSG_PEEK, 5)
    assert peeked.rights == [w]
    assert refs(w) == 3
    got = b.recvmsg(10, 0, 5)
    assert got.rights == [w]
    assert refs(w) == 3
    for f in peeked.rights + got.rights:
        f.release()
    assert refs(w) == 1


@pytest.mark.parametrize("type_", [SOCK_STREAM, SOCK_DGRAM])
def test_close_with_rights_queued_releases_them(type_: int) -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(type_, ME, ns)
    r, w = pipe_files()
    send(a, b"x", [w])
    w.release()
    assert refs(w) == 1
    assert not r.stream.hung_up()  # type: ignore[union-attr]
    b.close()
    assert refs(w) == 0
    assert r.read(10) == b""  # the write end closed with the last reference


def test_empty_stream_write_passes_nothing() -> None:
    ns = UnixNamespace(None)
    a, _ = unix_socketpair(SOCK_STREAM, ME, ns)
    r, _w = pipe_files()
    assert send(a, b"", [r]) == 0
    assert refs(r) == 1  # Linux drops the rights of an empty stream write


def test_a_socket_passed_over_another() -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(SOCK_STREAM, ME, ns)
    c, d = unix_socketpair(SOCK_STREAM, ME, ns)
    cf = OpenFile(inode=None, stream=c, path="socket:", filetype=FileType.SOCKET_STREAM,
                  readable=True, writable=True)
    send(a, b"s", [cf])
    cf.release()
    (got,) = b.recvmsg(10, 0, 1).rights
    assert got.write(b"via c") == 5
    assert d.read(10) == b"via c"
    got.release()
    assert d.read(10) == b""  # c closed with its last reference


def test_a_failed_send_leaves_the_rights_to_the_caller() -> None:
    ns = UnixNamespace(None)
    a, b = unix_socketpair(SOCK_SEQPACKET, ME, ns)
    r, _w = pipe_files()
    b.close()
    with pytest.raises(KernelError):
        send(a, b"x", [r])  # EPIPE
    assert refs(r) == 2  # the caller's acquire: it releases it
    r.release()
    c, _d = unix_socketpair(SOCK_STREAM, ME, ns)
    c.setsockopt(1, 7, (4096).to_bytes(4, "little"))
    send(c, b"f" * 8192, [])
    with pytest.raises(WouldBlock):
        send(c, b"x", [r])
    assert refs(r) == 2
