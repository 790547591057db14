"""The key broker's wire protocol, version 1 (``docs/kbs.md``), shared by the
server and the standard-library client.

Over HTTPS (server TLS), JSON bodies:

1. ``POST /v1/challenge`` ``{}`` -> ``{"nonce": "<64 hex>", "expires_in": s}``;
2. ``POST /v1/attest`` ``{"nonce", "quote" (base64), "public_key" (base64 raw
   X25519), "secrets": [names]}`` -> ``{"server_public_key", "secrets": {name:
   base64 ciphertext}}``; the quote's report data must be :func:`report_data`
   of the nonce and the public key (one fresh quote per attestation, bound to
   the key that can open the answer);
3. ``GET /v1/health`` -> ``{"status": "ok"}``.

Refusals are ``{"error": "<why>"}`` with 403 (a check failed), 400 (malformed),
413 (too big) or 503 (too many pending challenges).

Each secret is sealed with AES-256-GCM under ``HKDF-SHA256(X25519(server
ephemeral, client public key), salt=nonce, info=INFO + SHA-256(quote))``:
12 random bytes of GCM nonce, then the ciphertext and tag; the associated data
is the secret's name, so no ciphertext can be passed off as another secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pyocclum.attestation.quote import REPORT_DATA_SIZE

CHALLENGE_PATH = "/v1/challenge"
ATTEST_PATH = "/v1/attest"
HEALTH_PATH = "/v1/health"
#: Prefix of the hash the quote's report data carries (binds it to this protocol).
BINDING_PREFIX = b"pyocclum-kbs v1\0"
#: HKDF info prefix (followed by SHA-256 of the quote).
INFO = b"pyocclum-kbs v1 secrets"
NONCE_SIZE = 32
KEY_SIZE = 32
GCM_NONCE_SIZE = 12
#: Largest request body the server reads (a quote is a few hundred bytes; names are short).
MAX_REQUEST = 64 * 1024
#: Most secrets one attestation may ask for.
MAX_NAMES = 256
#: A secret's name: also a file name under /run/secrets, so no '/', and not '.' or '..'.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class ProtocolError(ValueError):
    """A message that does not follow the protocol (the text says which field is wrong)."""


def valid_name(name: object) -> bool:
    """Whether ``name`` may name a secret (letters, digits, ``.``, ``_``, ``-``;
    up to 128; starts with a letter or digit)."""
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


def report_data(nonce: bytes, public_key: bytes) -> bytes:
    """The 64 bytes of report data an attestation's quote carries:
    ``SHA-256(BINDING_PREFIX + nonce + public_key)`` and 32 zero bytes."""
    digest = hashlib.sha256(BINDING_PREFIX + nonce + public_key).digest()
    return digest.ljust(REPORT_DATA_SIZE, b"\0")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(value: object, field: str, size: int | None = None) -> bytes:
    """The bytes of the base64 string ``value`` (ProtocolError naming ``field``)."""
    if not isinstance(value, str):
        raise ProtocolError(f"{field} must be a base64 string")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ProtocolError(f"{field} is not base64") from None
    if size is not None and len(raw) != size:
        raise ProtocolError(f"{field} must be {size} bytes, not {len(raw)}")
    return raw


def _unhex(value: object, field: str, size: int) -> bytes:
    if not isinstance(value, str):
        raise ProtocolError(f"{field} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ProtocolError(f"{field} is not hex") from None
    if len(raw) != size:
        raise ProtocolError(f"{field} must be {size} bytes ({2 * size} hex digits)")
    return raw


def _object(doc: object, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ProtocolError(f"{what} must be a JSON object")
    return doc


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ProtocolError("secrets must be a list of names")
    if len(value) > MAX_NAMES:
        raise ProtocolError(f"more than {MAX_NAMES} secrets asked for")
    for name in value:
        if not valid_name(name):
            raise ProtocolError(f"bad secret name {name!r}")
    if len(set(value)) != len(value):
        raise ProtocolError("a secret is named twice")
    return tuple(value)


def derive_key(shared: bytes, nonce: bytes, quote: bytes) -> bytes:
    """The AES-256-GCM key of one attestation's answer."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=nonce,
                info=INFO + hashlib.sha256(quote).digest()).derive(shared)


def raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def exchange(private: X25519PrivateKey, peer_public: bytes) -> bytes:
    """The X25519 shared secret (ProtocolError for a key that gives none, e.g. of low order)."""
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(peer_public))
    except ValueError:
        raise ProtocolError("public_key is not a usable X25519 key") from None


def seal(key: bytes, name: str, value: bytes) -> bytes:
    """``value`` sealed for the secret ``name``: GCM nonce + ciphertext + tag."""
    iv = os.urandom(GCM_NONCE_SIZE)
    return iv + AESGCM(key).encrypt(iv, value, name.encode())


def unseal(key: bytes, name: str, blob: bytes) -> bytes:
    """The value of the secret ``name`` sealed in ``blob`` (ProtocolError if it does not open)."""
    if len(blob) < GCM_NONCE_SIZE + 16:
        raise ProtocolError(f"secret {name!r}: ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:GCM_NONCE_SIZE], blob[GCM_NONCE_SIZE:], name.encode())
    except InvalidTag:
        raise ProtocolError(f"secret {name!r} does not decrypt (tampered with, or not "
                            "for this key)") from None


@dataclass(frozen=True)
class AttestRequest:
    """A parsed ``POST /v1/attest`` body."""

    nonce: bytes
    quote: bytes
    public_key: bytes
    names: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"nonce": self.nonce.hex(), "quote": b64(self.quote),
                "public_key": b64(self.public_key), "secrets": list(self.names)}


def parse_attest_request(doc: object) -> AttestRequest:
    """The attestation request in the decoded JSON ``doc`` (ProtocolError if malformed)."""
    body = _object(doc, "the request")
    for key in body:
        if key not in ("nonce", "quote", "public_key", "secrets"):
            raise ProtocolError(f"unknown field {key!r}")
    for key in ("nonce", "quote", "public_key", "secrets"):
        if key not in body:
            raise ProtocolError(f"missing field {key!r}")
    return AttestRequest(
        nonce=_unhex(body["nonce"], "nonce", NONCE_SIZE),
        quote=unb64(body["quote"], "quote"),
        public_key=unb64(body["public_key"], "public_key", KEY_SIZE),
        names=_names(body["secrets"]),
    )


def parse_challenge(doc: object) -> tuple[bytes, float]:
    """The nonce and its lifetime (seconds) in a challenge answer."""
    body = _object(doc, "the challenge answer")
    nonce = _unhex(body.get("nonce"), "nonce", NONCE_SIZE)
    expires_in = body.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        raise ProtocolError("expires_in must be a number")
    return nonce, float(expires_in)


def seal_answer(request: AttestRequest, server_key: X25519PrivateKey, shared: bytes,
                values: Mapping[str, bytes]) -> dict[str, Any]:
    """The JSON answer carrying ``values`` (name -> value) sealed for ``request``'s key;
    ``shared`` is :func:`exchange` of ``server_key`` and the request's public key."""
    key = derive_key(shared, request.nonce, request.quote)
    return {"server_public_key": b64(raw_public(server_key)),
            "secrets": {name: b64(seal(key, name, value)) for name, value in values.items()}}


def open_answer(doc: object, client_key: X25519PrivateKey, nonce: bytes, quote: bytes,
                names: Sequence[str]) -> dict[str, bytes]:
    """The secrets (name -> value) in an attestation answer, which must hold exactly
    ``names`` (ProtocolError otherwise, or if one does not decrypt)."""
    body = _object(doc, "the attestation answer")
    server_public = unb64(body.get("server_public_key"), "server_public_key", KEY_SIZE)
    sealed = _object(body.get("secrets"), "secrets")
    if set(sealed) != set(names):
        raise ProtocolError(f"the answer holds secrets {sorted(sealed)}, not the ones asked "
                            f"for {sorted(names)}")
    key = derive_key(exchange(client_key, server_public), nonce, quote)
    return {name: unseal(key, name, unb64(sealed[name], f"secrets[{name!r}]"))
            for name in names}


def error_text(doc: object) -> str | None:
    """The ``error`` of a refusal body, if it has one."""
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        return str(doc["error"])
    return None
