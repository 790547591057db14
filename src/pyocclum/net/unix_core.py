"""AF_UNIX internals shared by every socket type: the namespace, the receive
queue, names, options and closing (the public entry points are in
:mod:`pyocclum.net.unix`).

Locking: one lock per :class:`UnixNamespace` (so one per kernel) guards the
state of every AF_UNIX socket of that kernel. Operations are short and never
block; wait queues are notified and passed rights released *after* the lock is
dropped (releasing a description may close another AF_UNIX socket, which takes
the lock again).

Waking: each socket has its own ``waitq``, notified on every change of its
readiness (data or a connection queued, room freed in what it sent, peer
closed or shut down). A ``WouldBlock`` carries ``queue.since(token)`` of the
queue that the awaited change will notify, with the token taken under the
lock before the failed check, so no change can be slept through.
"""

from __future__ import annotations

import struct
import threading
from collections import deque
from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.waitq import WaitQueue
from pyocclum.net.addr import UnixAddr
from pyocclum.net.socket import (
    AF_UNIX,
    SOL_SOCKET,
    Credentials,
    Socket,
)

if TYPE_CHECKING:
    from pyocclum.fs.file import OpenFile
    from pyocclum.fs.types import Inode
    from pyocclum.fs.vfs import Location, Vfs
    from pyocclum.net.addr import SockAddr

# Linux's poll bits.
POLLIN, POLLOUT, POLLERR, POLLHUP = 0x1, 0x4, 0x8, 0x10
POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLRDHUP = 0x40, 0x100, 0x200, 0x2000
READABLE = POLLIN | POLLRDNORM
WRITABLE = POLLOUT | POLLWRNORM | POLLWRBAND

# sk_shutdown bits (SHUT_RD + 1 and SHUT_WR + 1).
RCV_SHUTDOWN, SEND_SHUTDOWN = 1, 2
SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN

# Linux's defaults and limits (net.core.wmem_default / wmem_max, net.unix.max_dgram_qlen).
DEFAULT_BUF = 212992
MAX_BUF = 212992
MIN_SNDBUF = 4608
MIN_RCVBUF = 2304
#: A datagram socket's queue is full past this many datagrams (Linux's ``>``).
MAX_DGRAM_QLEN = 10
#: Bytes that the AF_UNIX sockets of one kernel may hold queued together before
#: each sender is held to :data:`MIN_SNDBUF` (as new pipes past the pipe budget
#: get their minimum): queued data is host memory that no process's memory limit
#: counts, and SO_SNDBUF alone let one process queue ~200 KiB per socket it opens.
UNIX_BYTES_SOFT = 64 << 20

# SOL_SOCKET option names (Linux x86-64).
SO_DEBUG, SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_DONTROUTE, SO_BROADCAST = 1, 2, 3, 4, 5, 6
SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_OOBINLINE, SO_LINGER = 7, 8, 9, 10, 13
SO_REUSEPORT, SO_PASSCRED, SO_PEERCRED, SO_RCVLOWAT, SO_SNDLOWAT = 15, 16, 17, 18, 19
SO_RCVTIMEO, SO_SNDTIMEO, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN = 20, 21, 30, 38, 39
SO_PEEK_OFF = 42

_INT = struct.Struct("<i")
_UCRED = struct.Struct("<iII")
#: Options that are only stored and reported back: name -> default value bytes.
_STORED: dict[int, bytes] = {
    SO_DEBUG: _INT.pack(0),
    SO_REUSEADDR: _INT.pack(0),
    SO_DONTROUTE: _INT.pack(0),
    SO_BROADCAST: _INT.pack(0),
    SO_KEEPALIVE: _INT.pack(0),
    SO_OOBINLINE: _INT.pack(0),
    SO_REUSEPORT: _INT.pack(0),
    SO_RCVLOWAT: _INT.pack(1),
    SO_SNDLOWAT: _INT.pack(1),
    SO_PEEK_OFF: _INT.pack(-1),
    SO_LINGER: bytes(8),  # struct linger {int l_onoff; int l_linger;}
    SO_RCVTIMEO: bytes(16),  # struct timeval of x86-64: two i64
    SO_SNDTIMEO: bytes(16),
}
_READ_ONLY = {SO_TYPE, SO_ERROR, SO_PEERCRED, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN}
#: SO_PEERCRED of a socket that has no peer credentials: pid 0, uid and gid -1 (Linux).
NO_CREDS = Credentials(0, 0xFFFFFFFF, 0xFFFFFFFF)


class Msg:
    """One write (stream) or message (datagram, seqpacket) in a receive queue.

    ``rights`` belong to the first byte of the write (Linux's ``UNIXCB(skb).fp``):
    a stream receive that takes any of it takes them, and stops after it.
    """

    __slots__ = ("addr", "data", "off", "rights", "sender")

    def __init__(
        self, data: bytes, rights: list[OpenFile] | None, sender: UnixSocket,
        addr: UnixAddr | None,
    ) -> None:
        self.data = data
        self.off = 0
        self.rights = rights
        self.sender = sender
        #: The sender's name when it sent (None: unnamed).
        self.addr = addr

    @property
    def left(self) -> int:
        return len(self.data) - self.off


class Wake:
    """What one operation must do once the namespace lock is dropped."""

    __slots__ = ("queues", "release")

    def __init__(self) -> None:
        self.queues: set[WaitQueue] = set()
        self.release: list[OpenFile] = []

    def __call__(self, *socks: UnixSocket) -> None:
        for s in socks:
            self.queues.add(s.q)

    def run(self) -> None:
        for q in self.queues:
            q.notify()
        for f in self.release:
            f.release()


class UnixNamespace:
    """The AF_UNIX names of one kernel: abstract names, and the socket bound to
    each socket node of the VFS (keyed by the node's file system and inode
    number; the bound socket holds the node, so the number cannot be reused
    while the mapping lives)."""

    def __init__(self, vfs: Vfs | None = None) -> None:
        self.vfs = vfs
        self.lock = threading.Lock()
        self._abstract: dict[bytes, UnixSocket] = {}
        self._nodes: dict[tuple[int, int], UnixSocket] = {}
        self._next_auto = 0
        #: Bytes in every receive queue (the sum of the senders' ``wmem``).
        self.queued = 0

    def __repr__(self) -> str:
        return f"<UnixNamespace {len(self._abstract)} abstract, {len(self._nodes)} paths>"

    @property
    def abstract_names(self) -> list[bytes]:
        """Abstract names in use now (for tests and /proc)."""
        with self.lock:
            return list(self._abstract)

    # -- with the lock held ---------------------------------------------------------
    def _require_vfs(self) -> Vfs:
        if self.vfs is None:
            raise KernelError(Errno.ENOTSUP, "this kernel has no file system for socket paths")
        return self.vfs

    def bind(self, sock: UnixSocket, addr: UnixAddr, at: Location | None) -> UnixAddr:
        """Give ``sock`` the name ``addr`` (unnamed: an automatic abstract name)."""
        if addr.abstract is not None:
            if addr.abstract in self._abstract:
                raise KernelError(Errno.EADDRINUSE, f"abstract name {addr.abstract!r} is in use")
            self._abstract[addr.abstract] = sock
            return addr
        if addr.path is None:
            return self.autobind(sock)
        _, _, node = self._make_node(addr.path, at)
        self._nodes[_node_key(node)] = sock
        sock.node = node
        return addr

    def try_path(self, path: bytes, at: Location | None) -> None:
        """The errors a bind to ``path`` would meet, without leaving a node."""
        directory, name, _ = self._make_node(path, at)
        directory.unlink(name)

    def _make_node(self, path: bytes, at: Location | None) -> tuple[Inode, str, Inode]:
        """A new socket node at ``path`` (EADDRINUSE if anything is there): its
        directory, name and inode."""
        vfs = self._require_vfs()
        text = path.decode("utf-8", "surrogateescape")
        start = at if at is not None else vfs.root()
        where = vfs.resolve_parent(start, text)
        if not where.name:
            raise KernelError(Errno.EADDRINUSE, f"{text} exists")
        directory = where.parent.inode
        try:
            node = directory.mksock(where.name, 0o755)
        except KernelError as e:
            if e.errno == Errno.EEXIST:
                raise KernelError(Errno.EADDRINUSE, f"{text} exists") from None
            raise
        if where.trailing_slash:
            # Linux: a new name with a trailing slash is not created (ENOENT);
            # undo rather than pre-check, so EEXIST above keeps its priority.
            directory.unlink(where.name)
            raise KernelError(Errno.ENOENT, f"{text} names a directory that does not exist")
        return directory, where.name, node

    def autobind(self, sock: UnixSocket) -> UnixAddr:
        """An unused abstract name of five hex digits (Linux's autobind)."""
        for _ in range(1 << 20):
            name = b"%05x" % (self._next_auto & 0xFFFFF)
            self._next_auto += 1
            if name not in self._abstract:
                self._abstract[name] = sock
                return UnixAddr(abstract=name)
        raise KernelError(Errno.ENOSPC, "no free automatic AF_UNIX name")

    def find(self, addr: SockAddr, at: Location | None) -> UnixSocket:
        """The socket bound to ``addr``: ENOENT (no such path), ECONNREFUSED
        (the name exists but no socket is bound to it), EINVAL (not AF_UNIX)."""
        if not isinstance(addr, UnixAddr) or addr.unnamed:
            raise KernelError(Errno.EINVAL, "not an AF_UNIX address")
        if addr.abstract is not None:
            sock = self._abstract.get(addr.abstract)
            if sock is None:
                raise KernelError(Errno.ECONNREFUSED, f"nobody is bound to {addr.abstract!r}")
            return sock
        assert addr.path is not None
        vfs = self._require_vfs()
        text = addr.path.decode("utf-8", "surrogateescape")
        node = vfs.resolve(at if at is not None else vfs.root(), text, follow=True).inode
        if node.filetype not in (FileType.SOCKET_STREAM, FileType.SOCKET_DGRAM):
            raise KernelError(Errno.ECONNREFUSED, f"{text} is not a socket")
        sock = self._nodes.get(_node_key(node))
        if sock is None:
            raise KernelError(Errno.ECONNREFUSED, f"nobody is bound to {text}")
        return sock

    def unbind(self, sock: UnixSocket) -> None:
        addr = sock.addr
        if addr is not None and addr.abstract is not None and (
            self._abstract.get(addr.abstract) is sock
        ):
            del self._abstract[addr.abstract]
        node = sock.node
        if node is not None:
            key = _node_key(node)
            if self._nodes.get(key) is sock:
                del self._nodes[key]
            sock.node = None


def _node_key(node: Inode) -> tuple[int, int]:
    return (id(node.fs), node.ino)


def pack_int(v: int) -> bytes:
    return _INT.pack(v)


def _unpack_int(value: bytes) -> int:
    if len(value) < 4:
        raise KernelError(Errno.EINVAL, f"option value of {len(value)} bytes (an int needs 4)")
    return int(_INT.unpack_from(value)[0])


class UnixSocket(Socket):
    """State and calls common to the three AF_UNIX types."""

    family = AF_UNIX
    protocol = 0

    def __init__(self, type_: int, creds: Credentials, ns: UnixNamespace) -> None:
        self.type = type_
        self.creds = creds
        self.ns = ns
        #: Notified on every change of readiness (also ``waitq``, for poll).
        self.q = WaitQueue()
        self.waitq = self.q
        #: Bound name (None: unnamed), and the socket node of a path name.
        self.addr: UnixAddr | None = None
        self.node: Inode | None = None
        #: Stream/seqpacket: the other end; datagram: the connect()ed destination.
        self.peer: UnixSocket | None = None
        #: SO_PEERCRED.
        self.peercred: Credentials | None = None
        self.rq: deque[Msg] = deque()
        self.rq_bytes = 0
        #: Bytes this socket has sent that wait in some receive queue (Linux's sk_wmem_alloc).
        self.wmem = 0
        self.shut = 0
        #: Pending error for SO_ERROR / the next receive (an errno value, 0: none).
        self.err = 0
        self.closed = False
        self.sndbuf = DEFAULT_BUF
        self.rcvbuf = DEFAULT_BUF
        self.passcred = False
        self._opts: dict[int, bytes] = {}

    def __repr__(self) -> str:
        kind = {1: "stream", 2: "dgram", 5: "seqpacket"}.get(self.type, str(self.type))
        return f"<UnixSocket {kind} {self.addr!r}>"

    @property
    def filetype(self) -> FileType:
        """WASI's filetype for an ``OpenFile`` of this socket."""
        return FileType.SOCKET_STREAM if self.type != 2 else FileType.SOCKET_DGRAM

    # -- queue helpers (lock held) -----------------------------------------------------
    def send_limit(self) -> int:
        """What this socket may have queued: SO_SNDBUF, or at most
        :data:`MIN_SNDBUF` while the kernel's sockets hold more than
        :data:`UNIX_BYTES_SOFT` together (a sender is slowed, never cut off)."""
        if self.ns.queued <= UNIX_BYTES_SOFT:
            return self.sndbuf
        return min(self.sndbuf, MIN_SNDBUF)

    def charge(self, sender: UnixSocket, n: int) -> None:
        """``n`` more bytes from ``sender`` wait in this socket's queue."""
        self.rq_bytes += n
        sender.wmem += n
        self.ns.queued += n

    def queue(self, msg: Msg, wake: Wake) -> None:
        self.rq.append(msg)
        self.charge(msg.sender, len(msg.data))
        wake(self, msg.sender)

    def consumed(self, msg: Msg, n: int, wake: Wake) -> None:
        """``n`` bytes of ``msg`` were taken or dropped."""
        self.charge(msg.sender, -n)
        wake(self, msg.sender)

    def purge(self, wake: Wake) -> None:
        """Drop everything queued (closing): the rights go back to their owners."""
        for msg in self.rq:
            msg.sender.wmem -= msg.left
            self.ns.queued -= msg.left
            wake(msg.sender)
            if msg.rights:
                wake.release.extend(msg.rights)
        self.rq.clear()
        self.rq_bytes = 0

    @staticmethod
    def hand_rights(
        msg: Msg, peek: bool, room: int, out: list[OpenFile], wake: Wake
    ) -> int:
        """Move (or, peeking, duplicate) ``msg``'s rights into ``out``; the MSG_CTRUNC bit."""
        rights = msg.rights
        if not rights:
            return 0
        if peek:
            rights = [f.acquire() for f in rights]
        else:
            msg.rights = None
        keep = max(0, room - len(out))
        out.extend(rights[:keep])
        if len(rights) > keep:
            wake.release.extend(rights[keep:])
            return 0x8  # MSG_CTRUNC
        return 0

    def passcred_autobind(self) -> None:
        """Linux gives a socket with SO_PASSCRED a name before it connects or
        sends, so the peer can tell who it is (lock held)."""
        if self.passcred and self.addr is None:
            self.addr = self.ns.autobind(self)

    def take_error(self) -> None:
        """Raise and clear a pending error (lock held)."""
        if self.err:
            err, self.err = self.err, 0
            raise KernelError(Errno(err), "pending socket error")

    # -- names -------------------------------------------------------------------------------
    def bind(self, addr: SockAddr, at: Location | None) -> None:
        if not isinstance(addr, UnixAddr):
            raise KernelError(Errno.EINVAL, "bind of an AF_UNIX socket to another family")
        with self.ns.lock:
            if self.closed:
                raise KernelError(Errno.EBADF, "socket is closed")
            if self.addr is None:
                self.addr = self.ns.bind(self, addr, at)
                return
            # Already bound, in Linux's order: an automatic name is a no-op; a
            # path is made first (EADDRINUSE, the walk's errors) and then undone.
            if addr.unnamed:
                return
            if addr.path is not None:
                self.ns.try_path(addr.path, at)
            raise KernelError(Errno.EINVAL, "socket is already bound")

    def getsockname(self) -> SockAddr:
        addr = self.addr
        return addr if addr is not None else UnixAddr()

    def getpeername(self) -> SockAddr:
        with self.ns.lock:
            peer = self.peer
            if peer is None:
                raise KernelError(Errno.ENOTCONN, "socket is not connected")
            addr = peer.addr
        return addr if addr is not None else UnixAddr()

    # -- options -----------------------------------------------------------------------------
    def getsockopt(self, level: int, name: int, size: int) -> bytes:
        if level != SOL_SOCKET:
            raise KernelError(Errno.ENOTSUP, f"AF_UNIX sockets have no options at level {level}")
        if size < 0:
            raise KernelError(Errno.EINVAL, "negative option length")
        with self.ns.lock:
            value = self._option(name)
        return value[:size]

    def _option(self, name: int) -> bytes:
        if name == SO_TYPE:
            return pack_int(self.type)
        if name == SO_ERROR:
            err, self.err = self.err, 0
            return pack_int(err)
        if name == SO_SNDBUF:
            return pack_int(self.sndbuf)
        if name == SO_RCVBUF:
            return pack_int(self.rcvbuf)
        if name == SO_PEERCRED:
            c = self.peercred or NO_CREDS
            return _UCRED.pack(c.pid, c.uid & 0xFFFFFFFF, c.gid & 0xFFFFFFFF)
        if name == SO_ACCEPTCONN:
            return pack_int(int(self.listening))
        if name == SO_DOMAIN:
            return pack_int(AF_UNIX)
        if name == SO_PROTOCOL:
            return pack_int(0)
        if name == SO_PASSCRED:
            return pack_int(int(self.passcred))
        if name in _STORED:
            return self._opts.get(name, _STORED[name])
        raise KernelError(Errno.ENOPROTOOPT, f"unknown socket option {name}")

    def setsockopt(self, level: int, name: int, value: bytes) -> None:
        if level != SOL_SOCKET:
            raise KernelError(Errno.ENOTSUP, f"AF_UNIX sockets have no options at level {level}")
        if name in _READ_ONLY:
            raise KernelError(Errno.ENOPROTOOPT, f"socket option {name} cannot be set")
        with self.ns.lock:
            if name == SO_SNDBUF:
                # Linux doubles the value (bookkeeping overhead) within its limits.
                v = min(max(_unpack_int(value), 0), MAX_BUF)
                self.sndbuf = max(v * 2, MIN_SNDBUF)
            elif name == SO_RCVBUF:
                v = min(max(_unpack_int(value), 0), MAX_BUF)
                self.rcvbuf = max(v * 2, MIN_RCVBUF)
            elif name == SO_PASSCRED:
                self.passcred = bool(_unpack_int(value))
            elif name in _STORED:
                need = len(_STORED[name])
                if len(value) < need:
                    raise KernelError(Errno.EINVAL, f"option {name} needs {need} bytes")
                if name in (SO_RCVTIMEO, SO_SNDTIMEO):
                    usec = int.from_bytes(value[8:16], "little", signed=True)
                    if not 0 <= usec < 1_000_000:
                        raise KernelError(Errno.EDOM, "tv_usec out of range")
                self._opts[name] = bytes(value[:need])
            else:
                raise KernelError(Errno.ENOPROTOOPT, f"unknown socket option {name}")
        if name == SO_SNDBUF:
            self.q.notify()  # writability depends on it

    def disconnect(self) -> None:
        """``connect`` to AF_UNSPEC (the syscall layer calls this: AF_UNSPEC is
        no :class:`UnixAddr`). Linux: a datagram socket forgets its peer; a
        connection-oriented one answers EINVAL."""
        raise KernelError(Errno.EINVAL, "connect to AF_UNSPEC on a connection-oriented socket")

    # -- what subclasses answer ---------------------------------------------------------
    @property
    def listening(self) -> bool:
        return False

    def write(self, data: bytes) -> int:
        return self.sendmsg(data, 0, None, None, [], self.creds)

    def sendmsg(
        self, data: bytes, flags: int, addr: SockAddr | None, at: Location | None,
        rights: list[OpenFile], creds: Credentials,
    ) -> int:
        """Send. ``rights`` become this socket's when the call returns; if it
        raises (``WouldBlock`` included) they are still the caller's."""
        return self._send(data, flags, addr, at, rights)

    def _send(
        self, data: bytes, flags: int, addr: SockAddr | None, at: Location | None,
        rights: list[OpenFile],
    ) -> int:
        raise NotImplementedError

    def nread(self) -> int:
        with self.ns.lock:
            if self.type == 2:
                return len(self.rq[0].data) if self.rq else 0
            return self.rq_bytes

    def _closing(self, wake: Wake) -> None:
        """Type-specific work of :meth:`close` (lock held)."""

    def close(self) -> None:
        """The last description went: free the name, drop what is queued (its
        rights are released), tell the peer."""
        wake = Wake()
        with self.ns.lock:
            if self.closed:
                return
            self.closed = True
            self.ns.unbind(self)
            self._closing(wake)
            self.purge(wake)
            self.shut = SHUTDOWN_MASK
            wake(self)
        wake.run()

