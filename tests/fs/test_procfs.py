"""ProcFs: Linux's /proc formats, the live tree, vanished processes, refusals."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import errno_of, walk

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.procfs import ProcFs, ProcInfo, ProcSource
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.types import Inode
from pyocclum.fs.vfs import Vfs

SEC = 1_000_000_000
MiB = 1 << 20


def proc(pid: int, **kw: object) -> ProcInfo:
    base = ProcInfo(
        pid=pid,
        ppid=1,
        pgid=pid,
        sid=1,
        state="S",
        comm="sh",
        cmdline=(b"/bin/sh", b"-c", b"echo hi"),
        cwd="/tmp",
        exe="/bin/sh",
        fds={0: "/dev/null", 1: "pipe:[7]", 2: "/dev/null", 3: "/tmp/x"},
        start_ns=12 * SEC + 345_678_901,
        memory_bytes=16 * MiB,
    )
    return base._replace(**kw)  # type: ignore[arg-type]


@dataclass
class FakeSource:
    """A process table the test edits directly."""

    procs: dict[int, ProcInfo] = field(default_factory=dict)
    current: int = 42
    mount_table: list[tuple[str, str, str, str]] = field(default_factory=list)
    up_ns: int = 1234 * SEC + 567_890_123
    mem: tuple[int, int] = (512 * MiB, 300 * MiB)
    calls: int = 0

    def pids(self) -> list[int]:
        return list(self.procs)

    def info(self, pid: int) -> ProcInfo | None:
        self.calls += 1
        return self.procs.get(pid)

    def current_pid(self) -> int:
        return self.current

    def mounts(self) -> list[tuple[str, str, str, str]]:
        return list(self.mount_table)

    def uptime_ns(self) -> int:
        return self.up_ns

    def memory(self) -> tuple[int, int]:
        return self.mem

    def set_comm(self, pid: int, name: bytes) -> None:
        if pid != self.current:
            raise KernelError(Errno.EINVAL, "not the writer's process")
        self.procs[pid] = self.procs[pid]._replace(comm=name[:15].decode())


def make() -> tuple[ProcFs, FakeSource]:
    src = FakeSource()
    src.procs[1] = proc(1, ppid=0, comm="init", cmdline=(b"/bin/init",), state="S")
    src.procs[42] = proc(42, state="R")
    src.procs[7] = proc(7, ppid=42, comm="sleep", cmdline=(b"sleep", b"5"), fds={0: "/dev/null"})
    source: ProcSource = src  # the fake satisfies the protocol
    return ProcFs(source, cpuinfo_path="/nonexistent/cpuinfo", cpu_count=2), src


def read_all(inode: Inode) -> bytes:
    return inode.read(0, 1 << 20)


def text(fs: ProcFs, path: str) -> str:
    return read_all(walk(fs.root(), path)).decode()


# -- the tree --------------------------------------------------------------------------
def test_root_listing_has_fixed_files_and_live_pids() -> None:
    fs, src = make()
    ents = list(fs.root().entries())
    fixed = ["cpuinfo", "meminfo", "mounts", "uptime", "self"]
    assert [e.name for e in ents] == [*fixed, "1", "7", "42"]
    kinds = {e.name: e.filetype for e in ents}
    assert kinds["self"] == FileType.SYMBOLIC_LINK
    assert kinds["cpuinfo"] == FileType.REGULAR_FILE
    assert kinds["42"] == FileType.DIRECTORY
    for e in ents:
        assert fs.root().lookup(e.name).stat().ino == e.ino
    assert len({e.ino for e in ents} | {fs.root().ino}) == len(ents) + 1
    # The listing is the live table.
    del src.procs[7]
    src.procs[100] = proc(100)
    assert [e.name for e in fs.root().entries()][5:] == ["1", "42", "100"]
    assert fs.fstype == "proc"


def test_pid_directory_listing() -> None:
    fs, _ = make()
    d = fs.root().lookup("42")
    names = {e.name: e.filetype for e in d.entries()}
    assert names == {
        "fd": FileType.DIRECTORY,
        "cmdline": FileType.REGULAR_FILE,
        "comm": FileType.REGULAR_FILE,
        "status": FileType.REGULAR_FILE,
        "stat": FileType.REGULAR_FILE,
        "cwd": FileType.SYMBOLIC_LINK,
        "exe": FileType.SYMBOLIC_LINK,
    }
    for e in d.entries():
        node = d.lookup(e.name)
        assert node.filetype == e.filetype
        assert node.stat().ino == e.ino


def test_inode_numbers_are_stable_and_distinct() -> None:
    fs, _ = make()
    paths = ["self", "cpuinfo", "uptime", "42", "42/stat", "42/status", "42/fd", "42/fd/3"]
    paths += ["7", "7/stat", "7/fd/0", "42/fd/0", "42/cwd", "42/exe", "42/cmdline", "1/stat"]
    first = {p: walk(fs.root(), p).stat().ino for p in paths}
    again = {p: walk(fs.root(), p).stat().ino for p in paths}
    assert first == again
    assert len(set(first.values())) == len(paths)


def test_stat_of_nodes() -> None:
    fs, src = make()
    fs.dev = 5
    root = fs.root()
    st = root.stat()
    assert (st.filetype, st.mode, st.dev, st.ino) == (FileType.DIRECTORY, 0o555, 5, 1)
    assert st.nlink == 2 + 3
    for name in ("cpuinfo", "meminfo", "mounts", "uptime", "42/stat", "42/status", "42/cmdline"):
        s = walk(root, name).stat()
        assert (s.filetype, s.mode, s.size, s.nlink) == (FileType.REGULAR_FILE, 0o444, 0, 1)
    assert walk(root, "self").stat().mode == 0o777
    assert walk(root, "42").stat().mode == 0o555
    fd = walk(root, "42/fd").stat()
    assert (fd.filetype, fd.mode, fd.size) == (FileType.DIRECTORY, 0o500, 4)
    # A process directory carries the process's start time (boot + start).
    assert walk(root, "42").stat().mtim == fs.boot_epoch + src.procs[42].start_ns


def test_bad_names_and_missing_pids_are_enoent() -> None:
    fs, _ = make()
    root = fs.root()
    for name in ("99", "0", "01", "+1", "-1", "abc", "4 2", "42x", "\uff11"):
        assert errno_of(root.lookup, name) == Errno.ENOENT, name
    d = root.lookup("42")
    assert errno_of(d.lookup, "environ") == Errno.ENOENT
    assert errno_of(walk, root, "42/fd/9") == Errno.ENOENT
    assert errno_of(walk, root, "42/fd/03") == Errno.ENOENT
    assert errno_of(root.lookup, "..") == Errno.EINVAL  # never passed by the VFS


# -- formats ---------------------------------------------------------------------------
def parse_stat(line: str) -> list[str]:
    """Fields of a stat line, comm (which may hold spaces and parens) as one."""
    assert line.endswith("\n")
    head, _, tail = line[:-1].rpartition(") ")
    pid, _, comm = head.partition(" (")
    return [pid, comm, *tail.split(" ")]


def test_stat_line() -> None:
    fs, src = make()
    line = text(fs, "7/stat")
    f = parse_stat(line)
    assert len(f) == 52
    assert f[0] == "7"
    assert f[1] == "sleep"
    assert f[2] == "S"
    assert f[3] == "42"  # ppid
    assert (f[4], f[5]) == ("7", "1")  # pgrp, session
    assert (f[6], f[7]) == ("0", "-1")  # tty_nr, tpgid
    assert (f[17], f[18], f[19]) == ("20", "0", "1")  # priority, nice, threads
    assert f[21] == str(1234)  # starttime: 12.345678901 s in 100 Hz ticks
    assert f[22] == str(16 * MiB)  # vsize
    assert f[23] == str(16 * MiB // 4096)  # rss in pages
    assert f[24] == str((1 << 64) - 1)  # rsslim
    assert f[37] == "17"  # exit_signal
    assert line.startswith("7 (sleep) S 42 7 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1234 16777216 4096 ")
    # comm with spaces and parens, and several threads.
    src.procs[7] = proc(7, comm="a) b (c", threads=3)
    f = parse_stat(text(fs, "7/stat"))
    assert (f[0], f[1], f[2], f[19]) == ("7", "a) b (c", "S", "3")


def test_stat_counts_cpu_time_in_clock_ticks() -> None:
    fs, src = make()
    src.procs[7] = proc(7, utime_ns=1_239_999_999, stime_ns=30_000_000,
                        cutime_ns=SEC, cstime_ns=9_999_999)
    f = parse_stat(text(fs, "7/stat"))
    assert (f[13], f[14], f[15], f[16]) == ("123", "3", "100", "0")


def test_stat_of_a_zombie_has_no_memory() -> None:
    fs, src = make()
    src.procs[7] = proc(7, state="Z")
    f = parse_stat(text(fs, "7/stat"))
    assert (f[2], f[22], f[23]) == ("Z", "0", "0")


def test_status() -> None:
    fs, src = make()
    src.procs[42] = proc(42, ppid=1, pgid=40, sid=30, state="R", comm="python3", threads=2,
                         umask=0o027, sig_pending=1 << 9, sig_blocked=(1 << 1) | (1 << 63),
                         sig_ignored=1 << 12, sig_caught=1 << 16, sig_queued=1, cpus=2,
                         waits=5)
    assert text(fs, "42/status") == (
        "Name:\tpython3\n"
        "Umask:\t0027\n"
        "State:\tR (running)\n"
        "Tgid:\t42\n"
        "Ngid:\t0\n"
        "Pid:\t42\n"
        "PPid:\t1\n"
        "TracerPid:\t0\n"
        "Uid:\t0\t0\t0\t0\n"
        "Gid:\t0\t0\t0\t0\n"
        "FDSize:\t64\n"
        "Groups:\t0 \n"
        "NStgid:\t42\n"
        "NSpid:\t42\n"
        "NSpgid:\t40\n"
        "NSsid:\t30\n"
        "VmPeak:\t   16384 kB\n"
        "VmSize:\t   16384 kB\n"
        "VmLck:\t       0 kB\n"
        "VmPin:\t       0 kB\n"
        "VmHWM:\t   16384 kB\n"
        "VmRSS:\t   16384 kB\n"
        "RssAnon:\t   16384 kB\n"
        "RssFile:\t       0 kB\n"
        "RssShmem:\t       0 kB\n"
        "VmData:\t   16384 kB\n"
        "VmStk:\t       0 kB\n"
        "VmExe:\t       0 kB\n"
        "VmLib:\t       0 kB\n"
        "VmPTE:\t       0 kB\n"
        "VmSwap:\t       0 kB\n"
        "Threads:\t2\n"
        "SigQ:\t1/4096\n"
        "SigPnd:\t0000000000000200\n"
        "ShdPnd:\t0000000000000000\n"
        "SigBlk:\t8000000000000002\n"
        "SigIgn:\t0000000000001000\n"
        "SigCgt:\t0000000000010000\n"
        "CapInh:\t0000000000000000\n"
        "CapPrm:\t000001ffffffffff\n"
        "CapEff:\t000001ffffffffff\n"
        "CapBnd:\t000001ffffffffff\n"
        "CapAmb:\t0000000000000000\n"
        "NoNewPrivs:\t0\n"
        "Seccomp:\t0\n"
        "Seccomp_filters:\t0\n"
        "Cpus_allowed:\t3\n"
        "Cpus_allowed_list:\t0-1\n"
        "Mems_allowed:\t1\n"
        "Mems_allowed_list:\t0\n"
        "voluntary_ctxt_switches:\t5\n"
        "nonvoluntary_ctxt_switches:\t0\n"
    )
    src.procs[42] = proc(42, groups=())
    assert "Groups:\t \n" in text(fs, "42/status")  # Linux's trailing space


def test_status_details() -> None:
    fs, src = make()
    src.procs[7] = proc(7, state="Z", comm="a\nb\\c")
    zombie = text(fs, "7/status")
    assert "Name:\ta\\nb\\\\c\n" in zombie
    assert "State:\tZ (zombie)\n" in zombie
    assert "FDSize:\t0\n" in zombie
    assert "Vm" not in zombie  # no memory lines without an mm, as on Linux
    assert "Umask" not in zombie  # nor a umask without an fs
    src.procs[7] = proc(7, fds={0: "/dev/null", 64: "/x"})
    assert "FDSize:\t128\n" in text(fs, "7/status")
    src.procs[7] = proc(7, comm="a-very-long-program-name")
    assert text(fs, "7/status").startswith("Name:\ta-very-long-pro\n")
    assert text(fs, "7/comm") == "a-very-long-pro\n"


def test_cmdline() -> None:
    fs, src = make()
    assert read_all(walk(fs.root(), "42/cmdline")) == b"/bin/sh\0-c\0echo hi\0"
    assert read_all(walk(fs.root(), "7/cmdline")) == b"sleep\x005\0"
    src.procs[7] = proc(7, state="Z")
    assert read_all(walk(fs.root(), "7/cmdline")) == b""
    src.procs[7] = proc(7, cmdline=(b"\xff\xfe", b""))
    assert read_all(walk(fs.root(), "7/cmdline")) == b"\xff\xfe\0\0"


def test_reads_at_offsets_are_one_snapshot() -> None:
    fs, src = make()
    f = walk(fs.root(), "42/status")
    whole = read_all(f)
    assert f.read(0, 10) == whole[:10]
    src.procs[42] = proc(42, memory_bytes=64 * MiB, comm="changed")
    # Continuing the reading that started at offset 0 keeps its snapshot ...
    assert f.read(10, 1 << 20) == whole[10:]
    assert f.read(len(whole), 100) == b""
    # ... and reading from the start again takes a fresh one.
    fresh = read_all(f)
    assert fresh != whole
    assert b"Name:\tchanged\n" in fresh
    assert errno_of(f.read, -1, 10) == Errno.EINVAL


def test_cwd_exe_and_self() -> None:
    fs, src = make()
    root = fs.root()
    assert walk(root, "42/cwd").readlink() == "/tmp"
    assert walk(root, "42/exe").readlink() == "/bin/sh"
    link = root.lookup("self")
    assert link.readlink() == "42"
    src.current = 7
    assert link.readlink() == "7"  # whoever calls readlink
    src.current = 0
    assert errno_of(link.readlink) == Errno.ENOENT


def test_fd_links() -> None:
    fs, src = make()
    fd = walk(fs.root(), "42/fd")
    ents = list(fd.entries())
    assert [e.name for e in ents] == ["0", "1", "2", "3"]
    assert all(e.filetype == FileType.SYMBOLIC_LINK for e in ents)
    targets = {e.name: fd.lookup(e.name).readlink() for e in ents}
    assert targets == {"0": "/dev/null", "1": "pipe:[7]", "2": "/dev/null", "3": "/tmp/x"}
    # The caller's own fds are magic links; another process's are plain links.
    assert [fd.lookup(e.name).alias_fd for e in ents] == [0, 1, 2, 3]
    other = walk(fs.root(), "7/fd/0")
    assert other.alias_fd is None
    assert other.readlink() == "/dev/null"
    assert fd.lookup("3").stat().mode == 0o700
    # Closed since the lookup: the link is dead.
    link = fd.lookup("3")
    src.procs[42] = proc(42, fds={0: "/dev/null"})
    assert errno_of(link.readlink) == Errno.ENOENT
    assert [e.name for e in fd.entries()] == ["0"]
    assert errno_of(fd.lookup, "3") == Errno.ENOENT


def test_zombie_has_no_cwd_exe_or_fds() -> None:
    fs, src = make()
    d = fs.root().lookup("7")
    cwd = d.lookup("cwd")
    src.procs[7] = proc(7, state="Z")
    assert errno_of(cwd.readlink) == Errno.ENOENT
    assert errno_of(d.lookup("exe").readlink) == Errno.ENOENT
    assert list(d.lookup("fd").entries()) == []
    assert errno_of(walk, d, "fd/0") == Errno.ENOENT
    assert len(list(d.entries())) == 7  # the directory itself is still complete


def test_vanished_process() -> None:
    fs, src = make()
    root = fs.root()
    d = root.lookup("7")
    stat = d.lookup("stat")
    status = d.lookup("status")
    cwd = d.lookup("cwd")
    fdlink = walk(d, "fd/0")
    fd = d.lookup("fd")
    del src.procs[7]
    # As observed on Linux 6.x for a reaped process:
    assert errno_of(root.lookup, "7") == Errno.ENOENT
    assert "7" not in [e.name for e in root.entries()]
    assert errno_of(stat.read, 0, 100) == Errno.ESRCH
    assert errno_of(status.read, 0, 100) == Errno.ESRCH
    assert errno_of(d.lookup, "stat") == Errno.ESRCH
    assert errno_of(d.lookup, "nope") == Errno.ESRCH
    assert errno_of(d.mkdir, "x", 0o755) == Errno.ESRCH
    assert list(d.entries()) == []
    assert errno_of(fd.entries) == Errno.ENOENT
    assert errno_of(fd.lookup, "0") == Errno.ENOENT
    assert errno_of(cwd.readlink) == Errno.ENOENT
    assert errno_of(fdlink.readlink) == Errno.ENOENT
    assert stat.stat().filetype == FileType.REGULAR_FILE  # fstat still works
    assert d.stat().filetype == FileType.DIRECTORY


def test_reused_pid_is_another_process() -> None:
    fs, src = make()
    old = fs.root().lookup("7")
    old_stat = old.lookup("stat")
    src.procs[7] = proc(7, comm="newcomer", start_ns=99 * SEC)
    assert errno_of(old_stat.read, 0, 100) == Errno.ESRCH
    assert errno_of(old.lookup, "stat") == Errno.ESRCH
    assert text(fs, "7/stat").startswith("7 (newcomer) ")


# -- the fixed files ---------------------------------------------------------------------
def test_meminfo() -> None:
    fs, src = make()
    src.mem = (24_684_092 * 1024, 21_459_968 * 1024)
    assert text(fs, "meminfo") == (
        "MemTotal:       24684092 kB\n"
        "MemFree:        21459968 kB\n"
        "MemAvailable:   21459968 kB\n"
        "Buffers:               0 kB\n"
        "Cached:                0 kB\n"
        "SwapCached:            0 kB\n"
        "SwapTotal:             0 kB\n"
        "SwapFree:              0 kB\n"
        "Shmem:                 0 kB\n"
    )


def test_uptime_truncates_to_centiseconds() -> None:
    fs, src = make()
    assert text(fs, "uptime") == "1234.56 0.00\n"
    src.up_ns = 5 * SEC + 999_999_999
    assert text(fs, "uptime") == "5.99 0.00\n"
    src.up_ns = 30_000_000
    assert text(fs, "uptime") == "0.03 0.00\n"


def test_mounts() -> None:
    fs, src = make()
    src.mount_table = [
        ("", "/", "unionfs", "rw"),
        ("/srv/host dir", "/host", "hostfs", "rw,relatime"),
        ("tmpfs", "/tmp\tx\\y\nz", "ramfs", ""),
        ("proc", "/proc", "proc", "rw"),
    ]
    assert text(fs, "mounts") == (
        "none / unionfs rw 0 0\n"
        "/srv/host\\040dir /host hostfs rw,relatime 0 0\n"
        "tmpfs /tmp\\011x\\134y\\012z ramfs rw 0 0\n"
        "proc /proc proc rw 0 0\n"
    )


def test_cpuinfo_generic_without_host_file() -> None:
    fs, _ = make()
    assert text(fs, "cpuinfo") == (
        "processor\t: 0\nmodel name\t: unknown\n\nprocessor\t: 1\nmodel name\t: unknown\n\n"
    )


def test_cpuinfo_copies_the_host_model(tmp_path: Path) -> None:
    host = tmp_path / "cpuinfo"
    host.write_text(
        "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\n"
        "model name\t: Intel(R) Xeon(R) Processor\nstepping\t: 2\nflags\t\t: fpu vme\n\n"
        "processor\t: 1\nmodel name\t: Other\n\n"
    )
    fs = ProcFs(FakeSource(), cpuinfo_path=str(host), cpu_count=3)
    out = text(fs, "cpuinfo")
    block = (
        "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\n"
        "model name\t: Intel(R) Xeon(R) Processor\nstepping\t: 2\n\n"
    )
    assert out == "".join(f"processor\t: {n}\n{block}" for n in range(3))
    assert len(re.findall(r"^processor\t: \d+$", out, re.M)) == 3


def test_cpu_count_defaults_to_the_host() -> None:
    fs = ProcFs(FakeSource(), cpuinfo_path="/nonexistent")
    assert text(fs, "cpuinfo").count("processor\t:") == (os.cpu_count() or 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs a Linux /proc")
def test_formats_line_up_with_the_hosts_proc() -> None:
    """Our meminfo columns and status key order are the host kernel's."""
    fs, _ = make()
    host_mem = Path("/proc/meminfo").read_text().splitlines()
    ours = text(fs, "meminfo").splitlines()
    host_total = next(line for line in host_mem if line.startswith("MemTotal:"))
    assert len(host_total) == len(ours[0])
    assert host_total.index(" kB") == ours[0].index(" kB")
    host_keys = [line.split(":")[0] for line in Path("/proc/self/status").read_text().splitlines()]
    our_keys = [line.split(":")[0] for line in text(fs, "42/status").splitlines()]
    assert [k for k in host_keys if k in our_keys] == our_keys


def test_a_process_names_itself_through_its_comm() -> None:
    fs, _ = make()
    f = walk(fs.root(), "42/comm")
    assert f.stat().mode & 0o777 == 0o644
    assert f.write(0, b"renamed\n") == 8
    assert text(fs, "42/comm") == "renamed\n\n"  # the newline is part of the name, as Linux
    assert text(fs, "42/status").startswith("Name:\trenamed\\n\n")


# -- nothing else can be changed -------------------------------------------------------
def test_files_refuse_changes() -> None:
    fs, _ = make()
    root = fs.root()
    for path in ("cpuinfo", "meminfo", "mounts", "uptime"):
        f = walk(root, path)
        assert errno_of(f.write, 0, b"x") == Errno.EIO  # as Linux gives root
    for path in ("42/stat", "42/status", "42/cmdline", "7/comm"):  # 7: not the writer
        assert errno_of(walk(root, path).write, 0, b"x") == Errno.EINVAL
    for path in ("cpuinfo", "42/stat", "self", "42", "42/fd", "42/fd/0", "42/cwd", ""):
        node = walk(root, path) if path else root
        assert errno_of(node.chmod, 0o777) == Errno.EPERM, path
        assert errno_of(node.set_times, 1, 1) == Errno.EPERM, path
    for path in ("cpuinfo", "42/stat"):
        f = walk(root, path)
        assert errno_of(f.truncate, 0) == Errno.EACCES
        assert errno_of(f.allocate, 0, 10) == Errno.ENOTSUP
        assert read_all(f)  # still intact
    assert errno_of(root.lookup("42").truncate, 0) == Errno.EISDIR
    assert errno_of(root.lookup("42").read, 0, 1) == Errno.EISDIR
    assert errno_of(root.lookup("self").read, 0, 1) == Errno.EINVAL
    assert errno_of(root.lookup("cpuinfo").readlink) == Errno.EINVAL
    assert errno_of(root.lookup("cpuinfo").lookup, "x") == Errno.ENOTDIR


@pytest.mark.parametrize("where", ["", "42", "42/fd"])
def test_directories_refuse_changes(where: str) -> None:
    """The errnos Linux gives root on the real /proc (probed on 6.x)."""
    fs, _ = make()
    root = fs.root()
    d = walk(root, where) if where else root
    existing = {"": "cpuinfo", "42": "stat", "42/fd": "0"}[where]
    other = {"": "meminfo", "42": "status", "42/fd": "1"}[where]
    some_file = root.lookup("uptime")
    # A new name: proc's lookup fails before anything could be created.
    assert errno_of(d.create, "x", 0o644) == Errno.ENOENT
    assert errno_of(d.mkdir, "x", 0o755) == Errno.ENOENT
    assert errno_of(d.symlink, "x", "target") == Errno.ENOENT
    assert errno_of(d.link, "x", some_file) == Errno.ENOENT
    assert errno_of(d.link, "x", RamFs().root().create("f", 0o644)) == Errno.ENOENT
    # An existing name.
    assert errno_of(d.create, existing, 0o644) == Errno.EEXIST
    assert errno_of(d.mkdir, existing, 0o755) == Errno.EEXIST
    assert errno_of(d.symlink, existing, "target") == Errno.EEXIST
    assert errno_of(d.link, existing, some_file) == Errno.EEXIST
    # Removing.
    assert errno_of(d.unlink, "x") == Errno.ENOENT
    assert errno_of(d.unlink, existing) == Errno.EPERM
    assert errno_of(d.rmdir, "x") == Errno.ENOENT
    assert errno_of(d.rmdir, existing) == Errno.ENOTDIR
    # Renaming.
    assert errno_of(d.rename, "x", d, other) == Errno.ENOENT
    assert errno_of(d.rename, existing, d, "x") == Errno.ENOENT
    assert errno_of(d.rename, existing, d, other) == Errno.EPERM
    assert errno_of(d.rename, existing, root, "meminfo") == Errno.EPERM
    assert errno_of(d.rename, existing, RamFs().root(), "x") == Errno.EXDEV
    assert errno_of(d.create, "a/b", 0o644) == Errno.EINVAL
    assert errno_of(d.create, "", 0o644) == Errno.EINVAL


def test_removing_directories_and_links_is_eperm() -> None:
    fs, _ = make()
    root = fs.root()
    assert errno_of(root.rmdir, "42") == Errno.EPERM
    assert errno_of(root.unlink, "42") == Errno.EPERM
    assert errno_of(root.unlink, "self") == Errno.EPERM
    assert errno_of(root.rmdir, "self") == Errno.ENOTDIR
    assert errno_of(root.lookup("42").rmdir, "fd") == Errno.EPERM
    assert errno_of(root.rename, "42", root, "7") == Errno.EPERM


# -- through the VFS -----------------------------------------------------------------------
def make_vfs() -> tuple[Vfs, FakeSource]:
    ram = RamFs()
    r = ram.root()
    r.mkdir("proc", 0o555)
    r.mkdir("tmp", 0o777).create("x", 0o644).write(0, b"data")
    vfs = Vfs(ram)
    fs, src = make()
    vfs.mount("/proc", fs)
    return vfs, src


def test_self_through_the_vfs() -> None:
    vfs, src = make_vfs()
    top = vfs.root()
    link = vfs.resolve(top, "/proc/self", follow=False)
    assert link.inode.filetype == FileType.SYMBOLIC_LINK
    assert link.inode.readlink() == "42"
    me = vfs.resolve(top, "/proc/self")
    assert me.path == "/proc/42"
    stat = vfs.resolve(top, "/proc/self/stat")
    assert stat.path == "/proc/42/stat"
    assert read_all(stat.inode).startswith(b"42 (sh) R ")
    src.current = 7
    assert vfs.resolve(top, "/proc/self/stat").path == "/proc/7/stat"
    assert vfs.resolve(top, "/proc/self/..").path == "/proc"
    # cwd leads back into the root file system.
    cwd = vfs.resolve(top, "/proc/self/cwd")
    assert cwd.path == "/tmp"
    assert cwd.inode.lookup("x").read(0, 4) == b"data"
    assert read_all(vfs.resolve(top, "/proc/42/fd/3").inode) == b"data"
    src.current = 0
    assert errno_of(vfs.resolve, top, "/proc/self") == Errno.ENOENT


def test_fd_links_through_the_vfs() -> None:
    vfs, _ = make_vfs()
    link = vfs.resolve(vfs.root(), "/proc/self/fd/3", follow=False)
    assert link.path == "/proc/42/fd/3"
    assert link.inode.alias_fd == 3
    assert link.inode.readlink() == "/tmp/x"
    assert vfs.resolve(vfs.root(), "/proc/7/fd/0", follow=False).inode.alias_fd is None


def test_mounted_stat_carries_the_mount_device() -> None:
    vfs, _ = make_vfs()
    proc_mount = next(m for m in vfs.mounts if m.path == "/proc")
    assert vfs.resolve(vfs.root(), "/proc/cpuinfo").inode.stat().dev == proc_mount.fs.dev
    assert vfs.resolve(vfs.root(), "/proc").inode.stat().ino == 1
