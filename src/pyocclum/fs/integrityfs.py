"""``integrity``: the read-only program image, every block checked against a
Merkle root that is part of the enclave's measurement (DESIGN.md section 4).

This module owns the on-disk format and everything the *reader* needs
(``pyocclum.image.manifest`` builds images and imports it, never the other
way round, so the fs layer does not depend on the image layer).

On-disk format (version 2), in the image folder::

    manifest.json          canonical JSON (below); its SHA-256 is the image root
    blobs/<root hex>       a regular file's data, exactly ``size`` bytes
    trees/<root hex>       the file's leaf hashes, 32 bytes each, concatenated:
                           ceil(size / 65536) * 32 bytes

Files are content-addressed by their root, so identical files are stored
once. The manifest is ``json.dumps(obj, sort_keys=True, separators=(",",
":"), ensure_ascii=True)`` encoded as ASCII, no trailing newline, where
``obj`` is::

    {"format": "pyocclum-integrity-image", "version": 2, "block": 65536,
     "entries": [ ... sorted by path ... ]}

and each entry is one of (``path`` is ``/``-separated and relative; the root
directory is ``""``; names that are not UTF-8 on the host are kept as
``surrogateescape`` strings, which JSON writes as ``\\udcXX`` escapes)::

    {"path": p, "type": "dir",     "mode": perm}
    {"path": p, "type": "file",    "mode": perm, "size": n, "root": hex}
    {"path": p, "type": "symlink", "target": t}

``mode`` holds permission bits only (``& 0o7777``). There are no timestamps,
owners or absolute paths: the same tree gives the same root anywhere.

A file's hash tree (BLAKE3, from the ``blake3`` package: the reference
implementation, SIMD; two levels, each hash in its own BLAKE3 ``derive_key``
context so that a leaf can never pass for a root or the other way round):

* leaf ``i`` = BLAKE3-derive_key(:data:`LEAF_CONTEXT`, block ``i``); blocks
  are 65536 bytes, the last one is short (its exact length is therefore
  bound by its leaf);
* the file's root = BLAKE3-derive_key(:data:`ROOT_CONTEXT`, every leaf,
  concatenated); a file with no blocks (empty) has the root of no leaves,
  :data:`EMPTY_ROOT`.

The reader always checks a file's whole leaf list against its root before
it uses any leaf, so the levels a binary Merkle tree would add between them
would buy nothing; the chain that every block read goes through is block ->
its leaf -> the leaf list -> the file's root -> the manifest -> its SHA-256,
the image root bound into MRENCLAVE.

Version 1 (SHA-256 over 4 KiB blocks, a binary Merkle tree) is no longer
read: a build made by an older PyOcclum is refused with "rebuild it with
``occlum build``" (its manifest still matches its measurement, so the
refusal names the format, not tampering). Version 2 hashes three times as
fast per CPU (on this project's EPYC: BLAKE3 over 64 KiB leaves about 190
us/MiB, SHA-256 with SHA-NI 575 us/MiB in one call and 800 block by block),
and a 64 KiB leaf holds Python's work to one call per 64 KiB (within 10% of
BLAKE3's speed on 1 MiB at once; a small read costs a 64 KiB one).

Verification is lazy, so mounting costs the manifest only, whatever the size
of the data: a file's leaf list is read and checked against its root on its
first read; each block is checked against its leaf when first read, and
verified blocks are kept in an LRU bounded in bytes. Missing blocks are
read in runs of up to 1 MiB: one ``pread`` into a new ``bytes``, which is
what the read returns when it asked for the whole run (the blob's descriptor
stays open for the next read: :data:`_MAX_FDS` per image), its blocks hashed
where they lie, the calling thread and one helper thread per further CPU
each hashing a share (:func:`~pyocclum.fs.treehash.run_leaves`), then
compared with the stored leaves in one comparison (the failing block is
looked for only on a mismatch); a run longer than :data:`_CACHE_RUN` blocks
is a sequential read and is not cached. Anything that does not verify (a
changed, missing, short or long blob or tree, or something that is not a
regular file) raises ``EIO`` and logs the file's path at error level on the
``pyocclum.fs.integrity`` logger; wrong data is never returned.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat as host_stat
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import ImageError, KernelError
from pyocclum.fs.treehash import (
    BLOCK,
    EMPTY_ROOT,
    HASH_SIZE,
    LEAF_CONTEXT,
    ROOT_CONTEXT,
    block_leaves,
    leaf_hash,
    run_leaves,
    tree_root,
)
from pyocclum.fs.types import (
    MAX_SYMLINK,
    DirEntry,
    FileSystem,
    FixedDirectory,
    Inode,
    Stat,
    check_name,
)

__all__ = [
    "BLOB_DIR",
    "BLOCK",
    "EMPTY_ROOT",
    "FORMAT",
    "HASH_SIZE",
    "LEAF_CONTEXT",
    "MANIFEST_NAME",
    "ROOT_CONTEXT",
    "TREE_DIR",
    "VERSION",
    "ImageEntry",
    "ImageManifest",
    "IntegrityDir",
    "IntegrityFile",
    "IntegrityFs",
    "IntegritySymlink",
    "block_leaves",
    "canonical_manifest_bytes",
    "leaf_hash",
    "parse_manifest",
    "tree_root",
]

log = _log.getLogger("pyocclum.fs.integrity")

FORMAT = "pyocclum-integrity-image"
VERSION = 2
MANIFEST_NAME = "manifest.json"
BLOB_DIR = "blobs"
TREE_DIR = "trees"
#: Default bound on the bytes of verified blocks kept in memory.
DEFAULT_CACHE_BYTES = 64 << 20
#: Largest single host read (blocks are read in runs up to this size).
_IO_MAX = 1 << 20
#: Biggest manifest we agree to read (a hostile host could offer anything).
MAX_MANIFEST = 256 << 20

_BLOB_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY


# -- reading runs --------------------------------------------------------------
#: Runs of missing blocks longer than this are verified but not cached.
_CACHE_RUN = 8
#: Blocks in one host read.
_RUN = _IO_MAX // BLOCK
#: Blob descriptors kept open per mounted image (a read reuses its file's).
_MAX_FDS = 16


def nblocks(size: int) -> int:
    return (size + BLOCK - 1) // BLOCK


# -- the manifest ---------------------------------------------------------------
class ImageEntry(NamedTuple):
    """One object in the image. ``root`` is set for files, ``target`` for symlinks."""

    path: str
    type: str  # "dir" | "file" | "symlink"
    mode: int = 0
    size: int = 0
    root: bytes | None = None
    target: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.type == "dir":
            return {"path": self.path, "type": "dir", "mode": self.mode}
        if self.type == "file":
            assert self.root is not None
            return {"path": self.path, "type": "file", "mode": self.mode,
                    "size": self.size, "root": self.root.hex()}
        return {"path": self.path, "type": "symlink", "target": self.target}


class ImageManifest(NamedTuple):
    """A parsed manifest; ``root`` is SHA-256 of its canonical bytes."""

    entries: tuple[ImageEntry, ...]
    root: bytes
    raw: bytes

    @property
    def root_hex(self) -> str:
        return self.root.hex()


def canonical_manifest_bytes(entries: Sequence[ImageEntry]) -> bytes:
    """The manifest's canonical encoding (entries are sorted here)."""
    obj = {
        "format": FORMAT,
        "version": VERSION,
        "block": BLOCK,
        "entries": [e.to_json() for e in sorted(entries, key=lambda e: e.path)],
    }
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def _bad(msg: str) -> ImageError:
    return ImageError(f"integrity image manifest: {msg}")


def _int(v: object, what: str, limit: int) -> int:
    if type(v) is not int or not 0 <= v <= limit:
        raise _bad(f"{what} is not an integer in [0, {limit}]")
    return v


def parse_manifest(raw: bytes, expected_root: bytes | None = None) -> ImageManifest:
    """Check ``raw``'s hash against ``expected_root`` (when given), then its
    structure: canonical encoding, sorted unique paths, every parent a
    directory, valid names, sizes and roots. Raises ``ImageError``."""
    root = hashlib.sha256(raw).digest()
    if expected_root is not None and root != expected_root:
        raise ImageError(
            f"integrity image manifest hash {root.hex()} does not match the expected "
            f"root {expected_root.hex()}: the image was changed or rebuilt"
        )
    try:
        obj = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _bad(f"not canonical JSON ({e})") from e
    if not isinstance(obj, dict):
        raise _bad("top level must be an object with format, version, block, entries")
    if obj.get("format") != FORMAT:
        raise _bad(f"format is {obj.get('format')!r}, expected {FORMAT!r}")
    version = obj.get("version")
    if version != VERSION:
        if type(version) is int and 0 < version < VERSION:
            raise ImageError(
                f"the integrity image is format version {version}, made by an older "
                f"PyOcclum; this one reads only version {VERSION}: rebuild it with "
                "`occlum build`")
        raise _bad(f"version {version!r} is not supported (expected {VERSION}): "
                   "rebuild it with `occlum build`")
    if set(obj) != {"format", "version", "block", "entries"}:
        raise _bad("top level must be an object with format, version, block, entries")
    if obj["block"] != BLOCK:
        raise _bad(f"block size {obj['block']!r} is not {BLOCK}")
    items = obj["entries"]
    if not isinstance(items, list):
        raise _bad("entries is not a list")
    entries: list[ImageEntry] = []
    kinds: dict[str, str] = {}
    for i, it in enumerate(items):
        where = f"entries[{i}]"
        if not isinstance(it, dict) or not isinstance(it.get("path"), str):
            raise _bad(f"{where} has no path")
        path: str = it["path"]
        where = f"entry {path!r}"
        kind = it.get("type")
        keys = {"dir": {"path", "type", "mode"},
                "file": {"path", "type", "mode", "size", "root"},
                "symlink": {"path", "type", "target"}}.get(kind if isinstance(kind, str) else "")
        if keys is None:
            raise _bad(f"{where} has unknown type {kind!r}")
        if set(it) != keys:
            raise _bad(f"{where} must have exactly the keys {sorted(keys)}")
        if path == "":
            if i != 0 or kind != "dir":
                raise _bad("the root directory must be the first entry")
        else:
            if i == 0:
                raise _bad("the root directory must be the first entry")
            parent, _, name = path.rpartition("/")
            try:
                check_name(name)
            except KernelError as e:
                raise _bad(f"{where}: {e.msg}") from e
            if kinds.get(parent) != "dir":
                raise _bad(f"{where}: parent {parent!r} is not a directory listed before it")
            if path <= entries[-1].path:
                raise _bad(f"{where} is out of order or repeated")
        kinds[path] = str(kind)
        if kind == "dir":
            entries.append(ImageEntry(path, "dir", _int(it["mode"], f"{where} mode", 0o7777)))
        elif kind == "file":
            rhex = it["root"]
            if not isinstance(rhex, str) or len(rhex) != 2 * HASH_SIZE or rhex != rhex.lower():
                raise _bad(f"{where} root is not {HASH_SIZE} bytes of lowercase hex")
            try:
                froot = bytes.fromhex(rhex)
            except ValueError as e:
                raise _bad(f"{where} root is not hex") from e
            size = _int(it["size"], f"{where} size", (1 << 63) - 1)
            if size == 0 and froot != EMPTY_ROOT:
                raise _bad(f"{where} is empty but its root is not the empty root")
            entries.append(ImageEntry(path, "file", _int(it["mode"], f"{where} mode", 0o7777),
                                      size, froot))
        else:
            target = it["target"]
            if (not isinstance(target, str) or not target or "\0" in target
                    or len(target.encode("utf-8", "surrogateescape")) > MAX_SYMLINK):
                raise _bad(f"{where} has an invalid symlink target")
            entries.append(ImageEntry(path, "symlink", 0o777, target=target))
    if not entries:
        raise _bad("no root directory")
    if canonical_manifest_bytes(entries) != raw:
        raise _bad("not in canonical form")
    return ImageManifest(tuple(entries), root, raw)


#: How the canonical bytes of a manifest of this format begin and end (sorted keys).
_CANONICAL_HEAD = b'{"block":%d,"entries":[' % BLOCK
_CANONICAL_TAIL = b'],"format":"%s","version":%d}' % (FORMAT.encode(), VERSION)


def read_manifest(
    image_dir: Path, expected_root: bytes | None = None, *, known: ImageManifest | None = None
) -> ImageManifest:
    """Read ``image_dir/manifest.json`` and :func:`parse_manifest` it.

    ``known``: what :func:`parse_manifest` returned earlier (a caller's authenticated
    cache); returned as it is if the file holds exactly its bytes, its root is
    ``expected_root`` and its bytes say this :data:`VERSION` and block size,
    instead of parsing them again (a record written before a format change is
    parsed again, so the image is refused as any other of that format).
    """
    p = Path(image_dir) / MANIFEST_NAME
    try:
        fd = os.open(p, _BLOB_FLAGS)
    except OSError as e:
        raise ImageError(f"integrity image manifest {p}: {e.strerror or e}") from e
    try:
        st = os.fstat(fd)
        if not host_stat.S_ISREG(st.st_mode):
            raise ImageError(f"integrity image manifest {p} is not a regular file")
        if st.st_size > MAX_MANIFEST:
            raise ImageError(f"integrity image manifest {p} is too big")
        chunks = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
            if sum(map(len, chunks)) > MAX_MANIFEST:
                raise ImageError(f"integrity image manifest {p} is too big")
    except OSError as e:
        raise ImageError(f"integrity image manifest {p}: {e.strerror or e}") from e
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if (known is not None and known.raw == raw and known.root == expected_root
            and raw.startswith(_CANONICAL_HEAD) and raw.endswith(_CANONICAL_TAIL)):
        return known
    return parse_manifest(raw, expected_root)


# -- the file system ------------------------------------------------------------
def _ino_for(path: str, used: set[int]) -> int:
    """A stable inode number from the path (probing past the rare collision,
    deterministically since entries come in sorted order)."""
    h = hashlib.sha256(b"pyocclum integrity ino\x00" + path.encode("utf-8", "surrogateescape"))
    ino = (int.from_bytes(h.digest()[:8], "little") & ((1 << 63) - 1)) or 1
    while ino in used:
        ino = ino % ((1 << 63) - 1) + 1
    used.add(ino)
    return ino


def _close_fds(fds: OrderedDict[bytes, int]) -> None:
    while fds:
        os.close(fds.popitem()[1])


class _HostError(Exception):
    """Reading a blob or hash list failed; the message says why."""


class IntegrityFs(FileSystem):
    """The image in ``image_dir``, accepted only if its manifest hashes to
    ``expected_root`` (``ImageError`` otherwise, or if it is malformed).

    ``cache_bytes`` bounds the verified blocks kept in memory. Times are all
    zero: the image has none (so that its root does not depend on them).
    ``known``: as :func:`read_manifest`'s.
    """

    fstype = "integrity"
    read_only = True

    def __init__(
        self, image_dir: Path | str, expected_root: bytes, *,
        cache_bytes: int = DEFAULT_CACHE_BYTES, known: ImageManifest | None = None,
    ) -> None:
        if len(expected_root) != HASH_SIZE:
            raise ImageError(f"expected image root must be {HASH_SIZE} bytes")
        if cache_bytes < 0:
            raise ValueError("cache_bytes must be >= 0")
        self.image_dir = Path(image_dir)
        self._dir = os.fspath(self.image_dir)
        self.manifest = read_manifest(self.image_dir, expected_root, known=known)
        self.lock = threading.Lock()
        self._cache_max = cache_bytes
        self._cache: OrderedDict[tuple[bytes, int], bytes] = OrderedDict()
        self._cache_used = 0
        #: Blocks in the cache per file root (absent: none), so that a file
        #: with nothing cached is not probed block by block.
        self._cached: dict[bytes, int] = {}
        #: Verified leaf lists by file root (files with equal content share one).
        self._leaves: dict[bytes, bytes] = {}
        #: Open blob descriptors by file root, least recently used first.
        self._fds: OrderedDict[bytes, int] = OrderedDict()
        self._closer = weakref.finalize(self, _close_fds, self._fds)
        used: set[int] = set()
        nodes: dict[str, _Node] = {}
        for e in self.manifest.entries:
            ino = _ino_for(e.path, used)
            node: _Node
            if e.type == "dir":
                node = IntegrityDir(self, ino, e)
            elif e.type == "file":
                node = IntegrityFile(self, ino, e)
            else:
                node = IntegritySymlink(self, ino, e)
            nodes[e.path] = node
            if e.path:
                parent = nodes[e.path.rpartition("/")[0]]
                assert isinstance(parent, IntegrityDir)
                parent._add(e.path.rpartition("/")[2], node)
        root = nodes[""]
        assert isinstance(root, IntegrityDir)
        self._root = root

    @property
    def root_hash(self) -> bytes:
        return self.manifest.root

    def root(self) -> IntegrityDir:
        return self._root

    # -- verification (callers hold no lock) -----------------------------------
    def _fail(self, path: str, why: str) -> KernelError:
        log.error("integrity image: /%s: %s", path, why)
        return KernelError(Errno.EIO, f"integrity check failed for /{path}: {why}")

    def _leaves_for(self, e: ImageEntry) -> bytes:
        assert e.root is not None
        leaves = self._leaves.get(e.root)
        if leaves is not None:
            return leaves
        want = nblocks(e.size) * HASH_SIZE
        raw = self._read_host(e, TREE_DIR, 0, want, expect_size=want, what="hash list")
        if len(raw) != want:
            raise self._fail(e.path, f"hash list is {len(raw)} bytes, expected {want}")
        if tree_root(raw) != e.root:
            raise self._fail(e.path, "hash list does not match the file's root")
        with self.lock:
            self._leaves[e.root] = raw
        return raw

    def _open_host(self, e: ImageEntry, sub: str, *, expect_size: int, what: str) -> int:
        """A descriptor of the stored ``sub`` object of ``e``, which must be a
        regular file of ``expect_size`` bytes; ``_HostError`` otherwise."""
        assert e.root is not None
        p = os.path.join(self._dir, sub, e.root.hex())
        try:
            fd = os.open(p, _BLOB_FLAGS)
        except OSError as err:
            raise _HostError(f"cannot open its {what}: {err.strerror or err}") from err
        try:
            st = os.fstat(fd)
            if not host_stat.S_ISREG(st.st_mode):
                raise _HostError(f"its {what} is not a regular file")
            if st.st_size != expect_size:
                raise _HostError(f"its {what} is {st.st_size} bytes, expected {expect_size}")
        except OSError as err:
            os.close(fd)
            raise _HostError(f"cannot read its {what}: {err.strerror or err}") from err
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _read_host(
        self, e: ImageEntry, sub: str, offset: int, size: int, *, expect_size: int, what: str,
    ) -> bytes:
        """Up to ``size`` bytes at ``offset`` of the stored ``sub`` object of ``e``
        (short only at its end; see ``_open_host``); ``EIO`` otherwise."""
        try:
            fd = self._open_host(e, sub, expect_size=expect_size, what=what)
            try:
                out = []
                while size > 0:
                    b = os.pread(fd, min(size, _IO_MAX), offset)
                    if not b:
                        break
                    out.append(b)
                    offset += len(b)
                    size -= len(b)
                return b"".join(out)
            except OSError as err:
                raise _HostError(f"cannot read its {what}: {err.strerror or err}") from err
            finally:
                os.close(fd)
        except _HostError as err:
            raise self._fail(e.path, str(err)) from err

    def _read_run(self, e: ImageEntry, b0: int, b1: int) -> tuple[bytes, bytes]:
        """Blocks ``b0..b1-1`` of ``e``'s data and their leaf hashes as computed
        (not compared yet), read in one ``pread``; ``_HostError`` if they cannot
        all be read."""
        start = b0 * BLOCK
        size = min(b1 * BLOCK, e.size) - start
        fd = self._take_fd(e)
        try:
            data = os.pread(fd, size, start)
            if len(data) < size:  # short only at the end of a regular file
                data = self._read_rest(fd, data, start, size)
        except OSError as err:
            os.close(fd)
            raise _HostError(f"cannot read its data: {err.strerror or err}") from err
        self._give_fd(e, fd)
        if len(data) != size:
            raise _HostError(f"data is short at block {b0 + len(data) // BLOCK}")
        return data, run_leaves(data)

    @staticmethod
    def _read_rest(fd: int, data: bytes, start: int, size: int) -> bytes:
        out = [data]
        got = len(data)
        while got < size:
            b = os.pread(fd, size - got, start + got)
            if not b:
                break
            out.append(b)
            got += len(b)
        return b"".join(out)

    def _take_fd(self, e: ImageEntry) -> int:
        """A descriptor of ``e``'s blob, for this caller alone until ``_give_fd``:
        a cached one (opened and checked before) or a new one."""
        assert e.root is not None
        with self.lock:
            fd = self._fds.pop(e.root, None)
        if fd is None:
            fd = self._open_host(e, BLOB_DIR, expect_size=e.size, what="data")
        return fd

    def _give_fd(self, e: ImageEntry, fd: int) -> None:
        """Keep ``fd`` (from ``_take_fd``) for the next read of ``e``, the
        least recently used beyond :data:`_MAX_FDS` closed. A cached descriptor
        saves the open, fstat and close of a run (a third of hostfs's whole
        cost for 1 MiB): whatever the host does to the file meanwhile, every
        byte read through it is still checked against its leaf."""
        assert e.root is not None
        with self.lock:
            if self._closer.alive and e.root not in self._fds:
                self._fds[e.root] = fd
                fd = -1
                while len(self._fds) > _MAX_FDS:
                    os.close(self._fds.popitem(last=False)[1])
        if fd >= 0:
            os.close(fd)

    def close(self) -> None:
        """Close the cached blob descriptors (later reads open their own again)."""
        with self.lock:
            self._closer()

    def _check(self, e: ImageEntry, leaves: bytes, b0: int, got: bytes) -> None:
        """``EIO`` unless the computed leaves ``got`` of blocks ``b0``... of
        ``e`` are the stored ones: one comparison for the whole run; the
        failing block is looked for only on a mismatch."""
        want = leaves[b0 * HASH_SIZE : b0 * HASH_SIZE + len(got)]
        if got == want:
            return
        for k in range(0, len(got), HASH_SIZE):
            if got[k : k + HASH_SIZE] != want[k : k + HASH_SIZE]:
                raise self._fail(e.path, f"block {b0 + k // HASH_SIZE} does not match its hash")
        raise self._fail(e.path, f"blocks from {b0} do not match their hashes")

    def _cache_get(self, key: tuple[bytes, int]) -> bytes | None:
        with self.lock:
            b = self._cache.get(key)
            if b is not None:
                self._cache.move_to_end(key)
            return b

    def _cache_put(self, key: tuple[bytes, int], block: bytes) -> None:
        if len(block) > self._cache_max:
            return
        with self.lock:
            if key in self._cache:
                return
            self._cache[key] = block
            self._cache_used += len(block)
            self._cached[key[0]] = self._cached.get(key[0], 0) + 1
            while self._cache_used > self._cache_max:
                (old_root, _), old = self._cache.popitem(last=False)
                self._cache_used -= len(old)
                left = self._cached[old_root] - 1
                if left:
                    self._cached[old_root] = left
                else:
                    del self._cached[old_root]

    # -- reading ------------------------------------------------------------------
    def _read_blocks(self, e: ImageEntry, first: int, last: int) -> list[bytes]:
        """Verified blocks ``first..last`` (inclusive) of file ``e``, as pieces
        to concatenate (a long run of blocks comes as one piece)."""
        assert e.root is not None
        root = e.root
        leaves = self._leaves_for(e)
        cached: list[bytes | None] | None = None
        if root in self._cached:  # else nothing of this file is cached: no probing
            cached = [self._cache_get((root, i)) for i in range(first, last + 1)]
        pieces: list[bytes] = []
        b = first
        while b <= last:
            if cached is not None:
                block = cached[b - first]
                if block is not None:
                    pieces.append(block)
                    b += 1
                    continue
            end = min(last + 1, b + _RUN)  # a run of missing blocks [b, end)
            if cached is not None:
                end = next((k for k in range(b + 1, end) if cached[k - first] is not None), end)
            try:
                data, got = self._read_run(e, b, end)
            except _HostError as err:
                raise self._fail(e.path, str(err)) from err
            self._check(e, leaves, b, got)
            if end - b <= _CACHE_RUN:
                for k in range(b, end):
                    off = (k - b) * BLOCK
                    block = data[off : off + BLOCK]
                    self._cache_put((root, k), block)
                    pieces.append(block)
            else:
                # A long run is a sequential read: hand the whole verified run
                # over without filling the cache with blocks that would only
                # push others out.
                pieces.append(data)
            b = end
        return pieces


def _erofs() -> KernelError:
    return KernelError(Errno.EROFS, "the integrity image is read-only")


class _Node(Inode):
    def __init__(self, fs: IntegrityFs, ino: int, e: ImageEntry) -> None:
        self.fs = fs
        self._ifs = fs
        self.ino = ino
        self._e = e

    _ft = FileType.UNKNOWN

    @property
    def filetype(self) -> FileType:
        return self._ft

    def _nlink(self) -> int:
        return 1

    def stat(self) -> Stat:
        e = self._e
        size = e.size if e.type == "file" else (
            len((e.target or "").encode("utf-8", "surrogateescape"))
            if e.type == "symlink" else BLOCK)
        return Stat(dev=self._ifs.dev, ino=self.ino, filetype=self._ft, mode=e.mode,
                    nlink=self._nlink(), size=size, atim=0, mtim=0, ctim=0)

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        raise _erofs()

    def chmod(self, mode: int) -> None:
        raise _erofs()

    def chown(self, uid: int | None, gid: int | None) -> None:
        raise _erofs()

    def write(self, offset: int, data: bytes) -> int:
        if self._ft == FileType.DIRECTORY:
            raise KernelError(Errno.EISDIR, "is a directory")
        raise _erofs()

    def truncate(self, size: int) -> None:
        if self._ft == FileType.DIRECTORY:
            raise KernelError(Errno.EISDIR, "is a directory")
        raise _erofs()

    def allocate(self, offset: int, length: int) -> None:
        if self._ft == FileType.DIRECTORY:
            raise KernelError(Errno.EISDIR, "is a directory")
        raise _erofs()


class IntegrityDir(FixedDirectory, _Node):
    _ft = FileType.DIRECTORY

    def __init__(self, fs: IntegrityFs, ino: int, e: ImageEntry) -> None:
        super().__init__(fs, ino, e)
        self._children: dict[str, _Node] = {}
        self._subdirs = 0

    def _add(self, name: str, node: _Node) -> None:
        self._children[name] = node
        if isinstance(node, IntegrityDir):
            self._subdirs += 1

    def _nlink(self) -> int:
        return 2 + self._subdirs

    def lookup(self, name: str) -> Inode:
        check_name(name)
        node = self._children.get(name)
        if node is None:
            raise KernelError(Errno.ENOENT, f"no {name!r} in the image")
        return node

    def find(self, name: str) -> Inode | None:
        check_name(name)
        return self._children.get(name)

    def entries(self) -> Iterator[DirEntry]:
        # Children were added in sorted path order, i.e. sorted by name.
        return iter([DirEntry(n, c.ino, c._ft) for n, c in self._children.items()])

    def refuse_new(self, name: str) -> KernelError:
        """Linux's order: a bad name, then EEXIST, then EROFS."""
        check_name(name)
        if name in self._children:
            return KernelError(Errno.EEXIST, f"{name!r} exists")
        return _erofs()





    def unlink(self, name: str) -> None:
        check_name(name)
        self.lookup(name)
        raise _erofs()

    def rmdir(self, name: str) -> None:
        check_name(name)
        self.lookup(name)
        raise _erofs()

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        check_name(old)
        check_name(new)
        self.lookup(old)
        if not isinstance(new_dir, _Node) or new_dir.fs is not self.fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        raise _erofs()


class IntegritySymlink(_Node):
    _ft = FileType.SYMBOLIC_LINK

    def readlink(self) -> str:
        assert self._e.target is not None
        return self._e.target


class IntegrityFile(_Node):
    _ft = FileType.REGULAR_FILE

    @property
    def path(self) -> str:
        return self._e.path

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` verified bytes at ``offset`` (short only at end of file);
        ``EIO`` if the stored data does not match the image."""
        if offset < 0 or size < 0:
            raise KernelError(Errno.EINVAL, "negative offset or size")
        e = self._e
        end = min(e.size, offset + size)
        if offset >= end:
            return b""
        first, last = offset // BLOCK, (end - 1) // BLOCK
        blocks = self._ifs._read_blocks(e, first, last)
        data = b"".join(blocks)
        lo = offset - first * BLOCK
        return data[lo : lo + (end - offset)]
