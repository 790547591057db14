"""``occlum package``: a built instance as a tarball that runs on another machine.

The tarball holds what ``occlum run`` reads, nothing else: ``Occlum.json``,
``build/runtime.json``, ``build/sigstruct.json`` and the integrity image in
``build/mount/__ROOT`` (its manifest and the blobs and trees the manifest
names). Left out:

- ``build/cache``: native code MACed with a key derived from *this* host's
  platform secret. On another machine no tag verifies, so every artifact
  would be ignored and compiled again (:class:`pyocclum.wasm.CodeCache`):
  shipping it only costs bytes. The first run there compiles each program
  once and caches it under that machine's key.
- ``run/`` (this machine's writable state, sealed with this platform's keys),
  ``image/`` (already measured into ``build/``), ``host/`` (host data).
- Every secret: the signing key, the platform secret, the attestation key.

Before anything is written the build is checked as a boot checks it (the
signature, the measurement, ``Occlum.json`` unchanged) and every file of the
image is hashed against the measured manifest. A debuggable build or one
signed with the per-user development key is refused unless ``debug``.

Archives are deterministic: entries sorted, owner root (0/0, no names),
mtime 0, gzip without name or time; files keep their permission bits. Two
packages of one build are byte-identical.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from pyocclum.boot.instance import BUILT_CONFIG, SIGSTRUCT, Instance, dev_key_path
from pyocclum.boot.mounts import BUILD_ROOT
from pyocclum.config.runtime import CONFIG_FILE
from pyocclum.errors import ImageError, InstanceError
from pyocclum.fs.integrityfs import BLOB_DIR, MANIFEST_NAME, TREE_DIR, read_manifest
from pyocclum.image.identity import SigStruct, load_signing_key, public_key_of
from pyocclum.image.manifest import file_tree

__all__ = [
    "PackageReport",
    "TarMember",
    "check_name",
    "instance_members",
    "package_instance",
    "write_tar",
]

#: gzip level of every archive: 6 is zlib's default balance (9 is ~2x slower for ~1% less).
GZIP_LEVEL = 6
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True, slots=True)
class TarMember:
    """One archive entry: a directory (no ``source``/``data``/``link``), a file
    (from ``source`` on disk or ``data``), or a symlink to ``link``."""

    name: str  # relative, "/"-separated, no trailing "/"
    mode: int  # permission bits only
    source: Path | None = None
    data: bytes | None = None
    link: str | None = None


class PackageReport(NamedTuple):
    path: Path
    size: int
    files: int
    mrenclave: str
    debuggable: bool


def check_name(name: str) -> str:
    """``name`` if it is usable as a file name and a folder name; InstanceError otherwise."""
    if not _NAME.fullmatch(name):
        raise InstanceError(
            f"{name!r} is not a usable package name (letters, digits, '.', '_', '-'; "
            "starting with a letter or digit)"
        )
    return name


def write_tar(members: Iterable[TarMember], out: BinaryIO | io.IOBase) -> int:
    """Write ``members`` as a deterministic (PAX) tar to ``out``; the number of members.

    Sorted by name, missing parent folders added (0755), owner 0/0 with no
    user or group names, mtime 0.
    """
    by_name: dict[str, TarMember] = {}
    for m in members:
        by_name[m.name] = m
        parts = m.name.split("/")
        for i in range(1, len(parts)):
            by_name.setdefault("/".join(parts[:i]), TarMember("/".join(parts[:i]), 0o755))
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(by_name):
            m = by_name[name]
            info = tarfile.TarInfo(name)
            info.mode = m.mode & 0o7777
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if m.link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = m.link
                tar.addfile(info)
            elif m.data is not None:
                info.size = len(m.data)
                tar.addfile(info, io.BytesIO(m.data))
            elif m.source is not None:
                with m.source.open("rb") as f:
                    info.size = os.fstat(f.fileno()).st_size
                    tar.addfile(info, f)
            else:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
    return len(by_name)


def gzip_writer(out: BinaryIO | io.IOBase) -> gzip.GzipFile:
    """A gzip stream over ``out`` with no file name and mtime 0 in its header."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0,
                         compresslevel=GZIP_LEVEL)


def release_refusal(sig: SigStruct) -> str:
    """Why the build signed by ``sig`` is not a release ("" if it is): debuggable,
    or signed with this user's development key."""
    if sig.debuggable:
        return ("the build is debuggable: set \"metadata\": {\"debuggable\": false} in "
                f"{CONFIG_FILE} and run `occlum build` again (or package with --debug)")
    dev = dev_key_path()
    if dev.is_file():
        try:
            dev_public = public_key_of(load_signing_key(dev))
        except ImageError:
            return ""  # not a key: nothing can have been signed with it
        if dev_public == sig.signer:
            return ("the build is signed with the development key "
                    f"({dev}): build with `occlum build --sign-key KEY.pem` "
                    "(or package with --debug)")
    return ""


def instance_members(inst: Instance, prefix: str) -> tuple[list[TarMember], SigStruct]:
    """What ``occlum run`` needs of ``inst``, under folder ``prefix`` in an archive,
    after checking the build as a boot would and hashing every image file against
    the measured manifest (InstanceError says what does not verify)."""
    config = inst.verified_config()
    sig = inst.identity()
    root_dir = inst.path / BUILD_ROOT
    try:
        manifest = read_manifest(root_dir, bytes.fromhex(config.image_root))
    except ImageError as e:
        raise InstanceError(f"the build does not verify: {e}: run `occlum build` again"
                            ) from None
    rel_root = BUILD_ROOT.as_posix()
    members = [
        _file(inst.path, CONFIG_FILE, prefix),
        _file(inst.path, BUILT_CONFIG.as_posix(), prefix),
        _file(inst.path, SIGSTRUCT.as_posix(), prefix),
        _file(inst.path, f"{rel_root}/{MANIFEST_NAME}", prefix),
        TarMember(f"{prefix}/{rel_root}/{BLOB_DIR}", 0o755),
        TarMember(f"{prefix}/{rel_root}/{TREE_DIR}", 0o755),
    ]
    done: set[bytes] = set()
    for entry in manifest.entries:
        if entry.type != "file" or entry.root is None or entry.root in done:
            continue
        done.add(entry.root)
        blob = root_dir / BLOB_DIR / entry.root.hex()
        tree = root_dir / TREE_DIR / entry.root.hex()
        if entry.size == 0 and not blob.exists():
            continue  # an empty file needs no blob
        why = _blob_problem(blob, tree, entry.size, entry.root)
        if why:
            raise InstanceError(
                f"the build does not verify: /{entry.path} ({BUILD_ROOT}/{BLOB_DIR}/"
                f"{entry.root.hex()[:16]}...): {why}: run `occlum build` again")
        for rel in (f"{rel_root}/{BLOB_DIR}/{entry.root.hex()}",
                    f"{rel_root}/{TREE_DIR}/{entry.root.hex()}"):
            if (inst.path / rel).exists():
                members.append(_file(inst.path, rel, prefix))
    return members, sig


def _blob_problem(blob: Path, tree: Path, size: int, root: bytes) -> str:
    """Why ``blob`` (and its leaf file ``tree``) do not hold the measured file ("" if they do)."""
    try:
        st = blob.lstat()
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if st.st_size != size:
            return f"{st.st_size} bytes, measured {size}"
        got = file_tree(blob)
        if got.root != root:
            return "its content does not match the measurement"
        if tree.exists() and tree.read_bytes() != got.leaf_bytes():
            return "its hash tree does not match the content"
    except OSError as e:
        return e.strerror or str(e)
    return ""


def _file(base: Path, rel: str, prefix: str) -> TarMember:
    path = base / rel
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise InstanceError(f"{path}: not a regular file: run `occlum build` again")
    return TarMember(f"{prefix}/{rel}", stat.S_IMODE(st.st_mode), source=path)


def package_instance(inst: Instance, name: str, out_dir: Path, *, debug: bool = False
                     ) -> PackageReport:
    """Write ``out_dir/NAME.tar.gz`` (a folder ``NAME/`` holding the instance) and say
    what was written. Refuses a non-release build unless ``debug`` (InstanceError)."""
    check_name(name)
    members, sig = instance_members(inst, name)
    if not debug:
        why = release_refusal(sig)
        if why:
            raise InstanceError(why)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.tar.gz"
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with tmp.open("wb") as raw, gzip_writer(raw) as gz:
            count = write_tar(members, gz)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return PackageReport(target, target.stat().st_size, count, sig.mrenclave.hex(),
                         sig.debuggable)
