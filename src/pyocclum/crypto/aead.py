"""AES-256-GCM with ``cryptography``'s ``AESGCM`` interface, without importing it
when the native library can serve (:mod:`pyocclum.native.aead`: OpenSSL's or
libgcrypt's AES-GCM, as for sefs nodes, checked against ``cryptography``'s
before its first use). Both give the same bytes; a message that does not
authenticate raises this module's :class:`InvalidTag` either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyocclum.native.aead import SefsGcm, sefs_gcm

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["AesGcm", "InvalidTag"]

_Buf = bytes | bytearray | memoryview


class InvalidTag(Exception):
    """The message does not authenticate under this key, nonce and associated data."""


class AesGcm:
    """AES-256-GCM under one key: :meth:`encrypt` and :meth:`decrypt` by the native
    library if it is there (chosen when made: ``$PYOCCLUM_NATIVE=0`` then says
    no), the ``*_into`` forms (sefs's node-by-node path, taken only without it)
    and everything else by ``cryptography``."""

    __slots__ = ("_key", "_native", "_py")

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("AES-256-GCM takes a 32-byte key")
        self._key = key
        self._native: SefsGcm | None = sefs_gcm()
        self._py: AESGCM | None = None

    def _cryptography(self) -> AESGCM:
        if self._py is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._py = AESGCM(self._key)
        return self._py

    def encrypt(self, nonce: bytes, data: _Buf, aad: bytes) -> bytes:
        """The ciphertext of ``data``, then its 16-byte tag."""
        if self._native is not None:
            return self._native.encrypt(self._key, nonce, bytes(data), aad)
        return self._cryptography().encrypt(nonce, data, aad)

    def decrypt(self, nonce: bytes, data: _Buf, aad: bytes) -> bytes:
        """The message sealed in ``data`` (ciphertext and tag); :class:`InvalidTag` if
        it does not authenticate."""
        if self._native is not None:
            out = self._native.decrypt(self._key, nonce, bytes(data), aad)
            if out is None:
                raise InvalidTag("the message does not authenticate")
            return out
        from cryptography.exceptions import InvalidTag as Refused

        try:
            return self._cryptography().decrypt(nonce, data, aad)
        except Refused:
            raise InvalidTag("the message does not authenticate") from None

    def encrypt_into(self, nonce: bytes, data: _Buf, aad: bytes, buf: bytearray | memoryview
                     ) -> int:
        """``cryptography``'s ``encrypt_into``: ciphertext and tag into ``buf``."""
        return self._cryptography().encrypt_into(nonce, data, aad, buf)

    def decrypt_into(self, nonce: bytes, data: _Buf, aad: bytes, buf: bytearray | memoryview
                     ) -> int:
        """``cryptography``'s ``decrypt_into``; :class:`InvalidTag` if it does not
        authenticate."""
        from cryptography.exceptions import InvalidTag as Refused

        try:
            return self._cryptography().decrypt_into(nonce, data, aad, buf)
        except Refused:
            raise InvalidTag("the message does not authenticate") from None
