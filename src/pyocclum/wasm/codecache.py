"""Precompiled native code, authenticated before it is ever deserialized.

``Module.deserialize`` trusts its input completely (it is native code), so
every artifact is stored with an HMAC-SHA256 tag under a key derived from the
platform secret, the engine fingerprint and the enclave's measurement
(MRENCLAVE), and bound to the source module's SHA-256. An artifact written for
another build of the enclave, another engine or another platform therefore
never verifies. A tag that does not verify means the artifact is ignored and
the module is compiled again from its (separately checked) source.

A rebuild changes MRENCLAVE; ``occlum build`` carries unchanged modules over
with :meth:`CodeCache.adopt`, which re-tags an artifact only after checking
its tag under the previous build's key, so nothing is compiled again and
nothing unauthenticated is ever re-tagged.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path

import wasmtime

from pyocclum.crypto import derive_key, mac, verify_mac
from pyocclum.wasm.engine import compile_module, engine_fingerprint

log = logging.getLogger("pyocclum.wasm")
_TAG = 32


class CodeCache:
    """A folder of ``<sha256 of source>.cwasm`` files, each ``tag || artifact``."""

    def __init__(self, folder: Path, secret: bytes, measurement: bytes = b"") -> None:
        """``measurement`` is the MRENCLAVE the artifacts belong to (empty outside an enclave)."""
        self.folder = folder
        context = engine_fingerprint().encode() + b"\0" + measurement
        self._key = derive_key(secret, "pyocclum code cache", context)

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}.cwasm"

    def _tag(self, digest: str, artifact: bytes) -> bytes:
        return mac(self._key, bytes.fromhex(digest) + artifact)

    def has(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def _authentic(self, digest: str) -> bytes | None:
        """The artifact stored for ``digest`` if its tag verifies under this cache's key."""
        try:
            blob = self._path(digest).read_bytes()
        except OSError:
            return None
        tag, artifact = blob[:_TAG], blob[_TAG:]
        if len(tag) != _TAG or not verify_mac(self._key, bytes.fromhex(digest) + artifact, tag):
            return None
        return artifact

    def adopt(self, previous: CodeCache, digest: str) -> bool:
        """Re-tag ``previous``'s authentic artifact for ``digest`` under this key.

        Both caches share one folder; False (nothing written) if the artifact
        is missing or does not verify under ``previous``'s key.
        """
        artifact = previous._authentic(digest)
        if artifact is None:
            return False
        self._store(digest, artifact)
        return True

    def load(self, engine: wasmtime.Engine, digest: str, *, probe: bool = False
             ) -> wasmtime.Module | None:
        """The module compiled from the source with this SHA-256, if a valid artifact
        exists. An artifact that fails authentication is logged as a warning, unless
        ``probe`` (a build trying the new key before carrying artifacts over)."""
        artifact = self._authentic(digest)
        if artifact is None:
            if self.has(digest) and not probe:
                log.warning("code cache: %s fails authentication; recompiling", self._path(digest))
            return None
        try:
            return wasmtime.Module.deserialize(engine, artifact)
        except wasmtime.WasmtimeError as e:
            # Authentic but from another engine build: compile again.
            log.info("code cache: %s not loadable (%s); recompiling", digest[:12], e)
            return None

    def compile_and_store(
        self, engine: wasmtime.Engine, image: bytes, name: str, digest: str | None = None
    ) -> wasmtime.Module:
        """Compile ``image`` and save its authenticated artifact atomically."""
        digest = digest or hashlib.sha256(image).hexdigest()
        module = compile_module(engine, image, name)
        self._store(digest, bytes(module.serialize()))
        return module

    def _store(self, digest: str, artifact: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # A private temporary name: two threads may store the same module at once.
        import tempfile  # only when storing: start-up does not pay for it

        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{digest[:16]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self._tag(digest, artifact) + artifact)
            os.replace(tmp, self._path(digest))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def entries(self) -> set[str]:
        if not self.folder.is_dir():
            return set()
        return {p.stem for p in self.folder.glob("*.cwasm")}

    def remove(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)
