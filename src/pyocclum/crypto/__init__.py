"""Cryptography for the LibOS, all from the ``cryptography`` package (never hand-rolled)."""

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
