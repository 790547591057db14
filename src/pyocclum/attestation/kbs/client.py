"""The key broker's client: attest, then receive secrets (standard library only,
plus ``cryptography``, which PyOcclum itself needs: a run machine has no aiohttp).

:func:`fetch_secrets` asks for a challenge, has the caller quote the report
data that binds that nonce to a fresh X25519 key, sends the quote, and opens
the answer with that key. The server is authenticated by TLS: pinned by the
SHA-256 of its certificate (DER), or verified against a CA file (with its host
name), checked on every connection before anything is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pyocclum.attestation.kbs import protocol
from pyocclum.attestation.kbs.protocol import ProtocolError

__all__ = ["KbsError", "fetch_secrets"]

#: The largest answer read (secrets are held in memory).
MAX_RESPONSE = 64 * 1024 * 1024
#: How many times a busy KBS (503: too many pending challenges) is asked again.
_BUSY_RETRIES = 5


class KbsError(Exception):
    """The secrets could not be had from a KBS.

    ``url`` is the KBS, ``reason`` why; ``refused`` is true when the KBS itself
    refused the attestation (HTTP 403: its reason, e.g. the policy check that
    failed), false for anything else (unreachable, wrong certificate, a
    malformed answer). ``str()`` is one line: ``attestation refused by URL:
    REASON`` or ``cannot get secrets from URL: REASON``.
    """

    def __init__(self, url: str, reason: str, *, refused: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.refused = refused
        prefix = "attestation refused by" if refused else "cannot get secrets from"
        super().__init__(f"{prefix} {url}: {reason}")


class _PinMismatch(OSError):
    """The server's certificate is not the pinned one."""


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTPS connection that checks the server's certificate against a pin
    on every connect (http.client reconnects on its own after a close)."""

    def __init__(self, host: str, port: int | None, *, timeout: float,
                 context: ssl.SSLContext, pin: bytes | None) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._pin = pin

    def connect(self) -> None:
        super().connect()
        if self._pin is None:
            return
        assert isinstance(self.sock, ssl.SSLSocket)
        der = self.sock.getpeercert(binary_form=True) or b""
        if not hmac.compare_digest(hashlib.sha256(der).digest(), self._pin):
            self.close()
            raise _PinMismatch(f"its certificate (SHA-256 {hashlib.sha256(der).hexdigest()}) "
                               f"is not the pinned one ({self._pin.hex()})")


def _context(cert_sha256: bytes | None, ca_file: Path | None) -> ssl.SSLContext:
    if ca_file is not None:
        ctx = ssl.create_default_context(cafile=str(ca_file))
    else:
        # Authenticated by the pin instead (checked in _PinnedConnection.connect).
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class _Session:
    def __init__(self, url: str, conn: http.client.HTTPSConnection, base: str) -> None:
        self.url = url
        self.conn = conn
        self.base = base

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        """Status, decoded JSON body (None if not JSON) and headers of one POST."""
        data = json.dumps(body).encode()
        self.conn.request("POST", self.base + path, body=data,
                          headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        raw = resp.read(MAX_RESPONSE + 1)
        if len(raw) > MAX_RESPONSE:
            raise KbsError(self.url, f"answer bigger than {MAX_RESPONSE} bytes")
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        return resp.status, doc, {k.lower(): v for k, v in resp.getheaders()}

    def fail(self, status: int, doc: Any, what: str) -> KbsError:
        reason = protocol.error_text(doc) or f"HTTP {status}"
        return KbsError(self.url, f"{what}: {reason}" if status != 403 else reason,
                        refused=status == 403)


def fetch_secrets(url: str, names: Sequence[str], quote: Callable[[bytes], bytes], *,
                  cert_sha256: bytes | None = None, ca_file: Path | None = None,
                  timeout: float = 10.0) -> dict[str, bytes]:
    """The secrets ``names`` (name -> value) from the KBS at ``url`` (``https://HOST:PORT``,
    optionally with a path prefix), for the enclave whose quote ``quote(report_data)``
    makes (called once, with the 64 bytes to bind; its exceptions propagate).

    ``cert_sha256`` pins the KBS's certificate (SHA-256 of its DER encoding);
    ``ca_file`` verifies it against a CA instead (host name checked); one of them is
    required (both: both hold). ``timeout`` bounds each network operation and, with
    a busy KBS's retries, the whole exchange. Raises :class:`KbsError`.
    """
    if cert_sha256 is None and ca_file is None:
        raise ValueError("fetch_secrets needs cert_sha256 or ca_file to authenticate the KBS")
    if cert_sha256 is not None and len(cert_sha256) != 32:
        raise ValueError("cert_sha256 is a SHA-256 digest (32 bytes)")
    names = list(dict.fromkeys(names))  # asked for twice is asked for once
    for name in names:
        if not protocol.valid_name(name):
            raise KbsError(url, f"bad secret name {name!r}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise KbsError(url, "the KBS URL must be https://HOST[:PORT]")
    try:
        port = parts.port
    except ValueError:
        raise KbsError(url, "bad port in the KBS URL") from None
    try:
        context = _context(cert_sha256, ca_file)
    except (OSError, ssl.SSLError) as e:
        raise KbsError(url, f"cannot load the CA file {ca_file}: {e}") from None
    conn = _PinnedConnection(parts.hostname, port, timeout=timeout, context=context,
                             pin=cert_sha256)
    session = _Session(url, conn, parts.path.rstrip("/"))
    try:
        return _exchange(session, names, quote, time.monotonic() + timeout)
    except ProtocolError as e:
        raise KbsError(url, f"malformed answer: {e}") from None
    except _PinMismatch as e:
        raise KbsError(url, str(e)) from None
    except ssl.SSLError as e:
        raise KbsError(url, f"TLS: {getattr(e, 'reason', None) or e}") from None
    except TimeoutError:
        raise KbsError(url, f"timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as e:
        raise KbsError(url, str(e) or type(e).__name__) from None
    finally:
        conn.close()


def _exchange(session: _Session, names: list[str], quote: Callable[[bytes], bytes],
              deadline: float) -> dict[str, bytes]:
    for attempt in range(_BUSY_RETRIES + 1):
        status, doc, headers = session.post(protocol.CHALLENGE_PATH, {})
        if status != 503 or attempt == _BUSY_RETRIES:
            break
        try:
            wait = min(float(headers.get("retry-after", "1")), 5.0)
        except ValueError:
            wait = 1.0
        if time.monotonic() + wait > deadline:
            break
        time.sleep(wait)
    if status != 200:
        raise session.fail(status, doc, "challenge")
    nonce, _ = protocol.parse_challenge(doc)
    key = X25519PrivateKey.generate()
    public = protocol.raw_public(key)
    raw_quote = quote(protocol.report_data(nonce, public))
    request = protocol.AttestRequest(nonce, raw_quote, public, tuple(names))
    status, doc, _ = session.post(protocol.ATTEST_PATH, request.to_json())
    if status != 200:
        raise session.fail(status, doc, "attest")
    return protocol.open_answer(doc, key, nonce, raw_quote, names)
