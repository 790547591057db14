"""The verified boot state, cached: what the last boot of an unchanged build verified,
the next one does not verify again.

Every boot checks the build (:meth:`pyocclum.boot.Instance.verified_config`):
the Ed25519 signature over MRENCLAVE, MRENCLAVE recomputed from
``build/runtime.json`` and the image root, ``Occlum.json`` against the hash the
build recorded; then the integrity image's manifest is hashed against the
measured image root and parsed (for an image of thousands of files, tens of
milliseconds). The record ``run/boot-state`` keeps what that gave: the
manifest's bytes and parsed entries, behind an HMAC-SHA256 whose key is derived
from the platform secret and bound to the build (the LibOS version and the exact
bytes of ``build/runtime.json`` and ``build/sigstruct.json``). A record verifies
only for the build that wrote it, so it stands for "these bytes passed the
signature and measurement checks" and the next boot of the same bytes skips
those two checks and the manifest parse.

What is never skipped: reading ``build/runtime.json`` and
``build/sigstruct.json`` (their bytes select the key), the ``Occlum.json``
check, reading ``manifest.json`` (its bytes must equal the record's, or it is
parsed and checked against the measured root as without a record), every block
of the image against its leaves, the native-code cache's MACs. ``run/`` belongs
to the host: a changed, missing or foreign record is ignored (and replaced after
the boot verified everything again); one that cannot be written is not kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Sequence
from pathlib import Path

from pyocclum.crypto import derive_key, mac, verify_mac
from pyocclum.fs.integrityfs import ImageEntry, ImageManifest

#: The record, in the instance folder.
BOOT_STATE = Path("run/boot-state")
#: Changes whenever the record's layout does (old records then never verify).
_LABEL = "pyocclum boot state v1"
_TAG_SIZE = 32
#: Biggest record read (a manifest may be up to 256 MiB; twice that, and the tag).
_MAX_RECORD = 600 << 20


class BootState:
    """The record of the instance at ``folder`` for the build whose files hold ``build``
    (their exact bytes, in a fixed order) under LibOS ``version``."""

    def __init__(
        self, folder: Path, platform_secret: bytes, version: str, build: Sequence[bytes]
    ) -> None:
        self.path = folder / BOOT_STATE
        h = hashlib.sha256()
        layout = ",".join(ImageEntry._fields).encode()  # the record holds ImageEntry tuples
        for part in (version.encode(), layout, *build):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
        self._key = derive_key(platform_secret, _LABEL, h.digest())

    def load(self) -> ImageManifest | None:
        """The image manifest a boot of this build parsed and checked (None: no
        valid record, so the build is to be verified in full)."""
        try:
            with self.path.open("rb") as f:
                if os.fstat(f.fileno()).st_size > _MAX_RECORD:
                    return None
                record = f.read()
        except OSError:
            return None
        tag, payload = record[:_TAG_SIZE], record[_TAG_SIZE:]
        if len(tag) != _TAG_SIZE or not verify_mac(self._key, payload, tag):
            return None
        # Authenticated: written by save() below for this build, so plain data.
        try:
            root, raw, entries = marshal.loads(payload)
            return ImageManifest(tuple(ImageEntry(*e) for e in entries), root, raw)
        except (ValueError, TypeError, EOFError):
            return None

    def save(self, manifest: ImageManifest) -> None:
        """Record that this build verified, with its image ``manifest`` (as the boot
        parsed it against the measured root). Best effort: ``run/`` may be read-only."""
        payload = marshal.dumps(
            (manifest.root, manifest.raw, [tuple(e) for e in manifest.entries])
        )
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{os.urandom(4).hex()}")
        try:
            tmp.write_bytes(mac(self._key, payload) + payload)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
