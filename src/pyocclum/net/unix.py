"""AF_UNIX sockets, entirely inside the LibOS (Linux ``unix(7)``).

The syscall layer makes them with :func:`unix_socket` and
:func:`unix_socketpair` (``type`` without SOCK_NONBLOCK/SOCK_CLOEXEC) against
the kernel's one :class:`UnixNamespace`, which holds the abstract names and
maps socket nodes of the VFS to the sockets bound there. Each socket is a
:class:`~pyocclum.net.socket.Socket` (see its contract); the types live in
:mod:`~pyocclum.net.unix_conn` (SOCK_STREAM, SOCK_SEQPACKET) and
:mod:`~pyocclum.net.unix_dgram` (SOCK_DGRAM), what they share in
:mod:`~pyocclum.net.unix_core`.

Names:

* A **path** ``bind`` creates a socket node at the path (resolved against the
  ``at`` location, the caller's cwd): EADDRINUSE if anything is there, the
  walk's ENOENT/ENOTDIR/..., EPERM on a file system that cannot hold sockets
  (hostfs). The node stays after the socket closes (``unlink`` removes it, as
  on Linux); ``connect`` to it then gets ECONNREFUSED; ENOENT if no node.
* An **abstract** name (leading NUL) lives in the namespace only and is freed
  when the socket closes. Binding to the unnamed address (length 2), picks a
  free abstract name of five hex digits (Linux's autobind).
* ``getsockname``/``getpeername`` answer the name as bound (a relative path
  stays relative, as Linux), or the unnamed address.

Rights (SCM_RIGHTS): :meth:`sendmsg` takes ownership of the ``rights``
references when it returns (an exception, ``WouldBlock`` included, leaves
them with the caller, which releases them or retries); they travel with the first byte of that
write. A stream caller that loops over a partial count passes ``rights=[]``
for the rest. :meth:`recvmsg` hands them over (those past ``rights_room`` are
released and MSG_CTRUNC set); MSG_PEEK hands over new references. A socket
closed with rights queued releases them. A socket passed over itself (or a
cycle of sockets) keeps itself alive: Linux has a garbage collector for such
cycles, we do not.

For the syscall layer:

* A non-blocking ``connect`` that raises ``WouldBlock`` (the listener's
  backlog is full) is EAGAIN for AF_UNIX, not EINPROGRESS: an AF_UNIX connect
  is never in progress. A blocking one waits and calls ``connect`` again.
* A stream ``sendmsg`` may send less than asked (room for part of it); a
  blocking caller loops over the rest, as for pipes. ``recvmsg`` returns what
  is there now, MSG_WAITALL or not: a blocking MSG_WAITALL caller loops (and
  stops after a part that carried rights, as Linux does).
* Credentials (SO_PEERCRED) are ``sock.creds`` when ``connect`` (the
  connecting side's) or ``listen`` (the accepting side's) is called: those
  passed at creation, unless the syscall layer sets ``sock.creds`` to the
  calling process's first (Linux records the process that makes the call).
* SO_PASSCRED is stored, and gives an unbound socket an automatic name before
  it connects or sends (as Linux); no SCM_CREDENTIALS are delivered (the ABI
  carries none).
* ``shutdown`` on an unconnected AF_UNIX socket succeeds (Linux: no ENOTCONN).
"""

from __future__ import annotations

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.net.socket import SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, Credentials
from pyocclum.net.unix_conn import CONNECTED, UnixConnSocket
from pyocclum.net.unix_core import UnixNamespace, UnixSocket
from pyocclum.net.unix_dgram import UnixDgramSocket

__all__ = [
    "UnixConnSocket",
    "UnixDgramSocket",
    "UnixNamespace",
    "UnixSocket",
    "unix_socket",
    "unix_socketpair",
]

#: Linux's SOCK_RAW: for AF_UNIX a legacy alias of SOCK_DGRAM.
_SOCK_RAW = 3


def unix_socket(type: int, creds: Credentials, ns: UnixNamespace) -> UnixSocket:
    """A new unbound, unconnected AF_UNIX socket of ``type``
    (ESOCKTNOSUPPORT for a type AF_UNIX does not have)."""
    if type in (SOCK_STREAM, SOCK_SEQPACKET):
        return UnixConnSocket(type, creds, ns)
    if type in (SOCK_DGRAM, _SOCK_RAW):
        return UnixDgramSocket(SOCK_DGRAM, creds, ns)
    raise KernelError(Errno.EPROTONOSUPPORT, f"AF_UNIX has no socket type {type}")


def unix_socketpair(
    type: int, creds: Credentials, ns: UnixNamespace
) -> tuple[UnixSocket, UnixSocket]:
    """Two connected, unnamed sockets; each one's SO_PEERCRED is ``creds``."""
    a = unix_socket(type, creds, ns)
    b = unix_socket(type, creds, ns)
    with ns.lock:
        a.peer, b.peer = b, a
        a.peercred = b.peercred = creds
        if isinstance(a, UnixConnSocket) and isinstance(b, UnixConnSocket):
            a.state = b.state = CONNECTED
        elif isinstance(a, UnixDgramSocket) and isinstance(b, UnixDgramSocket):
            a.senders.add(b)
            b.senders.add(a)
    return a, b
