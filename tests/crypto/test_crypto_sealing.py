"""Sealing keys follow SGX's policies: MRENCLAVE binds the build, MRSIGNER the signer."""

from __future__ import annotations

import pytest

from pyocclum.crypto import Identity, KeyPolicy, sealing_key

SECRET = b"\x01" * 32
ME = Identity(mrenclave=b"\xaa" * 32, mrsigner=b"\xbb" * 32, product_id=1, version_number=2)


def test_mrenclave_policy_binds_the_measurement() -> None:
    k = sealing_key(SECRET, ME, KeyPolicy.MRENCLAVE)
    assert len(k) == 32
    rebuilt = Identity(b"\xac" * 32, ME.mrsigner, 1, 2)
    assert sealing_key(SECRET, rebuilt, KeyPolicy.MRENCLAVE) != k
    other_signer_same_build = Identity(ME.mrenclave, b"\xbc" * 32, 1, 2)
    assert sealing_key(SECRET, other_signer_same_build, KeyPolicy.MRENCLAVE) == k


def test_mrsigner_policy_survives_rebuilds_by_the_same_signer() -> None:
    k = sealing_key(SECRET, ME, KeyPolicy.MRSIGNER)
    rebuilt = Identity(b"\xac" * 32, ME.mrsigner, 1, 2)
    assert sealing_key(SECRET, rebuilt, KeyPolicy.MRSIGNER) == k
    for other in (Identity(ME.mrenclave, b"\xbc" * 32, 1, 2),
                  Identity(ME.mrenclave, ME.mrsigner, 9, 2),
                  Identity(ME.mrenclave, ME.mrsigner, 1, 3)):
        assert sealing_key(SECRET, other, KeyPolicy.MRSIGNER) != k


def test_key_ids_platforms_and_policies_separate_keys() -> None:
    keys = {
        sealing_key(SECRET, ME, KeyPolicy.MRSIGNER),
        sealing_key(SECRET, ME, KeyPolicy.MRSIGNER, b"fs"),
        sealing_key(SECRET, ME, KeyPolicy.MRENCLAVE),
        sealing_key(b"\x02" * 32, ME, KeyPolicy.MRSIGNER),
    }
    assert len(keys) == 4


def test_identity_needs_sha256_sizes() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        Identity(b"short", b"\0" * 32)
