"""Building the integrity image: ``image/`` -> blobs, Merkle trees and a manifest.

The on-disk format and the hash tree are defined (and documented) in
:mod:`pyocclum.fs.integrityfs`, which reads them; this module writes them.
In short: ``dst/blobs/<root hex>`` holds a file's data, ``dst/trees/<root
hex>`` its leaf hashes (BLAKE3 of each 64 KiB block), ``dst/manifest.json``
the canonical, sorted list of entries, and the image root is SHA-256 of the
manifest bytes. Nothing
depends on timestamps, owners or where the folders are, so the same tree
gives the same root on any machine.

The build is incremental: a blob that already exists and still hashes to
its name is not written again; blobs and trees that the new manifest no
longer uses are removed. Every file is written to a temporary name and
renamed into place, the manifest last.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pyocclum.errors import ImageError
from pyocclum.fs.integrityfs import (
    BLOB_DIR,
    BLOCK,
    EMPTY_ROOT,
    HASH_SIZE,
    MANIFEST_NAME,
    TREE_DIR,
    ImageEntry,
    ImageManifest,
    block_leaves,
    canonical_manifest_bytes,
    read_manifest,
    tree_root,
)

__all__ = [
    "BLOCK",
    "EMPTY_ROOT",
    "FileTree",
    "ImageEntry",
    "ImageManifest",
    "build_image",
    "file_tree",
    "load_manifest",
    "tree_root",
]


@dataclass(frozen=True, slots=True)
class FileTree:
    """The hash tree of one file's data."""

    size: int
    leaves: tuple[bytes, ...]
    root: bytes

    def leaf_bytes(self) -> bytes:
        """The leaves as stored in ``trees/<root hex>``."""
        return b"".join(self.leaves)


#: Bytes read (and hashed) per ``read`` while building: a whole number of blocks.
_CHUNK = 16 * BLOCK


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    """``f``'s bytes in pieces of :data:`_CHUNK` (the last one may be short)."""
    while True:
        b = f.read(_CHUNK)
        if not b:
            return
        # A short read before the end (pipes, odd files): fill the piece.
        while len(b) < _CHUNK:
            more = f.read(_CHUNK - len(b))
            if not more:
                break
            b += more
        yield b


def _split(leaves: bytes) -> tuple[bytes, ...]:
    return tuple(leaves[i : i + HASH_SIZE] for i in range(0, len(leaves), HASH_SIZE))


def _tree_of(f: BinaryIO, out: BinaryIO | None = None) -> FileTree:
    leaves = []
    size = 0
    for b in _chunks(f):
        leaves.append(block_leaves(b))
        size += len(b)
        if out is not None:
            out.write(b)
    raw = b"".join(leaves)
    return FileTree(size, _split(raw), tree_root(raw))


def file_tree(data_or_path: bytes | bytearray | memoryview | str | os.PathLike[str]) -> FileTree:
    """The hash tree of ``data`` (bytes) or of the file at a path (read in pieces)."""
    if isinstance(data_or_path, (bytes, bytearray, memoryview)):
        view = memoryview(data_or_path).cast("B")
        raw = block_leaves(view)
        return FileTree(view.nbytes, _split(raw), tree_root(raw))
    with open(data_or_path, "rb") as f:
        return _tree_of(f)


def load_manifest(dst: Path | str, expected_root: bytes | None = None) -> ImageManifest:
    """Read the manifest of the image in ``dst``; ``ImageError`` if it is missing,
    malformed, or (when ``expected_root`` is given) does not hash to it."""
    return read_manifest(Path(dst), expected_root)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _blob_ok(path: Path, tree: FileTree) -> bool:
    """Does an existing blob still hold exactly this content?"""
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_size != tree.size:
            return False
        return file_tree(path).root == tree.root
    except OSError:
        return False


def _store_blob(src: Path, dst: Path, tree: FileTree, rel: str) -> bool:
    """Copy ``src`` into blob ``dst`` unless it is already there; True if written."""
    if _blob_ok(dst, tree):
        return False
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            again = _tree_of(f, out)
        if again.root != tree.root:
            raise ImageError(f"image/{rel} changed while the image was being built")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _walk(src: Path) -> Iterator[tuple[str, Path, os.stat_result]]:
    """(relative path, host path, lstat) of everything below ``src``, the
    root first; symlinks are not followed."""
    yield "", src, src.lstat()
    stack = [("", src)]
    while stack:
        rel, d = stack.pop()
        with os.scandir(d) as it:
            names = sorted(e.name for e in it)
        for name in names:
            p = d / name
            r = f"{rel}/{name}" if rel else name
            st = p.lstat()
            yield r, p, st
            if stat.S_ISDIR(st.st_mode):
                stack.append((r, p))


def build_image(src: Path | str, dst: Path | str) -> ImageManifest:
    """Build the integrity image of folder ``src`` into folder ``dst``.

    Regular files, directories and symlinks are kept (with permission bits;
    symlink targets verbatim, resolved later inside the LibOS); sockets,
    FIFOs and devices are skipped. Returns the manifest, whose ``root`` is
    the image root.
    """
    src = Path(src)
    dst = Path(dst)
    if not src.is_dir():
        raise ImageError(f"{src} is not a folder")
    blobs = dst / BLOB_DIR
    trees = dst / TREE_DIR
    blobs.mkdir(parents=True, exist_ok=True)
    trees.mkdir(parents=True, exist_ok=True)
    entries: list[ImageEntry] = []
    used: set[str] = set()
    for rel, p, st in _walk(src):
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            entries.append(ImageEntry(rel, "dir", mode))
        elif stat.S_ISLNK(st.st_mode):
            target = os.readlink(p)
            if not target:
                raise ImageError(f"image/{rel}: empty symlink target")
            entries.append(ImageEntry(rel, "symlink", 0o777, target=target))
        elif stat.S_ISREG(st.st_mode):
            tree = file_tree(p)
            name = tree.root.hex()
            if name not in used:
                used.add(name)
                _store_blob(p, blobs / name, tree, rel)
                leaves = tree.leaf_bytes()
                assert len(leaves) == HASH_SIZE * len(tree.leaves)
                tp = trees / name
                try:
                    same = tp.lstat().st_size == len(leaves) and tp.read_bytes() == leaves
                except OSError:
                    same = False
                if not same:
                    _write_atomic(tp, leaves)
            entries.append(ImageEntry(rel, "file", mode, tree.size, tree.root))
    raw = canonical_manifest_bytes(entries)
    _write_atomic(dst / MANIFEST_NAME, raw)
    for folder in (blobs, trees):
        for old in folder.iterdir():
            if old.name not in used:
                if old.is_dir() and not old.is_symlink():
                    continue  # not ours
                old.unlink(missing_ok=True)
    # The reader's own check: what we wrote is what it will accept.
    return load_manifest(dst, None)
