"""The value types of ``Occlum.json``'s keys: defaults, limits and field validators.

This module owns Occlum 0.31's template defaults (plus PyOcclum's additions),
the smallest values accepted, the mount types, and one pydantic ``Annotated``
type per kind of key (:data:`Size`, :data:`AbsPath`, :data:`Key128`, ...).
Each validator takes the raw JSON value and returns the stored value or
raises :class:`_Invalid`, whose message is what follows ``"path: "`` in a
:class:`~pyocclum.config.model.ConfigFileError`. The sections that use these
types are in :mod:`pyocclum.config.sections`; the whole file in
:mod:`pyocclum.config.model`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, PlainSerializer

from pyocclum.config.network import parse_endpoint
from pyocclum.config.sizes import KiB, MiB, format_size, parse_size

__all__ = [
    "DEFAULT_ENTRY_POINTS",
    "DEFAULT_ENV",
    "FS_TYPES",
    "MIN_CACHE_SIZE",
    "MIN_OPEN_FILES",
    "FsType",
    "PathKey",
]

# ---------------------------------------------------------------------------
# Defaults (Occlum 0.31's template, plus PyOcclum's two additions)

DEFAULT_USER_SPACE_SIZE = 300 * MiB
DEFAULT_KERNEL_SPACE_HEAP_SIZE = 32 * MiB
DEFAULT_KERNEL_SPACE_STACK_SIZE = 1 * MiB
DEFAULT_MAX_NUM_OF_THREADS = 32
DEFAULT_MAX_NUM_OF_PROCESSES = 256
DEFAULT_MAX_OPEN_FILES = 1024
DEFAULT_STACK_SIZE = 4 * MiB
DEFAULT_HEAP_SIZE = 32 * MiB
DEFAULT_MMAP_SIZE = 100 * MiB
DEFAULT_ENTRY_POINTS: tuple[str, ...] = ("/bin",)
DEFAULT_ENV: tuple[str, ...] = ("OCCLUM=yes", "HOME=/root", "PATH=/bin:/usr/bin")

MIN_CACHE_SIZE = 192 * KiB
"""Smallest ``cache_size`` Occlum's SEFS accepts."""
MIN_OPEN_FILES = 4
"""``max_open_files`` must leave room for stdin, stdout, stderr and the root preopen (fd 3)."""

_U16_MAX = 2**16 - 1
_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1

FsType = Literal["sefs", "hostfs", "ramfs", "unionfs", "devfs", "procfs", "ext2"]
FS_TYPES: tuple[str, ...] = get_args(FsType)
"""Mount types Occlum.json may name."""

_IMPLICIT_MOUNTS: tuple[tuple[str, FsType], ...] = (("/dev", "devfs"), ("/proc", "procfs"))

PathKey = str | int
"""One step of a key path: an object key or a list index."""


# ---------------------------------------------------------------------------
# Field validators. Each takes the raw JSON value and returns the stored
# value or raises ``_Invalid``; the message is the part after "path: ".


class _Invalid(ValueError):
    """A value is wrong; ``subpath`` is appended to the location pydantic reports.

    Model validators use ``subpath`` to point at the exact key (pydantic would
    otherwise report the whole object).
    """

    def __init__(self, message: str, subpath: tuple[PathKey, ...] = ()) -> None:
        super().__init__(message)
        self.subpath = subpath


def _describe(value: Any) -> str:
    """Name a JSON value in an error message: ``null``, ``true``, ``42``, ``"x"``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _quote(text: str) -> str:
    """JSON-quote ``text`` for a message, shortened when long."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    return json.dumps(shown)


def _sized(minimum: int) -> Callable[[Any], int]:
    """Validator for a size: a size string or a non-negative int of bytes, at least ``minimum``."""

    def check(value: Any) -> int:
        if isinstance(value, str):
            nbytes = parse_size(value)  # SizeError is a ValueError: pydantic reports it
        elif isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= _U64_MAX:
                raise _Invalid(f'must be a size like "32MB", not {value}')
            nbytes = value
        else:
            raise _Invalid(f'must be a size like "32MB", not {_describe(value)}')
        if nbytes < minimum:
            raise _Invalid(f"must be at least {format_size(minimum)}, not {_describe(value)}")
        return nbytes

    return check


def _ranged(low: int, high: int) -> Callable[[Any], int]:
    """Validator for a JSON integer (not a boolean, not a float) in ``[low, high]``."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be an integer, not {_describe(value)}")
        if not low <= value <= high:
            raise _Invalid(f"must be between {low} and {high}, not {value}")
        return value

    return check


def _string(value: Any, what: str) -> str:
    """Return ``value`` if it is a string without NUL characters."""
    if not isinstance(value, str):
        raise _Invalid(f"must be {what}, not {_describe(value)}")
    if "\0" in value:
        raise _Invalid(f"must not contain a NUL character: {_quote(value)}")
    return value


def _absolute_path(value: Any) -> str:
    """An absolute path, normalized (``//bin/./x/`` becomes ``/bin/x``); ``..`` is refused."""
    text = _string(value, "an absolute path string")
    if not text.startswith("/"):
        raise _Invalid(f"must be an absolute path, not {_quote(text)}")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _Invalid(f'must not contain "..": {_quote(text)}')
    return "/" + "/".join(parts)


def _source(value: Any) -> str:
    """A mount source: a non-empty host path, relative to the instance folder (or absolute)."""
    text = _string(value, "a host path string")
    if not text:
        raise _Invalid('must not be empty (use "." for the instance folder)')
    return text


def _env_assignment(value: Any) -> str:
    """An ``env.default`` entry: ``KEY=VALUE`` with a non-empty key."""
    text = _string(value, 'a "KEY=VALUE" string')
    key, eq, _ = text.partition("=")
    if not eq:
        raise _Invalid(f'{_quote(text)} is not of the form KEY=VALUE (it has no "=")')
    if not key:
        raise _Invalid(f"{_quote(text)} has an empty variable name")
    return text


def _env_name(value: Any) -> str:
    """An ``env.untrusted`` entry: a variable name (non-empty, no ``=``)."""
    text = _string(value, "a variable name string")
    if not text:
        raise _Invalid("must be a variable name, not an empty string")
    if "=" in text:
        raise _Invalid(f'{_quote(text)} is not a variable name (it contains "=")')
    return text


_HEX_U64_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]{1,16})", re.ASCII)


def _hex_u64(value: Any) -> int:
    """A KSS id half as Occlum writes it: a hex string such as ``"0x0"`` (64 bits at most)."""
    text = _string(value, 'a hex string like "0x0"')
    match = _HEX_U64_RE.fullmatch(text.strip())
    if match is None:
        raise _Invalid(f'{_quote(text)} is not a 64-bit hex number (use e.g. "0x0")')
    return int(match.group(1), 16)


_KEY128_RE = re.compile(r"[0-9a-fA-F]{1,2}(?:-[0-9a-fA-F]{1,2}){15}", re.ASCII)


def _key128(value: Any, what: str) -> str:
    """16 bytes written as Occlum does (``"c7-32-b3-...-61"``), normalized to lower-case pairs."""
    text = _string(value, f"a {what} string")
    if _KEY128_RE.fullmatch(text) is None:
        raise _Invalid(
            f"{_quote(text)} is not a 128-bit {what}: write 16 hex bytes joined by "
            '"-", e.g. "c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61"'
        )
    return "-".join(f"{int(byte, 16):02x}" for byte in text.split("-"))


def _mac(value: Any) -> str:
    """``MAC``: ``""`` (filled in at build time, marks the image layer) or a 128-bit MAC."""
    if value == "":
        return ""
    return _key128(value, "MAC")


def _fs_type(value: Any) -> str:
    """A mount type: one of :data:`FS_TYPES`."""
    choices = ", ".join(FS_TYPES)
    if not isinstance(value, str):
        raise _Invalid(f"must be a file system type ({choices}), not {_describe(value)}")
    if value not in FS_TYPES:
        raise _Invalid(f"{_quote(value)} is not a file system type (use one of: {choices})")
    return value


def _endpoint(value: Any) -> str:
    """A ``network`` endpoint: ``"HOST:PORT"`` (:mod:`pyocclum.config.network`)."""
    text = _string(value, 'an endpoint string like "127.0.0.1:8080"')
    try:
        parse_endpoint(text)
    except ValueError as e:
        raise _Invalid(str(e)) from None
    return text


def _hex(value: int) -> str:
    return hex(value)


Size = Annotated[int, BeforeValidator(_sized(0)), PlainSerializer(format_size, when_used="json")]
PositiveSize = Annotated[
    int, BeforeValidator(_sized(1)), PlainSerializer(format_size, when_used="json")
]
CacheSize = Annotated[
    int, BeforeValidator(_sized(MIN_CACHE_SIZE)), PlainSerializer(format_size, when_used="json")
]
U16 = Annotated[int, BeforeValidator(_ranged(0, _U16_MAX))]
U32 = Annotated[int, BeforeValidator(_ranged(0, _U32_MAX))]
Count = Annotated[int, BeforeValidator(_ranged(1, _U32_MAX))]
OpenFiles = Annotated[int, BeforeValidator(_ranged(MIN_OPEN_FILES, _U32_MAX))]
AbsPath = Annotated[str, BeforeValidator(_absolute_path)]
Source = Annotated[str, BeforeValidator(_source)]
EnvAssignment = Annotated[str, BeforeValidator(_env_assignment)]
EnvName = Annotated[str, BeforeValidator(_env_name)]
HexU64 = Annotated[int, BeforeValidator(_hex_u64), PlainSerializer(_hex, when_used="json")]
Mac = Annotated[str, BeforeValidator(_mac)]
Key128 = Annotated[str, BeforeValidator(lambda value: _key128(value, "key"))]
FsTypeField = Annotated[FsType, BeforeValidator(_fs_type)]
NetEndpoint = Annotated[str, BeforeValidator(_endpoint)]
