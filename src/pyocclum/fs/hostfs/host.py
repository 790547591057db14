"""hostfs's view of the host: the flags its descriptors are opened with, host errors
as kernel errors, host ``stat`` results as the LibOS's (file types, and owners mapped as a
user namespace would: see the package's docstring)."""

from __future__ import annotations

import os
import stat as host_stat

from pyocclum.abi.errno import from_host
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import (
    Stat,
)

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY
#: Largest single host read: ``os.pread`` allocates its whole buffer up front.
_IO_MAX = 1 << 20

_Key = tuple[int, int]  # (st_dev, st_ino) on the host

_READ = 1
_WRITE = 2


def _kerr(e: OSError, what: str) -> KernelError:
    return KernelError(from_host(e.errno), f"{what}: {e.strerror or e}")


_FILETYPES = {
    host_stat.S_IFREG: FileType.REGULAR_FILE,
    host_stat.S_IFDIR: FileType.DIRECTORY,
    host_stat.S_IFLNK: FileType.SYMBOLIC_LINK,
    host_stat.S_IFCHR: FileType.CHARACTER_DEVICE,
    host_stat.S_IFBLK: FileType.BLOCK_DEVICE,
    host_stat.S_IFSOCK: FileType.SOCKET_STREAM,
}


def _filetype(mode: int) -> FileType:
    """What a host file is; FIFOs and anything else are UNKNOWN."""
    return _FILETYPES.get(host_stat.S_IFMT(mode), FileType.UNKNOWN)


def _fstat_or_close(fd: int, what: str) -> os.stat_result:
    """``fstat(fd)``; if that fails, ``fd`` is closed and the error is ``what``'s."""
    try:
        return os.fstat(fd)
    except OSError as e:
        os.close(fd)
        raise _kerr(e, what) from e


def _key(st: os.stat_result) -> _Key:
    return (st.st_dev, st.st_ino)


#: What an owner the LibOS cannot map shows as (Linux's overflow uid/gid).
_NOBODY = 65534


def _id_inside(host_id: int, own: int) -> int:
    """A host uid/gid as processes see it (``own``: the LibOS's own host id)."""
    if host_id == own:
        return 0
    return _NOBODY if host_id == 0 else host_id


def _id_on_host(inside: int | None, own: int) -> int:
    """An id given inside, for ``os.chown`` (-1: unchanged)."""
    if inside is None:
        return -1
    return own if inside == 0 else inside


def _chown_args(uid: int | None, gid: int | None) -> tuple[int, int]:
    return _id_on_host(uid, os.geteuid()), _id_on_host(gid, os.getegid())


def _to_stat(dev: int, st: os.stat_result) -> Stat:
    return Stat(
        dev=dev,
        ino=st.st_ino,
        filetype=_filetype(st.st_mode),
        mode=st.st_mode & 0o7777,
        nlink=st.st_nlink,
        size=st.st_size,
        atim=st.st_atime_ns,
        mtim=st.st_mtime_ns,
        ctim=st.st_ctime_ns,
        uid=_id_inside(st.st_uid, os.geteuid()),
        gid=_id_inside(st.st_gid, os.getegid()),
        rdev=st.st_rdev,
    )
