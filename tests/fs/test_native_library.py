"""pyocclum.native.library: the native library builds once and atomically (also
two processes at once), is refused when others could have written it or it is
not a library of this ABI, every job falls back cleanly when it cannot be had,
self-test records are tied to the exact library file, and its worker pool
(what sefs's batch AES-GCM runs on) starts, serves concurrent callers and
survives a fork."""

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

from pyocclum.native import aead, library

NODE = aead.NODE
KEY = bytes(range(32))
PREFIX = b"sefsnode" + (7).to_bytes(8, "little") + b"\x00"
#: Enough nodes that a call wants every thread it is given (8 nodes per thread at least).
NODES = 128
PLAIN = os.urandom(NODES * NODE)


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> library.NativeLibrary:
    """The native library, built into a private cache for this module."""
    return library.load(tmp_path_factory.mktemp("native-cache"))


@pytest.fixture
def fresh_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """shared() not tried yet, with an empty private cache."""
    monkeypatch.setenv("PYOCCLUM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(library.NATIVE_SWITCH, raising=False)
    monkeypatch.setattr(library, "_tried", False)
    monkeypatch.setattr(library, "_shared", None)
    monkeypatch.setattr(aead, "_gcm_tried", False)
    monkeypatch.setattr(aead, "_gcm", None)
    return tmp_path / "cache"


def _round_trip(lib: library.NativeLibrary, nthreads: int) -> bool:
    """Seal and open :data:`NODES` nodes with ``nthreads`` threads: the plaintext back?"""
    gcm = aead.SefsGcm(lib, aead.openssl_aes())
    ct, ents = gcm.seal_nodes(KEY, PREFIX, list(range(NODES)), 1, PLAIN,
                              list(range(NODES)), nthreads)
    fd = os.memfd_create("native-library-test", os.MFD_CLOEXEC)
    try:
        os.pwrite(fd, ct, 0)
        out, got, _ = gcm.open_nodes(fd, KEY, PREFIX, 0, ents, nthreads)
    finally:
        os.close(fd)
    return got == NODES and out == PLAIN


# -- the worker pool ------------------------------------------------------------------
@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_the_pool_really_starts_workers(tmp_path: Path) -> None:
    """A worker that cannot be started is silently replaced by the caller; make
    sure they do start (zig's spawn once failed for stacks glibc found too small)."""
    lib = library.load(tmp_path)  # a fresh copy of the library, its own pool
    assert _round_trip(lib, 8)
    assert len(os.listdir("/proc/self/task")) >= 8  # this thread and 7 workers at least


def test_concurrent_calls(lib: library.NativeLibrary) -> None:
    """Several Python threads at once (one gets the worker pool, the others
    spawn their own threads): every result is right."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(5):
                assert _round_trip(lib, 2)
        except BaseException as e:
            errors.append(e)

    ts = [threading.Thread(target=run) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_fork_after_use(lib: library.NativeLibrary,
                        wait_child: Callable[[int, float, str], int]) -> None:
    """A child forked after the worker pool started gets a fresh pool
    (its parent's workers do not exist there): no hang, right results."""
    assert _round_trip(lib, 2)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        ok = all(_round_trip(lib, 2) for _ in range(3))
        os._exit(0 if ok else 1)
    assert wait_child(pid, 60, "in the native library") == 0
    assert _round_trip(lib, 2)


# -- building, loading, falling back ------------------------------------------------
def test_builds_once_into_the_cache(fresh_state: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pyocclum.native"):
        lib = library.shared()
    assert lib is not None
    assert library.shared() is lib
    assert lib.path.parent.parent == fresh_state
    assert lib.path == library.native_path(library.SOURCE.read_bytes())
    assert "native library: " in caplog.text
    assert [p.name for p in fresh_state.iterdir()] == [lib.path.parent.name]  # no leftovers
    assert lib.path.stat().st_mode & 0o022 == 0
    mtime = lib.path.stat().st_mtime_ns
    again = library.load()
    assert again.path == lib.path
    assert lib.path.stat().st_mtime_ns == mtime  # not rebuilt


def test_two_processes_build_at_once(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from pyocclum.native import library as L; "
            "print(L.load(Path(sys.argv[1])).path)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    assert outs[0][0] == outs[1][0]
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert len(folders) == 1
    assert folders[0].startswith("native-")


def test_build_failure_falls_back(fresh_state: Path, monkeypatch: pytest.MonkeyPatch,
                                  tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "broken.zig"
    broken.write_text("this is not zig\n")
    monkeypatch.setattr(library, "SOURCE", broken)
    with pytest.raises(library.NativeUnavailable, match="zig failed"):
        library.load()
    with caplog.at_level(logging.DEBUG, logger="pyocclum.native"):
        assert library.shared() is None
        assert aead.sefs_gcm() is None  # sefs uses cryptography node by node
    assert "native library unavailable" in caplog.text
    assert {r.levelno for r in caplog.records} == {logging.DEBUG}
    assert list(fresh_state.iterdir()) == []  # the failed build left nothing


def test_no_zig_falls_back(fresh_state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert library.shared() is None


def test_missing_source_falls_back(fresh_state: Path, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    monkeypatch.setattr(library, "SOURCE", tmp_path / "nope.zig")
    with pytest.raises(library.NativeUnavailable, match="no source"):
        library.load()
    assert library.shared() is None


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no POSIX owners")
@pytest.mark.parametrize("what", ["library", "folder", "cache"])
def test_writable_by_others_is_refused(lib: library.NativeLibrary, what: str) -> None:
    target = {"library": lib.path, "folder": lib.path.parent,
              "cache": lib.path.parent.parent}[what]
    mode = target.stat().st_mode & 0o7777
    target.chmod(mode | 0o020)
    try:
        with pytest.raises(library.NativeUnavailable, match="writable by group or others"):
            library.load(lib.path.parent.parent)
    finally:
        target.chmod(mode)
    assert library.load(lib.path.parent.parent).path == lib.path


def test_garbage_library_is_refused(tmp_path: Path) -> None:
    """A file in the cache that is not a loadable library of the right ABI."""
    source = library.SOURCE.read_bytes()
    path = library.native_path(source, tmp_path)
    path.parent.mkdir(mode=0o755)
    path.write_bytes(b"\x7fELF garbage")
    path.chmod(0o755)
    with pytest.raises(library.NativeUnavailable, match="cannot load"):
        library.load(tmp_path)


def test_build_key_depends_on_source_and_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    src = library.SOURCE.read_bytes()
    key = library.build_key(src)
    assert key == library.build_key(src)
    assert key != library.build_key(src + b"\n")
    monkeypatch.setattr(library, "_cpu_fingerprint", lambda: "another cpu")
    assert key != library.build_key(src)


def test_a_self_test_record_is_tied_to_the_library_file(tmp_path: Path) -> None:
    lib = library.load(tmp_path / "cache")
    assert not library.self_tested(lib.path, "job")
    library.record_self_test(lib.path, "job", "context")
    marker = lib.path.parent / "self-test-job.ok"
    assert marker.read_text().startswith(hashlib.sha256(lib.path.read_bytes()).hexdigest())
    assert library.self_tested(lib.path, "job", "context")
    assert not library.self_tested(lib.path, "job", "another context")
    marker.write_text("0" * 64 + " context")  # a record for another file
    assert not library.self_tested(lib.path, "job", "context")
