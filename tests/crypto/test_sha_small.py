"""pyocclum._sha: SHA-256 and HMAC-SHA256 of small inputs without loading OpenSSL,
byte for byte hashlib's and hmac's."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys

import pytest

from pyocclum import _sha


@pytest.fixture(params=["builtin", "openssl"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs on both paths (pytest has loaded OpenSSL: force the builtin one)."""
    monkeypatch.setattr(_sha, "_no_openssl", lambda size: request.param == "builtin")
    return str(request.param)


# RFC 4231 test cases 1, 2, 6 and 7 (6 and 7: a key longer than the block).
RFC4231 = [
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than "
     b"block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


@pytest.mark.parametrize(("key", "data", "want"), RFC4231)
def test_hmac_rfc4231(path: str, key: bytes, data: bytes, want: str) -> None:
    assert _sha.hmac_sha256(key, data).hex() == want


def test_hmac_is_hmac_s(path: str) -> None:
    for key_len in (0, 1, 32, 63, 64, 65, 200):
        for data_len in (0, 1, 55, 56, 63, 64, 65, 1000, 70_000):
            key, data = os.urandom(key_len), os.urandom(data_len)
            want = hmac.digest(key, data, "sha256")
            assert _sha.hmac_sha256(key, data) == want
            assert _sha.hmac_sha256(key, memoryview(bytearray(data))) == want


def test_sha256_is_hashlib_s(path: str) -> None:
    for size in (0, 1, 64, 1000, 70_000):
        data = os.urandom(size)
        assert _sha.sha256(data).digest() == hashlib.sha256(data).digest()
        h = _sha.sha256(data[:10], total=size)
        h.update(data[10:])
        assert h.hexdigest() == hashlib.sha256(data).hexdigest()


def test_compare_digest() -> None:
    assert _sha.compare_digest(b"abc", b"abc")
    assert not _sha.compare_digest(b"abc", b"abd")
    assert not _sha.compare_digest(b"abc", b"ab")


def test_openssl_is_loaded_only_for_big_inputs() -> None:
    code = (
        "import sys\n"
        "from pyocclum import _sha\n"
        "_sha.hmac_sha256(b'k', b'x' * 1000); _sha.sha256(b'y' * 1000).digest()\n"
        "print('_hashlib' in sys.modules)\n"
        "_sha.hmac_sha256(b'k', bytes(_sha.SMALL + 1))\n"
        "print('_hashlib' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, check=True)
    assert r.stdout.split() == ["False", "True"]
