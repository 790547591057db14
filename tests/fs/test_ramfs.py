"""RamFs: files, directories, links, rename semantics, times, sparse data, capacity."""

from __future__ import annotations

import gc
import threading

import pytest
from helpers import errno_of, names

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.fs.ramfs import CHUNK_SIZE, RamFs
from pyocclum.fs.types import Inode


@pytest.fixture
def fs() -> RamFs:
    return RamFs()


@pytest.fixture
def root(fs: RamFs) -> Inode:
    return fs.root()


# -- regular files ------------------------------------------------------------


def test_write_read_roundtrip(root: Inode) -> None:
    f = root.create("f", 0o644)
    assert f.write(0, b"hello world") == 11
    assert f.read(0, 5) == b"hello"
    assert f.read(6, 100) == b"world"
    assert f.read(11, 10) == b""
    assert f.read(100, 10) == b""
    assert f.stat().size == 11
    assert f.stat().filetype == FileType.REGULAR_FILE
    assert f.filetype == FileType.REGULAR_FILE


def test_overwrite_in_middle(root: Inode) -> None:
    f = root.create("f", 0o644)
    f.write(0, b"aaaaaaaaaa")
    f.write(3, b"XYZ")
    assert f.read(0, 100) == b"aaaXYZaaaa"
    f.write(8, b"1234")
    assert f.read(0, 100) == b"aaaXYZaa1234"


def test_sparse_holes_read_as_zeros(fs: RamFs, root: Inode) -> None:
    f = root.create("f", 0o644)
    f.write(10, b"x")
    assert f.read(0, 11) == bytes(10) + b"x"
    far = 5 * CHUNK_SIZE + 17
    f.write(far, b"end")
    assert f.stat().size == far + 3
    data = f.read(0, far + 3)
    assert data == bytes(10) + b"x" + bytes(far - 11) + b"end"
    # Only the two touched chunks hold memory.
    assert fs.bytes_used <= 2 * CHUNK_SIZE


def test_huge_sparse_file_costs_nothing(fs: RamFs, root: Inode) -> None:
    f = root.create("f", 0o644)
    f.write(1 << 40, b"!")
    assert f.stat().size == (1 << 40) + 1
    assert f.read((1 << 40) - 2, 10) == b"\0\0!"
    assert fs.bytes_used < 2 * CHUNK_SIZE
    f.truncate(1 << 50)
    assert f.stat().size == 1 << 50
    assert f.read(1 << 49, 4) == bytes(4)


def test_write_across_chunks(root: Inode) -> None:
    f = root.create("f", 0o644)
    blob = bytes(range(256)) * (3 * CHUNK_SIZE // 256 + 5)
    off = CHUNK_SIZE - 100
    assert f.write(off, blob) == len(blob)
    assert f.read(off, len(blob)) == blob
    assert f.read(0, off) == bytes(off)
    assert f.read(off + 50, 300) == blob[50:350]


def test_write_accepts_memoryview(root: Inode) -> None:
    f = root.create("f", 0o644)
    data = bytearray(b"z" * (CHUNK_SIZE + 10))
    assert f.write(5, memoryview(data)) == len(data)  # type: ignore[arg-type]
    assert f.read(5, len(data)) == bytes(data)


def test_truncate_shrink_then_grow_reads_zeros(root: Inode) -> None:
    f = root.create("f", 0o644)
    f.write(0, b"x" * (2 * CHUNK_SIZE + 10))
    f.truncate(CHUNK_SIZE + 5)
    assert f.stat().size == CHUNK_SIZE + 5
    f.truncate(3 * CHUNK_SIZE)
    data = f.read(0, 3 * CHUNK_SIZE)
    assert data == b"x" * (CHUNK_SIZE + 5) + bytes(2 * CHUNK_SIZE - 5)
    f.truncate(0)
    assert f.read(0, 10) == b""
    f.truncate(CHUNK_SIZE)
    assert f.read(0, CHUNK_SIZE) == bytes(CHUNK_SIZE)


def test_truncate_and_write_errors(root: Inode) -> None:
    f = root.create("f", 0o644)
    assert errno_of(f.truncate, -1) == Errno.EINVAL
    assert errno_of(f.write, -1, b"x") == Errno.EINVAL
    assert errno_of(f.read, -1, 1) == Errno.EINVAL
    assert errno_of(f.write, (1 << 63) - 1, b"xx") == Errno.EFBIG
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


def test_capacity_enospc_and_space_returned() -> None:
    fs = RamFs(capacity=100)
    root = fs.root()
    f = root.create("f", 0o644)
    assert f.write(0, b"a" * 60) == 60
    g = root.create("g", 0o644)
    assert errno_of(g.write, 0, b"b" * 50) == Errno.ENOSPC
    assert g.write(0, b"b" * 40) == 40
    assert fs.bytes_used == 100
    # Overwriting in place needs no new space.
    assert f.write(0, b"c" * 60) == 60
    f.truncate(10)
    assert fs.bytes_used == 50
    # Unlink frees the space only once the last reference is gone.
    root.unlink("g")
    assert fs.bytes_used == 50
    del g
    gc.collect()
    assert fs.bytes_used == 10


def test_capacity_short_write_across_chunks() -> None:
    fs = RamFs(capacity=CHUNK_SIZE + 10)
    f = fs.root().create("f", 0o644)
    n = f.write(0, b"q" * (2 * CHUNK_SIZE))
    assert n == CHUNK_SIZE
    assert f.stat().size == CHUNK_SIZE


def test_file_has_no_directory_operations(root: Inode) -> None:
    f = root.create("f", 0o644)
    assert errno_of(f.lookup, "x") == Errno.ENOTDIR
    assert errno_of(f.create, "x", 0o644) == Errno.ENOTDIR
    assert errno_of(f.readlink) == Errno.EINVAL
    assert f.open_stream() is None


# -- directories --------------------------------------------------------------


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


def test_entries_in_insertion_order(root: Inode) -> None:
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
    assert ents["zeta"].filetype == FileType.REGULAR_FILE


def test_inode_numbers_unique(root: Inode) -> None:
    inos = {root.ino}
    for i in range(50):
        inos.add(root.create(f"f{i}", 0o644).ino)
        inos.add(root.mkdir(f"d{i}", 0o755).ino)
        inos.add(root.symlink(f"s{i}", "x").ino)
    assert len(inos) == 151


def test_mkdir_nlink_and_rmdir(root: Inode) -> None:
    assert root.stat().nlink == 2
    d = root.mkdir("d", 0o755)
    assert root.stat().nlink == 3
    assert d.stat().nlink == 2
    assert d.stat().filetype == FileType.DIRECTORY
    d.create("x", 0o644)
    assert errno_of(root.rmdir, "d") == Errno.ENOTEMPTY
    assert errno_of(root.unlink, "d") == Errno.EISDIR
    d.unlink("x")
    root.rmdir("d")
    assert root.stat().nlink == 2
    assert d.stat().nlink == 0
    assert errno_of(root.rmdir, "d") == Errno.ENOENT
    # A removed directory accepts no new entries.
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


# -- symlinks and hard links --------------------------------------------------


def test_symlink(root: Inode) -> None:
    s = root.symlink("s", "../some/where")
    assert s.readlink() == "../some/where"
    st = s.stat()
    assert st.filetype == FileType.SYMBOLIC_LINK
    assert st.size == len("../some/where")
    assert root.lookup("s") is s
    assert errno_of(root.symlink, "e", "") == Errno.ENOENT
    assert errno_of(root.symlink, "e", "a\0b") == Errno.EINVAL
    assert errno_of(root.symlink, "e", "x" * 5000) == Errno.ENAMETOOLONG
    assert errno_of(s.read, 0, 1) == Errno.EINVAL
    assert errno_of(s.chmod, 0o600) == Errno.ENOTSUP


def test_hard_links(root: Inode) -> None:
    f = root.create("a", 0o644)
    f.write(0, b"data")
    d = root.mkdir("d", 0o755)
    d.link("b", f)
    assert f.stat().nlink == 2
    assert d.lookup("b") is f
    root.unlink("a")
    assert f.stat().nlink == 1
    assert d.lookup("b").read(0, 10) == b"data"
    assert errno_of(root.link, "dd", d) == Errno.EPERM
    assert errno_of(root.link, "d", f) == Errno.EEXIST
    other = RamFs().root().create("x", 0o644)
    assert errno_of(root.link, "x", other) == Errno.EXDEV


def test_link_unlinked_file_fails(root: Inode) -> None:
    f = root.create("a", 0o644)
    root.unlink("a")
    assert errno_of(root.link, "b", f) == Errno.ENOENT


def test_unlinked_open_file_keeps_working(root: Inode) -> None:
    f = root.create("a", 0o644)
    f.write(0, b"before")
    root.unlink("a")
    assert f.stat().nlink == 0
    assert f.write(6, b"+after") == 6
    assert f.read(0, 100) == b"before+after"
    f.truncate(3)
    assert f.read(0, 100) == b"bef"
    assert errno_of(root.lookup, "a") == Errno.ENOENT


# -- rename -------------------------------------------------------------------


def test_rename_file_within_and_across_dirs(root: Inode) -> None:
    f = root.create("a", 0o644)
    root.rename("a", root, "b")
    assert root.lookup("b") is f
    assert errno_of(root.lookup, "a") == Errno.ENOENT
    d = root.mkdir("d", 0o755)
    root.rename("b", d, "c")
    assert d.lookup("c") is f
    assert names(root) == ["d"]


def test_rename_replaces_file(root: Inode) -> None:
    a = root.create("a", 0o644)
    b = root.create("b", 0o644)
    b.write(0, b"old")
    root.rename("a", root, "b")
    assert root.lookup("b") is a
    assert b.stat().nlink == 0
    assert b.read(0, 10) == b"old"  # still usable while referenced
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


def test_rename_dir_semantics(root: Inode) -> None:
    src = root.mkdir("src", 0o755)
    src.create("inside", 0o644)
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
    assert src.lookup("inside").filetype == FileType.REGULAR_FILE
    assert sorted(names(root)) == ["empty", "file", "full"]
    assert root.stat().nlink == 4  # two subdirectories


def test_rename_dir_into_itself_einval(root: Inode) -> None:
    a = root.mkdir("a", 0o755)
    b = a.mkdir("b", 0o755)
    assert errno_of(root.rename, "a", b, "x") == Errno.EINVAL
    assert errno_of(root.rename, "a", a, "x") == Errno.EINVAL


def test_rename_dir_moves_nlink(root: Inode) -> None:
    p1 = root.mkdir("p1", 0o755)
    p2 = root.mkdir("p2", 0o755)
    p1.mkdir("c", 0o755)
    assert p1.stat().nlink == 3
    p1.rename("c", p2, "c")
    assert p1.stat().nlink == 2
    assert p2.stat().nlink == 3
    p2.mkdir("e", 0o755)
    p2.rename("c", p2, "e")  # replaces an empty directory
    assert p2.stat().nlink == 3


def test_rename_across_fs_and_bad_target(root: Inode) -> None:
    root.create("a", 0o644)
    other = RamFs().root()
    assert errno_of(root.rename, "a", other, "a") == Errno.EXDEV
    f = root.create("f", 0o644)
    assert errno_of(root.rename, "a", f, "x") == Errno.ENOTDIR
    d = root.mkdir("d", 0o755)
    root.rmdir("d")
    assert errno_of(root.rename, "a", d, "x") == Errno.ENOENT


# -- metadata and times -------------------------------------------------------


def test_chmod_and_set_times(root: Inode) -> None:
    f = root.create("f", 0o100644)  # file type bits are dropped
    assert f.stat().mode == 0o644
    c0 = f.stat().ctim
    f.chmod(0o4755)
    assert f.stat().mode == 0o4755
    assert f.stat().ctim >= c0
    f.set_times(123, None)
    st = f.stat()
    assert st.atim == 123
    assert st.mtim != 123
    f.set_times(None, 456)
    st = f.stat()
    assert (st.atim, st.mtim) == (123, 456)


def test_times_follow_linux(root: Inode) -> None:
    root.set_times(1, 1)
    f = root.create("f", 0o644)
    st = root.stat()
    assert st.mtim > 1  # creating an entry touches the directory
    assert st.mtim == st.ctim
    f.set_times(1, 1)
    f.read(0, 10)
    assert f.stat().atim > 1
    assert f.stat().mtim == 1
    f.set_times(1, 1)
    f.write(0, b"x")
    st = f.stat()
    assert st.mtim > 1
    assert st.atim == 1
    assert st.ctim == st.mtim
    f.set_times(1, 1)
    f.truncate(0)
    assert f.stat().mtim > 1
    root.set_times(1, 1)
    root.unlink("f")
    assert root.stat().mtim > 1
    root.set_times(1, 1)
    list(root.entries())
    assert root.stat().atim > 1


def test_root_mode_and_dev() -> None:
    fs = RamFs(root_mode=0o1777)
    fs.dev = 7
    st = fs.root().stat()
    assert st.mode == 0o1777
    assert st.dev == 7
    assert fs.fstype == "ramfs"
    assert fs.root().create("x", 0o600).stat().dev == 7


# -- threads ------------------------------------------------------------------


def test_concurrent_creates_and_writes(fs: RamFs, root: Inode) -> None:
    shared = root.create("shared", 0o644)
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(200):
                root.create(f"t{t}-{i}", 0o644).write(0, b"x")
                shared.write((t * 200 + i) * 4, b"%04d" % t)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len(names(root)) == 8 * 200 + 1
    assert shared.stat().size == 8 * 200 * 4
    data = shared.read(0, 8 * 200 * 4)
    for t in range(8):
        assert data[t * 800 : t * 800 + 4] == b"%04d" % t
    inos = {e.ino for e in root.entries()}
    assert len(inos) == 8 * 200 + 1
