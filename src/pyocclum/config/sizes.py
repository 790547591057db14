"""Occlum size strings ("32MB", "1GB", "512B") to byte counts and back.

Grammar (case-insensitive, surrounding whitespace and one run of blanks
between number and unit allowed, as in Occlum)::

    size   := digits [unit]
    digits := one or more ASCII digits (leading zeros allowed)
    unit   := B | K | KB | KiB | M | MB | MiB | G | GB | GiB | T | TB | TiB

Every unit is a power of 1024, as in Occlum ("1KB" == "1KiB" == 1024). A
bare number means bytes. Fractions ("1.5MB"), signs ("-1MB", "+1MB"), other
units ("12XB") and the empty string are rejected with a :class:`SizeError`
whose message quotes the input and shows a valid example. Fractions are
rejected on purpose (Occlum rejects them too, and a fraction of a unit rarely
names a whole number of bytes): the error suggests the next smaller unit.
Sizes above :data:`MAX_SIZE` (``2**64 - 1``, Occlum's ``usize``) are rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from pyocclum.errors import ConfigError

__all__ = ["MAX_SIZE", "UNITS", "SizeError", "format_size", "parse_size"]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB

MAX_SIZE = 2**64 - 1
"""The largest size accepted (Occlum stores sizes in a 64-bit ``usize``)."""

UNITS: tuple[tuple[str, int], ...] = (("TB", TiB), ("GB", GiB), ("MB", MiB), ("KB", KiB), ("B", 1))
"""Canonical units, largest first, as :func:`format_size` writes them."""

_FACTORS: Mapping[str, int] = MappingProxyType(
    {
        "": 1,
        "b": 1,
        "k": KiB,
        "kb": KiB,
        "kib": KiB,
        "m": MiB,
        "mb": MiB,
        "mib": MiB,
        "g": GiB,
        "gb": GiB,
        "gib": GiB,
        "t": TiB,
        "tb": TiB,
        "tib": TiB,
    }
)

_SIZE_RE = re.compile(r"([0-9]+)[ \t]*([A-Za-z]*)", re.ASCII)
_FRACTION_RE = re.compile(r"([0-9]*)\.([0-9]+)[ \t]*([A-Za-z]*)", re.ASCII)
_EXAMPLE = '(use e.g. "32MB")'
_MAX_DIGITS = len(str(MAX_SIZE))


class SizeError(ConfigError, ValueError):
    """A size string is malformed or out of range; ``str()`` quotes it and shows an example.

    It is a :class:`~pyocclum.errors.ConfigError` (so callers handling bad
    configuration catch it) and a :class:`ValueError` (so validators treat it
    as a bad value).
    """


def _quote(text: str) -> str:
    """Quote ``text`` the way JSON would, so blanks and odd characters are visible."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    return '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_size(text: str) -> int:
    """Return the number of bytes ``text`` names, e.g. ``parse_size("32MB") == 33554432``.

    Raises :class:`SizeError` (message like ``"12XB" is not a size (use e.g.
    "32MB")``) for anything outside the grammar in this module's docstring.
    """
    stripped = text.strip(" \t\r\n")
    match = _SIZE_RE.fullmatch(stripped)
    if match is None:
        fraction = _FRACTION_RE.fullmatch(stripped)
        if fraction is not None and fraction.group(3).lower() in _FACTORS:
            raise SizeError(
                f"{_quote(text)} is not a size: use a whole number "
                f'(a smaller unit, e.g. "1536KB" instead of "1.5MB")'
            )
        if stripped.startswith("-"):
            raise SizeError(f"{_quote(text)} is not a size: sizes cannot be negative")
        raise SizeError(f"{_quote(text)} is not a size {_EXAMPLE}")
    digits, unit = match.groups()
    factor = _FACTORS.get(unit.lower())
    if factor is None:
        raise SizeError(f"{_quote(text)} is not a size {_EXAMPLE}")
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:  # also keeps int() clear of its digit limit
        raise SizeError(f"{_quote(text)} is too large (at most {format_size(MAX_SIZE)})")
    value = int(digits) * factor
    if value > MAX_SIZE:
        raise SizeError(f"{_quote(text)} is too large (at most {format_size(MAX_SIZE)})")
    return value


def format_size(nbytes: int) -> str:
    """Write ``nbytes`` in the largest canonical unit that divides it exactly.

    ``format_size(33554432) == "32MB"``, ``format_size(1536) == "1536B"``,
    ``format_size(0) == "0B"``. The result always parses back to ``nbytes``.
    Raises :class:`ValueError` for negative numbers or numbers above
    :data:`MAX_SIZE`; ``bool`` is refused too.
    """
    if isinstance(nbytes, bool) or not isinstance(nbytes, int):
        raise TypeError(f"size must be an int, not {type(nbytes).__name__}")
    if nbytes < 0 or nbytes > MAX_SIZE:
        raise ValueError(f"size {nbytes} is out of range (0 to {MAX_SIZE} bytes)")
    if nbytes == 0:
        return "0B"
    for unit, factor in UNITS:
        if nbytes % factor == 0:
            return f"{nbytes // factor}{unit}"
    raise AssertionError("unreachable: every int is a multiple of 1 byte")
