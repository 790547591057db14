"""``Occlum.json`` as a typed, validated, immutable model.

The schema is Occlum 0.31's (see ``OCCLUM-REFERENCE.md``): unknown keys are
errors, sizes are strings such as ``"32MB"`` (stored here as ints, in bytes),
and a key that is left out takes the value of Occlum's template. Two keys are
PyOcclum additions in ``resource_limits``: ``max_num_of_processes``
(default 256; spawning past it fails with ``EAGAIN``) and ``max_open_files``
(per process, default 1024; past it ``EMFILE``); and the ``network`` key
(:class:`NetworkConfig`: which host endpoints sockets may bind and connect
to; left out, all), and ``init_ra`` (:class:`InitRaConfig`, in
:mod:`pyocclum.config.initra_model`: attest to a key broker at boot and take the
root's key, environment variables and files from it). Keys that Occlum accepts
but that mean nothing here (``feature.*``, ``process.default_mmap_size``,
``resource_limits.*_max_size`` and ``init_num_of_threads`` for SGX EDMM) are
accepted, type-checked and ignored.

Entry points :func:`parse_config` and :func:`load_config` turn every problem
into a :class:`ConfigFileError` (a :class:`~pyocclum.errors.ConfigError`)
whose message is one line per problem, each naming the file and the key path,
for example::

    Occlum.json: resource_limits.user_space_sizee: unknown key (did you mean "user_space_size"?)
    Occlum.json: process.default_heap_size: "12XB" is not a size (use e.g. "32MB")
    Occlum.json: mount[2].target: must be an absolute path, not "tmp"
    Occlum.json: invalid JSON at line 3, column 5: Expecting ',' delimiter

All models are frozen (lists become tuples), so a loaded config can be shared
between threads and kernels.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError, model_validator

from pyocclum.config.env import merge_env
from pyocclum.config.fields import (
    _IMPLICIT_MOUNTS,
    DEFAULT_ENTRY_POINTS,
    AbsPath,
    PathKey,
    _describe,
    _Invalid,
    _quote,
)
from pyocclum.config.initra_model import InitRaConfig
from pyocclum.config.sections import (
    EnvConfig,
    Feature,
    Metadata,
    MountSpec,
    NetworkConfig,
    ProcessConfig,
    ResourceLimits,
    _Model,
    default_mounts,
)
from pyocclum.config.sizes import format_size
from pyocclum.errors import ConfigError

__all__ = [
    "ConfigFileError",
    "OcclumConfig",
    "format_key_path",
    "load_config",
    "parse_config",
]


class OcclumConfig(_Model):
    """A whole ``Occlum.json``. Build one with :func:`parse_config` or :func:`load_config`.

    Besides each section's own checks: ``entry_points`` is not empty; one
    process's ``default_heap_size + default_stack_size`` fits in
    ``user_space_size``; mount targets are unique; there is a root ``/``
    that is a unionfs with exactly one image layer (a sefs with ``MAC``); a
    mount at ``/dev`` is a devfs and one at ``/proc`` a procfs.
    """

    resource_limits: ResourceLimits = Field(default_factory=ResourceLimits)
    process: ProcessConfig = Field(default_factory=ProcessConfig)
    entry_points: tuple[AbsPath, ...] = DEFAULT_ENTRY_POINTS
    env: EnvConfig = Field(default_factory=EnvConfig)
    metadata: Metadata = Field(default_factory=Metadata)
    feature: Feature = Field(default_factory=Feature)
    mount: tuple[MountSpec, ...] = Field(default_factory=default_mounts)
    network: NetworkConfig | None = None
    init_ra: InitRaConfig | None = None

    @model_validator(mode="after")
    def _check_whole(self) -> Self:
        if not self.entry_points:
            raise _Invalid(
                'must list at least one path prefix that `occlum run` may start (e.g. "/bin")',
                ("entry_points",),
            )
        proc, limits = self.process, self.resource_limits
        if proc.default_heap_size + proc.default_stack_size > limits.user_space_size:
            raise _Invalid(
                f"default_heap_size ({format_size(proc.default_heap_size)}) + "
                f"default_stack_size ({format_size(proc.default_stack_size)}) exceed "
                f"resource_limits.user_space_size ({format_size(limits.user_space_size)}), "
                "so no process could start: raise user_space_size or lower them",
                ("process", "default_heap_size"),
            )
        self._check_mounts()
        if self.init_ra is not None:
            self.init_ra.check_mounts(self.mount)
        return self

    def _check_mounts(self) -> None:
        seen: dict[str, int] = {}
        for index, spec in enumerate(self.mount):
            if spec.target in seen:
                raise _Invalid(
                    f"{_quote(spec.target)} is already mounted by mount[{seen[spec.target]}]",
                    ("mount", index, "target"),
                )
            seen[spec.target] = index
            for target, kind in _IMPLICIT_MOUNTS:
                if spec.target == target and spec.type != kind:
                    raise _Invalid(
                        f"{target} is always a {kind}, not a {spec.type}", ("mount", index, "type")
                    )
        if "/" not in seen:
            raise _Invalid(
                'has no root (target "/"): mount a unionfs of the image and a writable '
                "sefs there, as `occlum init`'s template does",
                ("mount",),
            )
        index = seen["/"]
        root = self.mount[index]
        if root.type != "unionfs":
            raise _Invalid(
                f'the root "/" must be a unionfs over the image, not a {root.type}',
                ("mount", index, "type"),
            )
        images = sum(layer.is_image_layer() for layer in root.options.layers or ())
        if images != 1:
            raise _Invalid(
                'the root unionfs needs exactly one image layer (a sefs with "MAC": ""), '
                f"found {images}",
                ("mount", index, "options", "layers"),
            )

    # -- what the rest of PyOcclum asks of a config ------------------------

    def root_mount(self) -> MountSpec:
        """The mount at ``/`` (a validated config always has one)."""
        return next(spec for spec in self.mount if spec.target == "/")

    def effective_mounts(self) -> tuple[MountSpec, ...]:
        """``mount`` in file order, then ``/dev`` (devfs) and ``/proc`` (procfs) unless listed."""
        listed = {spec.target for spec in self.mount}
        implicit = tuple(
            MountSpec(target=target, type=kind)
            for target, kind in _IMPLICIT_MOUNTS
            if target not in listed
        )
        return self.mount + implicit

    def env_for_first_process(self, host_env: Mapping[str, str]) -> list[tuple[str, str]]:
        """The environment of the process ``occlum run`` starts, as ``(name, value)`` pairs
        (Occlum's rule: see :func:`pyocclum.config.env.merge_env`)."""
        return merge_env(self.env.default_pairs(), self.env.untrusted, host_env)

    def measured_dict(self) -> dict[str, Any]:
        """The part of the config that goes into MRENCLAVE, as canonical plain data.

        Keys are sorted at every level, lists keep their order, sizes are ints
        (bytes), ids are ints. Measured: ``resource_limits``, ``process``
        (without the obsolete ``default_mmap_size``), ``entry_points``,
        ``env.default`` and ``env.untrusted`` (sorted, duplicates dropped: it
        decides what the host may inject), ``metadata``, and the effective
        mounts (including ``/dev`` and ``/proc``, so listing them or not
        measures the same), and ``network`` when it is given (a config without
        it measures as before the key existed), and ``init_ra`` likewise (every
        key, defaults filled in: a different KBS or pin is a different
        enclave). ``feature`` is ignored by PyOcclum, so not measured.
        """
        measured: dict[str, Any] = {
            "resource_limits": self.resource_limits.model_dump(),
            "process": self.process.model_dump(exclude={"default_mmap_size"}),
            "entry_points": list(self.entry_points),
            "env": {
                "default": list(self.env.default),
                "untrusted": sorted(set(self.env.untrusted)),
            },
            "metadata": self.metadata.model_dump(),
            "mount": [spec.model_dump(by_alias=True) for spec in self.effective_mounts()],
        }
        if self.network is not None:
            measured["network"] = self.network.model_dump(exclude_none=True)
        if self.init_ra is not None:
            measured["init_ra"] = self.init_ra.measured()
        result = _canonical(measured)
        assert isinstance(result, dict)
        return result

    def measured_bytes(self) -> bytes:
        """:meth:`measured_dict` as canonical JSON (sorted keys, no blanks, ASCII)."""
        text = json.dumps(
            self.measured_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        return text.encode("ascii")

    def to_json_dict(self) -> dict[str, Any]:
        """This config in ``Occlum.json`` form (size strings, hex ids); parses back equal.

        Every section is written in full; optional keys left unset are
        omitted, and each mount omits options that have their default value.
        """
        out: dict[str, Any] = {
            "resource_limits": self.resource_limits.model_dump(mode="json", exclude_none=True),
            "process": self.process.model_dump(mode="json"),
            "entry_points": list(self.entry_points),
            "env": self.env.model_dump(mode="json"),
            "metadata": self.metadata.model_dump(mode="json"),
            "feature": self.feature.model_dump(mode="json"),
            "mount": [
                spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
                for spec in self.mount
            ],
        }
        if self.network is not None:
            out["network"] = self.network.model_dump(mode="json", exclude_none=True)
        if self.init_ra is not None:
            out["init_ra"] = {
                key: value for key, value in self.init_ra.measured().items() if value is not None
            }
        return out

    def to_json(self) -> str:
        """:meth:`to_json_dict` as an indented JSON document, as ``occlum init`` writes it."""
        return json.dumps(self.to_json_dict(), indent=4) + "\n"


def _canonical(value: Any) -> Any:
    """Plain JSON data with sorted dict keys and tuples turned into lists."""
    if isinstance(value, dict):
        return {key: _canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


# ---------------------------------------------------------------------------
# Loading, and turning pydantic's errors into one line per problem


class ConfigFileError(ConfigError):
    """A config file is invalid. ``str()`` is one ``"source: path: message"`` line per problem.

    ``problems`` holds ``(path, message)`` pairs; ``path`` is ``""`` for
    problems with the file as a whole (e.g. invalid JSON).
    """

    MAX_LINES = 20

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = [
            f"{source}: {path}: {message}" if path else f"{source}: {message}"
            for path, message in self.problems[: self.MAX_LINES]
        ]
        if len(self.problems) > self.MAX_LINES:
            lines.append(f"{source}: ... and {len(self.problems) - self.MAX_LINES} more problems")
        super().__init__("\n".join(lines))


_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


def format_key_path(path: tuple[PathKey, ...]) -> str:
    """``("mount", 2, "options", "MAC")`` -> ``mount[2].options.MAC``.

    Keys that are not identifiers are written as quoted subscripts
    (``env["odd key"]``) so the path stays unambiguous.
    """
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _IDENTIFIER_RE.fullmatch(step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step)}]"
    return out


def _model_at(path: tuple[PathKey, ...]) -> type[BaseModel] | None:
    """The model class that validates the object found at ``path`` (None if not a model)."""
    model: type[BaseModel] | None = OcclumConfig
    for step in path:
        if model is None:
            return None
        if isinstance(step, int):
            continue
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        info = fields.get(step)
        model = _find_model(info.annotation) if info is not None else None
    return model


def _find_model(annotation: Any) -> type[BaseModel] | None:
    """The first model class inside a type such as ``tuple[MountSpec, ...] | None``."""
    if (
        get_origin(annotation) is None
        and isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
    ):
        return annotation
    for arg in get_args(annotation):
        found = _find_model(arg)
        if found is not None:
            return found
    return None


def _unknown_key_message(path: tuple[PathKey, ...]) -> str:
    """``unknown key``, with a suggestion when a known key at that place looks alike."""
    key = path[-1] if path else ""
    model = _model_at(path[:-1])
    if model is None or not isinstance(key, str):
        return "unknown key"
    known = [info.alias or name for name, info in model.model_fields.items()]
    lowered = {name.lower(): name for name in known}
    close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean {_quote(lowered[close[0]])}?)"
    return f"unknown key (known keys here: {', '.join(known)})"


_TYPE_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "string_type": "must be a string",
        "bool_type": "must be true or false",
        "int_type": "must be an integer",
        "list_type": "must be a list",
        "tuple_type": "must be a list",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "dict_type": "must be an object",
    }
)


def _problem(error: Any) -> tuple[str, str]:
    """One pydantic error (an ``ErrorDetails``) as ``(key path, message)``."""
    path: tuple[PathKey, ...] = tuple(error["loc"])
    kind = error["type"]
    if kind in ("value_error", "assertion_error"):
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, BaseException):
            path += getattr(cause, "subpath", ())
            return format_key_path(path), str(cause)
    if kind == "extra_forbidden":
        return format_key_path(path), _unknown_key_message(path)
    if kind == "missing":
        return format_key_path(path), "required key is missing"
    if kind in _TYPE_MESSAGES:
        return format_key_path(path), f"{_TYPE_MESSAGES[kind]}, not {_describe(error['input'])}"
    message = str(error["msg"])
    return format_key_path(path), message[:1].lower() + message[1:]


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that repeated some keys (the last value wins, as in ``json``)."""

    def __init__(self, pairs: list[tuple[str, Any]], duplicates: list[str]) -> None:
        super().__init__(pairs)
        self.duplicates = duplicates


def _object_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    duplicates: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
    return _DuplicateKeys(pairs, duplicates) if duplicates else dict(pairs)


class _BadConstant(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


_MAX_DEPTH = 32
"""Deepest JSON nesting accepted (the template needs 6 levels)."""


def _structure_problems(data: Any) -> Iterator[tuple[str, str]]:
    """Walk the parsed JSON (iteratively): report repeated keys and too deep nesting."""
    stack: list[tuple[Any, tuple[PathKey, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > _MAX_DEPTH:
            yield format_key_path(path), f"nested too deeply (more than {_MAX_DEPTH} levels)"
            return
        if isinstance(value, dict):
            if isinstance(value, _DuplicateKeys):
                for key in value.duplicates:
                    yield format_key_path((*path, key)), "duplicate key (given more than once)"
            stack.extend((item, (*path, key)) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(value))))


def parse_config(text: str, source: str = "Occlum.json") -> OcclumConfig:
    """Parse and validate the JSON text of an ``Occlum.json``; ``source`` names it in errors.

    Raises :class:`ConfigFileError` (a :class:`~pyocclum.errors.ConfigError`)
    listing every problem found: invalid JSON (with line and column),
    repeated keys, nesting deeper than 32 levels, unknown keys, wrong types,
    bad sizes and paths, and inconsistent mounts.
    """
    try:
        data = json.loads(text, object_pairs_hook=_object_hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            source, [("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
        ) from None
    except _BadConstant as exc:
        raise ConfigFileError(
            source, [("", f"invalid JSON: {exc.name} is not a JSON number")]
        ) from None
    except RecursionError:
        raise ConfigFileError(source, [("", "invalid JSON: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise ConfigFileError(
            source, [("", f"must hold a JSON object ({{...}}), not {_describe(data)}")]
        )
    problems = list(_structure_problems(data))
    if problems:
        raise ConfigFileError(source, problems)
    try:
        return OcclumConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigFileError(source, [_problem(error) for error in exc.errors()]) from None
    except RecursionError:
        raise ConfigFileError(source, [("", "nested too deeply")]) from None


def load_config(path: Path) -> OcclumConfig:
    """Read and validate the ``Occlum.json`` at ``path`` (UTF-8, a leading BOM is allowed).

    Raises :class:`ConfigFileError` naming ``path`` when the file is missing,
    unreadable, not UTF-8, or invalid (see :func:`parse_config`).
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigFileError(
            source, [("", "no such file (create an instance with `occlum new` or `occlum init`)")]
        ) from None
    except IsADirectoryError:
        raise ConfigFileError(source, [("", "is a directory, not a file")]) from None
    except OSError as exc:
        raise ConfigFileError(source, [("", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            source, [("", f"is not UTF-8 text (bad byte at offset {exc.start})")]
        ) from None
    return parse_config(text, source)
