"""fd tables: lowest-free allocation skipping fd 3, EMFILE, dup2, renumber, refcounts."""

from __future__ import annotations

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Stream
from pyocclum.kernel.fdtable import ROOT_FD, FdTable


class CountingStream(Stream):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def stream_file(stream: Stream) -> OpenFile:
    return OpenFile(inode=None, stream=stream, path="x", filetype=FileType.UNKNOWN,
                    readable=True, writable=True)


def test_lowest_free_skips_root_preopen() -> None:
    t = FdTable(16)
    fds = [t.install(stream_file(Stream())) for _ in range(5)]
    assert fds == [0, 1, 2, 4, 5]
    assert ROOT_FD not in t
    t.close(1)
    assert t.install(stream_file(Stream())) == 1


def test_emfile_at_limit() -> None:
    t = FdTable(3)
    for _ in range(3):
        t.install(stream_file(Stream()))
    with pytest.raises(KernelError) as e:
        t.install(stream_file(Stream()))
    assert e.value.errno == Errno.EMFILE


def test_install_new_releases_what_it_could_not_install() -> None:
    t = FdTable(1)
    t.install_new(stream_file(Stream()))
    s = CountingStream()
    with pytest.raises(KernelError) as e:
        t.install_new(stream_file(s), cloexec=True)
    assert e.value.errno == Errno.EMFILE
    assert s.closed == 1


def test_close_releases_last_reference_only() -> None:
    s = CountingStream()
    f = stream_file(s)
    t = FdTable(8)
    a = t.install(f)
    b = t.install(f.acquire())
    t.close(a)
    assert s.closed == 0
    t.close(b)
    assert s.closed == 1
    with pytest.raises(KernelError) as e:
        t.close(b)
    assert e.value.errno == Errno.EBADF


def test_install_at_replaces_and_releases() -> None:
    s1, s2 = CountingStream(), CountingStream()
    t = FdTable(8)
    t.install_at(0, stream_file(s1))
    t.install_at(0, stream_file(s2))
    assert s1.closed == 1
    assert t.get(0).stream is s2


def test_renumber() -> None:
    s1, s2 = CountingStream(), CountingStream()
    t = FdTable(8)
    a = t.install(stream_file(s1))
    b = t.install(stream_file(s2))
    t.renumber(a, b)
    assert t.get(b).stream is s1
    assert a not in t
    assert s2.closed == 1
    with pytest.raises(KernelError) as e:
        t.renumber(a, b)
    assert e.value.errno == Errno.EBADF
