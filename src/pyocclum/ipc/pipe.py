"""In-kernel pipes: a bounded byte buffer between a read end and a write end.

Semantics follow Linux ``pipe(7)``:

* ``read(size)`` returns up to ``size`` bytes that are buffered now (never
  waits for more), ``b""`` at end of file (buffer empty and the write end
  closed), and raises :class:`~pyocclum.errors.WouldBlock` when the buffer is
  empty while the write end is open.
* ``write(data)`` never blocks. A write of at most :data:`PIPE_BUF` bytes is
  atomic: all of it goes in, contiguously, or ``WouldBlock`` is raised and
  nothing is written. A larger write puts in as much as fits and returns that
  count (> 0), or raises ``WouldBlock`` when the pipe is full. Blocking
  descriptors therefore loop in the syscall layer (as Linux does chunk-wise
  inside ``pipe_write``): retry with the rest of the data after each partial
  count, wait on ``WouldBlock``; large writes from several writers may then
  interleave between chunks, exactly as on Linux. ``O_NONBLOCK`` descriptors
  return the partial count, or ``EAGAIN`` for ``WouldBlock``.
* Writing when the read end is closed fails with ``EPIPE`` (the syscall
  layer raises ``SIGPIPE``). ``write(b"")`` returns 0 and ``read(0)`` returns
  ``b""`` at once, whatever the state (as Linux ``pipe_read``/``pipe_write``
  do for zero-length transfers).

Each end is a :class:`~pyocclum.fs.types.Stream`. ``close`` is called once
per end, when the last open file description of that end goes (``dup`` and
inheritance share one description, so one end may have many fds and many
writers); a second ``close`` does nothing.

Cost: data is not copied on the way in when the writer passes ``bytes`` (the
syscall layer already made it from guest memory) and fits, and a read that
takes exactly one buffered write returns that same object. Otherwise each
byte is copied once by the pipe.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.types import Stream
from pyocclum.fs.waitq import WaitQueue

__all__ = [
    "DEFAULT_CAPACITY",
    "PIPE_BUF",
    "PIPE_BYTES_SOFT",
    "PIPE_MIN_CAPACITY",
    "Pipe",
    "PipeBudget",
    "PipeReader",
    "PipeWriter",
]

#: Writes of at most this many bytes are atomic (POSIX ``PIPE_BUF``, Linux's value).
PIPE_BUF = 4096
#: Default buffer size in bytes.
DEFAULT_CAPACITY = 1 << 20
#: Linux's /proc/sys/fs/pipe-user-pages-soft (16384 pages): once the buffers of
#: the live pipes of one kernel add up to this many bytes, a new pipe gets only
#: :data:`PIPE_MIN_CAPACITY` and none may grow (:class:`PipeBudget`).
PIPE_BYTES_SOFT = 16384 * 4096
#: What a pipe gets past the soft limit (Linux: PIPE_MIN_DEF_BUFFERS, 2 pages).
PIPE_MIN_CAPACITY = 2 * 4096

#: Writes shorter than this are appended to a short last chunk instead of
#: becoming chunks of their own, so that a pipe filled by tiny writes holds a
#: few thousand objects rather than a million (each ``bytes`` costs ~40 bytes
#: of overhead; this plays the part of Linux merging small writes into the
#: last page).
_MERGE_BELOW = 1024

# Linux's poll bits (the ends answer poll_events, see kernel/readiness.py).
_POLLIN = 0x1 | 0x40  # POLLIN | POLLRDNORM
_POLLOUT = 0x4 | 0x100  # POLLOUT | POLLWRNORM
_POLLERR, _POLLHUP = 0x8, 0x10


class _Waiter:
    """The waitable of one ``WouldBlock``: sleeps until the other side acts.

    It remembers the other side's change counter at the failed attempt, so a
    change that lands between the failure and ``wait`` is not slept through.
    ``notify`` (used by signal delivery, see ``Process.wake``) wakes it.
    """

    __slots__ = ("_pipe", "_reading", "_seq", "_woken")

    def __init__(self, pipe: Pipe, reading: bool, seq: int) -> None:
        self._pipe = pipe
        self._reading = reading
        self._seq = seq
        self._woken = False

    def wait(self, timeout: float | None) -> None:
        p = self._pipe
        with p._lock:
            if self._woken:
                return
            if self._reading:
                if p._wseq != self._seq:
                    return
                p._read_sleepers += 1
                try:
                    p._can_read.wait(timeout)
                finally:
                    p._read_sleepers -= 1
            else:
                if p._rseq != self._seq:
                    return
                p._write_sleepers += 1
                try:
                    p._can_write.wait(timeout)
                finally:
                    p._write_sleepers -= 1

    def notify(self) -> None:
        p = self._pipe
        with p._lock:
            self._woken = True
            (p._can_read if self._reading else p._can_write).notify_all()


class Pipe:
    """One pipe: a buffer of at most ``capacity`` bytes and its two ends.

    ``id`` names the pipe (``pipe:[id]``, as Linux shows in ``/proc/*/fd``);
    the kernel passes one from its own counter, else ``id(self)`` is used
    (the layer rules forbid a module-level counter).

    Memory held is at most about twice ``capacity``: a buffered chunk is
    freed once fully read, so a partly read chunk keeps its read prefix.
    """

    __slots__ = (
        "__weakref__",
        "_can_read",
        "_can_write",
        "_chunks",
        "_lock",
        "_off",
        "_read_sleepers",
        "_reader_closed",
        "_rseq",
        "_size",
        "_write_sleepers",
        "_writer_closed",
        "_wseq",
        "capacity",
        "id",
        "on_reader_closed",
        "reader",
        "writer",
    )

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, pipe_id: int | None = None) -> None:
        if capacity < PIPE_BUF:
            # Linux's minimum too (one page); smaller would make atomic
            # PIPE_BUF writes impossible.
            raise ValueError(f"pipe capacity must be at least PIPE_BUF ({PIPE_BUF})")
        self.capacity = capacity
        self.id = id(self) if pipe_id is None else pipe_id
        self._lock = threading.Lock()
        # Readers sleep on _can_read (woken by writes and the writer closing),
        # writers on _can_write (woken by reads and the reader closing).
        self._can_read = threading.Condition(self._lock)
        self._can_write = threading.Condition(self._lock)
        self._read_sleepers = 0
        self._write_sleepers = 0
        # Change counters that _Waiter snapshots: bumped by the write side
        # (data or close) and by the read side (space or close).
        self._wseq = 0
        self._rseq = 0
        # Buffered data: chunks[0][off:] + chunks[1] + ...; _size bytes in all.
        self._chunks: deque[bytes] = deque()
        self._off = 0
        self._size = 0
        self._reader_closed = False
        self._writer_closed = False
        self.reader = PipeReader(self)
        self.writer = PipeWriter(self)
        #: Called once, after the read end closes (its buffer is freed then).
        self.on_reader_closed: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return f"pipe:[{self.id}]"

    def resize(self, capacity: int) -> None:
        """Make the buffer hold ``capacity`` bytes (``F_SETPIPE_SZ``; the caller
        rounds as Linux does). ``EBUSY`` if more than that is buffered now;
        writers waiting for room are woken when it grows."""
        if capacity < PIPE_BUF:
            raise ValueError(f"pipe capacity must be at least PIPE_BUF ({PIPE_BUF})")
        with self._lock:
            if self._size > capacity:
                raise KernelError(Errno.EBUSY, "more data buffered than the new size")
            grew = capacity > self.capacity
            self.capacity = capacity
            if grew:
                self._rseq += 1
                self._can_write.notify_all()
        if grew and (q := self.writer._waitq) is not None:
            q.notify()

    @property
    def buffered(self) -> int:
        """Bytes waiting to be read (``FIONREAD``)."""
        return self._size

    def __repr__(self) -> str:
        return f"<Pipe {self.id} {self._size}/{self.capacity} bytes>"

    # -- the read end -----------------------------------------------------------
    def _read(self, size: int) -> bytes:
        if size <= 0:
            return b""
        with self._lock:
            avail = self._size
            if avail == 0:
                if self._reader_closed:
                    raise KernelError(Errno.EBADF, "read end of the pipe is closed")
                if self._writer_closed:
                    return b""
                raise WouldBlock(_Waiter(self, True, self._wseq))
            n = size if size < avail else avail
            chunks = self._chunks
            head = chunks[0]
            off = self._off
            end = off + n
            hlen = len(head)
            if end < hlen:
                out = head[off:end]
                self._off = end
            elif end == hlen:
                # The common case (reads as large as the writes): no copy at all.
                out = head if off == 0 else head[off:]
                chunks.popleft()
                self._off = 0
            else:
                out = self._gather(n)
            self._size = avail - n
            self._rseq += 1
            if self._write_sleepers:
                self._can_write.notify_all()
        # poll readiness of the write end changes only when room crosses PIPE_BUF.
        room = self.capacity - avail
        if room < PIPE_BUF <= room + n and (q := self.writer._waitq) is not None:
            q.notify()
        return out

    def _gather(self, n: int) -> bytes:
        """Take ``n`` bytes spanning several chunks (lock held); one copy."""
        chunks = self._chunks
        off = self._off
        parts: list[bytes | memoryview] = []
        while n:
            head = chunks[0]
            left = len(head) - off
            if n >= left:
                parts.append(memoryview(head)[off:] if off else head)
                chunks.popleft()
                off = 0
                n -= left
            else:
                parts.append(memoryview(head)[off : off + n])
                off += n
                n = 0
        self._off = off
        return b"".join(parts)

    def _close_reader(self) -> None:
        with self._lock:
            if self._reader_closed:
                return
            self._reader_closed = True
            # Nobody can read it any more: free it now.
            self._chunks.clear()
            self._off = 0
            self._size = 0
            # Wake both sides: writers to fail with EPIPE, and any reader still
            # sleeping on this end (another thread) to fail with EBADF.
            self._rseq += 1
            self._wseq += 1
            self._can_write.notify_all()
            self._can_read.notify_all()
        if (q := self.writer._waitq) is not None:
            q.notify()
        if self.on_reader_closed is not None:
            self.on_reader_closed()

    # -- the write end ----------------------------------------------------------
    def _write(self, data: bytes | bytearray | memoryview) -> int:
        n = len(data)
        if n == 0:
            return 0
        with self._lock:
            if self._writer_closed:
                raise KernelError(Errno.EBADF, "write end of the pipe is closed")
            if self._reader_closed:
                raise KernelError(Errno.EPIPE, "the read end of the pipe is closed")
            size = self._size
            room = self.capacity - size
            if n > room:
                if n <= PIPE_BUF or room == 0:
                    raise WouldBlock(_Waiter(self, False, self._rseq))
                n = room
                chunk = data[:room] if isinstance(data, bytes) else bytes(memoryview(data)[:room])
            else:
                # bytes are immutable: keep the caller's object; copy anything else
                # (a view of guest memory may change under us).
                chunk = data if isinstance(data, bytes) else bytes(data)
            chunks = self._chunks
            if n < _MERGE_BELOW and chunks and len(chunks[-1]) + n <= PIPE_BUF:
                chunks[-1] += chunk
            else:
                chunks.append(chunk)
            self._size = size + n
            self._wseq += 1
            if self._read_sleepers:
                self._can_read.notify_all()
        if (q := self.reader._waitq) is not None:
            # Every write, not only into an empty pipe: edge-triggered epoll
            # reports each arrival (Linux's pipe_write wakes pollers when
            # pipe->poll_usage, i.e. once anyone has polled the pipe).
            q.notify()
        return n

    def _close_writer(self) -> None:
        with self._lock:
            if self._writer_closed:
                return
            self._writer_closed = True
            self._wseq += 1
            self._rseq += 1
            self._can_read.notify_all()
            self._can_write.notify_all()
        if (q := self.reader._waitq) is not None:
            q.notify()


class _PipeEnd(Stream):
    """What both ends share: their pipe and a wait queue made on first use."""

    __slots__ = ("_waitq", "pipe")

    def __init__(self, pipe: Pipe) -> None:
        self.pipe = pipe
        self._waitq: WaitQueue | None = None

    @property
    def waitq(self) -> WaitQueue:
        return _poll_queue(self)

    @waitq.setter
    def waitq(self, queue: WaitQueue) -> None:
        self._waitq = queue


def _poll_queue(end: _PipeEnd) -> WaitQueue:
    """The end's ``waitq``, made on first use: until someone polls an end,
    readiness changes notify nobody (a notify costs ~2 us, as much as the rest
    of a small write)."""
    q = end._waitq
    if q is None:
        with end.pipe._lock:  # one queue even if two pollers race here
            q = end._waitq
            if q is None:
                q = end._waitq = WaitQueue()
    return q


class PipeReader(_PipeEnd):
    """The read end of a :class:`Pipe` (see the module docstring for the rules).

    ``waitq`` is notified whenever this end becomes readable or hung up, for
    ``poll`` (take a token before checking ``readable_now``, then wait on it).
    The ``WouldBlock`` that ``read`` raises carries its own waitable, which
    cannot miss a write made after the failed read.
    """

    __slots__ = ()

    def read(self, size: int) -> bytes:
        """Up to ``size`` buffered bytes; ``b""`` at EOF; ``WouldBlock`` if empty."""
        return self.pipe._read(size)

    # These answer without the lock: each reads single attributes, and the
    # answer may be stale by the time the caller acts on it either way.
    def readable_now(self) -> bool:
        p = self.pipe
        return p._size > 0 or p._writer_closed or p._reader_closed

    def hung_up(self) -> bool:
        """The write end has closed (data may still be buffered)."""
        return self.pipe._writer_closed

    def nread(self) -> int:
        """Bytes a read would return now (``ioctl(FIONREAD)``)."""
        return self.pipe._size

    def poll_events(self) -> int:
        """Linux's pipe_poll for a read end: POLLIN|POLLRDNORM while data is
        buffered, POLLHUP once the write end has closed (an empty closed pipe
        is POLLHUP alone)."""
        p = self.pipe
        mask = _POLLIN if p._size > 0 else 0
        if p._writer_closed:
            mask |= _POLLHUP
        return mask

    def close(self) -> None:
        """Drop buffered data; later writes get ``EPIPE``. Idempotent."""
        self.pipe._close_reader()

    def __repr__(self) -> str:
        return f"<PipeReader {self.pipe.name}>"


class PipeWriter(_PipeEnd):
    """The write end of a :class:`Pipe` (see the module docstring for the rules).

    ``waitq`` is notified whenever this end becomes writable (room for
    :data:`PIPE_BUF` bytes) or the read end closes, for ``poll``.
    """

    __slots__ = ()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write ``data``; returns the count written (> 0; 0 for empty ``data``).

        ``bytes`` are kept as they are; a ``bytearray`` or (byte-format)
        ``memoryview`` is copied, since its contents may change later.

        At most :data:`PIPE_BUF` bytes: all or ``WouldBlock``. More: as much
        as fits, or ``WouldBlock`` when full. ``EPIPE`` if the read end is closed.
        """
        return self.pipe._write(data)

    def writable_now(self) -> bool:
        """Room for an atomic ``PIPE_BUF`` write, or the write fails at once."""
        p = self.pipe
        return p.capacity - p._size >= PIPE_BUF or p._reader_closed or p._writer_closed

    def hung_up(self) -> bool:
        """The read end has closed (writes fail with ``EPIPE``)."""
        return self.pipe._reader_closed

    def poll_events(self) -> int:
        """Linux's pipe_poll for a write end: POLLOUT|POLLWRNORM while there is
        room for PIPE_BUF bytes, POLLERR once the read end has closed."""
        p = self.pipe
        mask = _POLLOUT if p.capacity - p._size >= PIPE_BUF else 0
        if p._reader_closed:
            mask |= _POLLERR
        return mask

    def close(self) -> None:
        """Readers see EOF once the buffer drains. Idempotent."""
        self.pipe._close_writer()

    def __repr__(self) -> str:
        return f"<PipeWriter {self.pipe.name}>"


class PipeBudget:
    """The buffer bytes of one kernel's live pipes, held to a soft limit as Linux
    holds a user's (``pipe-user-pages-soft``): a pipe's buffer is host memory
    that no process's memory limit counts, and without a bound one process
    could fill 511 pipes of 1 MiB each (then spawn more such processes).

    A pipe is charged its capacity when made and when resized, and gives it
    back when its read end closes (its buffer is freed then, and writes fail
    with EPIPE from then on). Thread-safe.
    """

    def __init__(self, soft: int = PIPE_BYTES_SOFT) -> None:
        self.soft = soft
        self._used = 0
        self._lock = threading.Lock()
        # A closing read end only appends here (atomic, no lock to take);
        # the next call under the lock drains it.
        self._freed: deque[int] = deque()
        self._charged: weakref.WeakKeyDictionary[Pipe, list[int]] = weakref.WeakKeyDictionary()

    @property
    def used(self) -> int:
        """Bytes charged to the pipes alive now."""
        with self._lock:
            return self._drain()

    def _drain(self) -> int:
        freed = self._freed
        while freed:
            self._used -= freed.popleft()
        return self._used

    def new_pipe(self, pipe_id: int | None = None) -> Pipe:
        """A pipe of :data:`DEFAULT_CAPACITY`, or of :data:`PIPE_MIN_CAPACITY` once
        the budget is spent."""
        with self._lock:
            full = self._drain() + DEFAULT_CAPACITY > self.soft
            capacity = PIPE_MIN_CAPACITY if full else DEFAULT_CAPACITY
            pipe = Pipe(capacity, pipe_id=pipe_id)
            cell = [capacity]
            self._charged[pipe] = cell
            self._used += capacity
        freed = self._freed

        def give_back() -> None:
            freed.append(cell[0])
            cell[0] = 0

        pipe.on_reader_closed = give_back
        return pipe

    def resize(self, pipe: Pipe, capacity: int) -> None:
        """``pipe.resize(capacity)`` within the budget: growing past it is EPERM
        (Linux's F_SETPIPE_SZ over the soft limit); shrinking always works."""
        with self._lock:
            cell = self._charged.get(pipe)
            if cell is not None and cell[0] == 0:
                cell = None  # the read end is closed: nothing can be buffered
            grow = capacity - pipe.capacity
            if cell is not None and grow > 0 and self._drain() + grow > self.soft:
                raise KernelError(Errno.EPERM, "pipe buffers are over pipe-user-pages-soft")
            pipe.resize(capacity)
            if cell is not None:
                self._used += capacity - cell[0]
                cell[0] = capacity

