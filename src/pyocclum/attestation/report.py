"""The local report: an enclave's identity and report data, MACed for this platform only.

What ``/dev/attestation/report`` reads. Unlike a quote, nothing outside this
platform can check it: the MAC key is derived (HKDF) from the platform
secret, which never leaves the host, as SGX's report key never leaves the
CPU. It lets a party on the same platform that holds the secret (the LibOS
itself, a host tool) check what a program says it is without a signature.

Layout (little-endian, 180 bytes; ``docs/attestation.md``)::

    magic        8  b"PYOCREPT"
    version      2  1
    reserved     2  zero
    flags        4  bit 0: debuggable enclave
    mrenclave   32
    mrsigner    32
    product_id   2
    version_no   2
    report_data 64
    mac         32  HMAC-SHA256 under report_key(platform secret), over all of the above
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyocclum.attestation.quote import REPORT_DATA_SIZE
from pyocclum.crypto import derive_key, mac, verify_mac

if TYPE_CHECKING:
    from pyocclum.attestation.backend import Subject

__all__ = ["SIZE", "LocalReport", "ReportError", "check_report", "make_report", "report_key"]

MAGIC = b"PYOCREPT"
VERSION = 1
FLAG_DEBUGGABLE = 0x1
_BODY = struct.Struct("<8sHHI32s32sHH64s")
_MAC = 32
SIZE = _BODY.size + _MAC


class ReportError(ValueError):
    """Bytes that are not a report of this platform (the message says why)."""


@dataclass(frozen=True)
class LocalReport:
    """A checked local report."""

    debuggable: bool
    mrenclave: bytes
    mrsigner: bytes
    product_id: int
    version_number: int
    report_data: bytes


def report_key(platform_secret: bytes) -> bytes:
    """The MAC key of this platform's reports (HKDF of the platform secret)."""
    return derive_key(platform_secret, "pyocclum attestation report")


def make_report(key: bytes, subject: Subject, report_data: bytes) -> bytes:
    """The report of ``subject`` with ``report_data`` (exactly 64 bytes), MACed under ``key``."""
    if len(report_data) != REPORT_DATA_SIZE:
        raise ValueError(f"report data is {REPORT_DATA_SIZE} bytes, not {len(report_data)}")
    body = _BODY.pack(MAGIC, VERSION, 0, FLAG_DEBUGGABLE if subject.debuggable else 0,
                      subject.mrenclave, subject.mrsigner, subject.product_id,
                      subject.version_number, report_data)
    return body + mac(key, body)


def check_report(key: bytes, raw: bytes) -> LocalReport:
    """The report in ``raw`` if its MAC checks under ``key`` (ReportError otherwise)."""
    if len(raw) != SIZE:
        raise ReportError(f"a report is {SIZE} bytes, not {len(raw)}")
    body, tag = raw[:_BODY.size], raw[_BODY.size:]
    if not verify_mac(key, body, tag):
        raise ReportError("the report's MAC does not check (another platform, or altered)")
    (magic, version, reserved, flags, mrenclave, mrsigner, product_id, version_number,
     report_data) = _BODY.unpack(body)
    if magic != MAGIC:
        raise ReportError("not a PyOcclum report (bad magic)")
    if version != VERSION:
        raise ReportError(f"report format version {version} (this reads {VERSION})")
    if reserved or flags & ~FLAG_DEBUGGABLE:
        raise ReportError("reserved bits of the report are set")
    return LocalReport(bool(flags & FLAG_DEBUGGABLE), mrenclave, mrsigner, product_id,
                       version_number, report_data)
