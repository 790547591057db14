"""Who signs quotes: the attestation backends.

A backend turns an enclave's identity and its 64 bytes of report data into a
signed quote (:mod:`pyocclum.attestation.quote`). ``SimBackend`` is the only
one these machines can run: the *platform key* is an Ed25519 key in a file on
the host (made on first use, mode 0600). Every quote it makes carries the SIM
flag and backend ``sim``, so a verifier cannot mistake it for hardware; it
shows only that whoever holds that key vouched for the identity, and the host
holds it. A hardware backend (a confidential VM's quote through Linux's
configfs-tsm) plugs in behind the same interface (``docs/attestation.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pyocclum.attestation.quote import BACKEND_SIM, REPORT_DATA_SIZE, Quote
from pyocclum.crypto.keys import publish_once


@dataclass(frozen=True)
class Subject:
    """What a quote says the enclave is (from its verified SIGSTRUCT)."""

    mrenclave: bytes
    mrsigner: bytes
    product_id: int
    version_number: int
    debuggable: bool


class AttestationBackend(Protocol):
    """Makes quotes. ``name`` is what ``/dev/attestation/attestation_type`` reads."""

    name: str

    def quote(self, subject: Subject, report_data: bytes) -> bytes:
        """The encoded quote of ``subject`` with ``report_data`` (exactly 64 bytes)."""
        ...


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def _create_key(path: Path) -> bytes:
    """A new raw key published at ``path`` whole (written aside, then linked: two first
    uses at once keep one key, the loser reads the winner's)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    return raw if publish_once(path, raw) else path.read_bytes()


class SimBackend:
    """Quotes signed by a platform key on the host (SIM: no hardware behind it)."""

    name = "sim"

    def __init__(self, platform_key: Ed25519PrivateKey) -> None:
        self._key = platform_key
        self.public_key = _raw_public(platform_key)

    @classmethod
    def load_or_create(cls, path: Path) -> SimBackend:
        """The backend of the key in ``path`` (raw 32 bytes), made there if missing."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raw = _create_key(path)
        if len(raw) != 32:
            raise ValueError(f"{path}: a platform key is 32 bytes, not {len(raw)}")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def quote(self, subject: Subject, report_data: bytes) -> bytes:
        if len(report_data) != REPORT_DATA_SIZE:
            raise ValueError(f"report data is {REPORT_DATA_SIZE} bytes, not {len(report_data)}")
        unsigned = Quote(BACKEND_SIM, subject.debuggable, True, subject.mrenclave,
                         subject.mrsigner, subject.product_id, subject.version_number,
                         report_data, self.public_key)
        signature = self._key.sign(unsigned.signed_bytes())
        return Quote(**{**unsigned.__dict__, "signature": signature}).encode()
