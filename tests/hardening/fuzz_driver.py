"""The syscall fuzzer's driver (issue 16, item 1): tests/hardening/test_fuzz_syscalls.py.

* :func:`table_header` turns the kernel's syscall table into ``fuzz_table.h``:
  one wasm import and one argument-drawing function per call, slot by slot
  (an fd slot draws fds, a path slot paths, an iovec slot iovec arrays...), so
  the guest ``tests/programs/fuzz_syscalls.c`` calls every import the kernel
  serves except :data:`EXCLUDED`, and follows the table as it grows.
* :func:`fuzz_instance` builds an instance with the fuzzer and an innocent
  bystander program (``tests/programs/fuzz_bystander.c``).
* :func:`run_fuzz` boots it once, runs fuzzer processes (some with threads)
  and a bystander side by side, pokes every fuzzer thread with SIGUSR2 every
  few milliseconds (a call that blocks gets EINTR, so nothing waits forever),
  and reports: calls made, how each process ended, and every kernel bug the
  kernel logged (:attr:`pyocclum.kernel.Kernel.bugs`: a Python exception that
  escaped a handler and killed its caller).
* :func:`fsck` walks a mounted file system: every entry looked up, its type
  and inode as its directory says, every regular file read (sefs and the
  integrity image check their MACs and hashes on the way), every symlink read.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import wasmtime
from wasi_diff_harness import run_captured

from pyocclum.abi.signals import Signal
from pyocclum.abi.wasi import FileType
from pyocclum.boot import Instance
from pyocclum.boot.program import start_program
from pyocclum.config.runtime import RuntimeConfig
from pyocclum.config.template import new_instance
from pyocclum.errors import KernelError
from pyocclum.fs.stdio import BytesInputStream
from pyocclum.fs.types import FileSystem, Inode, Stream
from pyocclum.kernel import Kernel
from pyocclum.kernel.process import Process
from pyocclum.syscalls import syscall_table
from pyocclum.syscalls.spec import Kind, Slot, Syscall
from pyocclum.syscalls.threads import ThreadSyscalls

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
CC = Path(sys.executable).parent / "occlum-cc"
FUZZER = "fuzz_syscalls"
BYSTANDER = "fuzz_bystander"
#: Two threads blocked for ever (the regression test of a kernel bug in a threaded process).
BLOCKED = "fuzz_blocked"

#: Imports the fuzzer never calls, and why: each would end the fuzzer by design.
EXCLUDED: dict[tuple[str, str], str] = {
    ("wasi_snapshot_preview1", "proc_exit"): "ends the process",
    ("occlum", "thread_exit"): "ends the calling thread",
    ("occlum", "thread_spawn"): "starts a thread at a random start argument: the new "
    "thread's libocclum entry would trap, and a trapping thread ends its process",
}

#: fd-like slot names.
_FD = {"fd", "dirfd", "epfd", "old_fd", "new_fd", "to", "newfd", "olddirfd", "newdirfd"}
#: u64/s64 slot names that are offsets, sizes or times.
_OFF = {"offset", "len", "size", "atim", "mtim", "precision"}


#: Calls that reserve disk space: on /host a real posix_fallocate, which fills the
#: host's disk (ext4 keeps what it allocated before ENOSPC), so lengths stay small.
_ALLOCATE = ("fd_allocate", "fallocate")

#: Generators whose values are tamed (signals only to oneself, never SIGKILL, the
#: poke never blocked, handlers that exist): their arguments never get raw values.
_GUARDED = ("g_sig", "g_pid(", "g_wasi_raise", "g_sigact", "g_sigset_in", "g_sigmask",
            "g_alloc", "g_exec_only")


#: Which wasm parameters of a slot are guest pointers.
_POINTERS: dict[Kind, tuple[int, ...]] = {
    Kind.STR: (0,), Kind.BYTES: (0,), Kind.IOV_IN: (0,), Kind.IOV_OUT: (0,),
    Kind.BUF_OUT: (0,), Kind.OUT_LEN: (0,), Kind.OUT_U32: (0,), Kind.OUT_U64: (0,),
    Kind.OUT_STRUCT: (0,), Kind.OUT_STRUCT_OPT: (0,), Kind.OUT_STR_ARRAY: (0, 1),
    Kind.STR_ARRAY: (0,), Kind.ARRAY_IN: (0,), Kind.STRUCT_IN: (0,), Kind.POLL: (0, 1, 3),
}


#: Plausible values of flag and enum slots, by (call, slot) or by slot name: mostly
#: valid (so calls get past their argument checks and into the file systems,
#: sockets and timers), else any value (``g_pick`` takes one at random, and a raw
#: value one time in four).
_CHOICES: dict[str, tuple[int, ...]] = {
    # WASI
    "path_open.oflags": (0, 1, 2, 4, 8, 1 | 8, 1 | 4, 2 | 1),
    "path_open.fdflags": (0, 1, 4, 16, 1 | 4),
    "dirflags": (0, 1), "old_flags": (0, 1), "path_filestat_get.flags": (0, 1),
    "path_filestat_set_times.flags": (0, 1),
    "fst_flags": (1, 2, 4, 8, 5, 10, 1 | 2, 15),
    "fd_fdstat_set_flags.flags": (0, 1, 4, 1 | 4, 16),
    "whence": (0, 1, 2, 3), "advice": (0, 1, 2, 3, 4, 5),
    "id": (0, 1, 2, 3), "clock": (0, 1, 2, 3, 7, 9),
    "ri_flags": (0, 1, 2), "si_flags": (0,),
    "sock_shutdown.how": (1, 2, 3), "sock_accept.flags": (0, 4),
    # occlum (Linux values)
    "openat.flags": (0, 1, 2, 0x41, 0x42, 0x241, 0x442, 0xC2, 0x10000, 0x20000, 0x200000,
                     0x410002, 0x80002, 0x802),
    "open_tmpfile.flags": (0x410002, 0x410001, 0x410082, 2, 0),
    "fstatat.flags": (0, 0x100, 0x1000, 0x800), "statfs.flags": (0, 0x100, 0x1000),
    "fchmodat.flags": (0, 0x100), "fchownat.flags": (0, 0x100, 0x1000),
    "faccessat.flags": (0, 0x200, 0x100), "faccessat.mode": (0, 1, 2, 4, 7),
    "unlinkat.flags": (0, 0x200), "linkat.flags": (0, 0x400, 0x1000),
    "renameat2.flags": (0, 1, 2, 4), "utimensat.flags": (0, 0x100),
    "mode": (0o644, 0o755, 0o600, 0o777, 0o4755, 0o1777, 0),
    "pipe2.flags": (0, 0x800, 0x80000, 0x4000), "dup3.flags": (0, 0x80000),
    "eventfd2.flags": (0, 0x800, 0x80000, 1, 0x801),
    "epoll_create1.flags": (0, 0x80000), "epoll_ctl.op": (1, 2, 3),
    "timerfd_create.flags": (0, 0x800, 0x80000), "timerfd_settime.flags": (0, 1, 2),
    "fcntl.cmd": (0, 1, 2, 3, 4, 5, 6, 7, 1030, 1024, 1025, 1031, 1032, 1033),
    "lock.cmd": (5, 6, 7, 36, 37, 38), "flock.op": (1, 2, 8, 5, 6, 12),
    "wait4.options": (0, 1, 2, 8, 1 | 2, 0x40000000 | 1, 0x80000000 | 1),
    "socket.domain": (1, 2, 10), "socketpair.domain": (1, 1, 2),
    "socket.type": (1, 2, 5, 0x801, 0x80001, 3), "socketpair.type": (1, 2, 5, 0x801),
    "protocol": (0, 0, 6, 17), "level": (1, 6, 0, 41), "shutdown.how": (0, 1, 2),
    "sendmsg.flags": (0, 0x40, 0x4000), "recvmsg.flags": (0, 0x40, 0x2, 0x100),
    "accept4.flags": (0, 0x800, 0x80000),
    "resource": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    "setitimer.which": (0, 1, 2), "sigprocmask.how": (0, 1, 2),
    "getpriority.which": (0, 1, 2), "setpriority.which": (0, 1, 2),
    "umask.mask": (0o022, 0o077, 0, 0o777),
    "fallocate.mode": (0, 1, 3, 0x8, 0x10, 0x20),
    "getsockopt.name": tuple(range(1, 40)), "setsockopt.name": tuple(range(1, 40)),
}


def _choice(sc: Syscall, slot: Slot) -> tuple[int, ...] | None:
    return _CHOICES.get(f"{sc.name}.{slot.name}") or _CHOICES.get(slot.name)


def _pick(values: tuple[int, ...]) -> str:
    listed = ", ".join(f"{v:#x}u" for v in values)
    return f"g_pick((const u32[]){{{listed}}}, {len(values)})"


def _i32_arg(sc: Syscall, slot: Slot) -> str:
    """C expression drawing one 32-bit argument for ``slot`` of ``sc``."""
    n = slot.name
    values = _choice(sc, slot)
    if values is not None:
        return f"(i32){_pick(values)}"
    if n in _FD:
        return "(i32)g_fd()"
    if n == "sig":
        if sc.name == "proc_raise":
            return "(i32)g_wasi_raise()"
        if sc.name == "sigaction":
            return "(i32)g_sigaction_sig()"
        return "g_sig()"
    if n == "pid" and sc.name in ("kill", "sigqueueinfo"):
        return "g_pid()"
    if n in ("pid", "pgid", "who"):
        return "g_anypid()"
    if n == "tid":
        return "g_tid()"
    if "flags" in n or n in ("mode", "options", "how", "cmd", "op", "mask"):
        return "(i32)g_flags()"
    return "(i32)g_u32()"


def _i64_arg(sc: Syscall, slot: Slot) -> str:
    n = slot.name
    if sc.name in _ALLOCATE:
        return "g_alloc_len()" if n == "len" else "g_alloc_off()"
    if n == "timeout_ns":
        return "g_timeout()"
    if n == "mask":
        return "(i64)g_sigmask()"
    if n in _OFF:
        return "(i64)g_off()"
    if "rights" in n or n in ("base", "inheriting"):
        return "(i64)(one_in(2) ? ~0ull : g_u64())"
    if n == "cookie":
        return "(i64)(one_in(4) ? g_u64() : below(8))"
    return "(i64)g_u64()"


def _slot_code(sc: Syscall, slot: Slot, args: list[str]) -> list[str]:
    """C statements that draw the wasm arguments of ``slot`` into ``args`` names."""
    k = slot.kind
    a = args
    if k in (Kind.U32, Kind.S32):
        return [f"{a[0]} = {_i32_arg(sc, slot)};"]
    if k in (Kind.U64, Kind.S64):
        return [f"{a[0]} = {_i64_arg(sc, slot)};"]
    if k is Kind.STR:
        if slot.name == "path" and sc.name in ("spawn", "execve"):
            if sc.name == "execve":  # tamed: an execve that worked would end the fuzzer
                return [f"g_exec_path(&{a[0]}, &{a[1]}, 0); /* g_exec_only */"]
            return [f"g_exec_path(&{a[0]}, &{a[1]}, 1);"]
        return [f"g_path(&{a[0]}, &{a[1]});"]
    if k is Kind.BYTES:
        if slot.name == "addr":
            return [f"g_addr(&{a[0]}, &{a[1]});"]
        return [f"g_bytes(&{a[0]}, &{a[1]});"]
    if k in (Kind.IOV_IN, Kind.IOV_OUT):
        return [f"g_iov(&{a[0]}, &{a[1]});"]
    if k is Kind.BUF_OUT:
        return [f"g_buf(&{a[0]}, &{a[1]});"]
    if k in (Kind.OUT_LEN, Kind.OUT_U32):
        return [f"{a[0]} = g_out(4);"]
    if k is Kind.OUT_U64:
        return [f"{a[0]} = g_out(8);"]
    if k in (Kind.OUT_STRUCT, Kind.OUT_STRUCT_OPT):
        assert slot.layout is not None
        size = slot.layout.size
        if k is Kind.OUT_STRUCT_OPT:
            return [f"{a[0]} = one_in(4) ? 0 : g_out({size});"]
        return [f"{a[0]} = g_out({size});"]
    if k is Kind.OUT_STR_ARRAY:
        return [f"{a[0]} = g_out(64);", f"{a[1]} = g_out(512);"]
    if k is Kind.STR_ARRAY:
        return [f"g_strarr(&{a[0]}, &{a[1]});"]
    if k is Kind.ARRAY_IN:
        assert slot.layout is not None
        return [f"g_array({slot.layout.size}, &{a[0]}, &{a[1]});"]
    if k is Kind.STRUCT_IN:
        assert slot.layout is not None
        if sc.name == "sigaction":
            return [f"{a[0]} = g_sigact();"]
        if slot.name in ("set", "sigmask"):
            return [f"{a[0]} = g_sigset_in();"]
        return [f"{a[0]} = g_struct_in({slot.layout.size});"]
    if k is Kind.POLL:
        return [f"g_poll(&{a[0]}, &{a[1]}, &{a[2]}, &{a[3]});"]
    raise AssertionError(f"no generator for {k}")


def fuzzed_calls(table: list[Syscall]) -> list[Syscall]:
    """The table's calls the fuzzer makes: all but :data:`EXCLUDED`."""
    return [sc for sc in table if (sc.module, sc.name) not in EXCLUDED]


def table_header(table: list[Syscall]) -> str:
    """``fuzz_table.h``: an import and a drawing function per fuzzed call, and the
    array ``FZ_CALLS`` of those functions (``FZ_NCALLS`` of them)."""
    out = ["/* Generated by tests/hardening/fuzz_driver.py from the syscall table. */"]
    names = []
    for i, sc in enumerate(fuzzed_calls(table)):
        types = ["i64" if t == "i64" else "i32" for t in sc.wasm_params]
        ret = "void" if sc.returns == "none" else "i32"
        params = ", ".join(types) or "void"
        out.append(f'IMPORT("{sc.module}", "{sc.name}") {ret} imp_{i}({params});')
        body: list[str] = []
        argnames = [f"a{j}" for j in range(len(types))]
        if argnames:
            decl = [f"{t} {n};" for t, n in zip(types, argnames, strict=True)]
            body.extend(decl)
        at = 0
        free: list[int] = []  # arguments that may take any value
        pointers: set[int] = set()
        for slot in sc.slots:
            count = slot.wasm_params
            code = _slot_code(sc, slot, argnames[at:at + count])
            body.extend(code)
            if not any(g in line for line in code for g in _GUARDED):
                free.extend(range(at, at + count))
            pointers.update(at + k for k in _POINTERS.get(slot.kind, ()))
            at += count
        # Now and then, one argument that may take any value gets a raw edge value
        # (a pointer an edge pointer: never one into the fuzzer's own data).
        if free:
            body.append(f"if (one_in(8)) {{ switch (below({len(free)})) {{")
            for c, j in enumerate(free):
                if j in pointers:
                    edge = "(i32)g_edge_ptr()"
                else:
                    edge = "(i64)g_u64()" if types[j] == "i64" else "(i32)g_u32()"
                body.append(f"case {c}: {argnames[j]} = {edge}; break;")
            body.append("} }")
        if sc.name == "sigsuspend":
            # Three times in four a poke is already pending, and it returns at once;
            # else it waits for the driver's.
            body.append("if (!one_in(4)) fz_tkill(fz_gettid(), SIGUSR2);")
        call = f"imp_{i}({', '.join(argnames)})"
        body.append(f"{call};" if ret == "void" else f"(void){call};")
        out.append(f"static void fz_{i}(void) {{ /* {sc.module}.{sc.name} */")
        out.extend(f"    {line}" for line in body)
        out.append("}")
        names.append(f"fz_{i}")
    out.append(f"#define FZ_NCALLS {len(names)}u")
    out.append("static void (*const FZ_CALLS[FZ_NCALLS])(void) = {")
    out.extend(f"    {n}," for n in names)
    out.append("};")
    return "\n".join(out) + "\n"


def kernel_table() -> list[Syscall]:
    """The syscall table of a kernel (what every process may import)."""
    return syscall_table(Kernel(None, None))  # type: ignore[arg-type]  # handlers only bind


def _compile(source: Path, out: Path, include: Path | None,
             threads: bool) -> subprocess.Popen[str]:
    """Start occlum-cc on ``source`` (warnings are errors); :func:`_finish` waits."""
    cmd = [str(CC), "-O2", "-Wall", "-Wextra", "-Werror"]
    if threads:
        cmd.append("-pthread")
    if include is not None:  # the fuzzer: a big stack, its far end unused (fuzz_syscalls.c)
        cmd.append(f"-Wl,-z,stack-size={STACK_SIZE}")
        cmd += ["-I", str(include)]
    cmd += [str(source), "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(build: subprocess.Popen[str]) -> None:
    _, err = build.communicate(timeout=600)
    assert build.returncode == 0, f"{build.args!r}: {err}"


#: The fuzzer's stack: the linker puts it first, at address 0 and growing down
#: from here, so the kernel may write to the first few hundred KiB (at a null or
#: small edge pointer) without touching anything the fuzzer uses.
STACK_SIZE = 2 << 20

#: Sockets may reach loopback only: fuzzed addresses never leave the machine.
NETWORK = {"bind": ["127.0.0.1:*", "[::1]:*"], "connect": ["127.0.0.1:*", "[::1]:*"]}


def fuzz_instance(folder: Path) -> Instance:
    """A built instance with ``/bin/fuzz_syscalls`` and ``/bin/fuzz_bystander``."""
    import json

    new_instance(folder)
    config_path = folder / "Occlum.json"
    config = json.loads(config_path.read_text())
    config["network"] = NETWORK
    config_path.write_text(json.dumps(config, indent=2))
    gen = folder / "gen"
    gen.mkdir()
    (gen / "fuzz_table.h").write_text(table_header(kernel_table()))
    bin_dir = folder / "image" / "bin"
    builds = [
        _compile(PROGRAMS / f"{FUZZER}.c", bin_dir / FUZZER, gen, threads=True),
        _compile(PROGRAMS / f"{BYSTANDER}.c", bin_dir / BYSTANDER, None, threads=False),
        _compile(PROGRAMS / f"{BLOCKED}.c", bin_dir / BLOCKED, None, threads=True),
    ]
    for build in builds:
        _finish(build)
    inst = Instance(folder)
    inst.build()
    return inst


@dataclass
class Ended:
    """How one process ended."""

    argv: list[str]
    status: int | None
    reason: str
    stdout: bytes
    stderr: bytes


@dataclass
class FuzzReport:
    seed: int
    #: Calls made by the fuzzer processes that finished (all their calls made).
    calls: int = 0
    seconds: float = 0.0
    fuzzers: list[Ended] = field(default_factory=list)
    bystanders: list[Ended] = field(default_factory=list)
    #: Kernel bugs logged (a Python exception escaped a handler).
    bugs: list[str] = field(default_factory=list)
    #: Processes still running at the deadline.
    hung: list[str] = field(default_factory=list)
    #: Problems the live fsck found in the mounted file systems.
    fsck_live: list[str] = field(default_factory=list)
    pokes: int = 0
    #: The fuzzers were stopped: they had used more than DISK_BUDGET of the disk.
    disk_exceeded: bool = False
    #: The fuzzers were stopped: the host process had grown past RSS_BUDGET.
    rss_exceeded: bool = False
    #: The most resident memory of the host process, and disk of the instance, seen.
    peak_rss: int = 0
    peak_disk: int = 0


class Tail(Stream):
    """An output stream that keeps only the last :data:`TAIL` bytes written (a
    fuzzer writes whatever it likes to its stdout, and a lot of it)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.total = 0

    def write(self, data: bytes) -> int:
        self.total += len(data)
        self.buf += data
        del self.buf[:-TAIL]
        return len(data)

    def getvalue(self) -> bytes:
        return bytes(self.buf)


TAIL = 4096


#: The fuzzers are stopped if the instance folder grows past this on the disk.
DISK_BUDGET = 4 << 30


#: ... or if this host process's resident memory grows past this.
RSS_BUDGET = 4 << 30


def host_rss() -> int:
    """Resident bytes of this (the LibOS's) host process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """No host file this process writes may grow past ``limit`` bytes (RLIMIT_FSIZE,
    SIGXFSZ ignored: the write fails with EFBIG instead), for the time of the block.
    A safety net for the machine: one fuzz run grew the encrypted root's node file
    to 70 GB, past what the driver's once-a-half-second disk check could stop."""
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    new = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_FSIZE, (new, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


def host_data() -> int:
    """This process's data segment as the kernel counts it for RLIMIT_DATA
    (``VmData``: private writable mappings, touched or not)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmData:"):
                return int(line.split()[1]) << 10
    return 0


@contextlib.contextmanager
def memory_limit(extra: int) -> Iterator[None]:
    """No more than ``extra`` bytes of data may this process map beyond what it
    has now (RLIMIT_DATA), for the time of the block: past it, an allocation
    fails (a MemoryError in the call that made it, which the dispatcher reports
    as a kernel bug naming the call) instead of growing the host process until
    the OOM killer ends it. The driver's RSS check, a Python thread, cannot stop
    one call that allocates gigabytes at once: a run grew to 17 GB in one call.
    wasmtime's reservations for linear memories are not counted (they are not
    writable), only what the guests' memories use, within their limits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    new = host_data() + extra
    if hard != resource.RLIM_INFINITY:
        new = min(new, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (new, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def disk_used(folder: Path) -> int:
    """Bytes of disk the files below ``folder`` take (``du``: holes not counted)."""
    total = 0
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            with contextlib.suppress(OSError):  # removed meanwhile
                total += os.lstat(os.path.join(top, name)).st_blocks * 512
    return total


#: How often the guard looks at the host process's RSS, and at the disk.
RSS_PERIOD = 0.02
DISK_PERIOD = 0.25


class _Poker:
    """Sends SIGUSR2 to every thread of the fuzzer processes every ``period`` s;
    and, from a thread of its own (the pokes queue behind the fuzzers for the
    GIL), SIGKILL to all of them if the instance folder ``folder`` (its
    encrypted root, its /host) takes more than :data:`DISK_BUDGET` of the disk
    or this process's RSS grows past :data:`RSS_BUDGET` (a fuzzer must not fill
    the disk or the memory of the machine it runs on; :attr:`disk_exceeded` and
    :attr:`rss_exceeded` say it happened, :attr:`peak_rss` and
    :attr:`peak_disk` what was seen). One call that allocates at once is
    stopped by :func:`memory_limit` and :func:`file_size_limit`, not here."""

    def __init__(self, kernel: Kernel, procs: list[Process], period: float,
                 folder: Path) -> None:
        self.kernel = kernel
        self.procs = procs
        self.period = period
        self.folder = folder
        self.disk_exceeded = False
        self.rss_exceeded = False
        self.peak_rss = 0
        self.peak_disk = 0
        self.stop = threading.Event()
        self.pokes = 0
        self.tkill = ThreadSyscalls(kernel).tkill
        self.thread = threading.Thread(target=self._run, name="fuzz-poker", daemon=True)
        self.guard = threading.Thread(target=self._guard, name="fuzz-guard", daemon=True)

    def start(self) -> None:
        self.thread.start()
        self.guard.start()

    def join(self) -> None:
        self.stop.set()
        self.thread.join()
        self.guard.join()

    def _guard(self) -> None:
        next_disk = 0.0
        while not self.stop.wait(RSS_PERIOD):
            rss = host_rss()
            self.peak_rss = max(self.peak_rss, rss)
            if rss > RSS_BUDGET:
                self.rss_exceeded = True
            if time.monotonic() >= next_disk:
                used = disk_used(self.folder)
                self.peak_disk = max(self.peak_disk, used)
                if used > DISK_BUDGET:
                    self.disk_exceeded = True
                next_disk = time.monotonic() + DISK_PERIOD
            if self.disk_exceeded or self.rss_exceeded:
                for proc in self.procs:
                    self.kernel.send_signal(proc, int(Signal.SIGKILL))

    def _run(self) -> None:
        while not self.stop.wait(self.period):
            for proc in self.procs:
                if proc.done.is_set():
                    continue
                for t in proc.threads.others(None):
                    try:
                        self.tkill(proc, t.tid, int(Signal.SIGUSR2))
                        self.pokes += 1
                    except KernelError:
                        pass  # it ended meanwhile


def start(kernel: Kernel, argv: list[str],
          config: RuntimeConfig) -> tuple[Process, Tail, Tail]:
    """Start ``argv`` in ``kernel`` as ``occlum run`` starts its program, its stdout
    and stderr kept in :class:`Tail` streams."""
    out, err = Tail(), Tail()
    proc = start_program(kernel, config, argv, [], (BytesInputStream(b""), out, err))
    return proc, out, err


def run_fuzz(
    instance: Instance,
    *,
    seed: int,
    processes: int,
    threads: int,
    calls: int,
    timeout: float,
    bystander_rounds: int = 200,
    poke_period: float = 0.005,
) -> FuzzReport:
    """Boot ``instance`` and fuzz it: ``processes`` fuzzers (the first ones with
    ``threads`` threads each, the others single-threaded), each thread making
    ``calls`` calls, next to a bystander; then a second bystander once the
    fuzzers are done (the LibOS still works), then a live fsck of every mount."""
    report = FuzzReport(seed)
    with instance.booted() as booted:
        kernel = booted.kernel
        started = time.monotonic()
        fuzzers: list[tuple[list[str], Process, Tail, Tail]] = []
        for p in range(processes):
            t = threads if p % 2 == 0 else 1
            argv = [f"/bin/{FUZZER}", str(seed * 1000 + p), str(calls), str(t)]
            proc, out, err = start(kernel, argv, booted.config)
            fuzzers.append((argv, proc, out, err))
        by_argv = [f"/bin/{BYSTANDER}", str(bystander_rounds)]
        by, by_out, by_err = start(kernel, by_argv, booted.config)
        poker = _Poker(kernel, [f[1] for f in fuzzers], poke_period, instance.path)
        poker.start()
        deadline = started + timeout
        try:
            for _argv, proc, _out, _err in fuzzers:
                proc.done.wait(max(0.0, deadline - time.monotonic()))
            by.done.wait(max(0.0, deadline - time.monotonic()))
        finally:
            poker.join()
        report.pokes = poker.pokes
        report.disk_exceeded = poker.disk_exceeded
        report.rss_exceeded = poker.rss_exceeded
        report.peak_rss = poker.peak_rss
        report.peak_disk = poker.peak_disk
        report.seconds = time.monotonic() - started
        for argv, proc, out, err in fuzzers:
            if not proc.done.is_set():  # all of its threads have ended
                report.hung.append(" ".join(argv))
            reason = proc.death_reason or ""
            if proc.argv[1:] != [a.encode() for a in argv[1:]]:  # it became another program
                reason += f" (after an execve: {proc.path} {proc.argv!r})"
            ended = Ended(argv, proc.status, reason, out.getvalue(), err.getvalue())
            report.fuzzers.append(ended)
            if proc.status == 0:
                report.calls += calls * int(argv[3])
        report.bystanders.append(Ended(by_argv, by.status, by.death_reason or "",
                                       by_out.getvalue(), by_err.getvalue()))
        if not by.done.is_set():
            report.hung.append(" ".join(by_argv))
        if not report.hung:
            # The LibOS still works: a second bystander, after the storm.
            after, a_out, a_err = start(kernel, by_argv, booted.config)
            after.done.wait(60)
            report.bystanders.append(Ended(by_argv, after.status, after.death_reason or "",
                                           a_out.getvalue(), a_err.getvalue()))
            if not after.done.is_set():
                report.hung.append("the bystander after the fuzzers")
        for mount in kernel.vfs.mounts:
            if mount.path.startswith("/proc") and report.hung:
                continue
            report.fsck_live += [f"{mount.path}: {p}" for p in fsck(mount.fs)]
        report.bugs = list(kernel.bugs)
    return report


# -- fsck --------------------------------------------------------------------------------
#: Bytes read of each end of a regular file (all of it if it is smaller than twice this).
READ_EDGE = 1 << 20


#: File systems whose files are made up on each read (their sizes are 0, some
#: need a calling process): fsck lists and looks them up but reads nothing.
SYNTHETIC = ("ProcFs", "DevFs")


def fsck(fs: FileSystem) -> list[str]:
    """Problems found walking ``fs`` from its root (empty: clean).

    Every directory entry must look up to an inode of the type and number the
    directory lists; names are unique and never ``.``, ``..``, empty or with a
    ``/``; a directory is reached once (no directory hard links, no cycles);
    a regular file reads back as long as its size says (its first and last
    MiB: the file systems with MACs or hashes check them as they read); a
    symlink has a target. Any exception is a problem, with its path.
    """
    problems: list[str] = []
    seen_dirs: set[int] = set()
    synthetic = type(fs).__name__ in SYNTHETIC

    def walk(inode: Inode, path: str) -> Iterator[tuple[Inode, str]]:
        yield inode, path
        if inode.filetype != FileType.DIRECTORY:
            return
        ino = inode.ino
        if ino in seen_dirs:
            problems.append(f"{path}: directory {ino} reached twice")
            return
        seen_dirs.add(ino)
        entries = list(inode.entries())
        names = [e.name for e in entries]
        if len(set(names)) != len(names):
            problems.append(f"{path}: duplicate names in {sorted(names)}")
        for e in entries:
            where = f"{path.rstrip('/')}/{e.name}"
            if not e.name or e.name in (".", "..") or "/" in e.name:
                problems.append(f"{where}: bad name {e.name!r}")
                continue
            try:
                child = inode.lookup(e.name)
                st = child.stat()
            except KernelError as err:
                # /proc/self and the like need a calling process: none here.
                if not synthetic:
                    problems.append(f"{where}: {err}")
                continue
            if st.filetype != e.filetype:
                problems.append(f"{where}: listed as {e.filetype.name}, is {st.filetype.name}")
            if e.ino and st.ino != e.ino:
                problems.append(f"{where}: listed as inode {e.ino}, is {st.ino}")
            yield from walk(child, where)

    def check(inode: Inode, path: str) -> None:
        st = inode.stat()
        if synthetic:
            return
        if st.filetype == FileType.REGULAR_FILE:
            size = st.size
            spans = [(0, size)] if size <= 2 * READ_EDGE else [
                (0, READ_EDGE), (size - READ_EDGE, READ_EDGE)]
            for offset, n in spans:
                got = inode.read(offset, n)
                if len(got) != n:
                    problems.append(f"{path}: read {len(got)} of {n} bytes at {offset}"
                                    f" (size {size})")
            if inode.read(size, 16):
                problems.append(f"{path}: data past its size {size}")
        elif st.filetype == FileType.SYMBOLIC_LINK and not inode.readlink():
            problems.append(f"{path}: empty symlink")

    it = walk(fs.root(), "/")
    while True:
        try:
            inode, path = next(it)
        except StopIteration:
            break
        except Exception as e:  # a problem in a listing or a lookup
            problems.append(f"walking: {type(e).__name__}: {e}")
            break
        try:
            check(inode, path)
        except Exception as e:
            problems.append(f"{path}: {type(e).__name__}: {e}")
    return problems


# -- replaying calls ---------------------------------------------------------------------
class Replayed(NamedTuple):
    """How a replayed call sequence ended."""

    status: int | None
    reason: str
    bugs: list[str]


def replay(calls: list[tuple[str, str, tuple[int, ...]]], data: bytes = b"",
           root: FileSystem | None = None) -> Replayed:
    """Run a module that makes ``calls`` (import module, name, wasm arguments) in
    order, with ``data`` at address 1024 of its one page of memory, and exits with
    the low byte of the last call's result (0 if it returns nothing), in a fresh
    kernel whose root is ``root`` (a new RamFs if None). For regression tests of
    what the fuzzer found: a bug shows as ``bugs`` and a process killed with SIGKILL."""
    from pyocclum.fs.ramfs import RamFs

    table = {(sc.module, sc.name): sc for sc in kernel_table()}
    imports, body = [], []
    for i, (mod, name, args) in enumerate(calls):
        sc = table[(mod, name)]
        params = " ".join(sc.wasm_params)
        result = "" if sc.returns == "none" else "(result i32)"
        imports.append(f'(import "{mod}" "{name}" (func $f{i} (param {params}) {result}))')
        consts = " ".join(f"({t}.const {a})" for t, a in zip(sc.wasm_params, args, strict=True))
        body.append(f"(local.set $r (call $f{i} {consts}))" if result else f"(call $f{i} {consts})")
    hexdata = "".join(f"\\{b:02x}" for b in data)
    wat = f"""(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      {' '.join(imports)}
      (memory (export "memory") 1)
      (data (i32.const 1024) "{hexdata}")
      (func (export "_start") (local $r i32)
        {' '.join(body)}
        (call $exit (i32.and (local.get $r) (i32.const 255)))))"""
    image = bytes(wasmtime.wat2wasm(wat))
    fs = root if root is not None else RamFs()
    if fs.root().find("bin") is None:
        fs.root().mkdir("bin", 0o755)
    fs.root().lookup("bin").create("replay", 0o755).write(0, image)
    kernel, proc, _ = run_captured(fs, "/bin/replay")
    if not proc.done.is_set():
        kernel.shutdown()
        return Replayed(None, "hung", list(kernel.bugs))
    return Replayed(proc.status, proc.death_reason or "", list(kernel.bugs))
