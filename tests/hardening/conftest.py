"""Sizes for the hardening tests: CI-sized under ``make test``, long under ``make soak``.

``make soak`` sets ``PYOCCLUM_SOAK=1``; each test asks :func:`scale` for its
count (calls fuzzed, crash trials, processes, seconds) instead of hard-coding
one, so the same test is the quick check and the long one.
"""

from __future__ import annotations

import os

import pytest


def soaking() -> bool:
    """True under ``make soak`` (``PYOCCLUM_SOAK=1``)."""
    return os.environ.get("PYOCCLUM_SOAK", "") not in ("", "0")


@pytest.fixture
def scale() -> Scale:
    return Scale(soaking())


class Scale:
    """Picks the CI-sized or the soak-sized figure of a test."""

    def __init__(self, soak: bool) -> None:
        self.soak = soak

    def __call__(self, ci: int, soak: int) -> int:
        """``ci`` under ``make test``, ``soak`` under ``make soak``."""
        return soak if self.soak else ci
