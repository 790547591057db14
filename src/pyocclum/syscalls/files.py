"""The ``occlum`` file calls of ABI version 3: statfs, fallocate, O_TMPFILE, record
locks (``fcntl`` F_*LK*), ``flock``, ``getdents64`` and ``syncfs``.

Flag and constant values are Linux's; see docs/abi.md ("Files: statfs,
fallocate, O_TMPFILE, locks"). File contents are changed only through the
generic :class:`~pyocclum.fs.types.Inode` calls (``read``/``write``/``truncate``),
so every file system gets these calls without code of its own.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import struct
from collections.abc import Hashable, Iterator

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.integrityfs import IntegrityFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.types import MAX_NAME, FileSystem, Inode, check_name
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Location
from pyocclum.kernel.fdtable import FdTable
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.locks import OFFSET_MAX, LockKind, range_of
from pyocclum.kernel.process import Process
from pyocclum.syscalls import spec as S
from pyocclum.syscalls.blocking import blocking
from pyocclum.syscalls.occlum import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, MODULE
from pyocclum.syscalls.wasi import WasiSyscalls

# Linux's values.
O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_DIRECTORY, O_CLOEXEC = 1, 2, 0o100, 0o200, 0o200000, 0o2000000
O_TMPFILE_BIT = 0o20000000  # __O_TMPFILE; O_TMPFILE is this | O_DIRECTORY
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE = 0x01, 0x02, 0x08
FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE = 0x10, 0x20, 0x40
FALLOC_FL_WRITE_ZEROES = 0x80
#: fallocate's mode without KEEP_SIZE: exactly one of these (Linux 6.x's check).
_FALLOC_MODES = (0, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE,
                 FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_WRITE_ZEROES)
ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC, ST_VALID, ST_RELATIME = 1, 2, 4, 8, 0x20, 0x1000
# f_type magic numbers (Linux's where the file system has a Linux counterpart).
TMPFS_MAGIC = 0x01021994  # ramfs: like /tmp's tmpfs (size-limited, in memory); devfs too
PROC_SUPER_MAGIC = 0x9FA0
OVERLAYFS_SUPER_MAGIC = 0x794C7630  # unionfs: an upper layer over read-only lowers
FUSE_SUPER_MAGIC = 0x65735546  # hostfs: a pass-through to a host folder
PIPEFS_MAGIC = 0x50495045
SEFS_MAGIC = 0x53454653  # "SEFS": PyOcclum's own (no Linux counterpart)
INTEGRITY_MAGIC = 0x53454649  # "SEFI": the read-only integrity image (ours too)
_MAGIC = {
    "ramfs": TMPFS_MAGIC, "devfs": TMPFS_MAGIC, "proc": PROC_SUPER_MAGIC,
    "unionfs": OVERLAYFS_SUPER_MAGIC, "hostfs": FUSE_SUPER_MAGIC, "sefs": SEFS_MAGIC,
    "integrity": INTEGRITY_MAGIC,
}
BLOCK = 4096
#: Largest piece of zeros written at once when punching or zeroing a range.
_ZERO_CHUNK = 1 << 20
_ZEROS = memoryview(bytes(_ZERO_CHUNK))
#: Bytes moved at a time by COLLAPSE_RANGE and INSERT_RANGE.
_MOVE_WINDOW = 1 << 20
# Linux's DT_* of each file type (getdents64's d_type).
_DT = {
    FileType.UNKNOWN: 0, FileType.CHARACTER_DEVICE: 2, FileType.DIRECTORY: 4,
    FileType.BLOCK_DEVICE: 6, FileType.REGULAR_FILE: 8, FileType.SYMBOLIC_LINK: 10,
    FileType.SOCKET_STREAM: 12, FileType.SOCKET_DGRAM: 12,
}
_DIRENT64 = struct.Struct("<QqHB")  # d_ino, d_off, d_reclen, d_type; then the name, NUL

#: type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize, flags
STATFS = struct.Struct("<11Q")
#: l_type, l_whence, l_start, l_len, l_pid (Linux's struct flock on 64 bits: 32 bytes)
FLOCK = struct.Struct("<hh4xqqi4x")


def file_key(f: OpenFile) -> Hashable:
    """The identity locks are kept under: the file's (dev, ino), or the stream itself."""
    if f.inode is None:
        return ("stream", id(f.stream))
    st = f.inode.stat()
    return (st.dev, st.ino)


class FileSyscalls:
    """Handlers of the version-3 file calls for one kernel (whose ``locks`` they use)."""

    def __init__(self, kernel: Kernel, wasi: WasiSyscalls) -> None:
        self.kernel = kernel
        self.vfs = kernel.vfs
        self.wasi = wasi
        self.locks = kernel.locks
        self._tmp_names = itertools.count(1)
        self._image_sizes: dict[int, int] = {}

    # == statfs =======================================================================
    def statfs(self, p: Process, fd: int, path: str, flags: int) -> tuple[int, ...]:
        """Linux ``statfs`` (``path`` from ``fd``/``AT_FDCWD``, symlinks followed) and
        ``fstatfs`` (``AT_EMPTY_PATH`` with an empty path: the open file ``fd``)."""
        if flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
            raise KernelError(Errno.EINVAL, f"bad statfs flags {flags:#x}")
        if not path and flags & AT_EMPTY_PATH:
            f = p.cwd if fd == AT_FDCWD else p.fds.get(fd)
            inode = f.inode
            if inode is None:  # a pipe or host stream
                return (PIPEFS_MAGIC, BLOCK, 0, 0, 0, 0, 0, 0, MAX_NAME, BLOCK, ST_VALID)
        else:
            start = self._start(p, fd, path)
            inode = self.vfs.resolve(start, path, follow=not flags & AT_SYMLINK_NOFOLLOW).inode
        return self._fs_stats(inode.fs)

    def _start(self, p: Process, fd: int, path: str) -> Location:
        if fd == AT_FDCWD or path.startswith("/"):
            return p.cwd
        d = p.fds.get(fd)
        if d.inode is None or not d.is_directory:
            raise KernelError(Errno.ENOTDIR, f"fd {fd} is not a directory")
        return self.vfs.location_of(d.path)

    def _fs_stats(self, fs: FileSystem) -> tuple[int, ...]:
        magic = _MAGIC.get(fs.fstype, 0)
        flags = ST_VALID | ST_RELATIME | (ST_RDONLY if fs.read_only else 0)
        if fs.fstype == "proc":
            flags |= ST_NOSUID | ST_NODEV | ST_NOEXEC
        blocks = bfree = bavail = files = ffree = 0
        capacity = fs.upper if isinstance(fs, UnionFs) else fs
        host = None
        if isinstance(capacity, SeFs):
            host = capacity.folder
        elif isinstance(capacity, HostFs):
            host = capacity.host_root
        if host is not None:
            try:
                v = os.statvfs(host)
            except OSError:
                pass
            else:
                blocks, bfree, bavail = (n * v.f_frsize // BLOCK
                                         for n in (v.f_blocks, v.f_bfree, v.f_bavail))
                files, ffree = v.f_files, v.f_ffree
        elif isinstance(capacity, RamFs):
            size = capacity.capacity
            if size is None:  # as tmpfs: half the memory by default
                size = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
            blocks = size // BLOCK
            bfree = bavail = max(0, blocks - -(-capacity.bytes_used // BLOCK))
        elif isinstance(capacity, IntegrityFs):
            blocks = self._image_blocks(capacity)
        return (magic, BLOCK, blocks, bfree, bavail, files, ffree, fs.dev, MAX_NAME, BLOCK, flags)

    def _image_blocks(self, fs: IntegrityFs) -> int:
        """Blocks of the image's files on the host (measured once per image)."""
        blocks = self._image_sizes.get(id(fs))
        if blocks is None:
            total = 0
            for root, _, names in os.walk(fs.image_dir):
                for name in names:
                    with contextlib.suppress(OSError):
                        total += os.stat(os.path.join(root, name)).st_size
            blocks = self._image_sizes[id(fs)] = -(-total // BLOCK)
        return blocks

    # == fallocate ====================================================================
    def fallocate(self, p: Process, fd: int, mode: int, offset: int, length: int) -> None:
        """Linux ``fallocate``, checks in the order of Linux's ``vfs_fallocate``. Every
        mode is done over the generic inode calls (holes read as zeros, so
        punching writes zeros); ramfs, like Linux's tmpfs, has only plain
        allocation and PUNCH_HOLE (EOPNOTSUPP for the rest)."""
        f = p.fds.get(fd)  # EBADF first: Linux looks the fd up before anything else
        if offset < 0 or length <= 0:
            raise KernelError(Errno.EINVAL, "negative offset or non-positive length")
        keep = bool(mode & FALLOC_FL_KEEP_SIZE)
        op = mode & ~FALLOC_FL_KEEP_SIZE
        if op not in _FALLOC_MODES:
            raise KernelError(Errno.ENOTSUP, f"unsupported fallocate mode {mode:#x}")
        if op == FALLOC_FL_PUNCH_HOLE and not keep:
            raise KernelError(Errno.ENOTSUP, "PUNCH_HOLE needs KEEP_SIZE")
        if op in (FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE) and keep:
            raise KernelError(Errno.ENOTSUP, "COLLAPSE/INSERT_RANGE change the size")
        if not f.writable:
            raise KernelError(Errno.EBADF, "not open for writing")
        if f.inode is None:
            raise KernelError(Errno.ESPIPE, "fallocate on a pipe")
        if f.is_directory:
            raise KernelError(Errno.EISDIR, "fallocate on a directory")
        if f.filetype != FileType.REGULAR_FILE:
            raise KernelError(Errno.ENODEV, "fallocate on a device")
        if offset + length > OFFSET_MAX:
            raise KernelError(Errno.EFBIG, "range ends past the largest file size")
        inode = f.inode
        fs = inode.fs
        if fs.read_only:
            raise KernelError(Errno.EROFS, "read-only file system")
        if fs.fstype == "ramfs" and op not in (0, FALLOC_FL_PUNCH_HOLE):
            raise KernelError(Errno.ENOTSUP, "tmpfs-like ramfs: mode not supported")
        size = inode.stat().size
        end = offset + length
        if op == FALLOC_FL_INSERT_RANGE:
            self.wasi.check_new_size(p, inode, size + length)
        elif not keep:
            self.wasi.check_new_size(p, inode, end)
        if op in (0, FALLOC_FL_UNSHARE_RANGE):
            if not keep and end > size:
                inode.truncate(end)
        elif op in (FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_WRITE_ZEROES):
            _zero(inode, offset, min(end, size))
            if op != FALLOC_FL_PUNCH_HOLE and not keep and end > size:
                inode.truncate(end)
        else:
            if offset % BLOCK or length % BLOCK:
                raise KernelError(Errno.EINVAL, "range not aligned to the block size")
            if op == FALLOC_FL_COLLAPSE_RANGE:
                if end >= size:
                    raise KernelError(Errno.EINVAL, "collapsed range reaches end of file")
                _move(inode, end, offset, size)
                inode.truncate(size - length)
            else:  # INSERT_RANGE
                if offset >= size:
                    raise KernelError(Errno.EINVAL, "insert at or past end of file")
                if size + length > OFFSET_MAX:
                    raise KernelError(Errno.EFBIG, "file would grow past the largest size")
                inode.truncate(size + length)
                _move(inode, offset, offset + length, size)
                _zero(inode, offset, offset + length)

    # == O_TMPFILE ======================================================================
    def open_tmpfile(self, p: Process, dirfd: int, path: str, flags: int, mode: int) -> int:
        """Linux ``openat(dirfd, path, O_TMPFILE | O_WRONLY/O_RDWR, mode)``: an unnamed
        regular file in the directory ``path``. It is created under a hidden
        name and unlinked at once, so it lives until its last fd closes, unless
        ``linkat(fd, "", ..., AT_EMPTY_PATH)`` names it (not with ``O_EXCL``)."""
        if flags & (O_CREAT | O_DIRECTORY | O_TMPFILE_BIT) != O_DIRECTORY | O_TMPFILE_BIT:
            raise KernelError(Errno.EINVAL, "O_TMPFILE needs O_DIRECTORY and no O_CREAT")
        if flags & 3 not in (O_WRONLY, O_RDWR):
            raise KernelError(Errno.EINVAL, "O_TMPFILE needs O_WRONLY or O_RDWR")
        loc = self.vfs.resolve(self._start(p, dirfd, path), path, follow=True)
        directory = loc.inode
        if directory.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        fs = directory.fs
        if fs.read_only:
            raise KernelError(Errno.EROFS, "read-only file system")
        if fs.fstype in ("proc", "devfs", "integrity"):
            raise KernelError(Errno.ENOTSUP, f"{fs.fstype} has no unnamed files")
        for _ in range(100):
            name = f".#occlum-tmpfile-{p.pid}-{next(self._tmp_names)}"
            check_name(name)
            if directory.find(name) is None:
                break
        else:
            raise KernelError(Errno.EEXIST, "no free name for the unnamed file")
        readable = flags & 3 == O_RDWR
        f = self.wasi.open_file(
            p.fds, loc, name, follow=False, oflags=1 | 4,  # CREAT | EXCL
            readable=readable, writable=True, mode=mode & 0o7777 & ~p.umask,
        )
        try:
            directory.unlink(name)
            fd = p.fds.install(f, cloexec=bool(flags & O_CLOEXEC))
        except BaseException:
            f.release()
            raise
        if not flags & O_EXCL and f.inode is not None:
            with contextlib.suppress(TypeError):  # an inode that cannot be named again
                self.kernel.unnamed_files.add(f.inode)
        return fd

    # == record locks and flock ===========================================================
    def lock(
        self, p: Process, fd: int, cmd: int, req: tuple[int, int, int, int, int] | None
    ) -> tuple[int, int, int, int, int]:
        """``fcntl`` F_GETLK/F_SETLK/F_SETLKW and their F_OFD_ forms with Linux's
        ``struct flock``; returns the record F_GETLK writes back (the request,
        unchanged, for the others, as Linux leaves it)."""
        if cmd not in (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
            raise KernelError(Errno.EINVAL, f"not a lock command: {cmd}")
        f = p.fds.get(fd)
        if req is None:
            raise KernelError(Errno.EFAULT, "no struct flock")
        ltype, whence, start, length, lpid = req
        ofd = cmd >= F_OFD_GETLK
        if ofd and lpid != 0:
            raise KernelError(Errno.EINVAL, "l_pid must be 0 for an OFD lock")
        if ltype not in (0, 1, 2):
            raise KernelError(Errno.EINVAL, f"bad l_type {ltype}")
        kind = LockKind(ltype)
        if whence == SEEK_SET:
            base = 0
        elif whence == SEEK_CUR:
            base = f.offset if f.inode is not None else 0
        elif whence == SEEK_END:
            base = f.inode.stat().size if f.inode is not None else 0
        else:
            raise KernelError(Errno.EINVAL, f"bad l_whence {whence}")
        first, last = range_of(base + start, length)
        key = file_key(f)
        owner: object = f if ofd else p.fds
        if cmd in (F_GETLK, F_OFD_GETLK):
            held = self.locks.test(key, owner, first, last, kind)
            if held is None:
                return (int(LockKind.UNLOCK), whence, start, length, lpid)
            n = 0 if held.end == OFFSET_MAX else held.end - held.start + 1
            return (int(held.kind), SEEK_SET, held.start, n, held.pid)
        if kind == LockKind.READ and not f.readable:
            raise KernelError(Errno.EBADF, "read lock on a file not open for reading")
        if kind == LockKind.WRITE and not f.writable:
            raise KernelError(Errno.EBADF, "write lock on a file not open for writing")
        self._watch_close(p.fds, f, ofd)
        wait = cmd in (F_SETLKW, F_OFD_SETLKW)
        pid = -1 if ofd else p.pid

        def attempt() -> None:
            self.locks.set_range(key, owner, first, last, kind, pid=pid, ofd=ofd, wait=wait)

        try:
            blocking(p, attempt, nonblocking=not wait)
        finally:
            if wait:
                self.locks.stop_waiting(owner)
        return req

    def flock(self, p: Process, fd: int, op: int) -> None:
        """BSD ``flock``: LOCK_SH/LOCK_EX (| LOCK_NB) or LOCK_UN, held by the open file
        description (shared by dup'ed and inherited fds)."""
        f = p.fds.get(fd)
        kinds = {LOCK_SH: LockKind.READ, LOCK_EX: LockKind.WRITE, LOCK_UN: LockKind.UNLOCK}
        kind = kinds.get(op & ~LOCK_NB)
        if kind is None:
            raise KernelError(Errno.EINVAL, f"bad flock operation {op:#x}")
        key = file_key(f)
        self._watch_close(p.fds, f, True)
        blocking(p, lambda: self.locks.flock(key, f, kind), nonblocking=bool(op & LOCK_NB))

    def _watch_close(self, fds: FdTable, f: OpenFile, by_description: bool) -> None:
        """Make closing drop the locks: the description's last close (OFD, flock), or
        any close by the process of the file (POSIX locks, owned by the fd table)."""
        if by_description:
            if f.on_last_close is None:
                f.on_last_close = self.locks.release_description
        elif fds.on_close is None:
            locks = self.locks

            def closed(file: OpenFile) -> None:
                try:
                    locks.release_posix(file_key(file), fds)
                except KernelError:
                    locks.release_owner(fds)  # the file cannot say who it is: drop them all

            fds.on_close = closed

    # == directories and syncing ============================================================
    def getdents64(self, p: Process, fd: int, size: int) -> bytes:
        """Linux ``getdents64``: ``struct linux_dirent64`` records from the
        directory's offset (0 ``.``, 1 ``..``, then its entries; ``d_off`` is the
        next offset), as many whole records as fit; b"" at the end; EINVAL if
        not even one fits."""
        f = p.fds.get(fd)
        if f.inode is None or not f.is_directory:
            raise KernelError(Errno.ENOTDIR, "not a directory")
        index = f.offset
        entries = f.dir_entries(index)
        out = bytearray()
        while True:
            if index == 0:
                name, ino, ftype = b".", f.inode.stat().ino, FileType.DIRECTORY
            elif index == 1:
                name, ino, ftype = b"..", self._parent_ino(f), FileType.DIRECTORY
            elif index - 2 < len(entries):
                e = entries[index - 2]
                name, ino, ftype = e.name.encode("utf-8", "surrogateescape"), e.ino, e.filetype
            else:
                break
            reclen = (_DIRENT64.size + len(name) + 1 + 7) & ~7
            if len(out) + reclen > size:
                if not out:
                    raise KernelError(Errno.EINVAL, "buffer too small for a directory entry")
                break
            index += 1
            record = _DIRENT64.pack(ino, index, reclen, _DT.get(ftype, 0)) + name
            out += record + bytes(reclen - len(record))
        f.offset = index
        return bytes(out)

    def _parent_ino(self, f: OpenFile) -> int:
        """The inode number of the directory above ``f``'s (0 if it cannot be found)."""
        try:
            return self.vfs.resolve(self.vfs.root(), f.path.rstrip("/") + "/..").inode.stat().ino
        except KernelError:
            return 0

    def syncfs(self, p: Process, fd: int) -> None:
        """``syncfs(fd)``: make the file system of ``fd`` durable; fd -1: every one (``sync``)."""
        if fd == -1:
            self.vfs.sync()
            return
        f = p.fds.get(fd)
        if f.inode is not None:
            f.inode.fs.sync()

    # == the table ========================================================================
    def table(self) -> list[S.Syscall]:
        m = MODULE
        fd = S.u32("fd")
        return [
            S.Syscall(m, "statfs", (S.s32("fd"), S.string("path"), S.u32("flags"),
                                    S.out_struct("buf", STATFS)), self.statfs),
            S.Syscall(m, "fallocate", (fd, S.u32("mode"), S.s64("offset"), S.s64("len")),
                      self.fallocate),
            S.Syscall(m, "open_tmpfile", (S.s32("dirfd"), S.string("path"), S.u32("flags"),
                                          S.u32("mode"), S.out_u32("fd")), self.open_tmpfile),
            S.Syscall(m, "lock", (fd, S.u32("cmd"), S.struct_in("flock", FLOCK),
                                  S.out_struct_opt("result", FLOCK)), self.lock),
            S.Syscall(m, "flock", (fd, S.u32("op")), self.flock),
            S.Syscall(m, "getdents64", (fd, S.buf_out("buf"), S.out_len("len")),
                      self.getdents64),
            S.Syscall(m, "syncfs", (S.s32("fd"),), self.syncfs),
        ]


def _zero(inode: Inode, start: int, end: int) -> None:
    """Zeros over ``start..end`` (exclusive): written, a piece at a time, only over
    the blocks that hold something else. Holes are skipped (``next_data``), so
    zeroing a terabyte of a sparse file costs what its data costs (writing zeros
    over all of it grew sefs's node file to 70 GB, found by the fuzzer)."""
    pos = start
    while pos < end:
        d = inode.next_data(pos)
        if d >= end or d < pos:  # only holes left (or the file shrank meanwhile)
            return
        n = min(_ZERO_CHUNK, end - d)
        _put(inode, d, _ZEROS[:n], _padded(inode.read(d, n), n))
        pos = d + n


def _padded(data: bytes, n: int) -> bytes:
    """``data`` (read at most ``n`` bytes, short at the end of file) as ``n`` bytes."""
    return data if len(data) >= n else data + bytes(n - len(data))


def _put(inode: Inode, at: int, want: bytes | memoryview, have: bytes) -> None:
    """Make ``inode``'s bytes at ``at`` ``want``, which are ``have`` now: only the
    blocks (of the file's BLOCK grid) that differ are written, so moving or
    zeroing holes over holes writes nothing (and allocates nothing)."""
    n = len(want)
    i = 0
    run = -1  # where the current run of differing blocks started
    while i < n:
        j = min(n, (at + i) // BLOCK * BLOCK + BLOCK - at)
        if want[i:j] != have[i:j]:
            if run < 0:
                run = i
        elif run >= 0:
            inode.write(at + run, bytes(want[run:i]))
            run = -1
        i = j
    if run >= 0:
        inode.write(at + run, bytes(want[run:n]))


def _data_windows(inode: Inode, start: int, end: int, shift: int) -> Iterator[int]:
    """The :data:`_MOVE_WINDOW` windows (numbered after adding ``shift``) that hold
    data of ``start..end``, each once, in order; holes are skipped."""
    pos = start
    while pos < end:
        d = inode.next_data(pos)
        if d >= end or d < pos:
            return
        k = (d + shift) // _MOVE_WINDOW
        yield k
        pos = (k + 1) * _MOVE_WINDOW - shift


def _move(inode: Inode, src: int, dst: int, size: int) -> None:
    """COLLAPSE_RANGE and INSERT_RANGE: the bytes ``src..size`` go to ``dst`` (the
    file already reaches the end of that). Window by window, in the order that
    never overwrites what is still to be read (up for ``dst < src``, down
    else), with at most two windows in memory: only the windows where the
    source or the destination holds data, and in them only the blocks that
    change, are written. (The whole tail read at once took the LibOS to 17 GB
    for a sparse file of a terabyte, found by the fuzzer.)"""
    shift = dst - src
    dend = size + shift
    windows = set(_data_windows(inode, src, size, shift))
    windows.update(_data_windows(inode, dst, min(dend, size), 0))
    for k in sorted(windows, reverse=shift > 0):
        x0 = max(k * _MOVE_WINDOW, dst)
        x1 = min((k + 1) * _MOVE_WINDOW, dend)
        if x0 < x1:
            n = x1 - x0
            _put(inode, x0, _padded(inode.read(x0 - shift, n), n),
                 _padded(inode.read(x0, n), n))


__all__ = ["FLOCK", "STATFS", "FileSyscalls"]
