"""Advisory file locks shared by every process of a kernel: POSIX record locks
(``fcntl`` ``F_SETLK``/``F_SETLKW``/``F_GETLK``), open file description locks
(``F_OFD_*``) and ``flock``, with Linux's semantics.

A lock is on a *file* (its identity, :data:`FileKey`: device and inode number,
so two opens of one file see each other's locks) and belongs to an *owner*:

- a POSIX record lock belongs to the process's fd table (Linux's
  ``files_struct``): every thread of the process shares it, a spawned child
  does not inherit it, and closing *any* fd of the file in that process drops
  all of the process's locks on the file (:meth:`LockTable.release_posix`);
- an OFD lock and a ``flock`` lock belong to the open file description: ``dup``'ed
  and inherited fds share it, and it goes when the description's last fd
  closes (:meth:`LockTable.release_description`).

POSIX and OFD locks are one namespace (they conflict with each other, never
with an owner's own locks); ``flock`` locks are another (as on Linux's local
file systems, ``flock`` and ``fcntl`` locks never conflict).

Ranges are byte offsets ``[start, end]`` with ``end`` inclusive and
:data:`OFFSET_MAX` meaning "to the end of the file, however far it grows"
(``l_len == 0``). Setting a lock on a range replaces the owner's locks there
(splitting them) and merges it with the owner's overlapping or adjacent locks
of the same kind, as Linux's ``posix_lock_inode``.

Nothing here blocks: a request that conflicts raises ``WouldBlock`` on
:attr:`LockTable.waitq` (notified by every unlock), and the syscall layer sleeps
or fails with EAGAIN. :meth:`LockTable.set_range` detects simple deadlock
cycles between processes blocked in ``F_SETLKW`` (EDEADLK), as Linux does.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Hashable
from typing import NamedTuple

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.waitq import WaitQueue

__all__ = [
    "OFFSET_MAX",
    "FileKey",
    "LockKind",
    "LockTable",
    "RangeLock",
    "normalize",
    "range_of",
]

#: Largest file offset (Linux's OFFSET_MAX); a lock ending here runs to end of file.
OFFSET_MAX = (1 << 63) - 1
#: How far deadlock detection follows "waits for" edges (Linux's MAX_DEADLK_ITERATIONS).
MAX_DEADLOCK_STEPS = 10

#: A file's identity: anything hashable, usually ``(dev, ino)``.
FileKey = Hashable


class LockKind(enum.IntEnum):
    """``l_type`` values (Linux's F_RDLCK, F_WRLCK, F_UNLCK)."""

    READ = 0
    WRITE = 1
    UNLOCK = 2


class RangeLock(NamedTuple):
    """One held record lock: bytes ``start..end`` (inclusive)."""

    start: int
    end: int
    kind: LockKind
    owner: object
    #: What ``F_GETLK`` reports as ``l_pid``: the locking process, -1 for an OFD lock.
    pid: int
    ofd: bool = False

    def overlaps(self, start: int, end: int) -> bool:
        return self.start <= end and start <= self.end

    def conflicts(self, owner: object, start: int, end: int, kind: LockKind) -> bool:
        """Would ``owner``'s request for ``kind`` on ``start..end`` conflict with this lock?"""
        return (
            self.owner is not owner
            and self.overlaps(start, end)
            and (kind == LockKind.WRITE or self.kind == LockKind.WRITE)
        )


def range_of(start: int, length: int) -> tuple[int, int]:
    """Linux's ``flock_to_posix_lock`` for an absolute ``start`` (``l_whence``
    already applied) and ``l_len``: the inclusive byte range, with ``l_len`` 0 running
    to :data:`OFFSET_MAX` and a negative ``l_len`` naming the bytes before ``start``.
    EINVAL for a range starting before 0, EOVERFLOW past :data:`OFFSET_MAX`."""
    if start < 0:
        raise KernelError(Errno.EINVAL, "lock starts before offset 0")
    if length > 0:
        if length - 1 > OFFSET_MAX - start:
            raise KernelError(Errno.EOVERFLOW, "lock ends past the largest offset")
        return start, start + length - 1
    if length < 0:
        end = start - 1
        start += length
        if start < 0:
            raise KernelError(Errno.EINVAL, "lock starts before offset 0")
        return start, end
    if start > OFFSET_MAX:
        raise KernelError(Errno.EOVERFLOW, "lock starts past the largest offset")
    return start, OFFSET_MAX


def normalize(locks: list[RangeLock]) -> list[RangeLock]:
    """One owner's locks, sorted, with overlapping or adjacent locks of the same
    kind merged (the input may overlap only between locks of the same kind)."""
    out: list[RangeLock] = []
    for lk in sorted(locks, key=lambda r: (r.start, r.end)):
        if out and out[-1].kind == lk.kind and lk.start <= out[-1].end + 1:
            last = out[-1]
            out[-1] = last._replace(end=max(last.end, lk.end))
        else:
            out.append(lk)
    return out


def _punch(locks: list[RangeLock], start: int, end: int) -> list[RangeLock]:
    """``locks`` without the bytes ``start..end`` (a lock across the range splits)."""
    out: list[RangeLock] = []
    for lk in locks:
        if not lk.overlaps(start, end):
            out.append(lk)
            continue
        if lk.start < start:
            out.append(lk._replace(end=start - 1))
        if lk.end > end:
            out.append(lk._replace(start=end + 1))
    return out


class _Want(NamedTuple):
    """What a blocked ``F_SETLKW`` waits for (for deadlock detection)."""

    key: FileKey
    start: int
    end: int
    kind: LockKind


class LockTable:
    """Every lock of one kernel. Thread-safe; never blocks (see the module)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ranges: dict[FileKey, list[RangeLock]] = {}
        #: key -> {owner: exclusive?} for flock.
        self._flocks: dict[FileKey, dict[object, bool]] = {}
        #: POSIX owners blocked in F_SETLKW, and on what.
        self._waiting: dict[object, _Want] = {}
        #: Notified whenever a lock goes away (blocked requests look again).
        self.waitq = WaitQueue()

    # -- record locks (POSIX and OFD) ---------------------------------------------
    def locks(self, key: FileKey) -> list[RangeLock]:
        """The record locks held on ``key``, sorted by owner then start (for tests and /proc)."""
        with self._lock:
            return list(self._ranges.get(key, ()))

    def test(
        self, key: FileKey, owner: object, start: int, end: int, kind: LockKind
    ) -> RangeLock | None:
        """``F_GETLK``: the first lock of another owner that would block ``kind`` on
        ``start..end``, or None."""
        if kind == LockKind.UNLOCK:
            raise KernelError(Errno.EINVAL, "F_GETLK needs F_RDLCK or F_WRLCK")
        with self._lock:
            return self._conflict(key, owner, start, end, kind)

    def _conflict(
        self, key: FileKey, owner: object, start: int, end: int, kind: LockKind
    ) -> RangeLock | None:
        for lk in self._ranges.get(key, ()):
            if lk.conflicts(owner, start, end, kind):
                return lk
        return None

    def set_range(
        self,
        key: FileKey,
        owner: object,
        start: int,
        end: int,
        kind: LockKind,
        *,
        pid: int,
        ofd: bool = False,
        wait: bool = False,
    ) -> None:
        """``F_SETLK`` (``wait`` False) or one attempt of ``F_SETLKW``: lock, or unlock
        with :attr:`LockKind.UNLOCK`, ``start..end`` for ``owner``.

        A conflict raises ``WouldBlock`` on :attr:`waitq` (the caller turns it
        into EAGAIN, or sleeps and calls again). With ``wait``, a POSIX owner
        is recorded as waiting until :meth:`stop_waiting`; EDEADLK if the
        owner holding the conflicting lock waits, directly or through other
        waiters, for a lock this owner holds.
        """
        token = self.waitq.token()  # before looking: an unlock after this wakes us
        with self._lock:
            if kind != LockKind.UNLOCK:
                blocker = self._conflict(key, owner, start, end, kind)
                if blocker is not None:
                    if wait and not ofd and not blocker.ofd:
                        if self._deadlock(owner, blocker.owner):
                            raise KernelError(Errno.EDEADLK, "waiting would deadlock")
                        self._waiting[owner] = _Want(key, start, end, kind)
                    raise WouldBlock(self.waitq.since(token))
            self._waiting.pop(owner, None)
            held = self._ranges.get(key, [])
            mine = [lk for lk in held if lk.owner is owner]
            others = [lk for lk in held if lk.owner is not owner]
            changed = _punch(mine, start, end)
            if kind != LockKind.UNLOCK:
                changed.append(RangeLock(start, end, kind, owner, pid, ofd))
            new = others + normalize(changed)
            if new:
                self._ranges[key] = new
            else:
                self._ranges.pop(key, None)
            released = kind == LockKind.UNLOCK or any(
                lk.kind == LockKind.WRITE and lk.overlaps(start, end) for lk in mine
            )
        if released:
            self.waitq.notify()

    def stop_waiting(self, owner: object) -> None:
        """``owner``'s ``F_SETLKW`` ended (locked, failed or interrupted)."""
        with self._lock:
            self._waiting.pop(owner, None)

    def _deadlock(self, requester: object, holder: object) -> bool:
        """Does ``holder`` wait, directly or through a chain of waiters, for ``requester``?"""
        owner = holder
        for _ in range(MAX_DEADLOCK_STEPS):
            if owner is requester:
                return True
            want = self._waiting.get(owner)
            if want is None:
                return False
            blocker = self._conflict(want.key, owner, want.start, want.end, want.kind)
            if blocker is None or blocker.ofd:
                return False
            owner = blocker.owner
        return False

    def release_posix(self, key: FileKey, owner: object) -> None:
        """A process closed an fd of ``key``: its POSIX locks on the file go (Linux)."""
        self._release(lambda lk: lk.owner is owner and not lk.ofd, key)

    def release_owner(self, owner: object) -> None:
        """Every record lock of ``owner`` on every file goes."""
        self._release(lambda lk: lk.owner is owner, None)

    def _release(self, drop: Callable[[RangeLock], bool], key: FileKey | None) -> None:
        changed = False
        with self._lock:
            keys = [key] if key is not None else list(self._ranges)
            for k in keys:
                held = self._ranges.get(k)
                if not held:
                    continue
                kept = [lk for lk in held if not drop(lk)]
                if len(kept) != len(held):
                    changed = True
                    if kept:
                        self._ranges[k] = kept
                    else:
                        del self._ranges[k]
        if changed:
            self.waitq.notify()

    # -- flock ----------------------------------------------------------------------
    def flock(self, key: FileKey, owner: object, kind: LockKind) -> None:
        """One attempt of ``flock``: ``owner`` (an open file description) takes a
        shared (READ) or exclusive (WRITE) lock on ``key``, or drops its lock
        (UNLOCK). Converting a lock first drops the old one, so a conversion that
        must wait leaves none held (as Linux). ``WouldBlock`` on a conflict."""
        token = self.waitq.token()
        notify = False
        try:
            with self._lock:
                holders = self._flocks.setdefault(key, {})
                old = holders.get(owner)
                want_ex = kind == LockKind.WRITE
                if old is not None:
                    if kind != LockKind.UNLOCK and old == want_ex:
                        return
                    del holders[owner]
                    notify = True
                if kind == LockKind.UNLOCK:
                    return
                if any(ex or want_ex for other, ex in holders.items() if other is not owner):
                    raise WouldBlock(self.waitq.since(token))
                holders[owner] = want_ex
        finally:
            with self._lock:
                if key in self._flocks and not self._flocks[key]:
                    del self._flocks[key]
            if notify:
                self.waitq.notify()

    def flock_holders(self, key: FileKey) -> dict[object, bool]:
        """``owner -> exclusive?`` for the flock locks on ``key`` (for tests)."""
        with self._lock:
            return dict(self._flocks.get(key, {}))

    # -- descriptions ---------------------------------------------------------------
    def release_description(self, owner: object) -> None:
        """An open file description's last fd closed: its OFD and flock locks go."""
        self.release_owner(owner)
        changed = False
        with self._lock:
            for key in list(self._flocks):
                holders = self._flocks[key]
                if owner in holders:
                    del holders[owner]
                    changed = True
                if not holders:
                    del self._flocks[key]
        if changed:
            self.waitq.notify()
