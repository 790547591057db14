"""``procfs``: the ``/proc`` file system, generated from the live process table.

The fs layer sits below the kernel, so procfs never imports it: the kernel
hands :class:`ProcFs` a :class:`ProcSource`, and procfs asks it for a fresh
snapshot (:class:`ProcInfo`) whenever a directory is listed or a file is read.

Tree::

    /proc/self                   symlink to str(current_pid())
    /proc/cpuinfo meminfo mounts uptime
    /proc/<pid>/cmdline comm status stat
    /proc/<pid>/cwd exe          symlinks to the paths in ProcInfo
    /proc/<pid>/fd/<n>           symlinks to ProcInfo.fds[n]; ``alias_fd = n``
                                 when <pid> is the process looking it up

Contents follow Linux's formats byte for byte where we know the value
(``stat``'s 52 fields, ``status``'s ``Key:\\tvalue`` lines, ``meminfo``'s
column alignment, ``uptime``'s truncated centiseconds); fields the LibOS has
no notion of are 0 (or Linux's default: priority 20, tpgid -1, exit signal
SIGCHLD, unlimited rsslim). Files report size 0 as on Linux. A read at offset
0 renders the whole content from a fresh snapshot and keeps it on the inode
(each open walks to a fresh inode), so a file read in several pieces is one
consistent snapshot, like Linux's seq_file buffer.

A process that has gone (or whose pid now belongs to another process: a pid
directory remembers the start time it was looked up with) behaves as on Linux,
observed on 6.x: looking up ``/proc/<pid>`` gives ENOENT; in a pid directory
still held open, lookups give ESRCH and the listing is empty; reading one of
its files gives ESRCH; ``readlink`` of ``cwd``/``exe``/``fd/N`` gives ENOENT
(also for a zombie, which has no fs/mm/files); listing its ``fd`` gives ENOENT.

Left out on purpose: ``status`` stops at ``Threads`` (no signal masks or
capabilities to report), ``uptime``'s idle time is 0.00 (the LibOS does not
measure it), and ``/proc/mounts`` is a plain file rather than Linux's symlink
to ``self/mounts`` (there is one mount table for all processes).

Nothing can be changed. Errors are those Linux gives a root process (Occlum's
processes are uid 0, and ``status`` says so), observed on the real /proc:

- create, mkdir, symlink, link: ENOENT for a new name (proc's lookup fails
  before the VFS could create anything), EEXIST for an existing one;
- unlink an existing entry: EPERM; rmdir: EPERM (ENOTDIR for a non-directory);
- rename: EXDEV across file systems, ENOENT if either name does not exist,
  otherwise EPERM;
- write: EIO for the top-level files, EINVAL for per-process files.

Where Linux lets root succeed but we keep nothing, we give the error an
unprivileged owner gets: chmod, chown and set_times EPERM, truncate EACCES.
``fallocate`` is EOPNOTSUPP (proc files have no ``fallocate``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from types import MappingProxyType
from typing import NamedTuple, Protocol

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.types import (
    DirEntry,
    FileSystem,
    FixedDirectory,
    Inode,
    Stat,
    check_name,
    now_ns,
)

__all__ = ["USER_HZ", "ProcFs", "ProcInfo", "ProcSource"]

#: Clock ticks per second in ``stat``'s time fields (Linux's USER_HZ).
USER_HZ = 100
#: Page size for ``stat``'s rss field.
PAGE_SIZE = 4096
#: Linux's RLIM_INFINITY as ``stat`` prints it (rsslim).
_RLIM_INFINITY = (1 << 64) - 1
#: Longest ``comm`` (TASK_COMM_LEN - 1).
_COMM_MAX = 15
#: What ``cpuinfo`` calls the CPU when the host's /proc/cpuinfo says nothing.
_GENERIC_MODEL = "unknown"
#: Keys of the host's first cpuinfo block copied into ours, in Linux's order.
_CPU_KEYS = ("vendor_id", "cpu family", "model", "model name", "stepping", "cpu MHz", "cache size")

_STATE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "R": "running",
        "S": "sleeping",
        "D": "disk sleep",
        "T": "stopped",
        "t": "tracing stop",
        "X": "dead",
        "Z": "zombie",
        "P": "parked",
        "I": "idle",
    }
)

# Inode numbers: fixed entries are small; everything of process ``pid`` is
# ``pid << 32 | slot`` (pid >= 1), with fd ``n`` at slot ``_FD_SLOT | n``.
_INO_ROOT = 1
_INO_FIXED: Mapping[str, int] = MappingProxyType(
    {"cpuinfo": 2, "meminfo": 3, "mounts": 4, "uptime": 5, "self": 6}
)
_PID_SLOTS: Mapping[str, int] = MappingProxyType(
    {"": 1, "fd": 2, "cmdline": 3, "comm": 4, "status": 5, "stat": 6, "cwd": 7, "exe": 8}
)
_FD_SLOT = 1 << 31


class ProcInfo(NamedTuple):
    """A snapshot of one process, as the kernel sees it."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    #: Linux's letter: "R" running, "S" sleeping, "Z" zombie, ...
    state: str
    #: Basename of the program, at most 15 characters.
    comm: str
    cmdline: tuple[bytes, ...]
    #: Absolute path of the working directory.
    cwd: str
    #: Absolute path of the program.
    exe: str
    #: fd -> what readlink shows ("/tmp/x", "pipe:[7]", "/dev/null").
    fds: Mapping[int, str]
    #: Monotonic nanoseconds since boot when the process started.
    start_ns: int
    #: Linear memory size in bytes.
    memory_bytes: int
    threads: int = 1
    umask: int = 0o022
    #: Signal sets as bit masks (bit ``n-1`` for signal ``n``).
    sig_pending: int = 0
    sig_blocked: int = 0
    sig_ignored: int = 0
    sig_caught: int = 0
    #: Queued signals, and the RLIMIT_SIGPENDING they count against (SigQ).
    sig_queued: int = 0
    sig_queue_max: int = 4096
    #: Supplementary groups (root's: 0).
    groups: tuple[int, ...] = (0,)
    nice: int = 0
    #: CPUs the process may run on (``Cpus_allowed``), as the enclave reports them.
    cpus: int = 1
    #: Times the process blocked in a syscall (voluntary context switches).
    waits: int = 0
    #: CPU time (ns): its own, user and system, and its reaped children's.
    utime_ns: int = 0
    stime_ns: int = 0
    cutime_ns: int = 0
    cstime_ns: int = 0


class ProcSource(Protocol):
    """What procfs needs from the kernel. Every call returns a fresh answer."""

    def pids(self) -> list[int]:
        """Pids of the live (and zombie) processes."""
        ...

    def info(self, pid: int) -> ProcInfo | None:
        """A snapshot of ``pid``, or ``None`` if it does not exist."""
        ...

    def current_pid(self) -> int:
        """The process making the call."""
        ...

    def mounts(self) -> list[tuple[str, str, str, str]]:
        """``(source, target, fstype, options)`` for each mount, in mount order."""
        ...

    def uptime_ns(self) -> int:
        """Nanoseconds since the LibOS booted."""
        ...

    def memory(self) -> tuple[int, int]:
        """``(total, free)`` bytes for ``meminfo``."""
        ...

    def set_comm(self, pid: int, name: bytes) -> None:
        """A write to ``/proc/<pid>/comm``: name the process (its first 15 bytes,
        as written, a newline included, as Linux). ``EINVAL`` unless ``pid`` is
        the writer's own process (Linux's rule)."""
        ...


# -- formats -------------------------------------------------------------------------
def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _comm(info: ProcInfo) -> str:
    return info.comm[:_COMM_MAX]


def _zombie(info: ProcInfo) -> bool:
    return info.state in ("Z", "X")


def _kb(n: int) -> int:
    return max(n, 0) // 1024


def _ticks(ns: int) -> int:
    return max(ns, 0) * USER_HZ // 1_000_000_000


def _render_stat(info: ProcInfo) -> bytes:
    """``/proc/<pid>/stat``: Linux's 52 fields (fs/proc/array.c do_task_stat)."""
    zombie = _zombie(info)
    vsize = 0 if zombie else max(info.memory_bytes, 0)
    fields: list[int | str] = [
        info.pid,  # 1 pid
        f"({_comm(info)})",  # 2 comm
        info.state,  # 3 state
        info.ppid,  # 4 ppid
        info.pgid,  # 5 pgrp
        info.sid,  # 6 session
        0,  # 7 tty_nr
        -1,  # 8 tpgid (no controlling terminal)
        0,  # 9 flags
        0, 0, 0, 0,  # 10-13 minflt cminflt majflt cmajflt
        _ticks(info.utime_ns), _ticks(info.stime_ns),  # 14-15 utime stime
        _ticks(info.cutime_ns), _ticks(info.cstime_ns),  # 16-17 cutime cstime
        20 + info.nice,  # 18 priority
        info.nice,  # 19 nice
        info.threads,  # 20 num_threads
        0,  # 21 itrealvalue
        max(info.start_ns, 0) * USER_HZ // 1_000_000_000,  # 22 starttime
        vsize,  # 23 vsize
        vsize // PAGE_SIZE,  # 24 rss
        _RLIM_INFINITY,  # 25 rsslim
        0, 0, 0, 0, 0,  # 26-30 startcode endcode startstack kstkesp kstkeip
        info.sig_pending, info.sig_blocked, info.sig_ignored, info.sig_caught,  # 31-34
        0, 0, 0,  # 35-37 wchan nswap cnswap
        int(Signal.SIGCHLD),  # 38 exit_signal
        0, 0, 0, 0, 0, 0,  # 39-44 processor rt_priority policy blkio guest_time cguest_time
        0, 0, 0, 0, 0, 0, 0,  # 45-51 start_data end_data start_brk arg_* env_*
        0,  # 52 exit_code
    ]  # fmt: skip
    return _enc(" ".join(str(f) for f in fields)) + b"\n"


def _status_kb(name: str, n: int) -> str:
    return f"{name}:\t{_kb(n):8d} kB\n"


def _render_status(info: ProcInfo) -> bytes:
    """``/proc/<pid>/status`` (fs/proc/array.c proc_pid_status): what procps
    ``ps`` reads (Name, Umask, State, ids, FDSize, Groups, Vm*, Threads, the
    signal sets, capabilities, Cpus_allowed, context switches)."""
    zombie = _zombie(info)
    name = _comm(info).replace("\\", "\\\\").replace("\n", "\\n")
    state = _STATE_NAMES.get(info.state, "unknown")
    fdsize = 0
    if not zombie:
        fdsize = 64
        top = max(info.fds, default=-1)
        while fdsize <= top:
            fdsize *= 2
    out = [f"Name:\t{name}\n"]
    if not zombie:  # Linux shows the umask of a task that has an fs
        out.append(f"Umask:\t{info.umask:04o}\n")
    out += [
        f"State:\t{info.state} ({state})\n",
        f"Tgid:\t{info.pid}\n",
        "Ngid:\t0\n",
        f"Pid:\t{info.pid}\n",
        f"PPid:\t{info.ppid}\n",
        "TracerPid:\t0\n",
        "Uid:\t0\t0\t0\t0\n",
        "Gid:\t0\t0\t0\t0\n",
        f"FDSize:\t{fdsize}\n",
        "Groups:\t" + "".join(f"{g} " for g in info.groups) + (" " if not info.groups else "")
        + "\n",
        f"NStgid:\t{info.pid}\n",
        f"NSpid:\t{info.pid}\n",
        f"NSpgid:\t{info.pgid}\n",
        f"NSsid:\t{info.sid}\n",
    ]
    if not zombie:  # Linux prints memory only for a task that has an mm
        mem = info.memory_bytes  # linear memory only grows: peak == size, all resident
        out += [
            _status_kb("VmPeak", mem),
            _status_kb("VmSize", mem),
            _status_kb("VmLck", 0),
            _status_kb("VmPin", 0),
            _status_kb("VmHWM", mem),
            _status_kb("VmRSS", mem),
            _status_kb("RssAnon", mem),
            _status_kb("RssFile", 0),
            _status_kb("RssShmem", 0),
            _status_kb("VmData", mem),
            _status_kb("VmStk", 0),
            _status_kb("VmExe", 0),
            _status_kb("VmLib", 0),
            _status_kb("VmPTE", 0),
            _status_kb("VmSwap", 0),
        ]
    out.append(f"Threads:\t{info.threads}\n")
    cpus = max(info.cpus, 1)
    caps = "000001ffffffffff"  # root's full capability set (Linux 5.9+: 41 capabilities)
    out += [
        f"SigQ:\t{info.sig_queued}/{info.sig_queue_max}\n",
        f"SigPnd:\t{info.sig_pending:016x}\n",
        f"ShdPnd:\t{0:016x}\n",
        f"SigBlk:\t{info.sig_blocked:016x}\n",
        f"SigIgn:\t{info.sig_ignored:016x}\n",
        f"SigCgt:\t{info.sig_caught:016x}\n",
        f"CapInh:\t{0:016x}\n",
        f"CapPrm:\t{caps}\n",
        f"CapEff:\t{caps}\n",
        f"CapBnd:\t{caps}\n",
        f"CapAmb:\t{0:016x}\n",
        "NoNewPrivs:\t0\n",
        "Seccomp:\t0\n",
        "Seccomp_filters:\t0\n",
        f"Cpus_allowed:\t{(1 << cpus) - 1:x}\n",
        "Cpus_allowed_list:\t" + ("0" if cpus == 1 else f"0-{cpus - 1}") + "\n",
        "Mems_allowed:\t1\n",
        "Mems_allowed_list:\t0\n",
        f"voluntary_ctxt_switches:\t{info.waits}\n",
        "nonvoluntary_ctxt_switches:\t0\n",
    ]
    return _enc("".join(out))


def _render_cmdline(info: ProcInfo) -> bytes:
    if _zombie(info) or not info.cmdline:
        return b""  # Linux: a zombie has no memory to read arguments from
    return b"".join(arg + b"\0" for arg in info.cmdline)


def _render_comm(info: ProcInfo) -> bytes:
    return _enc(_comm(info)) + b"\n"


#: The generated files of a process directory.
_PID_FILES: Mapping[str, Callable[[ProcInfo], bytes]] = MappingProxyType(
    {
        "cmdline": _render_cmdline,
        "comm": _render_comm,
        "status": _render_status,
        "stat": _render_stat,
    }
)

#: What a process directory lists, in Linux's order.
_PID_ENTRIES: Mapping[str, FileType] = MappingProxyType(
    {
        "fd": FileType.DIRECTORY,
        "status": FileType.REGULAR_FILE,
        "comm": FileType.REGULAR_FILE,
        "cmdline": FileType.REGULAR_FILE,
        "stat": FileType.REGULAR_FILE,
        "cwd": FileType.SYMBOLIC_LINK,
        "exe": FileType.SYMBOLIC_LINK,
    }
)


def _escape_mount(s: str) -> str:
    """As Linux's mangle(): space, tab, newline and backslash in octal."""
    for ch in "\\ \t\n":
        s = s.replace(ch, f"\\{ord(ch):03o}")
    return s


def _cpu_line(key: str, value: str) -> str:
    # Linux pads keys to the second tab stop ("model\t\t: ", "processor\t: ").
    tabs = "\t\t" if len(key) < 8 else "\t"
    return f"{key}{tabs}: {value}\n"


def _host_cpu_fields(path: str) -> list[tuple[str, str]]:
    """Selected ``key: value`` pairs of the first block of the host's cpuinfo."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 16)
    except OSError:
        text = ""
    found: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip():
            if found:
                break
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key in _CPU_KEYS and key not in found:
            found[key] = value.strip()
    if "model name" not in found:
        found["model name"] = _GENERIC_MODEL
    return [(k, found[k]) for k in _CPU_KEYS if k in found]


# -- inodes ----------------------------------------------------------------------------
class _Node(Inode):
    """Fields and refusals shared by every procfs inode."""

    _FILETYPE = FileType.UNKNOWN

    def __init__(self, fs: ProcFs, ino: int, mode: int, time_ns: int) -> None:
        self.fs = fs
        self._pfs = fs
        self.ino = ino
        self._mode = mode
        self._time = time_ns

    @property
    def filetype(self) -> FileType:
        return self._FILETYPE

    def _nlink(self) -> int:
        return 1

    def _size(self) -> int:
        return 0

    def stat(self) -> Stat:
        t = self._time
        return Stat(
            dev=self._pfs.dev,
            ino=self.ino,
            filetype=self._FILETYPE,
            mode=self._mode,
            nlink=self._nlink(),
            size=self._size(),
            atim=t,
            mtim=t,
            ctim=t,
        )

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        raise KernelError(Errno.EPERM, "/proc cannot be changed")

    def chmod(self, mode: int) -> None:
        raise KernelError(Errno.EPERM, "/proc cannot be changed")

    def chown(self, uid: int | None, gid: int | None) -> None:
        raise KernelError(Errno.EPERM, "/proc cannot be changed")


class _File(_Node):
    """A file whose content ``render`` produces from a fresh snapshot."""

    _FILETYPE = FileType.REGULAR_FILE

    def __init__(
        self,
        fs: ProcFs,
        ino: int,
        time_ns: int,
        render: Callable[[], bytes],
        write_errno: Errno,
        writer: Callable[[bytes], None] | None = None,
    ) -> None:
        super().__init__(fs, ino, 0o444 if writer is None else 0o644, time_ns)
        self._render = render
        self._write_errno = write_errno
        self._writer = writer
        self._content: bytes | None = None

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0:
            raise KernelError(Errno.EINVAL, "negative offset or size")
        content = self._content
        if offset == 0 or content is None:
            content = self._content = self._render()
        return content[offset : offset + size]

    def write(self, offset: int, data: bytes) -> int:
        if self._writer is None:
            raise KernelError(self._write_errno, "/proc files cannot be written")
        self._writer(bytes(data))
        self._content = None
        return len(data)

    def truncate(self, size: int) -> None:
        raise KernelError(Errno.EACCES, "/proc files cannot be truncated")

    def allocate(self, offset: int, length: int) -> None:
        raise KernelError(Errno.ENOTSUP, "/proc files cannot be allocated")


class _Link(_Node):
    """A symlink whose target ``target`` works out at ``readlink`` time."""

    _FILETYPE = FileType.SYMBOLIC_LINK

    def __init__(
        self,
        fs: ProcFs,
        ino: int,
        mode: int,
        time_ns: int,
        target: Callable[[], str],
        alias_fd: int | None = None,
    ) -> None:
        super().__init__(fs, ino, mode, time_ns)
        self._target = target
        self.alias_fd = alias_fd

    def readlink(self) -> str:
        return self._target()


class _Dir(FixedDirectory, _Node):
    """A directory of generated entries; every change to it is refused."""

    _FILETYPE = FileType.DIRECTORY

    def _nlink(self) -> int:
        return 2

    def _find(self, name: str) -> Inode:
        raise NotImplementedError

    def lookup(self, name: str) -> Inode:
        check_name(name)
        return self._find(name)

    def refuse_new(self, name: str) -> KernelError:
        """Creating ``name``: proc's lookup fails (ENOENT, ESRCH) or the name exists."""
        self.lookup(name)
        return KernelError(Errno.EEXIST, f"{name!r} exists")





    def unlink(self, name: str) -> None:
        self.lookup(name)
        raise KernelError(Errno.EPERM, "/proc entries cannot be removed")

    def rmdir(self, name: str) -> None:
        if self.lookup(name).filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")
        raise KernelError(Errno.EPERM, "/proc entries cannot be removed")

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        if new_dir.fs is not self._pfs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        self.lookup(old)
        new_dir.lookup(new)
        raise KernelError(Errno.EPERM, "/proc entries cannot be renamed")


def _parse_number(name: str) -> int | None:
    """A pid or fd as Linux's name_to_int reads it: decimal, no sign, no leading 0."""
    if not name or len(name) > 10 or not all("0" <= c <= "9" for c in name):
        return None
    if len(name) > 1 and name[0] == "0":
        return None
    n = int(name)
    return n if n < _FD_SLOT else None


class _RootDir(_Dir):
    def __init__(self, fs: ProcFs) -> None:
        super().__init__(fs, _INO_ROOT, 0o555, fs.created)

    def _nlink(self) -> int:
        return 2 + len(self._pfs.source.pids())

    def _find(self, name: str) -> Inode:
        fs = self._pfs
        if name in _INO_FIXED:
            return fs.fixed(name)
        pid = _parse_number(name)
        if pid is not None and pid > 0 and pid in fs.source.pids():
            info = fs.source.info(pid)
            if info is not None:
                return _PidDir(fs, info)
        raise KernelError(Errno.ENOENT, f"no /proc/{name}")

    def entries(self) -> Iterator[DirEntry]:
        ents = [
            DirEntry(name, ino, FileType.SYMBOLIC_LINK if name == "self" else FileType.REGULAR_FILE)
            for name, ino in _INO_FIXED.items()
        ]
        ents += [
            DirEntry(str(pid), pid << 32 | _PID_SLOTS[""], FileType.DIRECTORY)
            for pid in sorted(set(self._pfs.source.pids()))
            if pid > 0
        ]
        return iter(ents)


class _PidDir(_Dir):
    """``/proc/<pid>``: bound to one process (pid and start time)."""

    def __init__(self, fs: ProcFs, info: ProcInfo) -> None:
        super().__init__(fs, info.pid << 32 | _PID_SLOTS[""], 0o555, fs.boot_epoch + info.start_ns)
        self.pid = info.pid
        self.start_ns = info.start_ns

    def _nlink(self) -> int:
        return 3  # ".", the entry in /proc, and fd's ".."

    def info(self) -> ProcInfo | None:
        """A fresh snapshot, or None if this process has gone (or its pid was reused)."""
        info = self._pfs.source.info(self.pid)
        if info is None or info.start_ns != self.start_ns:
            return None
        return info

    def snapshot(self, vanished: Errno) -> ProcInfo:
        info = self.info()
        if info is None:
            raise KernelError(vanished, f"process {self.pid} has gone")
        return info

    def _ino(self, name: str) -> int:
        return self.pid << 32 | _PID_SLOTS[name]

    def _find(self, name: str) -> Inode:
        self.snapshot(Errno.ESRCH)
        fs, t = self._pfs, self._time
        if name == "fd":
            return _FdDir(self)
        if name in ("cwd", "exe"):
            return _Link(fs, self._ino(name), 0o777, t, lambda: self._path(name))
        render = _PID_FILES.get(name)
        if render is None:
            raise KernelError(Errno.ENOENT, f"no /proc/{self.pid}/{name}")
        writer = partial(self._pfs.source.set_comm, self.pid) if name == "comm" else None
        return _File(fs, self._ino(name), t, partial(self._render, render), Errno.EINVAL, writer)

    def _render(self, render: Callable[[ProcInfo], bytes]) -> bytes:
        return render(self.snapshot(Errno.ESRCH))

    def _path(self, name: str) -> str:
        info = self.snapshot(Errno.ENOENT)
        if _zombie(info):
            raise KernelError(Errno.ENOENT, f"process {self.pid} is a zombie")
        return info.cwd if name == "cwd" else info.exe

    def entries(self) -> Iterator[DirEntry]:
        if self.info() is None:
            return iter([])  # Linux lists only "." and ".." of a dead process
        return iter([DirEntry(n, self._ino(n), kind) for n, kind in _PID_ENTRIES.items()])


class _FdDir(_Dir):
    """``/proc/<pid>/fd``: one symlink per open fd."""

    def __init__(self, proc: _PidDir) -> None:
        super().__init__(proc._pfs, proc.pid << 32 | _PID_SLOTS["fd"], 0o500, proc._time)
        self._proc = proc

    def _size(self) -> int:
        info = self._proc.info()  # Linux 6.x reports the number of open fds
        return 0 if info is None or _zombie(info) else len(info.fds)

    def _fds(self) -> Mapping[int, str]:
        info = self._proc.snapshot(Errno.ENOENT)
        return {} if _zombie(info) else info.fds

    def _find(self, name: str) -> Inode:
        fd = _parse_number(name)
        if fd is None or fd not in self._fds():
            raise KernelError(Errno.ENOENT, f"no fd {name}")
        proc = self._proc
        alias = fd if proc.pid == self._pfs.source.current_pid() else None
        ino = proc.pid << 32 | _FD_SLOT | fd
        return _Link(self._pfs, ino, 0o700, self._time, lambda: self._target(fd), alias)

    def _target(self, fd: int) -> str:
        target = self._fds().get(fd)
        if target is None:
            raise KernelError(Errno.ENOENT, f"fd {fd} is closed")
        return target

    def entries(self) -> Iterator[DirEntry]:
        base = self._proc.pid << 32 | _FD_SLOT
        return iter(
            [DirEntry(str(fd), base | fd, FileType.SYMBOLIC_LINK) for fd in sorted(self._fds())]
        )


# -- the file system -------------------------------------------------------------------
class ProcFs(FileSystem):
    """``/proc`` over ``source``.

    ``cpuinfo_path`` is the host file the CPU's model name (and vendor, family,
    ...) is copied from, read once here; ``cpu_count`` defaults to the host's.
    """

    fstype = "proc"

    def __init__(
        self,
        source: ProcSource,
        *,
        cpuinfo_path: str = "/proc/cpuinfo",
        cpu_count: int | None = None,
    ) -> None:
        self.source = source
        self.created = now_ns()
        #: Wall-clock nanoseconds at boot (times of pid directories: boot + start).
        self.boot_epoch = self.created - source.uptime_ns()
        self._cpus = max(cpu_count if cpu_count is not None else (os.cpu_count() or 1), 1)
        self._cpu_fields = _host_cpu_fields(cpuinfo_path)
        self._root = _RootDir(self)

    def root(self) -> Inode:
        return self._root

    def fixed(self, name: str) -> Inode:
        """A fresh inode for the top-level entry ``name``."""
        ino, t = _INO_FIXED[name], self.created
        if name == "self":
            return _Link(self, ino, 0o777, t, self._self_target)
        render = {
            "cpuinfo": self._cpuinfo,
            "meminfo": self._meminfo,
            "mounts": self._mounts,
            "uptime": self._uptime,
        }[name]
        return _File(self, ino, t, render, Errno.EIO)

    def _self_target(self) -> str:
        pid = self.source.current_pid()
        if pid <= 0:
            raise KernelError(Errno.ENOENT, "no calling process")
        return str(pid)

    # -- contents ------------------------------------------------------------------
    def _cpuinfo(self) -> bytes:
        blocks = []
        for n in range(self._cpus):
            lines = [_cpu_line("processor", str(n))]
            lines += [_cpu_line(k, v) for k, v in self._cpu_fields]
            blocks.append("".join(lines) + "\n")
        return _enc("".join(blocks))

    def _meminfo(self) -> bytes:
        total, free = self.source.memory()
        rows = [
            ("MemTotal:", total),
            ("MemFree:", free),
            ("MemAvailable:", free),
            ("Buffers:", 0),
            ("Cached:", 0),
            ("SwapCached:", 0),
            ("SwapTotal:", 0),
            ("SwapFree:", 0),
            ("Shmem:", 0),
        ]
        return _enc("".join(f"{label:<16}{_kb(n):8d} kB\n" for label, n in rows))

    def _mounts(self) -> bytes:
        lines = [
            f"{_escape_mount(src or 'none')} {_escape_mount(target)} {fstype} {opts or 'rw'} 0 0\n"
            for src, target, fstype, opts in self.source.mounts()
        ]
        return _enc("".join(lines))

    def _uptime(self) -> bytes:
        # Linux truncates to centiseconds; the LibOS does not measure idle time.
        cs = max(self.source.uptime_ns(), 0) // 10_000_000
        return _enc(f"{cs // 100}.{cs % 100:02d} 0.00\n")
