"""What ``occlum run`` needs from ``Occlum.json``, resolved at build time.

``occlum build`` validates ``Occlum.json`` with the full model and writes this
compact form to ``build/``; booting reads it back with the standard library
alone, so start-up does not pay for the validator (as Occlum's build turns
``Occlum.json`` into a binary config the LibOS reads at boot).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from pyocclum.config.env import merge_env
from pyocclum.errors import ConfigError

if TYPE_CHECKING:
    from pyocclum.config.model import OcclumConfig
    from pyocclum.config.sections import MountSpec

FORMAT = 4
#: The format of a build whose config has ``init_ra``. A reader that knows only
#: :data:`FORMAT` refuses it ("run `occlum build` again") instead of booting
#: without the attestation; builds without ``init_ra`` keep format 4 and their bytes
#: (so their MRENCLAVE).
FORMAT_INIT_RA = 5
CONFIG_FILE = "Occlum.json"
IMAGE_DIR = "image"


_T = TypeVar("_T")


def _typed(value: Any, kind: type[_T]) -> _T:
    """``value`` if it is exactly of ``kind`` (no bool for int), else TypeError."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value


def _optional(value: Any, kind: type[_T]) -> _T | None:
    return None if value is None else _typed(value, kind)


def _endpoints(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(_typed(x, str) for x in _typed(value, list))


def _pair(value: Any) -> tuple[Any, Any]:
    items = _typed(value, list)
    if len(items) != 2:
        raise ValueError("expected a [name, value] pair")
    return items[0], items[1]


class RuntimeMount(NamedTuple):
    target: str
    type: str
    source: str | None = None
    temporary: bool = False
    #: True for the integrity-protected image layer (a sefs with ``MAC``).
    image_layer: bool = False
    layers: tuple[RuntimeMount, ...] = ()
    #: A sefs's cache of decrypted nodes, in bytes (None: the default).
    cache_size: int | None = None
    #: A sefs's user key, as ``Occlum.json`` gives it (16 hex bytes joined by ``-``).
    key: str | None = None
    #: A sefs's key policy bits, as SGX's (1: MRENCLAVE, 2: MRSIGNER).
    autokey_policy: int | None = None

    @classmethod
    def from_spec(cls, spec: MountSpec) -> RuntimeMount:
        opts = spec.options
        return cls(
            target=spec.target,
            type=spec.type,
            source=spec.source,
            temporary=opts.temporary,
            image_layer=spec.is_image_layer(),
            layers=tuple(cls.from_spec(layer) for layer in opts.layers or ()),
            cache_size=opts.cache_size,
            key=opts.key,
            autokey_policy=opts.autokey_policy,
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuntimeMount:
        source = d.get("source")
        return cls(
            target=_typed(d["target"], str),
            type=_typed(d["type"], str),
            source=None if source is None else _typed(source, str),
            temporary=_typed(d.get("temporary", False), bool),
            image_layer=_typed(d.get("image_layer", False), bool),
            layers=tuple(cls.from_dict(_typed(x, dict)) for x in _typed(d.get("layers", []), list)),
            cache_size=_optional(d.get("cache_size"), int),
            key=_optional(d.get("key"), str),
            autokey_policy=_optional(d.get("autokey_policy"), int),
        )


def _json_data(value: Any) -> Any:
    """JSON data for a record: its fields by name, records inside it likewise
    (as ``dataclasses.asdict`` gave, so the measured bytes stay the same)."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _json_data(v) for k, v in value._asdict().items()}
    if isinstance(value, tuple | list):
        return [_json_data(v) for v in value]
    return value


class RuntimeInitRa(NamedTuple):
    """``init_ra`` as a boot needs it (see :mod:`pyocclum.config.initra`)."""

    kbs: str
    #: Hex SHA-256 of the KBS's certificate (DER), lower-case.
    kbs_cert_sha256: str
    root_key: str | None
    #: ``(variable, secret name)`` pairs, sorted by variable.
    env: tuple[tuple[str, str], ...]
    files: tuple[str, ...]
    timeout: float

    def secret_names(self) -> tuple[str, ...]:
        """Every secret to fetch, each once: ``root_key``, then ``env``'s, then ``files``."""
        names = [] if self.root_key is None else [self.root_key]
        names += [secret for _, secret in self.env] + list(self.files)
        return tuple(dict.fromkeys(names))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuntimeInitRa:
        timeout = d["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise TypeError(f"expected a number, found {type(timeout).__name__}")
        return cls(
            kbs=_typed(d["kbs"], str),
            kbs_cert_sha256=_typed(d["kbs_cert_sha256"], str),
            root_key=_optional(d.get("root_key"), str),
            env=tuple(
                (_typed(k, str), _typed(v, str))
                for k, v in (_pair(x) for x in _typed(d["env"], list))
            ),
            files=tuple(_typed(x, str) for x in _typed(d["files"], list)),
            timeout=float(timeout),
        )


class RuntimeConfig(NamedTuple):
    """The resolved settings a boot uses. ``config_sha256`` identifies the
    ``Occlum.json`` it came from."""

    config_sha256: str
    max_processes: int
    max_open_files: int
    process_memory: int
    user_space_size: int
    entry_points: tuple[str, ...]
    env_default: tuple[tuple[str, str], ...]
    env_untrusted: tuple[str, ...]
    mounts: tuple[RuntimeMount, ...] = ()
    #: Hex SHA-256 root of the integrity image this config boots (measured with it).
    image_root: str = ""
    #: ``resource_limits.max_num_of_threads``: threads besides the processes' main ones.
    max_threads: int = 32
    #: ``network.bind`` and ``network.connect`` (None: the key was left out, all allowed).
    network_bind: tuple[str, ...] | None = None
    network_connect: tuple[str, ...] | None = None
    #: ``init_ra`` (None: no attestation at boot).
    init_ra: RuntimeInitRa | None = None

    @classmethod
    def from_config(
        cls, config: OcclumConfig, config_sha256: str, image_root: str = ""
    ) -> RuntimeConfig:
        limits, proc = config.resource_limits, config.process
        return cls(
            config_sha256=config_sha256,
            max_processes=limits.max_num_of_processes,
            max_open_files=limits.max_open_files,
            process_memory=proc.default_heap_size + proc.default_stack_size,
            user_space_size=limits.user_space_size,
            entry_points=tuple(config.entry_points),
            env_default=tuple(config.env.default_pairs()),
            env_untrusted=tuple(config.env.untrusted),
            mounts=tuple(RuntimeMount.from_spec(m) for m in config.effective_mounts()),
            image_root=image_root,
            max_threads=limits.max_num_of_threads,
            network_bind=None if config.network is None else config.network.bind,
            network_connect=None if config.network is None else config.network.connect,
            init_ra=None if config.init_ra is None else RuntimeInitRa(
                kbs=config.init_ra.kbs,
                kbs_cert_sha256=config.init_ra.kbs_cert_sha256,
                root_key=config.init_ra.root_key,
                env=tuple(sorted(config.init_ra.env)),
                files=config.init_ra.files,
                timeout=config.init_ra.timeout,
            ),
        )

    def env_for_first_process(self, host_env: Mapping[str, str]) -> list[tuple[str, str]]:
        return merge_env(self.env_default, self.env_untrusted, host_env)

    def to_json(self) -> str:
        data = _json_data(self)
        # Left out when unset, so a config without ``network`` builds (and
        # measures) the bytes it did before the key existed.
        for key in ("network_bind", "network_connect", "init_ra"):
            if data[key] is None:
                del data[key]
        form = FORMAT if self.init_ra is None else FORMAT_INIT_RA
        return json.dumps({"format": form, **data}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str) -> RuntimeConfig:
        """Parse what :meth:`to_json` wrote; ConfigError (naming ``source``) if it is not that."""
        try:
            d = json.loads(text)
            if not isinstance(d, dict):
                raise ConfigError(f"{source}: damaged (not a JSON object)")
            form = d.get("format")
            if type(form) is not int or form not in (FORMAT, FORMAT_INIT_RA):
                raise ConfigError(f"{source}: written by another PyOcclum version")
            if (form == FORMAT_INIT_RA) != ("init_ra" in d):
                raise ConfigError(f"{source}: damaged (format {form} and init_ra disagree)")
            return cls(
                config_sha256=_typed(d["config_sha256"], str),
                max_processes=_typed(d["max_processes"], int),
                max_open_files=_typed(d["max_open_files"], int),
                process_memory=_typed(d["process_memory"], int),
                user_space_size=_typed(d["user_space_size"], int),
                entry_points=tuple(_typed(x, str) for x in _typed(d["entry_points"], list)),
                env_default=tuple(
                    (_typed(k, str), _typed(v, str))
                    for k, v in (_pair(x) for x in _typed(d["env_default"], list))
                ),
                env_untrusted=tuple(_typed(x, str) for x in _typed(d["env_untrusted"], list)),
                mounts=tuple(
                    RuntimeMount.from_dict(_typed(m, dict)) for m in _typed(d["mounts"], list)
                ),
                image_root=_typed(d.get("image_root", ""), str),
                max_threads=_typed(d.get("max_threads", 32), int),
                network_bind=_endpoints(d.get("network_bind")),
                network_connect=_endpoints(d.get("network_connect")),
                init_ra=None if "init_ra" not in d
                else RuntimeInitRa.from_dict(_typed(d["init_ra"], dict)),
            )
        except ConfigError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise ConfigError(f"{source}: damaged ({type(e).__name__}: {e})") from None

    def root_mount(self) -> RuntimeMount:
        return next(m for m in self.mounts if m.target == "/")
