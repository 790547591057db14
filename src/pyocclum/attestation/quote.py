"""The quote: what an enclave is, and 64 bytes it chose, signed by the platform.

Layout (little-endian, 278 bytes in all; ``docs/attestation.md``)::

    magic        8  b"PYOCQUOT"
    version      2  1
    backend      2  1 = sim (a platform key on the host: proves no hardware)
    flags        4  bit 0: debuggable enclave; bit 1: SIM (set by every sim quote)
    mrenclave   32
    mrsigner    32
    product_id   2
    version_no   2  the enclave's ISV SVN (``version_number`` of ``occlum build``)
    report_data 64  chosen by the program inside (a nonce, a hash of its TLS key...)
    platform    32  the platform's Ed25519 public key
    signature   64  Ed25519 by that key over all of the above but itself
    reserved    34  zero (room for a hardware backend's fields)

Decoding is strict: wrong size, magic, version or backend, set reserved bits
or bytes are a :class:`QuoteError` naming what is wrong.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"PYOCQUOT"
VERSION = 1
BACKEND_SIM = 1
BACKENDS = {BACKEND_SIM: "sim"}
FLAG_DEBUGGABLE = 0x1
FLAG_SIM = 0x2
_KNOWN_FLAGS = FLAG_DEBUGGABLE | FLAG_SIM
REPORT_DATA_SIZE = 64
_BODY = struct.Struct("<8sHHI32s32sHH64s32s")
_SIGNATURE = 64
_RESERVED = 34
SIZE = _BODY.size + _SIGNATURE + _RESERVED


class QuoteError(ValueError):
    """A byte string that is not a well-formed quote."""


@dataclass(frozen=True)
class Quote:
    """One quote, decoded (the signature is *not* checked here: see ``verify``)."""

    backend: int
    debuggable: bool
    sim: bool
    mrenclave: bytes
    mrsigner: bytes
    product_id: int
    version_number: int
    report_data: bytes
    platform_key: bytes
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        """The bytes the platform signs: everything before the signature."""
        flags = (FLAG_DEBUGGABLE if self.debuggable else 0) | (FLAG_SIM if self.sim else 0)
        return _BODY.pack(MAGIC, VERSION, self.backend, flags, self.mrenclave, self.mrsigner,
                          self.product_id, self.version_number, self.report_data,
                          self.platform_key)

    def encode(self) -> bytes:
        if len(self.signature) != _SIGNATURE:
            raise QuoteError(f"signature of {len(self.signature)} bytes ({_SIGNATURE} needed)")
        return self.signed_bytes() + self.signature + bytes(_RESERVED)

    @property
    def backend_name(self) -> str:
        return BACKENDS.get(self.backend, f"unknown ({self.backend})")


def decode(raw: bytes) -> Quote:
    """The quote in ``raw`` (QuoteError if it is not one)."""
    if len(raw) != SIZE:
        raise QuoteError(f"a quote is {SIZE} bytes, not {len(raw)}")
    (magic, version, backend, flags, mrenclave, mrsigner, product_id, version_number,
     report_data, platform_key) = _BODY.unpack_from(raw)
    if magic != MAGIC:
        raise QuoteError("not a PyOcclum quote (bad magic)")
    if version != VERSION:
        raise QuoteError(f"quote format version {version} (this reads {VERSION})")
    if backend not in BACKENDS:
        raise QuoteError(f"unknown attestation backend {backend}")
    if flags & ~_KNOWN_FLAGS:
        raise QuoteError(f"unknown quote flags {flags & ~_KNOWN_FLAGS:#x}")
    if backend == BACKEND_SIM and not flags & FLAG_SIM:
        raise QuoteError("a sim-backend quote without the SIM flag")
    if any(raw[_BODY.size + _SIGNATURE:]):
        raise QuoteError("reserved bytes are not zero")
    return Quote(backend, bool(flags & FLAG_DEBUGGABLE), bool(flags & FLAG_SIM), mrenclave,
                 mrsigner, product_id, version_number, report_data, platform_key,
                 raw[_BODY.size:_BODY.size + _SIGNATURE])
