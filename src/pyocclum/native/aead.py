"""AES-256-GCM of many sefs nodes at once, with the native library.

The native library (``library.py``) seals and opens sefs nodes (AES-256-GCM,
see ``fs/sefs.py`` and ``docs/sefs-format.md``) many at a time:
:func:`sefs_gcm` gives a :class:`SefsGcm` whose ``open`` ``pread``s a run of a
file's nodes and decrypts and authenticates them, and whose ``seal`` encrypts
a batch and makes their entries, each in one GIL-free call split over the
library's threads; ``open_begin``/``open_end`` split an ``open`` in two calls,
the first handing the run to the worker threads and returning at once (sefs's
read-ahead).
The AES-GCM is libgcrypt's (``gcry_cipher_*``), else OpenSSL's through the
``EVP_*`` functions of the libcrypto this process has loaded for ``hashlib``
(handed to the library as function pointers; nothing of our own touches AES
or GHASH), and must reproduce ``cryptography``'s AESGCM on known inputs (both
directions, tampered tags, wrong AADs, short files) before it is used (once
per built library and AES-GCM library, recorded as the library's other
self-tests are). zig's std ``Aes256Gcm`` is the other back end
(``$PYOCCLUM_NATIVE_AES=zig``), kept for comparison: it is several times
slower per CPU. ``$PYOCCLUM_NATIVE=0`` (read at every mount) makes sefs use
``cryptography`` node by node instead.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import itertools
import mmap
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from pyocclum import _log
from pyocclum.native.library import (
    NATIVE_SWITCH,
    NativeLibrary,
    NativeUnavailable,
    record_self_test,
    self_tested,
    shared,
    switched_off,
)

__all__ = [
    "AES_SWITCH",
    "ENTRY",
    "NODE",
    "PREFIX",
    "AesLibrary",
    "SefsGcm",
    "gcrypt_aes",
    "openssl_aes",
    "sefs_gcm",
]

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = _log.getLogger("pyocclum.native.aead")

#: ``EVP_*`` functions of OpenSSL's libcrypto that ``pyocclum_native.zig``'s ``Evp`` lists.
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
    """A library's AES-256-GCM functions, laid out as ``pyocclum_native.zig``'s ``Aes``
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


#: ``gcry_cipher_*`` functions of libgcrypt that ``pyocclum_native.zig``'s ``Gcry`` lists.
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
    ``pyocclum_sefs_open`` / ``pyocclum_sefs_seal`` in ``pyocclum_native.zig``):
    that of ``aes`` (``backend`` ``"gcrypt"`` or ``"openssl"``), else zig's std
    (``"zig-std"``). Buffers are passed by address: ``addr(buf)``
    gives that of a bytearray the caller keeps alive and never resizes."""

    def __init__(self, lib: NativeLibrary, aes: AesLibrary | None) -> None:
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
    def addr(buf: bytearray | mmap.mmap) -> int:
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

    # -- one message (the sefs superblock) -------------------------------------------
    def encrypt(self, key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        """As ``cryptography``'s ``AESGCM(key).encrypt(nonce, data, aad)``: the
        ciphertext, then the 16-byte tag."""
        _check_message(key, nonce)
        n = len(data)
        out = ctypes.create_string_buffer(n + 16)
        tag = ctypes.addressof(out) + n
        if self.lib._gcm_seal(self._aes_addr, key, nonce, aad, len(aad), data, n, out, tag):
            raise RuntimeError("native AES-GCM sealing failed")
        return out.raw

    def decrypt(self, key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes | None:
        """The message :meth:`encrypt` sealed into ``data``; None if it does not
        authenticate (with this key, nonce and ``aad``)."""
        _check_message(key, nonce)
        n = len(data) - 16
        if n < 0:
            return None
        held = ctypes.c_char_p(data)  # points at data's own bytes while held
        base = ctypes.cast(held, ctypes.c_void_p).value
        out = ctypes.create_string_buffer(max(n, 1))
        if self.lib._gcm_open(self._aes_addr, key, nonce, aad, len(aad), base, n,
                              None if base is None else base + n, out):
            return None
        return out.raw[:n]

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
            self._self_test_messages(aes, key)
        except (OSError, RuntimeError) as e:  # RuntimeError: the library failed to seal
            raise NativeUnavailable(
                f"sefs self-test of {self.lib.path} ({self.backend}) failed: {e}") from e
        finally:
            os.close(fd)

    def _self_test_messages(self, aes: AESGCM, key: bytes) -> None:
        """:meth:`encrypt` and :meth:`decrypt` against ``aes`` (cryptography's, same key)."""
        for size in (0, 1, 15, 16, 17, 4096, 70_001):
            nonce = size.to_bytes(12, "little")
            data = bytes((i * 29 + size) & 0xFF for i in range(size))
            aad = b"pyocclum sefs superblock" * (size % 3)
            sealed = self.encrypt(key, nonce, data, aad)
            if sealed != aes.encrypt(nonce, data, aad) or self.decrypt(
                    key, nonce, sealed, aad) != data:
                raise NativeUnavailable(
                    f"{self.lib.path} ({self.backend}) seals a {size}-byte message wrongly")
            for flip in {0, len(sealed) // 2, len(sealed) - 1}:
                bad = bytearray(sealed)
                bad[flip] ^= 0x10
                if self.decrypt(key, nonce, bytes(bad), aad) is not None:
                    raise NativeUnavailable(
                        f"{self.lib.path} ({self.backend}) misses a tampered message")
            if self.decrypt(key, nonce, sealed, aad + b"x") is not None:
                raise NativeUnavailable(f"{self.lib.path} ({self.backend}) misses a wrong AAD")


def _check_message(key: bytes, nonce: bytes) -> None:
    if len(key) != 32 or len(nonce) != 12:
        raise ValueError("AES-256-GCM takes a 32-byte key and a 12-byte nonce")


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
    if switched_off(NATIVE_SWITCH) is not None:
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


def _library() -> NativeLibrary | None:
    """The process's native library (:func:`pyocclum.native.library.shared`)."""
    return shared()


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
            if not self_tested(lib.path, name, context):
                gcm.self_test()
                record_self_test(lib.path, name, context)
        except NativeUnavailable as e:
            log.debug("native sefs AES-GCM %s unavailable: %s", aes.backend if aes else "zig", e)
            continue
        log.debug("native sefs AES-GCM: %s, %d threads", gcm.backend, gcm.threads)
        return gcm
    log.debug("native sefs AES-GCM unavailable: no library passed (%s)", choice)
    return None
