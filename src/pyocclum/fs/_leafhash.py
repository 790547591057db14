"""Leaf hashes of many consecutive blocks at once, for the integrity image.

``leaves(data)`` returns, for every consecutive 4096-byte block of ``data``
(the last one may be short), SHA-256(``0x00`` || block), concatenated: 32
bytes per block. That is exactly ``integrityfs.leaf_hash`` of each block;
this module only makes it cheaper to compute for a long run of blocks.
``read_leaves(fd, offset, size)`` reads the bytes and computes their leaves
in one go. ``merkle_root(leaves)`` is ``integrityfs.merkle_root`` over such
a concatenation (inner node SHA-256(``0x01`` || left || right), an odd last
node promoted, SHA-256(``0x02``) for no leaves), one call per level.

Two back ends give identical results:

* **native**: ``_leafhash.zig`` next to this file (zig's standard library
  SHA-256, which uses SHA-NI on x86_64 when the CPU has it), called through
  ``ctypes`` in ONE call per run. ``ctypes.CDLL`` releases the GIL for the
  call, and the library splits a big run over several threads itself
  (:func:`threads`: the calling thread plus a small pool of worker threads
  it keeps waiting, reset in a child after ``fork``), so hashing a 1 MiB
  run uses every CPU. With ``read_leaves`` each thread also ``pread``s its
  share itself, straight into the new ``bytes`` object that is returned
  (allocated uninitialised with ``PyBytes_FromStringAndSize(NULL, n)`` and
  filled before anything else can see it): the copy from the page cache is
  spread over the threads too, and each thread hashes what is in its own
  cache.

  It is built on first use (a few seconds, once per machine; the call that
  needs it waits) with the ``ziglang`` package into ``$PYOCCLUM_CACHE_DIR``
  (default ``$XDG_CACHE_HOME/pyocclum``, default ``~/.cache/pyocclum``)
  ``/leafhash-<key>/``, where the key covers the source, the zig version,
  the machine, the C library and the CPU (it is built with
  ``-mcpu=native``). Like libocclum (``cli/cc.py``) it is built in a
  temporary sibling folder renamed into place, so two processes building at
  once are safe and a finished folder is never rebuilt. Before loading, the
  cache folders and the library must not be writable by group or others
  and must belong to this user or root; after loading, it must reproduce
  hashlib's results on known inputs (several sizes and thread counts, short
  last blocks, short reads).
* **hashlib**: a Python loop, one ``hashlib`` SHA-256 per block. Used for
  runs shorter than :data:`NATIVE_MIN_BLOCKS` blocks, and for everything
  when the native library cannot be built or loaded (logged once at debug
  level on ``pyocclum.fs.integrity.leafhash``) or ``$PYOCCLUM_NATIVE_HASH``
  is ``0``.

The native library is part of the trusted runtime like the Python sources:
whoever can write the cache folder (only its owner, as checked above) can
change what it computes, as whoever can write the installed package can.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import logging
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "ABI",
    "BLOCK",
    "HASH_SIZE",
    "NATIVE_MIN_BLOCKS",
    "NativeLeafHasher",
    "NativeUnavailable",
    "backend",
    "build_key",
    "cache_root",
    "leaves",
    "leaves_hashlib",
    "load_native",
    "merkle_root",
    "merkle_root_hashlib",
    "native",
    "native_path",
    "read_leaves",
    "threads",
]

log = logging.getLogger("pyocclum.fs.integrity.leafhash")

BLOCK = 4096
HASH_SIZE = 32
#: Version of the library's exported functions (``pyocclum_leafhash_abi()``).
ABI = 3
#: Shorter runs are hashed with hashlib (and never trigger the first build).
NATIVE_MIN_BLOCKS = 4
#: Set to ``0`` to never build or use the native library.
ENV_SWITCH = "PYOCCLUM_NATIVE_HASH"
SOURCE = Path(__file__).with_name("_leafhash.zig")
LIB_NAME = "libpyocclum_leafhash.so"
BUILD_FLAGS = ("build-lib", "-dynamic", "-OReleaseFast", "-mcpu=native", "-lc")
#: Most threads one call uses.
MAX_THREADS = 8
BUILD_TIMEOUT = 600

_PREFIX = hashlib.sha256(b"\x00")
EMPTY_ROOT = hashlib.sha256(b"\x02").digest()
#: Smaller levels are hashed with hashlib.
NATIVE_MIN_NODES = 64


class NativeUnavailable(Exception):
    """The native library could not be built, loaded or trusted."""


# -- hashlib ------------------------------------------------------------------------
def leaves_hashlib(data: bytes | bytearray | memoryview) -> bytes:
    """The leaves of ``data``'s blocks with hashlib, one block at a time."""
    view = memoryview(data)
    copy = _PREFIX.copy
    out = []
    for off in range(0, len(view), BLOCK):
        h = copy()  # no concatenation: hashes the block where it lies
        h.update(view[off : off + BLOCK])
        out.append(h.digest())
    return b"".join(out)


def _level_hashlib(level: bytes) -> bytes:
    sha = hashlib.sha256
    n = len(level) // HASH_SIZE
    up = b"".join([sha(b"\x01" + level[i : i + 2 * HASH_SIZE]).digest()
                   for i in range(0, (n - 1) * HASH_SIZE, 2 * HASH_SIZE)])
    return up + level[-HASH_SIZE:] if n % 2 else up


def merkle_root_hashlib(leaves: bytes) -> bytes:
    """The Merkle root over the concatenated 32-byte ``leaves``, with hashlib."""
    return _root(leaves, _level_hashlib)


def _root(level: bytes, up: Callable[[bytes], bytes]) -> bytes:
    if len(level) % HASH_SIZE:
        raise ValueError(f"leaves must be a multiple of {HASH_SIZE} bytes")
    if not level:
        return EMPTY_ROOT
    while len(level) > HASH_SIZE:
        level = up(level)
    return level


# -- native -------------------------------------------------------------------------
def threads() -> int:
    """Threads one native call may use: the CPUs this process may run on."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_THREADS))


class NativeLeafHasher:
    """The loaded library; ``leaves(data)`` is one GIL-free call."""

    def __init__(self, path: Path) -> None:
        try:
            lib = ctypes.CDLL(str(path))
            abi = lib.pyocclum_leafhash_abi
            fn = lib.pyocclum_leafhash
        except (OSError, AttributeError) as e:
            raise NativeUnavailable(f"cannot load {path}: {e}") from e
        abi.argtypes = []
        abi.restype = ctypes.c_uint32
        if abi() != ABI:
            raise NativeUnavailable(f"{path} has ABI {abi()}, expected {ABI}")
        fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        fn.restype = ctypes.c_size_t
        try:
            level = lib.pyocclum_merkle_level
        except AttributeError as e:
            raise NativeUnavailable(f"cannot load {path}: {e}") from e
        level.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        level.restype = ctypes.c_size_t
        try:
            read = lib.pyocclum_read_leafhash
            new_bytes = ctypes.pythonapi.PyBytes_FromStringAndSize
        except AttributeError as e:
            raise NativeUnavailable(f"cannot load {path}: {e}") from e
        read.argtypes = [ctypes.c_int, ctypes.c_uint64, ctypes.c_size_t, ctypes.c_char_p,
                         ctypes.c_char_p, ctypes.c_size_t]
        read.restype = ctypes.c_ssize_t
        new_bytes.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
        new_bytes.restype = ctypes.py_object
        self.path = path
        self._lib = lib
        self._fn = fn
        self._level = level
        self._read = read
        self._new_bytes = new_bytes
        self.threads = threads()

    def leaves(self, data: bytes, nthreads: int | None = None) -> bytes:
        n = (len(data) + BLOCK - 1) // BLOCK
        out = ctypes.create_string_buffer(n * HASH_SIZE)
        got = self._fn(data, len(data), out, self.threads if nthreads is None else nthreads)
        if got != n:  # cannot happen; never hand back a half-filled buffer
            raise RuntimeError(f"native leaf hash returned {got} blocks, expected {n}")
        return out.raw

    def read_leaves(self, fd: int, offset: int, size: int,
                    nthreads: int | None = None) -> tuple[bytes, bytes]:
        """See :func:`read_leaves`."""
        if size <= 1:  # PyBytes_FromStringAndSize shares the 0-byte object
            data = os.pread(fd, size, offset)
            return data, leaves_hashlib(data)
        n = (size + BLOCK - 1) // BLOCK
        buf = self._new_bytes(None, size)
        if type(buf) is not bytes or len(buf) != size:
            raise RuntimeError("PyBytes_FromStringAndSize gave no new bytes object")
        out = ctypes.create_string_buffer(n * HASH_SIZE)
        # c_char_p hands over the bytes object's own buffer, not a copy.
        got = self._read(fd, offset, size, buf, out,
                         self.threads if nthreads is None else nthreads)
        if got < 0:
            raise OSError(-got, os.strerror(-got))
        if got < size:
            return buf[:got], b""
        if got != size:
            raise RuntimeError(f"native read returned {got}, expected at most {size}")
        return buf, out.raw

    def level(self, nodes: bytes, nthreads: int | None = None) -> bytes:
        """One Merkle level up from the concatenated 32-byte ``nodes``."""
        n = len(nodes) // HASH_SIZE
        m = (n + 1) // 2
        out = ctypes.create_string_buffer(m * HASH_SIZE)
        got = self._level(nodes, n, out, self.threads if nthreads is None else nthreads)
        if got != m:
            raise RuntimeError(f"native Merkle level returned {got} nodes, expected {m}")
        return out.raw

    def merkle_root(self, leaves: bytes) -> bytes:
        return _root(leaves, lambda lv: self.level(lv) if len(lv) >= NATIVE_MIN_NODES * HASH_SIZE
                     else _level_hashlib(lv))

    def self_test(self) -> None:
        """Compare with hashlib on short, exact, long, odd, multi-thread inputs."""
        pattern = bytes((i * 131 + (i >> 12)) & 0xFF for i in range(37 * BLOCK + 1))
        for size in (0, 1, 63, 64, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 55,
                     37 * BLOCK, 37 * BLOCK + 1):
            data = pattern[:size]
            want = leaves_hashlib(data)
            for t in (1, 2, 5):
                if self.leaves(data, t) != want:
                    raise NativeUnavailable(
                        f"{self.path} gives wrong leaves ({size} bytes, {t} threads)")
        self._self_test_read(pattern)
        for n in (1, 2, 3, 4, 5, 2048, 2051, 4097):
            nodes = pattern[: n * HASH_SIZE]
            want = _level_hashlib(nodes)
            for t in (1, 2, 5):
                if self.level(nodes, t) != want:
                    raise NativeUnavailable(
                        f"{self.path} gives a wrong Merkle level ({n} nodes, {t} threads)")

    def _self_test_read(self, pattern: bytes) -> None:
        try:
            fd = os.memfd_create("pyocclum-leafhash-test", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            with tempfile.TemporaryFile() as f:
                fd = os.dup(f.fileno())
        try:
            view = memoryview(pattern)
            while view:
                view = view[os.write(fd, view) :]
            for offset, size in ((0, len(pattern)), (5, 3 * BLOCK), (BLOCK, 17 * BLOCK + 9),
                                 (len(pattern) - 10 * BLOCK - 3, 10 * BLOCK + 3)):
                want = pattern[offset : offset + size]
                for t in (1, 2, 5):
                    if self.read_leaves(fd, offset, size, t) != (want, leaves_hashlib(want)):
                        raise NativeUnavailable(
                            f"{self.path} reads or hashes wrongly ({offset}+{size}, {t} threads)")
            # Past the end: short, with exactly the bytes that are there.
            for t in (1, 2):
                got = self.read_leaves(fd, len(pattern) - 20 * BLOCK, 30 * BLOCK, t)[0]
                if got != pattern[-20 * BLOCK :]:
                    raise NativeUnavailable(f"{self.path} mishandles a short read")
        except OSError as e:
            raise NativeUnavailable(f"self-test of {self.path} failed: {e}") from e
        finally:
            os.close(fd)


def cache_root() -> Path:
    """$PYOCCLUM_CACHE_DIR, else $XDG_CACHE_HOME/pyocclum, else ~/.cache/pyocclum
    (the same place as ``cli/cc.py``'s libocclum)."""
    override = os.environ.get("PYOCCLUM_CACHE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pyocclum"


def _zig_version() -> str:
    try:
        return importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _libc_version() -> str:
    """The C library the build links against (e.g. ``glibc 2.36``)."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        return ""


def _cpu_fingerprint() -> str:
    """What ``-mcpu=native`` depends on: the CPU's identity and feature flags."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 20)
    except OSError:
        return platform.processor()
    first = text.split("\n\n", 1)[0]
    keep = ("vendor_id", "cpu family", "model", "model name", "flags", "Features",
            "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "isa")
    lines = [ln for ln in first.splitlines() if ln.split(":", 1)[0].strip() in keep]
    return "\n".join(lines) or platform.processor()


def build_key(source: bytes) -> str:
    """Hash of everything that determines the built library."""
    h = hashlib.sha256()
    for part in (str(ABI), _zig_version(), sys.platform, platform.machine(), _libc_version(),
                 _cpu_fingerprint(), *BUILD_FLAGS):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(len(source).to_bytes(8, "little") + source)
    return h.hexdigest()[:16]


def native_path(source: bytes, root: Path | None = None) -> Path:
    """The library file for ``source`` (built or not) under ``root``."""
    return (cache_root() if root is None else root) / f"leafhash-{build_key(source)}" / LIB_NAME


def _build(folder: Path, source: bytes) -> None:
    """Build the library into ``folder`` (which must not exist yet) atomically."""
    folder.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        (tmp / SOURCE.name).write_bytes(source)
        cmd = [sys.executable, "-m", "ziglang", *BUILD_FLAGS, SOURCE.name,
               f"-femit-bin={LIB_NAME}"]
        try:
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=BUILD_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as e:
            raise NativeUnavailable(f"cannot run zig: {e}") from e
        if proc.returncode != 0 or not (tmp / LIB_NAME).is_file():
            raise NativeUnavailable(
                f"zig failed ({proc.returncode}): {(proc.stdout + proc.stderr).strip()[-2000:]}")
        (tmp / LIB_NAME).chmod(0o755)  # whatever the umask: see _check_owner
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
        try:
            tmp.rename(folder)
        except OSError:
            if not (folder / LIB_NAME).is_file():  # someone else's build won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_owner(path: Path) -> None:
    """Refuse what another user could have written (as ssh does for its keys)."""
    if not hasattr(os, "getuid"):
        return
    st = os.lstat(path)
    if st.st_uid not in (os.getuid(), 0):
        raise NativeUnavailable(f"{path} belongs to uid {st.st_uid}")
    sticky_dir = stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX
    if st.st_mode & 0o022 and not sticky_dir:
        raise NativeUnavailable(f"{path} is writable by group or others")


def load_native(root: Path | None = None) -> NativeLeafHasher:
    """Build (once) and load the library under ``root`` (default
    :func:`cache_root`), check it and return it; ``NativeUnavailable`` otherwise."""
    try:
        source = SOURCE.read_bytes()
    except OSError as e:
        raise NativeUnavailable(f"no source {SOURCE}: {e}") from e
    path = native_path(source, root)
    try:
        if not path.is_file():
            _build(path.parent, source)
        for p in (path.parent.parent, path.parent, path):
            _check_owner(p)
    except OSError as e:
        raise NativeUnavailable(f"cannot build or check {path}: {e}") from e
    lib = NativeLeafHasher(path)
    lib.self_test()
    return lib


_lock = threading.Lock()
_tried = False
_native: NativeLeafHasher | None = None


def native() -> NativeLeafHasher | None:
    """The native library, built and loaded on the first call; ``None`` (after
    a debug log line) when it is switched off or cannot be had."""
    global _tried, _native
    if _tried:
        return _native
    with _lock:
        if not _tried:
            if os.environ.get(ENV_SWITCH, "1").strip() == "0":
                log.debug("native leaf hashing is off (%s=0): using hashlib", ENV_SWITCH)
            else:
                try:
                    _native = load_native()
                    log.debug("native leaf hashing: %s, %d threads",
                              _native.path, _native.threads)
                except NativeUnavailable as e:
                    log.debug("native leaf hashing unavailable, using hashlib: %s", e)
            _tried = True
    return _native


def backend() -> str:
    """``"native"`` or ``"hashlib"``: what :func:`leaves` uses for long runs."""
    return "native" if native() is not None else "hashlib"


def leaves(data: bytes) -> bytes:
    """SHA-256(0x00 || block) of each 4 KiB block of ``data``, concatenated."""
    if len(data) >= NATIVE_MIN_BLOCKS * BLOCK:
        lib = native()
        if lib is not None:
            return lib.leaves(data)
    return leaves_hashlib(data)


def _pread_all(fd: int, offset: int, size: int) -> bytes:
    parts = []
    while size > 0:
        b = os.pread(fd, min(size, 1 << 20), offset)
        if not b:
            break
        parts.append(b)
        offset += len(b)
        size -= len(b)
    return b"".join(parts)


def read_leaves(fd: int, offset: int, size: int) -> tuple[bytes, bytes]:
    """Up to ``size`` bytes at ``offset`` of ``fd`` (fewer only where the file
    ends) and the :func:`leaves` of their blocks (meaningless when short).
    ``OSError`` if the host read fails."""
    if size >= NATIVE_MIN_BLOCKS * BLOCK:
        lib = native()
        if lib is not None:
            return lib.read_leaves(fd, offset, size)
    data = _pread_all(fd, offset, size)
    return data, leaves(data)


def merkle_root(leaves: bytes) -> bytes:
    """The Merkle root over the concatenated 32-byte ``leaves``."""
    if len(leaves) >= NATIVE_MIN_NODES * HASH_SIZE:
        lib = native()
        if lib is not None:
            return lib.merkle_root(leaves)
    return merkle_root_hashlib(leaves)
