"""bench/gcc.py's input: a C file of exactly 1,000 lines, the same in every run,
that a real C compiler accepts without a warning."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _c_source(monkeypatch: pytest.MonkeyPatch, lines: int) -> str:
    monkeypatch.syspath_prepend(str(REPO))  # bench is a folder of the repository, not installed
    from bench.gcc import c_source

    return c_source(lines)


@pytest.mark.parametrize("lines", [1_000, 60])
def test_the_source_has_exactly_the_lines_asked_for_and_never_changes(
    monkeypatch: pytest.MonkeyPatch, lines: int,
) -> None:
    text = _c_source(monkeypatch, lines)
    assert text.count("\n") == lines
    assert text.endswith("}\n")
    assert text == _c_source(monkeypatch, lines)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no host gcc")
def test_the_host_gcc_accepts_it_without_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    source = tmp_path / "bench.c"
    source.write_text(_c_source(monkeypatch, 1_000))
    proc = subprocess.run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-c",
                           str(source), "-o", str(tmp_path / "bench.o")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    # Every generated function was compiled (none is static, so none may vanish).
    nm = subprocess.run(["nm", str(tmp_path / "bench.o")], capture_output=True, text=True,
                        check=True).stdout
    steps = sum(1 for line in nm.splitlines() if " T step_" in line)
    assert steps > 40
    assert f"step_{steps - 1}(sink, 11u)" in source.read_text()
