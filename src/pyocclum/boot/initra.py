"""``init_ra`` at boot: attest to the key broker (KBS) and take the secrets it hands out.

:func:`attest` runs before anything is mounted or written under ``run/``
(the root's key may be one of the secrets). It asks the KBS named by the
measured config (or by ``OCCLUM_KBS_URL``: the certificate pin still holds,
so a host that redirects can only deny service) for every secret the config
names, with a quote of this build (:func:`pyocclum.boot.attest.subject_of` of
the verified signature structure) bound to the KBS's nonce and to the
client's ephemeral key. What comes back:

- ``root_key``: the key of the root's writable sefs, as ``occlum gen-image-key``
  writes one (16 hex bytes joined by ``-``). It takes the place of
  ``occlum run --key`` for the root's writable layer only; other sefs mounts
  keep their own rule (``options.key``, then ``--key``, then sealing).
- ``env``: ``(variable, value)`` pairs, added after ``env.default`` and the
  passed ``env.untrusted`` variables, overriding them (:func:`merge_secret_env`).
- ``files``: each secret as ``/run/secrets/NAME`` (mode 0400, uid 0) in a
  :class:`~pyocclum.fs.ramfs.RamFs` (:func:`secrets_fs`): in memory only.

A refusal or failure is an :class:`~pyocclum.errors.InstanceError` of one
line: ``attestation refused by URL: REASON`` (the KBS said no: its reason) or
``cannot reach the KBS at URL: REASON`` (anything else: down, wrong
certificate, a bad answer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from pyocclum import _log
from pyocclum.boot.mounts import parse_user_key
from pyocclum.config.initra import SECRETS_DIR, check_kbs_url
from pyocclum.config.runtime import RuntimeConfig, RuntimeInitRa, RuntimeMount
from pyocclum.errors import InstanceError
from pyocclum.fs.ramfs import RamFs
from pyocclum.image.identity import SigStruct

__all__ = [
    "KBS_URL_ENV",
    "SECRETS_DIR",
    "InitRaSecrets",
    "attest",
    "kbs_url",
    "keyed_root",
    "merge_secret_env",
    "secrets_fs",
]

log = _log.getLogger("pyocclum.boot")

#: Host variable that overrides ``init_ra.kbs`` (e.g. a Kubernetes Service name).
KBS_URL_ENV = "OCCLUM_KBS_URL"
#: Mode of each file under ``/run/secrets`` (and of the folder: read and search for root).
SECRET_FILE_MODE = 0o400
SECRETS_DIR_MODE = 0o500


class InitRaSecrets(NamedTuple):
    """What the KBS gave, ready for the boot."""

    #: The root's writable sefs user key (16 bytes), or None (no ``root_key``).
    root_key: bytes | None
    #: ``(variable, value)`` pairs for the processes' environment, sorted by variable.
    env: tuple[tuple[str, str], ...]
    #: ``(name, contents)`` of the files under ``/run/secrets``, in config order.
    files: tuple[tuple[str, bytes], ...]


def kbs_url(init_ra: RuntimeInitRa, host_env: Mapping[str, str]) -> str:
    """The KBS to ask: ``OCCLUM_KBS_URL`` if set (and an https URL), else ``init_ra.kbs``."""
    override = host_env.get(KBS_URL_ENV)
    if not override:
        return init_ra.kbs
    try:
        return check_kbs_url(override)
    except ValueError as e:
        raise InstanceError(f"{KBS_URL_ENV}: {e}") from None


def attest(
    init_ra: RuntimeInitRa, sig: SigStruct, host_env: Mapping[str, str]
) -> InitRaSecrets:
    """Attest the build signed by ``sig`` (already verified) to the KBS and fetch
    ``init_ra``'s secrets; InstanceError (one line, naming the KBS) on any failure."""
    # Only here: a boot without init_ra does not load the KBS client and its crypto.
    from pyocclum.attestation.kbs.client import KbsError, fetch_secrets
    from pyocclum.boot.attest import sim_backend, subject_of

    url = kbs_url(init_ra, host_env)
    subject = subject_of(sig)
    backend = sim_backend()
    log.info("attesting to %s", url)
    try:
        got = fetch_secrets(
            url,
            init_ra.secret_names(),
            quote=lambda report_data: backend.quote(subject, report_data),
            cert_sha256=bytes.fromhex(init_ra.kbs_cert_sha256),
            timeout=init_ra.timeout,
        )
    except KbsError as e:
        if e.refused:
            raise InstanceError(f"attestation refused by {url}: {e.reason}") from None
        raise InstanceError(f"cannot reach the KBS at {url}: {e.reason}") from None
    missing = [name for name in init_ra.secret_names() if name not in got]
    if missing:  # the client checks this too; never boot with a hole in the secrets
        raise InstanceError(f"cannot reach the KBS at {url}: no secret {missing[0]!r} in "
                            "its answer")
    root_key = None
    if init_ra.root_key is not None:
        where = f"the secret {init_ra.root_key!r} from {url} (init_ra.root_key)"
        try:
            text = got[init_ra.root_key].decode("ascii")
        except UnicodeDecodeError:
            raise InstanceError(
                f"{where}: not a key (want 16 hex bytes joined by '-', as "
                "`occlum gen-image-key` writes)"
            ) from None
        root_key = parse_user_key(text, where)
    env = []
    for variable, name in init_ra.env:
        value = got[name]
        if b"\0" in value:
            raise InstanceError(
                f"the secret {name!r} from {url} holds a NUL byte: it cannot be the value of "
                f"{variable} (init_ra.env); put it in init_ra.files instead"
            )
        env.append((variable, value.decode("utf-8", "surrogateescape")))
    files = tuple((name, got[name]) for name in init_ra.files)
    log.info("attested to %s: %d secrets", url, len(got))
    return InitRaSecrets(root_key, tuple(env), files)


def merge_secret_env(
    env: Sequence[tuple[str, str]], secret_env: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``env`` with ``secret_env`` added at the end; a variable in both takes the secret's
    value (the measured config's KBS outranks ``env.default`` and the host)."""
    overridden = {name for name, _ in secret_env}
    return [(n, v) for n, v in env if n not in overridden] + list(secret_env)


def secrets_fs(files: Sequence[tuple[str, bytes]]) -> RamFs:
    """A ramfs holding each ``(name, contents)`` as a root-owned file of mode 0400."""
    fs = RamFs(root_mode=SECRETS_DIR_MODE)
    root = fs.root()
    for name, contents in files:
        node = root.create(name, SECRET_FILE_MODE)
        node.write(0, contents)
    return fs


def keyed_root(config: RuntimeConfig, key: bytes) -> RuntimeConfig:
    """``config`` with ``key`` (``init_ra.root_key``'s) as the user key of the root's
    writable sefs layers, as if ``Occlum.json`` gave it in their ``options.key``
    (so it outranks ``--key``; the config checks that they name no key of their own)."""
    text = "-".join(f"{byte:02x}" for byte in key)

    def keyed(layer: RuntimeMount) -> RuntimeMount:
        if layer.type == "sefs" and not layer.image_layer and not layer.temporary:
            return layer._replace(key=text)
        return layer

    mounts = tuple(
        m._replace(layers=tuple(keyed(layer) for layer in m.layers)) if m.target == "/" else m
        for m in config.mounts
    )
    return config._replace(mounts=mounts)
