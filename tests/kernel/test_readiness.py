"""kernel/readiness.py: what poll sees of an open file, and waiting on many queues."""

from __future__ import annotations

import os
import threading
import time

from pyocclum.abi.wasi import FileType
from pyocclum.fs.devfs import DevFs
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream, HostFdStream
from pyocclum.fs.types import Stream
from pyocclum.fs.vfs import Vfs
from pyocclum.fs.waitq import WaitQueue
from pyocclum.ipc.pipe import Pipe
from pyocclum.kernel import FdTable, Process
from pyocclum.kernel.readiness import (
    DEFAULT_POLLMASK,
    POLLIN,
    POLLOUT,
    POLLRDNORM,
    POLLWRNORM,
    MultiWait,
    can_poll,
    host_fd,
    poll_events,
)


def opened(stream: Stream | None, readable: bool = True, writable: bool = True) -> OpenFile:
    return OpenFile(inode=None if stream is not None else RamFs().root(), stream=stream,
                    path="x", filetype=FileType.UNKNOWN, readable=readable, writable=writable)


def test_what_can_be_polled() -> None:
    pipe = Pipe()
    null = DevFs().root().lookup("null").open_stream()
    r, w = os.pipe()
    try:
        assert can_poll(opened(pipe.reader))
        assert not can_poll(opened(None))  # a regular file or directory: EPERM in epoll
        assert null is not None
        assert not can_poll(opened(null))  # /dev/null: no poll method, as Linux
        host = opened(HostFdStream(r, readable=True, writable=False))
        assert can_poll(host)
        assert host_fd(host) == r
        assert host_fd(opened(pipe.reader)) is None
    finally:
        os.close(r)
        os.close(w)


def test_events_of_files_without_poll_events() -> None:
    assert poll_events(opened(None)) == DEFAULT_POLLMASK
    out = opened(BufferStream(), readable=False, writable=True)
    assert poll_events(out) == POLLOUT | POLLWRNORM  # judged from writable_now, write-only
    both = opened(BufferStream())
    assert poll_events(both) == POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM


def test_multiwait_wakes_on_any_queue_and_unsubscribes() -> None:
    p = Process(pid=1, ppid=0, path="/bin/t", argv=[], env=[], cwd=Vfs(RamFs()).root(),
                fds=FdTable(8), start_ns=0)
    a, b = WaitQueue(), WaitQueue()
    with MultiWait() as waiter:
        waiter.watch(a)
        waiter.watch(b)
        token = waiter.token()
        threading.Timer(0.1, b.notify).start()
        start = time.monotonic()
        waiter.sleep(p, token, 10.0)
        assert time.monotonic() - start < 0.45  # woken, not the 0.5 s slice
        assert waiter.token() != token
    assert len(a._subscribers) == 0
    assert len(b._subscribers) == 0
