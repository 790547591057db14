"""Attestation for Python programs inside a PyOcclum enclave (``docs/attestation.md``).

Copy this file next to your program in ``image/`` (``occlum new --template
python`` puts it in the interpreter's ``site-packages``). Pure Python, standard
library only: it runs under CPython for WASI inside the enclave.

    from occlum_attestation import get_quote
    quote = get_quote(nonce)          # send it to the verifier

Errors are ``OSError`` (``FileNotFoundError`` outside an enclave that can
attest) or ``ValueError`` (report data longer than 64 bytes).
"""

from __future__ import annotations

import os

__all__ = ["REPORT_DATA_SIZE", "attestation_type", "get_quote", "get_report"]

ATTESTATION_DIR = "/dev/attestation"
REPORT_DATA_SIZE = 64


def _read(name: str) -> bytes:
    with open(os.path.join(ATTESTATION_DIR, name), "rb") as f:
        return f.read()


def _set_report_data(report_data: bytes) -> None:
    if len(report_data) > REPORT_DATA_SIZE:
        raise ValueError(f"report data is at most {REPORT_DATA_SIZE} bytes, "
                         f"not {len(report_data)}")
    data = bytes(report_data).ljust(REPORT_DATA_SIZE, b"\0")
    fd = os.open(os.path.join(ATTESTATION_DIR, "user_report_data"), os.O_WRONLY)
    try:
        if os.write(fd, data) != REPORT_DATA_SIZE:
            raise OSError("short write of the report data")
    finally:
        os.close(fd)


def get_quote(report_data: bytes) -> bytes:
    """A quote of this enclave over ``report_data`` (at most 64 bytes, zero padded),
    which becomes this process's report data."""
    _set_report_data(report_data)
    return _read("quote")


def get_report(report_data: bytes) -> bytes:
    """A local report (checkable on this platform only) over ``report_data``."""
    _set_report_data(report_data)
    return _read("report")


def attestation_type() -> str:
    """The attestation backend's name (``sim``)."""
    return _read("attestation_type").decode("ascii")
