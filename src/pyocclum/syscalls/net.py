"""Sockets (``occlum`` ABI version 4): the socket calls, on :mod:`pyocclum.net`.

Values are Linux's (``AF_*``, ``SOCK_*``, ``MSG_*``, ``SOL_*``/``SO_*``);
addresses cross as Linux's binary ``struct sockaddr_*`` (:mod:`pyocclum.net.addr`).
This layer does what is common to every family: the fd lookup (ENOTSOCK for
anything but a socket), blocking and its limits (O_NONBLOCK on the description
or MSG_DONTWAIT: EAGAIN; SO_RCVTIMEO/SO_SNDTIMEO: EAGAIN when they pass;
signals: EINTR, or a restart under SA_RESTART unless a timeout is set, as
Linux; ``connect`` never restarts), SIGPIPE on EPIPE unless MSG_NOSIGNAL,
MSG_WAITALL, SCM_RIGHTS (looking up the sender's fds, installing what
arrives in the receiver, MSG_CMSG_CLOEXEC, MSG_CTRUNC when they do not fit)
and the network policy (``Kernel.network``: EACCES and a log line). AF_INET
and AF_INET6 sockets are :mod:`pyocclum.net.inet`'s, over host sockets whose
events come from one :class:`~pyocclum.net.reactor.Reactor` per kernel.
See ``docs/abi.md``, "Version 4 (sockets)".
"""

from __future__ import annotations

import functools
import itertools
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.abi.wasi import RIGHTS_STREAM, FdFlags, FileType
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.file import OpenFile
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process
from pyocclum.kernel.signals import SI_USER, SigInfo
from pyocclum.net import addr as A
from pyocclum.net.reactor import Reactor
from pyocclum.net.socket import (
    AF_INET,
    AF_INET6,
    AF_UNIX,
    MSG_CMSG_CLOEXEC,
    MSG_CTRUNC,
    MSG_DONTWAIT,
    MSG_NOSIGNAL,
    MSG_PEEK,
    MSG_WAITALL,
    SCM_MAX_FD,
    SOCK_CLOEXEC,
    SOCK_DGRAM,
    SOCK_NONBLOCK,
    SOCK_STREAM,
    SOL_SOCKET,
    Credentials,
    Received,
    Socket,
)
from pyocclum.net.unix import UnixNamespace, UnixSocket, unix_socket, unix_socketpair
from pyocclum.syscalls import net_table
from pyocclum.syscalls import spec as S
from pyocclum.syscalls.blocking import blocking
from pyocclum.syscalls.net_table import FD_ITEM, MODULE

if TYPE_CHECKING:
    from pyocclum.net.inet import InetSocket

T = TypeVar("T")

SO_TYPE, SO_RCVTIMEO, SO_SNDTIMEO, SO_PROTOCOL, SO_DOMAIN = 3, 20, 21, 38, 39
#: ``struct timeval`` of x86-64: two i64.
TIMEVAL = struct.Struct("<qq")
_INT = struct.Struct("<i")
#: Linux's SOCK_TYPE_MASK: the bits of ``type`` that are the type.
_TYPE_MASK = 0xF
#: The most ``socket``'s address out-buffers get (``sizeof(struct sockaddr_storage)``).
ADDR_MAX = 128


def _inet() -> type[InetSocket]:
    """The internet socket class, imported on first use: it brings the host's
    ``socket``, ``selectors`` and ``termios`` modules, which a run that makes
    no internet socket never needs (start-up time)."""
    from pyocclum.net.inet import InetSocket

    return InetSocket


def _encode(addr: A.SockAddr | None, cap: int) -> bytes:
    """``addr`` as ``struct sockaddr`` bytes for an out-buffer of ``cap`` bytes."""
    if addr is None:
        return b""
    return A.encode(addr)[: max(0, min(cap, ADDR_MAX))]


class NetSyscalls:
    """Handlers of the socket calls for one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        #: The host epoll whose events wake whoever waits on an internet socket.
        self.reactor = Reactor()
        #: Abstract names and bound paths of the AF_UNIX sockets.
        self.unix_ns = UnixNamespace(kernel.vfs)
        self._ids = itertools.count(1)

    # == helpers ======================================================================
    def _socket(self, p: Process, fd: int) -> tuple[OpenFile, Socket]:
        f = p.fds.get(fd)
        sock = f.stream
        if not isinstance(sock, Socket):
            raise KernelError(Errno.ENOTSOCK, f"fd {fd} is not a socket")
        return f, sock

    def _install(self, p: Process, sock: Socket, flags: int) -> int:
        f = OpenFile(
            inode=None, stream=sock, path=f"socket:[{next(self._ids)}]",
            filetype=FileType.SOCKET_DGRAM if sock.type == SOCK_DGRAM else FileType.SOCKET_STREAM,
            readable=True, writable=True,
            fdflags=int(FdFlags.NONBLOCK) if flags & SOCK_NONBLOCK else 0,
            rights_base=RIGHTS_STREAM,
        )
        return p.fds.install_new(f, cloexec=bool(flags & SOCK_CLOEXEC))

    @staticmethod
    def _rcvtimeo(sock: Socket) -> float | None:
        return sock.rcvtimeo if sock.rcvtimeo > 0 else None

    @staticmethod
    def _sndtimeo(sock: Socket) -> float | None:
        return sock.sndtimeo if sock.sndtimeo > 0 else None

    def _wait(
        self, p: Process, op: Callable[[], T], *, nonblocking: bool, timeout: float | None,
    ) -> T:
        """Linux's rule for socket waits: SA_RESTART restarts unless a timeout is set."""
        return blocking(p, op, nonblocking=nonblocking, restart=timeout is None,
                        timeout=timeout)

    def _check_policy(self, p: Process, kind: str, addr: A.SockAddr, call: str) -> None:
        if not isinstance(addr, A.InetAddr):
            return
        policy = self.kernel.network
        if policy.unrestricted:
            return
        who = f"pid {p.pid} ({p.path})"
        policy.check("bind" if kind == "bind" else "connect", addr.host, addr.port, who, call)

    @staticmethod
    def _creds(p: Process) -> Credentials:
        return Credentials(p.pid, 0, 0)  # every process runs as root

    def _sigpipe(self, p: Process, flags: int) -> None:
        if not flags & MSG_NOSIGNAL:
            # As Linux's sk_stream_error: SI_USER, from the sender itself.
            self.kernel.send_signal(p, Signal.SIGPIPE, SigInfo(Signal.SIGPIPE, SI_USER, pid=p.pid))

    # == creating ======================================================================
    def _new(self, domain: int, type_: int, protocol: int, p: Process) -> Socket:
        if domain in (AF_INET, AF_INET6):
            return _inet()(domain, type_, protocol, self.reactor)
        if domain == AF_UNIX:
            if protocol not in (0, AF_UNIX):
                raise KernelError(Errno.EPROTONOSUPPORT, f"AF_UNIX protocol {protocol}")
            return unix_socket(type_, self._creds(p), self.unix_ns)
        raise KernelError(Errno.EAFNOSUPPORT, f"address family {domain} is not supported")

    def socket(self, p: Process, domain: int, type_: int, protocol: int) -> int:
        flags = type_ & (SOCK_NONBLOCK | SOCK_CLOEXEC)
        base = type_ & ~flags
        if base & ~_TYPE_MASK:
            raise KernelError(Errno.EINVAL, f"bad socket type {type_:#x}")
        return self._install(p, self._new(domain, base, protocol, p), flags)

    def socketpair(self, p: Process, domain: int, type_: int, protocol: int) -> tuple[int, int]:
        flags = type_ & (SOCK_NONBLOCK | SOCK_CLOEXEC)
        base = type_ & ~flags
        if base & ~_TYPE_MASK:
            raise KernelError(Errno.EINVAL, f"bad socket type {type_:#x}")
        if domain in (AF_INET, AF_INET6):
            raise KernelError(Errno.ENOTSUP, "socketpair is AF_UNIX only")
        if domain != AF_UNIX:
            raise KernelError(Errno.EAFNOSUPPORT, f"socketpair in address family {domain}")
        if protocol not in (0, AF_UNIX):
            raise KernelError(Errno.EPROTONOSUPPORT, f"AF_UNIX protocol {protocol}")
        a, b = unix_socketpair(base, self._creds(p), self.unix_ns)
        try:
            fd_a = self._install(p, a, flags)
        except KernelError:
            b.close()
            raise
        try:
            fd_b = self._install(p, b, flags)
        except KernelError:
            p.fds.close(fd_a)
            raise
        return fd_a, fd_b

    # == addresses and connections ======================================================
    def bind(self, p: Process, fd: int, raw: bytes) -> None:
        _, sock = self._socket(p, fd)
        addr = A.decode(raw)
        self._check_policy(p, "bind", addr, "bind")
        sock.bind(addr, p.cwd)

    def listen(self, p: Process, fd: int, backlog: int) -> None:
        _, sock = self._socket(p, fd)
        if isinstance(sock, _inet()) and not self.kernel.network.unrestricted:
            name = sock.getsockname()
            if isinstance(name, A.InetAddr) and name.port == 0:
                # Never bound: the host picks a port (Linux's autobind), a bind of "any".
                self._check_policy(p, "bind", name, "listen")
        if isinstance(sock, UnixSocket):
            sock.creds = self._creds(p)  # SO_PEERCRED names who listened (Linux)
        sock.listen(backlog)

    def accept4(self, p: Process, fd: int, flags: int, cap: int) -> tuple[bytes, int]:
        if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
            raise KernelError(Errno.EINVAL, f"bad accept4 flags {flags:#x}")
        f, sock = self._socket(p, fd)
        new, peer = self._wait(p, sock.accept, nonblocking=f.nonblocking,
                               timeout=self._rcvtimeo(sock))
        return _encode(peer, cap), self._install(p, new, flags)

    def connect(self, p: Process, fd: int, raw: bytes) -> None:
        f, sock = self._socket(p, fd)
        if len(raw) >= 2 and raw[0] == raw[1] == A.AF_UNSPEC:
            # Linux: AF_UNSPEC dissolves the association (datagram sockets).
            if isinstance(sock, (_inet(), UnixSocket)):
                sock.disconnect()
                return
            raise KernelError(Errno.EAFNOSUPPORT, "connect to AF_UNSPEC")
        addr = A.decode(raw)
        self._check_policy(p, "connect", addr, "connect")
        if isinstance(sock, UnixSocket):
            sock.creds = self._creds(p)  # SO_PEERCRED names who connected (Linux)

        def attempt() -> None:
            sock.connect(addr, p.cwd)

        inet = isinstance(sock, _inet())
        if f.nonblocking:
            try:
                attempt()
            except WouldBlock:
                if not isinstance(sock, _inet()):
                    raise KernelError(Errno.EAGAIN, "connect would block") from None
                if sock.connect_started:
                    raise KernelError(Errno.EINPROGRESS, "connection in progress") from None
                raise KernelError(Errno.EALREADY, "connection already in progress") from None
            return
        try:
            blocking(p, attempt, restart=False, timeout=self._sndtimeo(sock))
        except KernelError as e:
            if e.errno == Errno.EAGAIN and inet:
                # SO_SNDTIMEO passed: Linux answers EINPROGRESS, the connection goes on.
                raise KernelError(Errno.EINPROGRESS, "connect timed out") from None
            raise

    def shutdown(self, p: Process, fd: int, how: int) -> None:
        _, sock = self._socket(p, fd)
        sock.shutdown(how)

    def getsockname(self, p: Process, fd: int, cap: int) -> bytes:
        _, sock = self._socket(p, fd)
        return _encode(sock.getsockname(), cap)

    def getpeername(self, p: Process, fd: int, cap: int) -> bytes:
        _, sock = self._socket(p, fd)
        return _encode(sock.getpeername(), cap)

    # == data ==========================================================================
    def sendmsg(
        self, p: Process, fd: int, data: bytes, flags: int, raw_addr: bytes,
        fds: list[tuple[int]],
    ) -> int:
        f, sock = self._socket(p, fd)
        addr = A.decode(raw_addr) if raw_addr else None
        if addr is not None and sock.type == SOCK_DGRAM:
            self._check_policy(p, "connect", addr, "sendto")
        if len(fds) > SCM_MAX_FD:
            raise KernelError(Errno.EINVAL, f"{len(fds)} fds in one message (at most 253)")
        if fds and sock.family != AF_UNIX:
            raise KernelError(Errno.EINVAL, "SCM_RIGHTS on a socket that is not AF_UNIX")
        passing = [n for (n,) in fds]
        for n in passing:
            p.fds.get(n)  # EBADF before anything is sent
        creds = self._creds(p)
        nonblocking = f.nonblocking or bool(flags & MSG_DONTWAIT)
        timeout = self._sndtimeo(sock)

        def send(chunk: bytes, with_rights: bool) -> Callable[[], int]:
            def attempt() -> int:
                # The socket owns the references once sendmsg returns; if it raises
                # they are still ours (a retry takes new ones).
                rights = [p.fds.get(n).acquire() for n in passing] if with_rights else []
                try:
                    return sock.sendmsg(chunk, flags, addr, p.cwd, rights, creds)
                except BaseException:
                    for r in rights:
                        r.release()
                    raise
            return attempt

        try:
            sent = self._wait(p, send(data, True), nonblocking=nonblocking, timeout=timeout)
            if sock.type != SOCK_STREAM or nonblocking:
                return sent
            # A blocking stream send queues everything, unless a signal or the
            # timeout stops it part way (then it reports what went).
            while sent < len(data):
                try:
                    sent += self._wait(p, send(data[sent:], False), nonblocking=False,
                                       timeout=timeout)
                except KernelError as e:
                    if e.errno in (Errno.EINTR, Errno.EAGAIN, Errno.EPIPE):
                        return sent
                    raise
            return sent
        except KernelError as e:
            if e.errno == Errno.EPIPE and sock.type != SOCK_DGRAM:
                self._sigpipe(p, flags)
            raise

    def recvmsg(
        self, p: Process, fd: int, size: int, flags: int, addr_cap: int, fds_cap: int,
    ) -> tuple[bytes, bytes, bytes, int, int]:
        """Returns (data, address, received fds, count, msg_flags)."""
        f, sock = self._socket(p, fd)
        nonblocking = f.nonblocking or bool(flags & MSG_DONTWAIT)
        timeout = self._rcvtimeo(sock)
        room = max(0, fds_cap) // FD_ITEM.size
        got: Received = self._wait(p, lambda: sock.recvmsg(size, flags, room),
                                   nonblocking=nonblocking, timeout=timeout)
        data = got.data
        if (flags & MSG_WAITALL and not flags & MSG_PEEK and not nonblocking
                and sock.type == SOCK_STREAM and data and len(data) < size):
            parts = [data]
            have = len(data)
            while have < size:
                rest = functools.partial(sock.recvmsg, size - have, flags, 0)
                try:
                    more = self._wait(p, rest, nonblocking=False, timeout=timeout)
                except KernelError as e:
                    if e.errno in (Errno.EINTR, Errno.EAGAIN):
                        break
                    raise
                if not more.data:
                    break
                parts.append(more.data)
                have += len(more.data)
            data = b"".join(parts)
        msg_flags = got.msg_flags
        fds_out = bytearray()
        cloexec = bool(flags & MSG_CMSG_CLOEXEC)
        rights = list(got.rights)
        while rights:
            r = rights.pop(0)
            try:
                fds_out += FD_ITEM.pack(p.fds.install(r, cloexec=cloexec))
            except KernelError:
                r.release()
                for other in rights:
                    other.release()
                rights.clear()
                msg_flags |= MSG_CTRUNC
        count = got.full_length if got.full_length is not None else len(data)
        return data, _encode(got.addr, addr_cap), bytes(fds_out), count, msg_flags

    # == options =======================================================================
    def getsockopt(self, p: Process, fd: int, level: int, name: int, cap: int) -> bytes:
        _, sock = self._socket(p, fd)
        if level == SOL_SOCKET:
            if name in (SO_TYPE, SO_DOMAIN, SO_PROTOCOL):
                value = {SO_TYPE: sock.type, SO_DOMAIN: sock.family,
                         SO_PROTOCOL: sock.protocol}[name]
                return _INT.pack(value)[: max(0, cap)]
            if name in (SO_RCVTIMEO, SO_SNDTIMEO):
                secs = sock.rcvtimeo if name == SO_RCVTIMEO else sock.sndtimeo
                usec = round(secs * 1_000_000)
                return TIMEVAL.pack(usec // 1_000_000, usec % 1_000_000)[: max(0, cap)]
        return sock.getsockopt(level, name, cap)

    def setsockopt(self, p: Process, fd: int, level: int, name: int, value: bytes) -> None:
        _, sock = self._socket(p, fd)
        if level == SOL_SOCKET and name in (SO_RCVTIMEO, SO_SNDTIMEO):
            if len(value) < TIMEVAL.size:
                raise KernelError(Errno.EINVAL, "struct timeval too short")
            sec, usec = TIMEVAL.unpack_from(value)
            if not 0 <= usec < 1_000_000:
                raise KernelError(Errno.EDOM, f"tv_usec {usec} out of range")
            secs = 0.0 if sec < 0 else sec + usec / 1_000_000  # Linux: negative is "none"
            if name == SO_RCVTIMEO:
                sock.rcvtimeo = secs
            else:
                sock.sndtimeo = secs
            return
        sock.setsockopt(level, name, value)

    # == the table =====================================================================
    def table(self) -> list[S.Syscall]:
        return net_table.table(lambda name: getattr(self, name))


__all__ = ["MODULE", "NetSyscalls"]
