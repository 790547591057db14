"""The sections of ``Occlum.json`` as frozen pydantic models, each with its own checks.

This module owns ``resource_limits`` (:class:`ResourceLimits`), ``process``
(:class:`ProcessConfig`), ``env`` (:class:`EnvConfig`), ``metadata``
(:class:`Metadata`, :class:`KssId`), ``feature`` (:class:`Feature`),
``network`` (:class:`NetworkConfig`), one ``mount`` entry
(:class:`MountSpec`, :class:`MountOptions`) and the template's mounts
(:func:`default_mounts`). Checks that need more than one section (and
``init_ra``, :mod:`pyocclum.config.initra_model`) are on
:class:`~pyocclum.config.model.OcclumConfig`.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from pyocclum.config.fields import (
    DEFAULT_ENV,
    DEFAULT_HEAP_SIZE,
    DEFAULT_KERNEL_SPACE_HEAP_SIZE,
    DEFAULT_KERNEL_SPACE_STACK_SIZE,
    DEFAULT_MAX_NUM_OF_PROCESSES,
    DEFAULT_MAX_NUM_OF_THREADS,
    DEFAULT_MAX_OPEN_FILES,
    DEFAULT_MMAP_SIZE,
    DEFAULT_STACK_SIZE,
    DEFAULT_USER_SPACE_SIZE,
    U16,
    U32,
    AbsPath,
    CacheSize,
    Count,
    EnvAssignment,
    EnvName,
    FsTypeField,
    HexU64,
    Key128,
    Mac,
    NetEndpoint,
    OpenFiles,
    PositiveSize,
    Size,
    Source,
    _Invalid,
    _quote,
)
from pyocclum.config.sizes import format_size

__all__ = [
    "EnvConfig",
    "Feature",
    "KssId",
    "Metadata",
    "MountOptions",
    "MountSpec",
    "NetworkConfig",
    "ProcessConfig",
    "ResourceLimits",
    "default_mounts",
]


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
