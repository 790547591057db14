"""The integrity image's hash tree: BLAKE3 leaves of 64 KiB blocks and a
file's root over its leaves (the scheme is documented with the on-disk
format in :mod:`pyocclum.fs.integrityfs`, which reads it;
:mod:`pyocclum.image.manifest` writes it).

BLAKE3 is the ``blake3`` package (the BLAKE3 team's Rust implementation:
AVX-512/AVX2/SSE4.1/NEON chosen at run time; it releases the GIL while it
hashes). One 64 KiB leaf is one call, and :func:`run_leaves` spreads the
leaves of a long run over a few helper threads (one fewer than the CPUs
this process may use, at most :data:`MAX_HELPERS`), the calling thread
hashing its own share meanwhile, so a 1 MiB read is hashed on every CPU.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from blake3 import blake3

__all__ = [
    "BLOCK",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_CONTEXT",
    "MAX_HELPERS",
    "PARALLEL_MIN_BLOCKS",
    "ROOT_CONTEXT",
    "Job",
    "Pool",
    "block_leaves",
    "helpers",
    "leaf_hash",
    "run_leaves",
    "tree_root",
]

BLOCK = 64 << 10
HASH_SIZE = 32
#: BLAKE3 ``derive_key`` contexts ("application, date, purpose", as BLAKE3 asks).
LEAF_CONTEXT = "pyocclum 2026-12-07 integrity image v2 leaf"
ROOT_CONTEXT = "pyocclum 2026-12-07 integrity image v2 file root"
#: Most helper threads :func:`run_leaves` uses.
MAX_HELPERS = 3
#: Shorter runs are hashed by the calling thread alone (a hand-off costs more).
PARALLEL_MIN_BLOCKS = 4


def leaf_hash(block: bytes | memoryview) -> bytes:
    """The leaf of one block (at most :data:`BLOCK` bytes)."""
    return blake3(block, derive_key_context=LEAF_CONTEXT).digest()


def block_leaves(data: bytes | bytearray | memoryview) -> bytes:
    """``leaf_hash`` of every :data:`BLOCK`-byte block of ``data`` (the last one
    may be short), concatenated: 32 bytes per block, each block hashed where
    it lies."""
    view = memoryview(data).cast("B")
    return b"".join([blake3(view[o : o + BLOCK], derive_key_context=LEAF_CONTEXT).digest()
                     for o in range(0, len(view), BLOCK)])


def tree_root(leaves: bytes | Sequence[bytes]) -> bytes:
    """A file's root over its leaves (concatenated 32-byte ones, or a sequence)."""
    raw = leaves if isinstance(leaves, bytes) else b"".join(leaves)
    if len(raw) % HASH_SIZE:
        raise ValueError(f"leaves must be a multiple of {HASH_SIZE} bytes")
    return blake3(raw, derive_key_context=ROOT_CONTEXT).digest()


EMPTY_ROOT = tree_root(b"")


# -- helper threads -------------------------------------------------------------------
T = TypeVar("T")


class Job(Generic[T]):
    """Work handed to a :class:`Pool`; :meth:`result` waits for it, unless
    :meth:`cancel` took it back before a thread started it."""

    __slots__ = ("_done", "_err", "_fn", "_out", "_start")

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn: Callable[[], T] | None = fn
        self._out: T | None = None
        self._err: BaseException | None = None
        self._start = threading.Lock()  # taken by whoever runs or cancels the work
        self._done = threading.Lock()  # held until the work is over
        self._done.acquire()

    def run(self) -> None:
        if not self._start.acquire(blocking=False):
            return  # cancelled
        fn, self._fn = self._fn, None
        try:
            assert fn is not None
            self._out = fn()
        except BaseException as e:  # handed to whoever waits, who raises it
            self._err = e
        finally:
            self._done.release()

    def cancel(self) -> bool:
        """True if the work will never run (no thread had started it)."""
        if not self._start.acquire(blocking=False):
            return False
        self._fn = None
        return True

    def result(self) -> T:
        """What the work returned (or raise what it raised), once it is over."""
        with self._done:
            pass
        if self._err is not None:
            raise self._err
        return self._out  # type: ignore[return-value]  # set when _err is not


class Pool:
    """Daemon threads taking jobs from one queue, started on demand; after a
    ``fork`` the child starts its own (the parent's threads are not there)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[Job[Any]] = queue.SimpleQueue()
        self._started = 0

    def submit(self, fn: Callable[[], T], threads: int = 1) -> Job[T]:
        """Run ``fn`` on one of the pool's threads (at least ``threads`` of them)."""
        if self._started < threads:
            with self._lock:
                while self._started < threads:
                    threading.Thread(target=self._work, args=(self._jobs,), daemon=True,
                                     name=f"{self.name}-{self._started}").start()
                    self._started += 1
        job = Job(fn)
        self._jobs.put(job)
        return job

    @staticmethod
    def _work(jobs: queue.SimpleQueue[Job[Any]]) -> None:
        while True:
            jobs.get().run()


def helpers() -> int:
    """Helper threads :func:`run_leaves` uses: one fewer than the CPUs this
    process may run on, at most :data:`MAX_HELPERS`."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(0, min(n - 1, MAX_HELPERS))


#: The threads that hash shares of runs (used by nothing else, so that a job
#: on another pool may wait for them without a deadlock).
_hashers = Pool("pyocclum-treehash")


def run_leaves(data: bytes, nhelpers: int | None = None) -> bytes:
    """:func:`block_leaves` of ``data``: for a run of at least
    :data:`PARALLEL_MIN_BLOCKS` blocks, the caller and up to ``nhelpers``
    helpers (default :func:`helpers`) each take the next block not taken yet
    until none is left, so a helper that gets no CPU (a loaded machine) costs
    the hand-off only: the caller hashes everything and takes back the
    helper's job if it has not started."""
    n = (len(data) + BLOCK - 1) // BLOCK
    k = helpers() if nhelpers is None else nhelpers
    k = min(k, n // 2)
    if k <= 0 or n < PARALLEL_MIN_BLOCKS:
        return block_leaves(data)
    view = memoryview(data)
    out = [b""] * n
    taken = itertools.count()  # next() is atomic under the GIL

    def work() -> None:
        for i in iter(taken.__next__, None):
            if i >= n:
                return
            out[i] = blake3(view[i * BLOCK : (i + 1) * BLOCK],
                            derive_key_context=LEAF_CONTEXT).digest()

    jobs = [_hashers.submit(work, k) for _ in range(k)]
    try:
        work()
    finally:
        for job in jobs:  # never leave a helper on our data
            if not job.cancel():
                job.result()
    return b"".join(out)
