"""``fcntl(F_GETPIPE_SZ/F_SETPIPE_SZ)`` on the kernel's pipes (syscalls/occlum.py
``_pipe_size``, ipc/pipe.py ``Pipe.resize``): Linux's rounding and errors."""

from __future__ import annotations

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.ipc import DEFAULT_CAPACITY, PIPE_BUF, Pipe
from pyocclum.kernel import Kernel, Process
from pyocclum.syscalls.occlum import (
    F_GETPIPE_SZ,
    F_SETPIPE_SZ,
    PIPE_MAX_SIZE,
    OcclumSyscalls,
)
from pyocclum.syscalls.wasi import WasiSyscalls


@pytest.fixture
def sys_and_proc() -> tuple[OcclumSyscalls, Process]:
    kernel = Kernel(Vfs(RamFs()), NoExecutor())
    return OcclumSyscalls(kernel, WasiSyscalls(kernel)), first_process(kernel)


def errno_of(sys: OcclumSyscalls, p: Process, fd: int, cmd: int, arg: int) -> Errno:
    with pytest.raises(KernelError) as e:
        sys.fcntl(p, fd, cmd, arg)
    return e.value.errno


def test_sizes_round_up_to_pages_in_powers_of_two(
        sys_and_proc: tuple[OcclumSyscalls, Process]) -> None:
    sys, p = sys_and_proc
    r, w = sys.pipe2(p, 0)
    assert sys.fcntl(p, r, F_GETPIPE_SZ, 0) == DEFAULT_CAPACITY
    for asked, got in [(0, 4096), (1, 4096), (4096, 4096), (5000, 8192), (65536, 65536),
                       (65537, 131072), (PIPE_MAX_SIZE, PIPE_MAX_SIZE)]:
        assert sys.fcntl(p, w, F_SETPIPE_SZ, asked) == got
        assert sys.fcntl(p, r, F_GETPIPE_SZ, 0) == got  # both ends, one pipe


def test_errors(sys_and_proc: tuple[OcclumSyscalls, Process]) -> None:
    sys, p = sys_and_proc
    _, w = sys.pipe2(p, 0)
    assert errno_of(sys, p, w, F_SETPIPE_SZ, PIPE_MAX_SIZE + 1) == Errno.EPERM
    assert errno_of(sys, p, w, F_SETPIPE_SZ, -1) == Errno.EINVAL  # 4 GiB - 1 unsigned
    sys.fcntl(p, w, F_SETPIPE_SZ, 65536)
    writer = p.fds.get(w).stream
    assert writer is not None
    writer.write(b"x" * 10000)
    assert errno_of(sys, p, w, F_SETPIPE_SZ, 8192) == Errno.EBUSY
    assert sys.fcntl(p, w, F_GETPIPE_SZ, 0) == 65536


def test_a_regular_file_is_ebadf(sys_and_proc: tuple[OcclumSyscalls, Process]) -> None:
    sys, p = sys_and_proc
    fd = sys.openat(p, -100, "/f", 0o102, 0o644)  # O_RDWR | O_CREAT
    assert errno_of(sys, p, fd, F_GETPIPE_SZ, 0) == Errno.EBADF
    assert errno_of(sys, p, fd, F_SETPIPE_SZ, 4096) == Errno.EBADF


def test_resize_wakes_writers_and_keeps_data() -> None:
    pipe = Pipe(PIPE_BUF)
    pipe.writer.write(b"a" * PIPE_BUF)
    with pytest.raises(WouldBlock):
        pipe.writer.write(b"b")
    pipe.resize(2 * PIPE_BUF)
    assert pipe.writer.write(b"b" * PIPE_BUF) == PIPE_BUF
    assert pipe.reader.read(3 * PIPE_BUF) == b"a" * PIPE_BUF + b"b" * PIPE_BUF
    with pytest.raises(ValueError, match="PIPE_BUF"):
        pipe.resize(PIPE_BUF - 1)
