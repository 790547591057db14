"""The ``occlum`` extension ABI (version 4): processes, pipes, descriptors (the
signal calls are in syscalls/signals.py).

Every function returns a WASI errno unless the table says otherwise; flag and
constant values are Linux's (libocclum translates). See ``docs/abi.md``.
"""

from __future__ import annotations

import struct
import threading
import time

from pyocclum._version import __version__
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import RIGHTS_ALL, RIGHTS_STREAM, FdFlags, FileType, OFlags, Rights
from pyocclum.errors import KernelError, ProcessExec, WouldBlock
from pyocclum.fs.file import OpenFile
from pyocclum.fs.vfs import Location
from pyocclum.ipc.pipe import PipeBudget, PipeReader, PipeWriter
from pyocclum.kernel.cputime import Usage
from pyocclum.kernel.fdtable import ROOT_FD, FdTable
from pyocclum.kernel.kernel import Kernel, check_arg_sizes
from pyocclum.kernel.process import Process
from pyocclum.kernel.signals import DEFAULT_SIGPENDING, RLIMIT_SIGPENDING, UNBLOCKABLE_MASK
from pyocclum.syscalls import spec as S
from pyocclum.syscalls.blocking import blocking
from pyocclum.syscalls.paths import at_start
from pyocclum.syscalls.wasi import WasiSyscalls

MODULE = "occlum"
ABI_VERSION = 4

# Linux open(2) flags, as the ABI carries them.
O_ACCMODE, O_WRONLY, O_RDWR = 3, 1, 2
O_CREAT, O_EXCL, O_TRUNC, O_APPEND = 0x40, 0x80, 0x200, 0x400
O_NONBLOCK, O_DSYNC, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_SYNC = (
    0x800, 0x1000, 0x10000, 0x20000, 0x80000, 0x101000,
)
FD_CLOEXEC = 1
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC = 0, 1, 2, 3, 4, 1030
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
#: Linux's /proc/sys/fs/pipe-max-size: the largest F_SETPIPE_SZ (Linux lets
#: CAP_SYS_RESOURCE go beyond it; the LibOS does not: its buffers are the
#: enclave's memory, not counted against the process).
PIPE_MAX_SIZE = 1 << 20
_PIPE_PAGE = 4096
POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK = 2, 4, 8
POSIX_SPAWN_SETSID = 0x80
RLIMIT_DATA, RLIMIT_STACK, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_AS = 2, 3, 6, 7, 9
RLIM_INFINITY = (1 << 64) - 1
ACTION_OPEN, ACTION_DUP2, ACTION_CLOSE, ACTION_CHDIR, ACTION_FCHDIR = 1, 2, 3, 4, 5
AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH = -100, 0x100, 0x1000
#: Linux's S_IF* type bits of each file type (st_mode's upper bits).
S_IFMT_OF = {
    FileType.REGULAR_FILE: 0o100000, FileType.DIRECTORY: 0o040000,
    FileType.SYMBOLIC_LINK: 0o120000, FileType.CHARACTER_DEVICE: 0o020000,
    FileType.BLOCK_DEVICE: 0o060000, FileType.SOCKET_STREAM: 0o140000,
    FileType.SOCKET_DGRAM: 0o140000,
}
S_IFIFO = 0o010000

FILE_ACTION = struct.Struct("<IiiIIIII")  # kind, fd, newfd, oflags, mode, path, path_len, -
FILE_ACTION_PATH = 5  # the (path, path_len) pair: the handler receives it as one str
SPAWN_ATTR = struct.Struct("<IiQQQ")  # flags, pgroup, sigdefault, sigmask, reserved
FD_PAIR = struct.Struct("<II")
RLIMIT = struct.Struct("<QQ")
UTSNAME = struct.Struct("<65s65s65s65s65s")
SYSINFO = struct.Struct("<QQQII")
# dev, ino, mode (type and permission bits), nlink, uid, gid, size, atim, mtim, ctim (ns)
STAT = struct.Struct("<QQIIIIQqqq")
#: fstatat2's record: STAT, then the device number (rdev) of a device file.
STAT2 = struct.Struct("<QQIIIIQqqqQ")
#: user and system CPU time (ns), peak memory (KiB): what a ``struct rusage`` gets.
RUSAGE = struct.Struct("<QQQ")
#: Linux's ``getrusage`` targets.
RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1


# Plain ints: every open converts these (an enum.Flag operation costs a microsecond).
_OFLAG_CREAT = int(OFlags.CREAT)
_OFLAG_EXCL = int(OFlags.EXCL)
_OFLAG_TRUNC = int(OFlags.TRUNC)
_OFLAG_DIRECTORY = int(OFlags.DIRECTORY)
_FD_APPEND = int(FdFlags.APPEND)
_FD_NONBLOCK = int(FdFlags.NONBLOCK)
_FD_SYNC = int(FdFlags.SYNC)
_FD_DSYNC = int(FdFlags.DSYNC)


def _fdflags_from_linux(flags: int) -> int:
    out = 0
    if flags & O_APPEND:
        out |= _FD_APPEND
    if flags & O_NONBLOCK:
        out |= _FD_NONBLOCK
    if flags & O_SYNC == O_SYNC:
        out |= _FD_SYNC
    elif flags & O_DSYNC:
        out |= _FD_DSYNC
    return out


def _pipe_size(f: OpenFile, cmd: int, arg: int, budget: PipeBudget) -> int:
    """``F_GETPIPE_SZ``/``F_SETPIPE_SZ`` on either end of a pipe (else EBADF, as
    Linux). A new size is rounded up to a power of two of 4 KiB pages, at least
    one page; above :data:`PIPE_MAX_SIZE` EPERM, above 2 GiB EINVAL, below the
    bytes buffered now EBUSY, growing past the kernel's ``budget`` EPERM.
    Returns the (new) size."""
    stream = f.stream
    pipe = stream.pipe if isinstance(stream, (PipeReader, PipeWriter)) else None
    if pipe is None:
        raise KernelError(Errno.EBADF, "not a pipe")
    if cmd == F_GETPIPE_SZ:
        return pipe.capacity
    size = arg & 0xFFFFFFFF  # Linux reads an unsigned int
    if size > 1 << 31:
        raise KernelError(Errno.EINVAL, "pipe size above 2 GiB")
    pages = max(1, -(-size // _PIPE_PAGE))
    capacity = (1 << (pages - 1).bit_length()) * _PIPE_PAGE
    if capacity > PIPE_MAX_SIZE:
        raise KernelError(Errno.EPERM, "pipe size above pipe-max-size")
    budget.resize(pipe, capacity)
    return capacity


def _linux_status_flags(f: OpenFile) -> int:
    acc = O_RDWR if f.readable and f.writable else (O_WRONLY if f.writable else 0)
    out = acc
    if f.fdflags & FdFlags.APPEND:
        out |= O_APPEND
    if f.fdflags & FdFlags.NONBLOCK:
        out |= O_NONBLOCK
    return out


class OcclumSyscalls:
    """Handlers of the ``occlum`` import module for one kernel."""

    def __init__(self, kernel: Kernel, wasi: WasiSyscalls) -> None:
        self.kernel = kernel
        self.vfs = kernel.vfs
        self.wasi = wasi
        self._pipe_ids = iter(range(1, 1 << 62))
        self._pipe_lock = threading.Lock()
        #: Every pipe's buffer is charged here (Linux's pipe-user-pages-soft).
        self._pipe_budget = PipeBudget()

    # == version and cwd =============================================================
    def abi_version(self, p: Process) -> int:
        return ABI_VERSION

    def chdir(self, p: Process, path: str) -> None:
        loc = self.vfs.resolve(p.cwd, path, follow=True)
        if loc.inode.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        p.cwd = loc

    def fchdir(self, p: Process, fd: int) -> None:
        f = p.fds.get(fd)
        if f.inode is None or not f.is_directory:
            raise KernelError(Errno.ENOTDIR, f"fd {fd} is not a directory")
        p.cwd = self.vfs.location_of(f.path)

    def getcwd(self, p: Process, size: int) -> bytes:
        cwd = p.cwd.path.encode("utf-8", "surrogateescape")
        if len(cwd) > size:
            raise KernelError(Errno.ERANGE, "buffer too small for the cwd")
        return cwd

    # == processes ===================================================================
    def spawn(
        self,
        p: Process,
        path: str,
        argv: list[bytes],
        envp: list[bytes],
        actions: list[tuple[int, int, int, int, int, str, int]],
        attr: tuple[int, ...] | None,
    ) -> int:
        flags, pgroup, sigdefault, sigmask, _ = attr or (0, 0, 0, 0, 0)
        fds, cwd = self._child_fds(p, actions)
        with p.lock:
            sig = p.sig.inherit()
        if flags & POSIX_SPAWN_SETSIGMASK:
            sig.blocked = sigmask & ~UNBLOCKABLE_MASK
        if flags & POSIX_SPAWN_SETSIGDEF:
            for n in range(1, 65):
                if sigdefault & (1 << (n - 1)):
                    sig.actions.pop(n, None)
        pgid: int | None = None
        if flags & POSIX_SPAWN_SETPGROUP:
            if pgroup < 0:
                fds.close_all()
                raise KernelError(Errno.EINVAL, "negative process group")
            if pgroup and not any(q.pgid == pgroup and q.sid == p.sid and not q.exited
                                  for q in self.kernel.processes()):
                fds.close_all()
                raise KernelError(Errno.EPERM, f"no process group {pgroup} in this session")
            pgid = pgroup
        child = self.kernel.spawn(
            path, argv, envp, cwd=cwd, fds=fds, parent=p, pgid=pgid,
            setsid=bool(flags & POSIX_SPAWN_SETSID), sig=sig, umask=p.umask,
        )
        return child.pid

    def _child_fds(
        self, p: Process, actions: list[tuple[int, int, int, int, int, str, int]]
    ) -> tuple[FdTable, Location]:
        """The child's fd table: the parent's, then the file actions in order (which
        may also change the child's cwd), then close-on-exec, as in a forked child
        that runs the actions and then execs."""
        fds = FdTable(p.fds.max_fds)
        for fd, entry in p.fds.items():
            fds.install_at(fd, entry.file.acquire(), cloexec=entry.cloexec)
        cwd = p.cwd
        try:
            for kind, fd, newfd, oflags, mode, path, _ in actions:
                if kind == ACTION_OPEN:
                    if fd < 0 or fd == ROOT_FD:
                        raise KernelError(Errno.EBADF, f"cannot open onto fd {fd}")
                    f = self._open_linux(fds, cwd, path, oflags, mode & ~p.umask)
                    fds.install_at(fd, f, cloexec=bool(oflags & O_CLOEXEC))
                elif kind == ACTION_DUP2:
                    src = fds.entry(fd)
                    if fd == newfd:
                        src.cloexec = False  # POSIX: adddup2 onto itself clears FD_CLOEXEC
                    elif newfd < 0 or newfd == ROOT_FD:
                        raise KernelError(Errno.EBADF, f"cannot dup onto fd {newfd}")
                    else:
                        fds.install_at(newfd, src.file.acquire())
                elif kind == ACTION_CLOSE:
                    if fd in fds and fd != ROOT_FD:
                        fds.close(fd)
                elif kind == ACTION_CHDIR:
                    loc = self.vfs.resolve(cwd, path, follow=True)
                    if loc.inode.filetype != FileType.DIRECTORY:
                        raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
                    cwd = loc
                elif kind == ACTION_FCHDIR:
                    f = fds.get(fd)
                    if not f.is_directory:
                        raise KernelError(Errno.ENOTDIR, f"fd {fd} is not a directory")
                    cwd = self.vfs.location_of(f.path)
                else:
                    raise KernelError(Errno.EINVAL, f"unknown file action {kind}")
            for fd, entry in fds.items():
                if entry.cloexec:
                    fds.close(fd)
        except BaseException:
            fds.close_all()
            raise
        return fds, cwd

    def _open_linux(
        self, fds: FdTable, start: Location, path: str, flags: int, mode: int
    ) -> OpenFile:
        acc = flags & O_ACCMODE
        oflags = 0
        if flags & O_CREAT:
            oflags |= _OFLAG_CREAT
        if flags & O_EXCL:
            oflags |= _OFLAG_EXCL
        if flags & O_TRUNC:
            oflags |= _OFLAG_TRUNC
        if flags & O_DIRECTORY:
            oflags |= _OFLAG_DIRECTORY
        return self.wasi.open_file(
            fds, start, path, follow=not flags & O_NOFOLLOW, oflags=oflags,
            readable=acc in (0, O_RDWR), writable=acc in (O_WRONLY, O_RDWR),
            fdflags=_fdflags_from_linux(flags), mode=mode, rights_inheriting=RIGHTS_ALL,
        )

    def openat(self, p: Process, fd: int, path: str, flags: int, mode: int) -> int:
        """Linux ``openat``: ``flags`` are Linux's ``O_*``; a file it creates gets
        ``mode & ~umask`` (WASI's ``path_open`` has no mode: through it every new
        file would be 0666 & ~umask, whatever the program asked for). ``fd`` is
        ``AT_FDCWD`` (-100) or a directory; an absolute path ignores it."""
        start = self._start(p, fd, path)
        f = self._open_linux(p.fds, start, path, flags, mode & 0o7777 & ~p.umask)
        try:
            return p.fds.install(f, cloexec=bool(flags & O_CLOEXEC))
        except KernelError:
            f.release()
            raise

    def execve(self, p: Process, path: str, argv: list[bytes], envp: list[bytes]) -> None:
        loc, image, argv = self.kernel.load_program(p.cwd, path, argv)
        check_arg_sizes(argv, envp)
        self.kernel.executor.load(loc.path, image)  # ENOEXEC here, while we can return it
        p.exec_request = (loc.path, image, argv, envp)
        raise ProcessExec()

    def _reap(self, p: Process, pid: int, options: int) -> Process | None:
        """The child ``wait4`` reaps, waiting for one unless WNOHANG (None then)."""
        def reap() -> Process | None:
            return self.kernel.reap(p, pid, options)

        try:
            return reap()
        except WouldBlock:
            # The child's exit wakes us on the CPU it ran on (kernel/placement.py).
            with self.kernel.placement.waiting():
                return blocking(p, reap)

    def wait4(self, p: Process, pid: int, options: int) -> tuple[int, int]:
        child = self._reap(p, pid, options)
        if child is None:
            return 0, 0
        assert child.status is not None
        return child.status, child.pid

    def wait4_usage(self, p: Process, pid: int, options: int) -> tuple[int, int, Usage]:
        """``wait4`` with the reaped child's rusage: its CPU time and its reaped
        children's, and the largest memory among them (Linux's RUSAGE_BOTH)."""
        child = self._reap(p, pid, options)
        if child is None:
            return 0, 0, Usage()
        assert child.status is not None
        return child.status, child.pid, child.cpu.total()

    def getrusage(self, p: Process, who: int) -> Usage:
        """Linux's ``getrusage``: RUSAGE_SELF (0), RUSAGE_CHILDREN (-1, the reaped
        ones) or RUSAGE_THREAD (1, the calling thread); CPU time, peak memory."""
        if who == RUSAGE_SELF:
            own = p.cpu.own()
            return own._replace(maxrss_kib=max(
                own.maxrss_kib, self.kernel.executor.memory_size(p) // 1024))
        if who == RUSAGE_CHILDREN:
            return p.cpu.children()
        if who == RUSAGE_THREAD:
            return p.cpu.thread()._replace(
                maxrss_kib=self.kernel.executor.memory_size(p) // 1024)
        raise KernelError(Errno.EINVAL, f"getrusage of {who}: not 0, -1 or 1")

    def getpid(self, p: Process) -> int:
        return p.pid

    def getppid(self, p: Process) -> int:
        return p.ppid

    def _target(self, p: Process, pid: int) -> Process:
        if pid == 0:
            return p
        if pid < 0:
            raise KernelError(Errno.ESRCH, f"no process {pid}")
        target = self.kernel.process(pid)
        if target.exited:
            raise KernelError(Errno.ESRCH, f"process {pid} has exited")
        return target

    def getpgid(self, p: Process, pid: int) -> int:
        return self._target(p, pid).pgid

    def getsid(self, p: Process, pid: int) -> int:
        return self._target(p, pid).sid

    def setpgid(self, p: Process, pid: int, pgid: int) -> None:
        if pgid < 0:
            raise KernelError(Errno.EINVAL, "negative process group")
        target = self._target(p, pid)
        if target is not p and target.ppid != p.pid:
            raise KernelError(Errno.ESRCH, f"{pid} is neither the caller nor its child")
        if target.sid != p.sid or target.sid == target.pid:
            raise KernelError(Errno.EPERM, "different session, or a session leader")
        pgid = pgid or target.pid
        if pgid != target.pid and not any(
            q.pgid == pgid and q.sid == p.sid and not q.exited for q in self.kernel.processes()
        ):
            raise KernelError(Errno.EPERM, f"no process group {pgid} in this session")
        target.pgid = pgid

    def setsid(self, p: Process) -> int:
        if any(q.pgid == p.pid and not q.exited for q in self.kernel.processes()):
            raise KernelError(Errno.EPERM, "the caller is a process group leader")
        p.sid = p.pgid = p.pid
        return p.sid

    # == descriptors =====================================================================
    def pipe2(self, p: Process, flags: int) -> tuple[int, int]:
        if flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECTORY):
            raise KernelError(Errno.EINVAL, f"bad pipe2 flags {flags:#x}")
        with self._pipe_lock:
            pipe_id = next(self._pipe_ids)
        pipe = self._pipe_budget.new_pipe(pipe_id)
        fdflags = FdFlags.NONBLOCK if flags & O_NONBLOCK else 0
        cloexec = bool(flags & O_CLOEXEC)

        def end(readable: bool) -> OpenFile:
            return OpenFile(
                inode=None, stream=pipe.reader if readable else pipe.writer,
                path=pipe.name, filetype=FileType.UNKNOWN, readable=readable,
                writable=not readable, fdflags=fdflags,
                rights_base=RIGHTS_STREAM & ~(Rights.FD_WRITE if readable else Rights.FD_READ),
            )

        r, w = end(True), end(False)
        try:
            rfd = p.fds.install(r, cloexec=cloexec)
        except KernelError:
            r.release()
            w.release()
            raise
        try:
            wfd = p.fds.install(w, cloexec=cloexec)
        except KernelError:
            p.fds.close(rfd)
            w.release()
            raise
        return rfd, wfd

    def dup(self, p: Process, fd: int) -> int:
        return p.fds.install(p.fds.get(fd).acquire())

    def dup3(self, p: Process, fd: int, newfd: int, flags: int) -> None:
        if flags & ~O_CLOEXEC or fd == newfd:
            raise KernelError(Errno.EINVAL, "dup3 needs two different fds and flags 0/O_CLOEXEC")
        if newfd == ROOT_FD or newfd >= p.fds.max_fds:
            raise KernelError(Errno.EBADF, f"fd {newfd} is out of range")
        p.fds.install_at(newfd, p.fds.get(fd).acquire(), cloexec=bool(flags & O_CLOEXEC))

    def fcntl(self, p: Process, fd: int, cmd: int, arg: int) -> int:
        entry = p.fds.entry(fd)
        if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
            if arg >= p.fds.max_fds:
                raise KernelError(Errno.EINVAL, "F_DUPFD beyond the open files limit")
            return p.fds.install(entry.file.acquire(), cloexec=cmd == F_DUPFD_CLOEXEC,
                                 lowest=arg)
        if cmd == F_GETFD:
            return FD_CLOEXEC if entry.cloexec else 0
        if cmd == F_SETFD:
            entry.cloexec = bool(arg & FD_CLOEXEC)
            return 0
        if cmd == F_GETFL:
            return _linux_status_flags(entry.file)
        if cmd == F_SETFL:
            f = entry.file
            keep = f.fdflags & ~(FdFlags.APPEND | FdFlags.NONBLOCK)
            f.fdflags = keep | (_fdflags_from_linux(arg) & (FdFlags.APPEND | FdFlags.NONBLOCK))
            return 0
        if cmd in (F_SETPIPE_SZ, F_GETPIPE_SZ):
            return _pipe_size(entry.file, cmd, arg, self._pipe_budget)
        raise KernelError(Errno.EINVAL, f"unsupported fcntl command {cmd}")

    def umask(self, p: Process, mask: int) -> int:
        old, p.umask = p.umask, mask & 0o777
        return old

    # == file modes ======================================================================
    def _at(self, p: Process, fd: int, path: str, flags: int) -> Location | OpenFile:
        """What an ``*at`` call names: the object at ``path`` from ``fd`` (``AT_FDCWD``:
        the cwd), or with ``AT_EMPTY_PATH`` and an empty path the open file ``fd`` itself."""
        if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
            raise KernelError(Errno.EINVAL, f"bad *at flags {flags:#x}")
        if not path and flags & AT_EMPTY_PATH:
            if fd == AT_FDCWD:
                return p.cwd
            return p.fds.get(fd)
        start = self._start(p, fd, path)
        return self.vfs.resolve(start, path, follow=not flags & AT_SYMLINK_NOFOLLOW)

    def _start(self, p: Process, fd: int, path: str) -> Location:
        """Where an ``*at`` call's ``path`` is resolved from (:func:`paths.at_start`)."""
        return at_start(p, self.vfs, fd, path)

    def fstatat(self, p: Process, fd: int, path: str, flags: int) -> tuple[int, ...]:
        """Linux ``fstatat``: what ``stat`` says plus the S_IF* type bits and the
        recorded owner (0 unless ``chown`` changed it: every process runs as root)."""
        return self.fstatat2(p, fd, path, flags)[:10]

    def fstatat2(self, p: Process, fd: int, path: str, flags: int) -> tuple[int, ...]:
        """``fstatat``, and a device file's number (rdev; 0 for other files)."""
        target = self._at(p, fd, path, flags)
        if isinstance(target, OpenFile) and target.inode is None:
            # A pipe or host stream has no inode: Linux shows a pipe as prw-------.
            now = time.time_ns()
            kind = S_IFMT_OF.get(target.filetype, S_IFIFO)
            return (0, 0, kind | 0o600, 1, 0, 0, 0, now, now, now, 0)
        inode = target.inode
        assert inode is not None
        st = inode.stat()
        kind = S_IFMT_OF.get(st.filetype, 0)
        return (st.dev, st.ino, kind | (st.mode & 0o7777), st.nlink, st.uid, st.gid, st.size,
                st.atim, st.mtim, st.ctim, st.rdev)

    def fchmodat(self, p: Process, fd: int, path: str, mode: int, flags: int) -> None:
        """Linux ``fchmodat2``: set the permission bits (``mode & 07777``). With
        ``AT_SYMLINK_NOFOLLOW`` a symlink itself cannot be changed (EOPNOTSUPP, as Linux)."""
        target = self._at(p, fd, path, flags)
        if isinstance(target, OpenFile) and target.inode is None:
            return  # a pipe's mode lives only as long as the pipe: nothing to keep
        inode = target.inode
        assert inode is not None
        if flags & AT_SYMLINK_NOFOLLOW and inode.filetype == FileType.SYMBOLIC_LINK:
            raise KernelError(Errno.ENOTSUP, "a symbolic link has no mode of its own")
        inode.chmod(mode & 0o7777)

    # == system ===========================================================================
    def getrlimit(self, p: Process, resource: int) -> tuple[int, int]:
        if resource in p.rlimits:
            return p.rlimits[resource]
        limits = self.kernel.limits
        if resource == RLIMIT_NOFILE:
            return (p.fds.max_fds, limits.max_open_files)
        if resource == RLIMIT_NPROC:
            return (limits.max_processes, limits.max_processes)
        if resource in (RLIMIT_AS, RLIMIT_DATA):
            return (p.memory_limit, p.memory_limit)
        if resource == RLIMIT_SIGPENDING:
            return (DEFAULT_SIGPENDING, DEFAULT_SIGPENDING)
        if 0 <= resource < 16:
            return (RLIM_INFINITY, RLIM_INFINITY)
        raise KernelError(Errno.EINVAL, f"unknown resource {resource}")

    def setrlimit(self, p: Process, resource: int, new: tuple[int, int] | None) -> None:
        if new is None:
            raise KernelError(Errno.EFAULT, "no limit given")
        cur, hard = new
        _, old_hard = self.getrlimit(p, resource)
        if cur > hard:
            raise KernelError(Errno.EINVAL, "soft limit above hard limit")
        if hard > old_hard:
            raise KernelError(Errno.EPERM, "limits can only be lowered")
        if resource == RLIMIT_NOFILE:
            p.fds.max_fds = max(ROOT_FD + 1, cur)
        p.rlimits[resource] = (cur, hard)

    def uname(self, p: Process) -> tuple[bytes, ...]:
        return (b"Linux", self.kernel.hostname, b"5.15.0-pyocclum",
                f"#1 PyOcclum {__version__}".encode(), b"wasm32")

    def sysinfo(self, p: Process) -> tuple[int, int, int, int, int]:
        """Linux's ``sysinfo``: the memory is /proc/meminfo's (the user space, less
        what the processes' memories hold)."""
        uptime = (time.monotonic_ns() - self.kernel.boot_ns) // 1_000_000_000
        live = self.kernel.live_processes()
        total = self.kernel.limits.user_space
        used = sum(self.kernel.executor.memory_size(q) for q in live)
        return (uptime, total, max(0, total - used), len(live), 1)

    # == the table ========================================================================
    def table(self) -> list[S.Syscall]:
        m = MODULE
        fd = S.u32("fd")
        return [
            S.Syscall(m, "abi_version", (), self.abi_version, returns="value"),
            S.Syscall(m, "chdir", (S.string("path"),), self.chdir),
            S.Syscall(m, "fchdir", (fd,), self.fchdir),
            S.Syscall(m, "getcwd", (S.buf_out("buf"), S.out_len("len")), self.getcwd),
            S.Syscall(m, "spawn", (S.string("path"), S.str_array("argv"), S.str_array("envp"),
                                   S.array_in("actions", FILE_ACTION, strings=(FILE_ACTION_PATH,)),
                                   S.struct_in("attr", SPAWN_ATTR), S.out_u32("pid")),
                      self.spawn),
            S.Syscall(m, "execve", (S.string("path"), S.str_array("argv"), S.str_array("envp")),
                      self.execve),
            S.Syscall(m, "wait4", (S.s32("pid"), S.u32("options"), S.out_u32("status"),
                                   S.out_u32("rpid")), self.wait4),
            S.Syscall(m, "wait4_usage", (S.s32("pid"), S.u32("options"), S.out_u32("status"),
                                         S.out_u32("rpid"), S.out_struct_opt("usage", RUSAGE)),
                      self.wait4_usage),
            S.Syscall(m, "getrusage", (S.s32("who"), S.out_struct("usage", RUSAGE)),
                      self.getrusage),
            S.Syscall(m, "getpid", (), self.getpid, returns="value"),
            S.Syscall(m, "getppid", (), self.getppid, returns="value"),
            S.Syscall(m, "getpgid", (S.s32("pid"), S.out_u32("pgid")), self.getpgid),
            S.Syscall(m, "setpgid", (S.s32("pid"), S.s32("pgid")), self.setpgid),
            S.Syscall(m, "getsid", (S.s32("pid"), S.out_u32("sid")), self.getsid),
            S.Syscall(m, "setsid", (S.out_u32("sid"),), self.setsid),
            S.Syscall(m, "pipe2", (S.u32("flags"), S.out_struct("fds", FD_PAIR)), self.pipe2),
            S.Syscall(m, "dup", (fd, S.out_u32("newfd")), self.dup),
            S.Syscall(m, "dup3", (fd, S.u32("newfd"), S.u32("flags")), self.dup3),
            S.Syscall(m, "fcntl", (fd, S.u32("cmd"), S.u32("arg"), S.out_u32("result")),
                      self.fcntl),
            S.Syscall(m, "umask", (S.u32("mask"), S.out_u32("old")), self.umask),
            S.Syscall(m, "openat", (S.s32("dirfd"), S.string("path"), S.u32("flags"),
                                    S.u32("mode"), S.out_u32("fd")), self.openat),
            S.Syscall(m, "fstatat", (S.s32("fd"), S.string("path"), S.u32("flags"),
                                     S.out_struct("stat", STAT)), self.fstatat),
            S.Syscall(m, "fstatat2", (S.s32("fd"), S.string("path"), S.u32("flags"),
                                      S.out_struct("stat", STAT2)), self.fstatat2),
            S.Syscall(m, "fchmodat", (S.s32("fd"), S.string("path"), S.u32("mode"),
                                      S.u32("flags")), self.fchmodat),
            S.Syscall(m, "getrlimit", (S.u32("resource"), S.out_struct("limit", RLIMIT)),
                      self.getrlimit),
            S.Syscall(m, "setrlimit", (S.u32("resource"), S.struct_in("limit", RLIMIT)),
                      self.setrlimit),
            S.Syscall(m, "uname", (S.out_struct("buf", UTSNAME),), self.uname),
            S.Syscall(m, "sysinfo", (S.out_struct("info", SYSINFO),), self.sysinfo),
        ]


__all__ = ["ABI_VERSION", "MODULE", "OcclumSyscalls"]
