"""AF_INET and AF_INET6 sockets: TCP and UDP over non-blocking host sockets.

Each :class:`InetSocket` owns one host ``socket.socket`` (non-blocking, made
when the guest calls ``socket``), registered once with the kernel's
:class:`~pyocclum.net.reactor.Reactor`, whose events notify ``waitq``. The
host is Linux, so most of the protocol's answers are the host's own:
``poll_events`` is a zero-timeout host ``poll`` of the socket (POLLIN,
POLLOUT, POLLHUP, POLLRDHUP, POLLERR as Linux computes them, including for a
listening socket and a connect in progress), errors are the host's errno
mapped to the kernel's. What the kernel keeps itself: the socket's type,
family and protocol, and whether this connect call started the connection
(EINPROGRESS) or found one in progress (EALREADY). SO_RCVTIMEO/SO_SNDTIMEO
are the syscall layer's (it does the waiting).

An AF_INET6 socket starts with ``IPV6_V6ONLY`` off, Linux's default, whatever
the host's ``net.ipv6.bindv6only`` says. Options are passed to the host from
a fixed list (:data:`HOST_OPTIONS`); SO_TYPE, SO_DOMAIN, SO_PROTOCOL,
SO_ACCEPTCONN and SO_ERROR are answered here. The host socket is closed when
the last open file description of the socket goes (:meth:`close`), so a
listening socket inherited by prefork workers stays open while any has it.
"""

from __future__ import annotations

import array
import ctypes
import errno as host_errno
import fcntl
import select
import socket
import struct
import termios
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from pyocclum.abi.errno import Errno, from_host
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.waitq import WaitQueue
from pyocclum.net.addr import InetAddr, SockAddr
from pyocclum.net.reactor import Reactor
from pyocclum.net.socket import (
    AF_INET,
    AF_INET6,
    IPPROTO_IP,
    IPPROTO_IPV6,
    IPPROTO_TCP,
    IPPROTO_UDP,
    MSG_OOB,
    MSG_PEEK,
    MSG_TRUNC,
    SOCK_DGRAM,
    SOCK_STREAM,
    SOL_SOCKET,
    Credentials,
    Received,
    Socket,
)

if TYPE_CHECKING:
    from pyocclum.fs.file import OpenFile
    from pyocclum.fs.vfs import Location

T = TypeVar("T")

# Linux's option numbers (x86-64), as the ABI carries them.
SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_DONTROUTE, SO_BROADCAST = 2, 3, 4, 5, 6
SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_OOBINLINE, SO_LINGER = 7, 8, 9, 10, 13
SO_REUSEPORT, SO_PEERCRED, SO_RCVLOWAT, SO_RCVTIMEO, SO_SNDTIMEO = 15, 17, 18, 20, 21
SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN = 30, 38, 39
TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT = 1, 2, 4, 5, 6
TCP_QUICKACK = 12
IP_TOS, IP_TTL, IP_MULTICAST_TTL, IP_MULTICAST_LOOP = 1, 2, 33, 34
IPV6_UNICAST_HOPS, IPV6_V6ONLY = 16, 26
#: Options passed to the host as they are: (level, name) -> value size in bytes
#: (ints are 4; SO_LINGER is ``struct linger``, two ints).
HOST_OPTIONS: dict[tuple[int, int], int] = {
    **{(SOL_SOCKET, n): 4 for n in (SO_REUSEADDR, SO_DONTROUTE, SO_BROADCAST, SO_SNDBUF,
                                    SO_RCVBUF, SO_KEEPALIVE, SO_OOBINLINE, SO_REUSEPORT,
                                    SO_RCVLOWAT)},
    (SOL_SOCKET, SO_LINGER): 8,
    **{(IPPROTO_TCP, n): 4 for n in (TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL,
                                     TCP_KEEPCNT, TCP_QUICKACK)},
    **{(IPPROTO_IP, n): 4 for n in (IP_TOS, IP_TTL, IP_MULTICAST_TTL, IP_MULTICAST_LOOP)},
    **{(IPPROTO_IPV6, n): 4 for n in (IPV6_UNICAST_HOPS, IPV6_V6ONLY)},
}
_INT = struct.Struct("<i")
UCRED = struct.Struct("<iII")
#: The flags of a send or receive that go to the host; the rest (MSG_DONTWAIT,
#: MSG_NOSIGNAL, MSG_WAITALL, MSG_CMSG_CLOEXEC) are the syscall layer's.
_HOST_SEND = MSG_OOB | 0x4 | 0x8000  # MSG_OOB, MSG_DONTROUTE, MSG_MORE
_HOST_RECV = MSG_OOB | MSG_PEEK
# Plain ints: the socket module's flags are enums, and ``|`` on them costs a few us.
_DONTWAIT = int(socket.MSG_DONTWAIT)
_SEND_ALWAYS = int(socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
_TRUNC = int(socket.MSG_TRUNC)
_POLL_ALL = (select.POLLIN | select.POLLPRI | select.POLLOUT | select.POLLRDHUP
             | select.POLLRDNORM | select.POLLWRNORM)
_SOCK_TYPES = {SOCK_STREAM: IPPROTO_TCP, SOCK_DGRAM: IPPROTO_UDP}


#: libc, for the one call Python's socket module cannot make: connect to AF_UNSPEC.
_LIBC = ctypes.CDLL(None, use_errno=True)
#: A ``struct sockaddr`` whose family is AF_UNSPEC.
_UNSPEC = bytes(16)


def _host_error(e: OSError, what: str) -> KernelError:
    return KernelError(from_host(e.errno), f"{what}: {e.strerror or e}")


def _check_type(family: int, type_: int, protocol: int) -> int:
    """The protocol a new socket gets (EPROTONOSUPPORT/ESOCKTNOSUPPORT as Linux)."""
    if family not in (AF_INET, AF_INET6):
        raise KernelError(Errno.EAFNOSUPPORT, f"address family {family}")
    if type_ not in _SOCK_TYPES:
        # Linux: EINVAL past SOCK_MAX (11); a type the family lacks (raw, seqpacket...)
        # is ESOCKTNOSUPPORT, which WASI's errno numbers lack: EPROTONOSUPPORT.
        raise KernelError(Errno.EPROTONOSUPPORT if 0 < type_ < 11 else Errno.EINVAL,
                          f"socket type {type_} is not supported for AF_INET/AF_INET6")
    want = _SOCK_TYPES[type_]
    if protocol not in (0, want):
        raise KernelError(Errno.EPROTONOSUPPORT,
                          f"protocol {protocol} with socket type {type_}")
    return want


class InetSocket(Socket):
    """A TCP or UDP socket over a host socket. Nothing here blocks."""

    def __init__(
        self, family: int, type_: int, protocol: int, reactor: Reactor,
        host: socket.socket | None = None,
    ) -> None:
        self.protocol = _check_type(family, type_, protocol)
        self.family, self.type = family, type_
        self._q = WaitQueue()
        self.waitq = self._q
        self._reactor = reactor
        self._lock = threading.Lock()
        if host is None:
            try:
                host = socket.socket(family, type_ | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC,
                                     self.protocol)
            except OSError as e:
                raise _host_error(e, "socket") from None
            if family == AF_INET6:
                try:
                    host.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                except OSError as e:  # pragma: no cover - a host without dual stack
                    host.close()
                    raise _host_error(e, "IPV6_V6ONLY") from None
        else:
            host.setblocking(False)
        self._host = host
        self._listening = False
        #: A connect has been seen in progress (a later one reports its end).
        self._connecting = False
        #: The last connect call started a connection (EINPROGRESS, not EALREADY).
        self.connect_started = False
        self._closed = False
        try:
            reactor.register(host, self._q)
        except OSError as e:  # the host's epoll is full (max_user_watches) or out of memory
            host.close()
            raise _host_error(e, "registering the socket for events") from None

    # -- helpers ---------------------------------------------------------------------
    def _attempt(self, op: Callable[[], T], what: str) -> T:
        """Run one host call; BlockingIOError becomes WouldBlock on ``waitq`` (the
        token is taken first, so an event right after the failed call is kept)."""
        token = self._q.token()
        try:
            return op()
        except BlockingIOError:
            raise WouldBlock(self._q.since(token)) from None
        except OSError as e:
            raise _host_error(e, what) from None

    def _host_addr(self, addr: SockAddr, what: str) -> tuple[object, ...]:
        if not isinstance(addr, InetAddr):
            raise KernelError(Errno.EAFNOSUPPORT, f"{what}: not an internet address")
        if addr.family == self.family:
            return addr.host_tuple()
        if self.family == AF_INET6 and what != "bind":
            # Linux lets an AF_INET6 socket reach an IPv4 address (as ::ffff:a.b.c.d).
            return (f"::ffff:{addr.host}", addr.port, 0, 0)
        raise KernelError(Errno.EAFNOSUPPORT,
                          f"{what}: address family {addr.family} on a family {self.family} socket")

    def _addr_of(self, host_addr: object) -> InetAddr:
        if not isinstance(host_addr, tuple) or len(host_addr) < 2:
            raise KernelError(Errno.EIO, f"unexpected host address {host_addr!r}")
        if len(host_addr) >= 4:
            return InetAddr(AF_INET6, str(host_addr[0]), int(host_addr[1]),
                            int(host_addr[2]), int(host_addr[3]))
        return InetAddr(AF_INET, str(host_addr[0]), int(host_addr[1]))

    @property
    def listening(self) -> bool:
        return self._listening

    def fileno(self) -> int:
        return self._host.fileno()

    # -- the socket calls ------------------------------------------------------------
    def bind(self, addr: SockAddr, at: Location | None) -> None:
        target = self._host_addr(addr, "bind")
        try:
            self._host.bind(target)
        except OSError as e:
            raise _host_error(e, "bind") from None

    def listen(self, backlog: int) -> None:
        if self.type != SOCK_STREAM:
            raise KernelError(Errno.ENOTSUP, "listen on a datagram socket")
        try:
            self._host.listen(max(0, backlog))
        except OSError as e:
            raise _host_error(e, "listen") from None
        self._listening = True
        self._q.notify()

    def accept(self) -> tuple[Socket, SockAddr | None]:
        if self.type != SOCK_STREAM:
            raise KernelError(Errno.ENOTSUP, "accept on a datagram socket")
        if not self._listening:
            raise KernelError(Errno.EINVAL, "accept on a socket that is not listening")
        conn, peer = self._attempt(self._host.accept, "accept")
        try:
            sock = InetSocket(self.family, self.type, self.protocol, self._reactor, host=conn)
        except BaseException:
            conn.close()
            raise
        return sock, self._addr_of(peer)

    def connect(self, addr: SockAddr, at: Location | None) -> None:
        """The host's connect, again on each call (as Linux: EALREADY while in
        progress, 0 once it has completed, then EISCONN; the error if it failed)."""
        target = self._host_addr(addr, "connect")
        token = self._q.token()
        rc = self._host.connect_ex(target)
        if rc == host_errno.EISCONN and self._connecting:
            rc = 0  # completed since the last look: this call reports it
        self.connect_started = rc == host_errno.EINPROGRESS
        if rc in (host_errno.EINPROGRESS, host_errno.EALREADY):
            self._connecting = True
            raise WouldBlock(self._q.since(token))
        self._connecting = False
        if rc:
            raise KernelError(from_host(rc), f"connect to {addr.host_tuple()[:2]}"
                              if isinstance(addr, InetAddr) else "connect")

    def disconnect(self) -> None:
        """``connect`` to AF_UNSPEC: the host's answer (UDP forgets its peer; TCP
        drops the connection, as Linux's ``tcp_disconnect``)."""
        buf = ctypes.create_string_buffer(_UNSPEC, len(_UNSPEC))
        if _LIBC.connect(self._host.fileno(), buf, len(_UNSPEC)) != 0:
            rc = ctypes.get_errno()
            raise KernelError(from_host(rc), "connect to AF_UNSPEC")
        self._connecting = False
        self._q.notify()

    def sendmsg(
        self, data: bytes, flags: int, addr: SockAddr | None, at: Location | None,
        rights: list[OpenFile], creds: Credentials | None,
    ) -> int:
        if rights:  # (the caller keeps the references when this raises)
            raise KernelError(Errno.EINVAL, "SCM_RIGHTS on an internet socket")
        host_flags = (flags & _HOST_SEND) | _SEND_ALWAYS
        if addr is not None and self.type == SOCK_DGRAM:
            target = self._host_addr(addr, "sendto")
            return self._attempt(lambda: self._host.sendto(data, host_flags, target), "sendto")
        return self._attempt(lambda: self._host.send(data, host_flags), "send")

    def recvmsg(self, size: int, flags: int, rights_room: int) -> Received:
        host_flags = (flags & _HOST_RECV) | _DONTWAIT
        if self.type == SOCK_DGRAM:
            buf = bytearray(size)
            n, peer = self._attempt(
                lambda: self._host.recvfrom_into(buf, size, host_flags | _TRUNC),
                "recvfrom")
            got = Received(bytes(buf[: min(n, size)]),
                           addr=self._addr_of(peer) if peer else None)
            if n > size:
                got.msg_flags |= MSG_TRUNC
            if flags & MSG_TRUNC:
                got.full_length = n
            return got
        if self._listening:
            raise KernelError(Errno.ENOTCONN, "recv on a listening socket")
        return Received(self._attempt(lambda: self._host.recv(size, host_flags), "recv"))

    def write(self, data: bytes) -> int:
        return self.sendmsg(data, 0, None, None, [], None)

    def shutdown(self, how: int) -> None:
        if how not in (0, 1, 2):
            raise KernelError(Errno.EINVAL, f"bad shutdown how {how}")
        try:
            self._host.shutdown(how)
        except OSError as e:
            raise _host_error(e, "shutdown") from None
        self._q.notify()

    def getsockname(self) -> SockAddr:
        try:
            return self._addr_of(self._host.getsockname())
        except OSError as e:
            raise _host_error(e, "getsockname") from None

    def getpeername(self) -> SockAddr:
        try:
            return self._addr_of(self._host.getpeername())
        except OSError as e:
            raise _host_error(e, "getpeername") from None

    def getsockopt(self, level: int, name: int, size: int) -> bytes:
        value = self._getsockopt(level, name)
        return value[: max(0, size)]

    def _getsockopt(self, level: int, name: int) -> bytes:
        if level == SOL_SOCKET:
            mine = {
                SO_TYPE: self.type, SO_DOMAIN: self.family, SO_PROTOCOL: self.protocol,
                SO_ACCEPTCONN: int(self._listening),
            }
            if name in mine:
                return _INT.pack(mine[name])
            if name == SO_ERROR:
                try:
                    err = self._host.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                except OSError as e:
                    raise _host_error(e, "SO_ERROR") from None
                # The guest's errno numbers are the kernel's (WASI's), not Linux's.
                return _INT.pack(int(from_host(err)) if err else 0)
            if name == SO_PEERCRED:
                return UCRED.pack(0, 0xFFFFFFFF, 0xFFFFFFFF)  # Linux's answer for TCP
        size = HOST_OPTIONS.get((level, name))
        if size is None:
            raise KernelError(Errno.ENOPROTOOPT, f"unknown socket option {level}/{name}")
        try:
            if size == 4:
                return _INT.pack(self._host.getsockopt(level, name))
            return self._host.getsockopt(level, name, size)
        except OSError as e:
            raise _host_error(e, f"getsockopt {level}/{name}") from None

    def setsockopt(self, level: int, name: int, value: bytes) -> None:
        if level == SOL_SOCKET and name in (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN,
                                            SO_ERROR, SO_PEERCRED):
            raise KernelError(Errno.ENOPROTOOPT, f"socket option {name} is read-only")
        size = HOST_OPTIONS.get((level, name))
        if size is None:
            raise KernelError(Errno.ENOPROTOOPT, f"unknown socket option {level}/{name}")
        if len(value) < size:
            raise KernelError(Errno.EINVAL, f"option {level}/{name} needs {size} bytes")
        try:
            if size == 4:
                self._host.setsockopt(level, name, _INT.unpack_from(value)[0])
            else:
                self._host.setsockopt(level, name, value[:size])
        except OSError as e:
            raise _host_error(e, f"setsockopt {level}/{name}") from None

    # -- readiness ---------------------------------------------------------------------
    def poll_events(self) -> int:
        """The host's answer now (Linux computes it: the host is Linux)."""
        if self._closed:
            return select.POLLNVAL
        p = select.poll()
        p.register(self._host.fileno(), _POLL_ALL)
        ready = p.poll(0)
        return ready[0][1] if ready else 0

    def nread(self) -> int:
        buf = array.array("i", [0])
        try:
            fcntl.ioctl(self._host.fileno(), termios.FIONREAD, buf, True)
        except OSError as e:
            raise _host_error(e, "FIONREAD") from None
        return buf[0]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._reactor.unregister(self._host)
        self._host.close()
        self._q.notify()


def inet_socket(family: int, type_: int, protocol: int, reactor: Reactor) -> InetSocket:
    """A new, unbound AF_INET/AF_INET6 socket (``type_`` without SOCK_NONBLOCK/CLOEXEC)."""
    return InetSocket(family, type_, protocol, reactor)
