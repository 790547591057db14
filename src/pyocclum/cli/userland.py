"""The userland: ``/bin/sh`` and the utilities that ``occlum new`` puts in ``image/bin``.

Sources live in ``pyocclum/userland`` (installed with the package):

* ``sh/*.c``: the shell, linked into one program, ``sh``;
* ``bin/NAME.c``: one utility each, program ``NAME``;
* ``lib/*.c``: helpers shared by the programs, linked into each of them
  (wasm-ld keeps only what a program calls); ``lib/*.h`` are on the include path.

Every program also gets the aliases in :data:`ALIASES` (``[`` is ``test``).

The programs are built by ``occlum-cc`` once, into
``<cache_root>/userland-<version>-<hash>/``, where the hash covers the
sources, the flags and libocclum's own key (a change to libocclum rebuilds
the userland). As with libocclum, the build happens in a temporary folder
renamed into place, so concurrent builds are safe and a finished folder is
complete and never rebuilt.
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
    cache_root,
    compile_command,
    ensure_libocclum,
    libocclum_key,
)

__all__ = [
    "ALIASES",
    "USERLAND_DIR",
    "ensure_userland",
    "install_userland",
    "program_sources",
    "userland_key",
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


def userland_key() -> str:
    """Hash of everything that determines the userland's build output."""
    h = hashlib.sha256()
    for part in (__version__, libocclum_key(), *CFLAGS,
                 *(f"{alias}={target}" for alias, target in sorted(ALIASES.items()))):
        h.update(part.encode() + b"\0")
    files = sorted(p for p in USERLAND_DIR.rglob("*") if p.is_file() and p.suffix in (".c", ".h"))
    for path in files:
        h.update(str(path.relative_to(USERLAND_DIR)).encode() + b"\0")
        data = path.read_bytes()
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def _build_one(name: str, sources: list[Path], dest: Path, libocclum: Path) -> None:
    argv = [*CFLAGS, "-I", str(USERLAND_DIR / "lib"), *map(str, sources),
            *map(str, _lib_sources()), "-o", str(dest / name)]
    cmd = compile_command(argv, cxx=False, libocclum_dir=libocclum)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CompilerError(f"building /bin/{name} failed:\n{proc.stdout}{proc.stderr}")


def build_userland(dest: Path) -> None:
    """Compile every userland program into ``dest`` (an existing empty folder)."""
    libocclum = ensure_libocclum()
    programs = program_sources()
    workers = max(1, min(len(programs), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_build_one, name, sources, dest, libocclum)
                   for name, sources in programs.items()]
        for future in futures:
            future.result()
    for alias, target in ALIASES.items():
        if (dest / target).exists():
            shutil.copyfile(dest / target, dest / alias)


def ensure_userland() -> Path:
    """The folder holding the built userland programs, building it once.

    Raises :class:`~pyocclum.cli.cc.CompilerError` if a program fails to build.
    """
    final = cache_root() / f"userland-{__version__}-{userland_key()}"
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        build_userland(tmp)
        tmp.chmod(0o755)
        try:
            tmp.rename(final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def install_userland(bin_dir: Path) -> list[str]:
    """Copy the userland programs into ``bin_dir`` (an instance's ``image/bin``).

    A file already there is kept (it is the user's); returns the names copied.
    """
    built = ensure_userland()
    copied = []
    for program in sorted(built.iterdir()):
        target = bin_dir / program.name
        if target.exists() or target.is_symlink():
            continue
        shutil.copyfile(program, target)
        target.chmod(0o755)
        copied.append(program.name)
    return copied
