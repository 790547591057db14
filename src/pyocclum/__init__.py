"""PyOcclum: a library OS running many isolated WebAssembly processes in one runtime.

``Instance``, ``RunResult`` and ``BuildReport`` (from :mod:`pyocclum.boot`) are
loaded on first use, so that light users (``occlum-cc``) don't import wasmtime.
"""

from __future__ import annotations

from pyocclum._version import __version__

# Not typing.TYPE_CHECKING: importing typing costs `occlum exec` milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pyocclum.boot import BuildReport, Instance, RunResult

__all__ = ["BuildReport", "Instance", "RunResult", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("BuildReport", "Instance", "RunResult"):
        from pyocclum import boot

        return getattr(boot, name)
    raise AttributeError(f"module 'pyocclum' has no attribute {name!r}")
