"""Occlum's rule for the entry process's environment (:func:`merge_env`).

Shared by the validated model (:mod:`pyocclum.config.model`) and the built
config a boot reads (:mod:`pyocclum.config.runtime`), below both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["merge_env"]


def merge_env(
    default: Sequence[tuple[str, str]], untrusted: Sequence[str], host_env: Mapping[str, str]
) -> list[tuple[str, str]]:
    """Occlum's rule for the first process's environment.

    ``env.default`` entries in order, except those a passed host variable
    overrides; then every host variable named in ``env.untrusted``, in
    ``host_env``'s order. Other host variables never pass.
    """
    allowed = set(untrusted)
    passed = [(name, value) for name, value in host_env.items() if name in allowed]
    overridden = {name for name, _ in passed}
    return [(n, v) for n, v in default if n not in overridden] + passed
