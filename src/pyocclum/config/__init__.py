"""``Occlum.json``: sizes, the typed and validated model, and the instance template.

- :mod:`~pyocclum.config.sizes`: ``"32MB"`` <-> ``33554432``.
- :mod:`~pyocclum.config.fields`: defaults, limits and the validated value types.
- :mod:`~pyocclum.config.sections`: the sections (:class:`ResourceLimits`,
  :class:`EnvConfig`, :class:`MountSpec`, ...) and :func:`default_mounts`.
- :mod:`~pyocclum.config.model`: :class:`OcclumConfig` (the whole file);
  :func:`parse_config` / :func:`load_config` raise :class:`ConfigFileError`
  (a :class:`~pyocclum.errors.ConfigError`) naming the file and key path.
- :mod:`~pyocclum.config.template`: what ``occlum new`` / ``occlum init`` write.

This layer imports only :mod:`pyocclum.errors` (plus pydantic and the stdlib).
"""

from typing import TYPE_CHECKING, Any

from pyocclum.config.env import merge_env
from pyocclum.config.runtime import RuntimeConfig, RuntimeMount

if TYPE_CHECKING:
    from pyocclum.config.fields import FS_TYPES, FsType
    from pyocclum.config.model import (
        ConfigFileError,
        OcclumConfig,
        format_key_path,
        load_config,
        parse_config,
    )
    from pyocclum.config.sections import (
        EnvConfig,
        Feature,
        KssId,
        Metadata,
        MountOptions,
        MountSpec,
        ProcessConfig,
        ResourceLimits,
        default_mounts,
    )
    from pyocclum.config.sizes import MAX_SIZE, SizeError, format_size, parse_size
    from pyocclum.config.template import (
        CONFIG_FILE,
        IMAGE_DIRS,
        default_config,
        default_config_json,
        default_image_files,
        init_instance,
        new_instance,
    )


# The model and template import pydantic (slow to import): load them on first use,
# so that booting an already-built instance never pays for it (nor for sizes, which
# a boot does not use either).
_LAZY = {
    **dict.fromkeys(["MAX_SIZE", "SizeError", "format_size", "parse_size"],
                    "pyocclum.config.sizes"),
    **dict.fromkeys(["FS_TYPES", "FsType"], "pyocclum.config.fields"),
    **dict.fromkeys(
        ["EnvConfig", "Feature", "KssId", "Metadata", "MountOptions", "MountSpec",
         "ProcessConfig", "ResourceLimits", "default_mounts"],
        "pyocclum.config.sections",
    ),
    **dict.fromkeys(
        ["ConfigFileError", "OcclumConfig", "format_key_path", "load_config", "parse_config"],
        "pyocclum.config.model",
    ),
    **dict.fromkeys(
        ["CONFIG_FILE", "IMAGE_DIRS", "default_config", "default_config_json",
         "default_image_files", "init_instance", "new_instance"],
        "pyocclum.config.template",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyocclum.config' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "CONFIG_FILE",
    "FS_TYPES",
    "IMAGE_DIRS",
    "MAX_SIZE",
    "ConfigFileError",
    "EnvConfig",
    "Feature",
    "FsType",
    "KssId",
    "Metadata",
    "MountOptions",
    "MountSpec",
    "OcclumConfig",
    "ProcessConfig",
    "ResourceLimits",
    "RuntimeConfig",
    "RuntimeMount",
    "SizeError",
    "default_config",
    "default_config_json",
    "default_image_files",
    "default_mounts",
    "format_key_path",
    "format_size",
    "init_instance",
    "load_config",
    "merge_env",
    "new_instance",
    "parse_config",
    "parse_size",
]
