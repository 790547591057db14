"""The instance's files as host tools see them: Linux errno numbers, ``st_mode`` bits
and ``strerror`` text for what the LibOS's file systems report.

Shared by ``occlum fs`` (:mod:`pyocclum.cli.fs`) and the FUSE operations of
``occlum mount`` (:mod:`pyocclum.cli.mount`), below both.
"""

from __future__ import annotations

import errno as host_errno
import os
import stat as host_stat

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import Stat

__all__ = ["host_errno_of", "mode_bits", "reason"]

_S_IF = {
    FileType.DIRECTORY: host_stat.S_IFDIR,
    FileType.REGULAR_FILE: host_stat.S_IFREG,
    FileType.SYMBOLIC_LINK: host_stat.S_IFLNK,
    FileType.CHARACTER_DEVICE: host_stat.S_IFCHR,
    FileType.BLOCK_DEVICE: host_stat.S_IFBLK,
    FileType.SOCKET_DGRAM: host_stat.S_IFSOCK,
    FileType.SOCKET_STREAM: host_stat.S_IFSOCK,
}


def host_errno_of(err: Errno) -> int:
    """The Linux errno number of a kernel :class:`Errno` (EIO if Linux has no such name)."""
    if err == Errno.ENOTCAPABLE:
        return host_errno.EACCES
    number = getattr(host_errno, err.name, None)
    return number if isinstance(number, int) else host_errno.EIO


def reason(e: KernelError | OSError) -> str:
    """What went wrong, as ``strerror`` says it (an integrity failure also says why)."""
    if isinstance(e, KernelError):
        text = os.strerror(host_errno_of(e.errno))
        if e.errno == Errno.EIO and e.msg:
            text += f" ({e.msg})"
        return text
    return e.strerror or str(e)


def mode_bits(st: Stat) -> int:
    """``st_mode`` as Linux packs it: file type bits and permission bits."""
    return _S_IF.get(st.filetype, 0) | (st.mode & 0o7777)
