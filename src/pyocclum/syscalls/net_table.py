"""The socket calls' table (``occlum`` ABI version 4): their slots, with handlers named.

Apart from the handlers (:class:`pyocclum.syscalls.net.NetSyscalls`), so that the
table is built without importing them: :func:`pyocclum.syscalls.syscall_table`
names them through a :class:`~pyocclum.syscalls.spec.HandlerGroup`, and a run
whose programs import no socket call never imports :mod:`pyocclum.net`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from pyocclum.syscalls import spec as S

MODULE = "occlum"
#: ``socketpair``'s two fds.
FD_PAIR = struct.Struct("<ii")
#: One fd of SCM_RIGHTS.
FD_ITEM = struct.Struct("<i")


def table(handler: Callable[[str], S.Handler]) -> list[S.Syscall]:
    """The socket calls, each handled by ``handler(its name)``."""
    m = MODULE
    fd = S.u32("fd")
    return [
        S.Syscall(m, "socket", (S.u32("domain"), S.u32("type"), S.u32("protocol"),
                                S.out_u32("fd")), handler("socket")),
        S.Syscall(m, "socketpair", (S.u32("domain"), S.u32("type"), S.u32("protocol"),
                                    S.out_struct("fds", FD_PAIR)), handler("socketpair")),
        S.Syscall(m, "bind", (fd, S.data("addr")), handler("bind")),
        S.Syscall(m, "listen", (fd, S.s32("backlog")), handler("listen")),
        S.Syscall(m, "accept4", (fd, S.u32("flags"), S.buf_out("addr"), S.out_len("addrlen"),
                                 S.out_u32("newfd")), handler("accept4")),
        S.Syscall(m, "connect", (fd, S.data("addr")), handler("connect")),
        S.Syscall(m, "sendmsg", (fd, S.iov_in("iovs"), S.u32("flags"), S.data("addr"),
                                 S.array_in("fds", FD_ITEM), S.out_u32("sent")),
                  handler("sendmsg")),
        S.Syscall(m, "recvmsg", (fd, S.iov_out("iovs"), S.u32("flags"), S.buf_out("addr"),
                                 S.out_len("addrlen"), S.buf_out("fds"),
                                 S.out_len("fds_len"), S.out_u32("received"),
                                 S.out_u32("msg_flags")), handler("recvmsg")),
        S.Syscall(m, "shutdown", (fd, S.u32("how")), handler("shutdown")),
        S.Syscall(m, "getsockname", (fd, S.buf_out("addr"), S.out_len("addrlen")),
                  handler("getsockname")),
        S.Syscall(m, "getpeername", (fd, S.buf_out("addr"), S.out_len("addrlen")),
                  handler("getpeername")),
        S.Syscall(m, "getsockopt", (fd, S.u32("level"), S.u32("name"), S.buf_out("value"),
                                    S.out_len("len")), handler("getsockopt")),
        S.Syscall(m, "setsockopt", (fd, S.u32("level"), S.u32("name"), S.data("value")),
                  handler("setsockopt")),
    ]
