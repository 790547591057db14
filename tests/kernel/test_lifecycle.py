"""Process lifecycle in the kernel: zombies, wait4 selection, reparenting, kill."""

from __future__ import annotations

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_exited, wait_status_signaled
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Limits, Process
from pyocclum.kernel.kernel import WNOHANG
from pyocclum.kernel.signals import SIG_IGN, SigAction, bit


class InertExecutor:
    """Starts nothing: the test plays each process's part by hand."""

    def __init__(self) -> None:
        self.interrupted: list[int] = []

    def load(self, path: str, image: bytes) -> None:
        pass

    def start(self, kernel: Kernel, proc: Process, image: bytes) -> None:
        pass

    def interrupt(self, proc: Process) -> None:
        self.interrupted.append(proc.pid)

    def memory_size(self, proc: Process) -> int:
        return 0


class World:
    def __init__(self, limits: Limits | None = None) -> None:
        fs = RamFs()
        fs.root().mkdir("bin", 0o755).create("p", 0o755).write(0, b"\0asm")
        self.executor = InertExecutor()
        self.kernel = Kernel(Vfs(fs), self.executor, limits=limits)
        self.init = self.spawn(None)

    def spawn(self, parent: Process | None, pgid: int | None = None) -> Process:
        return self.kernel.spawn("/bin/p", [b"p"], [], cwd=self.kernel.vfs.root(),
                                 parent=parent, pgid=pgid)

    def exit(self, p: Process, code: int) -> None:
        self.kernel.exit_process(p, wait_status_exited(code))


def errno_of(fn: object, *args: object) -> Errno:
    assert callable(fn)
    with pytest.raises(KernelError) as e:
        fn(*args)
    return e.value.errno


def test_zombie_until_reaped() -> None:
    w = World()
    child = w.spawn(w.init)
    assert w.kernel.wait4(w.init, -1, WNOHANG) == (0, 0)
    with pytest.raises(WouldBlock):
        w.kernel.wait4(w.init, child.pid, 0)
    w.exit(child, 7)
    assert w.kernel.process(child.pid) is child  # a zombie keeps its pid
    assert w.kernel.wait4(w.init, -1, 0) == (child.pid, wait_status_exited(7))
    assert errno_of(w.kernel.process, child.pid) == Errno.ESRCH
    assert errno_of(w.kernel.wait4, w.init, -1, 0) == Errno.ECHILD


def test_wait_selection_by_pid_and_group() -> None:
    w = World()
    a = w.spawn(w.init)
    b = w.spawn(w.init, pgid=0)  # its own group
    w.exit(a, 1)
    w.exit(b, 2)
    assert errno_of(w.kernel.wait4, w.init, 999, 0) == Errno.ECHILD
    assert w.kernel.wait4(w.init, -b.pgid, 0) == (b.pid, wait_status_exited(2))
    assert w.kernel.wait4(w.init, 0, 0) == (a.pid, wait_status_exited(1))


def test_orphans_go_to_init_and_sigchld_is_sent() -> None:
    w = World()
    mid = w.spawn(w.init)
    grandchild = w.spawn(mid)
    w.exit(mid, 0)
    assert grandchild.ppid == 1
    assert w.init.sig.pending & bit(Signal.SIGCHLD) == 0  # ignored by default: not queued
    w.init.sig.actions[Signal.SIGCHLD] = SigAction(handler=5)
    w.exit(grandchild, 3)
    assert w.init.sig.pending & bit(Signal.SIGCHLD)
    reaped = {w.kernel.wait4(w.init, -1, 0)[0], w.kernel.wait4(w.init, -1, 0)[0]}
    assert reaped == {mid.pid, grandchild.pid}


def test_ignoring_sigchld_reaps_at_once() -> None:
    w = World()
    w.init.sig.actions[Signal.SIGCHLD] = SigAction(handler=SIG_IGN)
    child = w.spawn(w.init)
    w.exit(child, 0)
    assert errno_of(w.kernel.wait4, w.init, -1, 0) == Errno.ECHILD


def test_kill_rules() -> None:
    w = World()
    child = w.spawn(w.init)
    assert errno_of(w.kernel.kill, w.init, 4242, Signal.SIGTERM) == Errno.ESRCH
    assert errno_of(w.kernel.kill, w.init, child.pid, 99) == Errno.EINVAL
    w.kernel.kill(w.init, child.pid, 0)  # existence check only
    assert child.kill_status is None
    w.kernel.kill(w.init, child.pid, Signal.SIGTERM)
    assert child.kill_status == wait_status_signaled(Signal.SIGTERM)
    assert child.pid in w.executor.interrupted
    blocked = w.spawn(w.init)
    blocked.sig.blocked = bit(Signal.SIGUSR1)
    w.kernel.kill(w.init, blocked.pid, Signal.SIGUSR1)
    assert blocked.kill_status is None  # blocked: stays pending
    assert blocked.sig.pending & bit(Signal.SIGUSR1)
    w.kernel.kill(w.init, blocked.pid, Signal.SIGKILL)  # cannot be blocked
    assert blocked.kill_status == wait_status_signaled(Signal.SIGKILL)


def test_kill_minus_one_spares_init_and_sender() -> None:
    w = World()
    a, b = w.spawn(w.init), w.spawn(w.init)
    w.kernel.kill(a, -1, Signal.SIGTERM)
    assert b.kill_status is not None
    assert a.kill_status is None
    assert w.init.kill_status is None


def test_process_limit() -> None:
    w = World(Limits(max_processes=2))
    w.spawn(w.init)
    assert errno_of(w.spawn, w.init) == Errno.EAGAIN


def _run_for(p: Process, ns: int) -> None:
    """Play ``p``'s thread for ``ns`` of CPU time on this host thread."""
    import time

    p.cpu.enter()
    start = time.thread_time_ns()
    while time.thread_time_ns() - start < ns:
        pass
    p.cpu.leave()


def test_a_reaped_childs_cpu_time_goes_to_its_parent_with_its_own_childrens() -> None:
    """Linux's RUSAGE_CHILDREN: the waited-for children's time, each with the time
    of its own waited-for children; a child not yet reaped does not count."""
    w = World()
    child = w.spawn(w.init)
    grandchild = w.spawn(child)
    _run_for(grandchild, 30_000_000)
    w.exit(grandchild, 0)
    assert w.kernel.reap(child, grandchild.pid, 0) is grandchild
    _run_for(child, 20_000_000)
    w.exit(child, 0)
    assert w.init.cpu.children().user_ns + w.init.cpu.children().sys_ns == 0
    reaped = w.kernel.reap(w.init, -1, 0)
    assert reaped is child
    kids = w.init.cpu.children()
    assert 45_000_000 <= kids.user_ns + kids.sys_ns < 120_000_000


def test_sysinfo_says_what_proc_meminfo_says() -> None:
    from pyocclum.kernel.procsource import KernelProcSource
    from pyocclum.syscalls.occlum import OcclumSyscalls
    from pyocclum.syscalls.wasi import WasiSyscalls

    w = World(Limits(user_space=100 << 20))
    w.executor.memory_size = lambda proc: 30 << 20  # type: ignore[method-assign]
    w.spawn(w.init)
    sys = OcclumSyscalls(w.kernel, WasiSyscalls(w.kernel))
    _, total, free, procs, unit = sys.sysinfo(w.init)
    assert (total, free, procs, unit) == (100 << 20, 40 << 20, 2, 1)
    assert KernelProcSource(w.kernel, 100 << 20).memory() == (total, free)
    w.spawn(w.init)
    w.spawn(w.init)
    assert sys.sysinfo(w.init)[2] == 0  # never below 0
