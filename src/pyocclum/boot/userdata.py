"""Where PyOcclum keeps a user's own files: the development signing key, the SIM
platform's secret and its attestation key (each made on first use)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["user_data_path"]


def user_data_path(override_env: str, name: str) -> Path:
    """``$override_env`` if set and not empty, else ``$XDG_DATA_HOME/pyocclum/NAME``
    (``~/.local/share`` without ``XDG_DATA_HOME``)."""
    override = os.environ.get(override_env)
    if override:
        return Path(override)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "pyocclum" / name
