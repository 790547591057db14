"""The userland build: every program builds, lands in image/bin, and runs inside."""

from __future__ import annotations

from userland_harness import Userland

from pyocclum.cli.userland import ALIASES, ensure_userland, program_sources


def test_every_program_and_alias_is_built() -> None:
    built = set(ensure_userland())
    programs = set(program_sources())
    assert built == programs | {alias for alias, target in ALIASES.items() if target in programs}


def test_true_and_false_exit_as_coreutils(userland: Userland) -> None:
    for name in ("true", "false"):
        assert userland.inside([name]).exit_code == userland.native([name]).exit_code
