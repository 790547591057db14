"""In-kernel pipes: EOF, EPIPE, PIPE_BUF atomicity, partial writes, capacity,
readiness and wake-ups, O_NONBLOCK, and threaded transfers checked end to end."""

from __future__ import annotations

import hashlib
import random
import struct
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Stream
from pyocclum.fs.waitq import WaitQueue
from pyocclum.ipc import DEFAULT_CAPACITY, PIPE_BUF, Pipe, PipeReader, PipeWriter
from pyocclum.syscalls.blocking import blocking

if TYPE_CHECKING:
    from pyocclum.kernel.process import Process

#: Generous bound for "this thread finishes": only ever hit when a wake-up is lost.
LIVENESS = 20.0


# -- helpers: what the syscall layer does for blocking descriptors --------------------
def write_all(w: PipeWriter, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    done = 0
    while done < len(view):
        try:
            done += w.write(view[done:])
        except WouldBlock as wb:
            wb.waitable.wait(1.0)


def read_blocking(r: PipeReader, size: int) -> bytes:
    while True:
        try:
            return r.read(size)
        except WouldBlock as wb:
            wb.waitable.wait(1.0)


def read_to_eof(r: PipeReader, size: int) -> bytes:
    out = bytearray()
    while chunk := read_blocking(r, size):
        out += chunk
    return bytes(out)


def would_block(op: Callable[[], object]) -> WouldBlock:
    with pytest.raises(WouldBlock) as info:
        op()
    return info.value


def errno_of(op: Callable[[], object]) -> Errno:
    with pytest.raises(KernelError) as info:
        op()
    return info.value.errno


def run_thread(target: Callable[[], object]) -> threading.Thread:
    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t


def finished(t: threading.Thread) -> bool:
    t.join(LIVENESS)
    return not t.is_alive()


class CountingQueue(WaitQueue):
    __slots__ = ("count",)

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def notify(self) -> None:
        self.count += 1
        super().notify()


# -- basics -----------------------------------------------------------------------------
def test_constants_and_ends() -> None:
    assert PIPE_BUF == 4096
    assert DEFAULT_CAPACITY == 1 << 20
    p = Pipe()
    assert p.capacity == DEFAULT_CAPACITY
    assert isinstance(p.reader, Stream)
    assert isinstance(p.writer, Stream)
    assert p.reader.pipe is p
    assert p.writer.pipe is p
    assert not p.reader.isatty()
    assert not p.writer.isatty()
    assert p.name == f"pipe:[{p.id}]"


def test_ids_are_given_or_unique() -> None:
    assert Pipe(pipe_id=7).id == 7
    a, b = Pipe(), Pipe()
    assert a.id != b.id


def test_capacity_below_pipe_buf_is_refused() -> None:
    with pytest.raises(ValueError, match="PIPE_BUF"):
        Pipe(PIPE_BUF - 1)
    assert Pipe(PIPE_BUF).capacity == PIPE_BUF


def test_wrong_direction_is_ebadf() -> None:
    p = Pipe()
    assert errno_of(lambda: p.reader.write(b"x")) == Errno.EBADF
    assert errno_of(lambda: p.writer.read(1)) == Errno.EBADF


def test_read_returns_what_is_buffered_never_more() -> None:
    p = Pipe()
    assert p.writer.write(b"hello") == 5
    assert p.writer.write(b" world") == 6
    assert p.buffered == 11
    assert p.reader.read(3) == b"hel"
    assert p.reader.read(100) == b"lo world"  # spans two writes, no waiting for more
    assert p.buffered == 0


def test_large_write_read_back_whole_is_the_same_object() -> None:
    p = Pipe()
    data = random.Random(1).randbytes(128 * 1024)
    assert p.writer.write(data) == len(data)
    out = p.reader.read(len(data))
    assert out is data  # no copy on either side


def test_byte_buffers_are_copied_on_write() -> None:
    p = Pipe()
    buf = bytearray(b"abcdef")
    assert p.writer.write(buf) == 6
    assert p.writer.write(memoryview(buf)[1:3]) == 2
    buf[:] = b"XXXXXX"  # the writer's memory changes after the write
    assert p.reader.read(100) == b"abcdefbc"


def test_empty_pipe_would_block() -> None:
    p = Pipe()
    assert not p.reader.readable_now()
    wb = would_block(lambda: p.reader.read(1))
    assert callable(getattr(wb.waitable, "wait", None))


def test_zero_length_transfers_return_at_once() -> None:
    p = Pipe(PIPE_BUF)
    assert p.reader.read(0) == b""  # empty, writer open: still no WouldBlock
    p.writer.write(b"x" * PIPE_BUF)
    assert p.writer.write(b"") == 0  # full: still no WouldBlock
    p.reader.close()
    assert p.writer.write(b"") == 0  # reader gone: still no EPIPE (as Linux)


# -- end of file and broken pipes ---------------------------------------------------------
def test_eof_after_writer_closes_with_data_buffered() -> None:
    p = Pipe()
    p.writer.write(b"last words")
    p.writer.close()
    assert p.reader.readable_now()
    assert p.reader.hung_up()
    assert p.reader.read(4) == b"last"
    assert p.reader.read(100) == b" words"
    assert p.reader.read(100) == b""
    assert p.reader.read(100) == b""  # EOF stays EOF


def test_eof_on_empty_pipe() -> None:
    p = Pipe()
    p.writer.close()
    assert p.reader.read(1) == b""


def test_epipe_when_reader_closed() -> None:
    p = Pipe()
    p.writer.write(b"never read")
    p.reader.close()
    assert p.buffered == 0  # dropped: nobody can read it
    assert p.writer.hung_up()
    assert p.writer.writable_now()  # a write would not block (it fails)
    assert errno_of(lambda: p.writer.write(b"x")) == Errno.EPIPE
    assert errno_of(lambda: p.writer.write(b"x" * 100_000)) == Errno.EPIPE


def test_epipe_even_when_full() -> None:
    p = Pipe(PIPE_BUF)
    p.writer.write(b"x" * PIPE_BUF)
    p.reader.close()
    assert errno_of(lambda: p.writer.write(b"y")) == Errno.EPIPE


def test_close_is_idempotent_and_ends_are_unusable_after() -> None:
    p = Pipe()
    p.writer.close()
    p.writer.close()
    p.reader.close()
    p.reader.close()
    assert errno_of(lambda: p.writer.write(b"x")) == Errno.EBADF
    assert errno_of(lambda: p.reader.read(1)) == Errno.EBADF


def test_last_open_file_description_closes_the_end() -> None:
    p = Pipe()
    w = OpenFile(
        inode=None,
        stream=p.writer,
        path=p.name,
        filetype=FileType.UNKNOWN,
        readable=False,
        writable=True,
    )
    w.acquire()  # a dup: two fds, one description
    w.write(b"x")
    w.release()
    assert not p.reader.hung_up()
    assert p.reader.read(10) == b"x"
    would_block(lambda: p.reader.read(10))
    w.release()
    assert p.reader.read(10) == b""


# -- atomicity, partial writes, capacity ------------------------------------------------
def test_small_write_is_all_or_nothing() -> None:
    p = Pipe(2 * PIPE_BUF)
    p.writer.write(b"a" * (2 * PIPE_BUF - 100))
    would_block(lambda: p.writer.write(b"b" * 101))
    assert p.buffered == 2 * PIPE_BUF - 100  # nothing of it went in
    assert p.writer.write(b"b" * 100) == 100  # exactly fits
    assert p.buffered == p.capacity


def test_pipe_buf_write_is_atomic_at_the_boundary() -> None:
    p = Pipe(2 * PIPE_BUF)
    p.writer.write(b"a" * (PIPE_BUF + 1))
    would_block(lambda: p.writer.write(b"b" * PIPE_BUF))  # room is PIPE_BUF - 1
    assert p.buffered == PIPE_BUF + 1
    p.reader.read(1)
    assert p.writer.write(b"b" * PIPE_BUF) == PIPE_BUF


def test_large_write_is_partial() -> None:
    p = Pipe(2 * PIPE_BUF)
    assert p.writer.write(b"a" * 10_000) == 2 * PIPE_BUF  # as much as fits
    would_block(lambda: p.writer.write(b"b" * 10_000))  # full: nothing fits
    p.reader.read(3000)
    assert p.writer.write(b"b" * (PIPE_BUF + 1)) == 3000  # > PIPE_BUF: partial
    assert p.buffered == p.capacity
    assert p.reader.read(100_000) == b"a" * (2 * PIPE_BUF - 3000) + b"b" * 3000


def test_partial_write_of_a_buffer_copies_only_what_fits() -> None:
    p = Pipe(PIPE_BUF)
    src = bytearray(b"0123456789" * 1000)
    assert p.writer.write(memoryview(src)) == PIPE_BUF
    assert p.reader.read(PIPE_BUF) == bytes(src[:PIPE_BUF])


def test_tiny_writes_are_merged_but_read_back_in_order() -> None:
    p = Pipe()
    for i in range(10_000):
        p.writer.write(bytes([i & 0xFF]))
    assert len(p._chunks) <= 10_000 // (PIPE_BUF // 2)
    assert p.reader.read(1 << 20) == bytes(i & 0xFF for i in range(10_000))


# -- readiness and wake-ups ---------------------------------------------------------------
def test_readiness_flags() -> None:
    p = Pipe(2 * PIPE_BUF)
    r, w = p.reader, p.writer
    assert not r.readable_now()
    assert w.writable_now()
    assert not r.hung_up()
    assert not w.hung_up()
    w.write(b"x" * (PIPE_BUF + 1))
    assert r.readable_now()
    assert not w.writable_now()  # room for less than PIPE_BUF
    r.read(1)
    assert w.writable_now()
    # The wrong direction of each end never blocks: it fails at once.
    assert w.readable_now()
    assert r.writable_now()


def test_waitq_notified_when_readiness_turns_on() -> None:
    p = Pipe(2 * PIPE_BUF)
    rq, wq = CountingQueue(), CountingQueue()
    p.reader.waitq, p.writer.waitq = rq, wq
    p.writer.write(b"a")
    assert rq.count == 1  # empty -> readable
    p.writer.write(b"b" * (2 * PIPE_BUF - 2))
    assert rq.count == 2  # every arrival, as Linux once the pipe is polled (EPOLLET)
    p.writer.write(b"c")
    p.reader.read(PIPE_BUF - 1)
    assert wq.count == 0  # room PIPE_BUF - 1: still not writable
    p.reader.read(1)
    assert wq.count == 1  # room reached PIPE_BUF
    p.reader.read(1)
    assert wq.count == 1
    p.writer.close()
    assert rq.count == 4  # hang-up
    p.reader.close()
    assert wq.count == 2


def test_poll_events_are_linux_pipe_poll() -> None:
    p = Pipe(PIPE_BUF)
    assert p.reader.poll_events() == 0
    assert p.writer.poll_events() == 0x4 | 0x100  # POLLOUT|POLLWRNORM
    p.writer.write(b"x" * PIPE_BUF)
    assert p.reader.poll_events() == 0x1 | 0x40  # POLLIN|POLLRDNORM
    assert p.writer.poll_events() == 0  # full
    p.writer.close()
    assert p.reader.poll_events() == 0x1 | 0x40 | 0x10  # data and POLLHUP
    p.reader.read(PIPE_BUF)
    assert p.reader.poll_events() == 0x10  # POLLHUP alone: no POLLIN at EOF
    q = Pipe(PIPE_BUF)
    q.reader.close()
    assert q.writer.poll_events() == 0x4 | 0x100 | 0x8  # POLLERR once the reader is gone


def test_read_waitable_does_not_miss_an_earlier_write() -> None:
    p = Pipe()
    wb = would_block(lambda: p.reader.read(1))
    p.writer.write(b"x")  # lands before anyone waits
    t = run_thread(lambda: wb.waitable.wait(None))
    assert finished(t)


def test_write_waitable_does_not_miss_an_earlier_read() -> None:
    p = Pipe(PIPE_BUF)
    p.writer.write(b"x" * PIPE_BUF)
    wb = would_block(lambda: p.writer.write(b"y"))
    p.reader.read(1)
    t = run_thread(lambda: wb.waitable.wait(None))
    assert finished(t)


@pytest.mark.parametrize("side", ["reader", "writer"])
def test_waitable_woken_by_other_side(side: str) -> None:
    p = Pipe(PIPE_BUF)
    if side == "reader":
        wb = would_block(lambda: p.reader.read(1))
    else:
        p.writer.write(b"x" * PIPE_BUF)
        wb = would_block(lambda: p.writer.write(b"y"))
    entered = threading.Event()

    def sleeper() -> None:
        entered.set()
        wb.waitable.wait(None)

    t = run_thread(sleeper)
    entered.wait()
    if side == "reader":
        p.writer.write(b"z")
    else:
        p.reader.read(1)
    assert finished(t)


@pytest.mark.parametrize("closing", ["reader", "writer"])
def test_close_wakes_the_other_side(closing: str) -> None:
    p = Pipe(PIPE_BUF)
    result: list[object] = []
    if closing == "writer":
        t = run_thread(lambda: result.append(read_blocking(p.reader, 10)))
        p.writer.close()
        assert finished(t)
        assert result == [b""]
    else:
        p.writer.write(b"x" * PIPE_BUF)

        def writer() -> None:
            try:
                write_all(p.writer, b"y")
            except KernelError as e:
                result.append(e.errno)

        t = run_thread(writer)
        p.reader.close()
        assert finished(t)
        assert result == [Errno.EPIPE]


def test_waitable_notify_interrupts_the_wait() -> None:
    """Signal delivery (``Process.wake``) calls ``notify`` on what the process waits on."""
    p = Pipe()
    wb = would_block(lambda: p.reader.read(1))
    notify = getattr(wb.waitable, "notify", None)
    assert callable(notify)
    t = run_thread(lambda: wb.waitable.wait(None))
    notify()
    assert finished(t)
    # A notify that comes first is not lost either.
    wb = would_block(lambda: p.reader.read(1))
    getattr(wb.waitable, "notify")()  # noqa: B009
    t = run_thread(lambda: wb.waitable.wait(None))
    assert finished(t)


def test_waitable_wait_times_out() -> None:
    p = Pipe()
    wb = would_block(lambda: p.reader.read(1))
    wb.waitable.wait(0.001)  # nothing happens: returns anyway
    would_block(lambda: p.reader.read(1))


# -- O_NONBLOCK through the syscall layer's blocking helper ----------------------------------
def test_nonblocking_descriptors_get_eagain() -> None:
    p = Pipe(PIPE_BUF)
    proc = cast("Process", SimpleNamespace(kill_status=None))  # never consulted here
    r, w = p.reader, p.writer
    assert errno_of(lambda: blocking(proc, lambda: r.read(10), nonblocking=True)) == Errno.EAGAIN
    # A large write on a full-enough pipe is partial rather than EAGAIN.
    assert blocking(proc, lambda: w.write(b"x" * 10_000), nonblocking=True) == PIPE_BUF
    assert errno_of(lambda: blocking(proc, lambda: w.write(b"y"), nonblocking=True)) == Errno.EAGAIN
    assert blocking(proc, lambda: r.read(10), nonblocking=True) == b"x" * 10


# -- threads ----------------------------------------------------------------------------------
def test_concurrent_small_writes_never_interleave() -> None:
    """Writers sharing one write end: every record of <= PIPE_BUF bytes arrives whole."""
    writers, records = 4, 300
    p = Pipe(3 * PIPE_BUF + 123)  # small: writers keep blocking on each other
    header = struct.Struct("<HHH")  # writer, sequence number, payload length

    def writer(wid: int) -> None:
        rng = random.Random(wid)
        for seq in range(records):
            n = rng.randrange(0, PIPE_BUF - header.size + 1)
            if rng.random() < 0.3:
                n = PIPE_BUF - header.size  # exactly PIPE_BUF in all
            record = header.pack(wid, seq, n) + bytes([wid + 1]) * n
            while True:
                try:
                    assert p.writer.write(record) == len(record)  # whole or nothing
                    break
                except WouldBlock as wb:
                    wb.waitable.wait(1.0)

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    got: list[bytes] = []
    reader = run_thread(lambda: got.append(read_to_eof(p.reader, 5000)))
    for t in threads:
        assert finished(t)
    p.writer.close()
    assert finished(reader)
    stream = got[0]
    pos = 0
    next_seq = [0] * writers
    while pos < len(stream):
        wid, seq, n = header.unpack_from(stream, pos)
        pos += header.size
        assert seq == next_seq[wid]
        next_seq[wid] += 1
        assert stream[pos : pos + n] == bytes([wid + 1]) * n
        pos += n
    assert next_seq == [records] * writers


def test_producer_consumer_64_mib_checksum() -> None:
    total = 64 << 20
    p = Pipe()
    rng = random.Random(42)
    block = rng.randbytes(1 << 20)
    sent = hashlib.sha256()
    got = hashlib.sha256()
    received = [0]

    def producer() -> None:
        wrng = random.Random(7)
        left = total
        while left:
            off = wrng.randrange(0, len(block))
            n = min(
                left, wrng.choice([1, 100, PIPE_BUF, 65536, 128 * 1024, 300_000]), len(block) - off
            )
            piece = memoryview(block)[off : off + n]
            sent.update(piece)
            write_all(p.writer, piece)
            left -= n
        p.writer.close()

    def consumer() -> None:
        rrng = random.Random(9)
        while True:
            data = read_blocking(p.reader, rrng.choice([1, 4000, 65536, 128 * 1024, 1 << 21]))
            if not data:
                return
            assert len(data) <= p.capacity
            got.update(data)
            received[0] += len(data)

    threads = [run_thread(producer), run_thread(consumer)]
    for t in threads:
        assert finished(t)
    assert received[0] == total
    assert got.digest() == sent.digest()


# -- property: any sequence of operations behaves like a bytes model --------------------------
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("w"), st.integers(0, 3 * PIPE_BUF), st.sampled_from(["b", "ba", "mv"])),
        st.tuples(st.just("r"), st.integers(0, 3 * PIPE_BUF), st.just("")),
        st.tuples(st.just("close_w"), st.just(0), st.just("")),
        st.tuples(st.just("close_r"), st.just(0), st.just("")),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(PIPE_BUF, 4 * PIPE_BUF), ops=_ops)
def test_matches_bytes_model(capacity: int, ops: list[tuple[str, int, str]]) -> None:
    p = Pipe(capacity)
    model = bytearray()
    reader_open = writer_open = True
    rng = random.Random(capacity)
    for op, n, kind in ops:
        if op == "w":
            raw = rng.randbytes(n)
            data: bytes | bytearray | memoryview = (
                raw if kind == "b" else bytearray(raw) if kind == "ba" else memoryview(raw)
            )
            room = capacity - len(model)
            if not writer_open:
                expected: object = Errno.EBADF if n else 0
            elif n == 0:
                expected = 0
            elif not reader_open:
                expected = Errno.EPIPE
            elif n <= room:
                expected = n
            elif n <= PIPE_BUF or room == 0:
                expected = WouldBlock
            else:
                expected = room
            try:
                result: object = p.writer.write(data)
            except WouldBlock:
                result = WouldBlock
            except KernelError as e:
                result = e.errno
            assert result == expected
            if isinstance(result, int) and not isinstance(result, Errno):
                model += raw[:result]
        elif op == "r":
            if n == 0:
                want: object = b""
            elif not reader_open:
                want = Errno.EBADF
            elif model:
                want = bytes(model[:n])
            elif not writer_open:
                want = b""
            else:
                want = WouldBlock
            try:
                got: object = p.reader.read(n)
            except WouldBlock:
                got = WouldBlock
            except KernelError as e:
                got = e.errno
            assert got == want
            if isinstance(got, bytes):
                del model[: len(got)]
        elif op == "close_w":
            p.writer.close()
            writer_open = False
        else:
            p.reader.close()
            reader_open = False
            model.clear()
        assert p.buffered == len(model) <= capacity
        assert p.reader.readable_now() == (bool(model) or not writer_open or not reader_open)
        assert p.writer.writable_now() == (
            capacity - len(model) >= PIPE_BUF or not reader_open or not writer_open
        )
        assert p.reader.hung_up() == (not writer_open)
        assert p.writer.hung_up() == (not reader_open)


def test_closing_an_end_wakes_its_own_sleepers() -> None:
    """Another thread still blocked on an end that closes fails instead of sleeping on."""
    p = Pipe()
    wb = would_block(lambda: p.reader.read(1))
    p.reader.close()
    t = run_thread(lambda: wb.waitable.wait(None))
    assert finished(t)
    assert errno_of(lambda: p.reader.read(1)) == Errno.EBADF
