"""Key derivation (HKDF-SHA256), MACs (HMAC-SHA256) and the SIM-mode platform secret.

HMAC is the standard library's (OpenSSL's, through ``hashlib``); HKDF is the
native library's (zig's std, checked against ``cryptography``'s before its
first use: :mod:`pyocclum.native.kdf`), else ``cryptography``'s, imported only
then: importing ``cryptography`` costs every ``occlum run`` about 10 ms.
"""

from __future__ import annotations

import contextlib
import hmac
import os
from pathlib import Path

from pyocclum.native.kdf import hkdf_sha256

SECRET_SIZE = 32


def publish_once(path: Path, data: bytes) -> bool:
    """Make ``data`` the content of ``path`` (mode 0600) unless a file is there already:
    written whole and synced under a private name, then linked into place, so
    processes racing agree on one file and none ever reads a half-written one.
    True if ``data`` was published, False if another file was there first (or won).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_or_create_secret(path: Path) -> bytes:
    """Read a 32-byte secret from ``path``, creating it (mode 0600) on first use.

    Creation is atomic (:func:`publish_once`), so two processes racing agree on
    one secret. In SIM mode this file *is* the platform's root of trust: anyone
    who can read it can derive every key.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        publish_once(path, os.urandom(SECRET_SIZE))
        data = path.read_bytes()
    if len(data) != SECRET_SIZE:
        raise ValueError(f"{path}: platform secret must be {SECRET_SIZE} bytes, found {len(data)}")
    return data


def derive_key(secret: bytes, label: str, context: bytes = b"", size: int = 32) -> bytes:
    """HKDF-SHA256 of ``secret``, separated by ``label`` and bound to ``context``."""
    info = label.encode() + b"\0" + context
    key = hkdf_sha256(secret, info, size)
    if key is not None:
        return key
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=size, salt=None, info=info).derive(secret)


def mac(key: bytes, data: bytes | bytearray | memoryview) -> bytes:
    """HMAC-SHA256 of ``data`` under ``key``."""
    return hmac.digest(key, data, "sha256")


def verify_mac(key: bytes, data: bytes | bytearray | memoryview, tag: bytes) -> bool:
    """Constant-time check of an HMAC-SHA256 tag (``data``: any bytes-like, not copied)."""
    return hmac.compare_digest(hmac.digest(key, data, "sha256"), tag)
