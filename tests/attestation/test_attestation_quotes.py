"""attestation: the quote format, the sim backend and verification against a policy."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from pyocclum.attestation import Policy, QuoteError, SimBackend, VerificationError, verify
from pyocclum.attestation.backend import Subject
from pyocclum.attestation.quote import SIZE, decode

MRENCLAVE = bytes(range(32))
MRSIGNER = bytes(range(32, 64))
SUBJECT = Subject(MRENCLAVE, MRSIGNER, product_id=7, version_number=3, debuggable=False)
NONCE = b"verifier-nonce-0123456789abcdef"
BACKEND = SimBackend(Ed25519PrivateKey.from_private_bytes(bytes(32)))
QUOTE = BACKEND.quote(SUBJECT, NONCE.ljust(64, b"\0"))
BY_MRENCLAVE = Policy(mrenclave=(MRENCLAVE,), allow_sim=True)


def test_a_quote_says_what_the_enclave_is_and_is_marked_sim() -> None:
    assert len(QUOTE) == SIZE
    q = verify(QUOTE, BY_MRENCLAVE, report_data=NONCE)
    assert (q.mrenclave, q.mrsigner, q.product_id, q.version_number) == (MRENCLAVE, MRSIGNER, 7, 3)
    assert q.sim
    assert q.backend_name == "sim"
    assert not q.debuggable
    assert q.platform_key == BACKEND.public_key


def test_a_sim_quote_is_refused_unless_the_policy_allows_sim() -> None:
    with pytest.raises(VerificationError, match="SIM quote"):
        verify(QUOTE, Policy(mrenclave=(MRENCLAVE,)))


def test_only_listed_platform_keys_when_some_are_listed() -> None:
    other = SimBackend(Ed25519PrivateKey.generate())
    policy = Policy(mrenclave=(MRENCLAVE,), allow_sim=True,
                    sim_platform_keys=(other.public_key,))
    with pytest.raises(VerificationError, match="not trusted"):
        verify(QUOTE, policy)
    verify(other.quote(SUBJECT, bytes(64)), policy)


def test_a_replayed_quote_fails_the_freshness_check() -> None:
    with pytest.raises(VerificationError, match="report data"):
        verify(QUOTE, BY_MRENCLAVE, report_data=b"a-new-nonce")


def test_another_measurement_is_refused() -> None:
    with pytest.raises(VerificationError, match="MRENCLAVE"):
        verify(QUOTE, Policy(mrenclave=(bytes(32),), allow_sim=True))


def test_a_debuggable_enclave_needs_allow_debug() -> None:
    debug = BACKEND.quote(Subject(MRENCLAVE, MRSIGNER, 7, 3, debuggable=True), bytes(64))
    with pytest.raises(VerificationError, match="debuggable"):
        verify(debug, BY_MRENCLAVE)
    assert verify(debug, Policy(mrenclave=(MRENCLAVE,), allow_sim=True, allow_debug=True))


def test_mrsigner_product_and_minimum_version() -> None:
    assert verify(QUOTE, Policy(mrsigner=MRSIGNER, product_id=7, min_version=3, allow_sim=True))
    for policy, why in [
        (Policy(mrsigner=MRENCLAVE, allow_sim=True), "MRSIGNER"),
        (Policy(mrsigner=MRSIGNER, product_id=8, allow_sim=True), "product id"),
        (Policy(mrsigner=MRSIGNER, min_version=4, allow_sim=True), "below"),
    ]:
        with pytest.raises(VerificationError, match=why):
            verify(QUOTE, policy)


@given(st.integers(0, SIZE - 1), st.integers(1, 255))
def test_any_changed_byte_is_refused(index: int, delta: int) -> None:
    bad = bytearray(QUOTE)
    bad[index] = (bad[index] + delta) % 256
    with pytest.raises(VerificationError):
        verify(bytes(bad), Policy(mrenclave=(MRENCLAVE,), allow_sim=True, allow_debug=True))


@given(st.binary(max_size=SIZE + 8))
def test_decode_refuses_garbage_with_a_reason(raw: bytes) -> None:
    with pytest.raises(QuoteError):
        decode(raw)


def test_report_data_must_be_64_bytes() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        BACKEND.quote(SUBJECT, b"short")


def test_policy_from_json_names_the_bad_key() -> None:
    ok = Policy.from_json(f'{{"mrenclave": "{MRENCLAVE.hex()}", "allow_sim": true}}')
    assert ok.mrenclave == (MRENCLAVE,)
    assert ok.allow_sim
    for text, why in [
        ("[]", "JSON object"),
        ("{", "not JSON"),
        ('{"mrenclave": "zz"}', "mrenclave\\[0\\] is not hex"),
        ('{"mrenclave": "00"}', "32 bytes"),
        (f'{{"mrsigner": "{MRSIGNER.hex()}", "product_id": -1}}', "product_id"),
        (f'{{"mrsigner": "{MRSIGNER.hex()}", "allow_debug": 1}}', "allow_debug"),
        ('{"allow_sim": true}', "names mrenclave or mrsigner"),
        ('{"mrenclve": []}', "unknown key 'mrenclve'"),
    ]:
        with pytest.raises(ValueError, match=why):
            Policy.from_json(text)


def test_the_platform_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "sim-platform-key"
    first = SimBackend.load_or_create(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert SimBackend.load_or_create(path).public_key == first.public_key
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        SimBackend.load_or_create(path)
