"""MRENCLAVE, the signature structure, MRSIGNER, signing keys and image keys."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from pyocclum.errors import ImageError
from pyocclum.image.identity import (
    SigStruct,
    compute_mrenclave,
    gen_image_key,
    load_or_create_dev_key,
    load_signing_key,
    mrsigner,
    public_key_of,
    sign,
)

ROOT = hashlib.sha256(b"image").digest()


def test_mrenclave_is_deterministic_and_covers_every_input() -> None:
    base = compute_mrenclave("0.1.0", b'{"a":1}', ROOT, ["/bin"])
    assert len(base) == 32
    assert base == compute_mrenclave("0.1.0", b'{"a":1}', ROOT, ["/bin"])
    variants = [
        compute_mrenclave("0.1.1", b'{"a":1}', ROOT, ["/bin"]),
        compute_mrenclave("0.1.0", b'{"a":2}', ROOT, ["/bin"]),
        compute_mrenclave("0.1.0", b'{"a":1}', hashlib.sha256(b"other").digest(), ["/bin"]),
        compute_mrenclave("0.1.0", b'{"a":1}', ROOT, ["/bin", "/usr/bin"]),
        # Length prefixes: moving bytes between fields changes the measurement.
        compute_mrenclave("0.1.0{", b'"a":1}', ROOT, ["/bin"]),
    ]
    assert len({base, *variants}) == len(variants) + 1


def unsigned(key: Ed25519PrivateKey) -> SigStruct:
    return SigStruct(mrenclave=b"\x11" * 32, product_id=7, version_number=3, debuggable=False,
                     signer=public_key_of(key))


def test_sign_and_verify_round_trip() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign(unsigned(key), key)
    signed.verify()
    back = SigStruct.from_json(signed.to_json(), "sigstruct.json")
    assert back == signed
    back.verify()
    assert signed.mrsigner == mrsigner(key.public_key()) == hashlib.sha256(signed.signer).digest()


@pytest.mark.parametrize(
    "field", ["mrenclave", "product_id", "version_number", "debuggable", "signature"]
)
def test_any_change_breaks_the_signature(field: str) -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign(unsigned(key), key)
    changed = {
        "mrenclave": signed._replace(mrenclave=b"\x12" * 32),
        "product_id": signed._replace(product_id=8),
        "version_number": signed._replace(version_number=4),
        "debuggable": signed._replace(debuggable=True),
        "signature": signed._replace(
            signature=bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
        ),
    }[field]
    with pytest.raises(ImageError, match="does not verify"):
        changed.verify()


def test_another_signer_cannot_pass_for_the_first() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signed = sign(unsigned(key), key)
    forged = signed._replace(signer=public_key_of(other))
    with pytest.raises(ImageError):
        forged.verify()
    with pytest.raises(ValueError, match="does not match"):
        sign(unsigned(key), other)


def test_damaged_sigstruct_json_names_the_file() -> None:
    with pytest.raises(ImageError, match=r"sig\.json: damaged"):
        SigStruct.from_json('{"mrenclave": "zz"}', "sig.json")


def test_signing_keys(tmp_path: Path) -> None:
    dev = tmp_path / "keys" / "dev.pem"
    key, created = load_or_create_dev_key(dev)
    assert created
    assert stat.S_IMODE(dev.stat().st_mode) == 0o600
    again, created_again = load_or_create_dev_key(dev)
    assert not created_again
    assert public_key_of(again) == public_key_of(key)
    rsa = tmp_path / "rsa.pem"
    rsa.write_bytes(generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(ImageError, match="must be Ed25519"):
        load_signing_key(rsa)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    with pytest.raises(ImageError, match=r"junk\.pem"):
        load_signing_key(junk)


def test_gen_image_key(tmp_path: Path) -> None:
    path = tmp_path / "image.key"
    text = gen_image_key(path)
    assert re.fullmatch(r"([0-9a-f]{2}-){15}[0-9a-f]{2}", text)
    assert path.read_text() == text + "\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert gen_image_key(path) != text


def test_first_builds_racing_agree_on_one_dev_key(tmp_path: Path) -> None:
    """Processes creating the dev key at once: no error, one key for all, no leftovers."""
    dev = tmp_path / "keys" / "dev.pem"
    script = (
        "import sys, time; from pathlib import Path; "
        "from pyocclum.image.identity import load_or_create_dev_key, public_key_of; "
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); "  # all start together
        "k, made = load_or_create_dev_key(Path(sys.argv[1])); "
        "print(public_key_of(k).hex(), made)"
    )
    start = str(time.time() + 3)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(dev), start],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(8)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in outs]
    keys = {out.split()[0] for out, _ in outs}
    assert len(keys) == 1
    assert sum(out.split()[1] == "True" for out, _ in outs) == 1
    assert public_key_of(load_or_create_dev_key(dev)[0]).hex() in keys
    assert os.listdir(dev.parent) == ["dev.pem"]
