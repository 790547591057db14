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

* **native**: the native library (``library.py`` builds and loads it; zig's
  standard library SHA-256, which uses SHA-NI on x86_64 when the CPU has
  it), called through ``ctypes`` in ONE call per run. ``ctypes.CDLL``
  releases the GIL for the call, and the library splits a big run over
  several threads itself (:func:`~pyocclum.native.library.threads`: the
  calling thread plus a small pool of worker threads it keeps waiting, reset
  in a child after ``fork``), so hashing a 1 MiB run uses every CPU. With
  ``read_leaves`` each thread also ``pread``s its share itself, straight into
  the new ``bytes`` object that is returned (allocated uninitialised with
  ``PyBytes_FromStringAndSize(NULL, n)`` and filled before anything else can
  see it): the copy from the page cache is spread over the threads too, and
  each thread hashes what is in its own cache. After loading, the library
  must reproduce hashlib's results on known inputs (several sizes and thread
  counts, short last blocks, short reads): :func:`shared` gives the library
  to every job only once it has passed this test.
* **hashlib**: a Python loop, one ``hashlib`` SHA-256 per block. Used for
  runs shorter than :data:`NATIVE_MIN_BLOCKS` blocks, and for everything
  when the native library cannot be built or loaded (logged once at debug
  level on ``pyocclum.fs.integrity.leafhash``) or ``$PYOCCLUM_NATIVE_HASH``
  or ``$PYOCCLUM_NATIVE`` is ``0`` (read once, at the first call).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from pyocclum.native import library
from pyocclum.native.library import (
    NATIVE_SWITCH,
    NativeLibrary,
    NativeUnavailable,
    switched_off,
)

__all__ = [
    "BLOCK",
    "HASH_SIZE",
    "NATIVE_MIN_BLOCKS",
    "NativeLeafHasher",
    "backend",
    "leaves",
    "leaves_hashlib",
    "load_native",
    "merkle_root",
    "merkle_root_hashlib",
    "native",
    "read_leaves",
    "shared",
]

log = logging.getLogger("pyocclum.fs.integrity.leafhash")

BLOCK = 4096
HASH_SIZE = 32
#: Shorter runs are hashed with hashlib (and never trigger the first build).
NATIVE_MIN_BLOCKS = 4
#: Set to ``0`` to never use the native library for leaf hashing.
ENV_SWITCH = "PYOCCLUM_NATIVE_HASH"

_PREFIX = hashlib.sha256(b"\x00")
EMPTY_ROOT = hashlib.sha256(b"\x02").digest()
#: Smaller levels are hashed with hashlib.
NATIVE_MIN_NODES = 64


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
class NativeLeafHasher(NativeLibrary):
    """The loaded library; ``leaves(data)`` is one GIL-free call."""

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
            import tempfile

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



def load_native(root: Path | None = None) -> NativeLeafHasher:
    """Build (once) and load the library under ``root`` (default
    :func:`cache_root`), check it and return it; ``NativeUnavailable`` otherwise."""
    path = library.built(root)
    lib = NativeLeafHasher(path)
    if not library.self_tested(path, "leafhash"):
        lib.self_test()
        library.record_self_test(path, "leafhash")
    return lib



_lock = threading.Lock()
_lib_tried = False
_lib: NativeLeafHasher | None = None
#: What :func:`native` decided (once per process, like the switches it reads).
_tried = False
_native: NativeLeafHasher | None = None


def shared() -> NativeLeafHasher | None:
    """The process's native library, built, loaded and self-tested on the first
    call (whatever the switches say); ``None`` (after a debug log line) when it
    cannot be had. Every job of the library uses this one."""
    global _lib_tried, _lib
    if _lib_tried:
        return _lib
    with _lock:
        if not _lib_tried:
            try:
                _lib = load_native()
                log.debug("native library: %s, %d threads", _lib.path, _lib.threads)
            except NativeUnavailable as e:
                log.debug("native leaf hashing unavailable, using hashlib: %s", e)
            _lib_tried = True
    return _lib


def native() -> NativeLeafHasher | None:
    """The native library for leaf hashing, built and loaded on the first call;
    ``None`` (after a debug log line) when it is switched off
    (``$PYOCCLUM_NATIVE_HASH`` or ``$PYOCCLUM_NATIVE`` is ``0`` at the first call)
    or cannot be had."""
    global _tried, _native
    if _tried:
        return _native
    off = switched_off(NATIVE_SWITCH, ENV_SWITCH)
    lib = None
    if off is not None:
        log.debug("native leaf hashing is off (%s=0): using hashlib", off)
    else:
        lib = shared()
        if lib is not None and lib.portable:
            # Built for any CPU, its SHA-256 runs without the SHA instructions:
            # several times slower than hashlib's OpenSSL, which picks them at run time.
            log.debug("native leaf hashing off: %s is the portable build", lib.path)
            lib = None
        elif lib is not None:
            log.debug("native leaf hashing: %s, %d threads", lib.path, lib.threads)
    with _lock:
        if not _tried:
            _native = lib
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
