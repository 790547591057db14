"""HostFs: host-backed files, errors, descriptor caching, and confinement below its root.

Also a property test: random operation sequences give the same results
(values and errno) on HostFs and RamFs.
"""

from __future__ import annotations

import os
import socket
import stat as host_stat
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import errno_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.ramfs import CHUNK_SIZE, RamFs
from pyocclum.fs.types import Inode


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def host(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret").write_bytes(b"SECRET")
    return out


@pytest.fixture
def fs(host: Path) -> HostFs:
    return HostFs(host)


# -- basics -------------------------------------------------------------------


def test_create_write_read_visible_on_host(fs: HostFs, host: Path) -> None:
    root = fs.root()
    f = root.create("f", 0o640)
    assert f.write(0, b"hello") == 5
    assert f.write(10, b"world") == 5
    assert f.read(0, 100) == b"hello" + bytes(5) + b"world"
    assert (host / "f").read_bytes() == b"hello" + bytes(5) + b"world"
    st = f.stat()
    assert st.filetype == FileType.REGULAR_FILE
    assert st.size == 15
    assert st.mode == 0o640  # exactly as asked, whatever the host umask
    assert st.ino == os.stat(host / "f").st_ino
    assert fs.fstype == "hostfs"


def test_lookup_host_objects(fs: HostFs, host: Path) -> None:
    (host / "file").write_bytes(b"abc")
    (host / "dir").mkdir()
    (host / "dir" / "inner").write_bytes(b"in")
    os.symlink("file", host / "link")
    os.mkfifo(host / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(host / "sock"))
    try:
        root = fs.root()
        assert root.lookup("file").read(0, 10) == b"abc"
        d = root.lookup("dir")
        assert d.filetype == FileType.DIRECTORY
        assert d.lookup("inner").read(0, 10) == b"in"
        link = root.lookup("link")
        assert link.filetype == FileType.SYMBOLIC_LINK
        assert link.readlink() == "file"
        assert root.lookup("fifo").stat().filetype == FileType.UNKNOWN
        assert root.lookup("sock").stat().filetype == FileType.SOCKET_STREAM
        # Host FIFOs and sockets are never opened for data.
        assert errno_of(root.lookup("fifo").read, 0, 1) == Errno.EINVAL
        ents = list(root.entries())
        assert [e.name for e in ents] == ["dir", "fifo", "file", "link", "sock"]
        types = {e.name: e.filetype for e in ents}
        assert types["dir"] == FileType.DIRECTORY
        assert types["link"] == FileType.SYMBOLIC_LINK
        assert types["file"] == FileType.REGULAR_FILE
        assert types["fifo"] == FileType.UNKNOWN
        assert {e.name: e.ino for e in ents}["file"] == os.stat(host / "file").st_ino
    finally:
        sock.close()


def test_char_device_maps_to_character_device(fs: HostFs, host: Path) -> None:
    try:
        os.mknod(host / "null", 0o666 | host_stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        pytest.skip("cannot make device nodes here")
    node = fs.root().lookup("null")
    assert node.stat().filetype == FileType.CHARACTER_DEVICE
    assert node.stat().rdev == os.makedev(1, 3)  # the host's number, as Linux shows it
    assert node.open_stream() is None
    assert errno_of(node.read, 0, 1) == Errno.EINVAL


def test_same_host_object_same_inode(fs: HostFs, host: Path) -> None:
    (host / "d").mkdir()
    root = fs.root()
    assert root.lookup("d") is root.lookup("d")
    f = root.create("f", 0o644)
    assert root.lookup("f") is f


def test_errors(fs: HostFs, host: Path) -> None:
    root = fs.root()
    f = root.create("f", 0o644)
    d = root.mkdir("d", 0o755)
    d.create("x", 0o644)
    assert errno_of(root.lookup, "missing") == Errno.ENOENT
    assert errno_of(root.create, "f", 0o644) == Errno.EEXIST
    assert errno_of(root.mkdir, "d", 0o755) == Errno.EEXIST
    assert errno_of(root.symlink, "f", "x") == Errno.EEXIST
    assert errno_of(f.lookup, "x") == Errno.ENOTDIR
    assert errno_of(root.rmdir, "f") == Errno.ENOTDIR
    assert errno_of(root.rmdir, "d") == Errno.ENOTEMPTY
    assert errno_of(root.unlink, "d") == Errno.EISDIR
    assert errno_of(root.unlink, "missing") == Errno.ENOENT
    assert errno_of(d.read, 0, 1) == Errno.EISDIR
    assert errno_of(d.write, 0, b"x") == Errno.EISDIR
    assert errno_of(root.rename, "d", root, "f") == Errno.ENOTDIR
    assert errno_of(root.rename, "f", root, "d") == Errno.EISDIR
    assert errno_of(root.rename, "missing", root, "z") == Errno.ENOENT
    assert errno_of(root.rename, "d", d, "sub") == Errno.EINVAL
    assert errno_of(root.link, "dd", d) == Errno.EPERM
    assert errno_of(root.link, "f", f) == Errno.EEXIST
    assert errno_of(root.lookup, "..") == Errno.EINVAL
    assert errno_of(root.create, "a/b", 0o644) == Errno.EINVAL
    assert errno_of(root.symlink, "e", "") == Errno.ENOENT
    assert errno_of(f.write, -1, b"x") == Errno.EINVAL
    assert errno_of(f.truncate, -1) == Errno.EINVAL


def test_exdev(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    fa, fb = HostFs(tmp_path / "a"), HostFs(tmp_path / "b")
    f = fa.root().create("f", 0o644)
    assert errno_of(fa.root().rename, "f", fb.root(), "f") == Errno.EXDEV
    assert errno_of(fb.root().link, "f", f) == Errno.EXDEV
    ram = RamFs().root()
    assert errno_of(fa.root().rename, "f", ram, "f") == Errno.EXDEV
    assert errno_of(fa.root().link, "g", ram.create("g", 0o644)) == Errno.EXDEV
    assert errno_of(ram.link, "h", f) == Errno.EXDEV


def test_big_read_and_write(fs: HostFs, host: Path) -> None:
    blob = os.urandom(3 * (1 << 20) + 123)  # more than one host read's worth
    f = fs.root().create("big", 0o644)
    assert f.write(5, blob) == len(blob)
    assert f.read(5, len(blob) + 100) == blob
    assert f.read(0, 5) == bytes(5)
    assert (host / "big").read_bytes()[5:] == blob


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(KernelError) as info:
        HostFs(tmp_path / "nope")
    assert info.value.errno == Errno.ENOENT


def test_links_rename_and_nlink(fs: HostFs, host: Path) -> None:
    root = fs.root()
    f = root.create("a", 0o644)
    f.write(0, b"data")
    d = root.mkdir("d", 0o755)
    d.link("b", f)
    assert f.stat().nlink == 2
    assert d.lookup("b") is f
    root.rename("a", d, "c")
    assert (host / "d" / "c").read_bytes() == b"data"
    assert not (host / "a").exists()
    # rename onto another link of the same file does nothing (Linux semantics)
    d.rename("b", d, "c")
    assert (host / "d" / "b").exists()
    assert (host / "d" / "c").exists()
    other = root.create("other", 0o644)
    other.write(0, b"replaced")
    root.rename("other", d, "c")
    assert (host / "d" / "c").read_bytes() == b"replaced"
    assert f.stat().nlink == 1
    assert f.read(0, 10) == b"data"


def test_rename_dir_replaces_empty_dir_only(fs: HostFs) -> None:
    root = fs.root()
    src = root.mkdir("src", 0o755)
    src.create("x", 0o644)
    root.mkdir("empty", 0o755)
    full = root.mkdir("full", 0o755)
    full.create("y", 0o644)
    assert errno_of(root.rename, "src", root, "full") == Errno.ENOTEMPTY
    root.rename("src", root, "empty")
    assert root.lookup("empty") is src
    assert src.lookup("x").stat().size == 0


def test_renamed_file_found_by_its_new_name(host: Path) -> None:
    (host / "f").write_bytes(b"content")
    fs = HostFs(host)
    root = fs.root()
    f = root.lookup("f")  # no data descriptor yet
    root.rename("f", root, "g")
    assert f.read(0, 100) == b"content"
    assert f.stat().size == 7


def test_unlinked_open_file_keeps_working(fs: HostFs, host: Path) -> None:
    root = fs.root()
    f = root.create("f", 0o644)
    f.write(0, b"before")
    root.unlink("f")
    assert not (host / "f").exists()
    assert f.write(6, b"+after") == 6
    assert f.read(0, 100) == b"before+after"
    assert f.stat().nlink == 0
    assert errno_of(root.link, "again", f) == Errno.ENOENT


def test_unlink_pins_even_after_eviction(host: Path) -> None:
    (host / "a").write_bytes(b"AAA")
    fs = HostFs(host, max_open_files=1)
    root = fs.root()
    a = root.lookup("a")
    assert a.read(0, 10) == b"AAA"
    for i in range(3):  # push a's descriptor out of the LRU
        root.create(f"f{i}", 0o644).write(0, b"x")
    root.unlink("a")
    assert a.read(0, 10) == b"AAA"


def test_link_by_descriptor_when_name_is_stale(fs: HostFs, host: Path) -> None:
    root = fs.root()
    f = root.create("a", 0o644)
    f.write(0, b"x")
    root.link("b", f)
    root.unlink("a")  # f's remembered name is now gone; b still names it
    root.link("c", f)
    assert (host / "c").read_bytes() == b"x"
    assert os.stat(host / "c").st_ino == os.stat(host / "b").st_ino


def test_descriptor_cache_is_bounded(host: Path) -> None:
    for i in range(60):
        (host / f"f{i}").write_bytes(b"%d" % i)
    fs = HostFs(host, max_open_files=4)
    root = fs.root()
    before = open_fds()
    files = [root.lookup(f"f{i}") for i in range(60)]
    for i, f in enumerate(files):
        assert f.read(0, 10) == b"%d" % i
    assert open_fds() - before <= 4
    for i, f in enumerate(files):  # evicted ones reopen transparently
        assert f.read(0, 10) == b"%d" % i
    fs.close()


def test_threads_share_a_tiny_descriptor_cache(host: Path) -> None:
    fs = HostFs(host, max_open_files=2)
    root = fs.root()
    files = [root.create(f"t{i}", 0o644) for i in range(8)]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            f = files[i]
            for j in range(200):
                f.write(j * 2, b"%02d" % i)
                assert f.read(j * 2, 2) == b"%02d" % i
                f.stat()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(8):
        assert (host / f"t{i}").read_bytes() == b"%02d" % i * 200


def test_directory_fds_released_with_inodes(host: Path) -> None:
    for i in range(50):
        (host / f"d{i}").mkdir()
    fs = HostFs(host)
    before = open_fds()
    for i in range(50):
        assert fs.root().lookup(f"d{i}").filetype == FileType.DIRECTORY
    assert open_fds() - before <= 2  # each directory inode died right after use


def test_truncate_allocate_times_chmod_sync(fs: HostFs, host: Path) -> None:
    root = fs.root()
    f = root.create("f", 0o644)
    f.write(0, b"0123456789")
    f.truncate(4)
    assert (host / "f").read_bytes() == b"0123"
    f.allocate(0, 100)
    assert f.stat().size == 100
    assert errno_of(f.allocate, 0, 0) == Errno.EINVAL
    f.set_times(1_000_000_000, 2_000_000_000)
    st = os.stat(host / "f")
    assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_000, 2_000_000_000)
    f.set_times(None, 3_000_000_000)
    st = os.stat(host / "f")
    assert (st.st_atime_ns, st.st_mtime_ns) == (1_000_000_000, 3_000_000_000)
    f.chmod(0o600)
    assert host_stat.S_IMODE(os.stat(host / "f").st_mode) == 0o600
    d = root.mkdir("d", 0o700)
    assert d.stat().mode == 0o700
    d.chmod(0o751)
    assert host_stat.S_IMODE(os.stat(host / "d").st_mode) == 0o751
    d.set_times(5, 6)
    assert os.stat(host / "d").st_mtime_ns == 6
    f.sync()
    d.sync()
    fs.sync()


def test_stale_when_host_replaces_file(fs: HostFs, host: Path) -> None:
    (host / "f").write_bytes(b"one")
    f = fs.root().lookup("f")
    # A different host inode under the same name (made first, so that the host
    # cannot hand the freed inode number straight back).
    (host / "g").write_bytes(b"two")
    (host / "g").rename(host / "f")
    assert errno_of(f.read, 0, 10) == Errno.ESTALE
    assert errno_of(f.stat) == Errno.ESTALE
    assert fs.root().lookup("f").read(0, 10) == b"two"


def test_read_only(host: Path) -> None:
    (host / "f").write_bytes(b"ro")
    (host / "d").mkdir()
    fs = HostFs(host, read_only=True)
    root = fs.root()
    f = root.lookup("f")
    d = root.lookup("d")
    assert f.read(0, 10) == b"ro"
    assert errno_of(root.create, "new", 0o644) == Errno.EROFS
    assert errno_of(root.create, "f", 0o644) == Errno.EEXIST
    assert errno_of(root.mkdir, "new", 0o755) == Errno.EROFS
    assert errno_of(root.symlink, "new", "t") == Errno.EROFS
    assert errno_of(root.link, "new", f) == Errno.EROFS
    assert errno_of(root.unlink, "f") == Errno.EROFS
    assert errno_of(root.rmdir, "d") == Errno.EROFS
    assert errno_of(root.rename, "f", root, "g") == Errno.EROFS
    assert errno_of(f.write, 0, b"x") == Errno.EROFS
    assert errno_of(f.truncate, 0) == Errno.EROFS
    assert errno_of(f.allocate, 0, 10) == Errno.EROFS
    assert errno_of(f.chmod, 0o600) == Errno.EROFS
    assert errno_of(f.set_times, 1, 1) == Errno.EROFS
    assert errno_of(d.chmod, 0o700) == Errno.EROFS
    assert errno_of(d.set_times, 1, 1) == Errno.EROFS
    assert (host / "f").read_bytes() == b"ro"
    assert sorted(os.listdir(host)) == ["d", "f"]


# -- confinement ----------------------------------------------------------------


def test_absolute_symlink_is_not_followed(fs: HostFs, host: Path, outside: Path) -> None:
    os.symlink(str(outside), host / "abs")
    os.symlink("/etc", host / "etc")
    root = fs.root()
    for name, target in [("abs", str(outside)), ("etc", "/etc")]:
        link = root.lookup(name)
        assert link.filetype == FileType.SYMBOLIC_LINK
        assert link.readlink() == target
        assert errno_of(link.lookup, "secret") == Errno.ENOTDIR
        assert errno_of(link.create, "x", 0o644) == Errno.ENOTDIR
        assert errno_of(link.read, 0, 10) == Errno.EINVAL
        assert errno_of(root.mkdir, name, 0o755) == Errno.EEXIST
        assert errno_of(root.create, name, 0o644) == Errno.EEXIST


def test_relative_escape_symlink_is_not_followed(fs: HostFs, host: Path, outside: Path) -> None:
    (host / "sub").mkdir()
    os.symlink("../../outside/secret", host / "sub" / "rel")
    os.symlink("../../outside", host / "sub" / "reldir")
    sub = fs.root().lookup("sub")
    rel = sub.lookup("rel")
    assert rel.readlink() == "../../outside/secret"
    assert errno_of(rel.read, 0, 10) == Errno.EINVAL
    assert errno_of(rel.write, 0, b"pwned") == Errno.EINVAL
    assert errno_of(rel.truncate, 0) == Errno.EINVAL
    assert errno_of(sub.lookup("reldir").lookup, "secret") == Errno.ENOTDIR
    assert (outside / "secret").read_bytes() == b"SECRET"


def test_metadata_ops_on_symlink_do_not_reach_target(
    fs: HostFs, host: Path, outside: Path
) -> None:
    os.symlink(str(outside / "secret"), host / "s")
    mode = os.stat(outside / "secret").st_mode
    times = os.stat(outside / "secret").st_mtime_ns
    root = fs.root()
    s = root.lookup("s")
    with pytest.raises(KernelError):
        s.chmod(0o777)
    s.set_times(1, 1)
    assert os.lstat(host / "s").st_mtime_ns == 1
    root.link("hard", s)  # a hard link to the symlink itself
    assert os.path.islink(host / "hard")
    root.unlink("s")
    assert os.stat(outside / "secret").st_mode == mode
    assert os.stat(outside / "secret").st_mtime_ns == times
    assert (outside / "secret").read_bytes() == b"SECRET"


def test_dangling_escape_symlink_blocks_create(fs: HostFs, host: Path, outside: Path) -> None:
    os.symlink(str(outside / "newfile"), host / "evil")
    os.symlink(str(outside / "newdir"), host / "evil_dir")
    root = fs.root()
    assert errno_of(root.create, "evil", 0o644) == Errno.EEXIST
    assert errno_of(root.mkdir, "evil_dir", 0o755) == Errno.EEXIST
    assert not (outside / "newfile").exists()
    assert not (outside / "newdir").exists()


def test_file_swapped_for_symlink_after_lookup(fs: HostFs, host: Path, outside: Path) -> None:
    (host / "f").write_bytes(b"mine")
    f = fs.root().lookup("f")  # no host descriptor is open yet
    (host / "f").unlink()
    os.symlink(str(outside / "secret"), host / "f")
    with pytest.raises(KernelError) as info:
        f.read(0, 100)
    assert info.value.errno in (Errno.ESTALE, Errno.ELOOP)
    with pytest.raises(KernelError):
        f.write(0, b"pwned")
    with pytest.raises(KernelError):
        f.truncate(0)
    with pytest.raises(KernelError):
        f.chmod(0o777)
    assert (outside / "secret").read_bytes() == b"SECRET"
    assert host_stat.S_IMODE(os.stat(outside / "secret").st_mode) != 0o777


def test_dir_swapped_for_symlink_after_lookup(fs: HostFs, host: Path, outside: Path) -> None:
    (host / "d").mkdir()
    d = fs.root().lookup("d")
    (host / "d").rename(host / "d_old")
    os.symlink(str(outside), host / "d")
    created = d.create("planted", 0o644)
    created.write(0, b"x")
    d.mkdir("planted_dir", 0o755)
    d.symlink("planted_link", "t")
    assert sorted(os.listdir(outside)) == ["secret"]
    assert sorted(os.listdir(host / "d_old")) == ["planted", "planted_dir", "planted_link"]
    assert [e.name for e in d.entries()] == ["planted", "planted_dir", "planted_link"]
    # A fresh lookup sees the symlink, not the outside directory.
    assert fs.root().lookup("d").filetype == FileType.SYMBOLIC_LINK


def test_root_given_through_symlink_is_fine(tmp_path: Path, host: Path) -> None:
    (host / "f").write_bytes(b"ok")
    os.symlink(host, tmp_path / "alias")
    fs = HostFs(tmp_path / "alias")
    assert fs.root().lookup("f").read(0, 10) == b"ok"


def test_fifo_swapped_in_does_not_block(fs: HostFs, host: Path) -> None:
    (host / "f").write_bytes(b"x")
    f = fs.root().lookup("f")
    (host / "f").unlink()
    os.mkfifo(host / "f")
    assert errno_of(f.read, 0, 1) == Errno.ESTALE


# -- property test: HostFs behaves like RamFs ----------------------------------

NAMES = ["a", "b", "c"]
_paths = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(tuple)
_offsets = st.one_of(
    st.sampled_from([0, 1, 7, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 3]),
    st.integers(0, 3 * CHUNK_SIZE),
)
_data = st.builds(
    lambda v, n: bytes([v]) * n,
    st.integers(0, 255),
    st.sampled_from([0, 1, 5, 100, CHUNK_SIZE - 3, CHUNK_SIZE + 7]),
)
_ops = st.one_of(
    st.tuples(st.just("create"), _paths),
    st.tuples(st.just("mkdir"), _paths),
    st.tuples(st.just("symlink"), _paths),
    st.tuples(st.just("write"), _paths, _offsets, _data),
    st.tuples(st.just("truncate"), _paths, _offsets),
    st.tuples(st.just("read"), _paths, _offsets, st.integers(0, 3 * CHUNK_SIZE)),
    st.tuples(st.just("stat"), _paths),
    st.tuples(st.just("unlink"), _paths),
    st.tuples(st.just("rmdir"), _paths),
    st.tuples(st.just("rename"), _paths, _paths),
    st.tuples(st.just("link"), _paths, _paths),
)


def _walk(root: Inode, path: tuple[str, ...]) -> Inode:
    node = root
    for part in path:
        node = node.lookup(part)
    return node


def _apply(root: Inode, op: tuple[Any, ...]) -> tuple[Any, ...]:
    kind, path = op[0], op[1]
    try:
        if kind in ("create", "mkdir", "symlink", "unlink", "rmdir", "rename", "link"):
            parent, name = _walk(root, path[:-1]), path[-1]
            if kind == "create":
                parent.create(name, 0o644)
            elif kind == "mkdir":
                parent.mkdir(name, 0o755)
            elif kind == "symlink":
                parent.symlink(name, "target")
            elif kind == "unlink":
                parent.unlink(name)
            elif kind == "rmdir":
                parent.rmdir(name)
            elif kind == "rename":
                dst = op[2]
                parent.rename(name, _walk(root, dst[:-1]), dst[-1])
            else:
                dst = op[2]
                _walk(root, dst[:-1]).link(dst[-1], _walk(root, path))
            return ("ok",)
        node = _walk(root, path)
        if kind == "write":
            return ("ok", node.write(op[2], op[3]))
        if kind == "truncate":
            node.truncate(op[2])
            return ("ok",)
        if kind == "read":
            return ("ok", node.read(op[2], op[3]))
        s = node.stat()
        nlink = None if s.filetype == FileType.DIRECTORY else s.nlink
        size = None if s.filetype == FileType.DIRECTORY else s.size
        return ("ok", s.filetype, size, nlink)
    except KernelError as e:
        return ("err", e.errno)


def _dump(d: Inode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for e in d.entries():
        node = d.lookup(e.name)
        assert node.filetype == e.filetype
        if e.filetype == FileType.DIRECTORY:
            out[e.name] = _dump(node)
        elif e.filetype == FileType.SYMBOLIC_LINK:
            out[e.name] = ("link", node.readlink())
        else:
            s = node.stat()
            out[e.name] = ("file", s.nlink, node.read(0, s.size + 1))
    return out


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(_ops, max_size=25))
def test_hostfs_matches_ramfs(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        host = HostFs(Path(tmp), max_open_files=3)
        ram = RamFs()
        for op in ops:
            got_host = _apply(host.root(), op)
            got_ram = _apply(ram.root(), op)
            assert got_host == got_ram, op
        assert _dump(host.root()) == _dump(ram.root())
        host.close()
