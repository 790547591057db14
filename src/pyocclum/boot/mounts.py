"""The file systems an instance mounts, built from its measured config, with their keys.

One :class:`MountSet` per boot (or per host-side inspection by ``occlum fs``
and ``occlum mount``). It turns each :class:`RuntimeMount` into a file
system and keeps the ones that hold host state (the sefs) so that
:meth:`MountSet.close` can make them durable and release their locks.

Keys of a sefs, in order of precedence:

1. ``options.key`` in ``Occlum.json`` (16 hex bytes joined by ``-``, as
   Occlum writes them): the sefs key is HKDF(user key). Anyone with the key
   can read the data, from any instance.
2. ``occlum run --key FILE`` (same format): used for every sefs of the
   instance that names neither a key nor an ``autokey_policy``.
3. Otherwise a sealing key (:func:`pyocclum.crypto.sealing_key`) with the
   policy ``options.autokey_policy`` gives in SGX's bits (1: MRENCLAVE,
   2: MRSIGNER; default MRSIGNER), separated per mount by its source path.
   With MRSIGNER the data survives rebuilds by the same signer; the key binds
   the product id but not the version number, so raising ``version_number``
   keeps the data readable.

The devfs of a boot gets ``/dev/attestation`` (:class:`BootAttester`, from
the verified signature structure); host tools (``occlum fs``, ``occlum
mount``) get a devfs without it.

A ``temporary`` sefs lives in ``run/tmp/mount-<index>`` under a random key
that is never stored: it starts empty at every boot and is deleted at close.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pyocclum import _log
from pyocclum.config.runtime import CONFIG_FILE, RuntimeMount
from pyocclum.crypto import Identity, KeyPolicy, derive_key, sealing_key
from pyocclum.errors import ImageError, InstanceError
from pyocclum.fs.devfs import DevFs
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.integrityfs import ImageManifest, IntegrityFs
from pyocclum.fs.procfs import ProcFs, ProcSource
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.types import FileSystem, Stream
from pyocclum.fs.unionfs import UnionFs

if TYPE_CHECKING:
    from pyocclum.attestation.backend import SimBackend
    from pyocclum.fs.devattest import Attester
    from pyocclum.image.identity import SigStruct

log = _log.getLogger("pyocclum.boot")

BUILD_ROOT = Path("build/mount/__ROOT")
TEMPORARY_DIR = Path("run/tmp")
#: SGX's KEYPOLICY bits, as ``autokey_policy`` gives them.
KEYPOLICY_MRENCLAVE = 0x1
KEYPOLICY_MRSIGNER = 0x2
USER_KEY_BYTES = 16


def parse_user_key(text: str, where: str) -> bytes:
    """A user key as Occlum writes it (``occlum gen-image-key``): 16 hex bytes joined by ``-``."""
    parts = text.strip().split("-")
    try:
        if len(parts) != USER_KEY_BYTES or any(len(p) != 2 for p in parts):
            raise ValueError
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise InstanceError(
            f"{where}: not a key (want 16 hex bytes joined by '-', as `occlum gen-image-key` "
            "writes)"
        ) from None


def read_user_key(path: Path) -> bytes:
    """The key in ``path`` (``occlum run --key FILE``), InstanceError naming the file if bad."""
    try:
        text = path.read_text(encoding="ascii")
    except OSError as e:
        raise InstanceError(f"{path}: cannot read the key: {e.strerror or e}") from None
    except UnicodeDecodeError:
        text = "\0"  # not text: parse_user_key says what a key looks like
    return parse_user_key(text, str(path))


def user_sefs_key(user_key: bytes) -> bytes:
    """The 256-bit sefs key for a 128-bit user key."""
    return derive_key(user_key, "pyocclum sefs user key")


#: A ramfs with a capacity has one inode for each this many bytes of it (300 MB:
#: 76,800 inodes). An inode costs the host about 800 bytes: 200,000 empty files
#: in an unbounded /tmp took 157 MB.
RAMFS_BYTES_PER_INODE = 4096


def _make_folder(folder: Path, source: str, where: str) -> None:
    """Create the host folder ``folder`` of a mount (``source`` in ``Occlum.json``)
    if it is missing; InstanceError, touching nothing, if it cannot be (something
    other than a directory in its way, no permission)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InstanceError(
            f"{where}: source {source} ({folder}) is not a directory"
        ) from None
    except OSError as e:
        raise InstanceError(
            f"{where}: cannot create the folder {folder}: {e.strerror or e}"
        ) from None


class MountEnv(NamedTuple):
    """What building the mounts needs from the instance being booted."""

    instance: Path
    #: The measured root of the integrity image.
    image_root: bytes
    identity: Identity
    platform_secret: bytes
    #: ``occlum run --key``: the default key of every sefs without its own.
    user_key: bytes | None = None
    console: Stream | None = None
    #: For a procfs: where it reads processes (None: no procfs can be mounted).
    proc_source: Callable[[], ProcSource] | None = None
    #: What a refusal says is refused (a boot, or a host tool opening the root).
    refusing: str = "refusing to start"
    #: Serves ``/dev/attestation`` (None: a devfs without it, as host tools get).
    attester: Attester | None = None
    #: With ``attester``: the object standing for the calling process (its Process).
    caller: Callable[[], object] | None = None
    #: The image's manifest as an earlier boot of this build parsed it (authenticated:
    #: :mod:`pyocclum.boot.bootstate`); used if ``manifest.json`` still holds its bytes.
    image_manifest: ImageManifest | None = None
    #: Bytes of file data each ramfs may hold (``ENOSPC`` beyond; None: no bound).
    #: A boot passes ``resource_limits.user_space_size``: a ramfs lives in the
    #: LibOS's own memory, so without a bound one process filling ``/tmp`` takes
    #: the host process's memory past every limit.
    ramfs_capacity: int | None = None


class BootAttester:
    """``/dev/attestation``'s backend for one boot: quotes of the SIM backend and
    this platform's local reports, of the identity in the verified ``sig``.

    Lazy: the platform key is read and the attestation modules imported only
    when a program first opens a quote or a report, so a boot that attests
    nothing pays nothing. Thread-safe.
    """

    #: SimBackend.name (not imported here: start-up would pay for it).
    attestation_type = "sim"

    def __init__(self, sig: SigStruct, platform_secret: bytes) -> None:
        self._sig = sig
        self._platform_secret = platform_secret
        self._lock = threading.Lock()
        self._backend: SimBackend | None = None
        self._report_key: bytes | None = None

    def quote(self, report_data: bytes) -> bytes:
        from pyocclum.boot.attest import sim_backend, subject_of

        with self._lock:
            if self._backend is None:
                self._backend = sim_backend()
            backend = self._backend
        return backend.quote(subject_of(self._sig), report_data)

    def report(self, report_data: bytes) -> bytes:
        from pyocclum.attestation.report import make_report, report_key
        from pyocclum.boot.attest import subject_of

        with self._lock:
            if self._report_key is None:
                self._report_key = report_key(self._platform_secret)
            key = self._report_key
        return make_report(key, subject_of(self._sig), report_data)


class MountSet:
    """Builds the file systems of one boot; :meth:`close` makes them durable."""

    def __init__(self, env: MountEnv) -> None:
        self.env = env
        #: The image's manifest once :meth:`image` has checked it against the root.
        self.image_manifest: ImageManifest | None = None
        self._sefs: list[SeFs] = []
        self._temporary: list[Path] = []

    def make(self, spec: RuntimeMount, index: int) -> FileSystem | None:
        """The file system for ``spec`` (``mount[index]``); None for what is not mounted."""
        where = f"{CONFIG_FILE}: mount[{index}] ({spec.target})"
        if spec.type == "unionfs":
            images = [layer for layer in spec.layers if layer.image_layer]
            writable = [layer for layer in spec.layers if not layer.image_layer]
            lowers: list[FileSystem] = [self.image() for _ in images]
            lowers += [self._need(self.make(layer, index), where) for layer in writable[:-1]]
            upper = (self._need(self.make(writable[-1], index), where) if writable
                     else self._ramfs(0o755))
            return UnionFs(upper, lowers)
        if spec.type == "sefs":
            if spec.image_layer:
                return self.image()
            return self._sefs_for(spec, index, where)
        if spec.type == "hostfs":
            assert spec.source is not None
            host = (self.env.instance / spec.source).resolve()
            _make_folder(host, spec.source, where)
            return HostFs(host)
        if spec.type == "ramfs":
            # Linux's tmpfs: the root is 01777 (world-writable, sticky), as /tmp needs.
            return self._ramfs(0o1777)
        if spec.type == "devfs":
            return DevFs(self.env.console, self.env.attester, self.env.caller)
        if spec.type == "procfs":
            if self.env.proc_source is None:
                return None
            return ProcFs(self.env.proc_source())
        raise InstanceError(f"{where}: file system type {spec.type!r} is not available")

    def _ramfs(self, root_mode: int) -> RamFs:
        """A ramfs held to :attr:`MountEnv.ramfs_capacity` bytes and one inode per
        :data:`RAMFS_BYTES_PER_INODE` of it."""
        cap = self.env.ramfs_capacity
        return RamFs(capacity=cap, max_inodes=None if cap is None else cap // RAMFS_BYTES_PER_INODE,
                     root_mode=root_mode)

    def image(self) -> FileSystem:
        """The integrity image, checked against the measured root."""
        try:
            fs = IntegrityFs(self.env.instance / BUILD_ROOT, self.env.image_root,
                             known=self.image_manifest or self.env.image_manifest)
        except ImageError as e:
            raise InstanceError(f"{self.env.refusing}: {e}") from None
        self.image_manifest = fs.manifest
        return fs

    def _sefs_for(self, spec: RuntimeMount, index: int, where: str) -> SeFs:
        if spec.temporary:
            folder = self.env.instance / TEMPORARY_DIR / f"mount-{index}"
            import shutil  # only here: start-up does not pay for it
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            self._temporary.append(folder)
            fs = SeFs(folder, os.urandom(32), cache_size=spec.cache_size)
        else:
            assert spec.source is not None
            folder = (self.env.instance / spec.source).resolve()
            _make_folder(folder, spec.source, where)
            key = self._key_for(spec, where)
            try:
                fs = SeFs(folder, key, cache_size=spec.cache_size)
            except ImageError as e:
                raise InstanceError(
                    f"{self.env.refusing}: {where}: {e}. The data in {spec.source} is left "
                    "untouched: start with the key it was written with (`occlum run --key`, "
                    "the same signer), or move the folder away to start empty"
                ) from None
        self._sefs.append(fs)
        return fs

    def _key_for(self, spec: RuntimeMount, where: str) -> bytes:
        if spec.key is not None:
            return user_sefs_key(parse_user_key(spec.key, f"{where}: options.key"))
        if spec.autokey_policy is None and self.env.user_key is not None:
            return user_sefs_key(self.env.user_key)
        bits = KEYPOLICY_MRSIGNER if spec.autokey_policy is None else spec.autokey_policy
        if bits & KEYPOLICY_MRENCLAVE:
            policy = KeyPolicy.MRENCLAVE
        elif bits & KEYPOLICY_MRSIGNER:
            policy = KeyPolicy.MRSIGNER
        else:
            raise InstanceError(
                f"{where}: options.autokey_policy {bits:#x} names neither MRENCLAVE (0x1) "
                "nor MRSIGNER (0x2)"
            )
        identity = self.env.identity
        # Version 0: a later version_number of the same product still reads the data.
        bound = Identity(identity.mrenclave, identity.mrsigner, identity.product_id, 0)
        key_id = b"sefs\0" + (spec.source or "").encode("utf-8", "surrogateescape")
        return sealing_key(self.env.platform_secret, bound, policy, key_id)

    @staticmethod
    def _need(fs: FileSystem | None, where: str) -> FileSystem:
        if fs is None:
            raise InstanceError(f"{where}: this layer cannot be mounted here")
        return fs

    def close(self) -> None:
        """Commit and unlock every sefs; delete the temporary ones. Idempotent."""
        errors = []
        while self._sefs:
            fs = self._sefs.pop()
            try:
                fs.close()
            except Exception as e:  # one failing file system must not keep others open
                log.error("closing a sefs failed: %s", e)
                errors.append(e)
        while self._temporary:
            import shutil  # only here: start-up does not pay for it
            shutil.rmtree(self._temporary.pop(), ignore_errors=True)
        if errors:
            raise InstanceError(f"could not make the encrypted file systems durable: {errors[0]}")
