"""The userland: ``/bin/sh`` and the utilities that ``occlum new`` puts in ``image/bin``.

Sources live in ``pyocclum/userland`` (installed with the package):

* ``sh/*.c``: the shell, linked into one program, ``sh``;
* ``bin/NAME.c``: one utility each, program ``NAME``;
* ``lib/*.c``: helpers shared by the programs, linked into each of them
  (wasm-ld keeps only what a program calls); ``lib/*.h`` are on the include path.

Every program also gets the aliases in :data:`ALIASES` (``[`` is ``test``).

Each program is built by ``occlum-cc`` once, into
``<cache_root>/userland-<version>/<name>-<hash>``, where the hash covers its
sources, ``lib/``, the flags and libocclum's own key (a change to libocclum
rebuilds everything). As with libocclum, a program is built under a
temporary name and renamed into place, so concurrent builds are safe and a
finished file is complete and never rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pyocclum import __version__
from pyocclum.cli.cc import (
    CompilerError,
    compile_command,
    ensure_libocclum,
    libocclum_key,
)
from pyocclum.native.library import cache_root

__all__ = [
    "ALIASES",
    "USERLAND_DIR",
    "ensure_userland",
    "install_userland",
    "program_key",
    "program_sources",
]

USERLAND_DIR = Path(__file__).resolve().parent.parent / "userland"
"""Where the userland's C sources are."""

CFLAGS = ("-O2", "-std=gnu11", "-Wall", "-Wextra", "-D_GNU_SOURCE")
"""Flags every userland program is compiled with (on top of occlum-cc's own)."""

ALIASES: dict[str, str] = {"[": "test"}
"""Extra names (key) that are copies of a program (value)."""


def _lib_sources() -> list[Path]:
    lib = USERLAND_DIR / "lib"
    return sorted(lib.glob("*.c")) if lib.is_dir() else []


def program_sources() -> dict[str, list[Path]]:
    """Each program's name and the C files (besides ``lib/``) it is built from."""
    programs: dict[str, list[Path]] = {}
    shell = sorted((USERLAND_DIR / "sh").glob("*.c"))
    if shell:
        programs["sh"] = shell
    for source in sorted((USERLAND_DIR / "bin").glob("*.c")):
        programs[source.stem] = [source]
    return programs


def _digest(paths: list[Path], *parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    for path in paths:
        h.update(str(path.relative_to(USERLAND_DIR)).encode() + b"\0")
        data = path.read_bytes()
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def program_key(name: str, sources: list[Path]) -> str:
    """Hash of everything that determines one program's build output."""
    lib = USERLAND_DIR / "lib"
    shared = sorted(p for p in lib.glob("*") if p.suffix in (".c", ".h")) if lib.is_dir() else []
    # The headers beside a program's sources (sh/sh.h) count as its sources.
    headers = sorted({h for folder in {src.parent for src in sources} for h in folder.glob("*.h")}
                     - set(shared))
    return _digest([*sources, *headers, *shared], __version__, libocclum_key(), name, *CFLAGS)


def _build_one(name: str, sources: list[Path], final: Path, libocclum: Path) -> None:
    if final.is_file():
        return
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.tmp-", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        argv = [*CFLAGS, "-I", str(USERLAND_DIR / "lib"), *map(str, sources),
                *map(str, _lib_sources()), "-o", str(tmp)]
        cmd = compile_command(argv, cxx=False, libocclum_dir=libocclum)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        # zig drops -Wl,--fatal-warnings; a linker warning (a signature mismatch from
        # a stale object, say) would otherwise give a program that traps when run.
        if proc.returncode != 0 or "wasm-ld: warning" in proc.stderr:
            raise CompilerError(f"building /bin/{name} failed:\n{proc.stdout}{proc.stderr}")
        tmp.chmod(0o755)
        tmp.replace(final)  # atomic: a finished file is complete
    finally:
        tmp.unlink(missing_ok=True)


def ensure_userland() -> dict[str, Path]:
    """Every userland program (aliases included) by name, with the file it was built to.

    Each program is built once into ``<cache_root>/userland-<version>/`` under a
    name holding its :func:`program_key`, so editing one source rebuilds only
    the programs that use it. Raises :class:`~pyocclum.cli.cc.CompilerError`
    if a program fails to build.
    """
    folder = cache_root() / f"userland-{__version__}"
    folder.mkdir(parents=True, exist_ok=True)
    programs = program_sources()
    built = {name: folder / f"{name}-{program_key(name, sources)}"
             for name, sources in programs.items()}
    missing = [name for name, path in built.items() if not path.is_file()]
    if missing:
        libocclum = ensure_libocclum()
        workers = max(1, min(len(missing), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_build_one, name, programs[name], built[name], libocclum)
                       for name in missing]
            for future in futures:
                future.result()
    for alias, target in ALIASES.items():
        if target in built:
            built[alias] = built[target]
    return built


def install_userland(bin_dir: Path) -> list[str]:
    """Copy the userland programs into ``bin_dir`` (an instance's ``image/bin``).

    A file already there is kept (it is the user's); returns the names copied.
    """
    copied = []
    for name, program in sorted(ensure_userland().items()):
        target = bin_dir / name
        if target.exists() or target.is_symlink():
            continue
        shutil.copyfile(program, target)
        target.chmod(0o755)
        copied.append(name)
    return copied
