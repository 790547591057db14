"""SeFs: every Inode operation, persistence, confidentiality, tamper and rollback
detection, crash safety, and a random comparison against RamFs (with remounts)."""

from __future__ import annotations

import gc
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from helpers import abandon, errno_of, host_files, names, restore, walk
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType, Whence
from pyocclum.errors import ImageError, KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import LOCK_NAME, NODE_SIZE, NODES_NAME, SUPER_B_NAME, SUPER_NAME, SeFs
from pyocclum.fs.sefs import ondisk as sefs_mod
from pyocclum.fs.types import FileSystem, Inode
from pyocclum.fs.vfs import Vfs
from pyocclum.native import aead

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
N = NODE_SIZE


# -- helpers ---------------------------------------------------------------------------------


def visible(root: Inode, prefix: str = "") -> dict[str, tuple[object, ...]]:
    """Everything a program sees but inode numbers and times."""
    out: dict[str, tuple[object, ...]] = {}
    for entry in root.entries():
        node = root.lookup(entry.name)
        path = f"{prefix}/{entry.name}"
        s = node.stat()
        assert s.filetype == entry.filetype
        assert s.ino == entry.ino
        if s.filetype == FileType.DIRECTORY:
            out.update(visible(node, path))
            out[path] = ("dir", s.mode, s.nlink, s.size)
        elif s.filetype == FileType.SYMBOLIC_LINK:
            out[path] = ("link", s.size, node.readlink())
        else:
            out[path] = ("file", s.mode, s.nlink, s.size, node.read(0, s.size + 1))
    s = root.stat()
    out[prefix or "/"] = ("dir", s.mode, s.nlink, s.size)
    return out


def pattern(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


def used_slots(fs: SeFs) -> int:
    return sum(bin(b).count("1") for b in fs._in_use)


@pytest.fixture(autouse=True, params=["native", "python"])
def crypto_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the native batch AES-GCM (``aead.sefs_gcm``) and
    with it switched off (``$PYOCCLUM_NATIVE=0``: cryptography, node by node; the
    switch reaches subprocesses too)."""
    if request.param == "python":
        monkeypatch.setenv("PYOCCLUM_NATIVE", "0")
        assert aead.sefs_gcm() is None
    else:
        monkeypatch.delenv("PYOCCLUM_NATIVE", raising=False)
        if aead.sefs_gcm() is None:
            pytest.skip("the native sefs AES-GCM is not available here")
    return str(request.param)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "vol"


@pytest.fixture
def fs(folder: Path) -> Iterator[SeFs]:
    f = SeFs(folder, KEY, cache_size=64 << 10)
    yield f
    f.close()


@pytest.fixture
def root(fs: SeFs) -> Inode:
    return fs.root()


def remount(fs: SeFs, **kw: int) -> SeFs:
    fs.close()
    return SeFs(fs.folder, KEY, **kw)  # type: ignore[arg-type]


# -- regular files ---------------------------------------------------------------------------


def test_write_read_roundtrip(root: Inode) -> None:
    f = root.create("f", 0o644)
    assert f.write(0, b"hello world") == 11
    assert f.read(0, 5) == b"hello"
    assert f.read(6, 100) == b"world"
    assert f.read(11, 10) == b""
    assert f.read(100, 10) == b""
    st_ = f.stat()
    assert (st_.size, st_.filetype, st_.nlink, st_.mode) == (11, FileType.REGULAR_FILE, 1, 0o644)
    assert f.filetype == FileType.REGULAR_FILE


def test_overwrite_in_middle_and_across_nodes(root: Inode) -> None:
    f = root.create("f", 0o644)
    f.write(0, b"a" * 10)
    f.write(3, b"XYZ")
    assert f.read(0, 100) == b"aaaXYZaaaa"
    blob = pattern(5 * N + 77)
    f.write(N - 100, blob)
    assert f.read(N - 100, len(blob)) == blob
    assert f.read(0, 10) == b"aaaXYZaaaa"
    assert f.read(10, N - 110) == bytes(N - 110)
    assert f.read(N + 50, 300) == blob[150:450]


@pytest.mark.parametrize("size", [1, N - 1, N, N + 1, 16 * N, 16 * N + 5, 300 * N + 3])
def test_sizes_roundtrip_and_persist(fs: SeFs, size: int) -> None:
    data = pattern(size, size)
    f = fs.root().create("f", 0o600)
    assert f.write(0, data) == size
    assert f.read(0, size + 10) == data
    fs = remount(fs)
    g = fs.root().lookup("f")
    assert g.stat().size == size
    assert g.read(0, size + 10) == data
    assert g.read(size // 2, 7) == data[size // 2 : size // 2 + 7]
    fs.close()


def test_bytes_read_earlier_stay_as_they_were(fs: SeFs, root: Inode) -> None:
    """A read of a whole cached node shares the cache's immutable copy: a later
    write, truncate or partial overwrite of that node must not reach it."""
    f = root.create("f", 0o644)
    f.write(0, b"a" * (3 * NODE_SIZE))
    fs.sync()
    fs = remount(fs)
    f = walk(fs.root(), "f")
    whole = f.read(0, NODE_SIZE)
    again = f.read(0, NODE_SIZE)  # from the cache now
    second = f.read(NODE_SIZE, NODE_SIZE)
    third = f.read(2 * NODE_SIZE, NODE_SIZE)
    f.write(10, b"b")
    f.write(NODE_SIZE, b"c" * NODE_SIZE)
    f.truncate(2 * NODE_SIZE + 5)
    assert whole == again == second == third == b"a" * NODE_SIZE
    assert f.read(0, NODE_SIZE) == b"a" * 10 + b"b" + b"a" * (NODE_SIZE - 11)
    assert f.read(NODE_SIZE, NODE_SIZE) == b"c" * NODE_SIZE
    assert f.read(2 * NODE_SIZE, NODE_SIZE) == b"a" * 5
    f.truncate(3 * NODE_SIZE)
    assert f.read(2 * NODE_SIZE, NODE_SIZE) == b"a" * 5 + bytes(NODE_SIZE - 5)
    fs.close()


def test_write_accepts_memoryview_and_bytearray(root: Inode) -> None:
    f = root.create("f", 0o644)
    data = bytearray(pattern(20 * N + 10))
    assert f.write(5, memoryview(data)) == len(data)  # type: ignore[arg-type]
    assert f.read(5, len(data)) == bytes(data)
    assert f.write(0, bytearray(b"xy")) == 2  # type: ignore[arg-type]
    assert f.read(0, 3) == b"xy\0"
    strided = memoryview(pattern(40 * N, 3))[::2]  # not contiguous: sealed from a copy
    assert f.write(N, strided) == 20 * N  # type: ignore[arg-type]
    assert f.read(N, 20 * N) == bytes(strided)


def test_sparse_holes_read_zeros_and_cost_nothing(fs: SeFs, root: Inode) -> None:
    f = root.create("f", 0o644)
    f.write(1 << 40, b"!")
    assert f.stat().size == (1 << 40) + 1
    assert f.read((1 << 40) - 2, 10) == b"\0\0!"
    assert f.read(12345, 3 * N) == bytes(3 * N)
    f.truncate(1 << 50)
    assert f.stat().size == 1 << 50
    assert f.read(1 << 49, 4) == bytes(4)
    fs.sync()
    assert (fs.folder / NODES_NAME).stat().st_size < 64 * N
    f.truncate(7)
    f.truncate(1 << 45)
    assert f.read(0, 10) == bytes(10)
    fs = remount(fs)
    g = fs.root().lookup("f")
    assert g.stat().size == 1 << 45
    assert g.read((1 << 40) - 2, 10) == bytes(10)


def test_truncate_shrink_then_grow_reads_zeros(fs: SeFs, root: Inode) -> None:
    f = root.create("f", 0o644)
    data = pattern(200 * N + 10)
    f.write(0, data)
    fs.sync()
    f.truncate(130 * N + 5)
    assert f.stat().size == 130 * N + 5
    f.truncate(250 * N)
    got = f.read(0, 250 * N)
    assert got == data[: 130 * N + 5] + bytes(120 * N - 5)
    fs = remount(fs)
    g = fs.root().lookup("f")
    assert g.read(0, 250 * N) == got
    g.truncate(3)
    g.truncate(N)
    assert g.read(0, N) == data[:3] + bytes(N - 3)
    g.truncate(0)
    assert g.read(0, 10) == b""
    fs.close()


def test_height_changes_before_tables_are_written(fs: SeFs, root: Inode) -> None:
    f = root.create("f", 0o644)
    data = pattern(20 * N)
    f.write(0, data)  # streamed: its table exists in memory only
    f.write(200 * N, b"x")  # one more level above it
    f.truncate(5 * N)
    f.truncate(300 * N)
    want = data[: 5 * N] + bytes(295 * N)
    assert f.read(0, 300 * N) == want
    f.write(20000 * N, b"y")  # and again, after a shrink
    f.truncate(3)
    f.truncate(40 * N)
    assert f.read(0, 40 * N) == data[:3] + bytes(40 * N - 3)
    fs = remount(fs)
    assert fs.root().lookup("f").read(0, 40 * N) == data[:3] + bytes(40 * N - 3)
    fs.close()


def test_truncate_frees_slots(fs: SeFs, root: Inode) -> None:
    fs.sync()
    base = used_slots(fs)
    f = root.create("f", 0o644)
    f.write(0, pattern(500 * N))
    fs.sync()
    assert used_slots(fs) >= base + 500
    f.truncate(N)
    fs.sync()
    assert used_slots(fs) <= base + 4
    f.truncate(0)
    fs.sync()
    assert used_slots(fs) <= base + 2


def test_truncate_and_write_errors(root: Inode) -> None:
    f = root.create("f", 0o644)
    assert errno_of(f.truncate, -1) == Errno.EINVAL
    assert errno_of(f.write, -1, b"x") == Errno.EINVAL
    assert errno_of(f.read, -1, 1) == Errno.EINVAL
    assert errno_of(f.write, (1 << 63) - 1, b"xx") == Errno.EFBIG
    assert errno_of(f.truncate, 1 << 63) == Errno.EFBIG
    assert f.write(5, b"") == 0
    assert f.stat().size == 0


def test_allocate(root: Inode) -> None:
    f = root.create("f", 0o644)
    f.write(0, b"abc")
    f.allocate(0, 2)
    assert f.stat().size == 3
    f.allocate(10, 5)
    assert f.stat().size == 15
    assert f.read(0, 15) == b"abc" + bytes(12)
    assert errno_of(f.allocate, 0, 0) == Errno.EINVAL
    assert errno_of(f.allocate, -1, 4) == Errno.EINVAL
    assert errno_of(f.allocate, 1 << 62, 1 << 62) == Errno.EFBIG


def test_file_has_no_directory_operations(root: Inode) -> None:
    f = root.create("f", 0o644)
    assert errno_of(f.lookup, "x") == Errno.ENOTDIR
    assert errno_of(f.create, "x", 0o644) == Errno.ENOTDIR
    assert errno_of(f.readlink) == Errno.EINVAL
    assert f.open_stream() is None


def test_small_cache_writes_back_and_stays_bounded(folder: Path) -> None:
    fs = SeFs(folder, KEY, cache_size=128 << 10)
    f = fs.root().create("f", 0o644)
    data = pattern(3 << 20, 7)
    for off in range(0, len(data), 1000):  # partial nodes: all through the cache
        f.write(off, data[off : off + 1000])
        assert fs.cached_bytes <= 128 << 10
    rnd = random.Random(3)
    for _ in range(200):
        off = rnd.randrange(len(data))
        assert f.read(off, 5000) == data[off : off + 5000]
        assert fs.cached_bytes <= 128 << 10
    assert f.read(0, len(data)) == data
    fs = remount(fs, cache_size=1 << 20)
    assert fs.root().lookup("f").read(0, len(data)) == data
    fs.close()


def test_a_small_file_read_whole_is_cached_a_big_one_streams(folder: Path) -> None:
    # A web server reads the same small file whole, again and again: it must not be
    # decrypted each time. A file bigger than an eighth of the cache read in big
    # pieces is streaming: it must not take the cache.
    fs = SeFs(folder, KEY, cache_size=1 << 20)
    small, big = pattern(100 << 10, 5), pattern(1 << 20, 6)
    fs.root().create("small", 0o644).write(0, small)
    fs.root().create("big", 0o644).write(0, big)
    fs = remount(fs, cache_size=1 << 20)
    f, g = fs.root().lookup("small"), fs.root().lookup("big")
    before = fs.cached_bytes  # (directory nodes)
    assert f.read(0, len(small)) == small
    assert fs.cached_bytes == before + len(small)
    assert f.read(0, len(small)) == small
    for off in range(0, len(big), 128 << 10):
        assert g.read(off, 128 << 10) == big[off : off + (128 << 10)]
    assert fs.cached_bytes == before + len(small)
    fs.close()


def test_sequential_reads_match_after_changes_ahead(folder: Path) -> None:
    """Sequential reads are read ahead: a write, truncate or extension of the
    part read ahead must show in the next read, and reads that stop being
    sequential still return the right bytes."""
    fs = SeFs(folder, KEY)
    f = fs.root().create("f", 0o644)
    data = bytearray(pattern(6 << 20, 11))
    f.write(0, bytes(data))
    fs = remount(fs)
    f = walk(fs.root(), "f")
    mib = 1 << 20
    assert f.read(0, mib) == data[:mib]
    assert f.read(mib, mib) == data[mib : 2 * mib]  # the next MiB is read ahead now
    f.write(2 * mib + 5, b"new")
    data[2 * mib + 5 : 2 * mib + 8] = b"new"
    assert f.read(2 * mib, mib) == data[2 * mib : 3 * mib]
    assert f.read(3 * mib, mib) == data[3 * mib : 4 * mib]
    f.truncate(4 * mib + 100)
    del data[4 * mib + 100 :]
    assert f.read(4 * mib, mib) == data[4 * mib :]
    f.write(5 * mib, b"x" * 10)
    data += bytes(5 * mib - len(data)) + b"x" * 10
    for off, n in ((0, 100), (100, mib), (100 + mib, 3 * mib), (7, 4096), (4 * mib, 2 * mib)):
        assert f.read(off, n) == data[off : off + n], (off, n)
    pos = 0
    while pos < len(data):  # in small sequential reads that straddle nodes
        assert f.read(pos, 10_000) == data[pos : pos + 10_000], pos
        pos += 10_000
    fs.close()


def test_a_forked_child_leaves_the_parents_read_ahead_alone(
    folder: Path, crypto_path: str, wait_child: Callable[[int, float, str], int]
) -> None:
    """A child forked while a run is being read ahead, finishing it (as its exit
    would), must not wait for the parent's worker threads, which it has not."""
    mib = 1 << 20
    data = pattern(4 * mib, 13)
    fs = SeFs(folder, KEY)
    fs.root().create("f", 0o644).write(0, data)
    fs = remount(fs)
    f = walk(fs.root(), "f")
    assert f.read(0, mib) + f.read(mib, mib) == data[: 2 * mib]
    c = fs._core(f.stat().ino)
    if crypto_path == "python":  # read-ahead is for the native library's workers only
        assert not c.ahead
        fs.close()
        return
    assert c.ahead  # a run is in flight
    assert not c.ahead[-1].finished
    pid = os.fork()
    if pid == 0:  # the child
        signal.alarm(10)
        code = 0 if c.ahead[-1]._end() is None else 1
        os._exit(code)
    assert wait_child(pid, 30, "finishing the parent's read-ahead") == 0
    assert f.read(2 * mib, mib) == data[2 * mib : 3 * mib]  # the parent's run is intact
    fs.close()


def test_sequential_reads_meet_tampered_tables_and_nodes(folder: Path) -> None:
    """A damaged table node or data node met by sequential reads (read ahead,
    table nodes read in runs) fails the read that covers it with EIO, and
    every read before it returns the right bytes."""
    mib = 1 << 20
    data = pattern(6 * mib, 12)
    fs = SeFs(folder, KEY)
    fs.root().create("f", 0o644).write(0, data)
    fs.close()
    fs = SeFs(folder, KEY)
    c = fs._core(walk(fs.root(), "f").stat().ino)
    table5 = int.from_bytes(fs._entries(c, 5, 1, 1)[:4], "little") - 1  # nodes 640..767
    node1100 = int.from_bytes(fs._entries(c, 1100, 1)[:4], "little") - 1
    fs.close()
    pristine = host_files(folder)
    for slot, bad_chunk in ((table5, 2), (node1100, 4)):
        restore(folder, pristine)
        raw = bytearray((folder / NODES_NAME).read_bytes())
        raw[slot * NODE_SIZE + 100] ^= 0x20
        (folder / NODES_NAME).write_bytes(bytes(raw))
        fs = SeFs(folder, KEY)
        f = walk(fs.root(), "f")
        for chunk in range(bad_chunk):
            assert f.read(chunk * mib, mib) == data[chunk * mib : (chunk + 1) * mib]
        assert errno_of(f.read, bad_chunk * mib, mib) == Errno.EIO
        fs.close()


def test_table_nodes_in_memory_stay_bounded(folder: Path) -> None:
    """Table nodes count against a bound of their own (an eighth of cache_size's
    nodes, at least 64): reading a big file through leaves at most that many
    clean level-1 tables in memory; dirty ones stay until committed, and the
    contents are right throughout and after a remount."""
    mib = 1 << 20
    data = bytearray(pattern(48 * mib, 14))  # 96 level-1 tables (512 KiB each)
    fs = SeFs(folder, KEY, cache_size=256 << 10)
    f = fs.root().create("f", 0o644)
    f.write(0, bytes(data))
    fs = remount(fs, cache_size=256 << 10)
    f = walk(fs.root(), "f")
    c = fs._core(f.stat().ino)
    bound = fs._max_tables
    assert bound == 64
    for off in range(0, len(data), mib):
        assert f.read(off, mib) == data[off : off + mib]
        assert len(c.levels[1]) <= bound
    rnd = random.Random(5)
    for _ in range(300):  # small writes all over: dirty tables are kept
        off = rnd.randrange(len(data) - 10)
        f.write(off, b"w" * 10)
        data[off : off + 10] = b"w" * 10
    assert len(c.levels[1]) > bound
    fs.sync()
    f.read(0, 1)
    f.read(len(data) // 2, mib)  # a read after the commit sheds the clean ones
    assert len(c.levels[1]) <= bound
    for off in range(0, len(data), 4 * mib):
        assert f.read(off, 4 * mib) == data[off : off + 4 * mib]
    fs = remount(fs)
    assert walk(fs.root(), "f").read(0, len(data)) == data
    fs.close()


# -- directories ---------------------------------------------------------------------------


def test_lookup_and_errors(root: Inode) -> None:
    f = root.create("f", 0o644)
    assert root.lookup("f") is f
    assert errno_of(root.lookup, "nope") == Errno.ENOENT
    assert errno_of(root.lookup, "..") == Errno.EINVAL
    assert errno_of(root.lookup, "a/b") == Errno.EINVAL
    assert errno_of(root.lookup, "x" * 256) == Errno.ENAMETOOLONG
    assert errno_of(root.create, "f", 0o644) == Errno.EEXIST
    assert errno_of(root.mkdir, "f", 0o755) == Errno.EEXIST
    assert errno_of(root.symlink, "f", "t") == Errno.EEXIST
    assert errno_of(root.create, "", 0o644) == Errno.EINVAL


def test_entries_in_insertion_order_survive_remount(fs: SeFs, root: Inode) -> None:
    for n in ["zeta", "alpha", "mid"]:
        root.create(n, 0o644)
    d = root.mkdir("dir", 0o755)
    assert names(root) == ["zeta", "alpha", "mid", "dir"]
    root.unlink("alpha")
    root.create("alpha", 0o644)
    assert names(root) == ["zeta", "mid", "dir", "alpha"]
    ents = {e.name: e for e in root.entries()}
    assert ents["dir"].filetype == FileType.DIRECTORY
    assert ents["dir"].ino == d.ino
    fs = remount(fs)
    assert names(fs.root()) == ["zeta", "mid", "dir", "alpha"]
    fs.close()


def test_many_entries_and_long_names(fs: SeFs, root: Inode) -> None:
    made = [f"{i:04d}-" + "n" * (i % 250) for i in range(600)]
    d = root.mkdir("d", 0o755)
    for n in made:
        d.create(n, 0o644)
    for n in made[::3]:
        d.unlink(n)
    want = [n for i, n in enumerate(made) if i % 3]
    assert names(d) == want
    fs = remount(fs)
    d2 = fs.root().lookup("d")
    assert names(d2) == want
    assert d2.stat().size == len(want)
    fs.close()


def test_inode_numbers_unique_and_stable(fs: SeFs, root: Inode) -> None:
    inos = {root.ino}
    for i in range(50):
        inos.add(root.create(f"f{i}", 0o644).ino)
        inos.add(root.mkdir(f"d{i}", 0o755).ino)
        inos.add(root.symlink(f"s{i}", "x").ino)
    assert len(inos) == 151
    before = {e.name: e.ino for e in root.entries()}
    fs = remount(fs)
    assert {e.name: e.ino for e in fs.root().entries()} == before
    assert fs.root().ino == 1
    fs.close()


def test_mkdir_nlink_and_rmdir(root: Inode) -> None:
    assert root.stat().nlink == 2
    d = root.mkdir("d", 0o755)
    assert root.stat().nlink == 3
    assert d.stat().nlink == 2
    d.create("x", 0o644)
    assert errno_of(root.rmdir, "d") == Errno.ENOTEMPTY
    assert errno_of(root.unlink, "d") == Errno.EISDIR
    d.unlink("x")
    root.rmdir("d")
    assert root.stat().nlink == 2
    assert d.stat().nlink == 0
    assert errno_of(root.rmdir, "d") == Errno.ENOENT
    assert errno_of(d.create, "y", 0o644) == Errno.ENOENT
    assert errno_of(d.mkdir, "y", 0o755) == Errno.ENOENT


def test_rmdir_on_file_and_unlink_missing(root: Inode) -> None:
    root.create("f", 0o644)
    assert errno_of(root.rmdir, "f") == Errno.ENOTDIR
    assert errno_of(root.unlink, "missing") == Errno.ENOENT


def test_dir_read_write_fail_eisdir(root: Inode) -> None:
    d = root.mkdir("d", 0o755)
    assert errno_of(d.read, 0, 1) == Errno.EISDIR
    assert errno_of(d.write, 0, b"x") == Errno.EISDIR
    assert errno_of(d.truncate, 0) == Errno.EISDIR


# -- symlinks and hard links ---------------------------------------------------------------


def test_symlink(fs: SeFs, root: Inode) -> None:
    s = root.symlink("s", "../some/where")
    assert s.readlink() == "../some/where"
    st_ = s.stat()
    assert (st_.filetype, st_.size, st_.mode) == (FileType.SYMBOLIC_LINK, 13, 0o777)
    assert root.lookup("s") is s
    assert errno_of(root.symlink, "e", "") == Errno.ENOENT
    assert errno_of(root.symlink, "e", "a\0b") == Errno.EINVAL
    assert errno_of(root.symlink, "e", "x" * 5000) == Errno.ENAMETOOLONG
    assert errno_of(s.read, 0, 1) == Errno.EINVAL
    assert errno_of(s.chmod, 0o600) == Errno.ENOTSUP
    root.symlink("long", "y" * 4095)
    root.symlink("odd", "caf\udce9/\u00e9")
    fs = remount(fs)
    r = fs.root()
    assert r.lookup("s").readlink() == "../some/where"
    assert r.lookup("long").readlink() == "y" * 4095
    assert r.lookup("odd").readlink() == "caf\udce9/\u00e9"
    fs.close()


def test_hard_links(fs: SeFs, root: Inode) -> None:
    f = root.create("a", 0o644)
    f.write(0, b"data")
    d = root.mkdir("d", 0o755)
    d.link("b", f)
    assert f.stat().nlink == 2
    assert d.lookup("b") is f
    fs = remount(fs)
    r = fs.root()
    f2 = r.lookup("a")
    assert r.lookup("d").lookup("b") is f2
    assert f2.stat().nlink == 2
    r.unlink("a")
    assert f2.stat().nlink == 1
    assert r.lookup("d").lookup("b").read(0, 10) == b"data"
    assert errno_of(r.link, "dd", r.lookup("d")) == Errno.EPERM
    assert errno_of(r.link, "d", f2) == Errno.EEXIST
    assert errno_of(r.link, "x", RamFs().root().create("x", 0o644)) == Errno.EXDEV
    fs.close()


def test_link_unlinked_file_fails(root: Inode) -> None:
    f = root.create("a", 0o644)
    root.unlink("a")
    assert errno_of(root.link, "b", f) == Errno.ENOENT


def test_unlinked_open_file_keeps_working_until_dropped(fs: SeFs, root: Inode) -> None:
    fs.sync()
    base = used_slots(fs)
    f = root.create("a", 0o644)
    f.write(0, pattern(100 * N))
    root.unlink("a")
    assert f.stat().nlink == 0
    assert f.write(100 * N, b"+after") == 6
    assert f.read(100 * N - 2, 100) == pattern(100 * N)[-2:] + b"+after"
    fs.sync()  # committed as an orphan
    assert used_slots(fs) >= base + 100
    f.truncate(3)
    assert f.read(0, 100) == pattern(100 * N)[:3]
    assert errno_of(root.lookup, "a") == Errno.ENOENT
    del f
    gc.collect()
    fs.sync()
    assert used_slots(fs) <= base + 2


def test_orphans_are_freed_at_the_next_mount(fs: SeFs, root: Inode) -> None:
    f = root.create("a", 0o644)
    f.write(0, pattern(50 * N))
    fs.sync()
    base = used_slots(fs)
    root.unlink("a")
    fs.sync()
    abandon(fs)  # crash while the file is open
    fs = SeFs(fs.folder, KEY)
    assert fs._orphans == set()
    fs.sync()
    assert used_slots(fs) <= base - 50
    fs.close()
    assert f.stat().nlink == 0  # the old handle still answers stat


# -- rename ----------------------------------------------------------------------------


def test_rename_file_within_and_across_dirs(fs: SeFs, root: Inode) -> None:
    f = root.create("a", 0o644)
    root.rename("a", root, "b")
    assert root.lookup("b") is f
    assert errno_of(root.lookup, "a") == Errno.ENOENT
    d = root.mkdir("d", 0o755)
    root.rename("b", d, "c")
    assert d.lookup("c") is f
    assert names(root) == ["d"]
    fs = remount(fs)
    assert names(fs.root()) == ["d"]
    assert names(fs.root().lookup("d")) == ["c"]
    fs.close()


def test_rename_replaces_file(fs: SeFs, root: Inode) -> None:
    a = root.create("a", 0o644)
    b = root.create("b", 0o644)
    b.write(0, b"old")
    root.rename("a", root, "b")
    assert root.lookup("b") is a
    assert b.stat().nlink == 0
    assert b.read(0, 10) == b"old"
    assert names(root) == ["b"]


def test_rename_onto_itself_and_hard_link_is_noop(root: Inode) -> None:
    f = root.create("a", 0o644)
    root.rename("a", root, "a")
    assert root.lookup("a") is f
    root.link("b", f)
    root.rename("a", root, "b")
    assert root.lookup("a") is f
    assert root.lookup("b") is f
    assert f.stat().nlink == 2


def test_rename_dir_semantics(fs: SeFs, root: Inode) -> None:
    src = root.mkdir("src", 0o755)
    src.create("inside", 0o644).write(0, b"in")
    root.mkdir("empty", 0o755)
    full = root.mkdir("full", 0o755)
    full.create("x", 0o644)
    root.create("file", 0o644)
    assert errno_of(root.rename, "src", root, "full") == Errno.ENOTEMPTY
    assert errno_of(root.rename, "src", root, "file") == Errno.ENOTDIR
    assert errno_of(root.rename, "file", root, "empty") == Errno.EISDIR
    assert errno_of(root.rename, "missing", root, "x") == Errno.ENOENT
    root.rename("src", root, "empty")
    assert root.lookup("empty") is src
    assert sorted(names(root)) == ["empty", "file", "full"]
    assert root.stat().nlink == 4
    fs = remount(fs)
    r = fs.root()
    assert walk(r, "empty/inside").read(0, 9) == b"in"
    assert r.stat().nlink == 4
    fs.close()


def test_rename_dir_into_itself_einval(root: Inode) -> None:
    a = root.mkdir("a", 0o755)
    b = a.mkdir("b", 0o755)
    assert errno_of(root.rename, "a", b, "x") == Errno.EINVAL
    assert errno_of(root.rename, "a", a, "x") == Errno.EINVAL
    c = b.mkdir("c", 0o755)
    assert errno_of(b.rename, "c", root, "a") == Errno.ENOTEMPTY  # "a" contains the source
    b.rename("c", root, "c")
    assert walk(root, "c") is c
    assert names(b) == []


def test_rename_dir_moves_nlink_and_parent(fs: SeFs, root: Inode) -> None:
    p1 = root.mkdir("p1", 0o755)
    p2 = root.mkdir("p2", 0o755)
    p1.mkdir("c", 0o755)
    assert p1.stat().nlink == 3
    p1.rename("c", p2, "c")
    assert p1.stat().nlink == 2
    assert p2.stat().nlink == 3
    p2.mkdir("e", 0o755)
    p2.rename("c", p2, "e")
    assert p2.stat().nlink == 3
    fs = remount(fs)
    r = fs.root()
    e = walk(r, "p2/e")
    # The moved directory's parent was recorded: moving p2 into it is refused.
    assert errno_of(r.rename, "p2", e, "x") == Errno.EINVAL
    fs.close()


def test_rename_across_fs_and_bad_target(root: Inode) -> None:
    root.create("a", 0o644)
    other = RamFs().root()
    assert errno_of(root.rename, "a", other, "a") == Errno.EXDEV
    f = root.create("f", 0o644)
    assert errno_of(root.rename, "a", f, "x") == Errno.ENOTDIR
    d = root.mkdir("d", 0o755)
    root.rmdir("d")
    assert errno_of(root.rename, "a", d, "x") == Errno.ENOENT


# -- metadata and times ---------------------------------------------------------------


def test_chmod_set_times_and_persistence(fs: SeFs, root: Inode) -> None:
    f = root.create("f", 0o100644)
    assert f.stat().mode == 0o644
    c0 = f.stat().ctim
    f.chmod(0o4755)
    assert f.stat().mode == 0o4755
    assert f.stat().ctim >= c0
    f.set_times(123, None)
    assert f.stat().atim == 123
    f.set_times(None, 456)
    st_ = f.stat()
    assert (st_.atim, st_.mtim) == (123, 456)
    fs = remount(fs)
    st2 = fs.root().lookup("f").stat()
    assert (st2.mode, st2.atim, st2.mtim, st2.ctim) == (0o4755, 123, 456, st_.ctim)
    fs.close()


def test_times_follow_linux(root: Inode) -> None:
    root.set_times(1, 1)
    f = root.create("f", 0o644)
    st_ = root.stat()
    assert st_.mtim > 1
    assert st_.mtim == st_.ctim
    f.set_times(1, 1)
    f.read(0, 10)
    assert f.stat().atim > 1
    assert f.stat().mtim == 1
    f.set_times(1, 1)
    f.write(0, b"x")
    st_ = f.stat()
    assert st_.mtim > 1
    assert st_.atim == 1
    assert st_.ctim == st_.mtim
    f.set_times(1, 1)
    f.truncate(0)
    assert f.stat().mtim > 1
    root.set_times(1, 1)
    root.unlink("f")
    assert root.stat().mtim > 1
    root.set_times(1, 1)
    list(root.entries())
    assert root.stat().atim > 1


def test_reads_follow_relatime(folder: Path) -> None:
    with SeFs(folder, KEY) as fs:
        f = fs.root().create("f", 0o644)
        f.write(0, b"data")
        f.set_times(1, 1)
    with SeFs(folder, KEY) as fs:
        f = fs.root().lookup("f")
        assert f.read(0, 4) == b"data"
        first = f.stat().atim
        assert first > 1  # not newer than the last change: updated
        fs.sync()
        assert f.read(0, 4) == b"data"
        assert f.stat().atim == first  # now newer than mtime and ctime, not a day old
        assert fs._dirty == set()  # reading did not make this session's commit bigger
    with SeFs(folder, KEY) as fs:
        assert fs.root().lookup("f").stat().atim == first


def test_root_mode_dev_and_fstype(folder: Path) -> None:
    fs = SeFs(folder, KEY, root_mode=0o1777)
    fs.dev = 7
    st_ = fs.root().stat()
    assert (st_.mode, st_.dev, st_.ino) == (0o1777, 7, 1)
    assert fs.fstype == "sefs"
    assert fs.root().create("x", 0o600).stat().dev == 7
    assert SeFs.exists(folder)
    fs.close()
    fs.close()  # idempotent
    assert not SeFs.exists(folder / "nothing")


def test_mounted_in_the_vfs(folder: Path) -> None:
    fs = SeFs(folder, KEY)
    vfs = Vfs(RamFs())
    vfs.root().inode.mkdir("data", 0o755)
    vfs.mount("/data", fs)
    d = vfs.resolve(vfs.root(), "/data").inode
    d.mkdir("etc", 0o755).create("conf", 0o600).write(0, b"key=value\n")
    d.symlink("cfg", "etc/conf")
    loc = vfs.resolve(vfs.root(), "/data/cfg")  # follows the link inside sefs
    assert loc.path == "/data/etc/conf"
    assert vfs.resolve(vfs.root(), "/data/etc/../cfg").inode.stat().dev == fs.dev
    of = OpenFile(inode=loc.inode, stream=None, path=loc.path,
                  filetype=FileType.REGULAR_FILE, readable=True, writable=True)
    of.seek(0, Whence.END)
    assert of.write(b"more=1\n") == 7
    of.sync()  # fsync: a commit
    abandon(fs)  # crash right after the fsync
    with SeFs(folder, KEY) as again:
        assert walk(again.root(), "etc/conf").read(0, 100) == b"key=value\nmore=1\n"


# -- mounting --------------------------------------------------------------------------


def test_wrong_key_second_mount_and_missing_volume(folder: Path, tmp_path: Path) -> None:
    fs = SeFs(folder, KEY)
    fs.root().create("f", 0o644).write(0, b"x")
    with pytest.raises(ImageError, match="already mounted"):
        SeFs(folder, KEY)
    fs.close()
    with pytest.raises(ImageError, match="wrong key or not a sefs"):
        SeFs(folder, OTHER_KEY)
    with pytest.raises(ImageError, match="wrong key or not a sefs"):
        SeFs(folder, KEY[:16])
    with SeFs(folder, KEY) as again:  # failed attempts left the lock free
        assert again.root().lookup("f").read(0, 5) == b"x"
    with pytest.raises(ImageError, match="no sefs volume"):
        SeFs(tmp_path / "empty", KEY, create=False)
    with pytest.raises(ValueError, match="32 bytes"):
        SeFs(tmp_path / "k", b"short")
    with pytest.raises(ValueError, match="cache_size"):
        SeFs(tmp_path / "k", KEY, cache_size=-1)


def test_not_a_volume(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / SUPER_NAME).write_bytes(b"hello, this is not a superblock" * 4)
    with pytest.raises(ImageError, match="wrong key or not a sefs"):
        SeFs(junk, KEY)
    (junk / SUPER_NAME).unlink()
    (junk / NODES_NAME).write_bytes(b"x" * 100)
    with pytest.raises(ImageError, match="is missing"):
        SeFs(junk, KEY)


def test_a_creation_killed_in_its_first_commit_is_created_afresh(
    folder: Path, tmp_path: Path
) -> None:
    """A new volume whose first commit never finished (the process died writing
    its superblock) holds nothing anyone wrote: the next mount creates it
    afresh. A committed volume whose superblock is deleted is still refused."""
    script = textwrap.dedent(f"""
        import os
        from pyocclum.fs import sefs
        def die(*args, **kwargs):
            os._exit(9)  # as SIGKILL: the nodes are written, the superblock is not
        sefs.SeFs._write_super = die
        sefs.SeFs({str(folder)!r}, {KEY!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert proc.returncode == 9, proc.stderr
    assert (folder / NODES_NAME).stat().st_size > 0
    assert not (folder / SUPER_NAME).exists()
    with SeFs(folder, KEY) as fs:
        assert names(fs.root()) == []
        fs.root().create("f", 0o644).write(0, b"kept")
    # (sefs.super.b appears with the second anchor; this commit is a log record.)
    assert sorted(p.name for p in folder.iterdir()) == sorted([LOCK_NAME, NODES_NAME,
                                                                SUPER_NAME])
    (folder / SUPER_NAME).unlink()  # the host deletes a committed volume's superblock
    with pytest.raises(ImageError, match="is missing but"):
        SeFs(folder, KEY)


def test_closed_volume_refuses_operations(fs: SeFs, root: Inode) -> None:
    f = root.create("f", 0o644)
    fs.close()
    assert errno_of(f.write, 0, b"x") == Errno.EIO
    assert errno_of(root.lookup, "f") == Errno.EIO
    assert errno_of(fs.sync) == Errno.EIO


def test_unsynced_changes_are_lost_in_a_crash_synced_ones_stay(folder: Path) -> None:
    fs = SeFs(folder, KEY, cache_size=64 << 10)
    r = fs.root()
    f = r.create("kept", 0o644)
    f.write(0, pattern(40 * N, 1))
    r.mkdir("dir", 0o700)
    f.sync()
    f.write(0, pattern(40 * N, 2))  # more than the cache: some of it reaches the disk
    r.create("lost", 0o644).write(0, b"x")
    r.rename("dir", r, "dir2")
    abandon(fs)
    fs = SeFs(folder, KEY)
    r = fs.root()
    assert names(r) == ["kept", "dir"]
    assert r.lookup("kept").read(0, 41 * N) == pattern(40 * N, 1)
    assert r.lookup("dir").stat().mode == 0o700
    fs.close()


def test_nonces_never_repeat_across_sessions_and_crashes(
    folder: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sefs_mod, "_NONCE_RESERVE", 5)
    seen: list[bytes] = []

    class Recorder:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def encrypt_into(self, nonce: bytes, *args: object) -> int:
            seen.append(bytes(nonce))
            return self.inner.encrypt_into(nonce, *args)  # type: ignore[attr-defined, no-any-return]

        def decrypt_into(self, *args: object) -> int:
            return self.inner.decrypt_into(*args)  # type: ignore[attr-defined, no-any-return]

        def decrypt(self, *args: object) -> bytes:
            return self.inner.decrypt(*args)  # type: ignore[attr-defined, no-any-return]

    class NativeRecorder:
        """The native path: nonces ``nonce .. nonce + n - 1`` for each batch sealed."""

        def __init__(self, inner: aead.SefsGcm) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def seal(self, key: bytes, prefix: bytes, idxs: int, nonce: int, n: int,
                 *args: int) -> None:
            seen.extend((nonce + i).to_bytes(12, "little") for i in range(n))
            self.inner.seal(key, prefix, idxs, nonce, n, *args)

    for session in range(6):
        fs = SeFs(folder, KEY, cache_size=0)
        fs._aes = Recorder(fs._aes)  # type: ignore[assignment]
        if fs._gcm is not None:
            fs._gcm = NativeRecorder(fs._gcm)  # type: ignore[assignment]
        r = fs.root()
        for i in range(5):
            r.create(f"s{session}-{i}", 0o644).write(0, pattern(6 * N, i))
        if session % 2:
            abandon(fs)
        else:
            fs.close()
    assert len(seen) > 100
    assert len(set(seen)) == len(seen)
    with SeFs(folder, KEY) as fs:
        assert len(names(fs.root())) == 15  # the three closed sessions


# -- confidentiality -----------------------------------------------------------------------

MARKER = "ZQXJ-secret-marker"


def test_host_never_sees_plaintext(folder: Path) -> None:
    fs = SeFs(folder, KEY, cache_size=64 << 10)
    r = fs.root()
    d = r.mkdir(f"{MARKER}-dir", 0o755)
    for i in range(30):
        f = d.create(f"{MARKER}-{i}", 0o644)
        f.write(0, (MARKER.encode() + b" ") * (i * 97 + 1))
    big = r.create("big", 0o644)
    big.write(0, (MARKER.encode() * 100000)[: 300 * N])
    r.symlink("l", f"/{MARKER}/target")
    d.symlink(MARKER, "x")
    r.rename(f"{MARKER}-dir", r, f"{MARKER}-moved")
    fs.sync()
    needles = [MARKER.encode(), MARKER[:8].encode(), MARKER.encode("utf-16-le")]

    def scan() -> None:
        for p in folder.iterdir():
            data = p.read_bytes()
            for needle in needles:
                assert needle not in data, (p.name, needle)

    scan()  # while mounted (after eviction and a commit)
    fs.close()
    scan()
    assert {p.name for p in folder.iterdir()} <= {"sefs.lock", "sefs.nodes", "sefs.super",
                                                  "sefs.super.b"}


# -- tamper, swap and rollback -------------------------------------------------------------------


State = dict[str, tuple[object, ...]]


class Sample(NamedTuple):
    """A volume after three commits: generation 1 (the creation, an anchor in
    sefs.super), 2 (an anchor in sefs.super.b: it wrote more slots than a log
    record may list) and 3 (a log record in the first slot of the log area)."""

    states: dict[int, State]  # what a program sees as of each generation
    used: set[int]  # slots the newest commit uses
    tip: set[int]  # slots generation 3 wrote: its record and its new slots
    log: tuple[int, ...]  # the log area


def build_sample(folder: Path) -> Sample:
    fs = SeFs(folder, KEY)
    r = fs.root()
    states = {1: visible(r)}
    r.create("a", 0o644).write(0, pattern(3 * N + 5, 1))
    r.create("big", 0o644).write(0, pattern(70 * N, 3))
    r.create("b", 0o600).write(0, b"small b")
    fs.sync()
    states[2] = visible(r)
    before = int.from_bytes(fs._committed, "little")
    r.lookup("b").write(0, b"new b")
    r.create("e", 0o644)
    d = r.mkdir("d", 0o750)
    d.create("c", 0o644).write(0, pattern(N, 2))
    r.symlink("s", "d/c")
    states[3] = visible(r)
    fs.close()
    assert fs._gen == 3
    assert fs._cur == 1
    assert fs._logpos == 1
    bits = int.from_bytes(fs._committed, "little")
    used = {s for s in range(bits.bit_length()) if bits >> s & 1}
    tip = {s for s in used if not before >> s & 1} | {fs._log[0]}
    return Sample(states, used, tip, fs._log)


def outcome(folder: Path, states: dict[int, State]) -> str:
    """The generation whose state the volume mounts as ('3' is the newest:
    everything as written; older ones: the whole volume rolled back), or
    'detected' (refused or EIO); never wrong data, never a mix."""
    try:
        fs = SeFs(folder, KEY, create=False)
    except ImageError:
        return "detected"
    err: KernelError | None = None
    got: State = {}
    try:
        got = visible(fs.root())
    except KernelError as e:
        err = e
    finally:
        abandon(fs)
    if err is not None:
        assert err.errno == Errno.EIO, err
        return "detected"
    for gen in sorted(states, reverse=True):
        if got == states[gen]:
            return str(gen)
    raise AssertionError("tampering produced wrong data")


#: Format versions sefs reads; another one in a slot file refuses the mount (a
#: newer format is never skipped), a known one with a wrong body just fails.
KNOWN_VERSIONS = (1, 2, 3)


def test_tamper_sweep_every_byte_of_metadata_and_every_slot(folder: Path) -> None:
    sample = build_sample(folder)
    states = sample.states
    original = host_files(folder)
    assert original["sefs.lock"] == b""
    assert sorted(original) == sorted([LOCK_NAME, NODES_NAME, SUPER_NAME, SUPER_B_NAME])
    # Every byte of both superblock files. sefs.super holds the older anchor:
    # damage to it changes nothing. sefs.super.b holds the newest: damaged, the
    # mount falls back to the older anchor (as after a crash while it was being
    # written), whose state is whole unless the commits since reused its nodes.
    for name, intact in ((SUPER_NAME, {"3"}), (SUPER_B_NAME, {"1", "detected"})):
        sup = original[name]
        assert len(sup) % 4096 == 0
        end = 72 + int.from_bytes(sup[64:72], "little")  # then zero padding
        assert not sup[end:].strip(b"\0")
        for pos in [*range(end), *range(end, len(sup), 61), len(sup) - 1]:
            for flip in (0x01, 0x80):
                damaged = bytearray(sup)
                damaged[pos] ^= flip
                (folder / name).write_bytes(damaged)
                result = outcome(folder, states)
                unknown = int.from_bytes(damaged[8:12], "little") not in KNOWN_VERSIONS
                assert result in ({"detected"} if unknown else intact), (name, pos)
            restore(folder, original)
        for cut in (0, 1, 50, 71, 72, 100, len(sup) // 2, len(sup) - 1):
            (folder / name).write_bytes(sup[:cut])
            assert outcome(folder, states) in intact, (name, cut)
            restore(folder, original)
    # Both superblock files damaged: refused.
    for a, b in ((3, 3), (100, 200), (40, 5000 % len(original[SUPER_B_NAME]))):
        for name, pos in ((SUPER_NAME, a), (SUPER_B_NAME, b)):
            damaged = bytearray(original[name])
            damaged[pos] ^= 0x04
            (folder / name).write_bytes(damaged)
        assert outcome(folder, states) == "detected", (a, b)
        restore(folder, original)
    # Every slot of the node file. A slot generation 3 wrote (its log record or a
    # node it lists) makes the mount use generation 2; any other slot in use
    # gives EIO (or a refused mount); free ones (the rest of the log area
    # too) do nothing.
    nodes = original[NODES_NAME]
    nslots = len(nodes) // N
    assert len(nodes) == nslots * N
    assert sample.tip - {sample.log[0]}
    for slot in range(nslots):
        want = ("2" if slot in sample.tip else
                "detected" if slot in sample.used and slot not in sample.log else "3")
        for off in (0, 1, 2049, N - 1):
            damaged = bytearray(nodes)
            damaged[slot * N + off] ^= 0x10
            (folder / NODES_NAME).write_bytes(damaged)
            assert outcome(folder, states) == want, (slot, off)
            restore(folder, original)
    # Truncation of the node file at every slot boundary.
    for cut in [s * N for s in range(nslots)] + [len(nodes) - 1]:
        (folder / NODES_NAME).write_bytes(nodes[:cut])
        lost = {s for s in sample.used - set(sample.log[1:]) if s >= cut // N}
        # (Only the newest commit's slots cut: generation 2 is used, whole if the
        # slots it needs, which generation 3 freed, are not past the cut too.)
        wants = {"3"} if not lost else {"2", "detected"} if lost <= sample.tip else {"detected"}
        assert outcome(folder, states) in wants, cut
        restore(folder, original)
    # Deleting a file: sefs.super (which says there is a volume) refuses the
    # mount; sefs.super.b falls back to sefs.super; the node file is "tampered".
    for name in (SUPER_NAME, NODES_NAME):
        (folder / name).unlink()
        with pytest.raises(ImageError):
            SeFs(folder, KEY, create=False)
        restore(folder, original)
    (folder / SUPER_B_NAME).unlink()
    assert outcome(folder, states) in {"1", "detected"}
    restore(folder, original)
    assert outcome(folder, states) == "3"


def data_slots(fs: SeFs, path: str) -> list[int]:
    """Slots of a small file's data nodes (height 0 or 1), read through the tree."""
    node = walk(fs.root(), path)
    c = node._c  # type: ignore[attr-defined]
    node.read(0, 1)  # loads the table
    assert c.height <= 1
    if c.height == 0:
        return [sefs_mod._ENT.unpack_from(c.root)[0] - 1]
    t = c.levels[1][0]
    return [sefs_mod._ENT.unpack_from(t, k * 32)[0] - 1
            for k in range(sefs_mod._nnodes(c.size))]


def swap_slots(folder: Path, s1: int, s2: int) -> None:
    with open(folder / NODES_NAME, "r+b") as f:
        f.seek(s1 * N)
        a = f.read(N)
        f.seek(s2 * N)
        b = f.read(N)
        f.seek(s1 * N)
        f.write(b)
        f.seek(s2 * N)
        f.write(a)


def read_all(folder: Path, path: str) -> bytes:
    fs = SeFs(folder, KEY, create=False)
    try:
        f = walk(fs.root(), path)
        return f.read(0, f.stat().size)
    finally:
        abandon(fs)


def test_swapping_two_files_blobs_is_detected(folder: Path) -> None:
    fs = SeFs(folder, KEY)
    r = fs.root()
    r.create("x", 0o644).write(0, pattern(2 * N, 1))
    r.create("y", 0o644).write(0, pattern(2 * N, 2))
    r.create("z", 0o644).write(0, pattern(N, 3))
    r.create("w", 0o644).write(0, pattern(N, 4))
    fs.sync()
    sx, sy, sz, sw = (data_slots(fs, n) for n in "xyzw")
    fs.close()
    original = host_files(folder)
    for a, b, path in ((sx[0], sy[0], "x"), (sx[0], sx[1], "x"), (sz[0], sw[0], "z")):
        swap_slots(folder, a, b)
        assert errno_of(read_all, folder, path) == Errno.EIO
        restore(folder, original)
    for i in range(2):  # the whole blobs
        swap_slots(folder, sx[i], sy[i])
    assert errno_of(read_all, folder, "x") == Errno.EIO
    assert errno_of(read_all, folder, "y") == Errno.EIO


def test_rolling_one_file_back_is_detected(folder: Path) -> None:
    fs = SeFs(folder, KEY)
    r = fs.root()
    r.create("a", 0o644).write(0, pattern(2 * N, 1))
    r.create("b", 0o644).write(0, b"bbb")
    fs.sync()
    old_slots = data_slots(fs, "a")
    fs.close()
    v1 = host_files(folder)
    fs = SeFs(folder, KEY)
    fs.root().lookup("a").write(0, pattern(2 * N, 2))
    fs.close()
    v2 = host_files(folder)
    fs = SeFs(folder, KEY)
    new_slots = data_slots(fs, "a")
    fs.root().lookup("b").write(0, b"BBB")  # a later commit that leaves a alone
    fs.close()
    v3 = host_files(folder)
    old_nodes = v1[NODES_NAME]

    def put(slots_to: list[int]) -> None:
        with open(folder / NODES_NAME, "r+b") as f:
            for src, dst in zip(old_slots, slots_to, strict=True):
                f.seek(dst * N)
                f.write(old_nodes[src * N : (src + 1) * N])

    # The old blob where the current entries point: fails authentication.
    restore(folder, v3)
    put(new_slots)
    assert errno_of(read_all, folder, "a") == Errno.EIO
    restore(folder, v3)
    # The old blob back where it was: not referenced any more (the new data
    # stays), or reused by the last commit, which then fails its check at mount:
    # the whole volume as of the commit before.
    put(old_slots)
    assert (read_all(folder, "a"), read_all(folder, "b")) in {(pattern(2 * N, 2), b"BBB"),
                                                             (pattern(2 * N, 2), b"bbb")}
    # The whole node file of an older version under the newer superblock files:
    # refused or EIO, or (log records live in the node file) the whole volume as
    # of that version; never one file old and another new.
    for old in (v1, v2):
        restore(folder, v3)
        (folder / NODES_NAME).write_bytes(old[NODES_NAME])
        try:
            got = (read_all(folder, "a"), read_all(folder, "b"))
        except (ImageError, KernelError):
            continue
        restore(folder, old)
        assert got == (read_all(folder, "a"), read_all(folder, "b"))
    # When the newest commit is the one that wrote the new blob (a log record),
    # the old blob there makes that commit fail its check at mount: the mount
    # uses the commit before, the whole volume as of then (as damaging the
    # newest superblock does; docs/sefs-format.md, "Tampering").
    restore(folder, v2)
    put(new_slots)
    assert read_all(folder, "a") == pattern(2 * N, 1)
    assert read_all(folder, "b") == b"bbb"
    # An old superblock alone does not match the newer node file either way round
    # unless the host rolls back the whole folder -- which SIM mode cannot detect
    # (no monotonic counter; docs/sefs-format.md says so).
    restore(folder, v1)
    assert read_all(folder, "a") == pattern(2 * N, 1)


# -- random operations against RamFs ------------------------------------------------------

DIRS = st.sampled_from(["", "a", "b", "a/c"])
NAMES = st.sampled_from(["f", "g", "a", "c", "n"])
OFFSETS = st.sampled_from([0, 1, 4095, 4096, 5000, 8191, 12288, 70000, 600000])
SIZES = st.sampled_from([0, 1, 7, 100, 4096, 4097, 9000, 70000])
PATTERN = pattern(80000, 99)
DATA = st.tuples(st.integers(0, 5000), SIZES).map(lambda t: PATTERN[t[0] : t[0] + t[1]])


def _outcome(fn: Callable[..., object], *args: object) -> tuple[str, object]:
    try:
        result = fn(*args)
    except KernelError as e:
        return ("err", e.errno)
    return ("ok", None if isinstance(result, Inode) else result)


def _populate(fs: FileSystem) -> None:
    r = fs.root()
    a = r.mkdir("a", 0o755)
    a.mkdir("c", 0o700)
    r.mkdir("b", 0o755)
    r.create("f", 0o644).write(0, b"top f")
    a.create("f", 0o600).write(0, PATTERN[:9000])
    r.symlink("l", "a/f")


class SeFsMatchesRamFs(RuleBasedStateMachine):
    """Random operations on a SeFs (remounted now and then, tiny cache) and on a
    RamFs give the same results; what a program sees is always the same."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="sefs-sm-"))
        self.sefs = SeFs(self.tmp / "v", KEY, cache_size=0)
        self.ref = RamFs()
        _populate(self.sefs)
        _populate(self.ref)
        self.handles: list[tuple[Inode, Inode]] = []

    def teardown(self) -> None:
        self.sefs.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def both(self, fn_name: str, path: str, *args: object) -> None:
        results: list[tuple[str, object]] = []
        for root in (self.sefs.root(), self.ref.root()):
            try:
                node = walk(root, path)
            except KernelError as e:
                results.append(("err", e.errno))
                continue
            results.append(_outcome(getattr(node, fn_name), *args))
        assert results[0] == results[1], (fn_name, path, args)

    @rule(d=DIRS, n=NAMES, mode=st.sampled_from([0o644, 0o600]))
    def create(self, d: str, n: str, mode: int) -> None:
        self.both("create", d, n, mode)

    @rule(d=DIRS, n=NAMES)
    def mkdir(self, d: str, n: str) -> None:
        self.both("mkdir", d, n, 0o755)

    @rule(d=DIRS, n=NAMES)
    def unlink(self, d: str, n: str) -> None:
        self.both("unlink", d, n)

    @rule(d=DIRS, n=NAMES)
    def rmdir(self, d: str, n: str) -> None:
        self.both("rmdir", d, n)

    @rule(d=DIRS, n=NAMES, off=OFFSETS, data=DATA)
    def write(self, d: str, n: str, off: int, data: bytes) -> None:
        self.both("write", f"{d}/{n}", off, data)

    @rule(d=DIRS, n=NAMES, size=st.sampled_from([0, 3, 4096, 5000, 70000, 300000, 1 << 20]))
    def truncate(self, d: str, n: str, size: int) -> None:
        self.both("truncate", f"{d}/{n}", size)

    @rule(d=DIRS, n=NAMES, off=OFFSETS, size=SIZES)
    def allocate(self, d: str, n: str, off: int, size: int) -> None:
        self.both("allocate", f"{d}/{n}", off, size)

    @rule(d=DIRS, n=NAMES, mode=st.sampled_from([0o600, 0o755]))
    def chmod(self, d: str, n: str, mode: int) -> None:
        self.both("chmod", f"{d}/{n}", mode)

    @rule(d=DIRS, n=NAMES, dest=st.sampled_from(["f", "../a", "x/y"]))
    def symlink(self, d: str, n: str, dest: str) -> None:
        self.both("symlink", d, n, dest)

    @rule(d=DIRS, n=NAMES)
    def readlink(self, d: str, n: str) -> None:
        self.both("readlink", f"{d}/{n}")

    @rule(d1=DIRS, n1=NAMES, d2=DIRS, n2=NAMES)
    def link(self, d1: str, n1: str, d2: str, n2: str) -> None:
        outcomes: list[tuple[str, object]] = []
        for root in (self.sefs.root(), self.ref.root()):
            try:
                src, new_dir = walk(root, f"{d1}/{n1}"), walk(root, d2)
            except KernelError as e:
                outcomes.append(("err", e.errno))
                continue
            outcomes.append(_outcome(new_dir.link, n2, src))
        assert outcomes[0] == outcomes[1]

    @rule(d=DIRS, n=NAMES, off=OFFSETS, size=SIZES)
    def read(self, d: str, n: str, off: int, size: int) -> None:
        self.both("read", f"{d}/{n}", off, size)

    @rule(d1=DIRS, n1=NAMES, d2=DIRS, n2=NAMES)
    def rename(self, d1: str, n1: str, d2: str, n2: str) -> None:
        outcomes: list[tuple[str, object]] = []
        for root in (self.sefs.root(), self.ref.root()):
            try:
                old_dir, new_dir = walk(root, d1), walk(root, d2)
            except KernelError as e:
                outcomes.append(("err", e.errno))
                continue
            outcomes.append(_outcome(old_dir.rename, n1, new_dir, n2))
        assert outcomes[0] == outcomes[1], (d1, n1, d2, n2)

    @rule(d=DIRS, n=NAMES)
    def open(self, d: str, n: str) -> None:
        try:
            pair = (walk(self.sefs.root(), f"{d}/{n}"), walk(self.ref.root(), f"{d}/{n}"))
        except KernelError:
            return
        if pair[1].filetype == FileType.REGULAR_FILE and len(self.handles) < 4:
            self.handles.append(pair)

    @rule(i=st.integers(0, 3), off=OFFSETS, data=DATA)
    def handle_write(self, i: int, off: int, data: bytes) -> None:
        if i < len(self.handles):
            s, r = self.handles[i]
            assert _outcome(s.write, off, data) == _outcome(r.write, off, data)

    @rule(i=st.integers(0, 3), size=st.sampled_from([0, 5, 9000]))
    def handle_truncate_and_read(self, i: int, size: int) -> None:
        if i < len(self.handles):
            s, r = self.handles[i]
            s.truncate(size)
            r.truncate(size)
            assert s.read(0, 1 << 20) == r.read(0, 1 << 20)
            a, b = s.stat(), r.stat()
            assert (a.size, a.nlink, a.mode) == (b.size, b.nlink, b.mode)

    @rule()
    def sync(self) -> None:
        self.sefs.sync()

    @rule(crash=st.booleans())
    def remount(self, crash: bool) -> None:
        """Handles do not survive a remount; open-but-unlinked files vanish."""
        if crash:
            self.sefs.sync()
            abandon(self.sefs)
        else:
            self.sefs.close()
        self.handles.clear()
        self.sefs = SeFs(self.tmp / "v", KEY, cache_size=0)

    @invariant()
    def same_tree(self) -> None:
        assert visible(self.sefs.root()) == visible(self.ref.root())


def test_sefs_matches_ramfs() -> None:
    """(A plain test, not the machine's TestCase: it runs on both crypto paths.)"""
    run_state_machine_as_test(SeFsMatchesRamFs, settings=settings(
        max_examples=40, stateful_step_count=35, deadline=None))


# -- threads ---------------------------------------------------------------------------


def test_concurrent_creates_and_writes(fs: SeFs, root: Inode) -> None:
    shared = root.create("shared", 0o644)
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(100):
                root.create(f"t{t}-{i}", 0o644).write(0, b"x" * (i * 50))
                shared.write((t * 100 + i) * 4, b"%04d" % t)
                if i % 25 == 0:
                    fs.sync()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    fs = remount(fs)
    r = fs.root()
    assert len(names(r)) == 4 * 100 + 1
    data = r.lookup("shared").read(0, 4 * 100 * 4)
    for t in range(4):
        assert data[t * 400 : t * 400 + 4] == b"%04d" % t
    assert r.lookup("t3-99").read(0, 10000) == b"x" * 4950
    fs.close()


# -- crash safety: SIGKILL at random moments --------------------------------------------

CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pyocclum.errors import KernelError
    from pyocclum.fs.sefs import SeFs

    def content(v):
        n = (v * 7919) % 150000 + 1
        return (b"v%d:" % v * (n // 4 + 1))[:n]

    folder, v = Path(sys.argv[1]), int(sys.argv[2])
    fs = SeFs(folder, bytes(range(32)), cache_size=1 << 16)
    root = fs.root()
    print("ready", flush=True)
    while True:
        name = "f%d" % (v % 5)
        data = content(v)
        if v % 4 == 0:  # replace by rename
            tmp = root.create("tmp%d" % v, 0o644)
            tmp.write(0, data)
            root.rename("tmp%d" % v, root, name)
        else:
            try:
                f = root.lookup(name)
            except KernelError:
                f = root.create(name, 0o644)
            f.write(0, data)
            f.truncate(len(data))
        fs.sync()
        print(v, flush=True)
        v += 1
""")


def _content(v: int) -> bytes:
    n = (v * 7919) % 150000 + 1
    return (b"v%d:" % v * (n // 4 + 1))[:n]


def test_sigkill_at_random_moments_keeps_synced_files_intact(tmp_path: Path) -> None:
    folder = tmp_path / "crash"
    rnd = random.Random(1234)
    latest: dict[str, int] = {}  # name -> version known to be on disk
    v = 0
    for _round in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(v)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n", proc.stderr.read() if proc.stderr else ""
        time.sleep(rnd.uniform(0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Through the reader readline() used: it may hold lines read ahead, which
        # communicate() (reading the raw pipes) would lose.
        out = proc.stdout.read()
        err = proc.stderr.read() if proc.stderr else b""
        assert proc.returncode == -signal.SIGKILL, err.decode()
        done = [int(line) for line in out.split(b"\n")[:-1]]  # complete lines only
        last = done[-1] if done else v - 1
        for x in done:
            latest[f"f{x % 5}"] = x
        inflight = last + 1
        with SeFs(folder, KEY, create=False) as fs:
            root = fs.root()
            found = {e.name for e in root.entries()}
            assert found <= {f"f{i}" for i in range(5)} | {f"tmp{inflight}"}
            for i in range(5):
                name = f"f{i}"
                allowed = {latest[name]} if name in latest else set()
                if inflight % 5 == i:
                    allowed.add(inflight)
                if name not in found:
                    assert name not in latest, name
                    continue
                f = root.lookup(name)
                data = f.read(0, f.stat().size)
                match = [x for x in allowed if _content(x) == data]
                assert match, (name, allowed, data[:20], len(data))
                latest[name] = match[0]
        v = inflight + 1
