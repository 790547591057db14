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
import ctypes
import hashlib
import marshal
import os
import sys
from collections.abc import Mapping
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType

import wasmtime
from wasmtime import _ffi

from pyocclum import _log
from pyocclum.crypto import derive_key, mac, verify_mac
from pyocclum.errors import InstanceError
from pyocclum.wasm.engine import compile_module, engine_fingerprint

log = _log.getLogger("pyocclum.wasm")
_TAG = 32
#: The syscall dispatchers' code objects (:mod:`pyocclum.wasm.host`), in this
#: interpreter's marshal format: one file per interpreter version.
DISPATCH_FILE = f"dispatch-{sys.implementation.cache_tag}-{MAGIC_NUMBER.hex()}.marshal"
#: What the tag of that file covers before its bytes (never a SHA-256 digest).
_DISPATCH_LABEL = b"pyocclum syscall dispatchers\0"
#: The dispatcher code of one generated source: keyed by (source, file name).
DispatchCodes = dict[tuple[str, str], CodeType]


class CodeCache:
    """A folder of ``<sha256 of source>.cwasm`` files, each ``tag || artifact``."""

    def __init__(self, folder: Path, secret: bytes, measurement: bytes = b"") -> None:
        """``measurement`` is the MRENCLAVE the artifacts belong to (empty outside an enclave)."""
        self.folder = folder
        context = engine_fingerprint().encode() + b"\0" + measurement
        self._key = derive_key(secret, "pyocclum code cache", context)

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}.cwasm"

    def _tag(self, digest: str, artifact: bytes | memoryview) -> bytes:
        return mac(self._key, bytes.fromhex(digest) + artifact)

    def has(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def _authentic(self, digest: str) -> bytearray | None:
        """The artifact stored for ``digest`` if its tag verifies under this cache's key.

        Returned as ``digest bytes || artifact`` in one private buffer: the
        file is read once into memory the host cannot change afterwards, the
        tag is taken out and the digest written in its place, so the MAC runs
        over the buffer as it is and the artifact is deserialized from the very
        bytes that were verified (a 66 MB artifact: no copies of it beyond
        the read and wasmtime's own).
        """
        try:
            with self._path(digest).open("rb", buffering=0) as f:
                blob = bytearray(os.fstat(f.fileno()).st_size)
                size = f.readinto(blob)
        except OSError:
            return None
        if size != len(blob) or size < _TAG:
            return None  # changed while being read, or too short to hold a tag
        tag = bytes(blob[:_TAG])
        blob[:_TAG] = bytes.fromhex(digest)
        if not verify_mac(self._key, blob, tag):
            return None
        return blob

    def adopt(self, previous: CodeCache, digest: str) -> bool:
        """Re-tag ``previous``'s authentic artifact for ``digest`` under this key.

        Both caches share one folder; False (nothing written) if the artifact
        is missing or does not verify under ``previous``'s key.
        """
        blob = previous._authentic(digest)
        if blob is None:
            return False
        self._store(digest, memoryview(blob)[_TAG:])
        return True

    def load(self, engine: wasmtime.Engine, digest: str, *, probe: bool = False
             ) -> wasmtime.Module | None:
        """The module compiled from the source with this SHA-256, if a valid artifact
        exists. An artifact that fails authentication is logged as a warning, unless
        ``probe`` (a build trying the new key before carrying artifacts over)."""
        blob = self._authentic(digest)
        if blob is None:
            if self.has(digest) and not probe:
                log.warning("code cache: %s fails authentication; recompiling", self._path(digest))
            return None
        try:
            return _deserialize(engine, blob, _TAG)
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

    def _store(self, digest: str, artifact: bytes | memoryview) -> None:
        self._write(self._path(digest), self._tag(digest, artifact), artifact)

    def load_dispatchers(self) -> DispatchCodes:
        """The syscall dispatchers compiled by earlier runs of this build.

        Empty if there are none, or if the file's tag does not verify (another
        build, engine or platform, or changed on the host): the next
        :meth:`store_dispatchers` replaces it. Code objects run inside the
        LibOS, so only bytes this key tagged are ever unmarshalled.
        """
        try:
            blob = (self.folder / DISPATCH_FILE).read_bytes()
        except OSError:
            return {}
        tag, data = blob[:_TAG], memoryview(blob)[_TAG:]
        if len(tag) != _TAG or not verify_mac(self._key, _DISPATCH_LABEL + data, tag):
            log.info("code cache: %s does not verify; compiling the dispatchers", DISPATCH_FILE)
            return {}
        codes = marshal.loads(data)
        return codes if isinstance(codes, dict) else {}

    def store_dispatchers(self, codes: Mapping[tuple[str, str], CodeType]) -> None:
        """Save ``codes`` (all of them: the file is replaced atomically)."""
        data = marshal.dumps(dict(codes))
        self._write(self.folder / DISPATCH_FILE, mac(self._key, _DISPATCH_LABEL + data), data)

    def prepare(self) -> None:
        """Make the cache's folder if it is missing; InstanceError (naming it) if
        something that is not a folder is in its place."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InstanceError(
                f"{self.folder} is not a folder: move it away (it holds the native code "
                "compiled from the image's programs; `occlum build` makes it again)"
            ) from None

    def _write(self, path: Path, tag: bytes, data: bytes | memoryview) -> None:
        self.prepare()
        # A private temporary name: two threads may store the same file at once.
        import tempfile  # only when storing: start-up does not pay for it

        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name[:16]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(tag + data)
            os.replace(tmp, path)
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


def _deserialize(engine: wasmtime.Engine, buffer: bytearray, offset: int) -> wasmtime.Module:
    """``Module.deserialize`` of ``buffer[offset:]`` without copying it first.

    wasmtime-py's ``Module.deserialize`` copies its argument into a ctypes
    array before handing it to wasmtime, which copies it again into its own
    executable mapping; here wasmtime reads the verified buffer in place.
    """
    size = len(buffer) - offset
    array = (ctypes.c_uint8 * size).from_buffer(buffer, offset)
    ptr = ctypes.POINTER(_ffi.wasmtime_module_t)()
    error = _ffi.wasmtime_module_deserialize(engine.ptr(), array, size, ctypes.byref(ptr))
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
    return wasmtime.Module._from_ptr(ptr)
