"""attestation/kbs without a server: the report-data binding, the sealing of
secrets, request parsing, the nonce store, the secrets file, the certificate."""

from __future__ import annotations

import hashlib
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pyocclum.attestation.kbs import protocol
from pyocclum.attestation.kbs.certs import CertError, fingerprint_file, state_cert
from pyocclum.attestation.kbs.protocol import AttestRequest, ProtocolError
from pyocclum.attestation.kbs.store import (
    NonceRefused,
    NonceStore,
    SecretsError,
    StoreFull,
    load_secrets,
    parse_secrets,
)

NONCE = bytes(range(32))
QUOTE = b"q" * 276


def test_report_data_is_the_hash_of_prefix_nonce_and_key_then_zeros() -> None:
    public = b"\x07" * 32
    rd = protocol.report_data(NONCE, public)
    assert rd == hashlib.sha256(b"pyocclum-kbs v1\0" + NONCE + public).digest() + bytes(32)
    assert protocol.report_data(NONCE, b"\x08" * 32) != rd
    assert protocol.report_data(bytes(32), public) != rd


def _answer(values: dict[str, bytes]) -> tuple[X25519PrivateKey, dict[str, object]]:
    client = X25519PrivateKey.generate()
    request = AttestRequest(NONCE, QUOTE, protocol.raw_public(client), tuple(values))
    server = X25519PrivateKey.generate()
    shared = protocol.exchange(server, request.public_key)
    return client, protocol.seal_answer(request, server, shared, values)


def test_sealed_secrets_open_with_the_client_key_only() -> None:
    values = {"a": b"alpha", "b": b"\0\xff" * 100, "empty": b""}
    client, answer = _answer(values)
    assert protocol.open_answer(answer, client, NONCE, QUOTE, list(values)) == values
    with pytest.raises(ProtocolError, match="does not decrypt"):
        protocol.open_answer(answer, X25519PrivateKey.generate(), NONCE, QUOTE, list(values))
    # The key depends on the nonce and on the quote too.
    with pytest.raises(ProtocolError, match="does not decrypt"):
        protocol.open_answer(answer, client, bytes(32), QUOTE, list(values))
    with pytest.raises(ProtocolError, match="does not decrypt"):
        protocol.open_answer(answer, client, NONCE, b"other quote", list(values))


def test_a_ciphertext_cannot_pass_for_another_secret() -> None:
    client, answer = _answer({"a": b"alpha", "b": b"beta"})
    sealed = answer["secrets"]
    assert isinstance(sealed, dict)
    answer["secrets"] = {"a": sealed["b"], "b": sealed["a"]}
    with pytest.raises(ProtocolError, match="secret 'a' does not decrypt"):
        protocol.open_answer(answer, client, NONCE, QUOTE, ["a", "b"])


def test_an_answer_must_hold_exactly_the_names_asked_for() -> None:
    client, answer = _answer({"a": b"alpha"})
    with pytest.raises(ProtocolError, match="not the ones asked for"):
        protocol.open_answer(answer, client, NONCE, QUOTE, ["a", "b"])


def _request(**change: object) -> dict[str, object]:
    doc = AttestRequest(NONCE, QUOTE, b"k" * 32, ("a", "b")).to_json()
    doc.update(change)
    return {k: v for k, v in doc.items() if v is not None}


def test_a_request_round_trips() -> None:
    assert protocol.parse_attest_request(_request()) == AttestRequest(NONCE, QUOTE, b"k" * 32,
                                                                      ("a", "b"))


@pytest.mark.parametrize(("doc", "message"), [
    ([], "must be a JSON object"),
    (_request(nonce=None), "missing field 'nonce'"),
    (_request(extra=1), "unknown field 'extra'"),
    (_request(nonce="zz"), "nonce is not hex"),
    (_request(nonce="00" * 31), "nonce must be 32 bytes"),
    (_request(quote="***"), "quote is not base64"),
    (_request(quote=5), "quote must be a base64 string"),
    (_request(public_key=protocol.b64(b"k" * 31)), "public_key must be 32 bytes"),
    (_request(secrets="a"), "secrets must be a list"),
    (_request(secrets=["../etc"]), "bad secret name"),
    (_request(secrets=[".."]), "bad secret name"),
    (_request(secrets=[1]), "bad secret name"),
    (_request(secrets=["a", "a"]), "named twice"),
    (_request(secrets=[f"s{i}" for i in range(protocol.MAX_NAMES + 1)]), "more than"),
])
def test_a_malformed_request_says_what_is_wrong(doc: object, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        protocol.parse_attest_request(doc)


def test_a_low_order_public_key_is_refused() -> None:
    with pytest.raises(ProtocolError, match="not a usable X25519 key"):
        protocol.exchange(X25519PrivateKey.generate(), bytes(32))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_nonce_is_used_once() -> None:
    store = NonceStore()
    nonce = store.issue()
    assert len(nonce) == 32
    assert store.issue() != nonce
    store.consume(nonce)
    with pytest.raises(NonceRefused, match="unknown nonce"):
        store.consume(nonce)
    with pytest.raises(NonceRefused, match="unknown nonce"):
        store.consume(bytes(32))


def test_a_nonce_expires() -> None:
    clock = Clock()
    store = NonceStore(ttl=60, clock=clock)
    nonce = store.issue()
    clock.now += 60
    with pytest.raises(NonceRefused, match="expired"):
        store.consume(nonce)
    fresh = store.issue()
    clock.now += 59
    store.consume(fresh)


def test_the_store_is_bounded_and_expired_nonces_make_room() -> None:
    clock = Clock()
    store = NonceStore(ttl=10, max_pending=3, clock=clock)
    first = [store.issue() for _ in range(3)]
    with pytest.raises(StoreFull):
        store.issue()
    store.consume(first[0])
    store.issue()
    clock.now += 10
    for _ in range(3):
        store.issue()
    assert len(store) == 3


def test_the_store_is_thread_safe() -> None:
    store = NonceStore(max_pending=100_000)
    issued: list[bytes] = []
    consumed: list[bytes] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [store.issue() for _ in range(500)]
        with lock:
            issued.extend(mine)
        ok = []
        for nonce in issued[:2000]:
            try:
                store.consume(nonce)
                ok.append(nonce)
            except NonceRefused:
                pass
        with lock:
            consumed.extend(ok)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(issued)) == 4000
    assert len(consumed) == len(set(consumed))  # never one nonce used twice
    assert len(store) == 4000 - len(consumed)


def test_secrets_are_text_or_base64() -> None:
    assert parse_secrets('{"a": "tëxt", "b": {"base64": "AAH/"}}') == {
        "a": "tëxt".encode(), "b": b"\0\1\xff"}


@pytest.mark.parametrize(("text", "message"), [
    ("[1]", "must be a JSON object"),
    ("{", "not JSON"),
    ('{"a": 1}', "'a' must be a string or"),
    ('{"a": {"base64": "!!"}}', "'a': base64 value is not base64"),
    ('{"a": {"hex": "00"}}', "'a' must be a string or"),
    ('{"a/b": "x"}', "bad secret name 'a/b'"),
])
def test_a_bad_secrets_file_names_the_bad_key_not_a_value(text: str, message: str) -> None:
    with pytest.raises(SecretsError, match=message) as info:
        parse_secrets(text, "S.json")
    assert str(info.value).startswith("S.json: ")


def test_a_missing_secrets_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match=r"nope\.json: no such file"):
        load_secrets(tmp_path / "nope.json")


def test_the_self_signed_certificate_is_made_once_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    cert, key, made = state_cert(state, ["kbs.example"])
    assert made
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    again = state_cert(state, [])
    assert again == (cert, key, False)
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kbs.example" in names.get_values_for_type(x509.DNSName)
    der = loaded.public_bytes(serialization.Encoding.DER)
    assert fingerprint_file(cert) == hashlib.sha256(der).hexdigest()
    (tmp_path / "c.der").write_bytes(der)
    assert fingerprint_file(tmp_path / "c.der") == fingerprint_file(cert)


def test_a_bad_certificate_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CertError, match="no such file"):
        fingerprint_file(tmp_path / "none.pem")
    (tmp_path / "junk.pem").write_text("hello")
    with pytest.raises(CertError, match=r"junk\.pem: not a PEM or DER"):
        fingerprint_file(tmp_path / "junk.pem")
