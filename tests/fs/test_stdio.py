"""Host stdio streams, in-memory capture and bytes input."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.stdio import BufferStream, BytesInputStream, HostFdStream


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_read_would_block_then_data_then_eof(pipe: tuple[int, int]) -> None:
    r, w = pipe
    s = HostFdStream(r, readable=True, writable=False)
    assert not s.readable_now()
    with pytest.raises(WouldBlock) as info:
        s.read(10)
    waitable = info.value.waitable
    t0 = time.monotonic()
    waitable.wait(0.05)  # nothing arrives: returns after the timeout
    assert time.monotonic() - t0 >= 0.04
    threading.Timer(0.05, os.write, (w, b"hello")).start()
    waitable.wait(5)  # woken by the data, long before the timeout
    assert s.readable_now()
    assert s.read(3) == b"hel"
    assert s.read(100) == b"lo"
    os.close(w)
    assert s.readable_now()
    assert s.hung_up()
    assert s.read(100) == b""


def test_read_size_zero_and_not_readable(pipe: tuple[int, int]) -> None:
    r, w = pipe
    assert HostFdStream(r, readable=True, writable=False).read(0) == b""
    out = HostFdStream(w, readable=False, writable=True)
    with pytest.raises(KernelError) as info:
        out.read(1)
    assert info.value.errno == Errno.EBADF
    inp = HostFdStream(r, readable=True, writable=False)
    with pytest.raises(KernelError) as info:
        inp.write(b"x")
    assert info.value.errno == Errno.EBADF


def test_write_and_writable_now(pipe: tuple[int, int]) -> None:
    r, w = pipe
    s = HostFdStream(w, readable=False, writable=True)
    assert s.writable_now()
    assert s.write(b"out") == 3
    assert s.write(b"") == 0
    assert os.read(r, 10) == b"out"
    assert not s.isatty()


def test_write_loops_over_full_nonblocking_pipe(pipe: tuple[int, int]) -> None:
    r, w = pipe
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    s = HostFdStream(w, readable=False, writable=True)
    payload = bytes(range(256)) * 4096  # 1 MiB: far more than a pipe buffer
    got = bytearray()

    def drain() -> None:
        while len(got) < len(payload):
            time.sleep(0.001)
            got.extend(os.read(r, 65536))

    reader = threading.Thread(target=drain)
    reader.start()
    assert s.write(payload) == len(payload)
    reader.join(10)
    assert bytes(got) == payload


def test_write_epipe(pipe: tuple[int, int]) -> None:
    r, w = pipe
    os.close(r)
    s = HostFdStream(w, readable=False, writable=True)
    with pytest.raises(KernelError) as info:
        s.write(b"nobody listens")
    assert info.value.errno == Errno.EPIPE


def test_isatty_on_pty() -> None:
    master, slave = os.openpty()
    try:
        s = HostFdStream(slave, readable=True, writable=True)
        assert s.isatty()
        assert s.write(b"x") == 1
    finally:
        os.close(master)
        os.close(slave)


def test_close_leaves_borrowed_fd_open(pipe: tuple[int, int]) -> None:
    _r, w = pipe
    s = HostFdStream(w, readable=False, writable=True)
    s.close()
    os.fstat(w)  # still open
    owned = HostFdStream(os.dup(w), readable=False, writable=True, owns_fd=True)
    fd = owned.fd
    owned.close()
    owned.close()
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)


def test_buffer_stream_threads() -> None:
    buf = BufferStream()

    def worker(tag: bytes) -> None:
        for _ in range(500):
            buf.write(tag * 8)

    threads = [threading.Thread(target=worker, args=(bytes([65 + i]),)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = buf.getvalue()
    assert len(data) == 8 * 500 * 8
    # No write was split by another.
    for i in range(0, len(data), 8):
        assert len(set(data[i : i + 8])) == 1
    with pytest.raises(KernelError) as info:
        buf.read(1)
    assert info.value.errno == Errno.EBADF


def test_bytes_input_stream() -> None:
    s = BytesInputStream(b"line one\nline two\n")
    assert s.readable_now()
    assert s.read(5) == b"line "
    assert s.read(0) == b""
    assert s.read(100) == b"one\nline two\n"
    assert s.read(100) == b""
    assert s.read(1) == b""
    with pytest.raises(KernelError) as info:
        s.write(b"x")
    assert info.value.errno == Errno.EBADF
