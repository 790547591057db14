"""Finding the WebAssembly modules in a folder."""

from __future__ import annotations

import os
from pathlib import Path

from pyocclum.image import find_modules

WASM = b"\0asm\x01\0\0\0"


def write(p: Path, data: bytes, mode: int = 0o644) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    p.chmod(mode)


# -- find_modules ---------------------------------------------------------------------


def test_find_modules(tmp_path: Path) -> None:
    write(tmp_path / "bin" / "a", WASM)
    write(tmp_path / "bin" / "sub" / "b.wasm", b"\0asm garbage after the magic")
    write(tmp_path / "lib" / "c", b"\0as")  # too short
    write(tmp_path / "lib" / "d", b"\x7fELF\x02\x01")
    write(tmp_path / "lib" / "e", b"")
    write(tmp_path / "lib" / "f", b"x\0asm")  # magic not at the start
    os.symlink("a", tmp_path / "bin" / "link_to_wasm")
    os.symlink(tmp_path / "bin", tmp_path / "bindir")  # not descended
    assert find_modules(tmp_path) == ["bin/a", "bin/sub/b.wasm"]


def test_find_modules_empty(tmp_path: Path) -> None:
    assert find_modules(tmp_path) == []
