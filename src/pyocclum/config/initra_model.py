"""The ``init_ra`` key of ``Occlum.json`` as a pydantic model (its checks:
:mod:`pyocclum.config.initra`, standard library only, which the boot uses too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from pyocclum.config.initra import (
    DEFAULT_TIMEOUT,
    MAX_SECRETS,
    SECRETS_DIR,
    Located,
    check_cert_sha256,
    check_env_map,
    check_files,
    check_kbs_url,
    check_secret_name,
    check_timeout,
)

if TYPE_CHECKING:
    from pyocclum.config.sections import MountSpec

__all__ = ["InitRaConfig"]

KbsUrl = Annotated[str, BeforeValidator(check_kbs_url)]
CertSha256 = Annotated[str, BeforeValidator(check_cert_sha256)]
SecretName = Annotated[str, BeforeValidator(check_secret_name)]
EnvSecrets = Annotated[tuple[tuple[str, str], ...], BeforeValidator(check_env_map)]
SecretFiles = Annotated[tuple[str, ...], BeforeValidator(check_files)]
Timeout = Annotated[float, BeforeValidator(check_timeout)]


class InitRaConfig(BaseModel):
    """``init_ra``: the KBS to attest to at boot, its certificate pin, and what to ask it for.

    ``kbs`` and ``kbs_cert_sha256`` are required; ``root_key`` (the secret
    that keys the root's writable sefs), ``env`` (variable -> secret) and
    ``files`` (secrets under ``/run/secrets``) are optional: with none of
    them the attestation is only a gate (the enclave starts only if the KBS
    accepts it).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kbs: KbsUrl
    kbs_cert_sha256: CertSha256
    root_key: SecretName | None = None
    #: ``env`` as ``(variable, secret name)`` pairs sorted by variable (frozen, so a tuple).
    env: EnvSecrets = ()
    files: SecretFiles = ()
    timeout: Timeout = DEFAULT_TIMEOUT

    @model_validator(mode="after")
    def _check_count(self) -> InitRaConfig:
        if len(self.secret_names()) > MAX_SECRETS:
            raise ValueError(f"asks for {len(self.secret_names())} secrets; at most "
                             f"{MAX_SECRETS} are allowed")
        return self

    def secret_names(self) -> tuple[str, ...]:
        """Every secret to fetch, each once: ``root_key``, then ``env``'s, then ``files``."""
        names = [] if self.root_key is None else [self.root_key]
        names += [secret for _, secret in self.env] + list(self.files)
        return tuple(dict.fromkeys(names))

    def measured(self) -> dict[str, Any]:
        """Plain data for the measurement (and the runtime config): every key, set or not."""
        return {
            "kbs": self.kbs,
            "kbs_cert_sha256": self.kbs_cert_sha256,
            "root_key": self.root_key,
            "env": dict(sorted(self.env)),
            "files": list(self.files),
            "timeout": self.timeout,
        }

    def check_mounts(self, mounts: Sequence[MountSpec]) -> None:
        """Against the config's ``mount`` list (the model calls it; Located names the key):
        ``root_key`` needs a writable, non-temporary sefs in the root that names no key
        of its own; ``files`` need ``/run/secrets`` free."""
        if self.files:
            for index, spec in enumerate(mounts):
                if spec.target == SECRETS_DIR or spec.target.startswith(SECRETS_DIR + "/"):
                    raise Located(f"{spec.target} is where init_ra.files appear: mount elsewhere",
                                  ("mount", index, "target"))
        if self.root_key is None:
            return
        index = next(i for i, spec in enumerate(mounts) if spec.target == "/")
        writable = [
            (i, layer) for i, layer in enumerate(mounts[index].options.layers or ())
            if layer.type == "sefs" and not layer.is_image_layer() and not layer.options.temporary
        ]
        if not writable:
            raise Located(f"the root (mount[{index}]) has no writable, non-temporary sefs layer "
                          "for this key to protect", ("init_ra", "root_key"))
        for i, layer in writable:
            for alias in ("key", "autokey_policy"):
                if getattr(layer.options, alias) is not None:
                    raise Located(
                        f"init_ra.root_key keys the root's writable layer: remove its {alias}",
                        ("mount", index, "options", "layers", i, "options", alias),
                    )
