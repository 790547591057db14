"""Key derivation (HKDF-SHA256), MACs (HMAC-SHA256) and the SIM-mode platform secret."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_SIZE = 32


def load_or_create_secret(path: Path) -> bytes:
    """Read a 32-byte secret from ``path``, creating it (mode 0600) on first use.

    Creation is atomic (``O_EXCL`` on a temporary name, then ``rename``), so two
    processes racing agree on one secret. In SIM mode this file *is* the
    platform's root of trust: anyone who can read it can derive every key.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(SECRET_SIZE))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process won the race
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        data = path.read_bytes()
    if len(data) != SECRET_SIZE:
        raise ValueError(f"{path}: platform secret must be {SECRET_SIZE} bytes, found {len(data)}")
    return data


def derive_key(secret: bytes, label: str, context: bytes = b"", size: int = 32) -> bytes:
    """HKDF-SHA256 of ``secret``, separated by ``label`` and bound to ``context``."""
    return HKDF(
        algorithm=hashes.SHA256(), length=size, salt=None, info=label.encode() + b"\0" + context
    ).derive(secret)


def mac(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def verify_mac(key: bytes, data: bytes | bytearray | memoryview, tag: bytes) -> bool:
    """Constant-time check of an HMAC-SHA256 tag (``data``: any bytes-like, not copied)."""
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    try:
        h.verify(tag)
    except InvalidSignature:
        return False
    return True
