"""Malicious processes (issue 16, item 2): each attack runs inside a LibOS booted
with the default ``Occlum.json`` while an innocent process keeps working beside it
(hostile_harness.Arena.bystander). Pass = the attack is contained (it gets the
POSIX error, or it alone is stopped), the bystander ends by itself with every
check passed, the LibOS still starts new processes, and no kernel bug was logged.

The guest programs are tests/programs/hostile.c and innocent.c.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from hostile_harness import Arena, arena, build_instance

from pyocclum.boot import Instance
from pyocclum.config.fields import DEFAULT_HEAP_SIZE, DEFAULT_STACK_SIZE
from pyocclum.config.sizes import MiB


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    return build_instance(tmp_path_factory.mktemp("hostile") / "inst")


@pytest.fixture
def libos(instance: Instance, caplog: pytest.LogCaptureFixture) -> Iterator[Arena]:
    """The booted LibOS; after the test, no kernel bug may have been logged."""
    with caplog.at_level(logging.ERROR, logger="pyocclum"), arena(instance) as a:
        yield a
    bugs = [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR and r.name.startswith("pyocclum")]
    assert not bugs, bugs


def line(out: str, pattern: str) -> re.Match[str]:
    m = re.search(pattern, out, re.MULTILINE)
    assert m is not None, f"no line matching {pattern!r} in {out!r}"
    return m


# -- memory -----------------------------------------------------------------------------
def test_memory_bomb_gets_null_at_its_limit(libos: Arena) -> None:
    """malloc(1 MiB) + memset until NULL ends at the heap limit, at once. Regression:
    clang deleted the never-read allocations and the loop ran forever (issue 16);
    occlum-cc now keeps every malloc, as gcc does."""
    with libos.bystander():
        bomb = libos.run(["/bin/hostile", "memory"], seconds=30)
        assert bomb.proc.status == 0, (bomb.stdout, bomb.stderr)
    got = int(line(bomb.stdout, r"^memory: NULL after (\d+) MiB$")[1])
    assert 8 <= got <= DEFAULT_HEAP_SIZE // MiB, got
    assert "small: ok" in bomb.stdout


def test_raw_memory_grow_stops_at_the_limit(libos: Arena) -> None:
    """memory.grow itself (no malloc) fails at the process's limit (Occlum.json's
    default_heap_size + default_stack_size beyond the program's own image)."""
    with libos.bystander():
        grow = libos.run(["/bin/hostile", "grow"], seconds=30)
        assert grow.proc.status == 0, grow.stderr
    pages = int(line(grow.stdout, r"^grow: (\d+) pages$")[1])
    assert DEFAULT_HEAP_SIZE <= pages * 65536 <= DEFAULT_HEAP_SIZE + DEFAULT_STACK_SIZE, pages
