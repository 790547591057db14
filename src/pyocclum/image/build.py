"""Finding the WebAssembly modules in a folder (a tool helper; ``occlum build`` finds them
in the integrity image's manifest, :meth:`pyocclum.boot.Instance.build`)."""

from __future__ import annotations

import os
from pathlib import Path

WASM_MAGIC = b"\0asm"


def find_modules(root: Path) -> list[str]:
    """Image-relative paths of regular files that start with the wasm magic number."""
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            with p.open("rb") as f:
                if f.read(4) == WASM_MAGIC:
                    found.append(p.relative_to(root).as_posix())
    return sorted(found)
