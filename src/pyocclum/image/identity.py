"""Enclave identity: MRENCLAVE, the signature structure, MRSIGNER, signing keys.

- ``MRENCLAVE`` = SHA-256 over a canonical, length-prefixed encoding of the
  PyOcclum version, the measured part of ``Occlum.json``, the image root and
  the entry points (no timestamps, no paths of the build machine).
- The *signature structure* (Occlum's SIGSTRUCT) holds MRENCLAVE, the product
  id, the version number, the debuggable flag and the signer's Ed25519 public
  key, signed with the signer's private key (``cryptography``).
- ``MRSIGNER`` = SHA-256 of the signer's raw public key.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pyocclum.crypto.keys import publish_once
from pyocclum.errors import ImageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

_MRENCLAVE_DOMAIN = b"PyOcclum MRENCLAVE v1\0"
_SIGSTRUCT_DOMAIN = b"PyOcclum SIGSTRUCT v1\0"


def _field(data: bytes) -> bytes:
    return struct.pack("<Q", len(data)) + data


def compute_mrenclave(
    version: str, measured_config: bytes, image_root: bytes, entry_points: Sequence[str]
) -> bytes:
    """The measurement of an enclave build (32 bytes).

    ``measured_config`` is the canonical encoding of the measured part of
    ``Occlum.json`` (``OcclumConfig.measured_bytes()``).
    """
    h = hashlib.sha256(_MRENCLAVE_DOMAIN)
    h.update(_field(version.encode()))
    h.update(_field(measured_config))
    h.update(_field(image_root))
    h.update(_field("\0".join(entry_points).encode()))
    return h.digest()


def mrsigner(public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(_raw_public(public_key)).digest()


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class SigStruct(NamedTuple):
    """What the signer vouches for."""

    mrenclave: bytes
    product_id: int
    version_number: int
    debuggable: bool
    signer: bytes  # raw Ed25519 public key, 32 bytes
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        return _SIGSTRUCT_DOMAIN + self.mrenclave + struct.pack(
            "<HHB", self.product_id, self.version_number, int(self.debuggable)
        ) + self.signer

    @property
    def mrsigner(self) -> bytes:
        return hashlib.sha256(self.signer).digest()

    def verify(self) -> None:
        """ImageError unless ``signature`` is the signer's signature over the rest."""
        # Imported here: a boot whose verified state is cached (boot/bootstate.py)
        # does not verify, and importing cryptography costs about 10 ms.
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.signer).verify(
                self.signature, self.signed_bytes()
            )
        except (InvalidSignature, ValueError):
            raise ImageError("the enclave signature does not verify") from None

    def to_json(self) -> str:
        return json.dumps(
            {
                "mrenclave": self.mrenclave.hex(),
                "product_id": self.product_id,
                "version_number": self.version_number,
                "debuggable": self.debuggable,
                "signer": self.signer.hex(),
                "signature": self.signature.hex(),
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str, source: str) -> SigStruct:
        """Parse what :meth:`to_json` wrote (not yet verified); ImageError naming
        ``source`` for anything else: not JSON, a missing key, a wrong type, a hash,
        key or signature of the wrong length, or an id outside 0-65535."""
        try:
            d = json.loads(text)
            if not isinstance(d, dict):
                raise ValueError("not a JSON object")
            return cls(
                mrenclave=_hex_field(d, "mrenclave", 32),
                product_id=_u16_field(d, "product_id"),
                version_number=_u16_field(d, "version_number"),
                debuggable=_bool_field(d, "debuggable"),
                signer=_hex_field(d, "signer", 32),
                signature=_hex_field(d, "signature", 64),
            )
        except KeyError as e:
            raise ImageError(f"{source}: damaged signature structure (no {e})") from None
        except (ValueError, TypeError, AttributeError, RecursionError) as e:
            raise ImageError(f"{source}: damaged signature structure ({e})") from None


def _hex_field(d: dict[str, object], key: str, size: int) -> bytes:
    value = d[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a hex string")
    data = bytes.fromhex(value)
    if len(data) != size:
        raise ValueError(f"{key} is {len(data)} bytes, not {size}")
    return data


def _u16_field(d: dict[str, object], key: str) -> int:
    value = d[key]
    if type(value) is not int or not 0 <= value <= 0xFFFF:
        raise ValueError(f"{key} is not an integer from 0 to 65535")
    return value


def _bool_field(d: dict[str, object], key: str) -> bool:
    value = d[key]
    if not isinstance(value, bool):
        raise ValueError(f"{key} is not true or false")
    return value


def sign(unsigned: SigStruct, key: Ed25519PrivateKey) -> SigStruct:
    """``unsigned`` signed by ``key`` (whose public key must be ``unsigned.signer``)."""
    if _raw_public(key.public_key()) != unsigned.signer:
        raise ValueError("the signing key does not match the signer in the structure")
    signature = key.sign(unsigned.signed_bytes())
    return SigStruct(unsigned.mrenclave, unsigned.product_id, unsigned.version_number,
                     unsigned.debuggable, unsigned.signer, signature)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file; ImageError naming the file otherwise."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise ImageError(f"{path}: not a usable PEM private key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImageError(f"{path}: the signing key must be Ed25519")
    return key


def public_key_of(key: Ed25519PrivateKey) -> bytes:
    return _raw_public(key.public_key())


def load_or_create_dev_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The per-user development signing key (created 0600 on first use), and
    whether it was just created (as Occlum's default debug key, for development
    only: anyone with the file can sign as you)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if path.exists():
        return load_signing_key(path), False
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # Two first builds at once agree on one key, and neither reads a half-written one.
    if not publish_once(path, pem):  # another build made it first: sign with that one
        return load_signing_key(path), False
    return key, True


def gen_image_key(path: Path) -> str:
    """Write a random 128-bit key as Occlum does (16 hex bytes joined by ``-``), mode 0600."""
    text = "-".join(f"{b:02x}" for b in os.urandom(16))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    return text
