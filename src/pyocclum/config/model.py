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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationError,
    model_validator,
)

from pyocclum.config.env import merge_env
from pyocclum.config.initra_model import InitRaConfig
from pyocclum.config.network import parse_endpoint
from pyocclum.config.sizes import KiB, MiB, format_size, parse_size
from pyocclum.errors import ConfigError

__all__ = [
    "DEFAULT_ENTRY_POINTS",
    "DEFAULT_ENV",
    "FS_TYPES",
    "MIN_CACHE_SIZE",
    "MIN_OPEN_FILES",
    "ConfigFileError",
    "EnvConfig",
    "Feature",
    "FsType",
    "InitRaConfig",
    "KssId",
    "Metadata",
    "MountOptions",
    "MountSpec",
    "NetworkConfig",
    "OcclumConfig",
    "ProcessConfig",
    "ResourceLimits",
    "default_mounts",
    "format_key_path",
    "load_config",
    "parse_config",
]

# ---------------------------------------------------------------------------
# Defaults (Occlum 0.31's template, plus PyOcclum's two additions)

DEFAULT_USER_SPACE_SIZE = 300 * MiB
DEFAULT_KERNEL_SPACE_HEAP_SIZE = 32 * MiB
DEFAULT_KERNEL_SPACE_STACK_SIZE = 1 * MiB
DEFAULT_MAX_NUM_OF_THREADS = 32
DEFAULT_MAX_NUM_OF_PROCESSES = 256
DEFAULT_MAX_OPEN_FILES = 1024
DEFAULT_STACK_SIZE = 4 * MiB
DEFAULT_HEAP_SIZE = 32 * MiB
DEFAULT_MMAP_SIZE = 100 * MiB
DEFAULT_ENTRY_POINTS: tuple[str, ...] = ("/bin",)
DEFAULT_ENV: tuple[str, ...] = ("OCCLUM=yes", "HOME=/root", "PATH=/bin:/usr/bin")

MIN_CACHE_SIZE = 192 * KiB
"""Smallest ``cache_size`` Occlum's SEFS accepts."""
MIN_OPEN_FILES = 4
"""``max_open_files`` must leave room for stdin, stdout, stderr and the root preopen (fd 3)."""

_U16_MAX = 2**16 - 1
_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1

FsType = Literal["sefs", "hostfs", "ramfs", "unionfs", "devfs", "procfs", "ext2"]
FS_TYPES: tuple[str, ...] = get_args(FsType)
"""Mount types Occlum.json may name."""

_IMPLICIT_MOUNTS: tuple[tuple[str, FsType], ...] = (("/dev", "devfs"), ("/proc", "procfs"))

PathKey = str | int
"""One step of a key path: an object key or a list index."""


# ---------------------------------------------------------------------------
# Field validators. Each takes the raw JSON value and returns the stored
# value or raises ``_Invalid``; the message is the part after "path: ".


class _Invalid(ValueError):
    """A value is wrong; ``subpath`` is appended to the location pydantic reports.

    Model validators use ``subpath`` to point at the exact key (pydantic would
    otherwise report the whole object).
    """

    def __init__(self, message: str, subpath: tuple[PathKey, ...] = ()) -> None:
        super().__init__(message)
        self.subpath = subpath


def _describe(value: Any) -> str:
    """Name a JSON value in an error message: ``null``, ``true``, ``42``, ``"x"``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _quote(text: str) -> str:
    """JSON-quote ``text`` for a message, shortened when long."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    return json.dumps(shown)


def _sized(minimum: int) -> Callable[[Any], int]:
    """Validator for a size: a size string or a non-negative int of bytes, at least ``minimum``."""

    def check(value: Any) -> int:
        if isinstance(value, str):
            nbytes = parse_size(value)  # SizeError is a ValueError: pydantic reports it
        elif isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= _U64_MAX:
                raise _Invalid(f'must be a size like "32MB", not {value}')
            nbytes = value
        else:
            raise _Invalid(f'must be a size like "32MB", not {_describe(value)}')
        if nbytes < minimum:
            raise _Invalid(f"must be at least {format_size(minimum)}, not {_describe(value)}")
        return nbytes

    return check


def _ranged(low: int, high: int) -> Callable[[Any], int]:
    """Validator for a JSON integer (not a boolean, not a float) in ``[low, high]``."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be an integer, not {_describe(value)}")
        if not low <= value <= high:
            raise _Invalid(f"must be between {low} and {high}, not {value}")
        return value

    return check


def _string(value: Any, what: str) -> str:
    """Return ``value`` if it is a string without NUL characters."""
    if not isinstance(value, str):
        raise _Invalid(f"must be {what}, not {_describe(value)}")
    if "\0" in value:
        raise _Invalid(f"must not contain a NUL character: {_quote(value)}")
    return value


def _absolute_path(value: Any) -> str:
    """An absolute path, normalized (``//bin/./x/`` becomes ``/bin/x``); ``..`` is refused."""
    text = _string(value, "an absolute path string")
    if not text.startswith("/"):
        raise _Invalid(f"must be an absolute path, not {_quote(text)}")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _Invalid(f'must not contain "..": {_quote(text)}')
    return "/" + "/".join(parts)


def _source(value: Any) -> str:
    """A mount source: a non-empty host path, relative to the instance folder (or absolute)."""
    text = _string(value, "a host path string")
    if not text:
        raise _Invalid('must not be empty (use "." for the instance folder)')
    return text


def _env_assignment(value: Any) -> str:
    """An ``env.default`` entry: ``KEY=VALUE`` with a non-empty key."""
    text = _string(value, 'a "KEY=VALUE" string')
    key, eq, _ = text.partition("=")
    if not eq:
        raise _Invalid(f'{_quote(text)} is not of the form KEY=VALUE (it has no "=")')
    if not key:
        raise _Invalid(f"{_quote(text)} has an empty variable name")
    return text


def _env_name(value: Any) -> str:
    """An ``env.untrusted`` entry: a variable name (non-empty, no ``=``)."""
    text = _string(value, "a variable name string")
    if not text:
        raise _Invalid("must be a variable name, not an empty string")
    if "=" in text:
        raise _Invalid(f'{_quote(text)} is not a variable name (it contains "=")')
    return text


_HEX_U64_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]{1,16})", re.ASCII)


def _hex_u64(value: Any) -> int:
    """A KSS id half as Occlum writes it: a hex string such as ``"0x0"`` (64 bits at most)."""
    text = _string(value, 'a hex string like "0x0"')
    match = _HEX_U64_RE.fullmatch(text.strip())
    if match is None:
        raise _Invalid(f'{_quote(text)} is not a 64-bit hex number (use e.g. "0x0")')
    return int(match.group(1), 16)


_KEY128_RE = re.compile(r"[0-9a-fA-F]{1,2}(?:-[0-9a-fA-F]{1,2}){15}", re.ASCII)


def _key128(value: Any, what: str) -> str:
    """16 bytes written as Occlum does (``"c7-32-b3-...-61"``), normalized to lower-case pairs."""
    text = _string(value, f"a {what} string")
    if _KEY128_RE.fullmatch(text) is None:
        raise _Invalid(
            f"{_quote(text)} is not a 128-bit {what}: write 16 hex bytes joined by "
            '"-", e.g. "c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61"'
        )
    return "-".join(f"{int(byte, 16):02x}" for byte in text.split("-"))


def _mac(value: Any) -> str:
    """``MAC``: ``""`` (filled in at build time, marks the image layer) or a 128-bit MAC."""
    if value == "":
        return ""
    return _key128(value, "MAC")


def _fs_type(value: Any) -> str:
    """A mount type: one of :data:`FS_TYPES`."""
    choices = ", ".join(FS_TYPES)
    if not isinstance(value, str):
        raise _Invalid(f"must be a file system type ({choices}), not {_describe(value)}")
    if value not in FS_TYPES:
        raise _Invalid(f"{_quote(value)} is not a file system type (use one of: {choices})")
    return value


def _endpoint(value: Any) -> str:
    """A ``network`` endpoint: ``"HOST:PORT"`` (:mod:`pyocclum.config.network`)."""
    text = _string(value, 'an endpoint string like "127.0.0.1:8080"')
    try:
        parse_endpoint(text)
    except ValueError as e:
        raise _Invalid(str(e)) from None
    return text


def _hex(value: int) -> str:
    return hex(value)


Size = Annotated[int, BeforeValidator(_sized(0)), PlainSerializer(format_size, when_used="json")]
PositiveSize = Annotated[
    int, BeforeValidator(_sized(1)), PlainSerializer(format_size, when_used="json")
]
CacheSize = Annotated[
    int, BeforeValidator(_sized(MIN_CACHE_SIZE)), PlainSerializer(format_size, when_used="json")
]
U16 = Annotated[int, BeforeValidator(_ranged(0, _U16_MAX))]
U32 = Annotated[int, BeforeValidator(_ranged(0, _U32_MAX))]
Count = Annotated[int, BeforeValidator(_ranged(1, _U32_MAX))]
OpenFiles = Annotated[int, BeforeValidator(_ranged(MIN_OPEN_FILES, _U32_MAX))]
AbsPath = Annotated[str, BeforeValidator(_absolute_path)]
Source = Annotated[str, BeforeValidator(_source)]
EnvAssignment = Annotated[str, BeforeValidator(_env_assignment)]
EnvName = Annotated[str, BeforeValidator(_env_name)]
HexU64 = Annotated[int, BeforeValidator(_hex_u64), PlainSerializer(_hex, when_used="json")]
Mac = Annotated[str, BeforeValidator(_mac)]
Key128 = Annotated[str, BeforeValidator(lambda value: _key128(value, "key"))]
FsTypeField = Annotated[FsType, BeforeValidator(_fs_type)]
NetEndpoint = Annotated[str, BeforeValidator(_endpoint)]


# ---------------------------------------------------------------------------
# Models


class _Model(BaseModel):
    """Base: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ResourceLimits(_Model):
    """``resource_limits``: memory and thread limits for the whole LibOS.

    ``max_num_of_processes`` and ``max_open_files`` (per process) are
    PyOcclum additions. ``kernel_space_heap_max_size``,
    ``user_space_max_size`` and ``init_num_of_threads`` are Occlum's EDMM
    knobs: accepted and checked against their base values, otherwise unused.
    """

    kernel_space_heap_size: PositiveSize = DEFAULT_KERNEL_SPACE_HEAP_SIZE
    kernel_space_heap_max_size: PositiveSize | None = None
    kernel_space_stack_size: PositiveSize = DEFAULT_KERNEL_SPACE_STACK_SIZE
    user_space_size: PositiveSize = DEFAULT_USER_SPACE_SIZE
    user_space_max_size: PositiveSize | None = None
    init_num_of_threads: Count | None = None
    max_num_of_threads: Count = DEFAULT_MAX_NUM_OF_THREADS
    max_num_of_processes: Count = DEFAULT_MAX_NUM_OF_PROCESSES
    max_open_files: OpenFiles = DEFAULT_MAX_OPEN_FILES

    @model_validator(mode="after")
    def _check_maxima(self) -> Self:
        pairs = (
            ("kernel_space_heap_max_size", "kernel_space_heap_size"),
            ("user_space_max_size", "user_space_size"),
        )
        for max_key, base_key in pairs:
            maximum: int | None = getattr(self, max_key)
            base: int = getattr(self, base_key)
            if maximum is not None and maximum < base:
                raise _Invalid(
                    f"must be at least {base_key} ({format_size(base)}), "
                    f"not {format_size(maximum)}",
                    (max_key,),
                )
        if self.init_num_of_threads is not None and (
            self.init_num_of_threads > self.max_num_of_threads
        ):
            raise _Invalid(
                f"must be at most max_num_of_threads ({self.max_num_of_threads}), "
                f"not {self.init_num_of_threads}",
                ("init_num_of_threads",),
            )
        return self


class ProcessConfig(_Model):
    """``process``: per-process defaults. ``default_mmap_size`` is obsolete: accepted, unused."""

    default_stack_size: PositiveSize = DEFAULT_STACK_SIZE
    default_heap_size: PositiveSize = DEFAULT_HEAP_SIZE
    default_mmap_size: Size = DEFAULT_MMAP_SIZE


class EnvConfig(_Model):
    """``env``: ``default`` (trusted ``KEY=VALUE``) and ``untrusted`` (host names that may pass).

    A left-out ``default`` is ``["OCCLUM=yes", "HOME=/root", "PATH=/bin:/usr/bin"]``
    (what a login shell would have); a left-out ``untrusted`` is empty, so no
    host variable passes unless named.
    """

    default: tuple[EnvAssignment, ...] = DEFAULT_ENV
    untrusted: tuple[EnvName, ...] = ()

    @model_validator(mode="after")
    def _check_unique_names(self) -> Self:
        first: dict[str, int] = {}
        for index, (name, _) in enumerate(self.default_pairs()):
            if name in first:
                raise _Invalid(
                    f"{_quote(name)} is already set by env.default[{first[name]}]",
                    ("default", index),
                )
            first[name] = index
        return self

    def default_pairs(self) -> tuple[tuple[str, str], ...]:
        """``default`` split at the first ``=`` into ``(name, value)`` pairs, in order."""
        return tuple((name, value) for name, _, value in (e.partition("=") for e in self.default))


class KssId(_Model):
    """``family_id`` / ``ext_prod_id``: two 64-bit halves written as hex strings (``"0x0"``)."""

    high: HexU64 = 0
    low: HexU64 = 0


class Metadata(_Model):
    """``metadata``: the enclave's identity knobs (SGX ISVPRODID, ISVSVN, debug, KSS)."""

    product_id: U16 = 0
    version_number: U16 = 0
    debuggable: StrictBool = True
    enable_kss: StrictBool = False
    family_id: KssId = Field(default_factory=KssId)
    ext_prod_id: KssId = Field(default_factory=KssId)


class Feature(_Model):
    """``feature``: SGX hardware knobs. Accepted and type-checked; PyOcclum ignores them."""

    amx: U32 = 0
    pkru: U32 = 0
    io_uring: U32 = 0
    enable_edmm: StrictBool = False
    enable_posix_shm: StrictBool = False


class NetworkConfig(_Model):
    """``network`` (a PyOcclum addition): the host endpoints processes' sockets may use.

    ``bind`` and ``connect`` each list allowed ``"HOST:PORT"`` endpoints: HOST
    an IPv4 address or network (``"10.0.0.0/8"``), an IPv6 one in brackets
    (``"[::1]"``), or ``"*"``; PORT a number, a range ``"8000-8100"`` or
    ``"*"``. A list left out allows everything; an empty list nothing. A UDP
    ``sendto`` counts as a connect. A refused call fails with EACCES and is logged.
    """

    bind: tuple[NetEndpoint, ...] | None = None
    connect: tuple[NetEndpoint, ...] | None = None


class MountOptions(_Model):
    """A mount's ``options``. Every key is optional.

    - ``MAC``: on a sefs, marks the integrity-protected image layer (``""`` in
      ``Occlum.json``; the build fills in the real value) or gives a MAC.
    - ``layers``: a unionfs's layers (each a mount spec with target ``/``).
    - ``temporary``: start empty at every boot.
    - ``cache_size``: SEFS cache size, at least 192KB.
    - ``disk_size``: ext2 disk size.
    - ``key``: user key for a sefs (16 hex bytes joined by ``-``).
    - ``autokey_policy``: SGX key policy bits for a sefs's derived key.
    - ``index``: Occlum's mount index (accepted, unused).
    """

    mac: Mac | None = Field(default=None, alias="MAC")
    layers: tuple[MountSpec, ...] | None = None
    temporary: StrictBool = False
    cache_size: CacheSize | None = None
    disk_size: PositiveSize | None = None
    key: Key128 | None = None
    autokey_policy: U32 | None = None
    index: U32 | None = None


class MountSpec(_Model):
    """One entry of ``mount``: ``{target, type, source?, options?}``.

    ``target`` is absolute (normalized); ``source`` is a host path relative to
    the instance folder. Checked: a hostfs has a source; a sefs has one unless
    it is ``temporary``; ramfs, devfs and procfs have none; a unionfs has
    ``layers`` and no source, and only a unionfs has layers; ``MAC``, ``key``
    and ``autokey_policy`` belong to a sefs, and an image layer (``MAC``)
    takes no key.
    """

    target: AbsPath
    type: FsTypeField
    source: Source | None = None
    options: MountOptions = Field(default_factory=MountOptions)

    @model_validator(mode="after")
    def _check_combination(self) -> Self:
        opts = self.options
        kind = self.type
        if kind == "unionfs":
            if not opts.layers:
                raise _Invalid("a unionfs needs a non-empty list of layers", ("options", "layers"))
            for index, layer in enumerate(opts.layers):
                if layer.type == "unionfs":
                    raise _Invalid(
                        "a unionfs layer cannot itself be a unionfs",
                        ("options", "layers", index, "type"),
                    )
            if self.source is not None:
                raise _Invalid("a unionfs takes no source (its layers have theirs)", ("source",))
        elif opts.layers is not None:
            raise _Invalid(f"only a unionfs has layers, not a {kind}", ("options", "layers"))
        if kind == "hostfs" and self.source is None:
            raise _Invalid(
                "a hostfs needs a source: the host folder to share, relative to the "
                'instance folder (e.g. "./host")',
                ("source",),
            )
        if kind == "sefs" and self.source is None and not opts.temporary:
            raise _Invalid(
                'a sefs needs a source (where its encrypted files live, e.g. "./run/mount/data") '
                'unless it is "temporary"',
                ("source",),
            )
        if kind in ("ramfs", "devfs", "procfs") and self.source is not None:
            raise _Invalid(f"a {kind} takes no source", ("source",))
        if kind != "sefs":
            for alias, given in (
                ("MAC", opts.mac),
                ("key", opts.key),
                ("autokey_policy", opts.autokey_policy),
            ):
                if given is not None:
                    raise _Invalid(f"only a sefs takes {alias}, not a {kind}", ("options", alias))
        if opts.mac is not None and opts.key is not None:
            raise _Invalid(
                'an image layer ("MAC") is not encrypted: it takes no key', ("options", "key")
            )
        if opts.mac is not None and opts.autokey_policy is not None:
            raise _Invalid(
                'an image layer ("MAC") is not encrypted: it takes no autokey_policy',
                ("options", "autokey_policy"),
            )
        if opts.key is not None and opts.autokey_policy is not None:
            raise _Invalid("give key or autokey_policy, not both", ("options", "autokey_policy"))
        if opts.autokey_policy is not None and not opts.autokey_policy & 0x3:
            raise _Invalid(
                "autokey_policy must include MRENCLAVE (0x1) or MRSIGNER (0x2), "
                f"not {opts.autokey_policy:#x}",
                ("options", "autokey_policy"),
            )
        return self

    def is_image_layer(self) -> bool:
        """True for the integrity-protected image: a sefs with a ``MAC`` option."""
        return self.type == "sefs" and self.options.mac is not None


MountOptions.model_rebuild()


def default_mounts() -> tuple[MountSpec, ...]:
    """The template's mounts: ``/`` (unionfs: image + ``run/mount/__ROOT``), ``/host``, ``/tmp``.

    ``/`` stacks the writable encrypted sefs at ``./run/mount/__ROOT`` over
    the integrity-protected image built at ``./build/mount/__ROOT``; ``/host``
    is a hostfs of the instance folder's ``host/`` (DESIGN.md section 4;
    Occlum shares the whole instance folder, ``"."``); ``/tmp`` is a ramfs.
    ``/dev`` and ``/proc`` are always added (see
    :meth:`OcclumConfig.effective_mounts`).
    """
    image = MountSpec(
        target="/", type="sefs", source="./build/mount/__ROOT", options=MountOptions(MAC="")
    )
    writable = MountSpec(target="/", type="sefs", source="./run/mount/__ROOT")
    return (
        MountSpec(target="/", type="unionfs", options=MountOptions(layers=(image, writable))),
        MountSpec(target="/host", type="hostfs", source="./host"),
        MountSpec(target="/tmp", type="ramfs"),
    )


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
