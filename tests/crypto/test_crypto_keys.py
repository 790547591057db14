"""Platform secret, HKDF key derivation and HMAC tags."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyocclum.crypto import derive_key, load_or_create_secret, mac, verify_mac
from pyocclum.crypto.keys import SECRET_SIZE, publish_once
from pyocclum.native import library
from pyocclum.native.kdf import hkdf_sha256

# -- the platform secret -------------------------------------------------------------


def test_creates_a_private_32_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "platform.key"
    secret = load_or_create_secret(path)
    assert len(secret) == SECRET_SIZE == 32
    assert path.read_bytes() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The folder it creates is private too, and no temporary file is left behind.
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert os.listdir(path.parent) == ["platform.key"]


def test_mode_is_0600_even_with_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "s"
        load_or_create_secret(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_same_secret_next_time(tmp_path: Path) -> None:
    path = tmp_path / "s"
    first = load_or_create_secret(path)
    assert load_or_create_secret(path) == first
    other = load_or_create_secret(tmp_path / "t")
    assert other != first  # random, not a constant


def test_existing_secret_is_used(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(bytes(range(32)))
    assert load_or_create_secret(path) == bytes(range(32))


@pytest.mark.parametrize("size", [0, 1, 31, 33, 64])
def test_wrong_size_names_the_path(tmp_path: Path, size: int) -> None:
    path = tmp_path / "bad.key"
    path.write_bytes(b"x" * size)
    with pytest.raises(ValueError, match=r"bad\.key") as e:
        load_or_create_secret(path)
    assert str(path) in str(e.value)
    assert str(size) in str(e.value)
    assert path.read_bytes() == b"x" * size  # never silently replaced


def test_threads_racing_agree(tmp_path: Path) -> None:
    path = tmp_path / "race" / "s"
    n = 8
    barrier = threading.Barrier(n)
    results: list[bytes] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(5)
            secret = load_or_create_secret(path)
        except BaseException as e:
            with lock:
                errors.append(e)
            return
        with lock:
            results.append(secret)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert len(results) == n
    assert len(set(results)) == 1
    assert results[0] == path.read_bytes()
    assert os.listdir(path.parent) == ["s"]


def test_processes_racing_agree(tmp_path: Path) -> None:
    path = tmp_path / "proc" / "s"
    go = tmp_path / "go"
    script = (
        "import sys, time, pathlib\n"
        "from pyocclum.crypto import load_or_create_secret\n"
        "go = pathlib.Path(sys.argv[2])\n"
        "while not go.exists(): time.sleep(0.001)\n"
        "sys.stdout.write(load_or_create_secret(pathlib.Path(sys.argv[1])).hex())\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        outs.append(out)
    assert len(set(outs)) == 1
    assert bytes.fromhex(outs[0]) == path.read_bytes()
    assert os.listdir(path.parent) == ["s"]


# -- HKDF -------------------------------------------------------------------------
@pytest.fixture(params=["native", "cryptography"])
def kdf_switch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "native":
        monkeypatch.delenv(library.NATIVE_SWITCH, raising=False)
        assert hkdf_sha256(b"k", b"i", 32) is not None  # the library serves it here
    else:
        monkeypatch.setenv(library.NATIVE_SWITCH, "0")
        assert hkdf_sha256(b"k", b"i", 32) is None
    return str(request.param)


# The switch fixture is set once per parameter: every example runs under it.
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.binary(max_size=100), label=st.text(max_size=20), ctx=st.binary(max_size=40),
       size=st.integers(1, 300))
def test_derive_key_is_cryptographys_hkdf(
    kdf_switch: str, secret: bytes, label: str, ctx: bytes, size: int
) -> None:
    info = label.encode() + b"\0" + ctx
    want = HKDF(algorithm=hashes.SHA256(), length=size, salt=None, info=info).derive(secret)
    assert derive_key(secret, label, ctx, size) == want


def test_native_hkdf_gives_rfc_5869s_test_case_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(library.NATIVE_SWITCH, raising=False)
    got = hkdf_sha256(bytes([0x0B] * 22), b"", 42)
    assert got is not None
    assert got.hex() == ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                         "9d201395faa4b61a96c8")
    with pytest.raises(ValueError, match="1 to 8160 bytes"):
        hkdf_sha256(b"k", b"", 8161)


@given(key=st.binary(max_size=100), data=st.binary(max_size=300))
def test_mac_is_cryptographys_hmac(key: bytes, data: bytes) -> None:
    h = crypto_hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    assert mac(key, data) == h.finalize()
    assert verify_mac(key, memoryview(data), mac(key, data))


SECRET = bytes(range(32))
labels = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=20)


def test_derive_key_is_deterministic() -> None:
    a = derive_key(SECRET, "pyocclum code cache", b"ctx")
    assert a == derive_key(SECRET, "pyocclum code cache", b"ctx")
    assert len(a) == 32
    assert a != SECRET


def test_derive_key_sizes() -> None:
    assert len(derive_key(SECRET, "x", size=16)) == 16
    long = derive_key(SECRET, "x", size=64)
    assert len(long) == 64
    # HKDF-Expand: a shorter key is a prefix of a longer one with the same inputs.
    assert long[:32] == derive_key(SECRET, "x")


def test_derive_key_depends_on_secret() -> None:
    other = bytes(31) + b"\x01"
    assert derive_key(SECRET, "x") != derive_key(other, "x")


@given(labels, labels, st.binary(max_size=16))
def test_labels_separate_keys(a: str, b: str, ctx: bytes) -> None:
    same = derive_key(SECRET, a, ctx) == derive_key(SECRET, b, ctx)
    assert same == (a == b)


@given(labels, st.binary(max_size=16), st.binary(max_size=16))
def test_contexts_separate_keys(label: str, c1: bytes, c2: bytes) -> None:
    same = derive_key(SECRET, label, c1) == derive_key(SECRET, label, c2)
    assert same == (c1 == c2)


@given(labels, labels, st.binary(max_size=8), st.binary(max_size=8))
def test_label_and_context_do_not_run_together(a: str, b: str, c1: bytes, c2: bytes) -> None:
    # ("ab", "") and ("a", "b") must not give one key: the label is NUL-terminated.
    same = derive_key(SECRET, a, c1) == derive_key(SECRET, b, c2)
    assert same == ((a, c1) == (b, c2))


def test_label_context_boundary_example() -> None:
    assert derive_key(SECRET, "ab") != derive_key(SECRET, "a", b"b")


# -- HMAC -------------------------------------------------------------------------

KEY = derive_key(SECRET, "test mac")


@given(st.binary(max_size=200))
def test_mac_verifies(data: bytes) -> None:
    tag = mac(KEY, data)
    assert len(tag) == 32
    assert verify_mac(KEY, data, tag)


@given(st.binary(min_size=1, max_size=64), st.data())
def test_flipped_bit_in_data_is_refused(data: bytes, draw: st.DataObject) -> None:
    tag = mac(KEY, data)
    bit = draw.draw(st.integers(min_value=0, max_value=len(data) * 8 - 1))
    bad = bytearray(data)
    bad[bit // 8] ^= 1 << (bit % 8)
    assert not verify_mac(KEY, bytes(bad), tag)


@given(st.binary(max_size=64), st.integers(min_value=0, max_value=255))
def test_flipped_bit_in_tag_is_refused(data: bytes, bit: int) -> None:
    tag = bytearray(mac(KEY, data))
    tag[bit // 8] ^= 1 << (bit % 8)
    assert not verify_mac(KEY, data, bytes(tag))


def test_wrong_key_is_refused() -> None:
    tag = mac(KEY, b"payload")
    assert not verify_mac(derive_key(SECRET, "other"), b"payload", tag)
    assert mac(derive_key(SECRET, "other"), b"payload") != tag


@pytest.mark.parametrize("cut", [0, 1, 16, 31])
def test_truncated_or_extended_tag_is_refused(cut: int) -> None:
    tag = mac(KEY, b"payload")
    assert not verify_mac(KEY, b"payload", tag[:cut])
    assert not verify_mac(KEY, b"payload", tag + b"\0")


def test_publish_once_keeps_the_first_file(tmp_path: Path) -> None:
    path = tmp_path / "d" / "k"
    assert publish_once(path, b"first" * 1000)
    assert not publish_once(path, b"second")
    assert path.read_bytes() == b"first" * 1000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert os.listdir(path.parent) == ["k"]
