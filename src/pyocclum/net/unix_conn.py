"""Connection-oriented AF_UNIX sockets: SOCK_STREAM and SOCK_SEQPACKET.

As Linux's ``af_unix.c``:

* ``connect`` to a listening socket makes the server side's socket at once
  and queues it for ``accept``; the backlog is full when more than
  ``backlog`` connections wait (Linux's ``>``), and a connect then waits
  (``WouldBlock`` on the listener's queue; a non-blocking connect answers
  EAGAIN, not EINPROGRESS). Nobody listening: ECONNREFUSED; a socket of
  another type: EPROTOTYPE.
* A stream send puts in what fits below SO_SNDBUF (bytes this end sent that
  the peer has not read) and returns that count; ``WouldBlock`` when nothing
  fits. A seqpacket message goes in whole (EMSGSIZE if it can never fit).
* A stream receive joins writes, but stops after a write that carried rights;
  a seqpacket receive returns one message (the rest of it is dropped, with
  MSG_TRUNC). End of file (``b""``) once the peer shut down writing or closed
  and everything was read. Closing with unread data, or a listener closing on
  connections nobody accepted, gives the peer ECONNRESET on its next receive.
* ``shutdown`` marks both ends (SHUT_WR here is SHUT_RD there); poll bits
  follow ``unix_poll`` (stream) and ``unix_dgram_poll`` (seqpacket).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.net.addr import UnixAddr
from pyocclum.net.socket import (
    MSG_OOB,
    MSG_PEEK,
    MSG_TRUNC,
    SHUT_RD,
    SHUT_RDWR,
    SOCK_STREAM,
    Credentials,
    Received,
)
from pyocclum.net.unix_core import (
    POLLERR,
    POLLHUP,
    POLLRDHUP,
    RCV_SHUTDOWN,
    READABLE,
    SEND_SHUTDOWN,
    SHUTDOWN_MASK,
    WRITABLE,
    Msg,
    UnixNamespace,
    UnixSocket,
    Wake,
)

if TYPE_CHECKING:
    from pyocclum.fs.file import OpenFile
    from pyocclum.fs.vfs import Location
    from pyocclum.net.addr import SockAddr

#: Linux's net.core.somaxconn: the largest backlog.
SOMAXCONN = 4096
#: Writes shorter than this are appended to the last queued write (when
#: neither carries rights), so many tiny writes do not make many objects.
_MERGE_BELOW = 1024

_NEW, _LISTENING, CONNECTED = 0, 1, 2


class UnixConnSocket(UnixSocket):
    """A SOCK_STREAM or SOCK_SEQPACKET AF_UNIX socket."""

    def __init__(self, type_: int, creds: Credentials, ns: UnixNamespace) -> None:
        super().__init__(type_, creds, ns)
        self.state = _NEW
        self.backlog = 0
        self.accept_q: deque[UnixConnSocket] = deque()

    @property
    def listening(self) -> bool:
        return self.state == _LISTENING

    @property
    def stream(self) -> bool:
        return self.type == SOCK_STREAM

    # -- connections ---------------------------------------------------------------------
    def listen(self, backlog: int) -> None:
        wake = Wake()
        with self.ns.lock:
            if self.state == CONNECTED:
                raise KernelError(Errno.EINVAL, "listen on a connected socket")
            if self.addr is None:
                raise KernelError(Errno.EINVAL, "listen on an unbound socket")
            # Linux compares as unsigned: a negative backlog is SOMAXCONN.
            self.backlog = SOMAXCONN if backlog < 0 or backlog > SOMAXCONN else backlog
            self.state = _LISTENING
            self.peercred = self.creds
            wake(self)
        wake.run()

    def connect(self, addr: SockAddr, at: Location | None) -> None:
        if not isinstance(addr, UnixAddr):
            raise KernelError(Errno.EINVAL, "connect of an AF_UNIX socket to another family")
        if addr.unnamed:
            raise KernelError(Errno.EINVAL, "connect to an unnamed AF_UNIX address")
        wake = Wake()
        with self.ns.lock:
            if self.closed:
                raise KernelError(Errno.EBADF, "socket is closed")
            if self.state == CONNECTED:
                raise KernelError(Errno.EISCONN, "socket is already connected")
            if self.state == _LISTENING:
                raise KernelError(Errno.EINVAL, "connect on a listening socket")
            self.passcred_autobind()
            target = self.ns.find(addr, at)
            if target.type != self.type:
                raise KernelError(Errno.EPROTOTYPE, "the socket there is of another type")
            assert isinstance(target, UnixConnSocket)
            if target.state != _LISTENING or target.closed or target.shut & RCV_SHUTDOWN:
                raise KernelError(Errno.ECONNREFUSED, "nobody listens there")
            token = target.q.token()
            if len(target.accept_q) > target.backlog:
                raise WouldBlock(target.q.since(token))
            server = UnixConnSocket(self.type, target.creds, self.ns)
            server.addr = target.addr
            server.sndbuf, server.rcvbuf = target.sndbuf, target.rcvbuf
            server.state = CONNECTED
            server.peer = self
            server.peercred = self.creds
            self.peer = server
            self.state = CONNECTED
            self.peercred = target.peercred
            target.accept_q.append(server)
            wake(target, self)
        wake.run()

    def accept(self) -> tuple[UnixConnSocket, SockAddr | None]:
        wake = Wake()
        with self.ns.lock:
            if self.state != _LISTENING:
                raise KernelError(Errno.EINVAL, "accept on a socket that is not listening")
            token = self.q.token()
            if not self.accept_q:
                if self.shut & RCV_SHUTDOWN:
                    # Linux: a shut-down listener answers EINVAL instead of waiting
                    # (how one thread wakes another blocked in accept).
                    raise KernelError(Errno.EINVAL, "the listening socket is shut down")
                raise WouldBlock(self.q.since(token))
            server = self.accept_q.popleft()
            peer = server.peer
            addr = peer.addr if peer is not None else None
            wake(self)  # room in the backlog for a waiting connect
        wake.run()
        return server, addr if addr is not None else UnixAddr()

    def shutdown(self, how: int) -> None:
        if how < SHUT_RD or how > SHUT_RDWR:
            raise KernelError(Errno.EINVAL, f"bad shutdown mode {how}")
        mode = how + 1
        wake = Wake()
        with self.ns.lock:
            self.shut |= mode
            wake(self)
            peer = self.peer
            if peer is not None:
                if mode & RCV_SHUTDOWN:
                    peer.shut |= SEND_SHUTDOWN
                if mode & SEND_SHUTDOWN:
                    peer.shut |= RCV_SHUTDOWN
                wake(peer)
        wake.run()

    def _closing(self, wake: Wake) -> None:
        # Connections nobody accepted die with the listener; their clients get ECONNRESET.
        for embryo in self.accept_q:
            embryo.closed = True
            embryo.purge(wake)
            client = embryo.peer
            if client is not None:
                client.shut = SHUTDOWN_MASK
                client.err = int(Errno.ECONNRESET)
                wake(client)
        self.accept_q.clear()
        peer = self.peer
        if peer is not None:
            peer.shut = SHUTDOWN_MASK
            if self.rq:
                peer.err = int(Errno.ECONNRESET)
            wake(peer)

    # -- data --------------------------------------------------------------------------------
    def _send(
        self, data: bytes, flags: int, addr: SockAddr | None, at: Location | None,
        rights: list[OpenFile],
    ) -> int:
        if flags & MSG_OOB:
            raise KernelError(Errno.ENOTSUP, "AF_UNIX sockets have no out-of-band data")
        wake = Wake()
        with self.ns.lock:
            if self.stream:
                if addr is not None:
                    raise KernelError(
                        Errno.EISCONN if self.state == CONNECTED else Errno.ENOTSUP,
                        "a stream socket sends to its peer only",
                    )
            else:
                self.take_error()
            # (seqpacket ignores an address, as Linux's unix_seqpacket_sendmsg)
            peer = self.peer
            if self.state != CONNECTED or peer is None:
                raise KernelError(Errno.ENOTCONN, "socket is not connected")
            if self.shut & SEND_SHUTDOWN or peer.closed or peer.shut & RCV_SHUTDOWN:
                raise KernelError(Errno.EPIPE, "the peer does not take data any more")
            n = len(data)
            token = self.q.token()
            if self.stream:
                if n == 0:
                    # Linux sends nothing (and passes no rights) for an empty stream write.
                    wake.release.extend(rights)
                    sent = 0
                else:
                    room = self.send_limit() - self.wmem
                    if room <= 0:
                        raise WouldBlock(self.q.since(token))
                    sent = min(n, room)
                    chunk = bytes(data[:sent]) if sent < n or not isinstance(data, bytes) else data
                    last = peer.rq[-1] if peer.rq else None
                    if (not rights and sent < _MERGE_BELOW and last is not None
                            and last.sender is self and not last.rights
                            and last.left + sent <= 4096):
                        last.data = last.data[last.off:] + chunk
                        last.off = 0
                        peer.charge(self, sent)
                        wake(peer, self)
                    else:
                        peer.queue(Msg(chunk, list(rights) or None, self, self.addr), wake)
            else:
                if n > self.sndbuf - 32:
                    raise KernelError(Errno.EMSGSIZE, f"message of {n} bytes is too long")
                if self.wmem >= self.send_limit():
                    raise WouldBlock(self.q.since(token))
                peer.queue(Msg(bytes(data), list(rights) or None, self, self.addr), wake)
                sent = n
        wake.run()
        return sent

    def recvmsg(self, size: int, flags: int, rights_room: int) -> Received:
        if flags & MSG_OOB:
            raise KernelError(Errno.ENOTSUP, "AF_UNIX sockets have no out-of-band data")
        if size < 0:
            raise KernelError(Errno.EINVAL, "negative receive size")
        wake = Wake()
        with self.ns.lock:
            if self.state != CONNECTED:
                raise KernelError(
                    Errno.EINVAL if self.stream else Errno.ENOTCONN, "socket is not connected"
                )
            token = self.q.token()
            if not self.rq:
                self.take_error()
                if self.shut & RCV_SHUTDOWN:
                    return Received(b"")
                raise WouldBlock(self.q.since(token))
            if self.stream:
                got = self._recv_stream(size, flags, rights_room, wake)
            else:
                got = self._recv_packet(size, flags, rights_room, wake)
        wake.run()
        return got

    def _recv_stream(self, size: int, flags: int, room: int, wake: Wake) -> Received:
        peek = bool(flags & MSG_PEEK)
        parts: list[bytes] = []
        rights: list[OpenFile] = []
        msg_flags = 0
        copied = 0
        addr: UnixAddr | None = None
        i = 0
        rq = self.rq
        while copied < size and i < len(rq):
            msg = rq[i]
            chunk = min(msg.left, size - copied)
            parts.append(msg.data[msg.off : msg.off + chunk])
            if addr is None:
                addr = msg.addr
            copied += chunk
            carried = bool(msg.rights)
            msg_flags |= self.hand_rights(msg, peek, room, rights, wake)
            if peek:
                i += 1
            else:
                msg.off += chunk
                self.consumed(msg, chunk, wake)
                if msg.left:
                    break
                rq.popleft()
            if carried:
                break
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        return Received(data, addr, rights, msg_flags)

    def _recv_packet(self, size: int, flags: int, room: int, wake: Wake) -> Received:
        peek = bool(flags & MSG_PEEK)
        msg = self.rq[0]
        rights: list[OpenFile] = []
        msg_flags = self.hand_rights(msg, peek, room, rights, wake)
        n = len(msg.data)
        if n > size:
            msg_flags |= MSG_TRUNC
        if not peek:
            self.rq.popleft()
            self.consumed(msg, n, wake)
        full = n if flags & MSG_TRUNC else None
        return Received(msg.data[:size], msg.addr, rights, msg_flags, full)

    # -- readiness -----------------------------------------------------------------------
    def poll_events(self) -> int:
        mask = 0
        if self.err:
            mask |= POLLERR
        shut = self.shut
        if shut == SHUTDOWN_MASK:
            mask |= POLLHUP
        if shut & RCV_SHUTDOWN:
            mask |= POLLRDHUP | READABLE
        if self.rq or self.accept_q:
            mask |= READABLE
        if self.state == _NEW:
            mask |= POLLHUP
        if self.state != _LISTENING and self.wmem * 4 <= self.send_limit():
            mask |= WRITABLE
        return mask
