"""`occlum new`/`init` put /bin/sh and the utilities into the image; `--bare` leaves them out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyocclum.cli.userland import ALIASES, ensure_userland, install_userland, program_sources

BIN = Path(sys.executable).parent


def occlum(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(BIN / "occlum"), *args], cwd=cwd, capture_output=True,
                          timeout=600, check=False)


def test_new_installs_the_userland_and_bare_does_not(tmp_path: Path) -> None:
    r = occlum("new", "full", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    names = {p.name for p in (tmp_path / "full" / "image" / "bin").iterdir()}
    assert names == set(ensure_userland())
    assert set(program_sources()) <= names
    r = occlum("new", "--bare", "bare", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    assert list((tmp_path / "bare" / "image" / "bin").iterdir()) == []


def test_init_keeps_the_users_programs(tmp_path: Path) -> None:
    (tmp_path / "image" / "bin").mkdir(parents=True)
    mine = tmp_path / "image" / "bin" / "true"
    mine.write_bytes(b"mine")
    r = occlum("init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    assert mine.read_bytes() == b"mine"
    assert (tmp_path / "image" / "bin" / "false").read_bytes() == \
        ensure_userland()["false"].read_bytes()


def test_programs_are_cached_per_source(tmp_path: Path) -> None:
    first = ensure_userland()
    assert ensure_userland() == first  # nothing rebuilt: same files
    copied = install_userland(tmp_path)
    assert set(copied) == set(first)
    assert install_userland(tmp_path) == []  # all there already
    for alias, target in ALIASES.items():
        if target in first:
            assert (tmp_path / alias).read_bytes() == (tmp_path / target).read_bytes()


def test_a_program_is_rebuilt_when_its_headers_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pyocclum.cli import userland

    for relative in ("sh/main.c", "sh/sh.h", "bin/cat.c", "lib/util.h"):
        (tmp_path / relative).parent.mkdir(exist_ok=True)
        (tmp_path / relative).write_text(f"/* {relative} */\n")
    monkeypatch.setattr(userland, "USERLAND_DIR", tmp_path)
    sources = userland.program_sources()
    assert set(sources) == {"sh", "cat"}
    before = {name: userland.program_key(name, files) for name, files in sources.items()}
    (tmp_path / "sh" / "sh.h").write_text("/* changed */\n")
    assert userland.program_key("sh", sources["sh"]) != before["sh"]
    assert userland.program_key("cat", sources["cat"]) == before["cat"]
    (tmp_path / "lib" / "util.h").write_text("/* changed */\n")
    assert userland.program_key("cat", sources["cat"]) != before["cat"]
