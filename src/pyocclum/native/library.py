"""Building and loading the native helper library (``pyocclum_native.zig``
beside this file): one shared library for every job (``aead.py``: AES-GCM of
sefs nodes; ``wasm/native_calls.py``: the WASI calls served without Python),
loaded once per process by :func:`shared`.

It is built on first use (a few seconds, once per machine; the call that
needs it waits) with the ``ziglang`` package into ``$PYOCCLUM_CACHE_DIR``
(default ``$XDG_CACHE_HOME/pyocclum``, default ``~/.cache/pyocclum``)
``/native-<key>/``, where the key covers the source, the zig version,
the machine, the C library and the CPU (it is built with
``-mcpu=native``). Like libocclum (``cli/cc.py``) it is built in a
temporary sibling folder renamed into place, so two processes building at
once are safe and a finished folder is never rebuilt. Before loading, the
cache folders and the library must not be writable by group or others
and must belong to this user or root (:func:`built`); :class:`NativeLibrary`
loads it with ``ctypes`` (which releases the GIL for every call) and checks
its ABI version.

Where there is no zig (an OCI image made by ``occlum package --oci``, which
leaves the ``ziglang`` package out), a library shipped in the package's
``prebuilt/`` folder is used instead (:func:`prebuilt`): built by the packager
(:func:`build_portable`) for any CPU of the architecture (the image runs on
other machines), with a ``KEY`` that must match these sources, the ABI, the
platform and the C library (:func:`portable_key`), and the same ownership
checks. AES-GCM (libgcrypt's or OpenSSL's, which pick their instructions at
run time) and the WASI calls use it as they use a native build.

Start-up matters (every ``occlum run`` mounts sefs and serves WASI calls
through the library): each job's self-test runs once per built library (and
per AES-GCM library), and is recorded next to the library (``self-test-*.ok``, holding
the hash of what was tested, :func:`self_tested`), so a later process only
hashes the library file; build tools are imported only to build.

The native library is part of the trusted runtime like the Python sources:
whoever can write the cache folder (only its owner, as checked above) can
change what it computes, as whoever can write the installed package can.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.util
import os
import stat
import sys
import threading
from pathlib import Path

from pyocclum import _log

__all__ = [
    "ABI",
    "NATIVE_SWITCH",
    "SOURCE",
    "NativeLibrary",
    "NativeUnavailable",
    "build_key",
    "build_portable",
    "built",
    "cache_root",
    "load",
    "native_path",
    "prebuilt",
    "record_self_test",
    "self_tested",
    "shared",
    "switched_off",
    "threads",
]

log = _log.getLogger("pyocclum.native")

#: Version of the library's exported functions (``pyocclum_native_abi()``).
ABI = 9
#: Set to ``0`` to never use the native library (sefs and the WASI calls).
NATIVE_SWITCH = "PYOCCLUM_NATIVE"
SOURCE = Path(__file__).with_name("pyocclum_native.zig")
#: The other zig files the library is built from (beside this file, imported by ``SOURCE``).
PARTS = (Path(__file__).with_name("wasi_calls.zig"),)
LIB_NAME = "libpyocclum_native.so"
BUILD_FLAGS = ("build-lib", "-dynamic", "-OReleaseFast", "-mcpu=native", "-lc")
#: The library shipped in an OCI image (``occlum package --oci``), which has no
#: zig: for any CPU of the architecture (the image runs on other machines).
PORTABLE_FLAGS = ("build-lib", "-dynamic", "-OReleaseFast", "-mcpu=baseline", "-lc")
#: Where a shipped library lies in the installed package, with its key.
PREBUILT = Path(__file__).with_name("prebuilt")
PREBUILT_KEY = "KEY"
#: Most threads one call uses.
MAX_THREADS = 8
BUILD_TIMEOUT = 600


class NativeUnavailable(Exception):
    """The native library could not be built, loaded or trusted."""


def threads() -> int:
    """Threads one native call may use: the CPUs this process may run on."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_THREADS))


class NativeLibrary:
    """The loaded library: its exported functions with their ctypes prototypes
    (each call releases the GIL), ``path`` and the ``threads`` one call uses."""

    def __init__(self, path: Path) -> None:
        try:
            lib = ctypes.CDLL(str(path))
            abi = lib.pyocclum_native_abi
            new_bytes = ctypes.pythonapi.PyBytes_FromStringAndSize
        except (OSError, AttributeError) as e:
            raise NativeUnavailable(f"cannot load {path}: {e}") from e
        abi.argtypes = []
        abi.restype = ctypes.c_uint32
        if abi() != ABI:
            raise NativeUnavailable(f"{path} has ABI {abi()}, expected {ABI}")
        new_bytes.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
        new_bytes.restype = ctypes.py_object
        try:
            sopen = lib.pyocclum_sefs_open
            sseal = lib.pyocclum_sefs_seal
            sbegin = lib.pyocclum_sefs_open_begin
            send = lib.pyocclum_sefs_open_end
            gseal = lib.pyocclum_gcm_seal
            gopen = lib.pyocclum_gcm_open
            hkdf = lib.pyocclum_hkdf_sha256
        except AttributeError as e:
            raise NativeUnavailable(f"cannot load {path}: {e}") from e
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        sopen.argtypes = [vp, ctypes.c_int, vp, vp, ctypes.c_uint64, sz, vp, vp, vp, sz,
                          ctypes.POINTER(ctypes.c_uint32)]
        sopen.restype = ctypes.c_ssize_t
        sseal.argtypes = [vp, vp, vp, vp, ctypes.c_uint64, ctypes.c_uint32, sz, vp, vp, vp, vp, sz]
        sseal.restype = sz
        sbegin.argtypes = sopen.argtypes[:-1]
        sbegin.restype = vp
        send.argtypes = [vp, ctypes.POINTER(ctypes.c_uint32)]
        send.restype = ctypes.c_ssize_t
        gseal.argtypes = [vp, vp, vp, vp, sz, vp, sz, vp, vp]
        gseal.restype = ctypes.c_int
        gopen.argtypes = gseal.argtypes
        gopen.restype = ctypes.c_int
        hkdf.argtypes = [vp, sz, vp, sz, vp, sz]
        hkdf.restype = ctypes.c_int
        self._gcm_seal = gseal
        self._gcm_open = gopen
        self._hkdf_sha256 = hkdf
        self._sefs_open_begin = sbegin
        self._sefs_open_end = send
        self._sefs_open = sopen
        self._sefs_seal = sseal
        self.path = path
        self._lib = lib
        self._new_bytes = new_bytes
        self.threads = threads()
        #: Built for any CPU (:data:`PORTABLE_FLAGS`), as shipped in an OCI image.
        self.portable = (path.parent / PREBUILT_KEY).is_file()

    def address(self, name: str) -> int:
        """The address of the exported function ``name`` (to hand to C code,
        such as wasmtime, that calls it); ``NativeUnavailable`` if there is none."""
        try:
            addr = ctypes.cast(getattr(self._lib, name), ctypes.c_void_p).value
        except AttributeError as e:
            raise NativeUnavailable(f"{self.path} has no {name}: {e}") from e
        if not addr:
            raise NativeUnavailable(f"{self.path} has no {name}")
        return addr


def cache_root() -> Path:
    """$PYOCCLUM_CACHE_DIR, else $XDG_CACHE_HOME/pyocclum, else ~/.cache/pyocclum
    (the same place as ``cli/cc.py``'s libocclum)."""
    override = os.environ.get("PYOCCLUM_CACHE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pyocclum"


def _zig_version() -> str:
    """The ``ziglang`` package's version, from its ``.dist-info`` folder's name
    (``importlib.metadata`` costs about 20 ms of imports at every start-up)."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        return "unknown"
    site = Path(spec.origin).parent.parent
    found = sorted(p.name for p in site.glob("ziglang-*.dist-info"))
    return found[-1].removeprefix("ziglang-").removesuffix(".dist-info") if found else "unknown"


def _libc_version() -> str:
    """The C library the build links against (e.g. ``glibc 2.36``)."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        return ""


def _cpu_fingerprint() -> str:
    """What ``-mcpu=native`` depends on: the CPU's identity and feature flags."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 20)
    except OSError:
        return os.uname().machine
    first = text.split("\n\n", 1)[0]
    keep = ("vendor_id", "cpu family", "model", "model name", "flags", "Features",
            "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "isa")
    lines = [ln for ln in first.splitlines() if ln.split(":", 1)[0].strip() in keep]
    return "\n".join(lines) or os.uname().machine


def _parts() -> list[tuple[str, bytes]]:
    """The name and bytes of each of :data:`PARTS`."""
    try:
        return [(p.name, p.read_bytes()) for p in PARTS]
    except OSError as e:
        raise NativeUnavailable(f"missing source: {e}") from e


def build_key(source: bytes) -> str:
    """Hash of everything that determines the built library (``source`` is
    :data:`SOURCE`'s bytes; :data:`PARTS` are read here)."""
    h = hashlib.sha256()
    for part in (str(ABI), _zig_version(), sys.platform, os.uname().machine, _libc_version(),
                 _cpu_fingerprint(), *BUILD_FLAGS):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for data in (source, *(data for _, data in _parts())):
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def portable_key(source: bytes) -> str:
    """Hash of what a portable library (:data:`PORTABLE_FLAGS`) must match where it
    runs: the sources, the ABI, the platform and the C library (not the CPU, and
    not zig's version, which a host without zig cannot know)."""
    h = hashlib.sha256(b"portable\0")
    for part in (str(ABI), sys.platform, os.uname().machine, _libc_version(), *PORTABLE_FLAGS):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for data in (source, *(data for _, data in _parts())):
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def native_path(source: bytes, root: Path | None = None) -> Path:
    """The library file for ``source`` (built or not) under ``root``."""
    return (cache_root() if root is None else root) / f"native-{build_key(source)}" / LIB_NAME


def _build(folder: Path, source: bytes, flags: tuple[str, ...] = BUILD_FLAGS,
           key: str | None = None) -> None:
    """Build the library into ``folder`` (which must not exist yet) atomically
    (with ``key``: written beside it as :data:`PREBUILT_KEY`)."""
    import shutil
    import subprocess
    import tempfile

    folder.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        (tmp / SOURCE.name).write_bytes(source)
        for name, data in _parts():
            (tmp / name).write_bytes(data)
        if key is not None:
            (tmp / PREBUILT_KEY).write_text(key + "\n")
        cmd = [sys.executable, "-m", "ziglang", *flags, SOURCE.name,
               f"-femit-bin={LIB_NAME}"]
        try:
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=BUILD_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as e:
            raise NativeUnavailable(f"cannot run zig: {e}") from e
        if proc.returncode != 0 or not (tmp / LIB_NAME).is_file():
            raise NativeUnavailable(
                f"zig failed ({proc.returncode}): {(proc.stdout + proc.stderr).strip()[-2000:]}")
        (tmp / LIB_NAME).chmod(0o755)  # whatever the umask: see _check_owner
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
        try:
            tmp.rename(folder)
        except OSError:
            if not (folder / LIB_NAME).is_file():  # someone else's build won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_owner(path: Path) -> None:
    """Refuse what another user could have written (as ssh does for its keys)."""
    if not hasattr(os, "getuid"):
        return
    st = os.lstat(path)
    if st.st_uid not in (os.getuid(), 0):
        raise NativeUnavailable(f"{path} belongs to uid {st.st_uid}")
    sticky_dir = stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX
    if st.st_mode & 0o022 and not sticky_dir:
        raise NativeUnavailable(f"{path} is writable by group or others")



def built(root: Path | None = None) -> Path:
    """The library file under ``root`` (default :func:`cache_root`), built
    first if needed, and checked to be writable by this user or root only;
    ``NativeUnavailable`` otherwise."""
    try:
        source = SOURCE.read_bytes()
    except OSError as e:
        raise NativeUnavailable(f"no source {SOURCE}: {e}") from e
    path = native_path(source, root)
    try:
        if not path.is_file():
            if importlib.util.find_spec("ziglang") is None:  # as in an OCI image
                shipped = prebuilt(source)
                if shipped is not None:
                    return shipped
            _build(path.parent, source)
        for p in (path.parent.parent, path.parent, path):
            _check_owner(p)
    except OSError as e:
        raise NativeUnavailable(f"cannot build or check {path}: {e}") from e
    return path


def prebuilt(source: bytes, folder: Path | None = None) -> Path | None:
    """The portable library shipped in ``folder`` (default :data:`PREBUILT`),
    if there is one for exactly these sources, ABI, platform and C library
    (:func:`portable_key`) that only its owner or root can write; else None."""
    folder = PREBUILT if folder is None else folder
    path = folder / LIB_NAME
    try:
        key = (folder / PREBUILT_KEY).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if key != portable_key(source) or not path.is_file():
        log.debug("%s: not for these sources and this platform", path)
        return None
    try:
        for p in (folder, path):
            _check_owner(p)
    except (OSError, NativeUnavailable) as e:
        log.debug("%s: refused: %s", path, e)
        return None
    return path


def build_portable(root: Path | None = None) -> Path:
    """Build (once, into ``root``, default :func:`cache_root`) the portable
    library, to ship where there is no zig: its folder, holding it and its
    :data:`PREBUILT_KEY`. ``NativeUnavailable`` if it cannot be built."""
    try:
        source = SOURCE.read_bytes()
    except OSError as e:
        raise NativeUnavailable(f"no source {SOURCE}: {e}") from e
    key = portable_key(source)
    folder = (cache_root() if root is None else root) / f"portable-{key}"
    try:
        if not (folder / LIB_NAME).is_file():
            _build(folder, source, PORTABLE_FLAGS, key)
    except OSError as e:
        raise NativeUnavailable(f"cannot build {folder}: {e}") from e
    return folder


def _self_test_digest(library: Path, context: str) -> str:
    with library.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() + " " + context


def _markers(library: Path) -> Path:
    """Where the self-test records of ``library`` go: beside it, but for a shipped
    one (read-only in an image), in the cache."""
    if library.parent == PREBUILT:
        return cache_root() / "prebuilt-self-tests"
    return library.parent


def self_tested(library: Path, name: str, context: str = "") -> bool:
    """Has this exact library file passed self-test ``name`` (under ``context``)?"""
    try:
        marker = (_markers(library) / f"self-test-{name}.ok").read_text()
        return marker == _self_test_digest(library, context)
    except (OSError, UnicodeDecodeError):
        return False


def record_self_test(library: Path, name: str, context: str = "") -> None:
    """Note that ``library`` passed self-test ``name`` (best effort, atomic)."""
    marker = _markers(library) / f"self-test-{name}.ok"
    tmp = marker.with_name(f".{marker.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        if library.parent == PREBUILT:
            marker.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        tmp.write_text(_self_test_digest(library, context))
        tmp.chmod(0o644)
        os.replace(tmp, marker)
    except OSError as e:
        log.debug("cannot record the self-test in %s: %s", marker, e)
        with contextlib.suppress(OSError):
            tmp.unlink()



def switched_off(*names: str) -> str | None:
    """The first of the environment variables ``names`` that says ``0``, if any."""
    for name in names:
        if os.environ.get(name, "1").strip() == "0":
            return name
    return None


def load(root: Path | None = None) -> NativeLibrary:
    """Build (once) and load the library under ``root`` (default
    :func:`cache_root`); ``NativeUnavailable`` otherwise. Each job self-tests
    what it uses of it (``aead.py``, ``wasm/native_calls.py``)."""
    return NativeLibrary(built(root))


_lock = threading.Lock()
_tried = False
_shared: NativeLibrary | None = None


def shared() -> NativeLibrary | None:
    """The process's native library, built and loaded on the first call
    (whatever the switches say: each job reads its own); ``None`` (after a
    debug log line) when it cannot be had. Every job of the library uses this one."""
    global _tried, _shared
    if _tried:
        return _shared
    with _lock:
        if not _tried:
            try:
                _shared = load()
                log.debug("native library: %s, %d threads", _shared.path, _shared.threads)
            except NativeUnavailable as e:
                log.debug("native library unavailable: %s", e)
            _tried = True
    return _shared
