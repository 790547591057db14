"""syscalls/events.py: epoll, poll, eventfd, timerfd and the rest, on a kernel
that runs no programs (the Linux programs in tests/linux check the whole path)."""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Callable

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import HostFdStream
from pyocclum.fs.vfs import Vfs
from pyocclum.ipc.pipe import PipeReader
from pyocclum.kernel import Kernel, Process
from pyocclum.kernel.procsource import comm_of
from pyocclum.kernel.readiness import POLLHUP, POLLIN, POLLNVAL, POLLOUT
from pyocclum.syscalls.events import (
    EPOLL_EVENT,
    POLL_EXACT,
    POLLFD,
    EventsSyscalls,
)
from pyocclum.syscalls.occlum import OcclumSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
O_CLOEXEC, O_NONBLOCK, O_CREAT, O_RDWR = 0x80000, 0x800, 0x40, 2
AT_FDCWD = -100


class Env:
    def __init__(self) -> None:
        self.kernel = Kernel(Vfs(RamFs()), NoExecutor())
        self.p = first_process(self.kernel)
        self.wasi = WasiSyscalls(self.kernel)
        self.occlum = OcclumSyscalls(self.kernel, self.wasi)
        self.ev = EventsSyscalls(self.kernel)

    def errno(self, fn: Callable[..., object], *args: object) -> Errno:
        with pytest.raises(KernelError) as e:
            fn(self.p, *args)
        return e.value.errno

    def poll(self, fds: list[tuple[int, int]], timeout_ns: int = 0) -> tuple[list[int], int]:
        entries = [(fd, ev, 0) for fd, ev in fds]
        out, n = self.ev.poll(self.p, entries, len(entries) * POLLFD.size, timeout_ns, None)
        return [POLLFD.unpack_from(out, i * POLLFD.size)[2] & 0xFFFF
                for i in range(len(fds))], n

    def wait(self, epfd: int, maxevents: int = 8, timeout_ns: int = 0) -> list[tuple[int, int]]:
        out, n = self.ev.epoll_pwait(self.p, epfd, maxevents * EPOLL_EVENT.size, timeout_ns, None)
        return [EPOLL_EVENT.unpack_from(out, i * EPOLL_EVENT.size) for i in range(n)]


@pytest.fixture
def env() -> Env:
    return Env()


def later(seconds: float, action: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_poll_reports_what_linux_does(env: Env) -> None:
    r, w = env.occlum.pipe2(env.p, 0)
    assert env.poll([(r, POLLIN), (w, POLLOUT), (-1, POLLIN), (40, POLLIN)]) == (
        [0, POLLOUT, 0, POLLNVAL], 2)
    env.wasi.fd_write(env.p, w, b"x")
    env.wasi.fd_close(env.p, w)
    assert env.poll([(r, POLLIN)]) == ([POLLIN | POLLHUP], 1)
    # select's private bit: exactly what is asked, no implicit POLLHUP.
    assert env.poll([(r, POLL_EXACT | 0x2)]) == ([0], 0)
    f = env.occlum.openat(env.p, AT_FDCWD, "file", O_CREAT | O_RDWR, 0o644)
    assert env.poll([(f, POLLIN | POLLOUT)]) == ([POLLIN | POLLOUT], 1)


def test_poll_sleeps_on_the_wait_queue_not_in_a_loop(env: Env) -> None:
    r, w = env.occlum.pipe2(env.p, 0)
    f = env.p.fds.get(r)
    assert isinstance(f.stream, PipeReader)
    checks = 0
    real = f.stream.poll_events

    def counting() -> int:
        nonlocal checks
        checks += 1
        return real()

    f.stream.poll_events = counting  # type: ignore[method-assign]
    later(0.3, lambda: env.wasi.fd_write(env.p, w, b"x"))
    start = time.monotonic()
    assert env.poll([(r, POLLIN)], timeout_ns=10 * 10**9) == ([POLLIN], 1)
    assert 0.25 < time.monotonic() - start < 2
    assert checks <= 4  # once before sleeping, once after the write's notify (and slack)


def test_epoll_wait_is_woken_by_a_write_and_times_out(env: Env) -> None:
    ep = env.ev.epoll_create1(env.p, O_CLOEXEC)
    assert env.p.fds.entry(ep).cloexec
    r, w = env.occlum.pipe2(env.p, 0)
    env.ev.epoll_ctl(env.p, ep, EPOLL_CTL_ADD, r, (POLLIN, 0xDEADBEEF12345678))
    start = time.monotonic()
    assert env.wait(ep, timeout_ns=50 * 10**6) == []
    assert time.monotonic() - start >= 0.045
    later(0.1, lambda: env.wasi.fd_write(env.p, w, b"x"))
    assert env.wait(ep, timeout_ns=10 * 10**9) == [(POLLIN, 0xDEADBEEF12345678)]


def test_a_signal_interrupts_epoll_wait(env: Env) -> None:
    ep = env.ev.epoll_create1(env.p, 0)
    later(0.1, lambda: env.kernel.send_signal(env.p, Signal.SIGUSR1))
    start = time.monotonic()
    assert env.errno(env.ev.epoll_pwait, ep, 96, 10 * 10**9, None) == Errno.EINTR
    assert time.monotonic() - start < 2


def test_pwait_runs_with_its_mask_and_puts_the_old_one_back(env: Env) -> None:
    ep = env.ev.epoll_create1(env.p, 0)
    usr1 = 1 << (Signal.SIGUSR1 - 1)
    env.p.sig.blocked = usr1
    env.kernel.send_signal(env.p, Signal.SIGUSR1)
    assert env.p.sig.pending & usr1
    assert env.ev.epoll_pwait(env.p, ep, 96, 20 * 10**6, (usr1,)) == (b"", 0)
    assert env.p.sig.blocked == usr1
    assert env.errno(env.ev.epoll_pwait, ep, 96, 10 * 10**9, (0,)) == Errno.EINTR
    assert env.p.sig.blocked == usr1


def test_epoll_ctl_errors(env: Env) -> None:
    ep = env.ev.epoll_create1(env.p, 0)
    r, w = env.occlum.pipe2(env.p, 0)
    f = env.occlum.openat(env.p, AT_FDCWD, "file", O_CREAT | O_RDWR, 0o644)
    ev = (POLLIN, 0)
    assert env.errno(env.ev.epoll_create1, 1) == Errno.EINVAL
    assert env.errno(env.ev.epoll_ctl, ep, EPOLL_CTL_ADD, r, None) == Errno.EFAULT
    assert env.errno(env.ev.epoll_ctl, ep, EPOLL_CTL_ADD, 50, ev) == Errno.EBADF
    assert env.errno(env.ev.epoll_ctl, ep, EPOLL_CTL_ADD, f, ev) == Errno.EPERM
    assert env.errno(env.ev.epoll_ctl, r, EPOLL_CTL_ADD, w, ev) == Errno.EINVAL
    assert env.errno(env.ev.epoll_ctl, ep, EPOLL_CTL_ADD, ep, ev) == Errno.EINVAL
    assert env.errno(env.ev.epoll_ctl, ep, 9, r, ev) == Errno.EINVAL
    assert env.errno(env.ev.epoll_ctl, ep, EPOLL_CTL_DEL, r, None) == Errno.ENOENT
    outer = env.ev.epoll_create1(env.p, 0)
    env.ev.epoll_ctl(env.p, outer, EPOLL_CTL_ADD, ep, ev)
    assert env.errno(env.ev.epoll_ctl, ep, EPOLL_CTL_ADD, outer, ev) == Errno.ELOOP
    assert env.errno(env.ev.epoll_pwait, ep, 0, 0, None) == Errno.EINVAL
    assert env.errno(env.ev.epoll_pwait, r, 12, 0, None) == Errno.EINVAL


def test_eventfd_and_timerfd_through_fds(env: Env) -> None:
    assert env.errno(env.ev.eventfd2, 0, 0x4) == Errno.EINVAL
    fd = env.ev.eventfd2(env.p, 2, O_NONBLOCK)
    assert env.p.fds.get(fd).path == "anon_inode:[eventfd]"
    assert env.wasi.fd_read(env.p, fd, 8) == struct.pack("<Q", 2)
    assert env.errno(env.wasi.fd_read, fd, 8) == Errno.EAGAIN
    assert env.errno(env.ev.timerfd_create, 5, 0) == Errno.EINVAL
    assert env.errno(env.ev.timerfd_create, 1, 0x1) == Errno.EINVAL
    t = env.ev.timerfd_create(env.p, 1, 0)
    assert env.errno(env.ev.timerfd_settime, t, 0, (0, 0, 0, 10**9)) == Errno.EINVAL
    assert env.errno(env.ev.timerfd_settime, fd, 0, (0, 0, 1, 0)) == Errno.EINVAL
    # The clock starts before settime: a loaded host may pause this thread for
    # longer than the timer between settime and the read.
    start = time.monotonic()
    assert env.ev.timerfd_settime(env.p, t, 0, (0, 0, 0, 30 * 10**6)) == (0, 0, 0, 0)
    assert env.wasi.fd_read(env.p, t, 8) == struct.pack("<Q", 1)  # blocks until it fires
    assert time.monotonic() - start >= 0.03


def test_comm_is_reset_by_exec_and_priorities_are_recorded(env: Env) -> None:
    p: Process = env.p
    assert env.ev.get_comm(p, 16) == b"t\0"
    env.ev.set_comm(p, b"a-very-long-name-indeed")
    assert env.ev.get_comm(p, 16) == b"a-very-long-nam\0"
    assert env.errno(env.ev.get_comm, 4) == Errno.ERANGE
    p.argv = [b"/bin/other"]  # what execve does
    assert comm_of(p) == "t"
    assert env.ev.getpriority(p, 0, 0) == 20
    env.ev.setpriority(p, 0, 0, 25)
    assert p.nice == 19
    assert env.ev.getpriority(p, 0, 0) == 1
    assert env.errno(env.ev.getpriority, 0, 999) == Errno.ESRCH
    assert env.errno(env.ev.setpriority, 7, 0, 0) == Errno.EINVAL
    assert env.ev.cpu_count(p) >= 1


def test_a_host_fd_wakes_poll_and_epoll_through_the_host_poller(env: Env) -> None:
    r, w = os.pipe()
    try:
        stream = HostFdStream(r, readable=True, writable=False)
        calls = 0
        real = stream.readable_now

        def counting() -> bool:
            nonlocal calls
            calls += 1
            return real()

        stream.readable_now = counting  # type: ignore[method-assign]
        fd = env.p.fds.install(env.kernel.new_stdio_file(stream, readable=True, writable=False))
        later(0.3, lambda: os.write(w, b"x"))
        start = time.monotonic()
        assert env.poll([(fd, POLLIN)], timeout_ns=10 * 10**9) == ([POLLIN], 1)
        assert 0.25 < time.monotonic() - start < 2
        assert calls <= 4  # no 5 ms naps: the host poller woke the wait
        assert env.ev.hostpoll.armed() == 0
        os.read(r, 1)
        ep = env.ev.epoll_create1(env.p, 0)
        env.ev.epoll_ctl(env.p, ep, EPOLL_CTL_ADD, fd, (POLLIN, 9))
        assert env.wait(ep) == []
        calls = 0
        later(0.3, lambda: os.write(w, b"y"))
        assert env.wait(ep, timeout_ns=10 * 10**9) == [(POLLIN, 9)]
        assert calls <= 6
    finally:
        os.close(w)
