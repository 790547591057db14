"""``/dev/attestation``: Gramine-style pseudo-files through which a program attests.

Four regular files (``docs/attestation.md``, "Inside the enclave"):

``user_report_data`` (0666)
    The calling process's 64 bytes of report data: zeros until written. A
    write(2) must carry exactly 64 bytes (whatever the offset) and replaces
    them; any other size is ``EINVAL``, so a short write cannot attest to a
    truncated nonce. Truncation (``O_TRUNC``, as ``open(..., "wb")`` asks)
    changes nothing. The data belongs to the process (all its threads): two
    processes never see each other's, and a spawned child starts with zeros.
``quote`` (0444)
    The quote (the :class:`Attester`'s) over the opener's report data as it
    was when the file was opened: a snapshot, so reads in pieces and seeks see
    one quote. Nothing is signed until a program opens the file.
``report`` (0444)
    The local report over the same, made the same way (checkable only on this
    platform: :mod:`pyocclum.attestation.report`).
``attestation_type`` (0444)
    The attester's type name, without a newline (``sim``), as Gramine's.

The read-only files refuse writes and truncation with ``EACCES`` (a
description opened read-only gets ``EBADF`` first, from the open file).
The fs layer sits below the kernel: whose report data a call touches is
decided by ``caller``, a callable the boot injects that returns an object
standing for the calling process (the kernel's ``Process``). The data is
held in a :class:`weakref.WeakKeyDictionary` on that object, so it goes with
its process, and a later process given the same pid starts with zeros.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Protocol

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import DirEntry, FileSystem, FixedDirectory, Inode, Stat, check_name

__all__ = ["REPORT_DATA_SIZE", "AttestDir", "Attester"]

log = _log.getLogger("pyocclum.fs.attestation")

REPORT_DATA_SIZE = 64
_ZEROS = bytes(REPORT_DATA_SIZE)


class Attester(Protocol):
    """What ``/dev/attestation`` needs from the boot (``pyocclum.boot.mounts``)."""

    @property
    def attestation_type(self) -> str:
        """The backend's name (``sim``)."""
        ...

    def quote(self, report_data: bytes) -> bytes:
        """A quote of this enclave over ``report_data`` (64 bytes)."""
        ...

    def report(self, report_data: bytes) -> bytes:
        """A local report of this enclave over ``report_data`` (64 bytes)."""
        ...


class _ReportData:
    """Each process's report data, keyed by what ``caller()`` returns for it."""

    def __init__(self, caller: Callable[[], object]) -> None:
        self._caller = caller
        self._data: weakref.WeakKeyDictionary[object, bytes] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self) -> bytes:
        key = self._caller()
        with self._lock:
            return self._data.get(key, _ZEROS)

    def set(self, data: bytes) -> None:
        key = self._caller()
        with self._lock:
            self._data[key] = data


class _Node(Inode):
    """A file of ``/dev/attestation``: fixed mode, no owner or time changes."""

    def __init__(self, fs: FileSystem, ino: int, created: int, mode: int) -> None:
        self.fs = fs
        self.ino = ino
        self._created = created
        self._mode = mode

    @property
    def filetype(self) -> FileType:
        return FileType.REGULAR_FILE

    def _size(self) -> int:
        return 0

    def stat(self) -> Stat:
        t = self._created
        return Stat(self.fs.dev, self.ino, FileType.REGULAR_FILE, self._mode, 1, self._size(),
                    t, t, t)

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        raise KernelError(Errno.EPERM, "/dev/attestation cannot be changed")

    def chmod(self, mode: int) -> None:
        raise KernelError(Errno.EPERM, "/dev/attestation cannot be changed")

    def chown(self, uid: int | None, gid: int | None) -> None:
        raise KernelError(Errno.EPERM, "/dev/attestation cannot be changed")

    def write(self, offset: int, data: bytes) -> int:
        raise KernelError(Errno.EACCES, "a read-only attestation file")

    def truncate(self, size: int) -> None:
        raise KernelError(Errno.EACCES, "a read-only attestation file")

    def allocate(self, offset: int, length: int) -> None:
        raise KernelError(Errno.ENOTSUP, "attestation files cannot be allocated")


def _slice(content: bytes, offset: int, size: int) -> bytes:
    if offset < 0 or size < 0:
        raise KernelError(Errno.EINVAL, "negative offset or size")
    return content[offset:offset + size]


class _UserReportData(_Node):
    def __init__(self, fs: FileSystem, ino: int, created: int, table: _ReportData) -> None:
        super().__init__(fs, ino, created, 0o666)
        self._table = table

    def _size(self) -> int:
        return REPORT_DATA_SIZE

    def read(self, offset: int, size: int) -> bytes:
        return _slice(self._table.get(), offset, size)

    def write(self, offset: int, data: bytes) -> int:
        if len(data) != REPORT_DATA_SIZE:
            raise KernelError(Errno.EINVAL, f"report data is {REPORT_DATA_SIZE} bytes, "
                                            f"not {len(data)}")
        self._table.set(bytes(data))
        return REPORT_DATA_SIZE

    def truncate(self, size: int) -> None:
        pass  # the size is fixed; O_TRUNC opens (open(..., "wb")) must work


class _Constant(_Node):
    def __init__(self, fs: FileSystem, ino: int, created: int, content: bytes) -> None:
        super().__init__(fs, ino, created, 0o444)
        self._content = content

    def _size(self) -> int:
        return len(self._content)

    def read(self, offset: int, size: int) -> bytes:
        return _slice(self._content, offset, size)


class _Snapshot(_Node):
    """``quote`` or ``report``: made over the report data when the file is opened.

    The directory gives a fresh inode to every lookup (each open walks the
    path), so the snapshot is one open's, shared only with its dups.
    """

    def __init__(self, fs: FileSystem, ino: int, created: int, name: str,
                 make: Callable[[bytes], bytes], table: _ReportData) -> None:
        super().__init__(fs, ino, created, 0o444)
        self._name = name
        self._make = make
        self._table = table
        self._content: bytes | None = None

    def _size(self) -> int:
        return 0 if self._content is None else len(self._content)

    def _take(self) -> bytes:
        try:
            content = self._make(self._table.get())
        except (OSError, ValueError) as e:
            # Gramine answers a failed quote with EACCES; the operator needs the reason.
            log.error("/dev/attestation/%s: %s", self._name, e)
            raise KernelError(Errno.EACCES, f"cannot make the {self._name}: {e}") from None
        self._content = content
        return content

    def open_stream(self) -> None:
        # Called once per open: the moment the snapshot is taken. Offset I/O follows.
        self._take()

    def read(self, offset: int, size: int) -> bytes:
        content = self._content
        return _slice(self._take() if content is None else content, offset, size)


class AttestDir(FixedDirectory):
    """The fixed ``/dev/attestation`` directory of ``fs``, served by ``attester``."""

    NAMES = ("attestation_type", "quote", "report", "user_report_data")

    def __init__(self, fs: FileSystem, ino: int, created: int, attester: Attester,
                 caller: Callable[[], object]) -> None:
        self.fs = fs
        self.ino = ino
        self._created = created
        self._attester = attester
        self._table = _ReportData(caller)
        self._user = _UserReportData(fs, ino + 4, created, self._table)
        self._type: _Constant | None = None

    @property
    def filetype(self) -> FileType:
        return FileType.DIRECTORY

    def stat(self) -> Stat:
        t = self._created
        return Stat(self.fs.dev, self.ino, FileType.DIRECTORY, 0o755, 2, 0, t, t, t)

    def lookup(self, name: str) -> Inode:
        check_name(name)
        if name == "user_report_data":
            return self._user
        if name == "quote":
            return _Snapshot(self.fs, self.ino + 2, self._created, name, self._attester.quote,
                             self._table)
        if name == "report":
            return _Snapshot(self.fs, self.ino + 3, self._created, name, self._attester.report,
                             self._table)
        if name == "attestation_type":
            if self._type is None:
                self._type = _Constant(self.fs, self.ino + 1, self._created,
                                       self._attester.attestation_type.encode())
            return self._type
        raise KernelError(Errno.ENOENT, f"no attestation file {name!r}")

    def entries(self) -> Iterator[DirEntry]:
        return iter([DirEntry(n, self.ino + 1 + i, FileType.REGULAR_FILE)
                     for i, n in enumerate(self.NAMES)])

    # -- everything that would change the tree --------------------------------
    def refuse_new(self, name: str) -> KernelError:
        check_name(name)
        if name in self.NAMES:
            return KernelError(Errno.EEXIST, f"{name!r} exists")
        return KernelError(Errno.EROFS, "/dev/attestation cannot be changed")

    def _old_name(self, name: str) -> None:
        check_name(name)
        if name not in self.NAMES:
            raise KernelError(Errno.ENOENT, f"no attestation file {name!r}")

    def unlink(self, name: str) -> None:
        self._old_name(name)
        raise KernelError(Errno.EROFS, "/dev/attestation cannot be changed")

    def rmdir(self, name: str) -> None:
        self._old_name(name)
        raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        if new_dir.fs is not self.fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        self._old_name(old)
        check_name(new)
        raise KernelError(Errno.EROFS, "/dev/attestation cannot be changed")
