"""DevFs: the device nodes, their streams, and the fixed directory."""

from __future__ import annotations

import os

from helpers import errno_of

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.fs.devfs import DEV_READ_MAX, DevFs, makedev
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream
from pyocclum.fs.types import Stream


def stream(fs: DevFs, name: str) -> Stream:
    s = fs.root().lookup(name).open_stream()
    assert s is not None
    return s


class Console(BufferStream):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def read(self, size: int) -> bytes:
        return b"typed"[:size]

    def isatty(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


ALL = ["null", "zero", "full", "random", "urandom", "tty", "stdin", "stdout", "stderr"]


def test_listing_and_stat() -> None:
    fs = DevFs()
    fs.dev = 9
    root = fs.root()
    ents = list(root.entries())
    assert [e.name for e in ents] == ALL
    assert all(e.filetype == FileType.CHARACTER_DEVICE for e in ents)
    assert len({e.ino for e in ents} | {root.ino}) == len(ALL) + 1
    st = root.stat()
    assert st.filetype == FileType.DIRECTORY
    assert st.dev == 9
    for e in ents:
        node = root.lookup(e.name)
        s = node.stat()
        assert s.filetype == FileType.CHARACTER_DEVICE
        assert s.ino == e.ino
        assert s.dev == 9
        assert node.filetype == FileType.CHARACTER_DEVICE
    assert fs.fstype == "devfs"
    # Linux's numbers (its mem and tty drivers); the fd aliases have none of their own.
    rdevs = {e.name: root.lookup(e.name).stat().rdev for e in ents}
    assert rdevs == {"null": os.makedev(1, 3), "zero": os.makedev(1, 5),
                     "full": os.makedev(1, 7), "random": os.makedev(1, 8),
                     "urandom": os.makedev(1, 9), "tty": os.makedev(5, 0),
                     "stdin": 0, "stdout": 0, "stderr": 0}
    assert root.stat().rdev == 0


def test_makedev_is_linuxs() -> None:
    for major, minor in [(0, 0), (1, 3), (5, 0), (4095, 255), (4096, 256), (0xFFFFF, 0xFFFFF)]:
        assert makedev(major, minor) == os.makedev(major, minor)


def test_null() -> None:
    s = stream(DevFs(), "null")
    assert s.read(100) == b""
    assert s.write(b"anything") == 8
    assert s.readable_now()
    assert s.writable_now()
    assert not s.isatty()


def test_zero_and_full() -> None:
    fs = DevFs()
    z = stream(fs, "zero")
    assert z.read(10) == bytes(10)
    assert z.write(b"x") == 1
    assert len(z.read(1 << 40)) == DEV_READ_MAX  # short, not a huge allocation
    full = stream(fs, "full")
    assert full.read(4) == bytes(4)
    assert errno_of(full.write, b"x") == Errno.ENOSPC


def test_random() -> None:
    fs = DevFs()
    for name in ("random", "urandom"):
        s = stream(fs, name)
        a, b = s.read(32), s.read(32)
        assert len(a) == len(b) == 32
        assert a != b
        assert s.write(b"seed") == 4


def test_tty_without_console() -> None:
    assert errno_of(DevFs().root().lookup("tty").open_stream) == Errno.ENXIO


def test_tty_with_console_is_borrowed() -> None:
    console = Console()
    tty = stream(DevFs(console), "tty")
    assert tty.write(b"hi") == 2
    assert console.getvalue() == b"hi"
    assert tty.read(3) == b"typ"
    assert tty.isatty()
    tty.close()
    assert not console.closed  # closing /dev/tty never closes the console


def test_stdio_aliases() -> None:
    root = DevFs().root()
    for fd, name in enumerate(["stdin", "stdout", "stderr"]):
        node = root.lookup(name)
        assert node.alias_fd == fd
        assert node.filetype == FileType.CHARACTER_DEVICE
        assert errno_of(node.open_stream) == Errno.ENXIO
    assert root.lookup("null").alias_fd is None


def test_directory_is_fixed() -> None:
    fs = DevFs()
    root = fs.root()
    null = root.lookup("null")
    assert errno_of(root.lookup, "nope") == Errno.ENOENT
    assert errno_of(root.lookup, "..") == Errno.EINVAL
    assert errno_of(root.create, "new", 0o644) == Errno.EROFS
    assert errno_of(root.create, "null", 0o644) == Errno.EEXIST
    assert errno_of(root.mkdir, "shm", 0o755) == Errno.EROFS
    assert errno_of(root.symlink, "fd", "/proc/self/fd") == Errno.EROFS
    assert errno_of(root.link, "null2", null) == Errno.EROFS
    assert errno_of(root.unlink, "null") == Errno.EROFS
    assert errno_of(root.unlink, "nope") == Errno.ENOENT
    assert errno_of(root.rmdir, "null") == Errno.ENOTDIR
    assert errno_of(root.rename, "null", root, "x") == Errno.EROFS
    assert errno_of(root.rename, "nope", root, "x") == Errno.ENOENT
    assert errno_of(root.rename, "null", RamFs().root(), "x") == Errno.EXDEV
    assert errno_of(null.lookup, "x") == Errno.ENOTDIR
    assert errno_of(null.chmod, 0o600) == Errno.EPERM
    assert errno_of(root.read, 0, 1) == Errno.EISDIR
