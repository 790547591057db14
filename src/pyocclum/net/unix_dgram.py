"""SOCK_DGRAM AF_UNIX sockets, as Linux's ``unix_dgram_*``.

* ``connect`` sets the default destination (and replaces an earlier one); a
  socket connected to someone else refuses datagrams from others (EPERM).
* A datagram goes in whole or not at all: ``WouldBlock`` while this socket's
  unread datagrams fill SO_SNDBUF, or while the receiver holds more than
  :data:`~pyocclum.net.unix_core.MAX_DGRAM_QLEN` datagrams (unless the
  receiver is connected back to the sender, as Linux); EMSGSIZE for a
  datagram larger than SO_SNDBUF allows.
* A receive returns one datagram; a shorter buffer drops the rest and sets
  MSG_TRUNC (with the MSG_TRUNC flag the full length is reported). The
  sender's name comes with it (None when the sender is unnamed: Linux then
  reports an address length of 0).
* Sending to a connected peer that has closed: ECONNREFUSED, and the socket
  is disconnected (the next send without an address: ENOTCONN).
"""

from __future__ import annotations

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
    Credentials,
    Received,
)
from pyocclum.net.unix_core import (
    MAX_DGRAM_QLEN,
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


class UnixDgramSocket(UnixSocket):
    """A SOCK_DGRAM AF_UNIX socket."""

    def __init__(self, type_: int, creds: Credentials, ns: UnixNamespace) -> None:
        super().__init__(type_, creds, ns)
        #: Datagram sockets connect()ed to this one: woken when its queue drains.
        self.senders: set[UnixDgramSocket] = set()

    def _may_send_to(self, target: UnixSocket) -> None:
        if target.peer is not None and target.peer is not self:
            raise KernelError(Errno.EPERM, "the receiver is connected to another socket")

    def connect(self, addr: SockAddr, at: Location | None) -> None:
        if not isinstance(addr, UnixAddr):
            raise KernelError(Errno.EINVAL, "connect of an AF_UNIX socket to another family")
        if addr.unnamed:
            raise KernelError(Errno.EINVAL, "connect to an unnamed AF_UNIX address")
        wake = Wake()
        with self.ns.lock:
            if self.closed:
                raise KernelError(Errno.EBADF, "socket is closed")
            self.passcred_autobind()
            target = self.ns.find(addr, at)
            if target.type != self.type:
                raise KernelError(Errno.EPROTOTYPE, "the socket there is of another type")
            assert isinstance(target, UnixDgramSocket)
            self._may_send_to(target)
            self._disconnect()
            self.peer = target
            target.senders.add(self)
            wake(self)
        wake.run()

    def disconnect(self) -> None:
        """``connect`` to AF_UNSPEC: forget the default destination (Linux)."""
        with self.ns.lock:
            self._disconnect()
        self.q.notify()

    def _disconnect(self) -> None:
        old = self.peer
        if isinstance(old, UnixDgramSocket):
            old.senders.discard(self)
        self.peer = None

    def shutdown(self, how: int) -> None:
        if how < SHUT_RD or how > SHUT_RDWR:
            raise KernelError(Errno.EINVAL, f"bad shutdown mode {how}")
        with self.ns.lock:
            self.shut |= how + 1
        self.q.notify()

    def _closing(self, wake: Wake) -> None:
        self._disconnect()
        for s in self.senders:
            wake(s)  # they may now send (and learn ECONNREFUSED)
        self.senders = set()

    def _send(
        self, data: bytes, flags: int, addr: SockAddr | None, at: Location | None,
        rights: list[OpenFile],
    ) -> int:
        if flags & MSG_OOB:
            raise KernelError(Errno.ENOTSUP, "AF_UNIX sockets have no out-of-band data")
        n = len(data)
        wake = Wake()
        with self.ns.lock:
            if self.shut & SEND_SHUTDOWN:
                raise KernelError(Errno.EPIPE, "socket is shut down for writing")
            if n > self.sndbuf - 32:
                raise KernelError(Errno.EMSGSIZE, f"datagram of {n} bytes is too long")
            self.passcred_autobind()
            if addr is not None:
                target = self.ns.find(addr, at)
                if target.type != self.type:
                    raise KernelError(Errno.EPROTOTYPE, "the socket there is of another type")
            else:
                peer = self.peer
                if peer is None:
                    raise KernelError(Errno.ENOTCONN, "socket is not connected")
                target = peer
            if target.closed:
                if target is self.peer:
                    self._disconnect()
                raise KernelError(Errno.ECONNREFUSED, "the receiver has closed")
            self._may_send_to(target)
            if target.shut & RCV_SHUTDOWN:
                raise KernelError(Errno.EPIPE, "the receiver is shut down for reading")
            own = self.q.token()
            theirs = target.q.token()
            if self.wmem >= self.send_limit():
                raise WouldBlock(self.q.since(own))
            if target.peer is not self and len(target.rq) > MAX_DGRAM_QLEN:
                raise WouldBlock(target.q.since(theirs))
            target.queue(Msg(bytes(data), list(rights) or None, self, self.addr), wake)
        wake.run()
        return n

    def recvmsg(self, size: int, flags: int, rights_room: int) -> Received:
        if flags & MSG_OOB:
            raise KernelError(Errno.ENOTSUP, "AF_UNIX sockets have no out-of-band data")
        if size < 0:
            raise KernelError(Errno.EINVAL, "negative receive size")
        peek = bool(flags & MSG_PEEK)
        wake = Wake()
        with self.ns.lock:
            token = self.q.token()
            if not self.rq:
                self.take_error()
                if self.shut & RCV_SHUTDOWN:
                    return Received(b"")
                raise WouldBlock(self.q.since(token))
            msg = self.rq[0]
            rights: list[OpenFile] = []
            msg_flags = self.hand_rights(msg, peek, rights_room, rights, wake)
            n = len(msg.data)
            if n > size:
                msg_flags |= MSG_TRUNC
            if not peek:
                full = len(self.rq) > MAX_DGRAM_QLEN
                self.rq.popleft()
                self.consumed(msg, n, wake)
                if full:
                    for s in self.senders:
                        wake(s)
        wake.run()
        return Received(
            msg.data[:size], msg.addr, rights, msg_flags, n if flags & MSG_TRUNC else None
        )

    def poll_events(self) -> int:
        mask = 0
        if self.err:
            mask |= POLLERR
        shut = self.shut
        if shut & RCV_SHUTDOWN:
            mask |= POLLRDHUP | READABLE
        if shut == SHUTDOWN_MASK:
            mask |= POLLHUP
        if self.rq:
            mask |= READABLE
        writable = self.wmem * 4 <= self.send_limit()
        peer = self.peer
        if writable and peer is not None and peer.peer is not self and (
            len(peer.rq) > MAX_DGRAM_QLEN
        ):
            writable = False
        if writable:
            mask |= WRITABLE
        return mask
