"""Staging ``image/`` into ``build/``: an incremental, exact copy."""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

WASM_MAGIC = b"\0asm"


@dataclass(frozen=True, slots=True)
class StagedImage:
    root: Path
    #: Image paths (relative, ``/``-separated) of every WebAssembly module.
    modules: tuple[str, ...]
    copied: int
    removed: int


def _same(src: os.stat_result, dst: os.stat_result) -> bool:
    return (
        src.st_size == dst.st_size
        and src.st_mtime_ns == dst.st_mtime_ns
        and stat.S_IMODE(src.st_mode) == stat.S_IMODE(dst.st_mode)
    )


def stage_image(src: Path, dst: Path) -> StagedImage:
    """Make ``dst`` an exact copy of ``src`` (files, dirs, symlinks, modes).

    Files whose size, mtime and mode are unchanged are not copied again;
    anything in ``dst`` that is no longer in ``src`` is removed. Host
    symlinks are copied as symlinks (the LibOS resolves them inside the image).
    """
    if not src.is_dir():
        raise FileNotFoundError(f"{src} is not a folder")
    dst.mkdir(parents=True, exist_ok=True)
    # Directory modes are applied last: a read-only directory in image/ must not
    # stop us from filling (or cleaning) its copy.
    _make_dirs_writable(dst)
    copied = removed = 0
    wanted: set[Path] = set()
    modes: list[tuple[Path, int]] = []
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        out_dir = dst / rel
        wanted.add(out_dir)
        if not out_dir.is_dir() or out_dir.is_symlink():
            _remove(out_dir)
            out_dir.mkdir()
        modes.append((out_dir, stat.S_IMODE(os.lstat(dirpath).st_mode)))
        for name in [*filenames, *(d for d in dirnames if (Path(dirpath) / d).is_symlink())]:
            s = Path(dirpath) / name
            d = out_dir / name
            st = s.lstat()
            if stat.S_ISLNK(st.st_mode):
                wanted.add(d)
                target = os.readlink(s)
                if d.is_symlink() and os.readlink(d) == target:
                    continue
                _remove(d)
                os.symlink(target, d)
                copied += 1
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # sockets, fifos, devices have no place in an image
            wanted.add(d)
            try:
                if _same(st, d.lstat()) and not d.is_symlink():
                    continue
            except FileNotFoundError:
                pass
            _remove(d)
            shutil.copy2(s, d, follow_symlinks=False)
            copied += 1
    for dirpath, dirnames, filenames in os.walk(dst, topdown=False):
        for name in [*filenames, *dirnames]:
            p = Path(dirpath) / name
            if p not in wanted:
                _remove(p)
                removed += 1
    for out_dir, mode in reversed(modes):  # children before parents
        os.chmod(out_dir, mode)
    return StagedImage(dst, tuple(find_modules(dst)), copied, removed)


def _make_dirs_writable(root: Path) -> None:
    for dirpath, _dirs, _files in os.walk(root):
        mode = stat.S_IMODE(os.lstat(dirpath).st_mode)
        if mode & 0o700 != 0o700:
            os.chmod(dirpath, mode | 0o700)


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


def _remove(p: Path) -> None:
    if p.is_symlink() or p.is_file():
        p.unlink()
    elif p.is_dir():
        shutil.rmtree(p)
