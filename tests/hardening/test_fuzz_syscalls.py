"""Issue 16, item 1: the syscall fuzzer (tests/hardening/fuzz_driver.py,
tests/programs/fuzz_syscalls.c).

Fuzzer processes, some with threads, call every import of the kernel's
syscall table with random and boundary arguments, next to an innocent
bystander. Pass: no Python exception escaped the kernel (``Kernel.bugs`` and
the ERROR log are empty), no process hung, every fuzzer made all its calls
and ended normally, both bystanders (one during the storm, one after) saw a
LibOS that works, and every file system is clean to :func:`fuzz_driver.fsck`,
mounted and again after a fresh mount. The seed is in every failure message;
``PYOCCLUM_FUZZ_SEED=N`` runs that seed again.

Below it, one regression test per bug the fuzzer found, replaying its calls.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fuzz_driver import (
    BLOCKED,
    DISK_BUDGET,
    EXCLUDED,
    RSS_BUDGET,
    FuzzReport,
    disk_used,
    file_size_limit,
    fsck,
    fuzz_instance,
    fuzzed_calls,
    kernel_table,
    memory_limit,
    replay,
    run_fuzz,
    start,
)

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_signaled
from pyocclum.boot import Instance
from pyocclum.boot.instance import Booted
from pyocclum.errors import KernelError
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.types import TIME_MAX, TIME_MIN, FileSystem
from pyocclum.kernel.process import Process, set_current_process
from pyocclum.kernel.signals import IntervalTimer
from pyocclum.kernel.timers import Timers
from pyocclum.wasm.host import _bug
from pyocclum.wasm.signals import deliver_from_epoch, run_handlers

WASI = "wasi_snapshot_preview1"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    return fuzz_instance(tmp_path_factory.mktemp("fuzz") / "inst")


class _Errors(logging.Handler):
    """The records of the ``pyocclum`` loggers that report a kernel bug: "kernel
    bug" (Kernel.log_bug) or a traceback (``log.exception``, as the asynchronous
    signal delivery logs one). Other ERROR records (a network policy refusal)
    are what a guest may cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info is not None or "kernel bug" in record.getMessage():
            self.records.append(self.format(record))


@pytest.fixture
def logged_errors() -> Iterator[list[str]]:
    handler = _Errors()
    logger = logging.getLogger("pyocclum")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def _seed() -> int:
    given = os.environ.get("PYOCCLUM_FUZZ_SEED")
    return int(given) if given else random.SystemRandom().randrange(1, 1 << 31)


def _summary(r: FuzzReport) -> str:
    lines = [f"seed {r.seed} (rerun: PYOCCLUM_FUZZ_SEED={r.seed}): {r.calls} calls in "
             f"{r.seconds:.1f} s, {r.pokes} pokes, peak RSS {r.peak_rss >> 20} MiB, "
             f"peak disk {r.peak_disk >> 20} MiB"]
    for e in r.fuzzers + r.bystanders:
        lines.append(f"  {' '.join(e.argv)}: status {e.status} {e.reason} "
                     f"{e.stdout[-200:]!r}")
    lines += [f"  hung: {h}" for h in r.hung]
    lines += ["  stopped: they were filling the disk"] if r.disk_exceeded else []
    lines += ["  stopped: the LibOS grew past 4 GiB of memory"] if r.rss_exceeded else []
    lines += [f"  bug: {b[:2000]}" for b in r.bugs[:5]]
    lines += [f"  fsck: {p}" for p in r.fsck_live[:20]]
    return "\n".join(lines)


def _start_blocked(booted: Booted) -> Process:
    """The BLOCKED program started, once both of its threads are in their waits' way."""
    proc, out, _ = start(booted.kernel, [f"/bin/{BLOCKED}"], booted.config)
    deadline = time.monotonic() + 30
    while (b"blocked" not in out.getvalue() or len(proc.threads) < 2) and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(proc.threads) == 2, out.getvalue()
    return proc


def test_every_import_is_fuzzed_or_excluded_for_a_reason() -> None:
    table = kernel_table()
    fuzzed = {(sc.module, sc.name) for sc in fuzzed_calls(table)}
    every = {(sc.module, sc.name) for sc in table}
    assert fuzzed | set(EXCLUDED) == every
    assert not fuzzed & set(EXCLUDED)
    assert set(EXCLUDED) <= every  # no stale exclusion
    assert len(fuzzed) > 120


def test_fuzz_every_syscall(instance: Instance, scale: Callable[[int, int], int],
                            logged_errors: list[str]) -> None:
    """At least 1,000,000 calls in CI (``make soak``: 10,000,000)."""
    seed = _seed()
    processes, threads = 4, 3  # processes 0 and 2 run 3 threads, 1 and 3 one
    threads_total = 2 * threads + 2
    calls = scale(1_000_000, 10_000_000) // threads_total + 1
    with file_size_limit(DISK_BUDGET), memory_limit(RSS_BUDGET):
        report = run_fuzz(instance, seed=seed, processes=processes, threads=threads,
                          calls=calls, timeout=scale(240, 2400))
    summary = _summary(report)
    print(summary)
    assert not report.bugs, summary
    assert not report.disk_exceeded, f"the fuzzers were filling the disk\n{summary}"
    assert not report.rss_exceeded, f"the LibOS grew past 4 GiB of memory\n{summary}"
    assert not logged_errors, f"{summary}\n{logged_errors[:3]}"
    assert not report.hung, summary
    assert [e.status for e in report.fuzzers] == [0] * processes, summary
    assert report.calls >= scale(1_000_000, 10_000_000), summary
    assert [e.status for e in report.bystanders] == [0, 0], summary
    assert not report.fsck_live, summary
    # A fresh mount of the root (sefs over the image) is clean too, and the host
    # folder holds what /host held, nothing outside it.
    with instance.open_root() as root:
        problems = fsck(root)
    assert not problems, f"seed {seed}: after a fresh mount: {problems[:20]}"
    host = instance.path / "host"
    for path in host.rglob("*"):
        assert path.is_symlink() or path.resolve().is_relative_to(host.resolve()), path


# -- regressions: one per bug the fuzzer found -----------------------------------------------
def test_alarm_after_a_long_setitimer_reports_at_most_uint_max() -> None:
    """alarm() answered the seconds left of an ITIMER_REAL set for 2^63 ns as a
    number past 32 bits: the result could not be written, a Python exception
    escaped the kernel and the caller was killed."""
    itimer = struct.pack("<qq", (1 << 63) - 1, 0)  # value, interval (ns)
    r = replay([("occlum", "setitimer", (0, 1024, 0)), ("occlum", "alarm", (0, 2048))],
               data=itimer)
    assert r.bugs == []
    assert r.status == 0, r.reason


@pytest.mark.parametrize("call", [
    (WASI, "path_filestat_set_times", (3, 0, 1024, 1, -1, -1, 1 | 4)),
    ("occlum", "utimensat", (-100, 1024, 1, 2048, 0)),
])
def test_times_past_the_signed_range_are_clamped_and_sefs_still_commits(
    tmp_path: Path, call: tuple[str, str, tuple[int, ...]]
) -> None:
    """A time of 2^64-1 ns (WASI's u64) or +-2^62 s (utimensat) was stored as it
    was: sefs could not pack its inode record, so every commit of the volume
    failed from then on (nothing written after it could be made durable). Now
    times are clamped to the signed 64-bit range, as Linux clamps them to its
    file system's range."""
    key = bytes(16)
    fs = SeFs(tmp_path / "sefs", key)
    fs.root().create("f", 0o644)
    times = struct.pack("<qqqq", 1 << 62, 0, -(1 << 62), 0)  # atime, mtime (s, ns)
    data = b"f".ljust(1024, b"\0") + times
    r = replay([call, ("occlum", "fstatat", (-100, 1024, 1, 0, 4096))], data=data, root=fs)
    assert r.bugs == [], r.bugs
    assert r.status == 0, r.reason
    fs.sync()  # raised struct.error before the fix
    st = fs.root().lookup("f").stat()
    assert st.atim == TIME_MAX
    assert st.mtim in (TIME_MAX, TIME_MIN)
    fs.close()
    again = SeFs(tmp_path / "sefs", key)
    assert again.root().lookup("f").stat().atim == TIME_MAX
    assert fsck(again) == []
    again.close()


def test_a_time_before_the_epoch_is_the_epoch_in_a_wasi_filestat() -> None:
    """utimensat may set a time before 1970; WASI's filestat has unsigned times and
    packing the negative number raised in the dispatcher (a kernel bug, the
    caller killed)."""
    fs = RamFs()
    fs.root().create("f", 0o644)
    times = struct.pack("<qqqq", -5, 0, -(1 << 20), 0)
    data = b"f".ljust(1024, b"\0") + times
    r = replay([("occlum", "utimensat", (-100, 1024, 1, 2048, 0)),
                (WASI, "path_filestat_get", (3, 0, 1024, 1, 4096))], data=data, root=fs)
    assert r.bugs == [], r.bugs
    assert r.status == 0, r.reason
    assert fs.root().lookup("f").stat().mtim == -(1 << 20) * 10**9  # kept as set


def test_getitimer_of_a_timer_armed_for_int64_max_ns() -> None:
    """An ITIMER_REAL armed for 2**63-1 ns was reported back through a float as
    2**63 ns, one past what an itimerval holds: the dispatcher could not pack it
    (a kernel bug, the caller killed)."""
    forever = struct.pack("<qq", (1 << 63) - 1, (1 << 63) - 1)  # value, interval
    r = replay([("occlum", "setitimer", (0, 1024, 0)),
                ("occlum", "setitimer", (0, 0, 2048)),   # getitimer
                ("occlum", "setitimer", (0, 1024, 2048))], data=forever)
    assert r.bugs == [], r.bugs
    assert r.status == 0, r.reason


def test_a_kernel_bug_in_one_thread_ends_every_thread_of_its_process(
    instance: Instance,
) -> None:
    """A kernel bug met by one thread marked the process dead but left its other
    threads running: one blocked in a wait stayed there for ever, and the process
    never ended (found by the fuzzer: a setitimer bug in a 3-thread fuzzer, the
    driver waited out its whole timeout). Here the bug is reported, as the
    dispatcher does, while both threads of the process are blocked."""
    with instance.booted() as booted:
        proc = _start_blocked(booted)
        time.sleep(0.1)  # both in their waits
        _bug(booted.kernel, proc, "a test")
        assert proc.done.wait(10), "the process did not end"
        assert proc.status == wait_status_signaled(Signal.SIGKILL)
        assert len(booted.kernel.bugs) == 1


def test_fallocate_on_host_files_beyond_the_free_space_fails_at_once(tmp_path: Path) -> None:
    """One fallocate of 1 TiB on a /host file filled the host's disk (71 GB free
    when the fuzzer found it): the host's posix_fallocate allocates until the
    disk is full and keeps it. Now it is ENOSPC, with nothing allocated."""
    (tmp_path / "host").mkdir()
    fs = HostFs(tmp_path / "host")
    f = fs.root().create("f", 0o644)
    before = shutil.disk_usage(tmp_path).free
    with pytest.raises(KernelError) as e:
        f.allocate(0, 1 << 50)
    assert e.value.errno == Errno.ENOSPC
    assert os.stat(tmp_path / "host" / "f").st_blocks == 0
    assert shutil.disk_usage(tmp_path).free > before - (64 << 20)
    f.allocate(0, 1 << 20)  # what fits is allocated
    assert os.stat(tmp_path / "host" / "f").st_blocks * 512 >= 1 << 20


def test_host_file_offsets_past_an_off_t_are_errors_not_overflows(tmp_path: Path) -> None:
    """fd_filestat_set_size (and read, write, fallocate) of a /host file at 2**63
    or more reached os.ftruncate/pread/pwrite, whose off_t overflowed: an
    OverflowError escaped the kernel and killed the caller. Now EFBIG as on the
    other file systems (a read there is at end of file)."""
    (tmp_path / "host").mkdir()
    fs = HostFs(tmp_path / "host")
    f = fs.root().create("f", 0o644)
    for at in (1 << 63, (1 << 64) - 1):
        for name, args in (("truncate", (at,)), ("write", (at, b"x")),
                           ("write", (at - 1, b"xy")), ("allocate", (at - 1, 2))):
            with pytest.raises(KernelError) as e:
                getattr(f, name)(*args)
            assert e.value.errno == Errno.EFBIG, name
        assert f.read(at, 16) == b""
    # Through the dispatcher: path_open "f" (creat, all rights) is fd 4, then set_size.
    r = replay([(WASI, "path_open", (3, 0, 1024, 1, 1, -1, -1, 0, 2048)),
                (WASI, "fd_filestat_set_size", (4, -(1 << 63)))], data=b"f", root=fs)
    assert r.bugs == [], r.bugs
    assert r.status == int(Errno.EFBIG) << 8, r.reason


def test_overlapping_iovecs_move_at_most_the_memory_size() -> None:
    """1024 iovecs over the same 60 KiB made one fd_write gather 60 MiB on the host
    (and a read allocate as much): a process of one page could make the LibOS
    allocate gigabytes across its threads (the fuzzer's run grew to 23 GB).
    Now one call moves at most as many bytes as the process has memory."""
    fs = RamFs()
    f = fs.root().create("f", 0o644)
    iovs = struct.pack("<II", 4096, 60 << 10) * 1024  # at 1024: 1024 x (4096, 60 KiB)
    r = replay([(WASI, "path_open", (3, 0, 1024 + len(iovs), 1, 0, -1, -1, 0, 0)),
                (WASI, "fd_write", (4, 1024, 1024, 8))], data=iovs + b"f", root=fs)
    assert r.bugs == [], r.bugs
    assert r.status == 0, r.reason
    assert f.stat().size == 65536  # the memory's one page, not 60 MiB


_COLLAPSE, _INSERT, _PUNCH, _ZERO_RANGE = 0x08, 0x20, 0x02 | 0x01, 0x10


def _sparse_fs(kind: str, tmp_path: Path) -> tuple[FileSystem, Path | None]:
    if kind == "sefs":
        return SeFs(tmp_path / "sefs", bytes(16)), tmp_path / "sefs"
    if kind == "hostfs":
        (tmp_path / "host").mkdir()
        return HostFs(tmp_path / "host"), tmp_path / "host"
    return RamFs(), None


@pytest.mark.parametrize("kind", ["sefs", "hostfs", "ramfs"])
@pytest.mark.parametrize("mode", [_COLLAPSE, _INSERT, _PUNCH, _ZERO_RANGE])
def test_fallocate_over_a_sparse_gigabyte_costs_what_its_data_costs(
    tmp_path: Path, kind: str, mode: int
) -> None:
    """COLLAPSE_RANGE and INSERT_RANGE read the whole tail of the file into one
    bytes object and PUNCH_HOLE and ZERO_RANGE wrote zeros over the whole range:
    after an ftruncate to 2**40 one call took the LibOS to 17 GB (OOM-killed) or
    grew sefs's node file to 70 GB (the disk filled). Now holes are skipped
    (``Inode.next_data``) and the tail moves a window at a time: a sparse
    gigabyte with three blocks of data costs about those blocks, and the file
    reads back as Linux's fallocate leaves it."""
    fs, folder = _sparse_fs(kind, tmp_path)
    size = 1 << 30
    f = fs.root().create("f", 0o644)
    blocks = {0: b"A", 3 << 20: b"B", size - 4096: b"C"}  # offset: the byte filling it
    for at, byte in blocks.items():
        f.write(at, byte * 4096)
    f.truncate(size)
    offset, length = 1 << 20, 256 << 20
    expected = {
        _COLLAPSE: ({at - length if at >= offset + length else at: b for at, b in blocks.items()
                     if not offset <= at < offset + length}, size - length),
        _INSERT: ({at + length if at >= offset else at: b for at, b in blocks.items()},
                  size + length),
        _PUNCH: ({at: b for at, b in blocks.items() if not offset <= at < offset + length}, size),
        _ZERO_RANGE: ({at: b for at, b in blocks.items() if not offset <= at < offset + length},
                      size),
    }[mode]
    disk_before = (0 if folder is None else disk_used(folder))
    tracemalloc.start()
    r = replay([(WASI, "path_open", (3, 0, 1024, 1, 0, -1, -1, 0, 2048)),
                ("occlum", "fallocate", (4, mode, offset, length))], data=b"f", root=fs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert r.bugs == [], r.bugs
    if kind == "ramfs" and mode != _PUNCH:  # tmpfs has no other mode
        assert r.status == int(Errno.ENOTSUP) << 8, r.reason
        return
    assert r.status == 0, r.reason
    assert peak < 32 << 20, f"{peak >> 20} MiB allocated"
    if folder is not None:
        if isinstance(fs, SeFs):
            fs.sync()
        grown = (0 if folder is None else disk_used(folder)) - disk_before
        assert grown < 32 << 20, f"{grown >> 20} MiB of disk"
    data, want_size = expected
    assert f.stat().size == want_size
    found = {}
    at = f.next_data(0)
    while at < want_size:
        piece = f.read(at, 4096)
        if piece.strip(b"\0"):
            assert len(set(piece)) == 1, (at, set(piece))
            found[at] = piece[:1]
        at = f.next_data(at + 4096)
    assert found == data
    assert fsck(fs) == []


@pytest.mark.parametrize(("head", "errno"), [(b"\0asm\x01\0\0\0", Errno.ENOMEM),
                                             (b"", Errno.ENOEXEC), (b"#!/none\n", Errno.ENOENT)])
def test_execve_of_a_sparse_terabyte_reads_no_more_than_it_needs(head: bytes,
                                                                  errno: Errno) -> None:
    """execve (and spawn) read the whole program file before looking at it: an
    executable sparse file of 2**40 bytes (an ftruncate) made the LibOS allocate
    a terabyte (3 GB within seconds before the fuzzer's guard stopped it). Now
    only a module is read whole, and one larger than the user space (which it
    could never run in) is ENOMEM; anything else needs only its first bytes (a
    ``#!`` line, or what makes it no module: ENOEXEC)."""
    fs = RamFs()
    f = fs.root().create("big", 0o755)
    f.write(0, head)
    f.truncate(1 << 40)
    tracemalloc.start()
    r = replay([("occlum", "execve", (1024, 4, 0, 0, 0, 0))], data=b"/big", root=fs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert r.bugs == [], r.bugs
    assert r.status == int(errno) << 8, r.reason
    assert peak < 16 << 20, f"{peak >> 20} MiB allocated"


def test_timers_armed_for_2_63_seconds_keep_their_threads() -> None:
    """A timerfd armed for 2**63 s (its itimerspec's seconds) made the kernel's
    timer thread wait that long: threading's wait raised OverflowError (past
    ~2**63 ns), the thread ended, and no timerfd of the kernel fired again. An
    interval timer's thread would die the same way. Both now wait in slices."""
    forever = float(1 << 63)
    timers = Timers()
    timers.at(time.monotonic() + forever, lambda: None)
    time.sleep(0.05)
    fired = threading.Event()
    timers.at(time.monotonic() + 0.01, fired.set)
    assert fired.wait(10), "the timer thread is gone"
    itimer = IntervalTimer(forever, 0, lambda: None)
    itimer.start()
    time.sleep(0.05)
    assert itimer.is_alive()
    itimer.cancel()
    itimer.join(10)
    assert not itimer.is_alive()


def test_a_thread_without_an_instance_never_runs_in_the_main_threads_store(
    instance: Instance,
) -> None:
    """Once a thread's instance returned, its host thread still calls the guest's
    ``__occlum_thread_done`` with ``thread.runtime`` cleared, and ``proc.runtime``
    (which answers for the calling thread) then gave it the main thread's store:
    a signal handler due then ran in the main thread's instance, from this host
    thread, while the main thread ran in it too (a store is not thread-safe).
    The fuzzer's LibOS segfaulted once that way, the main thread in an fd_sync
    (sefs's native seal) while another thread ran a handler. Now such a thread
    has no store, runs no handler (the signal stays for the others), and an
    epoch tick runs handlers only in the store it is the tick of."""
    with instance.booted() as booted:
        proc = _start_blocked(booted)
        other = next(t for t in proc.threads.others(None) if t is not proc.threads.main)
        runtime = proc.runtime
        assert runtime is not None
        main_store = proc.threads.main.runtime.store
        seen: dict[str, object] = {}

        def as_ended_thread() -> None:
            set_current_process(proc, other)
            own = other.runtime
            other.runtime = None  # as between its end and __occlum_thread_done
            try:
                try:
                    seen["store"] = runtime.store
                except KernelError as e:
                    seen["store"] = e.errno
                seen["handlers"] = run_handlers(proc)
            finally:
                other.runtime = own
            seen["epoch"] = deliver_from_epoch(main_store, proc)  # not its store
            set_current_process(None)

        t = threading.Thread(target=as_ended_thread)
        t.start()
        t.join(10)
        assert seen == {"store": Errno.ESRCH, "handlers": False, "epoch": None}
        booted.kernel.send_signal(proc, int(Signal.SIGKILL))
        assert proc.done.wait(10)
        assert not booted.kernel.bugs
