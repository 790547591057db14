"""``occlum package --oci``: a built instance as an OCI image archive.

The archive is an OCI image layout (``oci-layout``, ``index.json``,
``blobs/sha256/...``) in a tar, what ``skopeo``, ``podman load`` and
``docker load`` read as ``oci-archive``. The image has no base (nothing can
be pulled here); its three layers are:

1. **Python** at ``/opt/python``: the interpreter this PyOcclum runs on
   (``sys.base_prefix``) without its test suites, ``idlelib``, ``tkinter``,
   ``turtledemo``, ``ensurepip``, the static library, headers, other tools
   and ``__pycache__``; plus the host libraries it and the kept extension
   modules link (found with ``ldd``: the C library, the dynamic loader,
   OpenSSL, zlib...) at the paths the loader found them.
2. **PyOcclum** and its runtime dependencies in that Python's site folder
   (:func:`site_dir`): the installed distributions
   that ``pyocclum``'s requirements resolve to (``importlib.metadata``),
   except ``ziglang``: it builds programs (``occlum-cc``) and the native
   helper library, which an instance needs neither of to run. The library is
   built here instead (:func:`native_library_members`: once, for any CPU of
   this architecture, since the image runs on other machines) and shipped
   where ``pyocclum.native`` looks for it when there is no zig; without it the
   file systems fall back to ``hashlib``/``cryptography`` and every call goes
   through Python. Also ``/opt/python/bin/occlum``.
3. **The instance** at ``/instance``: what :mod:`pyocclum.boot.package` puts in
   a tarball (readable by every user), plus empty ``run/``, ``build/cache/`` and
   hostfs folders.

Layers 1 and 2 also hold bytecode compiled for the image (:func:`bytecode`).

Entrypoint: ``/opt/python/bin/python3 -m pyocclum.cli.run run`` in
``/instance``; Cmd: the first program under the first entry point. Every
layer is a deterministic gzip tar (see :func:`pyocclum.boot.package.write_tar`),
so the same build on the same host gives the same archive, byte for byte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import marshal
import os
import platform
import re
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import BinaryIO, NamedTuple

from pyocclum import _log
from pyocclum.boot.instance import Instance
from pyocclum.boot.mounts import BUILD_ROOT
from pyocclum.boot.package import (
    TarMember,
    check_name,
    gzip_writer,
    instance_members,
    release_refusal,
    write_tar,
)
from pyocclum.config.runtime import RuntimeConfig
from pyocclum.errors import InstanceError
from pyocclum.fs.integrityfs import BLOB_DIR, read_manifest

__all__ = ["OciReport", "package_oci", "python_members", "runtime_distributions"]

log = _log.getLogger("pyocclum.boot.oci")

PREFIX = "opt/python"
INSTANCE_DIR = "instance"
#: Distributions pyocclum requires that an instance does not need to run.
LEFT_OUT = frozenset({"ziglang"})
#: Standard library folders (at any depth) a runtime image leaves out.
_STDLIB_SKIP = frozenset({
    "test", "tests", "idlelib", "tkinter", "turtledemo", "ensurepip", "__pycache__",
    "site-packages", "dist-packages", "lib2to3",
})
#: Extension modules left out: test helpers and Tk.
_DYNLOAD_SKIP = re.compile(r"^(_test|_tkinter|xxlimited|_xxtestfuzz|_ctypes_test)")
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
         "s390x": "s390x", "riscv64": "riscv64", "i686": "386"}
_MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
_CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
_LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
_INDEX_TYPE = "application/vnd.oci.image.index.v1+json"


class Layer(NamedTuple):
    digest: str  # "sha256:..." of the gzip blob
    diff_id: str  # "sha256:..." of the uncompressed tar
    size: int  # of the gzip blob
    files: int
    path: Path  # the gzip blob, in the staging folder
    comment: str


class OciReport(NamedTuple):
    path: Path
    size: int
    layers: tuple[Layer, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    left_out: tuple[str, ...]  # distributions left out of the PyOcclum layer
    missing_libraries: tuple[str, ...]  # what ldd could not find (a module needing it fails)


# -- layer 1: Python -----------------------------------------------------------------------
def _python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def python_members() -> tuple[list[TarMember], list[Path]]:
    """The interpreter tree (under :data:`PREFIX`) and the native files it holds
    (for ``ldd``)."""
    base = Path(sys.base_prefix)
    version = _python_version()
    exe = base / "bin" / f"python{version}"
    if not exe.is_file():
        raise InstanceError(f"{exe}: not found: the Python this PyOcclum runs on cannot "
                            "be copied into an image")
    members = [
        TarMember(f"{PREFIX}/bin/python{version}", 0o755, source=exe.resolve()),
        TarMember(f"{PREFIX}/bin/python3", 0o777, link=f"python{version}"),
        TarMember(f"{PREFIX}/bin/python", 0o777, link=f"python{version}"),
    ]
    native = [exe.resolve()]
    lib = base / "lib"
    for path in sorted(lib.glob("libpython*")):
        members.append(_member(path, f"{PREFIX}/lib/{path.name}"))
        if path.is_file() and not path.is_symlink():
            native.append(path)
    stdlib = lib / f"python{version}"
    for path in _walk(stdlib, _keep_stdlib):
        rel = path.relative_to(base).as_posix()
        members.append(_member(path, f"{PREFIX}/{rel}"))
        if path.suffix == ".so" and not path.is_symlink():
            native.append(path)
    members.append(TarMember(f"{PREFIX}/{site_dir(exe)}", 0o755))
    return members, native


def site_dir(exe: Path) -> str:
    """Where the Python ``exe`` looks for installed distributions, relative to its
    prefix (``lib/pythonX.Y/site-packages``; Debian's own Python:
    ``local/lib/pythonX.Y/dist-packages``), so that the copy in the image finds
    them under its own prefix."""
    base = Path(sys.base_prefix)
    default = f"lib/python{_python_version()}/site-packages"
    try:
        out = subprocess.run([str(exe), "-I", "-S", "-c",
                              "import json, site; print(json.dumps(site.getsitepackages()))"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        found = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return default
    for path in found if isinstance(found, list) else []:
        rel = Path(str(path))
        if rel.is_relative_to(base):
            return rel.relative_to(base).as_posix()
    return default


def _keep_stdlib(path: Path, is_dir: bool) -> bool:
    name = path.name
    if is_dir:
        return name not in _STDLIB_SKIP and not name.startswith("config-")
    if path.parent.name == "lib-dynload":
        return not _DYNLOAD_SKIP.match(name)
    return not name.endswith((".pyc", ".pyo"))


def _walk(top: Path, keep: Callable[[Path, bool], bool]) -> Iterator[Path]:
    """Everything below ``top`` that ``keep(path, is_dir)`` keeps (not following links)."""
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if keep(here / d, True))
        for d in dirnames:
            if (here / d).is_symlink():
                yield here / d
        for f in sorted(filenames):
            if keep(here / f, False):
                yield here / f


def _member(path: Path, name: str) -> TarMember:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return TarMember(name, 0o777, link=os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return TarMember(name, stat.S_IMODE(st.st_mode))
    return TarMember(name, stat.S_IMODE(st.st_mode), source=path)


def host_libraries(native: Iterable[Path], copied: Iterable[TarMember]
                   ) -> tuple[list[TarMember], list[str]]:
    """The shared libraries that ``native`` files link (``ldd``) and that are not
    among the ``copied`` members' files, each stored at the path the loader found
    it, and the names that could not be found."""
    found: dict[str, Path] = {}
    missing: set[str] = set()
    files = sorted({str(p) for p in native})
    for start in range(0, len(files), 200):
        try:
            out = subprocess.run(["ldd", *files[start:start + 200]], capture_output=True,
                                 text=True, timeout=120, check=False).stdout
        except (OSError, subprocess.SubprocessError) as e:
            raise InstanceError(f"cannot run ldd to find the libraries Python needs: {e}"
                                ) from None
        for raw in out.splitlines():
            line = raw.strip()
            if "=> not found" in line:
                missing.add(line.split()[0])
                continue
            m = re.match(r"(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$", line)
            if m:
                found[m.group(1)] = Path(m.group(1))
    have = {m.source.resolve() for m in copied if m.source is not None}
    members = []
    for name, path in sorted(found.items()):
        real = path.resolve()
        if real in have:
            continue  # libpython, a wheel's bundled library: in the image already
        members.append(TarMember(name.lstrip("/"), stat.S_IMODE(real.stat().st_mode),
                                 source=real))
    return members, sorted(missing)


# -- layer 2: PyOcclum and its dependencies ------------------------------------------------------
def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions(left_out: Iterable[str] = LEFT_OUT
                          ) -> tuple[list[metadata.Distribution], list[str]]:
    """The installed distributions pyocclum needs at run time (itself first), and the
    names of those left out. Requirements only for an extra are skipped; any other
    marker is kept if the distribution is installed (harmless if it was not needed)."""
    skip = {_dist_key(n) for n in left_out}
    found: dict[str, metadata.Distribution] = {}
    dropped: set[str] = set()
    todo = ["pyocclum"]
    while todo:
        name = todo.pop(0)
        key = _dist_key(name)
        if key in found:
            continue
        if key in skip:
            dropped.add(key)
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if key == "pyocclum":
                raise InstanceError("pyocclum is not installed as a distribution "
                                    "(pip install pyocclum)") from None
            continue  # a marker we did not evaluate excluded it
        found[key] = dist
        for req in dist.requires or []:
            spec, _, marker = req.partition(";")
            if re.search(r"\bextra\b", marker):
                continue
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
            if m:
                todo.append(m.group(1))
    return list(found.values()), sorted(dropped)


def pyocclum_members(dists: Sequence[metadata.Distribution]) -> tuple[list[TarMember], list[Path]]:
    """The files of ``dists`` in the image's site-packages, and their native files.

    PyOcclum itself is copied from the package folder this code runs from (an
    editable install's record does not list it) with its ``METADATA``; the others
    from their installation records, without scripts (their ``#!`` names this
    host's Python) and bytecode."""
    import pyocclum

    version = _python_version()
    site = f"{PREFIX}/{site_dir(Path(sys.base_prefix) / 'bin' / f'python{version}')}"
    members: list[TarMember] = []
    native: list[Path] = []
    package = Path(pyocclum.__file__).resolve().parent
    shipped = package / "native" / "prebuilt"  # native_library_members' place
    for path in _walk(package, lambda p, d: p.name != "__pycache__" and p.suffix != ".pyc"
                      and p != shipped):
        members.append(_member(path, f"{site}/pyocclum/{path.relative_to(package).as_posix()}"))
    own = dists[0]
    info = f"{site}/pyocclum-{own.version}.dist-info"
    for part in ("METADATA", "entry_points.txt", "top_level.txt"):
        text = own.read_text(part)
        if text is not None:
            members.append(TarMember(f"{info}/{part}", 0o644, data=text.encode()))
    members.append(TarMember(f"{info}/INSTALLER", 0o644, data=b"occlum package --oci\n"))
    for dist in dists[1:]:
        for rel in dist.files or []:
            parts = Path(rel).parts
            if ".." in parts or "__pycache__" in parts or rel.suffix == ".pyc":
                continue
            path = Path(str(dist.locate_file(rel)))
            if not os.path.lexists(path):
                continue
            members.append(_member(path, f"{site}/{Path(rel).as_posix()}"))
            if ".so" in path.suffixes and not path.is_symlink():
                native.append(path)
    script = (f"#!/{PREFIX}/bin/python{version}\nimport sys\n"
              "from pyocclum.cli.run import main\nsys.exit(main())\n")
    members.append(TarMember(f"{PREFIX}/bin/occlum", 0o755, data=script.encode()))
    return members, native


def native_library_members() -> tuple[list[TarMember], list[Path]]:
    """The native helper library built for any CPU of this architecture (once, in
    the cache) and its key, where the image's ``pyocclum.native`` looks for them
    when there is no zig (``library.PREBUILT``), and the library (for ``ldd``);
    nothing if it cannot be built here."""
    from pyocclum.native import library

    version = _python_version()
    site = f"{PREFIX}/{site_dir(Path(sys.base_prefix) / 'bin' / f'python{version}')}"
    try:
        folder = library.build_portable()
    except library.NativeUnavailable as e:
        log.warning("the image gets no native library (its file systems fall back): %s", e)
        return [], []
    at = f"{site}/pyocclum/native/{library.PREBUILT.name}"
    lib = folder / library.LIB_NAME
    return [TarMember(at, 0o755), TarMember(f"{at}/{library.LIB_NAME}", 0o755, source=lib),
            TarMember(f"{at}/{library.PREBUILT_KEY}", 0o644,
                      source=folder / library.PREBUILT_KEY)], [lib]


def bytecode(members: Iterable[TarMember]) -> list[TarMember]:
    """A ``__pycache__`` entry for each ``.py`` file of ``members``, compiled here.

    A fresh container cannot reuse bytecode (and with a read-only root it cannot
    write any), so without these every start compiles each module it imports
    (about 2.5 s for ``occlum run`` here). Hash-based pycs (PEP 552) checked
    against the source: deterministic (no mtimes), and a changed source is still
    compiled again. Files that do not compile (templates, Python 2 data) get none.
    """
    tag = sys.implementation.cache_tag
    if tag is None:
        return []
    out = []
    for m in members:
        if not m.name.endswith(".py"):
            continue
        if m.data is not None:
            source = m.data
        elif m.source is not None:
            source = m.source.read_bytes()
        else:
            continue
        try:
            code = compile(source, "/" + m.name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue
        head, _, stem = m.name.rpartition("/")
        pyc = (importlib.util.MAGIC_NUMBER + (0b11).to_bytes(4, "little")
               + importlib.util.source_hash(source) + marshal.dumps(code))
        out.append(TarMember(f"{head}/__pycache__/{stem[:-3]}.{tag}.pyc", 0o644, data=pyc))
    return out


# -- layer 3 and the image -------------------------------------------------------------------------
def default_cmd(inst: Instance, entry_points: Sequence[str]) -> list[str]:
    """The first program (WebAssembly) under the first entry point, preferring one
    that is not a userland utility (``occlum new`` puts ``/bin/sh`` and those in)."""
    import pyocclum

    userland = Path(pyocclum.__file__).resolve().parent / "userland"
    utilities = {p.stem for p in (userland / "bin").glob("*.c")} | {"sh", "["}
    manifest = read_manifest(inst.path / BUILD_ROOT)
    first = entry_points[0].rstrip("/") if entry_points else ""
    programs = []
    for e in sorted(manifest.entries, key=lambda e: e.path):
        path = "/" + e.path
        if e.type != "file" or e.root is None or not path.startswith(first + "/"):
            continue
        with (inst.path / BUILD_ROOT / BLOB_DIR / e.root.hex()).open("rb") as f:
            if f.read(4) == b"\0asm":
                programs.append(path)
    ours = [p for p in programs if p.rsplit("/", 1)[1] not in utilities]
    if ours or programs:
        return [(ours or programs)[0]]
    raise InstanceError(f"no program under the first entry point ({first or '/'}) "
                        "to start by default")


class _Hashing(io.RawIOBase):
    """A writer that hashes and counts what passes through it to ``out``."""

    def __init__(self, out: BinaryIO | io.IOBase) -> None:
        super().__init__()
        self.out = out
        self.size = 0
        self.hash = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data)
        self.hash.update(view)
        self.size += view.nbytes
        self.out.write(view)
        return view.nbytes


def _write_layer(members: list[TarMember], path: Path, comment: str) -> Layer:
    with path.open("wb") as raw:
        outer = _Hashing(raw)
        with gzip_writer(outer) as gz:
            inner = _Hashing(gz)
            count = write_tar(members, inner)
    return Layer("sha256:" + outer.hash.hexdigest(), "sha256:" + inner.hash.hexdigest(),
                 outer.size, count, path, comment)


def _json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _host_folders(config: RuntimeConfig) -> list[str]:
    """The instance's hostfs folders (``host``): made empty in the image, so that a
    user other than root finds them (a boot makes missing ones)."""
    found = set()
    for spec in config.mounts:
        layers = [spec, *spec.layers] if spec.type == "unionfs" else [spec]
        for m in layers:
            if m.type == "hostfs" and m.source:
                rel = os.path.normpath(m.source)
                if not rel.startswith(("/", "..")) and rel != ".":
                    found.add(Path(rel).as_posix())
    return sorted(found)


def package_oci(inst: Instance, name: str, out_dir: Path, *, debug: bool = False) -> OciReport:
    """Write ``out_dir/NAME-oci.tar``, an OCI image archive of ``inst`` (see the module
    doc). Refuses a non-release build unless ``debug`` (InstanceError)."""
    check_name(name)
    config = inst.verified_config()
    members_c, sig = instance_members(inst, INSTANCE_DIR)
    if not debug:
        why = release_refusal(sig)
        if why:
            raise InstanceError(why)
    # Readable by any user (a pod may run as non-root): nothing in it is secret.
    members_c = [m if m.source is None else replace(m, mode=m.mode | 0o444) for m in members_c]
    members_c += [TarMember(f"{INSTANCE_DIR}/{folder}", 0o755)
                  for folder in ("run", "build/cache", *_host_folders(config))]
    cmd = default_cmd(inst, config.entry_points)
    dists, dropped = runtime_distributions()
    members_b, native_b = pyocclum_members(dists)
    shipped, shipped_native = native_library_members()
    members_b += shipped
    native_b += shipped_native
    members_a, native_a = python_members()
    libs, missing = host_libraries([*native_a, *native_b], [*members_a, *members_b])
    members_a += libs
    members_a += [TarMember("tmp", 0o1777), TarMember("root", 0o700)]
    members_a += bytecode(members_a)
    members_b += bytecode(members_b)
    version = _python_version()
    entrypoint = [f"/{PREFIX}/bin/python{version}", "-m", "pyocclum.cli.run", "run"]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}-oci.tar"
    with tempfile.TemporaryDirectory(prefix=".oci-", dir=out_dir) as tmpdir:
        staging = Path(tmpdir)
        deps = ", ".join(f"{d.metadata['Name']} {d.version}" for d in dists)
        layers = (
            _write_layer(members_a, staging / "python.tar.gz",
                         f"Python {platform.python_version()} ({sys.base_prefix}) and the "
                         "host libraries it links"),
            _write_layer(members_b, staging / "pyocclum.tar.gz",
                         f"PyOcclum and its runtime dependencies: {deps}"),
            _write_layer(members_c, staging / "instance.tar.gz",
                         f"the instance {name} (MRENCLAVE {sig.mrenclave.hex()})"),
        )
        arch = _ARCH.get(platform.machine(), platform.machine())
        image_config = _json({
            "architecture": arch,
            "os": "linux",
            "config": {
                "Entrypoint": entrypoint,
                "Cmd": cmd,
                "WorkingDir": f"/{INSTANCE_DIR}",
                "Env": [
                    f"PATH=/{PREFIX}/bin:/usr/local/bin:/usr/bin:/bin",
                    f"LD_LIBRARY_PATH=/{PREFIX}/lib",
                    "HOME=/root",
                    "LANG=C.UTF-8",
                ],
                "Labels": {"org.pyocclum.mrenclave": sig.mrenclave.hex(),
                           "org.pyocclum.mrsigner": sig.mrsigner.hex()},
            },
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
            "history": [{"created_by": "occlum package --oci", "comment": layer.comment}
                        for layer in layers],
        })
        config_digest = "sha256:" + hashlib.sha256(image_config).hexdigest()
        manifest = _json({
            "schemaVersion": 2,
            "mediaType": _MANIFEST_TYPE,
            "config": {"mediaType": _CONFIG_TYPE, "digest": config_digest,
                       "size": len(image_config)},
            "layers": [{"mediaType": _LAYER_TYPE, "digest": layer.digest, "size": layer.size}
                       for layer in layers],
            "annotations": {"org.opencontainers.image.title": name},
        })
        manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        index = _json({
            "schemaVersion": 2,
            "mediaType": _INDEX_TYPE,
            "manifests": [{
                "mediaType": _MANIFEST_TYPE, "digest": manifest_digest, "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": "latest",
                                "io.containerd.image.name": f"localhost/{name.lower()}:latest"},
            }],
        })

        def blob(digest: str) -> str:
            return "blobs/sha256/" + digest.removeprefix("sha256:")

        archive = [
            TarMember("oci-layout", 0o644, data=_json({"imageLayoutVersion": "1.0.0"})),
            TarMember("index.json", 0o644, data=index),
            TarMember(blob(manifest_digest), 0o644, data=manifest),
            TarMember(blob(config_digest), 0o644, data=image_config),
            *(TarMember(blob(layer.digest), 0o644, source=layer.path) for layer in layers),
        ]
        tmp = staging / "archive.tar"
        with tmp.open("wb") as f:
            write_tar(archive, f)
        tmp.replace(target)
    return OciReport(target, target.stat().st_size, layers, tuple(entrypoint), tuple(cmd),
                     tuple(dropped), tuple(missing))

