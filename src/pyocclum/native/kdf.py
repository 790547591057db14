"""HKDF-SHA256 with the native library (zig's ``std.crypto.kdf.hkdf``).

Key derivation runs at every boot (the code cache's key, the boot state's,
each sefs volume's), and ``cryptography``, whose HKDF
:func:`pyocclum.crypto.derive_key` used, costs an ``occlum run`` about 10 ms
to import. :func:`hkdf_sha256` serves it from the library every run loads
anyway (sefs's AES-GCM). Before its first use per built library, it must
reproduce ``cryptography``'s HKDF on known inputs (recorded as the library's
other self-tests are); ``None`` means "use ``cryptography``": no library, a
failed self-test, or ``$PYOCCLUM_NATIVE=0`` (read at every call).
"""

from __future__ import annotations

import ctypes
import threading

from pyocclum import _log
from pyocclum.native.library import (
    NATIVE_SWITCH,
    NativeLibrary,
    record_self_test,
    self_tested,
    shared,
    switched_off,
)

__all__ = ["MAX_OUTPUT", "hkdf_sha256"]

log = _log.getLogger("pyocclum.native.kdf")

#: The longest output HKDF-SHA256 gives (RFC 5869: 255 blocks of 32 bytes).
MAX_OUTPUT = 255 * 32

_lock = threading.Lock()
_tried = False
_lib: NativeLibrary | None = None


def hkdf_sha256(ikm: bytes, info: bytes, size: int) -> bytes | None:
    """``size`` bytes of HKDF-SHA256 (no salt) of ``ikm`` for ``info``, as
    ``cryptography``'s ``HKDF(SHA256(), size, None, info).derive(ikm)``; ``None``
    when the native library cannot serve it (the caller then uses that)."""
    if not 0 < size <= MAX_OUTPUT:
        raise ValueError(f"HKDF-SHA256 gives 1 to {MAX_OUTPUT} bytes, not {size}")
    lib = _library()
    if lib is None:
        return None
    return _derive(lib, ikm, info, size)


def _derive(lib: NativeLibrary, ikm: bytes, info: bytes, size: int) -> bytes:
    out = ctypes.create_string_buffer(size)
    if lib._hkdf_sha256(ikm, len(ikm), info, len(info), out, size):
        raise ValueError(f"HKDF-SHA256 of {size} bytes refused")
    return out.raw


def _library() -> NativeLibrary | None:
    global _tried, _lib
    if switched_off(NATIVE_SWITCH) is not None:
        return None
    if _tried:
        return _lib
    with _lock:
        if not _tried:
            lib = shared()
            if lib is not None and not self_tested(lib.path, "hkdf"):
                if _self_test(lib):
                    record_self_test(lib.path, "hkdf")
                else:
                    lib = None
            _lib = lib
            _tried = True
    return _lib


def _self_test(lib: NativeLibrary) -> bool:
    """Does the library's HKDF give ``cryptography``'s bytes (RFC 5869's test case 3,
    and inputs of many lengths)?"""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    rfc = _derive(lib, bytes([0x0B] * 22), b"", 42)
    if rfc.hex() != ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                     "9d201395faa4b61a96c8"):
        log.warning("native HKDF-SHA256 of %s fails RFC 5869's test case 3", lib.path)
        return False
    for n in (0, 1, 31, 32, 33, 64, 65, 200):
        ikm = bytes((i * 7 + n) & 0xFF for i in range(n))
        info = bytes((i * 13 + 1) & 0xFF for i in range(n // 2))
        for size in (1, 16, 32, 33, 64, 100, MAX_OUTPUT):
            want = HKDF(algorithm=hashes.SHA256(), length=size, salt=None, info=info).derive(ikm)
            if _derive(lib, ikm, info, size) != want:
                log.warning("native HKDF-SHA256 of %s differs from cryptography's", lib.path)
                return False
    return True
