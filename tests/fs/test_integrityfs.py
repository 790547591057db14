"""IntegrityFs: serves the image exactly, verifies lazily, and never returns
data that does not match the root it was mounted with."""

from __future__ import annotations

import builtins
import gc
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import errno_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import ImageError, KernelError
from pyocclum.fs.integrityfs import BLOCK, IntegrityFs
from pyocclum.fs.types import Inode
from pyocclum.image.manifest import build_image


def write(p: Path, data: bytes, mode: int = 0o644) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    p.chmod(mode)


BIG = bytes((i * 7 + i // 4096) % 256 for i in range(5 * BLOCK + 123))


def make_src(s: Path) -> Path:
    write(s / "bin" / "hello", BIG, 0o755)
    write(s / "etc" / "hosts", b"127.0.0.1 localhost\n", 0o640)
    write(s / "etc" / "copy", b"127.0.0.1 localhost\n", 0o600)
    write(s / "etc" / "one", b"x" * BLOCK)
    write(s / "empty_file", b"")
    (s / "empty").mkdir()
    (s / "private").mkdir()
    write(s / "private" / "x", b"secret")
    (s / "private").chmod(0o700)
    os.symlink("hello", s / "bin" / "hi")
    os.symlink("/etc", s / "etc_link")
    return s


def walk(node: Inode, prefix: str = "") -> dict[str, Inode]:
    out = {prefix: node}
    if node.filetype == FileType.DIRECTORY:
        for d in node.entries():
            out.update(walk(node.lookup(d.name), f"{prefix}/{d.name}" if prefix else d.name))
    return out


def read_or_eio(node: Inode, offset: int, size: int) -> bytes | None:
    """The data, or None for EIO (any other error propagates)."""
    try:
        return node.read(offset, size)
    except KernelError as e:
        if e.errno != Errno.EIO:
            raise
        return None


def read_all(node: Inode) -> bytes:
    return node.read(0, node.stat().size + 10)


@pytest.fixture
def image(tmp_path: Path) -> tuple[Path, Path, bytes]:
    src = make_src(tmp_path / "image")
    dst = tmp_path / "build"
    return src, dst, build_image(src, dst).root


def test_serves_the_tree(image: tuple[Path, Path, bytes]) -> None:
    src, dst, root = image
    fs = IntegrityFs(dst, root)
    assert fs.fstype == "integrity"
    assert fs.read_only
    nodes = walk(fs.root())
    want = {""}
    for p in src.rglob("*"):
        want.add(p.relative_to(src).as_posix())
    assert set(nodes) == want
    for rel, node in nodes.items():
        p = src / rel if rel else src
        hst = p.lstat()
        stt = node.stat()
        if p.is_symlink():
            assert node.filetype == FileType.SYMBOLIC_LINK
            assert node.readlink() == os.readlink(p)
        elif p.is_dir():
            assert node.filetype == FileType.DIRECTORY
            assert stt.mode == hst.st_mode & 0o7777
            assert [d.name for d in node.entries()] == sorted(os.listdir(p))
            assert stt.nlink == 2 + sum(1 for c in p.iterdir() if c.is_dir()
                                        and not c.is_symlink())
        else:
            assert node.filetype == FileType.REGULAR_FILE
            assert stt.mode == hst.st_mode & 0o7777
            assert stt.size == hst.st_size
            assert read_all(node) == p.read_bytes()
        assert stt.ino == node.ino
    # Inode numbers are unique and stable per path across mounts and images.
    inos = [n.ino for n in nodes.values()]
    assert len(set(inos)) == len(inos)
    again = walk(IntegrityFs(dst, root).root())
    assert {k: v.ino for k, v in again.items()} == {k: v.ino for k, v in nodes.items()}
    for d in fs.root().lookup("etc").entries():
        assert d.ino == fs.root().lookup("etc").lookup(d.name).ino
    assert errno_of(fs.root().lookup, "nope") == Errno.ENOENT
    assert errno_of(fs.root().lookup("etc").lookup("hosts").lookup, "x") == Errno.ENOTDIR


def test_partial_reads(image: tuple[Path, Path, bytes]) -> None:
    _, dst, root = image
    f = IntegrityFs(dst, root).root().lookup("bin").lookup("hello")
    for off, size in [(0, 0), (0, 1), (BLOCK - 1, 2), (BLOCK, BLOCK), (3, 3 * BLOCK),
                      (len(BIG) - 5, 100), (len(BIG), 10), (len(BIG) + 100, 10), (7, 10**9)]:
        assert f.read(off, size) == BIG[off : off + size]
    assert errno_of(f.read, -1, 1) == Errno.EINVAL
    assert errno_of(f.read, 0, -1) == Errno.EINVAL
    assert errno_of(IntegrityFs(dst, root).root().read, 0, 1) == Errno.EISDIR


def test_wrong_root_refused(image: tuple[Path, Path, bytes]) -> None:
    _, dst, root = image
    with pytest.raises(ImageError, match="does not match"):
        IntegrityFs(dst, hashlib.sha256(b"x").digest())
    with pytest.raises(ImageError):
        IntegrityFs(dst, root[:16])
    (dst / "manifest.json").unlink()
    with pytest.raises(ImageError):
        IntegrityFs(dst, root)


def test_mutations_erofs(image: tuple[Path, Path, bytes]) -> None:
    _, dst, root = image
    fs = IntegrityFs(dst, root)
    r = fs.root()
    etc = r.lookup("etc")
    hosts = etc.lookup("hosts")
    assert errno_of(r.create, "new", 0o644) == Errno.EROFS
    assert errno_of(r.create, "etc", 0o644) == Errno.EEXIST
    assert errno_of(r.mkdir, "new", 0o755) == Errno.EROFS
    assert errno_of(r.symlink, "new", "x") == Errno.EROFS
    assert errno_of(r.link, "new", hosts) == Errno.EROFS
    assert errno_of(etc.unlink, "hosts") == Errno.EROFS
    assert errno_of(etc.unlink, "nope") == Errno.ENOENT
    assert errno_of(r.rmdir, "empty") == Errno.EROFS
    assert errno_of(etc.rename, "hosts", r, "h") == Errno.EROFS
    assert errno_of(hosts.write, 0, b"x") == Errno.EROFS
    assert errno_of(hosts.truncate, 0) == Errno.EROFS
    assert errno_of(hosts.allocate, 0, 100) == Errno.EROFS
    assert errno_of(hosts.chmod, 0o777) == Errno.EROFS
    assert errno_of(hosts.set_times, 0, 0) == Errno.EROFS
    assert errno_of(r.write, 0, b"x") == Errno.EISDIR
    assert read_all(hosts) == b"127.0.0.1 localhost\n"


# -- tampering --------------------------------------------------------------------
def every_offset(path: Path) -> list[int]:
    n = path.stat().st_size
    # Every byte of small files; for bigger ones both block edges and middles.
    if n <= 64:
        return list(range(n))
    return sorted({0, n - 1, *range(0, n, BLOCK), *range(BLOCK - 1, n, BLOCK),
                   *range(BLOCK // 2, n, BLOCK)})


def test_flip_every_byte_gives_eio_never_wrong_data(
    image: tuple[Path, Path, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    src, dst, root = image
    victims = [p for p in sorted(dst.rglob("*")) if p.is_file()]
    assert len(victims) >= 9
    for victim in victims:
        original = victim.read_bytes()
        for off in every_offset(victim):
            data = bytearray(original)
            data[off] ^= 0x40
            victim.write_bytes(bytes(data))
            try:
                if victim.name == "manifest.json":
                    with pytest.raises(ImageError):
                        IntegrityFs(dst, root)
                    continue
                fs = IntegrityFs(dst, root)
                failed = 0
                for rel, node in walk(fs.root()).items():
                    if node.filetype != FileType.REGULAR_FILE:
                        continue
                    want = (src / rel).read_bytes()
                    # Block by block: unaffected blocks still read fine.
                    for b in range(0, len(want), BLOCK):
                        got = read_or_eio(node, b, BLOCK)
                        if got is None:
                            failed += 1
                        else:
                            assert got == want[b : b + BLOCK], (victim, off, rel)
                assert failed >= 1, (victim, off)
            finally:
                victim.write_bytes(original)
    assert any("integrity image: /" in r.getMessage() and r.levelno == logging.ERROR
               and r.name == "pyocclum.fs.integrity" for r in caplog.records)


@pytest.mark.parametrize("what", ["truncate_blob", "delete_blob", "extend_blob",
                                  "truncate_tree", "delete_tree", "blob_is_dir",
                                  "blob_is_symlink", "blob_is_fifo"])
def test_damaged_storage_gives_eio(
    image: tuple[Path, Path, bytes], what: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, dst, root = image
    fs = IntegrityFs(dst, root)
    f = fs.root().lookup("bin").lookup("hello")
    e = next(e for e in fs.manifest.entries if e.path == "bin/hello")
    assert e.root is not None
    blob = dst / "blobs" / e.root.hex()
    tree = dst / "trees" / e.root.hex()
    if what == "truncate_blob":
        blob.write_bytes(BIG[:-1])
    elif what == "delete_blob":
        blob.unlink()
    elif what == "extend_blob":
        blob.write_bytes(BIG + b"\0")
    elif what == "truncate_tree":
        tree.write_bytes(tree.read_bytes()[:-32])
    elif what == "delete_tree":
        tree.unlink()
    elif what == "blob_is_dir":
        blob.unlink()
        blob.mkdir()
    elif what == "blob_is_symlink":
        other = dst / "elsewhere"
        blob.rename(other)
        os.symlink(other, blob)
    else:
        blob.unlink()
        os.mkfifo(blob)
    with caplog.at_level(logging.ERROR, logger="pyocclum.fs.integrity"):
        assert errno_of(f.read, len(BIG) - 10, 10) == Errno.EIO
    assert "/bin/hello" in caplog.text
    # Other files are unaffected.
    assert read_all(fs.root().lookup("etc").lookup("hosts")) == b"127.0.0.1 localhost\n"


def test_verified_blocks_cached_then_bounded(image: tuple[Path, Path, bytes]) -> None:
    _, dst, root = image
    fs = IntegrityFs(dst, root)
    f = fs.root().lookup("bin").lookup("hello")
    assert read_all(f) == BIG
    e = next(e for e in fs.manifest.entries if e.path == "bin/hello")
    assert e.root is not None
    # Cached blocks survive the blob changing on the host (they were verified).
    (dst / "blobs" / e.root.hex()).write_bytes(b"\0" * len(BIG))
    assert read_all(f) == BIG
    small = IntegrityFs(dst, root, cache_bytes=2 * BLOCK)
    g = small.root().lookup("bin").lookup("hello")
    assert errno_of(read_all, g) == Errno.EIO
    assert small._cache_used <= 2 * BLOCK


# -- laziness -------------------------------------------------------------------------
def test_mount_reads_only_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "image"
    for i in range(30):
        write(src / "d" / f"f{i}", os.urandom(64 * 1024))
    dst = tmp_path / "build"
    root = build_image(src, dst).root
    opened: list[str] = []
    real_open = os.open
    real_bopen = builtins.open

    def spy_open(path: Any, *a: Any, **k: Any) -> int:
        opened.append(str(path))
        return real_open(path, *a, **k)

    def spy_bopen(path: Any, *a: Any, **k: Any) -> Any:
        opened.append(str(path))
        return real_bopen(path, *a, **k)

    want = (src / "d" / "f3").read_bytes()[40000:40010]
    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(builtins, "open", spy_bopen)
    fs = IntegrityFs(dst, root)
    walk(fs.root())
    fs.root().lookup("d").lookup("f3").stat()
    assert [Path(p).name for p in opened] == ["manifest.json"]
    opened.clear()
    data = fs.root().lookup("d").lookup("f3").read(40000, 10)
    monkeypatch.undo()
    assert data == want
    assert sorted(Path(p).parent.name for p in opened) == ["blobs", "trees"]


def test_threads(image: tuple[Path, Path, bytes]) -> None:
    _, dst, root = image
    fs = IntegrityFs(dst, root, cache_bytes=3 * BLOCK)
    f = fs.root().lookup("bin").lookup("hello")
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        try:
            for i in range(200):
                off = (seed * 7919 + i * 104729) % len(BIG)
                assert f.read(off, 3000) == BIG[off : off + 3000]
        except BaseException as e:
            errors.append(e)

    ts = [threading.Thread(target=run, args=(s,)) for s in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert fs._cache_used <= 3 * BLOCK


# -- property -------------------------------------------------------------------------
files = st.dictionaries(
    st.text(alphabet="abcdef", min_size=1, max_size=4),
    st.one_of(st.binary(max_size=200),
              st.tuples(st.integers(0, 255), st.integers(0, 3 * BLOCK + 3)).map(
                  lambda t: bytes([t[0]]) * t[1])),
    min_size=1, max_size=6,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=files, flip=st.integers(0, 10**9), reads=st.lists(
    st.tuples(st.integers(0, 4 * BLOCK), st.integers(0, 2 * BLOCK)), max_size=5))
def test_property_roundtrip_and_tamper(tmp_path_factory: pytest.TempPathFactory,
                                       files: dict[str, bytes], flip: int,
                                       reads: list[tuple[int, int]]) -> None:
    base = tmp_path_factory.mktemp("p")
    for name, data in files.items():
        write(base / "src" / "sub" / name, data)
    root = build_image(base / "src", base / "dst").root
    fs = IntegrityFs(base / "dst", root)
    sub = fs.root().lookup("sub")
    for name, data in files.items():
        node = sub.lookup(name)
        assert read_all(node) == data
        for off, size in reads:
            assert node.read(off, size) == data[off : off + size]
    # Flip one byte in one stored blob: every read returns correct data or EIO.
    blobs = sorted(p for p in (base / "dst" / "blobs").iterdir() if p.stat().st_size)
    if not blobs:
        return
    victim = blobs[flip % len(blobs)]
    raw = bytearray(victim.read_bytes())
    raw[flip % len(raw)] ^= 1
    victim.write_bytes(bytes(raw))
    fs = IntegrityFs(base / "dst", root)
    sub = fs.root().lookup("sub")
    eio = 0
    for name, data in files.items():
        node = sub.lookup(name)
        for b in range(0, len(data), BLOCK):
            got = read_or_eio(node, b, BLOCK)
            if got is None:
                eio += 1
            else:
                assert got == data[b : b + BLOCK]
    assert eio >= 1


# -- long runs --------------------------------------------------------------------
HUGE = os.urandom(40 * BLOCK + 77)  # > 1 MiB runs (16 blocks), short last block


@pytest.fixture
def huge_image(tmp_path: Path) -> tuple[Path, bytes]:
    write(tmp_path / "src" / "huge", HUGE)
    write(tmp_path / "src" / "small", b"x" * 100)
    dst = tmp_path / "build"
    return dst, build_image(tmp_path / "src", dst).root


def huge_blob(dst: Path, root: bytes, sub: str = "blobs") -> Path:
    e = next(e for e in IntegrityFs(dst, root).manifest.entries if e.path == "huge")
    assert e.root is not None
    return dst / sub / e.root.hex()


def test_long_runs(huge_image: tuple[Path, bytes]) -> None:
    dst, root = huge_image
    fs = IntegrityFs(dst, root)
    f = fs.root().lookup("huge")
    assert read_all(f) == HUGE
    mib = 1 << 20
    for off in range(0, len(HUGE) + mib, mib):  # the benchmark's pattern
        assert f.read(off, mib) == HUGE[off : off + mib]
    for off, size in [(1, 3 * mib), (BLOCK - 1, 20 * BLOCK + 2), (len(HUGE) - 20 * BLOCK - 1, mib),
                      (39 * BLOCK + 5, 10 * BLOCK), (5 * BLOCK, 7 * BLOCK)]:
        assert f.read(off, size) == HUGE[off : off + size], (off, size)
    # Long runs are not cached; short ones were, block by block: the 7-block
    # read and the runs left at the ends of long reads (blocks 16-21, 39-40).
    assert fs._cache_used <= 15 * BLOCK
    assert sum(fs._cached.values()) == len(fs._cache)


def test_long_runs_mixed_with_cached_blocks(huge_image: tuple[Path, bytes]) -> None:
    dst, root = huge_image
    fs = IntegrityFs(dst, root, cache_bytes=10 * BLOCK)
    f = fs.root().lookup("huge")
    for b in (3, 4, 10, 20, 21, 39, 40):  # cache a few scattered blocks
        assert f.read(b * BLOCK, 10) == HUGE[b * BLOCK : b * BLOCK + 10]
    assert len(fs._cache) == 7
    assert f.read(0, len(HUGE)) == HUGE
    assert f.read(2 * BLOCK + 7, 30 * BLOCK) == HUGE[2 * BLOCK + 7 : 32 * BLOCK + 7]
    for b in range(0, 41, 3):  # evict and refill
        assert f.read(b * BLOCK, 1) == HUGE[b * BLOCK : b * BLOCK + 1]
    assert fs._cache_used <= 10 * BLOCK
    assert sum(fs._cached.values()) == len(fs._cache)
    assert set(fs._cached) <= {k[0] for k in fs._cache}


@pytest.mark.parametrize("block", [0, 1, 15, 16, 17, 31, 32, 39, 40])
def test_long_run_tampered(huge_image: tuple[Path, bytes], block: int,
                           caplog: pytest.LogCaptureFixture) -> None:
    """One flipped byte anywhere in a long run: the read that covers it is
    EIO and the log names the file and the block; runs that do not cover it
    still read right; never wrong data."""
    dst, root = huge_image
    blob = huge_blob(dst, root)
    raw = bytearray(blob.read_bytes())
    pos = min(block * BLOCK + 1234, len(raw) - 1)
    raw[pos] ^= 0x01
    blob.write_bytes(bytes(raw))
    fs = IntegrityFs(dst, root)
    f = fs.root().lookup("huge")
    with caplog.at_level(logging.ERROR, logger="pyocclum.fs.integrity"):
        assert errno_of(f.read, 0, len(HUGE)) == Errno.EIO
    assert f"integrity image: /huge: block {block} does not match its hash" in caplog.text
    mib = 1 << 20
    eio = 0
    for off in range(0, len(HUGE), mib):
        got = read_or_eio(f, off, mib)
        if got is None:
            eio += 1
            assert off <= pos < off + mib
        else:
            assert got == HUGE[off : off + mib]
    assert eio == 1
    # Other files are unaffected.
    assert read_all(fs.root().lookup("small")) == b"x" * 100


@pytest.mark.parametrize("what", ["tree_byte", "blob_truncated", "blob_extended"])
def test_long_file_damaged(huge_image: tuple[Path, bytes], what: str,
                           caplog: pytest.LogCaptureFixture) -> None:
    dst, root = huge_image
    if what == "tree_byte":
        tree = huge_blob(dst, root, "trees")
        raw = bytearray(tree.read_bytes())
        raw[len(raw) // 2] ^= 0x80
        tree.write_bytes(bytes(raw))
    else:
        blob = huge_blob(dst, root)
        blob.write_bytes(HUGE[:-1] if what == "blob_truncated" else HUGE + b"\0")
    f = IntegrityFs(dst, root).root().lookup("huge")
    with caplog.at_level(logging.ERROR, logger="pyocclum.fs.integrity"):
        assert errno_of(f.read, 0, 1 << 20) == Errno.EIO
    assert "/huge" in caplog.text


# -- open blob descriptors ----------------------------------------------------------
def test_kept_descriptors_still_verify_every_read(huge_image: tuple[Path, bytes]) -> None:
    """A blob's descriptor stays open between reads; a blob changed in place
    afterwards (the same inode) is still caught, one replaced by another file
    is read through the old, verified one."""
    dst, root = huge_image
    fs = IntegrityFs(dst, root, cache_bytes=0)
    f = fs.root().lookup("huge")
    assert f.read(0, 1 << 20) == HUGE[: 1 << 20]
    assert len(fs._fds) == 1
    blob = huge_blob(dst, root)
    with blob.open("r+b") as w:  # in place: what the open descriptor sees
        pos = 20 * BLOCK + 3
        w.seek(pos)
        w.write(bytes([HUGE[pos] ^ 0xFF]))  # a fixed byte equals the random one 1 time in 256
    assert errno_of(f.read, 16 * BLOCK, 16 * BLOCK) == Errno.EIO
    assert f.read(0, 16 * BLOCK) == HUGE[: 16 * BLOCK]
    tmp = blob.with_name("tmp")
    tmp.write_bytes(HUGE)
    tmp.replace(blob)  # a new inode; the kept descriptor still reads the old one
    assert errno_of(f.read, 16 * BLOCK, 16 * BLOCK) == Errno.EIO
    fs.close()  # later reads open the blob again: the repaired one
    assert not fs._fds
    assert f.read(16 * BLOCK, 16 * BLOCK) == HUGE[16 * BLOCK : 32 * BLOCK]
    assert not fs._fds  # not kept after close


def test_kept_descriptors_are_bounded(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(40):
        write(src / f"f{i}", bytes([i]) * (BLOCK + i))
    dst = tmp_path / "build"
    fs = IntegrityFs(dst, build_image(src, dst).root)
    for _ in range(2):
        for i in range(40):
            assert read_all(fs.root().lookup(f"f{i}")) == bytes([i]) * (BLOCK + i)
    assert 1 <= len(fs._fds) <= 16
    fds = list(fs._fds.values())
    del fs
    gc.collect()
    for fd in fds:  # closed when the file system went away
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)
