"""WASI preview1 constants and struct layouts (``wasi_snapshot_preview1``).

Layouts follow ``witx/typenames.witx`` of WASI preview1, little-endian,
with the C alignment wasi-libc uses.
"""

from __future__ import annotations

import enum
import struct

from pyocclum.abi.signals import Signal


class FileType(enum.IntEnum):
    UNKNOWN = 0
    BLOCK_DEVICE = 1
    CHARACTER_DEVICE = 2
    DIRECTORY = 3
    REGULAR_FILE = 4
    SOCKET_DGRAM = 5
    SOCKET_STREAM = 6
    SYMBOLIC_LINK = 7


class FdFlags(enum.IntFlag):
    APPEND = 1 << 0
    DSYNC = 1 << 1
    NONBLOCK = 1 << 2
    RSYNC = 1 << 3
    SYNC = 1 << 4


class OFlags(enum.IntFlag):
    CREAT = 1 << 0
    DIRECTORY = 1 << 1
    EXCL = 1 << 2
    TRUNC = 1 << 3


class LookupFlags(enum.IntFlag):
    SYMLINK_FOLLOW = 1 << 0


class FstFlags(enum.IntFlag):
    ATIM = 1 << 0
    ATIM_NOW = 1 << 1
    MTIM = 1 << 2
    MTIM_NOW = 1 << 3


class Whence(enum.IntEnum):
    SET = 0
    CUR = 1
    END = 2


class ClockId(enum.IntEnum):
    REALTIME = 0
    MONOTONIC = 1
    PROCESS_CPUTIME_ID = 2
    THREAD_CPUTIME_ID = 3


class Advice(enum.IntEnum):
    NORMAL = 0
    SEQUENTIAL = 1
    RANDOM = 2
    WILLNEED = 3
    DONTNEED = 4
    NOREUSE = 5


class EventType(enum.IntEnum):
    CLOCK = 0
    FD_READ = 1
    FD_WRITE = 2


SUBCLOCKFLAG_ABSTIME = 1
EVENTRWFLAG_HANGUP = 1
PREOPENTYPE_DIR = 0


class Rights(enum.IntFlag):
    FD_DATASYNC = 1 << 0
    FD_READ = 1 << 1
    FD_SEEK = 1 << 2
    FD_FDSTAT_SET_FLAGS = 1 << 3
    FD_SYNC = 1 << 4
    FD_TELL = 1 << 5
    FD_WRITE = 1 << 6
    FD_ADVISE = 1 << 7
    FD_ALLOCATE = 1 << 8
    PATH_CREATE_DIRECTORY = 1 << 9
    PATH_CREATE_FILE = 1 << 10
    PATH_LINK_SOURCE = 1 << 11
    PATH_LINK_TARGET = 1 << 12
    PATH_OPEN = 1 << 13
    FD_READDIR = 1 << 14
    PATH_READLINK = 1 << 15
    PATH_RENAME_SOURCE = 1 << 16
    PATH_RENAME_TARGET = 1 << 17
    PATH_FILESTAT_GET = 1 << 18
    PATH_FILESTAT_SET_SIZE = 1 << 19
    PATH_FILESTAT_SET_TIMES = 1 << 20
    FD_FILESTAT_GET = 1 << 21
    FD_FILESTAT_SET_SIZE = 1 << 22
    FD_FILESTAT_SET_TIMES = 1 << 23
    PATH_SYMLINK = 1 << 24
    PATH_REMOVE_DIRECTORY = 1 << 25
    PATH_UNLINK_FILE = 1 << 26
    POLL_FD_READWRITE = 1 << 27
    SOCK_SHUTDOWN = 1 << 28
    SOCK_ACCEPT = 1 << 29


RIGHTS_ALL = (1 << 30) - 1

# Rights that make sense on a regular file / a directory / a stream; the
# kernel reports these in fdstat (access control itself is POSIX-style).
RIGHTS_REGULAR_FILE = (
    Rights.FD_DATASYNC | Rights.FD_READ | Rights.FD_SEEK | Rights.FD_FDSTAT_SET_FLAGS
    | Rights.FD_SYNC | Rights.FD_TELL | Rights.FD_WRITE | Rights.FD_ADVISE
    | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_GET | Rights.FD_FILESTAT_SET_SIZE
    | Rights.FD_FILESTAT_SET_TIMES | Rights.POLL_FD_READWRITE
)
RIGHTS_DIRECTORY = (
    Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_SYNC | Rights.FD_ADVISE
    | Rights.PATH_CREATE_DIRECTORY | Rights.PATH_CREATE_FILE | Rights.PATH_LINK_SOURCE
    | Rights.PATH_LINK_TARGET | Rights.PATH_OPEN | Rights.FD_READDIR | Rights.PATH_READLINK
    | Rights.PATH_RENAME_SOURCE | Rights.PATH_RENAME_TARGET | Rights.PATH_FILESTAT_GET
    | Rights.PATH_FILESTAT_SET_SIZE | Rights.PATH_FILESTAT_SET_TIMES | Rights.FD_FILESTAT_GET
    | Rights.FD_FILESTAT_SET_TIMES | Rights.PATH_SYMLINK | Rights.PATH_REMOVE_DIRECTORY
    | Rights.PATH_UNLINK_FILE
)
RIGHTS_STREAM = (
    Rights.FD_READ | Rights.FD_WRITE | Rights.FD_FDSTAT_SET_FLAGS | Rights.FD_FILESTAT_GET
    | Rights.POLL_FD_READWRITE | Rights.FD_SYNC | Rights.FD_DATASYNC | Rights.FD_ADVISE
)

# Struct layouts.
IOVEC = struct.Struct("<II")  # buf, buf_len
FDSTAT = struct.Struct("<BxHxxxxQQ")  # filetype, fs_flags, rights_base, rights_inheriting
FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")  # dev, ino, filetype, nlink, size, atim, mtim, ctim
DIRENT = struct.Struct("<QQIBxxx")  # d_next, d_ino, d_namlen, d_type
PRESTAT = struct.Struct("<BxxxI")  # tag, pr_name_len
SUBSCRIPTION = struct.Struct("<QB7x32s")  # userdata, tag, union (48 bytes)
SUBSCRIPTION_CLOCK = struct.Struct("<IxxxxQQH")  # id, timeout, precision, flags
SUBSCRIPTION_FD = struct.Struct("<I")  # file_descriptor
EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")  # userdata, error, type, nbytes, flags (32 bytes)
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")

assert SUBSCRIPTION.size == 48 and EVENT.size == 32 and FILESTAT.size == 64  # noqa: PT018
assert FDSTAT.size == 24 and DIRENT.size == 24  # noqa: PT018


def pack_dirent(d_next: int, ino: int, filetype: int, name: bytes) -> bytes:
    """One ``fd_readdir`` record: the 24-byte header followed by the name."""
    return DIRENT.pack(d_next, ino, len(name), filetype) + name


# WASI's signal enum skips Linux's SIGSTKFLT (16): map both ways.
_WASI_SIGNALS = [
    0, Signal.SIGHUP, Signal.SIGINT, Signal.SIGQUIT, Signal.SIGILL, Signal.SIGTRAP,
    Signal.SIGABRT, Signal.SIGBUS, Signal.SIGFPE, Signal.SIGKILL, Signal.SIGUSR1,
    Signal.SIGSEGV, Signal.SIGUSR2, Signal.SIGPIPE, Signal.SIGALRM, Signal.SIGTERM,
    Signal.SIGCHLD, Signal.SIGCONT, Signal.SIGSTOP, Signal.SIGTSTP, Signal.SIGTTIN,
    Signal.SIGTTOU, Signal.SIGURG, Signal.SIGXCPU, Signal.SIGXFSZ, Signal.SIGVTALRM,
    Signal.SIGPROF, Signal.SIGWINCH, Signal.SIGPOLL, Signal.SIGPWR, Signal.SIGSYS,
]


def signal_from_wasi(wasi_signal: int) -> int | None:
    """Linux signal number for a WASI ``signal`` value, or None if out of range."""
    if 0 <= wasi_signal < len(_WASI_SIGNALS):
        return int(_WASI_SIGNALS[wasi_signal])
    return None
