"""Cryptography for the LibOS, all from the ``cryptography`` package (never hand-rolled)."""

from pyocclum.crypto.keys import derive_key, load_or_create_secret, mac, verify_mac

__all__ = ["derive_key", "load_or_create_secret", "mac", "verify_mac"]
