"""WASI preview1 (``wasi_snapshot_preview1``): all 46 functions, on the kernel.

Handlers take the calling :class:`Process` and plain Python values and return
plain values; the table at the bottom says how each maps onto wasm
parameters. Errors are raised as ``KernelError``. A module importing these
directly gets what wasmtime 50's built-in WASI gives (tests/syscalls/
test_wasi_differential.py compares them call by call); the deliberate
differences are listed in docs/abi.md ("Raw WASI"). Path walks are in
``wasi_paths``, opening in ``wasi_open``, ``poll_oneoff`` in ``wasi_poll``.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable

from pyocclum.abi import wasi
from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.abi.wasi import (
    RIGHTS_ALL,
    RIGHTS_DIRECTORY,
    ClockId,
    FdFlags,
    FileType,
    FstFlags,
    LookupFlags,
    OFlags,
    Rights,
)
from pyocclum.errors import FileSizeLimit, KernelError, ProcessExit
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Inode, Stat, check_name, clamp_time
from pyocclum.fs.vfs import Location, ParentLocation, refuse_move_into_itself
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process
from pyocclum.kernel.signals import SI_USER, SigInfo
from pyocclum.net.socket import Socket
from pyocclum.syscalls import spec as S
from pyocclum.syscalls.blocking import blocking
from pyocclum.syscalls.wasi_open import OpenFiles
from pyocclum.syscalls.wasi_paths import Beneath
from pyocclum.syscalls.wasi_poll import WasiPoll

MODULE = "wasi_snapshot_preview1"
#: What fd_fdstat_get reports for the root preopen: wasmtime's fixed set (base) and
#: what files opened below it may have (inheriting).
PREOPEN_RIGHTS_BASE = int(
    Rights.PATH_CREATE_DIRECTORY | Rights.PATH_CREATE_FILE | Rights.PATH_LINK_SOURCE
    | Rights.PATH_LINK_TARGET | Rights.PATH_OPEN | Rights.FD_READDIR | Rights.PATH_READLINK
    | Rights.PATH_RENAME_SOURCE | Rights.PATH_RENAME_TARGET | Rights.PATH_SYMLINK
    | Rights.PATH_REMOVE_DIRECTORY | Rights.PATH_UNLINK_FILE | Rights.PATH_FILESTAT_GET
    | Rights.PATH_FILESTAT_SET_TIMES | Rights.FD_FILESTAT_GET | Rights.FD_FILESTAT_SET_TIMES
)
PREOPEN_RIGHTS_INHERITING = PREOPEN_RIGHTS_BASE | int(
    Rights.FD_DATASYNC | Rights.FD_READ | Rights.FD_SEEK | Rights.FD_FDSTAT_SET_FLAGS
    | Rights.FD_SYNC | Rights.FD_TELL | Rights.FD_WRITE | Rights.FD_ADVISE | Rights.FD_ALLOCATE
    | Rights.FD_FILESTAT_GET | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_FILESTAT_SET_TIMES
    | Rights.POLL_FD_READWRITE
)
_SYNC_FLAGS = int(FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC)
#: Linux's whence values beyond WASI's SET, CUR, END (0, 1, 2).
_SEEK_DATA, _SEEK_HOLE = 3, 4
_LINUX_WHENCE = (0, 1, 2, _SEEK_DATA, _SEEK_HOLE)
#: Most bytes one random_get call fills (wasi-libc asks for at most 256).
_MAX_RANDOM = 1 << 20


def _filestat(st: Stat) -> tuple[int, ...]:
    """A WASI filestat. Its times are unsigned: one before the epoch (utimensat may
    set it) is reported as the epoch."""
    return (st.dev, st.ino, int(st.filetype), st.nlink, st.size, max(st.atim, 0),
            max(st.mtim, 0), max(st.ctim, 0))


def _check_lookupflags(flags: int) -> None:
    # Unknown bits of a flags type: EINVAL before anything else (wasmtime traps).
    if flags & ~int(LookupFlags.SYMLINK_FOLLOW):
        raise KernelError(Errno.EINVAL, f"unknown lookup flags {flags:#x}")


def _times(atim: int, mtim: int, fst: int) -> tuple[int | None, int | None]:
    """The (atime, mtime) that fst_flags ask to set (None: unchanged; a u64 beyond
    the signed range is clamped, :func:`clamp_time`); EINVAL for a time both given
    and ``_NOW``."""
    if fst & ~0xF or (fst & FstFlags.ATIM and fst & FstFlags.ATIM_NOW) or (
        fst & FstFlags.MTIM and fst & FstFlags.MTIM_NOW
    ):
        raise KernelError(Errno.EINVAL, f"bad fst_flags {fst:#x}")
    now = time.time_ns()
    a = now if fst & FstFlags.ATIM_NOW else clamp_time(atim) if fst & FstFlags.ATIM else None
    m = now if fst & FstFlags.MTIM_NOW else clamp_time(mtim) if fst & FstFlags.MTIM else None
    return a, m


def is_preopen(f: OpenFile) -> bool:
    """Whether ``f`` is the root preopen (:meth:`Kernel.root_file`), wherever it is now.

    fd_renumber may move it away from fd 3, and another descriptor may take fd 3:
    WASI's preopen is the open description, not the number.
    """
    return (
        f.path == "/" and f.is_directory and f.stream is None
        and f.rights_base == RIGHTS_DIRECTORY and f.rights_inheriting == RIGHTS_ALL
    )


def _fmt_flags(flag_type: type[FdFlags] | type[OFlags] | type[FstFlags]) -> Callable[[int], str]:
    def fmt(value: int) -> str:
        names = [f.name for f in flag_type if f.value & value and f.name]
        return "|".join(names) if names else "0"

    return fmt


class WasiSyscalls(WasiPoll, OpenFiles):
    """The WASI preview1 handlers of one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.vfs = kernel.vfs

    # == args and environment ======================================================
    def args_get(self, p: Process) -> list[bytes]:
        return p.argv

    def args_sizes_get(self, p: Process) -> tuple[int, int]:
        return len(p.argv), sum(len(a) + 1 for a in p.argv)

    def environ_get(self, p: Process) -> list[bytes]:
        return p.env

    def environ_sizes_get(self, p: Process) -> tuple[int, int]:
        return len(p.env), sum(len(e) + 1 for e in p.env)

    # == clocks =====================================================================
    def clock_res_get(self, p: Process, clock_id: int) -> int:
        if clock_id not in ClockId._value2member_map_:
            raise KernelError(Errno.EINVAL, f"unknown clock {clock_id}")
        return 1

    def clock_time_get(self, p: Process, clock_id: int, precision: int) -> int:
        if clock_id == 1:  # MONOTONIC, the common case, first (plain ints: a hot path)
            return time.monotonic_ns()
        if clock_id == 0:  # REALTIME
            return time.time_ns()
        if clock_id == ClockId.PROCESS_CPUTIME_ID:
            # All processes share the host process and its threads: the
            # process's own account (kernel/cputime.py).
            return p.cpu.cpu_ns()
        if clock_id == ClockId.THREAD_CPUTIME_ID:
            return p.cpu.thread_ns()
        raise KernelError(Errno.EINVAL, f"unknown clock {clock_id}")

    # == fd operations ==============================================================
    def fd_advise(self, p: Process, fd: int, offset: int, length: int, advice: int) -> None:
        # A value outside an enum or a flags type is refused before the fd is looked
        # at (wasmtime traps there).
        if advice not in wasi.Advice._value2member_map_:
            raise KernelError(Errno.EINVAL, f"bad advice {advice}")
        f = p.fds.get(fd)
        if f.stream is not None:
            raise KernelError(Errno.ESPIPE, "advice on a stream")
        if f.is_directory:
            raise KernelError(Errno.EBADF, "advice on a directory")  # wasmtime
        # Advice is a hint; every file system here is served from memory or the
        # host page cache already.

    def fd_allocate(self, p: Process, fd: int, offset: int, length: int) -> None:
        # As wasmtime's WASI: not supported, for any file (libocclum's fallocate and
        # posix_fallocate are an ``occlum`` call).
        f = p.fds.get(fd)
        if f.inode is None or f.stream is not None or f.is_directory:
            raise KernelError(Errno.EBADF, "not a file")
        raise KernelError(Errno.ENOTSUP, "fd_allocate is not supported")

    def fd_close(self, p: Process, fd: int) -> None:
        p.fds.close(fd)

    def fd_datasync(self, p: Process, fd: int) -> None:
        p.fds.get(fd).sync()

    def fd_sync(self, p: Process, fd: int) -> None:
        p.fds.get(fd).sync()

    def fd_fdstat_get(self, p: Process, fd: int) -> tuple[int, int, int, int]:
        f = p.fds.get(fd)
        if is_preopen(f):
            return (int(f.filetype), 0, PREOPEN_RIGHTS_BASE, PREOPEN_RIGHTS_INHERITING)
        return (int(f.filetype), f.fdflags & 0xFFFF, f.rights_base, f.rights_inheriting)

    def fd_fdstat_set_flags(self, p: Process, fd: int, flags: int) -> None:
        if flags & ~0x1F:
            raise KernelError(Errno.EINVAL, f"unknown fd flags {flags:#x}")
        f = p.fds.get(fd)
        if f.is_directory:
            raise KernelError(Errno.EBADF, "a directory has no flags to set")  # wasmtime
        if flags & _SYNC_FLAGS:
            raise KernelError(Errno.EINVAL, "only APPEND and NONBLOCK can change")  # wasmtime
        keep = f.fdflags & ~(FdFlags.APPEND | FdFlags.NONBLOCK)
        f.fdflags = keep | (flags & (FdFlags.APPEND | FdFlags.NONBLOCK))

    def fd_fdstat_set_rights(self, p: Process, fd: int, base: int, inheriting: int) -> None:
        # As wasmtime's WASI (the WASI 0.2 based one): rights are what the open
        # mode allows and are never changed; dropping them is not supported.
        p.fds.get(fd)
        raise KernelError(Errno.ENOTSUP, "rights cannot be changed")

    def fd_filestat_get(self, p: Process, fd: int) -> tuple[int, ...]:
        f = p.fds.get(fd)
        if f.inode is None:
            now = time.time_ns()
            return (0, 0, int(f.filetype), 1, 0, now, now, now)
        return _filestat(f.inode.stat())

    def fd_filestat_set_size(self, p: Process, fd: int, size: int) -> None:
        f = p.fds.get(fd)
        if f.stream is not None or f.inode is None:
            raise KernelError(Errno.EINVAL, "not a regular file")
        if f.is_directory:
            raise KernelError(Errno.EBADF, "a directory has no size to set")  # wasmtime
        if not f.writable:
            raise KernelError(Errno.EINVAL, "not open for writing")
        if size > 1 << 63:
            raise KernelError(Errno.EFBIG)
        self.check_new_size(p, f.inode, size)
        f.inode.truncate(size)

    def fd_filestat_set_times(
        self, p: Process, fd: int, atim: int, mtim: int, fst_flags: int
    ) -> None:
        times = _times(atim, mtim, fst_flags)  # the flags first, as wasmtime
        f = p.fds.get(fd)
        if f.inode is None:
            return
        self._set_times(f.inode, times)

    def fd_pread(self, p: Process, fd: int, size: int, offset: int) -> bytes:
        f = p.fds.get(fd)
        if offset + size >= 1 << 63:
            # wasmtime: the range read must end within a signed 64-bit offset.
            raise KernelError(Errno.EINVAL, "offset too large")
        return f.pread(size, offset)

    def fd_pwrite(self, p: Process, fd: int, data: bytes, offset: int) -> int:
        f = p.fds.get(fd)
        if offset + len(data) >= 1 << 63:
            raise KernelError(Errno.EINVAL, "offset too large")
        try:
            return f.pwrite(data, offset, p.file_size_limit())
        except FileSizeLimit:
            self.file_too_big(p)
            raise

    def fd_read(self, p: Process, fd: int, size: int) -> bytes:
        f = p.fds.get(fd)
        stream = f.stream
        if stream is None:
            return f.read(size)
        # A socket's SO_RCVTIMEO bounds read too (EAGAIN), and stops SA_RESTART (Linux).
        timeout = stream.rcvtimeo or None if isinstance(stream, Socket) else None
        return blocking(p, lambda: f.read(size), nonblocking=f.nonblocking,
                        restart=timeout is None, timeout=timeout)

    def fd_write(self, p: Process, fd: int, data: bytes) -> int:
        f = p.fds.get(fd)
        if f.stream is None:
            try:
                return f.write(data, p.file_size_limit())
            except FileSizeLimit:
                self.file_too_big(p)
                raise
        try:
            if f.nonblocking:
                return blocking(p, lambda: f.write(data), nonblocking=True)
            return self._write_stream(p, f, data)
        except KernelError as e:
            if e.errno == Errno.EPIPE:
                # As Linux's pipe_write: SI_USER, from the writer itself.
                self.kernel.send_signal(
                    p, Signal.SIGPIPE, SigInfo(Signal.SIGPIPE, SI_USER, pid=p.pid))
            raise

    def _write_stream(self, p: Process, f: OpenFile, data: bytes) -> int:
        """A blocking write to a stream writes everything (a pipe may take it in
        pieces); interrupted after some bytes (a signal, a socket's SO_SNDTIMEO),
        it reports how many."""
        done = 0
        rest = data
        stream = f.stream
        timeout = stream.sndtimeo or None if isinstance(stream, Socket) else None
        while True:
            try:
                done += blocking(p, functools.partial(f.write, rest), restart=timeout is None,
                                 timeout=timeout)
            except KernelError as e:
                if done and e.errno in (Errno.EINTR, Errno.EPIPE, Errno.EAGAIN):
                    return done
                raise
            if done >= len(data):
                return done
            rest = data[done:]

    def check_new_size(self, p: Process, inode: Inode, size: int) -> None:
        """FileSizeLimit (and SIGXFSZ) if making ``inode`` ``size`` bytes long
        would grow it past ``p``'s RLIMIT_FSIZE (Linux's inode_newsize_ok)."""
        limit = p.file_size_limit()
        if limit is not None and size > limit and size > inode.stat().size:
            self.file_too_big(p)
            raise FileSizeLimit()

    def file_too_big(self, p: Process) -> None:
        """What Linux does to a process that hits its RLIMIT_FSIZE: SIGXFSZ."""
        self.kernel.send_signal(p, Signal.SIGXFSZ, SigInfo(Signal.SIGXFSZ, SI_USER, pid=p.pid))

    def fd_prestat_get(self, p: Process, fd: int) -> tuple[int, int]:
        # The root is the only preopen, at fd 3 unless renumbered: wasi-libc stops
        # scanning at the first EBADF.
        if not is_preopen(p.fds.get(fd)):
            raise KernelError(Errno.EBADF, "not a preopen")
        return (wasi.PREOPENTYPE_DIR, 1)

    def fd_prestat_dir_name(self, p: Process, fd: int, size: int) -> bytes:
        if not is_preopen(p.fds.get(fd)):
            raise KernelError(Errno.ENOTDIR, "not a preopen")  # wasmtime's answer
        if size < 1:
            raise KernelError(Errno.ENAMETOOLONG, "buffer too small")
        return b"/"

    def fd_readdir(self, p: Process, fd: int, size: int, cookie: int) -> bytes:
        f = p.fds.get(fd)
        if f.inode is None or not f.is_directory:
            raise KernelError(Errno.EBADF, "not a directory")  # wasmtime
        entries = f.dir_entries(cookie)
        out = bytearray()
        index = cookie
        dot_ino = f.inode.stat().ino
        while len(out) < size:
            if index == 0:
                name, ino, ftype = b".", dot_ino, FileType.DIRECTORY
            elif index == 1:
                name, ino, ftype = b"..", self._parent_ino(f), FileType.DIRECTORY
            elif index - 2 < len(entries):
                e = entries[index - 2]
                name, ino, ftype = e.name.encode("utf-8", "surrogateescape"), e.ino, e.filetype
            else:
                break
            index += 1
            out += wasi.pack_dirent(index, ino, int(ftype), name)
        # A full buffer tells wasi-libc there may be more: it retries from the
        # last complete entry's cookie with a bigger buffer.
        return bytes(out[:size])

    def _parent_ino(self, f: OpenFile) -> int:
        try:
            parent = self.vfs.resolve(self.vfs.root(), f.path.rstrip("/") + "/..")
            return parent.inode.stat().ino
        except KernelError:
            return 0

    def fd_renumber(self, p: Process, fd: int, to: int) -> None:
        # Any two open fds, the root preopen's too (WASI): the preopen is then
        # found at ``to``, and fd 3 holds whatever was moved there.
        p.fds.renumber(fd, to)

    def fd_seek(self, p: Process, fd: int, offset: int, whence: int) -> int:
        if whence not in wasi.Whence._value2member_map_:
            raise KernelError(Errno.EINVAL, f"bad whence {whence}")
        f = p.fds.get(fd)
        if f.stream is not None and f.filetype == FileType.CHARACTER_DEVICE and (
            f.rights_base & Rights.FD_SEEK
        ):
            return 0  # Linux: seeking /dev/null and friends succeeds and stays at 0
        if f.is_directory:
            # wasmtime: a directory has no offset (fd_readdir takes cookies).
            # libocclum's lseek is the ``occlum`` lseek below, with Linux's answers.
            raise KernelError(Errno.EBADF, "a directory cannot be sought")
        return f.seek(offset, whence)

    def fd_tell(self, p: Process, fd: int) -> int:
        f = p.fds.get(fd)
        if f.stream is not None and (f.rights_base & Rights.FD_TELL):
            return 0
        if f.is_directory:
            raise KernelError(Errno.EBADF, "a directory has no offset")  # wasmtime
        return f.tell()

    def lseek(self, p: Process, fd: int, offset: int, whence: int) -> int:
        """The ``occlum`` ABI's ``lseek``: Linux's, where WASI's fd_seek is
        wasmtime's. A directory fd can be rewound (``SEEK_SET``/``SEEK_CUR``;
        ``SEEK_END`` is EINVAL), ``/dev/null`` and the like stay at 0, pipes are
        ESPIPE; ``SEEK_DATA``/``SEEK_HOLE`` see a file as all data."""
        f = p.fds.get(fd)
        if whence not in _LINUX_WHENCE:
            raise KernelError(Errno.EINVAL, f"bad whence {whence}")
        if f.stream is not None and f.filetype == FileType.CHARACTER_DEVICE and (
            f.rights_base & Rights.FD_SEEK
        ):
            return 0
        if f.is_directory and whence != wasi.Whence.SET and whence != wasi.Whence.CUR:
            raise KernelError(Errno.EINVAL, "a directory is sought from its start only")
        if whence in (_SEEK_DATA, _SEEK_HOLE):
            if f.stream is not None or f.inode is None:
                raise KernelError(Errno.ESPIPE, "seek on a stream")
            size = f.inode.stat().size
            if offset < 0 or offset >= size:
                raise KernelError(Errno.ENXIO, "offset at or past the end")
            return f.seek(offset if whence == _SEEK_DATA else size, wasi.Whence.SET)
        return f.seek(offset, whence)

    # == paths ========================================================================
    def _start(self, p: Process, fd: int) -> Location:
        f = p.fds.get(fd)
        if f.inode is None or not f.is_directory:
            # wasmtime: EBADF (path_open says ENOTDIR for a file, see there).
            raise KernelError(Errno.EBADF, f"fd {fd} is not a directory")
        if f.path == "/":
            return self.vfs.root()
        return self.vfs.location_of(f.path)

    def _resolve(self, p: Process, fd: int, path: str, follow: bool) -> Location:
        start = self._start(p, fd)
        return Beneath(self.vfs, start).resolve(start, path, follow=follow)

    def _parent(self, p: Process, fd: int, path: str) -> ParentLocation:
        start = self._start(p, fd)
        return Beneath(self.vfs, start).resolve_parent(start, path)

    def path_create_directory(self, p: Process, fd: int, path: str) -> None:
        loc = self._parent(p, fd, path)
        if not loc.name:
            raise KernelError(Errno.EEXIST, f"{path} exists")
        check_name(loc.name)
        loc.parent.inode.mkdir(loc.name, 0o755)

    def path_filestat_get(self, p: Process, fd: int, flags: int, path: str) -> tuple[int, ...]:
        _check_lookupflags(flags)
        loc = self._resolve(p, fd, path, bool(flags & LookupFlags.SYMLINK_FOLLOW))
        return _filestat(loc.inode.stat())

    def path_filestat_set_times(
        self, p: Process, fd: int, flags: int, path: str, atim: int, mtim: int, fst: int
    ) -> None:
        _check_lookupflags(flags)
        times = _times(atim, mtim, fst)
        loc = self._resolve(p, fd, path, bool(flags & LookupFlags.SYMLINK_FOLLOW))
        self._set_times(loc.inode, times)

    def _set_times(self, inode: Inode, times: tuple[int | None, int | None]) -> None:
        a, m = times
        if a is None and m is None:
            return
        inode.set_times(a, m)

    def path_link(
        self, p: Process, old_fd: int, old_flags: int, old_path: str, new_fd: int, new_path: str
    ) -> None:
        _check_lookupflags(old_flags)
        start = self._start(p, old_fd)
        self._start(p, new_fd)  # both fds are checked first, as wasmtime does
        if old_flags & LookupFlags.SYMLINK_FOLLOW:
            # wasmtime: a link is made to the path itself, never through a symlink.
            raise KernelError(Errno.EINVAL, "SYMLINK_FOLLOW in path_link")
        # Both directories are walked first, then the source is looked up (wasmtime).
        walk = Beneath(self.vfs, start)
        old = walk.resolve_parent(start, old_path)
        dst = self._parent(p, new_fd, new_path)
        src = walk.resolve(old.parent, old.name, follow=False) if old.name else old.parent
        if old.trailing_slash and src.inode.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{old_path} is not a directory")
        if not dst.name:
            raise KernelError(Errno.EEXIST, f"{new_path} exists")
        if dst.trailing_slash:
            self._slashed_new_name(dst)
        check_name(dst.name)
        if dst.parent.inode.find(dst.name) is not None:
            raise KernelError(Errno.EEXIST, f"{new_path} exists")  # before EPERM, as Linux
        if src.inode.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EPERM, "hard links to directories are not allowed")
        dst.parent.inode.link(dst.name, src.inode)

    def _slashed_new_name(self, loc: ParentLocation) -> None:
        """The error for a new name ending in "/" (wasmtime): EEXIST if it names a
        directory (through symlinks), ENOTDIR if something else, else ENOENT."""
        there = Beneath(self.vfs, loc.parent).resolve(loc.parent, loc.name, follow=True)
        if there.inode.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EEXIST, "it exists")
        raise KernelError(Errno.ENOTDIR, "trailing slash on a non-directory")

    def path_open(
        self,
        p: Process,
        fd: int,
        dirflags: int,
        path: str,
        oflags: int,
        rights_base: int,
        rights_inheriting: int,
        fdflags: int,
    ) -> int:
        if oflags & ~0xF or fdflags & ~0x1F:
            raise KernelError(Errno.EINVAL, "unknown open flags")
        _check_lookupflags(dirflags)
        at = p.fds.get(fd)
        if at.inode is not None and not at.is_directory:
            raise KernelError(Errno.ENOTDIR, f"fd {fd} is not a directory")  # wasmtime
        start = self._start(p, fd)
        if fdflags & _SYNC_FLAGS:
            # wasmtime: synchronized I/O is not supported (libocclum's O_SYNC and
            # O_DSYNC opens are an ``occlum`` call).
            raise KernelError(Errno.ENOTSUP, "DSYNC, RSYNC and SYNC are not supported")
        if oflags & OFlags.CREAT and oflags & OFlags.DIRECTORY:
            raise KernelError(Errno.EINVAL, "CREAT with DIRECTORY")  # wasmtime, Linux 6.4
        # The access mode, as wasmtime opens: for reading if FD_READ is asked for
        # or FD_WRITE is not; for writing if FD_WRITE is, or CREAT or TRUNC.
        asks_write = bool(rights_base & Rights.FD_WRITE)
        writable = asks_write or bool(oflags & (OFlags.CREAT | OFlags.TRUNC))
        readable = bool(rights_base & Rights.FD_READ) or not asks_write
        file = self.open_file(
            p.fds, start, path, follow=bool(dirflags & LookupFlags.SYMLINK_FOLLOW),
            oflags=oflags, readable=readable, writable=writable, fdflags=fdflags,
            mode=0o666 & ~p.umask, walk=Beneath(self.vfs, start),
        )
        try:
            return p.fds.install(file)
        except KernelError:
            file.release()
            raise

    def path_readlink(self, p: Process, fd: int, path: str, size: int) -> bytes:
        loc = self._resolve(p, fd, path, False)
        link = loc.inode.readlink()
        if link.startswith("/"):
            raise KernelError(Errno.EPERM, f"{path}: an absolute symlink")  # wasmtime
        target = link.encode("utf-8", "surrogateescape")
        # Like readlink(2): truncate silently to the buffer.
        return target[:size]

    def path_remove_directory(self, p: Process, fd: int, path: str) -> None:
        loc = self._parent(p, fd, path)
        if not loc.name:
            # wasmtime: a last "." or ".." is invalid (the walk up to it is checked).
            raise KernelError(Errno.EINVAL, f"{path}: cannot remove . or ..")
        if loc.trailing_slash:
            # wasmtime: "d/" is refused (EINVAL) once it names a directory.
            there = Beneath(self.vfs, loc.parent).resolve(loc.parent, loc.name, follow=True)
            if there.inode.filetype == FileType.DIRECTORY:
                raise KernelError(Errno.EINVAL, f"{path}: trailing slash")
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        target = loc.parent.inode.lookup(loc.name)
        if target.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        if self.vfs.is_mount_point(loc.parent, loc.name):
            raise KernelError(Errno.EBUSY, f"{path} is a mount point")
        loc.parent.inode.rmdir(loc.name)

    def path_rename(
        self, p: Process, old_fd: int, old_path: str, new_fd: int, new_path: str
    ) -> None:
        start, new_start = self._start(p, old_fd), self._start(p, new_fd)  # fds first
        src = Beneath(self.vfs, start).resolve_parent(start, old_path)
        dst = Beneath(self.vfs, new_start).resolve_parent(new_start, new_path)
        if not src.name or not dst.name:
            raise KernelError(Errno.EBUSY, "cannot rename . or ..")
        node = src.parent.inode.lookup(src.name)
        check_name(dst.name)
        is_dir = node.filetype == FileType.DIRECTORY
        if (src.trailing_slash or dst.trailing_slash) and not is_dir:
            raise KernelError(Errno.ENOTDIR, "trailing slash on a non-directory")
        if src.parent.inode.fs is not dst.parent.inode.fs:
            raise KernelError(Errno.EXDEV, "rename across mounts")
        vfs = self.vfs
        if vfs.is_mount_point(src.parent, src.name) or vfs.is_mount_point(dst.parent, dst.name):
            raise KernelError(Errno.EBUSY, "cannot rename a mount point")
        if is_dir:
            refuse_move_into_itself(src, dst)
        src.parent.inode.rename(src.name, dst.parent.inode, dst.name)

    def path_symlink(self, p: Process, target: str, fd: int, path: str) -> None:
        start = self._start(p, fd)
        if target.startswith("/"):
            raise KernelError(Errno.EPERM, f"{target}: an absolute symlink target")  # wasmtime
        loc = Beneath(self.vfs, start).resolve_parent(start, path)
        if loc.name and loc.trailing_slash:
            # wasmtime's order: "file/" is ENOTDIR even for an empty target.
            try:
                there = Beneath(self.vfs, loc.parent).resolve(loc.parent, loc.name, follow=True)
            except KernelError as e:
                if e.errno != Errno.ENOENT:
                    raise
            else:
                if there.inode.filetype != FileType.DIRECTORY:
                    raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        if not target:
            raise KernelError(Errno.ENOENT, "empty symlink target")
        if not loc.name:
            raise KernelError(Errno.EEXIST, f"{path} exists")
        if loc.trailing_slash:
            self._slashed_new_name(loc)
        check_name(loc.name)
        loc.parent.inode.symlink(loc.name, target)

    def path_unlink_file(self, p: Process, fd: int, path: str) -> None:
        loc = self._parent(p, fd, path)
        if not loc.name:
            raise KernelError(Errno.EISDIR, f"{path} is a directory")
        if loc.trailing_slash:
            # wasmtime: "x/" is looked up through symlinks, then refused.
            there = Beneath(self.vfs, loc.parent).resolve(loc.parent, loc.name, follow=True)
            if there.inode.filetype == FileType.DIRECTORY:
                raise KernelError(Errno.EISDIR, f"{path} is a directory")
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        node = loc.parent.inode.lookup(loc.name)
        if node.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EISDIR, f"{path} is a directory")
        loc.parent.inode.unlink(loc.name)

    # == process ======================================================================
    def proc_exit(self, p: Process, code: int) -> None:
        raise ProcessExit((code & 0xFF) << 8)

    def proc_raise(self, p: Process, sig: int) -> None:
        linux = wasi.signal_from_wasi(sig)
        if linux is None or linux == 0:
            raise KernelError(Errno.EINVAL, f"bad signal {sig}")
        ignored_by_default = {17, 18, 23, 28}  # SIGCHLD, SIGCONT, SIGURG, SIGWINCH
        if linux in ignored_by_default:
            return
        # No handlers yet: the default action terminates the process.
        raise ProcessExit(linux)

    def sched_yield(self, p: Process) -> None:
        os.sched_yield()

    def random_get(self, p: Process, size: int) -> bytes:
        if size > _MAX_RANDOM:
            raise KernelError(Errno.EINVAL, f"random_get of more than {_MAX_RANDOM} bytes")
        return os.urandom(size)  # secrets.token_bytes, without importing random

    # == sockets (the networking issue makes these real) ===============================
    def _not_a_socket(self, p: Process, fd: int) -> None:
        p.fds.get(fd)
        raise KernelError(Errno.ENOTSOCK, f"fd {fd} is not a socket")

    def sock_accept(self, p: Process, fd: int, flags: int) -> int:
        self._not_a_socket(p, fd)
        return -1

    def sock_recv(self, p: Process, fd: int, size: int, flags: int) -> tuple[bytes, int]:
        self._not_a_socket(p, fd)
        return b"", 0

    def sock_send(self, p: Process, fd: int, data: bytes, flags: int) -> int:
        self._not_a_socket(p, fd)
        return 0

    def sock_shutdown(self, p: Process, fd: int, how: int) -> None:
        if how & ~3:
            raise KernelError(Errno.EINVAL, f"bad sdflags {how:#x}")
        self._not_a_socket(p, fd)

    # == the table ====================================================================
    def table(self) -> list[S.Syscall]:
        m = MODULE
        oflags = _fmt_flags(OFlags)
        fdflags = _fmt_flags(FdFlags)
        fst = _fmt_flags(FstFlags)
        fd = S.u32("fd")
        return [
            S.Syscall(m, "args_get", (S.out_str_array("argv"),), self.args_get),
            S.Syscall(m, "args_sizes_get", (S.out_u32("argc"), S.out_u32("size")),
                      self.args_sizes_get),
            S.Syscall(m, "environ_get", (S.out_str_array("environ"),), self.environ_get),
            S.Syscall(m, "environ_sizes_get", (S.out_u32("count"), S.out_u32("size")),
                      self.environ_sizes_get),
            S.Syscall(m, "clock_res_get", (S.u32("id"), S.out_u64("res")), self.clock_res_get),
            S.Syscall(m, "clock_time_get", (S.u32("id"), S.u64("precision"), S.out_u64("time")),
                      self.clock_time_get),
            S.Syscall(m, "fd_advise", (fd, S.u64("offset"), S.u64("len"), S.u32("advice")),
                      self.fd_advise),
            S.Syscall(m, "fd_allocate", (fd, S.u64("offset"), S.u64("len")), self.fd_allocate),
            S.Syscall(m, "fd_close", (fd,), self.fd_close),
            S.Syscall(m, "fd_datasync", (fd,), self.fd_datasync),
            S.Syscall(m, "fd_fdstat_get", (fd, S.out_struct("stat", wasi.FDSTAT)),
                      self.fd_fdstat_get),
            S.Syscall(m, "fd_fdstat_set_flags", (fd, S.u32("flags", fdflags)),
                      self.fd_fdstat_set_flags),
            S.Syscall(m, "fd_fdstat_set_rights", (fd, S.u64("base"), S.u64("inheriting")),
                      self.fd_fdstat_set_rights),
            S.Syscall(m, "fd_filestat_get", (fd, S.out_struct("stat", wasi.FILESTAT)),
                      self.fd_filestat_get),
            S.Syscall(m, "fd_filestat_set_size", (fd, S.u64("size")), self.fd_filestat_set_size),
            S.Syscall(m, "fd_filestat_set_times",
                      (fd, S.u64("atim"), S.u64("mtim"), S.u32("fst_flags", fst)),
                      self.fd_filestat_set_times),
            S.Syscall(m, "fd_pread", (fd, S.iov_out("iovs"), S.u64("offset"), S.out_len("nread")),
                      self.fd_pread),
            S.Syscall(m, "fd_prestat_get", (fd, S.out_struct("prestat", wasi.PRESTAT)),
                      self.fd_prestat_get),
            S.Syscall(m, "fd_prestat_dir_name", (fd, S.buf_out("path")),
                      self.fd_prestat_dir_name),
            S.Syscall(m, "fd_pwrite", (fd, S.iov_in("iovs"), S.u64("offset"),
                                       S.out_u32("nwritten")), self.fd_pwrite),
            S.Syscall(m, "fd_read", (fd, S.iov_out("iovs"), S.out_len("nread")), self.fd_read),
            S.Syscall(m, "fd_readdir", (fd, S.buf_out("buf"), S.u64("cookie"),
                                        S.out_len("bufused")), self.fd_readdir),
            S.Syscall(m, "fd_renumber", (fd, S.u32("to")), self.fd_renumber),
            S.Syscall(m, "fd_seek", (fd, S.s64("offset"), S.u32("whence"),
                                     S.out_u64("newoffset")), self.fd_seek),
            S.Syscall(m, "fd_sync", (fd,), self.fd_sync),
            # Linux's lseek for libocclum, beside fd_seek (docs/abi.md, "Raw WASI").
            S.Syscall("occlum", "lseek", (fd, S.s64("offset"), S.u32("whence"),
                                          S.out_u64("newoffset")), self.lseek),
            S.Syscall(m, "fd_tell", (fd, S.out_u64("offset")), self.fd_tell),
            S.Syscall(m, "fd_write", (fd, S.iov_in("iovs"), S.out_u32("nwritten")),
                      self.fd_write),
            S.Syscall(m, "path_create_directory", (fd, S.string("path")),
                      self.path_create_directory),
            S.Syscall(m, "path_filestat_get", (fd, S.u32("flags"), S.string("path"),
                                               S.out_struct("stat", wasi.FILESTAT)),
                      self.path_filestat_get),
            S.Syscall(m, "path_filestat_set_times",
                      (fd, S.u32("flags"), S.string("path"), S.u64("atim"), S.u64("mtim"),
                       S.u32("fst_flags", fst)), self.path_filestat_set_times),
            S.Syscall(m, "path_link", (S.u32("old_fd"), S.u32("old_flags"), S.string("old_path"),
                                       S.u32("new_fd"), S.string("new_path")), self.path_link),
            S.Syscall(m, "path_open",
                      (fd, S.u32("dirflags"), S.string("path"), S.u32("oflags", oflags),
                       S.u64("rights_base"), S.u64("rights_inheriting"),
                       S.u32("fdflags", fdflags), S.out_u32("opened_fd")), self.path_open),
            S.Syscall(m, "path_readlink", (fd, S.string("path"), S.buf_out("buf"),
                                           S.out_len("bufused")), self.path_readlink),
            S.Syscall(m, "path_remove_directory", (fd, S.string("path")),
                      self.path_remove_directory),
            S.Syscall(m, "path_rename", (fd, S.string("old_path"), S.u32("new_fd"),
                                         S.string("new_path")), self.path_rename),
            S.Syscall(m, "path_symlink", (S.string("old_path"), fd, S.string("new_path")),
                      self.path_symlink),
            S.Syscall(m, "path_unlink_file", (fd, S.string("path")), self.path_unlink_file),
            S.Syscall(m, "poll_oneoff", (S.poll("subscriptions"),), self.poll_oneoff),
            S.Syscall(m, "proc_exit", (S.u32("rval"),), self.proc_exit, returns="none"),
            S.Syscall(m, "proc_raise", (S.u32("sig"),), self.proc_raise),
            S.Syscall(m, "sched_yield", (), self.sched_yield),
            S.Syscall(m, "random_get", (S.buf_out("buf"),), self.random_get),
            S.Syscall(m, "sock_accept", (fd, S.u32("flags"), S.out_u32("new_fd")),
                      self.sock_accept),
            S.Syscall(m, "sock_recv", (fd, S.iov_out("ri_data"), S.u32("ri_flags"),
                                       S.out_len("ro_datalen"), S.out_u32("ro_flags")),
                      self.sock_recv),
            S.Syscall(m, "sock_send", (fd, S.iov_in("si_data"), S.u32("si_flags"),
                                       S.out_u32("so_datalen")), self.sock_send),
            S.Syscall(m, "sock_shutdown", (fd, S.u32("how")), self.sock_shutdown),
        ]
