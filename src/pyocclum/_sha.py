"""SHA-256 and HMAC-SHA256 that load OpenSSL only for inputs where its speed pays.

:mod:`hashlib` and :mod:`hmac` load OpenSSL's libcrypto (``_hashlib``) when
imported: about 3.5 ms of every ``occlum run``, whose hashes at start-up are
mostly of a few hundred bytes (``Occlum.json``, the build's records, a small
program, the tags of the code cache's entries). Here an input of at most
:data:`SMALL` bytes, while ``_hashlib`` is not loaded, is hashed by CPython's
own SHA-256 (``_sha256``, the module :mod:`hashlib` itself falls back to
without OpenSSL) and its HMAC made by the standard library's own construction
(RFC 2104, as :class:`hmac.HMAC` does over a hash it has no OpenSSL HMAC
for); anything bigger, or anything once ``_hashlib`` is loaded, goes to
:mod:`hashlib` and :mod:`hmac` (OpenSSL: about 5x faster per byte). Both give
the same bytes: this changes the cost, never the result (tests check both
against :mod:`hmac` and RFC 4231).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from _typeshed import ReadableBuffer

    class Hash(Protocol):
        """What :func:`sha256` gives (hashlib's hash objects and ``_sha256``'s)."""

        def update(self, data: ReadableBuffer, /) -> None: ...
        def digest(self) -> bytes: ...
        def hexdigest(self) -> str: ...

__all__ = ["SMALL", "compare_digest", "hmac_sha256", "sha256"]

#: Largest input hashed without OpenSSL while it is not loaded (CPython's SHA-256
#: runs at about 300 MB/s, OpenSSL's at 1.5 GB/s: loading OpenSSL pays for
#: itself from about a megabyte on).
SMALL = 1 << 20


def _builtin_sha256() -> Callable[..., Hash] | None:
    """CPython's own SHA-256 (``_sha256`` in 3.11, ``_sha2`` from 3.12)."""
    for name in ("_sha256", "_sha2"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        found: Callable[..., Hash] = module.sha256
        return found
    return None


def _compare() -> Callable[[ReadableBuffer, ReadableBuffer], bool]:
    """What hmac.compare_digest is without OpenSSL: ``_operator``'s, constant-time, in C."""
    try:
        import _operator

        found: Callable[[ReadableBuffer, ReadableBuffer], bool] = _operator._compare_digest
    except (ImportError, AttributeError):  # pragma: no cover
        import hmac

        found = hmac.compare_digest
    return found


_builtin = _builtin_sha256()
#: Constant-time comparison of two tags (as :func:`hmac.compare_digest`).
compare_digest = _compare()

_BLOCK = 64  # SHA-256's block size
_TRANS_5C = bytes(x ^ 0x5C for x in range(256))
_TRANS_36 = bytes(x ^ 0x36 for x in range(256))


def _no_openssl(size: int) -> bool:
    return _builtin is not None and size <= SMALL and "_hashlib" not in sys.modules


def sha256(data: ReadableBuffer = b"", *, total: int | None = None) -> Hash:
    """A SHA-256 hash object over ``data``; ``total``: the size of all the input,
    when more is to come through ``update`` (the hash is picked for that size)."""
    if _no_openssl(memoryview(data).nbytes if total is None else total):
        assert _builtin is not None
        h: Hash = _builtin(data)
        return h
    import hashlib

    return hashlib.sha256(data)


def hmac_sha256(key: bytes, data: ReadableBuffer) -> bytes:
    """HMAC-SHA256 of ``data`` under ``key`` (as ``hmac.digest(key, data, "sha256")``)."""
    if not _no_openssl(memoryview(data).nbytes):
        import hmac

        return hmac.digest(key, data, "sha256")
    assert _builtin is not None
    if len(key) > _BLOCK:
        key = _builtin(key).digest()
    key = bytes(key).ljust(_BLOCK, b"\0")
    inner = _builtin(key.translate(_TRANS_36))
    inner.update(data)
    outer = _builtin(key.translate(_TRANS_5C))
    outer.update(inner.digest())
    digest: bytes = outer.digest()
    return digest
