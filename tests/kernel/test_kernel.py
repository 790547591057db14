"""Kernel.spawn and exit_process with a RamFs root and a recording executor."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import wait_status_exited, wait_status_signaled
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.types import Stream
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Limits, Process
from pyocclum.kernel import kernel as kernel_module
from pyocclum.kernel.fdtable import ROOT_FD, FdTable

IMAGE = b"\0asm\x01\0\0\0 pretend program"


class CountingStream(Stream):
    def __init__(self, tty: bool = False) -> None:
        self.closed = 0
        self.tty = tty

    def close(self) -> None:
        self.closed += 1

    def isatty(self) -> bool:
        return self.tty


@dataclass
class RecordingExecutor:
    """Records each start; raises ``fail`` instead if set."""

    started: list[tuple[Kernel, Process, bytes]] = field(default_factory=list)
    fail: BaseException | None = None

    loaded: list[tuple[str, bytes]] = field(default_factory=list)
    interrupted: list[Process] = field(default_factory=list)

    def load(self, path: str, image: bytes) -> None:
        self.loaded.append((path, image))

    def start(self, kernel: Kernel, proc: Process, image: bytes) -> None:
        self.started.append((kernel, proc, image))
        if self.fail is not None:
            raise self.fail

    def interrupt(self, proc: Process) -> None:
        self.interrupted.append(proc)

    def memory_size(self, proc: Process) -> int:
        return 0


class Box:
    def __init__(self, limits: Limits | None = None) -> None:
        self.fs = RamFs()
        root = self.fs.root()
        bin_ = root.mkdir("bin", 0o755)
        bin_.create("prog", 0o755).write(0, IMAGE)
        bin_.create("other", 0o755).write(0, b"other image")
        bin_.symlink("link", "prog")
        root.symlink("bin_link", "/bin")
        self.executor = RecordingExecutor()
        self.kernel = Kernel(Vfs(self.fs), self.executor, limits=limits)
        self.streams: list[CountingStream] = []

    def stdio(self) -> list[OpenFile]:
        streams = [CountingStream() for _ in range(3)]
        self.streams.extend(streams)
        return [
            self.kernel.new_stdio_file(streams[0], readable=True, writable=False),
            self.kernel.new_stdio_file(streams[1], readable=False, writable=True),
            self.kernel.new_stdio_file(streams[2], readable=False, writable=True),
        ]

    def spawn(self, path: str = "/bin/prog", stdio: list[OpenFile] | None = None) -> Process:
        return self.kernel.spawn(
            path, [path.encode(), b"arg"], [b"A=1"], cwd=self.kernel.vfs.root(),
            stdio=self.stdio() if stdio is None else stdio,
        )


@pytest.fixture
def box() -> Box:
    return Box()


def errno_of(e: pytest.ExceptionInfo[KernelError]) -> Errno:
    return e.value.errno


def test_spawn_hands_the_image_to_the_executor(box: Box) -> None:
    proc = box.spawn()
    assert len(box.executor.started) == 1
    kernel, started, image = box.executor.started[0]
    assert kernel is box.kernel
    assert started is proc
    assert image == IMAGE
    assert proc.pid == 1
    assert proc.ppid == 0
    assert proc.path == "/bin/prog"
    assert proc.argv == [b"/bin/prog", b"arg"]
    assert proc.env == [b"A=1"]
    assert proc.cwd_path == "/"
    assert proc.status is None
    assert not proc.done.is_set()
    assert box.kernel.process(proc.pid) is proc
    assert box.kernel.processes() == [proc]


def test_pids_increase(box: Box) -> None:
    pids = [box.spawn().pid for _ in range(3)]
    assert pids == [1, 2, 3]


def test_symlinks_are_followed(box: Box) -> None:
    proc = box.spawn("/bin/link")
    assert proc.path == "/bin/prog"
    assert box.executor.started[0][2] == IMAGE
    proc2 = box.spawn("/bin_link/other")
    assert proc2.path == "/bin/other"
    assert box.executor.started[1][2] == b"other image"


def test_limits_reach_the_process() -> None:
    limits = Limits(max_processes=5, max_open_files=17, process_memory=3 << 20)
    b = Box(limits)
    proc = b.spawn()
    assert proc.memory_limit == 3 << 20
    assert proc.fds.max_fds == 17


@pytest.mark.parametrize(
    ("path", "errno"),
    [("/bin/missing", Errno.ENOENT), ("/nope/prog", Errno.ENOENT),
     ("/bin/prog/x", Errno.ENOTDIR)],
)
def test_missing_program(box: Box, path: str, errno: Errno) -> None:
    with pytest.raises(KernelError) as e:
        box.spawn(path)
    assert errno_of(e) == errno
    assert box.executor.started == []
    assert box.kernel.processes() == []
    assert box.spawn().pid == 1  # no pid was used up


@pytest.mark.parametrize("path", ["/bin", "/", "/bin_link"])
def test_directory_is_eacces(box: Box, path: str) -> None:
    with pytest.raises(KernelError) as e:
        box.spawn(path)
    assert errno_of(e) == Errno.EACCES
    assert "directory" in e.value.msg
    assert box.executor.started == []
    assert box.kernel.processes() == []


def test_stdio_and_root_preopen(box: Box) -> None:
    stdio = box.stdio()
    proc = box.spawn(stdio=stdio)
    for fd in range(3):
        assert proc.fds.get(fd) is stdio[fd]
    root = proc.fds.get(ROOT_FD)
    assert ROOT_FD == 3
    assert root.path == "/"
    assert root.filetype == FileType.DIRECTORY
    assert root.inode is box.fs.root()
    assert root.stream is None
    assert root.readable
    assert not root.writable
    assert len(proc.fds) == 4
    assert [fd for fd, _ in proc.fds.items()] == [0, 1, 2, 3]


def test_each_process_has_its_own_preopen(box: Box) -> None:
    a, b = box.spawn(), box.spawn()
    assert a.fds.get(ROOT_FD) is not b.fds.get(ROOT_FD)
    assert a.fds is not b.fds


def test_process_limit() -> None:
    b = Box(Limits(max_processes=2))
    first = b.spawn()
    b.spawn()
    with pytest.raises(KernelError) as e:
        b.spawn()
    assert errno_of(e) == Errno.EAGAIN
    assert "max_num_of_processes" in e.value.msg
    assert "2" in e.value.msg
    assert len(b.executor.started) == 2
    assert len(b.kernel.processes()) == 2
    # An exit frees a slot.
    b.kernel.exit_process(first, wait_status_exited(0))
    assert b.spawn().pid == 3


@pytest.mark.parametrize(
    "failure",
    [KernelError(Errno.ENOEXEC, "not a program"), RuntimeError("executor bug")],
    ids=["ENOEXEC", "RuntimeError"],
)
def test_failed_start_releases_everything(failure: BaseException) -> None:
    b = Box(Limits(max_processes=1))
    b.executor.fail = failure
    with pytest.raises(type(failure)):
        b.spawn()
    proc = b.executor.started[0][1]
    assert b.kernel.processes() == []
    with pytest.raises(KernelError) as e:
        b.kernel.process(proc.pid)
    assert errno_of(e) == Errno.ESRCH
    assert len(proc.fds) == 0
    assert [s.closed for s in b.streams] == [1, 1, 1]
    # The slot is free again: the limit of one process does not count the failure.
    b.executor.fail = None
    ok = b.spawn()
    assert b.kernel.processes() == [ok]
    assert ok.pid != proc.pid


def test_exit_process(box: Box) -> None:
    proc = box.spawn()
    streams = box.streams[-3:]
    box.kernel.exit_process(proc, wait_status_exited(3), "")
    assert proc.status == wait_status_exited(3)
    assert proc.done.is_set()
    assert len(proc.fds) == 0
    assert [s.closed for s in streams] == [1, 1, 1]
    assert box.kernel.processes() == []
    with pytest.raises(KernelError) as e:
        box.kernel.process(proc.pid)
    assert errno_of(e) == Errno.ESRCH


def test_exit_by_signal_keeps_the_reason(box: Box) -> None:
    proc = box.spawn()
    box.kernel.exit_process(proc, wait_status_signaled(11), "out-of-bounds memory access")
    assert proc.status == 11
    assert proc.death_reason == "out-of-bounds memory access"
    # The first status wins.
    box.kernel.exit_process(proc, wait_status_exited(0), "later")
    assert proc.status == 11
    assert proc.death_reason == "out-of-bounds memory access"


def test_shared_stdio_closes_with_the_last_process(box: Box) -> None:
    stream = CountingStream()
    shared = box.kernel.new_stdio_file(stream, readable=False, writable=True)
    a = box.spawn(stdio=[box.stdio()[0], shared.acquire(), shared.acquire()])
    b = box.spawn(stdio=[box.stdio()[0], shared.acquire(), shared])
    box.kernel.exit_process(a, 0)
    assert stream.closed == 0
    box.kernel.exit_process(b, 0)
    assert stream.closed == 1


def test_new_stdio_file_types(box: Box) -> None:
    tty = box.kernel.new_stdio_file(CountingStream(tty=True), readable=True, writable=False)
    assert tty.filetype == FileType.CHARACTER_DEVICE
    assert tty.path == "/dev/tty"
    assert tty.readable
    assert not tty.writable
    pipe = box.kernel.new_stdio_file(CountingStream(), readable=False, writable=True)
    assert pipe.filetype == FileType.UNKNOWN
    assert pipe.writable
    assert not pipe.readable


def test_kernels_are_independent() -> None:
    a, b = Box(), Box()
    pa = a.spawn()
    pb = b.spawn()
    assert pa.pid == pb.pid == 1
    assert a.kernel.processes() == [pa]
    assert b.kernel.processes() == [pb]


def test_process_limit_holds_under_concurrent_spawns(monkeypatch: pytest.MonkeyPatch) -> None:
    b = Box(Limits(max_processes=1))
    barrier = threading.Barrier(2)

    class RacingFdTable(FdTable):
        # Built right after the pid is allocated: hold both spawns here.
        def __init__(self, max_fds: int) -> None:
            # A broken barrier: the other spawn was (rightly) refused before getting here.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(10)
            super().__init__(max_fds)

    monkeypatch.setattr(kernel_module, "FdTable", RacingFdTable)
    results: list[str] = []
    lock = threading.Lock()

    def spawn() -> None:
        try:
            b.spawn()
            outcome = "ok"
        except KernelError as e:
            outcome = e.errno.name
            barrier.abort()  # release the other spawn at once
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=spawn) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["EAGAIN", "ok"]
    assert len(b.kernel.processes()) == 1
