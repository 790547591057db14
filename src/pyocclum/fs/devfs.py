"""``devfs``: the ``/dev`` directory of character devices.

``null`` (reads end of file, writes are swallowed), ``zero`` (reads zeros),
``full`` (reads zeros, writes fail ``ENOSPC``), ``random`` and ``urandom``
(the host's CSPRNG), ``tty`` (the console stream given to :class:`DevFs`,
``ENXIO`` without one), and ``stdin``/``stdout``/``stderr``, which carry
``alias_fd`` 0/1/2: the VFS/syscall layer turns opening them into a dup of
that fd of the opening process (like Linux's ``/proc/self/fd/N`` links).
With an attester (a booted enclave; host tools have none), the directory
``attestation`` holds Gramine's attestation files (:mod:`pyocclum.fs.devattest`).

The directory is fixed: creating, linking, removing or renaming entries fails
with ``EROFS``. Linux's devtmpfs would let root create nodes there; a LibOS
process has no business creating device nodes, and EROFS says "this tree
cannot change" more plainly than EACCES. Lookups that would fail anyway keep
their Linux errors (``ENOENT`` for a missing name, ``EEXIST`` for creating
one that exists).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import (
    DirEntry,
    FileSystem,
    FixedDirectory,
    Inode,
    Stat,
    Stream,
    check_name,
    now_ns,
)

if TYPE_CHECKING:
    from pyocclum.fs.devattest import Attester

__all__ = ["DevFs"]

#: Most bytes one read of ``zero``/``full``/``random`` returns (device reads may
#: be short; this keeps a guest from making the kernel allocate gigabytes at once).
DEV_READ_MAX = 1 << 20
ATTESTATION = "attestation"
ATTESTATION_INO = 11  # after the nine devices (inodes 2-10)


class _NullStream(Stream):
    def read(self, size: int) -> bytes:
        return b""

    def write(self, data: bytes) -> int:
        return len(data)


class _ZeroStream(Stream):
    def read(self, size: int) -> bytes:
        return bytes(min(max(size, 0), DEV_READ_MAX))

    def write(self, data: bytes) -> int:
        return len(data)


class _FullStream(_ZeroStream):
    def write(self, data: bytes) -> int:
        raise KernelError(Errno.ENOSPC, "/dev/full is always full")


class _RandomStream(Stream):
    def read(self, size: int) -> bytes:
        return os.urandom(min(max(size, 0), DEV_READ_MAX))

    def write(self, data: bytes) -> int:
        return len(data)  # Linux mixes it into the pool; we need not


class _Borrowed(Stream):
    """The console as seen through ``/dev/tty``: closing it leaves the console open."""

    def __init__(self, inner: Stream) -> None:
        self._inner = inner
        self.waitq = inner.waitq

    def read(self, size: int) -> bytes:
        return self._inner.read(size)

    def write(self, data: bytes) -> int:
        return self._inner.write(data)

    def readable_now(self) -> bool:
        return self._inner.readable_now()

    def writable_now(self) -> bool:
        return self._inner.writable_now()

    def hung_up(self) -> bool:
        return self._inner.hung_up()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def sync(self) -> None:
        self._inner.sync()


def makedev(major: int, minor: int) -> int:
    """Linux's dev_t of ``major:minor`` (glibc's and musl's ``makedev``)."""
    return ((major & 0xFFF) << 8 | (major & ~0xFFF) << 32 | (minor & 0xFF)
            | (minor & ~0xFF) << 12)


#: The device numbers Linux gives these files (its mem and tty drivers).
_RDEV = {"null": makedev(1, 3), "zero": makedev(1, 5), "full": makedev(1, 7),
         "random": makedev(1, 8), "urandom": makedev(1, 9), "tty": makedev(5, 0)}


class _DevNode(Inode):
    """One device inode: a character device whose ``open_stream`` gives its stream."""

    def __init__(self, fs: DevFs, ino: int, stream: Stream | None, alias_fd: int | None,
                 rdev: int = 0) -> None:
        self.fs = fs
        self._dfs = fs
        self.ino = ino
        self._stream = stream
        self.alias_fd = alias_fd
        self._rdev = rdev

    @property
    def filetype(self) -> FileType:
        return FileType.CHARACTER_DEVICE

    def stat(self) -> Stat:
        t = self._dfs.created
        return Stat(self._dfs.dev, self.ino, FileType.CHARACTER_DEVICE, 0o666, 1, 0, t, t, t,
                    rdev=self._rdev)

    def open_stream(self) -> Stream | None:
        if self.alias_fd is not None:
            raise KernelError(
                Errno.ENXIO, f"alias of fd {self.alias_fd}: the VFS duplicates that fd instead"
            )
        if self._stream is None:
            raise KernelError(Errno.ENXIO, "no console: /dev/tty is unavailable")
        return self._stream


class _DevDir(FixedDirectory):
    """The fixed ``/dev`` directory: the devices, and ``attestation`` given an attester.

    ``attestation`` is built at its first lookup (its module imported then): a
    boot whose programs never look there pays nothing for it.
    """

    def __init__(self, fs: DevFs, nodes: dict[str, _DevNode],
                 attest: tuple[Attester, Callable[[], object]] | None) -> None:
        self.fs = fs
        self._dfs = fs
        self.ino = 1
        self._nodes = nodes
        self._attest = attest
        self._attest_dir: Inode | None = None
        self._attest_lock = threading.Lock()
        self._names = set(nodes) | ({ATTESTATION} if attest is not None else set())

    @property
    def filetype(self) -> FileType:
        return FileType.DIRECTORY

    def stat(self) -> Stat:
        t = self._dfs.created
        nlink = 2 if self._attest is None else 3
        return Stat(self._dfs.dev, 1, FileType.DIRECTORY, 0o755, nlink, 0, t, t, t)

    def _attestation(self) -> Inode:
        with self._attest_lock:  # one directory, so one table of report data
            if self._attest_dir is None:
                from pyocclum.fs.devattest import AttestDir

                assert self._attest is not None
                attester, caller = self._attest
                self._attest_dir = AttestDir(self._dfs, ATTESTATION_INO, self._dfs.created,
                                             attester, caller)
            return self._attest_dir

    def lookup(self, name: str) -> Inode:
        check_name(name)
        node = self._nodes.get(name)
        if node is not None:
            return node
        if name == ATTESTATION and self._attest is not None:
            return self._attestation()
        raise KernelError(Errno.ENOENT, f"no device {name!r}")

    def entries(self) -> Iterator[DirEntry]:
        ents = [DirEntry(n, d.ino, FileType.CHARACTER_DEVICE) for n, d in self._nodes.items()]
        if self._attest is not None:
            ents.append(DirEntry(ATTESTATION, ATTESTATION_INO, FileType.DIRECTORY))
        return iter(ents)

    # -- everything that would change the tree -----------------------------------
    def refuse_new(self, name: str) -> KernelError:
        check_name(name)
        if name in self._names:
            return KernelError(Errno.EEXIST, f"{name!r} exists")
        return KernelError(Errno.EROFS, "/dev cannot be changed")

    def _old_name(self, name: str) -> None:
        check_name(name)
        if name not in self._names:
            raise KernelError(Errno.ENOENT, f"no device {name!r}")

    def unlink(self, name: str) -> None:
        self._old_name(name)
        raise KernelError(Errno.EROFS, "/dev cannot be changed")

    def rmdir(self, name: str) -> None:
        self._old_name(name)
        if name == ATTESTATION:
            raise KernelError(Errno.EROFS, "/dev cannot be changed")
        raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        if new_dir.fs is not self._dfs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        self._old_name(old)
        check_name(new)
        raise KernelError(Errno.EROFS, "/dev cannot be changed")


class DevFs(FileSystem):
    """``/dev``. ``console`` backs ``/dev/tty`` (``None``: opening it gives ``ENXIO``).

    ``attester`` serves ``/dev/attestation`` (None: there is no such directory),
    and ``caller`` says which process a call comes from (required with it).
    """

    fstype = "devfs"

    def __init__(self, console: Stream | None = None, attester: Attester | None = None,
                 caller: Callable[[], object] | None = None) -> None:
        self.created = now_ns()
        null, zero, full, rand = _NullStream(), _ZeroStream(), _FullStream(), _RandomStream()
        tty = None if console is None else _Borrowed(console)
        specs: list[tuple[str, Stream | None, int | None]] = [
            ("null", null, None),
            ("zero", zero, None),
            ("full", full, None),
            ("random", rand, None),
            ("urandom", rand, None),
            ("tty", tty, None),
            ("stdin", None, 0),
            ("stdout", None, 1),
            ("stderr", None, 2),
        ]
        nodes = {name: _DevNode(self, i + 2, s, a, _RDEV.get(name, 0))
                 for i, (name, s, a) in enumerate(specs)}
        attest = None
        if attester is not None:
            if caller is None:
                raise ValueError("/dev/attestation needs to know the calling process")
            attest = (attester, caller)
        self._root = _DevDir(self, nodes, attest)

    def root(self) -> Inode:
        return self._root
