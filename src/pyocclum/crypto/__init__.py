"""Cryptography for the LibOS, never hand-rolled: ``cryptography``'s, the standard
library's (HMAC, SHA-256) and, where start-up time matters, the native library's
(HKDF, AES-GCM: OpenSSL's or libgcrypt's, else zig's std; each checked against
``cryptography`` before its first use)."""

from pyocclum.crypto.keys import derive_key, load_or_create_secret, mac, verify_mac
from pyocclum.crypto.sealing import Identity, KeyPolicy, sealing_key

__all__ = [
    "Identity",
    "KeyPolicy",
    "derive_key",
    "load_or_create_secret",
    "mac",
    "sealing_key",
    "verify_mac",
]
