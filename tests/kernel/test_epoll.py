"""kernel/epoll.py: the interest and ready lists, as Linux's eventpoll."""

from __future__ import annotations

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Stream
from pyocclum.ipc.pipe import Pipe
from pyocclum.kernel.epoll import EPOLLET, EPOLLONESHOT, Epoll, nest_depth, reaches
from pyocclum.kernel.readiness import POLLHUP, POLLIN, POLLOUT


def open_stream(stream: Stream, readable: bool = True, writable: bool = False) -> OpenFile:
    return OpenFile(inode=None, stream=stream, path="x", filetype=FileType.UNKNOWN,
                    readable=readable, writable=writable)


def pipe_files() -> tuple[Pipe, OpenFile, OpenFile]:
    p = Pipe()
    return p, open_stream(p.reader), open_stream(p.writer, readable=False, writable=True)


def test_level_triggered_reports_while_ready() -> None:
    ep = Epoll()
    p, r, _ = pipe_files()
    ep.add(3, r, POLLIN, 7)
    assert ep.collect(8) == []
    p.writer.write(b"x")
    assert ep.collect(8) == [(POLLIN, 7)]  # what was asked: no POLLRDNORM
    assert ep.collect(8) == [(POLLIN, 7)]
    p.reader.read(1)
    assert ep.collect(8) == []


def test_edge_triggered_reports_each_arrival_once() -> None:
    ep = Epoll()
    p, r, _ = pipe_files()
    ep.add(3, r, POLLIN | EPOLLET, 1)
    p.writer.write(b"a")
    assert ep.collect(8) == [(POLLIN, 1)]
    assert ep.collect(8) == []
    p.writer.write(b"b")  # unread data, but a new arrival
    assert ep.collect(8) == [(POLLIN, 1)]
    assert ep.collect(8) == []


def test_oneshot_until_modified() -> None:
    ep = Epoll()
    p, r, _ = pipe_files()
    ep.add(3, r, POLLIN | EPOLLONESHOT, 1)
    p.writer.write(b"a")
    assert ep.collect(8) == [(POLLIN, 1)]
    p.writer.write(b"b")
    assert ep.collect(8) == []
    ep.modify(3, r, POLLIN | EPOLLONESHOT, 2)
    assert ep.collect(8) == [(POLLIN, 2)]
    assert ep.collect(8) == []


def test_maxevents_take_turns() -> None:
    ep = Epoll()
    pipes = [pipe_files() for _ in range(3)]
    for i, (p, r, _) in enumerate(pipes):
        ep.add(10 + i, r, POLLIN, i)
        p.writer.write(b"x")
    assert [ep.collect(1) for _ in range(4)] == [[(POLLIN, 0)], [(POLLIN, 1)], [(POLLIN, 2)],
                                                  [(POLLIN, 0)]]
    assert ep.collect(8) == [(POLLIN, 1), (POLLIN, 2), (POLLIN, 0)]


def test_hangup_is_reported_unasked_and_errors() -> None:
    ep = Epoll()
    p, r, w = pipe_files()
    ep.add(3, r, 0, 5)
    assert ep.collect(8) == []
    p.writer.close()
    assert ep.collect(8) == [(POLLHUP, 5)]
    with pytest.raises(KernelError) as e:
        ep.add(3, r, POLLIN, 0)
    assert e.value.errno == Errno.EEXIST
    with pytest.raises(KernelError) as e:
        ep.modify(4, w, POLLOUT, 0)
    assert e.value.errno == Errno.ENOENT
    ep.delete(3, r)
    with pytest.raises(KernelError) as e:
        ep.delete(3, r)
    assert e.value.errno == Errno.ENOENT


def test_closed_description_is_dropped_and_unsubscribed() -> None:
    ep = Epoll()
    _p, r, _ = pipe_files()
    ep.add(3, r, POLLIN, 1)
    assert len(ep) == 1
    r.release()  # the last fd of the description
    assert len(ep) == 0
    assert ep.collect(8) == []


def test_nested_epoll_passes_readiness_up_and_wakes() -> None:
    inner, outer = Epoll(), Epoll()
    p, r, _ = pipe_files()
    inner.add(3, r, POLLIN, 1)
    outer.add(4, open_stream(inner), POLLIN, 2)
    token = outer.queue.token()
    assert outer.collect(8) == []
    p.writer.write(b"x")
    assert outer.queue.token() != token  # woken
    assert outer.collect(8) == [(POLLIN, 2)]
    assert reaches(outer, inner)
    assert not reaches(inner, outer)
    assert nest_depth(outer) == 1
    assert nest_depth(inner) == 0


def test_close_unsubscribes_from_the_files() -> None:
    ep = Epoll()
    p, r, _ = pipe_files()
    ep.add(3, r, POLLIN, 1)
    queue = p.reader.waitq
    assert len(queue._subscribers) == 1
    ep.close()
    assert len(queue._subscribers) == 0
