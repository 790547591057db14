"""What the key broker keeps: its pending challenges and its secrets.

Standard library only (no aiohttp), so the CLI can check a secrets file and
tests can drive the nonce store without a server.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path

from pyocclum.attestation.kbs.protocol import NONCE_SIZE, valid_name

#: Default lifetime of a challenge nonce (seconds).
DEFAULT_TTL = 60.0
#: Default number of challenges pending at once (a full store refuses new ones).
DEFAULT_MAX_PENDING = 10_000


class StoreFull(Exception):
    """Too many challenges pending: ask again later."""


class NonceRefused(Exception):
    """A nonce that cannot be used (never issued, already used, or expired)."""


class NonceStore:
    """Random single-use nonces that expire ``ttl`` seconds after issue, at most
    ``max_pending`` at once. Safe to use from several threads and coroutines (one
    short lock; nothing blocks while holding it)."""

    def __init__(self, ttl: float = DEFAULT_TTL, max_pending: int = DEFAULT_MAX_PENDING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl <= 0:
            raise ValueError("a nonce's lifetime must be positive")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.ttl = ttl
        self.max_pending = max_pending
        self._clock = clock
        self._lock = threading.Lock()
        # nonce -> expiry; issued in order with one ttl, so the oldest expire first.
        self._pending: OrderedDict[bytes, float] = OrderedDict()

    def _purge(self, now: float) -> None:
        while self._pending:
            nonce, expiry = next(iter(self._pending.items()))
            if expiry > now:
                break
            del self._pending[nonce]

    def issue(self) -> bytes:
        """A new nonce (StoreFull if ``max_pending`` unexpired ones are pending)."""
        nonce = os.urandom(NONCE_SIZE)
        with self._lock:
            now = self._clock()
            self._purge(now)
            if len(self._pending) >= self.max_pending:
                raise StoreFull(f"{self.max_pending} challenges pending")
            self._pending[nonce] = now + self.ttl
        return nonce

    def consume(self, nonce: bytes) -> None:
        """Use ``nonce`` up (NonceRefused, saying why, if it cannot be used)."""
        with self._lock:
            expiry = self._pending.pop(nonce, None)
            now = self._clock()
        if expiry is None:
            raise NonceRefused("unknown nonce (never issued, already used, or expired)")
        if expiry <= now:
            raise NonceRefused("expired nonce")

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)


class SecretsError(ValueError):
    """A secrets file that cannot be used (the text names the file and the bad key)."""


def parse_secrets(text: str, source: str = "secrets") -> dict[str, bytes]:
    """The secrets (name -> value) in JSON ``text``: an object of name -> string
    (its UTF-8 bytes) or ``{"base64": "..."}``. SecretsError names ``source`` and
    the bad key (never a value)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SecretsError(f"{source}: not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise SecretsError(f"{source}: must be a JSON object of name -> secret")
    return secrets_from_mapping(doc, source)


def secrets_from_mapping(doc: Mapping[str, object], source: str = "secrets"
                         ) -> dict[str, bytes]:
    """As :func:`parse_secrets`, from the decoded object."""
    out: dict[str, bytes] = {}
    for name, value in doc.items():
        if not valid_name(name):
            raise SecretsError(f"{source}: bad secret name {name!r} (letters, digits, '.', "
                               "'_', '-'; up to 128; starting with a letter or digit)")
        if isinstance(value, str):
            out[name] = value.encode()
        elif isinstance(value, dict) and set(value) == {"base64"} and \
                isinstance(value["base64"], str):
            try:
                out[name] = base64.b64decode(value["base64"].encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                raise SecretsError(f"{source}: {name!r}: base64 value is not base64") from None
        else:
            raise SecretsError(f'{source}: {name!r} must be a string or {{"base64": "..."}}')
    return out


def load_secrets(path: Path) -> dict[str, bytes]:
    """The secrets in the file ``path`` (SecretsError naming the file if unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SecretsError(f"{path}: cannot read: {getattr(e, 'strerror', None) or e}") from None
    return parse_secrets(text, str(path))
