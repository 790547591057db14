"""attestation/kbs: a real KBS over TLS on loopback (its own thread, an ephemeral
port) answering real SIM quotes: who gets secrets, who is refused and why."""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pyocclum.attestation.backend import SimBackend, Subject
from pyocclum.attestation.kbs import protocol
from pyocclum.attestation.kbs.certs import state_cert
from pyocclum.attestation.kbs.client import KbsError, fetch_secrets
from pyocclum.attestation.kbs.server import BackgroundKbs, KbsService
from pyocclum.attestation.kbs.store import NonceStore
from pyocclum.attestation.verify import Policy

PLATFORM = SimBackend(Ed25519PrivateKey.generate())
GOOD = Subject(b"\x11" * 32, b"\x22" * 32, product_id=1, version_number=1, debuggable=False)
OTHER = Subject(b"\x33" * 32, b"\x22" * 32, product_id=1, version_number=1, debuggable=False)
DEBUG = Subject(b"\x44" * 32, b"\x22" * 32, product_id=1, version_number=1, debuggable=True)
SECRETS = {"api-key": b"sk-live-123", "fs-root-key": bytes(range(16)),
           **{f"s{i}": f"value-{i}".encode() for i in range(20)}}
PRODUCTION = Policy(mrenclave=(GOOD.mrenclave, DEBUG.mrenclave), allow_sim=True,
                    sim_platform_keys=(PLATFORM.public_key,))
DEBUG_POLICY = Policy(mrenclave=(GOOD.mrenclave, DEBUG.mrenclave), allow_sim=True,
                      allow_debug=True)


class Clock:
    """The nonce store's clock, moved by the expiry test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()


def quoter(subject: Subject) -> Any:
    return lambda rd: PLATFORM.quote(subject, rd)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cert, key, _ = state_cert(tmp_path_factory.mktemp("kbs-state"), [])
    return cert, key


@pytest.fixture(scope="module")
def kbs(tls: tuple[Path, Path]) -> Iterator[BackgroundKbs]:
    service = KbsService(PRODUCTION, SECRETS, NonceStore(ttl=60, clock=CLOCK))
    with BackgroundKbs(service, *tls) as server:
        yield server


def fetch(kbs: BackgroundKbs, subject: Subject, names: list[str]) -> dict[str, bytes]:
    return fetch_secrets(kbs.url, names, quoter(subject), cert_sha256=kbs.fingerprint)


def call(kbs: BackgroundKbs, ca: Path, path: str, body: bytes | dict[str, Any] | None = None,
         method: str = "POST") -> tuple[int, Any]:
    """One raw request (the server's certificate verified as a CA)."""
    conn = http.client.HTTPSConnection("127.0.0.1", kbs.port, timeout=10,
                                       context=ssl.create_default_context(cafile=str(ca)))
    try:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        conn.request(method, path, body=data)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def challenge(kbs: BackgroundKbs, ca: Path) -> bytes:
    status, doc = call(kbs, ca, protocol.CHALLENGE_PATH, {})
    assert status == 200
    assert doc["expires_in"] == 60
    return bytes.fromhex(doc["nonce"])


def attest_doc(nonce: bytes, subject: Subject, *, names: tuple[str, ...] = ("api-key",),
               bound_nonce: bytes | None = None, bound_key: bytes | None = None
               ) -> tuple[X25519PrivateKey, protocol.AttestRequest]:
    """An attestation request whose quote binds ``bound_nonce``/``bound_key`` (by default
    the request's own nonce and key)."""
    key = X25519PrivateKey.generate()
    public = protocol.raw_public(key)
    rd = protocol.report_data(bound_nonce or nonce, bound_key or public)
    return key, protocol.AttestRequest(nonce, PLATFORM.quote(subject, rd), public, names)


def test_the_right_enclave_gets_exactly_its_secrets(kbs: BackgroundKbs) -> None:
    got = fetch(kbs, GOOD, ["api-key", "fs-root-key"])
    assert got == {"api-key": b"sk-live-123", "fs-root-key": bytes(range(16))}
    assert fetch(kbs, GOOD, []) == {}
    assert fetch(kbs, GOOD, ["s3", "s3"]) == {"s3": b"value-3"}


def test_the_answer_is_sealed_to_the_key_the_quote_binds(kbs: BackgroundKbs,
                                                         tls: tuple[Path, Path]) -> None:
    nonce = challenge(kbs, tls[0])
    key, request = attest_doc(nonce, GOOD)
    status, doc = call(kbs, tls[0], protocol.ATTEST_PATH, request.to_json())
    assert status == 200
    assert b"sk-live-123" not in json.dumps(doc).encode()
    opened = protocol.open_answer(doc, key, nonce, request.quote, ["api-key"])
    assert opened == {"api-key": b"sk-live-123"}
    with pytest.raises(protocol.ProtocolError, match="does not decrypt"):
        protocol.open_answer(doc, X25519PrivateKey.generate(), nonce, request.quote,
                             ["api-key"])


def test_a_replayed_quote_is_refused(kbs: BackgroundKbs, tls: tuple[Path, Path]) -> None:
    _, request = attest_doc(challenge(kbs, tls[0]), GOOD)
    assert call(kbs, tls[0], protocol.ATTEST_PATH, request.to_json())[0] == 200
    status, doc = call(kbs, tls[0], protocol.ATTEST_PATH, request.to_json())
    assert status == 403
    assert "unknown nonce" in doc["error"]


def test_an_expired_nonce_is_refused(kbs: BackgroundKbs, tls: tuple[Path, Path]) -> None:
    _, request = attest_doc(challenge(kbs, tls[0]), GOOD)
    CLOCK.now += 61
    status, doc = call(kbs, tls[0], protocol.ATTEST_PATH, request.to_json())
    assert (status, doc) == (403, {"error": "expired nonce"})


def test_a_quote_bound_to_another_nonce_or_key_is_refused(kbs: BackgroundKbs,
                                                          tls: tuple[Path, Path]) -> None:
    ca = tls[0]
    first, second = challenge(kbs, ca), challenge(kbs, ca)
    _, request = attest_doc(second, GOOD, bound_nonce=first)
    status, doc = call(kbs, ca, protocol.ATTEST_PATH, request.to_json())
    assert status == 403
    assert "report data is not the expected one" in doc["error"]
    # The nonce was used up by the failed attempt: no second try with it.
    _, request = attest_doc(second, GOOD)
    assert call(kbs, ca, protocol.ATTEST_PATH, request.to_json())[0] == 403
    # A quote made for one key, sent with another (whose holder would read the answer).
    _, request = attest_doc(first, GOOD, bound_key=b"\x09" * 32)
    status, doc = call(kbs, ca, protocol.ATTEST_PATH, request.to_json())
    assert status == 403
    assert "report data is not the expected one" in doc["error"]


def test_a_wrong_mrenclave_is_refused_with_the_kbs_reason(kbs: BackgroundKbs) -> None:
    with pytest.raises(KbsError) as info:
        fetch(kbs, OTHER, ["api-key"])
    assert info.value.refused
    assert info.value.url == kbs.url
    assert str(info.value) == (f"attestation refused by {kbs.url}: MRENCLAVE "
                               f"{OTHER.mrenclave.hex()} is not allowed")


def test_a_quote_from_an_untrusted_platform_is_refused(kbs: BackgroundKbs) -> None:
    stranger = SimBackend(Ed25519PrivateKey.generate())
    with pytest.raises(KbsError, match="is not trusted"):
        fetch_secrets(kbs.url, ["api-key"], lambda rd: stranger.quote(GOOD, rd),
                      cert_sha256=kbs.fingerprint)


def test_a_debuggable_enclave_only_under_a_debug_policy(kbs: BackgroundKbs,
                                                        tls: tuple[Path, Path]) -> None:
    with pytest.raises(KbsError, match="debuggable enclave, and the policy does not allow"):
        fetch(kbs, DEBUG, ["api-key"])
    with BackgroundKbs(KbsService(DEBUG_POLICY, SECRETS), *tls) as debug_kbs:
        assert fetch(debug_kbs, DEBUG, ["api-key"]) == {"api-key": b"sk-live-123"}


def test_an_unknown_secret_name_is_refused(kbs: BackgroundKbs) -> None:
    with pytest.raises(KbsError, match="unknown secret name 'nope'") as info:
        fetch(kbs, GOOD, ["api-key", "nope"])
    assert info.value.refused


def test_the_client_refuses_a_server_with_another_certificate(kbs: BackgroundKbs) -> None:
    pending = len(kbs.service.nonces)
    with pytest.raises(KbsError, match="is not the pinned one") as info:
        fetch_secrets(kbs.url, ["api-key"], quoter(GOOD), cert_sha256=bytes(32))
    assert not info.value.refused
    assert len(kbs.service.nonces) == pending  # nothing was asked of it


def test_the_client_can_verify_by_ca_instead(kbs: BackgroundKbs, tls: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    got = fetch_secrets(kbs.url, ["s1"], quoter(GOOD), ca_file=tls[0])
    assert got == {"s1": b"value-1"}
    other, _, _ = state_cert(tmp_path, [])
    with pytest.raises(KbsError, match="TLS: CERTIFICATE_VERIFY_FAILED"):
        fetch_secrets(kbs.url, ["s1"], quoter(GOOD), ca_file=other)


def test_client_errors_name_the_url_and_the_reason(tls: tuple[Path, Path]) -> None:
    with pytest.raises(KbsError, match=r"^cannot get secrets from https://127\.0\.0\.1:1: "):
        fetch_secrets("https://127.0.0.1:1", ["a"], quoter(GOOD), cert_sha256=bytes(32))
    with pytest.raises(KbsError, match="must be https"):
        fetch_secrets("http://127.0.0.1:1", ["a"], quoter(GOOD), cert_sha256=bytes(32))
    with pytest.raises(KbsError, match="bad secret name"):
        fetch_secrets("https://127.0.0.1:1", ["a/b"], quoter(GOOD), cert_sha256=bytes(32))
    with pytest.raises(ValueError, match="needs cert_sha256 or ca_file"):
        fetch_secrets("https://127.0.0.1:1", ["a"], quoter(GOOD))


@pytest.mark.parametrize("body", [
    b"not json", b"[1, 2]", b"[" * 50_000, b"{\"nonce\": 1}",
    json.dumps({"nonce": "00" * 32, "quote": "AA==", "public_key": protocol.b64(bytes(32)),
                "secrets": []}).encode(),  # a low-order X25519 key
    json.dumps({"nonce": "00" * 32, "quote": "AA==", "public_key": protocol.b64(b"k" * 32),
                "secrets": ["a", "a"]}).encode(),
    b"\xff\xfe{}",
])
def test_a_malformed_request_is_400(kbs: BackgroundKbs, tls: tuple[Path, Path],
                                    body: bytes) -> None:
    status, doc = call(kbs, tls[0], protocol.ATTEST_PATH, body)
    assert status == 400
    assert doc["error"]


def test_other_refusals_are_json_and_the_server_stays_up(kbs: BackgroundKbs,
                                                         tls: tuple[Path, Path]) -> None:
    ca = tls[0]
    status, doc = call(kbs, ca, protocol.ATTEST_PATH, b" " * (protocol.MAX_REQUEST + 1))
    assert status == 413
    assert "exceeded" in doc["error"]
    assert call(kbs, ca, protocol.CHALLENGE_PATH, b"[]")[0] == 400
    assert call(kbs, ca, "/v1/nothing", {})[0] == 404
    assert call(kbs, ca, protocol.ATTEST_PATH, None, method="GET")[0] == 405
    assert call(kbs, ca, protocol.HEALTH_PATH, None, method="GET") == (200, {"status": "ok"})


def test_a_full_nonce_store_answers_503_and_recovers(tls: tuple[Path, Path]) -> None:
    service = KbsService(PRODUCTION, SECRETS, NonceStore(max_pending=2))
    with BackgroundKbs(service, *tls) as small:
        first = challenge(small, tls[0])
        challenge(small, tls[0])
        status, doc = call(small, tls[0], protocol.CHALLENGE_PATH, {})
        assert status == 503
        assert "too many challenges pending" in doc["error"]
        with pytest.raises(KbsError, match="challenge: too many challenges pending"):
            fetch_secrets(small.url, [], quoter(GOOD), cert_sha256=small.fingerprint,
                          timeout=0.5)
        _, request = attest_doc(first, GOOD)
        assert call(small, tls[0], protocol.ATTEST_PATH, request.to_json())[0] == 200
        assert fetch_secrets(small.url, ["s2"], quoter(GOOD),
                             cert_sha256=small.fingerprint) == {"s2": b"value-2"}


def test_one_log_line_per_attestation_without_secret_values(kbs: BackgroundKbs) -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("pyocclum.kbs")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        fetch(kbs, GOOD, ["api-key"])
        with pytest.raises(KbsError):
            fetch(kbs, OTHER, ["api-key"])
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert records == [
        f"attest from 127.0.0.1 MRENCLAVE {GOOD.mrenclave.hex()}: ok, secrets: api-key",
        f"attest from 127.0.0.1 MRENCLAVE {OTHER.mrenclave.hex()}: refused: MRENCLAVE "
        f"{OTHER.mrenclave.hex()} is not allowed",
    ]
    assert not any("sk-live" in r for r in records)


CONCURRENT = 200


def test_200_concurrent_attestations_each_get_the_right_answer(kbs: BackgroundKbs) -> None:
    """A mix of good and bad enclaves at once: every good one gets exactly its secrets,
    every bad one a 403, and the server serves on afterwards."""
    start = threading.Barrier(CONCURRENT + 1)

    def one(i: int) -> tuple[int, object]:
        subject = GOOD if i % 4 else (OTHER, DEBUG)[i // 4 % 2]
        names = [f"s{i % 20}", f"s{(i + 7) % 20}"]
        start.wait()
        try:  # a generous timeout: the suite may run this beside other busy tests
            return i, fetch_secrets(kbs.url, names, quoter(subject),
                                    cert_sha256=kbs.fingerprint, timeout=60)
        except KbsError as e:
            return i, e

    with ThreadPoolExecutor(CONCURRENT) as pool:
        futures = [pool.submit(one, i) for i in range(CONCURRENT)]
        start.wait()
        began = time.perf_counter()
        results = [f.result() for f in futures]
        took = time.perf_counter() - began
    for i, got in results:
        if i % 4:
            names = [f"s{i % 20}", f"s{(i + 7) % 20}"]
            assert got == {n: SECRETS[n] for n in names}, (i, got)
        else:
            assert isinstance(got, KbsError), (i, got)
            assert got.refused, (i, got)
            expected = "MRENCLAVE" if (i // 4) % 2 == 0 else "debuggable"
            assert expected in got.reason, (i, got)
    print(f"\n{CONCURRENT} concurrent attestations: {took:.2f} s, "
          f"{CONCURRENT / took:.0f} attestations/s")
    assert fetch(kbs, GOOD, ["api-key"]) == {"api-key": b"sk-live-123"}
