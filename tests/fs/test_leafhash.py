"""pyocclum.native.leafhash: the native helper and the hashlib fallback give exactly the
leaves and Merkle roots of integrityfs's definitions, whatever the sizes,
offsets and thread counts; the library builds atomically (also two at once),
is refused when others could have written it, and everything falls back to
hashlib cleanly."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pyocclum.native import aead, leafhash, library

# The scheme native.leafhash computes, by its definition (the integrity image's
# format 1, SHA-256 over 4 KiB blocks; format 2 hashes with BLAKE3 instead).
BLOCK = 4096
EMPTY_ROOT = hashlib.sha256(b"\x02").digest()


def leaf_hash(block: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + block).digest()


def merkle_root(level: list[bytes]) -> bytes:
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        up = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
              for i in range(0, len(level) - 1, 2)]
        level = up + level[-1:] if len(level) % 2 else up
    return level[0]


SIZES = [0, 1, 63, 64, 65, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 55, 16 * BLOCK,
         31 * BLOCK + 1, 32 * BLOCK, 64 * BLOCK + 4095, 300 * BLOCK + 7]
DATA = os.urandom(301 * BLOCK)


def reference_leaves(data: bytes) -> bytes:
    return b"".join(leaf_hash(data[i : i + BLOCK]) for i in range(0, len(data), BLOCK))


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> leafhash.NativeLeafHasher:
    """The native library, built into a private cache for this module."""
    return leafhash.load_native(tmp_path_factory.mktemp("leafhash-cache"))


@pytest.fixture
def fresh_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """native() not tried yet, with an empty private cache."""
    monkeypatch.setattr(leafhash, "_tried", False)
    monkeypatch.setattr(leafhash, "_native", None)
    monkeypatch.setenv("PYOCCLUM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(leafhash.ENV_SWITCH, raising=False)
    monkeypatch.delenv(library.NATIVE_SWITCH, raising=False)
    monkeypatch.setattr(leafhash, "_lib_tried", False)
    monkeypatch.setattr(leafhash, "_lib", None)
    monkeypatch.setattr(aead, "_gcm_tried", False)
    monkeypatch.setattr(aead, "_gcm", None)
    return tmp_path / "cache"


# -- results ------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_hashlib_leaves_match_the_definition(size: int) -> None:
    data = DATA[:size]
    assert leafhash.leaves_hashlib(data) == reference_leaves(data)
    assert leafhash.leaves_hashlib(memoryview(data)) == reference_leaves(data)


@pytest.mark.parametrize("size", SIZES)
def test_native_leaves_match_hashlib(lib: leafhash.NativeLeafHasher, size: int) -> None:
    data = DATA[:size]
    want = reference_leaves(data)
    for t in (1, 2, 3, 8, 16, 100):
        assert lib.leaves(data, t) == want, t
    assert lib.leaves(data) == want


def test_native_read_leaves(lib: leafhash.NativeLeafHasher, tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(DATA)
    fd = os.open(p, os.O_RDONLY)
    try:
        for offset in (0, 1, BLOCK, 7 * BLOCK + 3):
            for size in SIZES:
                want = DATA[offset : offset + size]
                for t in (1, 2, 5):
                    data, got = lib.read_leaves(fd, offset, size, t)
                    assert type(data) is bytes
                    assert data == want
                    if len(want) == size:  # leaves only mean something when not short
                        assert got == reference_leaves(want)
        # Short at the end of the file: exactly the bytes that are there.
        for t in (1, 2, 4):
            data, _ = lib.read_leaves(fd, len(DATA) - 10 * BLOCK - 5, 64 * BLOCK, t)
            assert data == DATA[-10 * BLOCK - 5 :]
            data, _ = lib.read_leaves(fd, len(DATA) + 100, 64 * BLOCK, t)
            assert data == b""
        # The bytes returned are fresh objects, never shared.
        a, _ = lib.read_leaves(fd, 0, 32 * BLOCK)
        b, _ = lib.read_leaves(fd, 0, 32 * BLOCK)
        assert a == b
        assert a is not b
    finally:
        os.close(fd)
    with pytest.raises(OSError, match="Bad file descriptor"):
        lib.read_leaves(fd, 0, 64 * BLOCK)  # closed: EBADF from every thread
    wfd = os.open(p, os.O_WRONLY)
    try:
        with pytest.raises(OSError, match="Bad file descriptor"):
            lib.read_leaves(wfd, 0, 64 * BLOCK)
    finally:
        os.close(wfd)


@pytest.mark.parametrize("n", [*range(0, 70), 127, 128, 129, 2047, 2048, 2049, 4097, 65537])
def test_merkle_roots_match_the_definition(lib: leafhash.NativeLeafHasher, n: int) -> None:
    leaves = os.urandom(32 * n)
    want = merkle_root([leaves[i : i + 32] for i in range(0, len(leaves), 32)])
    assert leafhash.merkle_root_hashlib(leaves) == want
    assert lib.merkle_root(leaves) == want
    if n == 0:
        assert want == EMPTY_ROOT == leafhash.EMPTY_ROOT
    with pytest.raises(ValueError, match="multiple"):
        leafhash.merkle_root_hashlib(leaves + b"x")


def test_native_level_promotes_an_odd_node(lib: leafhash.NativeLeafHasher) -> None:
    nodes = os.urandom(32 * 2049)
    for t in (1, 2, 3):
        up = lib.level(nodes, t)
        assert len(up) == 32 * 1025
        assert up[-32:] == nodes[-32:]
        assert up == leafhash._level_hashlib(nodes)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_the_pool_really_starts_workers(tmp_path: Path) -> None:
    """A worker that cannot be started is silently replaced by the caller; make
    sure they do start (zig's spawn once failed for stacks glibc found too small)."""
    lib = leafhash.load_native(tmp_path)  # a fresh copy of the library, its own pool
    assert lib.leaves(DATA, 8) == reference_leaves(DATA)
    assert len(os.listdir("/proc/self/task")) >= 8  # this thread and 7 workers at least


def test_concurrent_calls(lib: leafhash.NativeLeafHasher) -> None:
    """Several Python threads at once (one gets the worker pool, the others
    spawn their own threads): every result is right."""
    want = reference_leaves(DATA)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(20):
                assert lib.leaves(DATA, 2) == want
        except BaseException as e:
            errors.append(e)

    ts = [threading.Thread(target=run) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_fork_after_use(lib: leafhash.NativeLeafHasher,
                        wait_child: Callable[[int, float, str], int]) -> None:
    """A child forked after the worker pool started gets a fresh pool
    (its parent's workers do not exist there): no hang, right results."""
    want = reference_leaves(DATA)
    assert lib.leaves(DATA, 2) == want
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        ok = all(lib.leaves(DATA, 2) == want for _ in range(3))
        os._exit(0 if ok else 1)
    assert wait_child(pid, 60, "in the native hasher") == 0
    assert lib.leaves(DATA, 2) == want


# -- the front functions: native and fallback give the same ---------------------------
@pytest.mark.parametrize("backend", ["native", "hashlib"])
def test_front_functions(backend: str, lib: leafhash.NativeLeafHasher,
                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(leafhash, "_tried", True)
    monkeypatch.setattr(leafhash, "_native", lib if backend == "native" else None)
    assert leafhash.backend() == backend
    p = tmp_path / "f"
    p.write_bytes(DATA)
    fd = os.open(p, os.O_RDONLY)
    try:
        for size in SIZES:
            data = DATA[:size]
            assert leafhash.leaves(data) == reference_leaves(data)
            got, leaves = leafhash.read_leaves(fd, BLOCK + 1, size)
            assert got == DATA[BLOCK + 1 : BLOCK + 1 + size]
            if len(got) == size:  # leaves only mean something when not short
                assert leaves == reference_leaves(got)
        got, _ = leafhash.read_leaves(fd, len(DATA) - 100, 64 * BLOCK)
        assert got == DATA[-100:]
    finally:
        os.close(fd)
    leaves = reference_leaves(DATA)
    assert leafhash.merkle_root(leaves) == merkle_root(
        [leaves[i : i + 32] for i in range(0, len(leaves), 32)])


# -- building, loading, falling back ------------------------------------------------
def test_builds_once_into_the_cache(fresh_state: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pyocclum.fs.integrity.leafhash"):
        lib = leafhash.native()
    assert lib is not None
    assert leafhash.backend() == "native"
    assert lib.path.parent.parent == fresh_state
    assert lib.path == library.native_path(library.SOURCE.read_bytes())
    assert "native leaf hashing: " in caplog.text
    assert [p.name for p in fresh_state.iterdir()] == [lib.path.parent.name]  # no leftovers
    assert lib.path.stat().st_mode & 0o022 == 0
    mtime = lib.path.stat().st_mtime_ns
    again = leafhash.load_native()
    assert again.path == lib.path
    assert lib.path.stat().st_mtime_ns == mtime  # not rebuilt


def test_two_processes_build_at_once(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from pyocclum.native import leafhash as L; "
            "lib = L.load_native(Path(sys.argv[1])); "
            "print(lib.path); assert lib.leaves(b'x' * 70000) == L.leaves_hashlib(b'x' * 70000)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    assert outs[0][0] == outs[1][0]
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert len(folders) == 1
    assert folders[0].startswith("leafhash-")


def test_switched_off(fresh_state: Path, monkeypatch: pytest.MonkeyPatch,
                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(leafhash.ENV_SWITCH, "0")
    with caplog.at_level(logging.DEBUG, logger="pyocclum.fs.integrity.leafhash"):
        assert leafhash.native() is None
        assert leafhash.backend() == "hashlib"
    assert f"{leafhash.ENV_SWITCH}=0" in caplog.text
    assert not fresh_state.exists()  # nothing built
    assert leafhash.leaves(DATA) == reference_leaves(DATA)


def test_build_failure_falls_back(fresh_state: Path, monkeypatch: pytest.MonkeyPatch,
                                  tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "_leafhash.zig"
    broken.write_text("this is not zig\n")
    monkeypatch.setattr(library, "SOURCE", broken)
    with pytest.raises(library.NativeUnavailable, match="zig failed"):
        leafhash.load_native()
    with caplog.at_level(logging.DEBUG, logger="pyocclum.fs.integrity.leafhash"):
        assert leafhash.native() is None
    assert "unavailable, using hashlib" in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert leafhash.leaves(DATA) == reference_leaves(DATA)
    assert list(fresh_state.iterdir()) == []  # the failed build left nothing


def test_no_zig_falls_back(fresh_state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert leafhash.native() is None
    assert leafhash.leaves(DATA[:50000]) == reference_leaves(DATA[:50000])


def test_missing_source_falls_back(fresh_state: Path, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    monkeypatch.setattr(library, "SOURCE", tmp_path / "nope.zig")
    with pytest.raises(library.NativeUnavailable, match="no source"):
        leafhash.load_native()
    assert leafhash.native() is None


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no POSIX owners")
@pytest.mark.parametrize("what", ["library", "folder", "cache"])
def test_writable_by_others_is_refused(lib: leafhash.NativeLeafHasher, what: str) -> None:
    target = {"library": lib.path, "folder": lib.path.parent,
              "cache": lib.path.parent.parent}[what]
    mode = target.stat().st_mode & 0o7777
    target.chmod(mode | 0o020)
    try:
        with pytest.raises(library.NativeUnavailable, match="writable by group or others"):
            leafhash.load_native(lib.path.parent.parent)
    finally:
        target.chmod(mode)
    assert leafhash.load_native(lib.path.parent.parent).path == lib.path


def test_garbage_library_is_refused(tmp_path: Path) -> None:
    """A file in the cache that is not a loadable library of the right ABI."""
    source = library.SOURCE.read_bytes()
    path = library.native_path(source, tmp_path)
    path.parent.mkdir(mode=0o755)
    path.write_bytes(b"\x7fELF garbage")
    path.chmod(0o755)
    with pytest.raises(library.NativeUnavailable, match="cannot load"):
        leafhash.load_native(tmp_path)


def test_self_test_catches_wrong_results(lib: leafhash.NativeLeafHasher,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = leafhash.NativeLeafHasher.leaves

    def wrong(self: leafhash.NativeLeafHasher, data: bytes, nthreads: int | None = None) -> bytes:
        out = bytearray(real(self, data, nthreads))
        if len(data) > 2 * BLOCK:
            out[-1] ^= 1
        return bytes(out)

    monkeypatch.setattr(leafhash.NativeLeafHasher, "leaves", wrong)
    with pytest.raises(library.NativeUnavailable, match="wrong leaves"):
        lib.self_test()


def test_build_key_depends_on_source_and_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    src = library.SOURCE.read_bytes()
    key = library.build_key(src)
    assert key == library.build_key(src)
    assert key != library.build_key(src + b"\n")
    monkeypatch.setattr(library, "_cpu_fingerprint", lambda: "another cpu")
    assert key != library.build_key(src)


def test_the_self_test_runs_once_per_library_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    lib = leafhash.load_native(root)  # builds and self-tests
    marker = lib.path.parent / "self-test-leafhash.ok"
    assert marker.read_text().startswith(hashlib.sha256(lib.path.read_bytes()).hexdigest())
    runs: list[str] = []
    monkeypatch.setattr(leafhash.NativeLeafHasher, "self_test",
                        lambda self: runs.append("ran"))
    leafhash.load_native(root)
    assert runs == []  # recorded: start-up does not test again
    marker.write_text("0" * 64)  # a marker for another file
    leafhash.load_native(root)
    assert runs == ["ran"]
    assert marker.read_text().startswith(hashlib.sha256(lib.path.read_bytes()).hexdigest())
