"""What every socket is to the kernel: a :class:`Stream` with the socket calls.

Two families implement it: :mod:`pyocclum.net.inet` (AF_INET and AF_INET6,
each over a non-blocking host socket) and :mod:`pyocclum.net.unix` (AF_UNIX,
entirely inside the LibOS). The syscall layer (``syscalls/net.py``) decodes
the guest's ``struct sockaddr`` bytes with :mod:`pyocclum.net.addr`, finds the
socket behind an fd, and calls the methods below with plain Python values.

Contract shared by all methods:

* Nothing blocks. An operation that cannot make progress now raises
  :class:`~pyocclum.errors.WouldBlock` with a waitable that wakes when it may
  (the syscall layer then sleeps, or answers EAGAIN for a non-blocking
  description or ``MSG_DONTWAIT``). ``waitq`` is notified on every change of
  readiness, and :meth:`poll_events` answers Linux's ``POLL*`` bits now
  (``kernel/readiness.py``), so ``poll``/``select``/``epoll`` need nothing more.
* Errors are :class:`~pyocclum.errors.KernelError` with Linux's errno
  (EADDRINUSE, ECONNREFUSED, ENOTCONN, EISCONN, EPIPE, ...). A stream send to
  a peer that has gone raises EPIPE; the syscall layer adds SIGPIPE.
* File descriptions passed with SCM_RIGHTS travel as :class:`OpenFile`
  references: :meth:`Socket.sendmsg` takes ownership of the references it is
  handed (one ``acquire`` each, done by the caller) and :meth:`Socket.recvmsg`
  hands ownership to the caller, which installs them in the receiver's fd
  table. A socket that is closed with rights still queued releases them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.types import Stream

if TYPE_CHECKING:
    from pyocclum.fs.file import OpenFile
    from pyocclum.fs.vfs import Location
    from pyocclum.net.addr import SockAddr

# Linux's values (x86-64), the ones the ABI uses.
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET = 1, 2, 5
SOCK_NONBLOCK, SOCK_CLOEXEC = 0x800, 0x80000
SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6 = 1, 0, 6, 17, 41
MSG_OOB, MSG_PEEK, MSG_CTRUNC, MSG_TRUNC, MSG_DONTWAIT = 0x1, 0x2, 0x8, 0x20, 0x40
MSG_EOR, MSG_WAITALL, MSG_NOSIGNAL, MSG_CMSG_CLOEXEC = 0x80, 0x100, 0x4000, 0x40000000
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
#: Most fds one SCM_RIGHTS message carries (Linux's SCM_MAX_FD).
SCM_MAX_FD = 253


class Credentials:
    """Who made a socket (for SO_PEERCRED): Linux's ``struct ucred``.

    Immutable, compared and hashed by value. (A plain class: ``dataclasses``
    pulls ``inspect``, ``ast`` and ``dis`` into every run's start-up.)"""

    __match_args__ = ("pid", "uid", "gid")
    pid: int
    uid: int
    gid: int

    def __init__(self, pid: int, uid: int, gid: int) -> None:
        object.__setattr__(self, "pid", pid)
        object.__setattr__(self, "uid", uid)
        object.__setattr__(self, "gid", gid)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def _key(self) -> tuple[int, int, int]:
        return (self.pid, self.uid, self.gid)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Credentials)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Credentials(pid={self.pid!r}, uid={self.uid!r}, gid={self.gid!r})"


class Received:
    """One :meth:`Socket.recvmsg` result (compared by value; a plain class, as
    :class:`Credentials`)."""

    __match_args__ = ("data", "addr", "rights", "msg_flags", "full_length")
    data: bytes
    #: The sender's address (datagrams; unconnected receives), or None.
    addr: SockAddr | None
    #: Descriptions passed with SCM_RIGHTS; the caller now owns these references.
    rights: list[OpenFile]
    #: ``MSG_TRUNC``, ``MSG_CTRUNC``, ``MSG_EOR`` as Linux sets them in ``msg_flags``.
    msg_flags: int
    #: For MSG_TRUNC on a datagram socket: the datagram's full length.
    full_length: int | None

    def __init__(
        self, data: bytes, addr: SockAddr | None = None, rights: list[OpenFile] | None = None,
        msg_flags: int = 0, full_length: int | None = None,
    ) -> None:
        self.data = data
        self.addr = addr
        self.rights = [] if rights is None else rights
        self.msg_flags = msg_flags
        self.full_length = full_length

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Received)
        return (self.data, self.addr, self.rights, self.msg_flags, self.full_length) == (
            other.data, other.addr, other.rights, other.msg_flags, other.full_length)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def __repr__(self) -> str:
        return (f"Received(data={self.data!r}, addr={self.addr!r}, rights={self.rights!r}, "
                f"msg_flags={self.msg_flags!r}, full_length={self.full_length!r})")


class Socket(Stream):
    """A socket. Defaults fail as Linux does for a socket that cannot do the call."""

    family: int
    type: int
    protocol: int
    #: SO_RCVTIMEO and SO_SNDTIMEO in seconds (0: none): set and enforced by the
    #: syscall layer (it does the waiting), for ``read``/``write`` too.
    rcvtimeo: float = 0.0
    sndtimeo: float = 0.0

    def bind(self, addr: SockAddr, at: Location) -> None:
        """Give the socket a local address (``at``: the caller's cwd, for AF_UNIX paths)."""
        raise KernelError(Errno.ENOTSUP, "bind is not supported on this socket")

    def listen(self, backlog: int) -> None:
        raise KernelError(Errno.ENOTSUP, "listen is not supported on this socket")

    def accept(self) -> tuple[Socket, SockAddr | None]:
        """A connection from the queue, and its peer's address; WouldBlock if none."""
        raise KernelError(Errno.ENOTSUP, "accept is not supported on this socket")

    def connect(self, addr: SockAddr, at: Location) -> None:
        """Connect. Raises WouldBlock while a connection is in progress: a
        non-blocking caller then answers EINPROGRESS (the first time) or EALREADY,
        a blocking one sleeps and calls :meth:`connect` again until it returns."""
        raise KernelError(Errno.ENOTSUP, "connect is not supported on this socket")

    def sendmsg(
        self, data: bytes, flags: int, addr: SockAddr | None, at: Location,
        rights: list[OpenFile], creds: Credentials,
    ) -> int:
        """Send ``data`` (and ``rights``); the count sent. WouldBlock if nothing fits."""
        raise KernelError(Errno.ENOTSUP, "send is not supported on this socket")

    def recvmsg(self, size: int, flags: int, rights_room: int) -> Received:
        """Receive up to ``size`` bytes; at most ``rights_room`` descriptions (the
        rest are released and MSG_CTRUNC set). WouldBlock if nothing is there;
        ``Received(b"")`` at the end of a stream."""
        raise KernelError(Errno.ENOTSUP, "recv is not supported on this socket")

    def shutdown(self, how: int) -> None:
        raise KernelError(Errno.ENOTCONN, "socket is not connected")

    def getsockname(self) -> SockAddr:
        raise KernelError(Errno.ENOTSUP, "getsockname is not supported on this socket")

    def getpeername(self) -> SockAddr:
        raise KernelError(Errno.ENOTCONN, "socket is not connected")

    def getsockopt(self, level: int, name: int, size: int) -> bytes:
        """The option's value as Linux's bytes (ints: 4 bytes little-endian)."""
        raise KernelError(Errno.ENOPROTOOPT, f"unknown socket option {level}/{name}")

    def setsockopt(self, level: int, name: int, value: bytes) -> None:
        raise KernelError(Errno.ENOPROTOOPT, f"unknown socket option {level}/{name}")

    def poll_events(self) -> int:
        """Linux's ``POLL*`` bits now (see ``kernel/readiness.py``)."""
        raise NotImplementedError

    def nread(self) -> int:
        """Bytes a read would return now (``ioctl(FIONREAD)``)."""
        return 0

    # Stream: read and write are recv and send without flags.
    def read(self, size: int) -> bytes:
        return self.recvmsg(size, 0, 0).data

    def readable_now(self) -> bool:
        return bool(self.poll_events() & 0x1)

    def writable_now(self) -> bool:
        return bool(self.poll_events() & 0x4)

    def hung_up(self) -> bool:
        return bool(self.poll_events() & 0x10)
