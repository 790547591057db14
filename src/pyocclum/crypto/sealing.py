"""Sealing keys: keys bound to an enclave identity, derived from the platform secret.

As SGX's EGETKEY: with policy MRENCLAVE only the exact same enclave (same
measurement) gets the key; with policy MRSIGNER every enclave from the same
signer with at least the same security version does. In SIM mode the platform
secret is a file (see :func:`pyocclum.crypto.keys.load_or_create_secret`):
there is no hardware root of trust.
"""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

from pyocclum.crypto.keys import derive_key


class KeyPolicy(enum.Enum):
    MRENCLAVE = "MRENCLAVE"
    MRSIGNER = "MRSIGNER"


class _IdentityFields(NamedTuple):
    mrenclave: bytes
    mrsigner: bytes
    product_id: int = 0
    version_number: int = 0


class Identity(_IdentityFields):
    """What an enclave is: its measurement, its signer, and the signer's product ids."""

    __slots__ = ()

    def __new__(cls, mrenclave: bytes, mrsigner: bytes, product_id: int = 0,
                version_number: int = 0) -> Identity:
        if len(mrenclave) != 32 or len(mrsigner) != 32:
            raise ValueError("MRENCLAVE and MRSIGNER are 32-byte SHA-256 values")
        return super().__new__(cls, mrenclave, mrsigner, product_id, version_number)


def sealing_key(
    platform_secret: bytes, identity: Identity, policy: KeyPolicy, key_id: bytes = b""
) -> bytes:
    """A 256-bit key for ``identity`` under ``policy``, separated by ``key_id``.

    MRSIGNER keys bind the product id and the security version (an enclave of
    a later version gets a different key; a key for an older version can be
    asked for explicitly by passing an Identity with that version).
    """
    if policy is KeyPolicy.MRENCLAVE:
        context = b"MRENCLAVE" + identity.mrenclave
    else:
        context = b"MRSIGNER" + identity.mrsigner + struct.pack(
            "<HH", identity.product_id, identity.version_number
        )
    return derive_key(platform_secret, "pyocclum sealing key", context + b"\0" + key_id)
