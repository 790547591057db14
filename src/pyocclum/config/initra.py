"""The ``init_ra`` key of ``Occlum.json`` (a PyOcclum addition): attest to a key broker at boot.

::

    "init_ra": {
        "kbs": "https://kbs.example:8443",
        "kbs_cert_sha256": "<64 hex: SHA-256 of the KBS's certificate, DER>",
        "root_key": "fs-root-key",
        "env": {"API_KEY": "api-key"},
        "files": ["db-password"],
        "timeout": 10
    }

Before the root is mounted, the LibOS proves what it is to the KBS (a quote
bound to a fresh nonce) and receives the named secrets
(:mod:`pyocclum.boot.initra` does it; ``docs/kbs.md`` section "init_ra"
explains it). The checks live here, in the standard library only (the boot
checks ``OCCLUM_KBS_URL`` with :func:`check_kbs_url`);
:class:`pyocclum.config.initra_model.InitRaConfig` applies them at load.
``kbs`` is an ``https://`` URL with a host and no user, query or fragment;
``kbs_cert_sha256`` is 64 hex digits (stored lower-case); ``root_key`` and
``files`` name secrets, ``env`` maps
environment variable names to secret names; a secret name is 1 to 128 of
``A-Z a-z 0-9 . _ -`` starting with a letter or digit (so it is also a safe
file name under ``/run/secrets``); ``timeout`` is a number of seconds in
``(0, 300]`` (default 10); at most :data:`MAX_SECRETS` secrets in all.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_SECRETS",
    "MAX_TIMEOUT",
    "SECRETS_DIR",
    "Located",
    "check_cert_sha256",
    "check_env_map",
    "check_files",
    "check_kbs_url",
    "check_secret_name",
    "check_timeout",
]

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0
#: Most secrets one ``init_ra`` may ask for (``root_key``, ``env`` and ``files`` together).
MAX_SECRETS = 64
#: Where ``files`` appear inside (an in-memory ramfs).
SECRETS_DIR = "/run/secrets"
_MAX_URL = 2048

_SECRET_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", re.ASCII)
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}", re.ASCII)
_SHA256_HEX_RE = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


def _shown(value: Any) -> str:
    """A JSON value as an error message shows it."""
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "an object"
    return repr(value)


def check_kbs_url(value: Any) -> str:
    """An ``https://HOST[:PORT][/PATH]`` URL (ValueError saying what is wrong); also used for
    the run-time override ``OCCLUM_KBS_URL``."""
    if not isinstance(value, str):
        raise ValueError(f'must be an https URL like "https://127.0.0.1:8443", not {_shown(value)}')
    if len(value) > _MAX_URL or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        raise ValueError(f"{_shown(value)} is not a URL (too long, or blanks/control characters)")
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() != "https":
        raise ValueError(
            f"{_shown(value)} is not an https URL (the KBS is reached over TLS only)"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{_shown(value)} has a bad port") from None
    if not parts.hostname:
        raise ValueError(f"{_shown(value)} names no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{_shown(value)} must not carry a user name or password")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"{_shown(value)} must not have a query or fragment")
    if port == 0:
        raise ValueError(f"{_shown(value)} has a bad port")
    return value


def check_secret_name(value: Any) -> str:
    """A secret's name: 1-128 of ``A-Z a-z 0-9 . _ -``, starting with a letter or digit."""
    if not isinstance(value, str):
        raise ValueError(f"must be a secret name, not {_shown(value)}")
    if _SECRET_NAME_RE.fullmatch(value) is None:
        raise ValueError(
            f"{_shown(value)} is not a secret name (1 to 128 of A-Z a-z 0-9 . _ -, "
            "starting with a letter or digit)"
        )
    return value


def check_cert_sha256(value: Any) -> str:
    if not isinstance(value, str) or _SHA256_HEX_RE.fullmatch(value) is None:
        raise ValueError(
            f"must be 64 hex digits (the SHA-256 of the KBS's certificate, as "
            f"`occlum kbs cert-fingerprint` prints it), not {_shown(value)}"
        )
    return value.lower()


def check_env_map(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ValueError(f"must be an object mapping variable names to secret names, "
                         f"not {_shown(value)}")
    for name, secret in value.items():
        if _ENV_NAME_RE.fullmatch(name) is None:
            raise Located(
                f"{_shown(name)} is not an environment variable name "
                "(letters, digits and _, not starting with a digit; at most 128)",
                (name,),
            )
        try:
            check_secret_name(secret)
        except ValueError as e:
            raise Located(str(e), (name,)) from None
    return tuple(sorted(value.items()))


def check_files(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"must be a list of secret names, not {_shown(value)}")
    seen: set[str] = set()
    for index, name in enumerate(value):
        try:
            check_secret_name(name)
        except ValueError as e:
            raise Located(str(e), (index,)) from None
        if name in seen:
            raise Located(f"{_shown(name)} is listed twice", (index,))
        seen.add(name)
    return tuple(value)


def check_timeout(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number of seconds, not {_shown(value)}")
    if not 0 < value <= MAX_TIMEOUT:
        raise ValueError(f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds, not {value}")
    return float(value)


class Located(ValueError):
    """A ValueError about one key inside the value: the config loader appends ``subpath``
    to the key path it reports."""

    def __init__(self, message: str, subpath: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.subpath = subpath
