"""Leaf hashes of many consecutive blocks at once, for the integrity image;
AES-GCM of many sefs nodes at once.

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
  or ``$PYOCCLUM_NATIVE`` is ``0`` (read once, at the first call).

The same library seals and opens sefs nodes (AES-256-GCM, see ``sefs.py``
and ``docs/sefs-format.md``) many at a time: :func:`sefs_gcm` gives a
:class:`SefsGcm` whose ``open`` ``pread``s a run of a file's nodes and
decrypts and authenticates them, and whose ``seal`` encrypts a batch and
makes their entries, each in one GIL-free call split over the same threads;
``open_begin``/``open_end`` split an ``open`` in two calls, the first
handing the run to the worker threads and returning at once (sefs's
read-ahead).
The AES-GCM is libgcrypt's (``gcry_cipher_*``), else OpenSSL's through the
``EVP_*`` functions of the libcrypto this process has loaded for ``hashlib``
(handed to the library as function pointers; nothing of our own touches AES
or GHASH), and must reproduce ``cryptography``'s AESGCM on known inputs (both
directions, tampered tags, wrong AADs, short files) before it is used. zig's
std ``Aes256Gcm`` is the other back end (``$PYOCCLUM_NATIVE_AES=zig``), kept
for comparison: it is several times slower per CPU. ``$PYOCCLUM_NATIVE=0``
(read at every mount) makes sefs use ``cryptography`` node by node instead.

Start-up matters (every ``occlum run`` reads its program through this
module): the self-tests run once per built library and per AES-GCM library, and
are recorded next to the library (``self-test-*.ok``, holding the hash of
what was tested), so a later process only hashes the library file; build
tools are imported only to build.

The native library is part of the trusted runtime like the Python sources:
whoever can write the cache folder (only its owner, as checked above) can
change what it computes, as whoever can write the installed package can.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import hashlib
import importlib.util
import itertools
import logging
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
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
ABI = 6
#: Shorter runs are hashed with hashlib (and never trigger the first build).
NATIVE_MIN_BLOCKS = 4
#: Set to ``0`` to never use the native library for leaf hashing.
ENV_SWITCH = "PYOCCLUM_NATIVE_HASH"
#: Set to ``0`` to never build or use the native library at all (hashing and sefs).
NATIVE_SWITCH = "PYOCCLUM_NATIVE"
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
        try:
            sopen = lib.pyocclum_sefs_open
            sseal = lib.pyocclum_sefs_seal
            sbegin = lib.pyocclum_sefs_open_begin
            send = lib.pyocclum_sefs_open_end
        except AttributeError as e:
            raise NativeUnavailable(f"cannot load {path}: {e}") from e
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        sopen.argtypes = [vp, ctypes.c_int, vp, vp, ctypes.c_uint64, sz, vp, vp, vp, sz,
                          ctypes.POINTER(ctypes.c_uint32)]
        sopen.restype = ctypes.c_ssize_t
        sseal.argtypes = [vp, vp, vp, vp, ctypes.c_uint64, ctypes.c_uint32, sz, vp, vp, vp, vp, sz]
        sseal.restype = sz
        sbegin.argtypes = sopen.argtypes[:-1]
        sbegin.restype = vp
        send.argtypes = [vp, ctypes.POINTER(ctypes.c_uint32)]
        send.restype = ctypes.c_ssize_t
        self._sefs_open_begin = sbegin
        self._sefs_open_end = send
        self._sefs_open = sopen
        self._sefs_seal = sseal
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


# -- sefs nodes ---------------------------------------------------------------------
#: ``EVP_*`` functions of OpenSSL's libcrypto that ``_leafhash.zig``'s ``Evp`` lists.
_EVP_NAMES = ("EVP_CIPHER_CTX_new", "EVP_CIPHER_CTX_free", "EVP_aes_256_gcm",
              "EVP_EncryptInit_ex", "EVP_EncryptUpdate", "EVP_EncryptFinal_ex",
              "EVP_DecryptInit_ex", "EVP_DecryptUpdate", "EVP_DecryptFinal_ex",
              "EVP_CIPHER_CTX_ctrl")
NODE = 4096
ENTRY = 32
PREFIX = 17


def _mapped(name: str) -> str | None:
    """The path of the first file mapped into this process whose path has ``name``."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                path = line.rstrip("\n").split(None, 5)[-1]
                if name in path and os.path.isabs(path):
                    return path
    except OSError:
        pass
    return None


def _loaded_libcrypto() -> str | None:
    """The libcrypto this process has loaded for hashlib (or could load)."""
    with contextlib.suppress(ImportError):
        import _hashlib  # noqa: F401  # loads OpenSSL's libcrypto, if Python has it
    path = _mapped("/libcrypto.so")
    if path:
        return path
    import ctypes.util  # imports subprocess: only when /proc/self/maps did not say

    return ctypes.util.find_library("crypto")


def _file_identity(path: str | None) -> str:
    """Path, size and modification time: a library upgrade re-runs the self-test."""
    if not path:
        return "-"
    try:
        st = os.stat(path)
    except OSError:
        return path
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


#: Which AES-GCM the native sefs path uses: ``auto`` (the default: libgcrypt,
#: else OpenSSL), ``gcrypt``, ``openssl`` or ``zig``.
AES_SWITCH = "PYOCCLUM_NATIVE_AES"


class AesLibrary:
    """A library's AES-256-GCM functions, laid out as ``_leafhash.zig``'s ``Aes``
    table (``kind``, then the function pointers); the library stays loaded."""

    __slots__ = ("_lib", "backend", "path", "table")

    def __init__(self, backend: str, kind: int, lib: ctypes.CDLL, names: tuple[str, ...],
                 path: str | None) -> None:
        ptrs = [ctypes.cast(getattr(lib, name), ctypes.c_void_p).value for name in names]
        self.backend = backend
        self.path = path
        self.table = (ctypes.c_void_p * (1 + len(names)))(kind, *ptrs)
        self._lib = lib  # never unloaded while the table points into it


def openssl_aes() -> AesLibrary | None:
    """OpenSSL's ``EVP_*`` AES-GCM from the libcrypto the process has loaded for
    ``hashlib``, or ``None`` if there is none."""
    path = _loaded_libcrypto()
    if not path:
        return None
    try:
        return AesLibrary("openssl", 1, ctypes.CDLL(path), _EVP_NAMES, path)
    except (OSError, AttributeError) as e:
        log.debug("no usable libcrypto (%s): %s", path, e)
        return None


#: ``gcry_cipher_*`` functions of libgcrypt that ``_leafhash.zig``'s ``Gcry`` lists.
_GCRY_NAMES = ("gcry_cipher_open", "gcry_cipher_close", "gcry_cipher_setkey",
               "gcry_cipher_setiv", "gcry_cipher_authenticate", "gcry_cipher_encrypt",
               "gcry_cipher_decrypt", "gcry_cipher_gettag", "gcry_cipher_checktag")
#: libgcrypt's soname (Debian's ``libgcrypt20``, which apt itself depends on).
GCRYPT_SONAME = "libgcrypt.so.20"
#: Oldest libgcrypt used: thread-safe without set-up, GCM with AES-NI and PCLMUL.
GCRYPT_MIN_VERSION = b"1.8.0"
_GCRYCTL_INITIALIZATION_FINISHED = 38
_GCRYCTL_INITIALIZATION_FINISHED_P = 39


def gcrypt_aes() -> AesLibrary | None:
    """libgcrypt's AES-GCM (``gcry_cipher_*``), initialised as its manual asks
    (``gcry_check_version``, then "initialization finished" unless someone in the
    process said so already), or ``None`` if there is no libgcrypt this recent."""
    try:
        lib = ctypes.CDLL(GCRYPT_SONAME)
        check = lib.gcry_check_version
        control = lib.gcry_control
        aes = AesLibrary("gcrypt", 2, lib, _GCRY_NAMES, None)
    except (OSError, AttributeError) as e:
        log.debug("no usable libgcrypt: %s", e)
        return None
    check.argtypes = [ctypes.c_char_p]
    check.restype = ctypes.c_char_p
    version = check(GCRYPT_MIN_VERSION)
    if version is None:
        log.debug("libgcrypt older than %s", GCRYPT_MIN_VERSION.decode())
        return None
    control.restype = ctypes.c_uint
    if not control(ctypes.c_int(_GCRYCTL_INITIALIZATION_FINISHED_P), ctypes.c_int(0)):
        control(ctypes.c_int(_GCRYCTL_INITIALIZATION_FINISHED), ctypes.c_int(0))
    aes.path = _mapped("/libgcrypt.so") or GCRYPT_SONAME
    return aes


class _PyBuffer(ctypes.Structure):
    """CPython's ``Py_buffer``."""

    _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p), ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int),
                ("ndim", ctypes.c_int), ("format", ctypes.c_char_p),
                ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p)]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.c_void_p, ctypes.c_int]
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.c_void_p]
_release_buffer.restype = None


class SefsGcm:
    """AES-256-GCM of sefs nodes, many per call without the GIL (see
    ``pyocclum_sefs_open`` / ``pyocclum_sefs_seal`` in ``_leafhash.zig``):
    that of ``aes`` (``backend`` ``"gcrypt"`` or ``"openssl"``), else zig's std
    (``"zig-std"``). Buffers are passed by address: ``addr(buf)``
    gives that of a bytearray the caller keeps alive and never resizes."""

    def __init__(self, lib: NativeLeafHasher, aes: AesLibrary | None) -> None:
        self.lib = lib
        self.aes = aes
        self._aes_addr = ctypes.addressof(aes.table) if aes is not None else None
        self.backend = aes.backend if aes is not None else "zig-std"
        #: ``open`` may be given the same address for scratch and out (libgcrypt
        #: and OpenSSL decrypt in place; zig's std is only ever given distinct buffers).
        self.in_place = aes is not None
        self.threads = lib.threads
        self._open = lib._sefs_open
        self._seal = lib._sefs_seal
        self._begin = lib._sefs_open_begin
        self._end = lib._sefs_open_end

    @staticmethod
    def addr(buf: bytearray) -> int:
        """The address of ``buf``'s bytes (``buf`` must stay alive and unresized)."""
        if not buf:
            raise ValueError("empty buffer")
        return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))

    def new_bytes(self, n: int) -> tuple[bytes, int]:
        """A new, uninitialised ``bytes`` of ``n`` (> 1) bytes and its address: the
        caller must fill all of it before anything else sees it (or drop it)."""
        if n <= 1:  # PyBytes_FromStringAndSize shares the 0- and 1-byte objects
            raise ValueError("too short")
        buf = self.lib._new_bytes(None, n)
        if type(buf) is not bytes or len(buf) != n:
            raise RuntimeError("PyBytes_FromStringAndSize gave no new bytes object")
        # c_char_p(bytes) points at the object's own buffer.
        addr = ctypes.cast(ctypes.c_char_p(buf), ctypes.c_void_p).value
        assert addr is not None
        return buf, addr

    @staticmethod
    @contextlib.contextmanager
    def pinned(data: bytes | bytearray | memoryview) -> Iterator[int]:
        """The address of ``data``'s bytes (C-contiguous, read-only ones too), held
        (``PyObject_GetBuffer``) for the ``with`` block."""
        view = _PyBuffer()
        if _get_buffer(data, ctypes.byref(view), 0) != 0:  # PyBUF_SIMPLE
            raise BufferError("no simple buffer")
        try:
            if view.buf is None:
                raise BufferError("empty buffer")
            yield view.buf
        finally:
            _release_buffer(ctypes.byref(view))

    def open(self, fd: int, key: bytes, prefix: bytes, first: int, n: int, ents: bytes,
             scratch: int, out: int, nthreads: int | None = None) -> tuple[int, int]:
        """Read and decrypt nodes ``first .. first + n`` (entries ``ents``) into
        ``out``; returns ``(n, 0)``, or ``(i, why)`` for the first node ``i`` (0-based)
        that failed (``why``: 1 authentication, 0 missing). ``OSError`` for a host error."""
        if len(key) != 32 or len(prefix) != PREFIX or len(ents) < ENTRY * n:
            raise ValueError("bad key, prefix or entries")
        why = ctypes.c_uint32()  # per call: one SefsGcm serves every volume and thread
        got = self._open(self._aes_addr, fd, key, prefix, first, n, ents, scratch, out,
                         self.threads if nthreads is None else nthreads, why)
        if got < 0:
            raise OSError(-got, os.strerror(-got))
        return got, (why.value if got != n else 0)

    def open_begin(self, fd: int, key: bytes, prefix: bytes, first: int, n: int, ents: bytes,
                   scratch: int, out: int, nthreads: int | None = None) -> int:
        """``open`` handed to the library's worker threads: returns at once with a
        handle for :meth:`open_end`, which must be called exactly once (from any
        thread), before ``key``, ``prefix``, ``ents`` or the buffers go."""
        if len(key) != 32 or len(prefix) != PREFIX or len(ents) < ENTRY * n:
            raise ValueError("bad key, prefix or entries")
        handle = self._begin(self._aes_addr, fd, key, prefix, first, n, ents, scratch, out,
                             self.threads if nthreads is None else nthreads)
        if not handle:
            raise MemoryError("no memory for a native read")
        return int(handle)

    def open_end(self, handle: int) -> tuple[int, int]:
        """Finish an :meth:`open_begin` (helping with what is left): as ``open``."""
        why = ctypes.c_uint32()
        got = self._end(handle, why)
        if got < 0:
            raise OSError(-got, os.strerror(-got))
        return got, why.value

    def seal(self, key: bytes, prefix: bytes, idxs: int, nonce: int, n: int, plain: int,
             slots: int, ct: int, ents: int, nthreads: int | None = None) -> None:
        """Seal ``n`` nodes (see ``pyocclum_sefs_seal``); ``idxs`` is the address of
        ``n`` u64 indices, ``slots`` of ``n`` u32 slots."""
        if len(key) != 32 or len(prefix) != PREFIX or not 0 <= nonce < 1 << 96:
            raise ValueError("bad key, prefix or nonce")
        got = self._seal(self._aes_addr, key, prefix, idxs, nonce & ((1 << 64) - 1), nonce >> 64,
                         n, plain, slots, ct, ents, self.threads if nthreads is None else nthreads)
        if got != n:
            raise RuntimeError("native AES-GCM sealing failed")

    # Convenience forms on Python buffers (tests, self-test): copies, not for hot paths.
    def seal_nodes(self, key: bytes, prefix: bytes, idxs: list[int], nonce: int,
                   plain: bytes, slots: list[int], nthreads: int | None = None
                   ) -> tuple[bytes, bytes]:
        """(ciphertexts, entries) of ``len(idxs)`` nodes of ``plain``."""
        n = len(idxs)
        if len(plain) != n * NODE or len(slots) != n or n == 0:
            raise ValueError("sizes do not match")
        pbuf = bytearray(plain)
        ct = bytearray(n * NODE)
        ents = bytearray(n * ENTRY)
        ia = array.array("Q", idxs)
        sa = array.array("I", slots)
        self.seal(key, prefix, ia.buffer_info()[0], nonce, n, self.addr(pbuf),
                  sa.buffer_info()[0], self.addr(ct), self.addr(ents), nthreads)
        return bytes(ct), bytes(ents)

    def open_nodes(self, fd: int, key: bytes, prefix: bytes, first: int, ents: bytes,
                   nthreads: int | None = None, in_place: bool = False, split: bool = False
                   ) -> tuple[bytes, int, int]:
        """(plaintext, got, why) of the ``len(ents) // 32`` nodes from ``first``
        (``split``: through ``open_begin`` and ``open_end``)."""
        n = len(ents) // ENTRY
        if n == 0:
            raise ValueError("no entries")
        out = bytearray(n * NODE)
        scratch = out if in_place else bytearray(n * NODE)
        ents = bytes(ents)
        if split:
            handle = self.open_begin(fd, key, prefix, first, n, ents, self.addr(scratch),
                                     self.addr(out), nthreads)
            got, why = self.open_end(handle)
        else:
            got, why = self.open(fd, key, prefix, first, n, ents, self.addr(scratch),
                                 self.addr(out), nthreads)
        return bytes(out), got, why

    def self_test(self) -> None:
        """Compare with ``cryptography``'s AESGCM both ways, and on tampering."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = bytes((i * 7 + 3) & 0xFF for i in range(32))
        prefix = b"sefsnode" + (12345).to_bytes(8, "little") + b"\x00"
        n = 37
        plain = bytes((i * 131 + (i >> 12)) & 0xFF for i in range(n * NODE))
        aes = AESGCM(key)
        nonce = (1 << 64) - 5  # carries into the high part
        try:
            fd = os.memfd_create("pyocclum-sefs-test", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            import tempfile

            with tempfile.TemporaryFile() as f:
                fd = os.dup(f.fileno())
        try:
            for t in (1, 2, 5):
                ct, ents = self.seal_nodes(key, prefix, list(range(100, 100 + n)), nonce, plain,
                                           list(range(3, 3 + n)), t)
                for i in range(n):
                    e = ents[i * ENTRY : (i + 1) * ENTRY]
                    want_nonce = (nonce + i).to_bytes(12, "little")
                    ad = prefix + (100 + i).to_bytes(8, "little")
                    if (e[:4] != (4 + i).to_bytes(4, "little") or e[4:16] != want_nonce
                            or aes.encrypt(want_nonce, plain[i * NODE : (i + 1) * NODE], ad)
                            != ct[i * NODE : (i + 1) * NODE] + e[16:]):
                        raise NativeUnavailable(
                            f"{self.lib.path} ({self.backend}) seals node {i} wrongly")
            os.ftruncate(fd, 0)
            os.pwrite(fd, bytes(3 * NODE) + ct, 0)
            for t, in_place, split in itertools.product((1, 2, 5), {False, self.in_place},
                                                        (False, True)):
                out, got, _ = self.open_nodes(fd, key, prefix, 100, ents, t, in_place, split)
                if got != n or out != plain:
                    raise NativeUnavailable(
                        f"{self.lib.path} ({self.backend}) opens nodes wrongly")
                bad = bytearray(ents)
                bad[20 * ENTRY + 16] ^= 1
                got, why = self.open_nodes(fd, key, prefix, 100, bytes(bad), t, in_place,
                                           split)[1:]
                if (got, why) != (20, 1):
                    raise NativeUnavailable(
                        f"{self.lib.path} ({self.backend}) misses a tampered tag")
            # A wrong AAD (another object's prefix) fails; a short file is reported.
            got, why = self.open_nodes(fd, key, prefix[:-1] + b"\x01", 100, ents)[1:]
            if (got, why) != (0, 1):
                raise NativeUnavailable(f"{self.lib.path} ({self.backend}) misses a wrong AAD")
            os.ftruncate(fd, (3 + 30) * NODE + 100)
            got, why = self.open_nodes(fd, key, prefix, 100, ents)[1:]
            if (got, why) != (30, 0):
                raise NativeUnavailable(
                    f"{self.lib.path} ({self.backend}) misreports a short file")
        except (OSError, RuntimeError) as e:  # RuntimeError: the library failed to seal
            raise NativeUnavailable(
                f"sefs self-test of {self.lib.path} ({self.backend}) failed: {e}") from e
        finally:
            os.close(fd)


_gcm_lock = threading.Lock()
_gcm_tried = False
_gcm: SefsGcm | None = None


def sefs_gcm() -> SefsGcm | None:
    """Native AES-GCM for sefs nodes (built, loaded and self-tested on the first
    call), or ``None`` (sefs then uses ``cryptography`` node by node): switched off
    (``$PYOCCLUM_NATIVE=0``, read at every call), or not available.

    The AES-GCM is libgcrypt's if the system has it (Debian's apt depends on it),
    else OpenSSL's from the libcrypto the process has loaded for ``hashlib``: the
    first that passes the self-test. On 4 KiB nodes libgcrypt spends about a
    third less CPU than OpenSSL 3.0's EVP layer (its per-operation overhead is
    smaller; both have stitched AES-NI/PCLMUL code). ``$PYOCCLUM_NATIVE_AES``
    (read at the first call) picks one: ``gcrypt``, ``openssl``, or ``zig`` for
    zig's std ``Aes256Gcm``, which is about 5 times slower per CPU (no faster
    than ``cryptography`` on one CPU) and only there to compare against."""
    global _gcm_tried, _gcm
    if _switched_off(NATIVE_SWITCH) is not None:
        return None
    if _gcm_tried:
        return _gcm
    with _gcm_lock:
        if not _gcm_tried:
            _gcm = _pick_gcm(os.environ.get(AES_SWITCH, "auto").strip() or "auto")
            _gcm_tried = True
    return _gcm


#: What ``$PYOCCLUM_NATIVE_AES`` may say, and the libraries each tries in turn.
_AES_CHOICES: dict[str, tuple[Callable[[], AesLibrary | None] | None, ...]] = {
    "auto": (gcrypt_aes, openssl_aes),
    "gcrypt": (gcrypt_aes,),
    "openssl": (openssl_aes,),
    "zig": (None,),
}


def _pick_gcm(choice: str) -> SefsGcm | None:
    """The first back end of ``choice`` that loads and passes its self-test."""
    lib = _library()
    if lib is None:
        log.debug("native sefs AES-GCM unavailable: no native library")
        return None
    if choice not in _AES_CHOICES:
        log.warning("$%s=%r is not one of %s: using auto", AES_SWITCH, choice,
                    ", ".join(_AES_CHOICES))
        choice = "auto"
    for load in _AES_CHOICES[choice]:
        aes = load() if load is not None else None
        if load is not None and aes is None:
            continue
        try:
            gcm = SefsGcm(lib, aes)
            # One record per back end: switching between them does not re-test.
            name = f"gcm-{gcm.backend}"
            context = f"gcm {gcm.backend} {_file_identity(aes.path if aes else None)}"
            if not _self_tested(lib.path, name, context):
                gcm.self_test()
                _record_self_test(lib.path, name, context)
        except NativeUnavailable as e:
            log.debug("native sefs AES-GCM %s unavailable: %s", aes.backend if aes else "zig", e)
            continue
        log.debug("native sefs AES-GCM: %s, %d threads", gcm.backend, gcm.threads)
        return gcm
    log.debug("native sefs AES-GCM unavailable: no library passed (%s)", choice)
    return None


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
    """The ``ziglang`` package's version, from its ``.dist-info`` folder's name
    (``importlib.metadata`` costs about 20 ms of imports at every start-up)."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        return "unknown"
    site = Path(spec.origin).parent.parent
    found = sorted(p.name for p in site.glob("ziglang-*.dist-info"))
    return found[-1].removeprefix("ziglang-").removesuffix(".dist-info") if found else "unknown"


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
        return os.uname().machine
    first = text.split("\n\n", 1)[0]
    keep = ("vendor_id", "cpu family", "model", "model name", "flags", "Features",
            "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "isa")
    lines = [ln for ln in first.splitlines() if ln.split(":", 1)[0].strip() in keep]
    return "\n".join(lines) or os.uname().machine


def build_key(source: bytes) -> str:
    """Hash of everything that determines the built library."""
    h = hashlib.sha256()
    for part in (str(ABI), _zig_version(), sys.platform, os.uname().machine, _libc_version(),
                 _cpu_fingerprint(), *BUILD_FLAGS):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(len(source).to_bytes(8, "little") + source)
    return h.hexdigest()[:16]


def native_path(source: bytes, root: Path | None = None) -> Path:
    """The library file for ``source`` (built or not) under ``root``."""
    return (cache_root() if root is None else root) / f"leafhash-{build_key(source)}" / LIB_NAME


def _build(folder: Path, source: bytes) -> None:
    """Build the library into ``folder`` (which must not exist yet) atomically."""
    import shutil
    import subprocess
    import tempfile

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
    if not _self_tested(path, "leafhash"):
        lib.self_test()
        _record_self_test(path, "leafhash")
    return lib


def _self_test_digest(library: Path, context: str) -> str:
    with library.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() + " " + context


def _self_tested(library: Path, name: str, context: str = "") -> bool:
    """Has this exact library file passed self-test ``name`` (under ``context``)?"""
    try:
        marker = (library.parent / f"self-test-{name}.ok").read_text()
        return marker == _self_test_digest(library, context)
    except (OSError, UnicodeDecodeError):
        return False


def _record_self_test(library: Path, name: str, context: str = "") -> None:
    """Note that ``library`` passed self-test ``name`` (best effort, atomic)."""
    marker = library.parent / f"self-test-{name}.ok"
    tmp = marker.with_name(f".{marker.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        tmp.write_text(_self_test_digest(library, context))
        tmp.chmod(0o644)
        os.replace(tmp, marker)
    except OSError as e:
        log.debug("cannot record the self-test in %s: %s", marker, e)
        with contextlib.suppress(OSError):
            tmp.unlink()


_lock = threading.Lock()
_lib_tried = False
_lib: NativeLeafHasher | None = None
#: What :func:`native` decided (once per process, like the switches it reads).
_tried = False
_native: NativeLeafHasher | None = None


def _switched_off(*names: str) -> str | None:
    for name in names:
        if os.environ.get(name, "1").strip() == "0":
            return name
    return None


def _library() -> NativeLeafHasher | None:
    """The native library, built and loaded on the first call (whatever the
    switches say); ``None`` (after a debug log line) when it cannot be had."""
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
    off = _switched_off(NATIVE_SWITCH, ENV_SWITCH)
    lib = None
    if off is not None:
        log.debug("native leaf hashing is off (%s=0): using hashlib", off)
    else:
        lib = _library()
        if lib is not None:
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
