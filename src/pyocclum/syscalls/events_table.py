"""The events calls' table (epoll, poll, eventfd, timerfd, comm, priority): their
slots, with handlers named.

Apart from the handlers (:class:`pyocclum.syscalls.events.EventsSyscalls`), so
that the table is built without importing them: :func:`pyocclum.syscalls.syscall_table`
names them through a :class:`~pyocclum.syscalls.spec.HandlerGroup`, and a run
whose programs import none of these calls never imports epoll, eventfd or timerfd.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from pyocclum.syscalls import spec as S

MODULE = "occlum"
#: Linux's ``struct epoll_event`` on x86-64 (packed): u32 events, u64 data.
EPOLL_EVENT = struct.Struct("<IQ")
POLLFD = struct.Struct("<ihh")
SIGSET = struct.Struct("<Q")
ITIMERSPEC = struct.Struct("<qqqq")  # it_interval {sec, nsec}, it_value {sec, nsec}


def table(handler: Callable[[str], S.Handler]) -> list[S.Syscall]:
    """The events calls, each handled by ``handler(its name)``."""
    m = MODULE
    return [
        S.Syscall(m, "epoll_create1", (S.u32("flags"), S.out_u32("fd")),
                  handler("epoll_create1")),
        S.Syscall(m, "epoll_ctl", (S.s32("epfd"), S.u32("op"), S.s32("fd"),
                                   S.struct_in("event", EPOLL_EVENT)), handler("epoll_ctl")),
        S.Syscall(m, "epoll_pwait", (S.s32("epfd"), S.buf_out("events"), S.s64("timeout_ns"),
                                     S.struct_in("sigmask", SIGSET), S.out_u32("n")),
                  handler("epoll_pwait")),
        S.Syscall(m, "poll", (S.array_in("fds", POLLFD), S.buf_out("out"),
                              S.s64("timeout_ns"), S.struct_in("sigmask", SIGSET),
                              S.out_u32("n")), handler("poll")),
        S.Syscall(m, "eventfd2", (S.u32("initval"), S.u32("flags"), S.out_u32("fd")),
                  handler("eventfd2")),
        S.Syscall(m, "timerfd_create", (S.s32("clock"), S.u32("flags"), S.out_u32("fd")),
                  handler("timerfd_create")),
        S.Syscall(m, "timerfd_settime", (S.s32("fd"), S.u32("flags"),
                                         S.struct_in("new", ITIMERSPEC),
                                         S.out_struct_opt("old", ITIMERSPEC)),
                  handler("timerfd_settime")),
        S.Syscall(m, "timerfd_gettime", (S.s32("fd"), S.out_struct("cur", ITIMERSPEC)),
                  handler("timerfd_gettime")),
        S.Syscall(m, "cpu_count", (), handler("cpu_count"), returns="value"),
        S.Syscall(m, "set_comm", (S.data("name"),), handler("set_comm")),
        S.Syscall(m, "get_comm", (S.buf_out("buf"), S.out_len("len")), handler("get_comm")),
        S.Syscall(m, "getpriority", (S.u32("which"), S.s32("who"), S.out_u32("prio")),
                  handler("getpriority")),
        S.Syscall(m, "setpriority", (S.u32("which"), S.s32("who"), S.s32("nice")),
                  handler("setpriority")),
    ]
