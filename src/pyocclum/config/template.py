"""The instance template: what ``occlum new`` and ``occlum init`` write.

An initialized instance folder holds ``Occlum.json`` (:func:`default_config_json`),
``image/`` with the directories in :data:`IMAGE_DIRS` and the files from
:func:`default_image_files`, and an empty ``host/`` (the host side of the
``/host`` mount). ``build/`` and ``run/`` are created by ``occlum build``, not
here.
"""

from __future__ import annotations

from pathlib import Path

from pyocclum.config.image_files import default_image_files
from pyocclum.config.model import OcclumConfig
from pyocclum.config.runtime import CONFIG_FILE, IMAGE_DIR
from pyocclum.config.sections import EnvConfig
from pyocclum.errors import InstanceError

__all__ = [
    "CONFIG_FILE",
    "HOST_DIR",
    "IMAGE_DIR",
    "IMAGE_DIRS",
    "default_config",
    "default_config_json",
    "default_image_files",
    "init_instance",
    "new_instance",
]

HOST_DIR = "host"
"""Instance sub-folder that the template's ``/host`` hostfs shares."""

IMAGE_DIRS: tuple[str, ...] = ("bin", "lib", "etc", "tmp", "root", "host", "dev", "proc")
"""Directories created under ``image/`` (``tmp``, ``host``, ``dev``, ``proc`` are mount points)."""


def default_config() -> OcclumConfig:
    """The configuration the template describes: every default, ``env.untrusted = ["EXAMPLE"]``.

    ``"EXAMPLE"`` is Occlum's placeholder showing where host variable names go.
    """
    return OcclumConfig(env=EnvConfig(untrusted=("EXAMPLE",)))


def default_config_json() -> str:
    """The ``Occlum.json`` text ``occlum init`` writes (Occlum 0.31's layout, our defaults).

    ``/dev`` and ``/proc`` are not listed: they are always mounted.
    """
    return default_config().to_json()


def init_instance(path: Path, force: bool = False) -> None:
    """Make the existing folder ``path`` an instance (``occlum init``).

    Writes ``Occlum.json``, creates ``image/`` with :data:`IMAGE_DIRS`,
    writes :func:`default_image_files` that are missing (files already there
    are never overwritten) and creates ``host/``. Existing content is kept.
    Raises :class:`~pyocclum.errors.InstanceError` if ``path`` is not a
    folder, if it already holds ``Occlum.json`` and ``force`` is false (with
    ``force`` that file is replaced by the template), if a needed directory
    exists as a file, or if the file system refuses.
    """
    folder = Path(path)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise InstanceError(f"{folder} {what}: cannot initialize an instance there")
    config_file = folder / CONFIG_FILE
    if (config_file.exists() or config_file.is_symlink()) and not force:
        raise InstanceError(
            f"{folder} already holds an instance ({CONFIG_FILE} exists); "
            f"use --force to replace its {CONFIG_FILE} with the template"
        )
    if config_file.is_symlink() or config_file.is_dir():
        raise InstanceError(f"{config_file} is not a regular file: move it away")
    image = folder / IMAGE_DIR
    directories = [image, *(image / name for name in IMAGE_DIRS), folder / HOST_DIR]
    try:
        for directory in directories:
            if directory.exists() and not directory.is_dir():
                raise InstanceError(f"{directory} exists but is not a folder: move it away")
            directory.mkdir(exist_ok=True)
        for relative, content in default_image_files().items():
            target = image / relative
            if not target.exists() and not target.is_symlink():
                target.write_bytes(content)
        config_file.write_text(default_config_json(), encoding="utf-8")
    except OSError as exc:
        raise InstanceError(f"cannot initialize {folder}: {exc}") from exc


def new_instance(path: Path) -> None:
    """Create the folder ``path`` (and missing parents) and initialize it (``occlum new``).

    Raises :class:`~pyocclum.errors.InstanceError` if ``path`` already exists
    or cannot be created.
    """
    folder = Path(path)
    if folder.exists() or folder.is_symlink():
        raise InstanceError(
            f"{folder} already exists; to make an existing folder an instance, "
            "run `occlum init` inside it"
        )
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise InstanceError(f"cannot create {folder}: {exc}") from exc
    init_instance(folder)
