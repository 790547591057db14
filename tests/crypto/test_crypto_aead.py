"""``pyocclum.crypto.aead.AesGcm``: cryptography's AESGCM interface and bytes, by the
native library or by cryptography (``$PYOCCLUM_NATIVE=0``), with one ``InvalidTag``."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyocclum.crypto.aead import AesGcm, InvalidTag
from pyocclum.native import library


@pytest.fixture(params=["native", "cryptography"])
def switch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "native":
        monkeypatch.delenv(library.NATIVE_SWITCH, raising=False)
    else:
        monkeypatch.setenv(library.NATIVE_SWITCH, "0")
    return str(request.param)


def test_the_switch_picks_the_back_end(switch: str) -> None:
    aes = AesGcm(bytes(32))
    assert (aes._native is not None) == (switch == "native")


# The switch fixture is set once per parameter: every example runs under it.
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.binary(min_size=32, max_size=32), nonce=st.binary(min_size=12, max_size=12),
       data=st.binary(max_size=5000), aad=st.binary(max_size=64), flip=st.integers(0, 1 << 20))
def test_same_bytes_as_cryptography_and_tampering_fails(
    switch: str, key: bytes, nonce: bytes, data: bytes, aad: bytes, flip: int
) -> None:
    aes = AesGcm(key)
    sealed = aes.encrypt(nonce, data, aad)
    assert sealed == AESGCM(key).encrypt(nonce, data, aad)
    assert aes.decrypt(nonce, memoryview(sealed), aad) == data
    bad = bytearray(sealed)
    bad[flip % len(bad)] ^= 0x80
    with pytest.raises(InvalidTag):
        aes.decrypt(nonce, bytes(bad), aad)
    with pytest.raises(InvalidTag):
        aes.decrypt(nonce, sealed, aad + b"!")


def test_the_into_forms(switch: str) -> None:
    aes = AesGcm(bytes(range(32)))
    buf = bytearray(4096 + 16)
    nonce, data = bytes(12), bytes(range(256)) * 16
    assert aes.encrypt_into(nonce, data, b"ad", buf) == len(buf)
    assert bytes(buf) == AESGCM(bytes(range(32))).encrypt(nonce, data, b"ad")
    out = bytearray(4096)
    assert aes.decrypt_into(nonce, bytes(buf), b"ad", out) == 4096
    assert out == data
    buf[0] ^= 1
    with pytest.raises(InvalidTag):
        aes.decrypt_into(nonce, bytes(buf), b"ad", out)


def test_a_key_of_another_size_is_refused() -> None:
    with pytest.raises(ValueError, match="32-byte key"):
        AesGcm(bytes(16))
