"""Checking a quote against a policy: who may receive secrets.

:func:`verify` answers the decoded quote or raises :class:`VerificationError`
naming the first check that failed, in this order: the format, the platform's
signature, the backend (a SIM quote only under ``allow_sim``, and then only
from a listed platform key if any are listed), the debuggable flag (refused
unless ``allow_debug``), the identity (one of ``mrenclave``, or ``mrsigner``
with ``product_id`` and at least ``min_version``), and the freshness (the
report data the verifier expects, e.g. its nonce, padded with zeros).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pyocclum.attestation.quote import REPORT_DATA_SIZE, Quote, QuoteError, decode


class VerificationError(Exception):
    """A quote that does not meet the policy (the message says which check failed)."""


@dataclass(frozen=True)
class Policy:
    """Which enclaves a verifier accepts. Either ``mrenclave`` (any of these
    measurements) or ``mrsigner`` (with ``product_id`` and ``min_version``)."""

    mrenclave: tuple[bytes, ...] = ()
    mrsigner: bytes | None = None
    product_id: int | None = None
    min_version: int = 0
    allow_debug: bool = False
    #: Accept quotes of the sim backend (no hardware: the host holds the platform key).
    allow_sim: bool = False
    #: If given, a sim quote must be signed by one of these platform keys (raw Ed25519).
    sim_platform_keys: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if not self.mrenclave and self.mrsigner is None:
            raise ValueError("a policy names mrenclave or mrsigner (else any enclave passes)")
        for m in self.mrenclave:
            if len(m) != 32:
                raise ValueError(f"mrenclave {m.hex()} is not 32 bytes")
        if self.mrsigner is not None and len(self.mrsigner) != 32:
            raise ValueError("mrsigner is not 32 bytes")
        for k in self.sim_platform_keys:
            if len(k) != 32:
                raise ValueError(f"sim platform key {k.hex()} is not 32 bytes")

    @classmethod
    def from_json(cls, text: str) -> Policy:
        """The policy in a JSON object (ValueError naming the bad key)."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"policy is not JSON: {e}") from None
        if not isinstance(doc, dict):
            raise ValueError("policy must be a JSON object")
        known = {"mrenclave", "mrsigner", "product_id", "min_version", "allow_debug",
                 "allow_sim", "sim_platform_keys"}
        for key in doc:
            if key not in known:
                raise ValueError(f"policy: unknown key {key!r}")
        mrenclave = doc.get("mrenclave", [])
        if isinstance(mrenclave, str):
            mrenclave = [mrenclave]
        return cls(
            mrenclave=tuple(_hex(v, f"mrenclave[{i}]") for i, v in enumerate(_list(mrenclave,
                                                                                  "mrenclave"))),
            mrsigner=None if doc.get("mrsigner") is None else _hex(doc["mrsigner"], "mrsigner"),
            product_id=_int(doc.get("product_id"), "product_id"),
            min_version=_int(doc.get("min_version", 0), "min_version") or 0,
            allow_debug=_bool(doc.get("allow_debug", False), "allow_debug"),
            allow_sim=_bool(doc.get("allow_sim", False), "allow_sim"),
            sim_platform_keys=tuple(_hex(v, f"sim_platform_keys[{i}]") for i, v in
                                    enumerate(_list(doc.get("sim_platform_keys", []),
                                                    "sim_platform_keys"))),
        )


def _list(v: Any, key: str) -> list[Any]:
    if not isinstance(v, list):
        raise ValueError(f"policy: {key} must be a list")
    return v


def _hex(v: Any, key: str) -> bytes:
    if not isinstance(v, str):
        raise ValueError(f"policy: {key} must be a hex string")
    try:
        raw = bytes.fromhex(v)
    except ValueError:
        raise ValueError(f"policy: {key} is not hex: {v!r}") from None
    if len(raw) != 32:
        raise ValueError(f"policy: {key} must be 32 bytes (64 hex digits), not {len(raw)}")
    return raw


def _int(v: Any, key: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 0xFFFF:
        raise ValueError(f"policy: {key} must be an integer from 0 to 65535")
    return v


def _bool(v: Any, key: str) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"policy: {key} must be true or false")
    return v


def verify(raw: bytes, policy: Policy, report_data: bytes | None = None) -> Quote:
    """The quote in ``raw`` if it meets ``policy`` (and carries ``report_data``, padded
    with zeros to 64 bytes, when given); VerificationError otherwise."""
    try:
        q = decode(raw)
    except QuoteError as e:
        raise VerificationError(f"malformed quote: {e}") from None
    try:
        Ed25519PublicKey.from_public_bytes(q.platform_key).verify(q.signature, q.signed_bytes())
    except (InvalidSignature, ValueError):
        raise VerificationError("the platform's signature does not verify") from None
    if q.sim:
        if not policy.allow_sim:
            raise VerificationError("a SIM quote (no hardware behind it) and the policy "
                                    "does not allow_sim")
        if policy.sim_platform_keys and q.platform_key not in policy.sim_platform_keys:
            raise VerificationError(f"SIM platform key {q.platform_key.hex()} is not trusted")
    if q.debuggable and not policy.allow_debug:
        raise VerificationError("a debuggable enclave, and the policy does not allow_debug")
    if policy.mrenclave:
        if q.mrenclave not in policy.mrenclave:
            raise VerificationError(f"MRENCLAVE {q.mrenclave.hex()} is not allowed")
    else:
        if q.mrsigner != policy.mrsigner:
            raise VerificationError(f"MRSIGNER {q.mrsigner.hex()} is not allowed")
        if policy.product_id is not None and q.product_id != policy.product_id:
            raise VerificationError(f"product id {q.product_id} is not {policy.product_id}")
        if q.version_number < policy.min_version:
            raise VerificationError(f"version {q.version_number} is below {policy.min_version}")
    if report_data is not None:
        if len(report_data) > REPORT_DATA_SIZE:
            raise VerificationError(f"expected report data longer than {REPORT_DATA_SIZE} bytes")
        if q.report_data != report_data.ljust(REPORT_DATA_SIZE, b"\0"):
            raise VerificationError("the report data is not the expected one (stale or "
                                    "replayed quote?)")
    return q
