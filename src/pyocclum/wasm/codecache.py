"""Precompiled native code, authenticated before it is ever deserialized.

``Module.deserialize`` trusts its input completely (it is native code), so
every artifact is stored with an HMAC-SHA256 tag under a key derived from the
platform secret and bound to the source module's SHA-256 and the engine
fingerprint. A tag that does not verify means the artifact is ignored and the
module is compiled again from its (separately checked) source.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path

import wasmtime

from pyocclum.crypto import derive_key, mac, verify_mac
from pyocclum.wasm.engine import compile_module, engine_fingerprint

log = logging.getLogger("pyocclum.wasm")
_TAG = 32


class CodeCache:
    """A folder of ``<sha256 of source>.cwasm`` files, each ``tag || artifact``."""

    def __init__(self, folder: Path, secret: bytes) -> None:
        self.folder = folder
        self._key = derive_key(secret, "pyocclum code cache", engine_fingerprint().encode())

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}.cwasm"

    def _tag(self, digest: str, artifact: bytes) -> bytes:
        return mac(self._key, bytes.fromhex(digest) + artifact)

    def has(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def load(self, engine: wasmtime.Engine, digest: str) -> wasmtime.Module | None:
        """The module compiled from the source with this SHA-256, if a valid artifact exists."""
        try:
            blob = self._path(digest).read_bytes()
        except OSError:
            return None
        tag, artifact = blob[:_TAG], blob[_TAG:]
        if len(tag) != _TAG or not verify_mac(self._key, bytes.fromhex(digest) + artifact, tag):
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
        artifact = bytes(module.serialize())
        self.folder.mkdir(parents=True, exist_ok=True)
        # A private temporary name: two threads may store the same module at once.
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{digest[:16]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self._tag(digest, artifact) + artifact)
            os.replace(tmp, self._path(digest))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return module

    def entries(self) -> set[str]:
        if not self.folder.is_dir():
            return set()
        return {p.stem for p in self.folder.glob("*.cwasm")}

    def remove(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)
