"""An Occlum instance folder, and the Python API the ``occlum`` CLI is a thin layer over.

    result = Instance("my_instance").run(["/bin/hello_world"], capture=True)
    print(result.exit_code, result.stdout)

Layout (as Occlum's): ``Occlum.json``, ``image/`` (what the user puts in),
``build/`` (made by :meth:`Instance.build`: the staged image in
``build/mount/__ROOT``, authenticated native code in ``build/cache``, the
config it was built with), ``run/`` (runtime state, the writable layer).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pyocclum import _log
from pyocclum._version import __version__
from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import shell_exit_code
from pyocclum.boot.bootstate import BootState
from pyocclum.boot.etc import copy_host_etc, hostname_inside
from pyocclum.boot.hostsignals import forward_host_signals
from pyocclum.boot.initra import (
    SECRETS_DIR,
    InitRaSecrets,
    keyed_root,
    merge_secret_env,
    secrets_fs,
)
from pyocclum.boot.initra import attest as attest_init_ra
from pyocclum.boot.mounts import BUILD_ROOT, BootAttester, MountEnv, MountSet
from pyocclum.boot.program import (
    ProgramNotStarted,
    ending_message,
    entry_point_error,
    start_program,
)
from pyocclum.boot.userdata import user_data_path
from pyocclum.config.runtime import CONFIG_FILE, IMAGE_DIR, RuntimeConfig
from pyocclum.crypto import Identity, load_or_create_secret
from pyocclum.errors import ConfigError, ImageError, InstanceError, KernelError
from pyocclum.fs.integrityfs import BLOB_DIR, MANIFEST_NAME
from pyocclum.fs.stdio import BufferStream, BytesInputStream, HostFdStream
from pyocclum.fs.types import FileSystem, Stream
from pyocclum.fs.vfs import Vfs
from pyocclum.image.identity import (
    SigStruct,
    compute_mrenclave,
    load_or_create_dev_key,
    load_signing_key,
    public_key_of,
    sign,
)
from pyocclum.kernel import Kernel, Limits
from pyocclum.kernel.kernel import TraceSink
from pyocclum.kernel.process import current_process
from pyocclum.kernel.procsource import KernelProcSource
from pyocclum.wasm import CodeCache, WasmExecutor
from pyocclum.wasm.engine import WASM_MAGIC, check_wasm

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pyocclum.config.model import OcclumConfig
    from pyocclum.fs.integrityfs import ImageManifest

log = _log.getLogger("pyocclum.boot")

CODE_CACHE = Path("build/cache")
BUILT_CONFIG = Path("build/runtime.json")
SIGSTRUCT = Path("build/sigstruct.json")
RUN_DIR = Path("run")
#: Which build the writable root was last written against (``occlum status``).
ROOT_IMAGE_NOTE = RUN_DIR / "root-image.json"
#: Exit code when the program could not be started (as a shell's "command not found").
EXIT_NOT_STARTED = 127
#: How long taking the run lock keeps trying before it refuses: ``occlum status``
#: holds the lock (shared) for an instant to see whether anyone runs, and a run
#: that starts in that instant must not be refused for it.
RUN_LOCK_GRACE = 0.25


def dev_key_path() -> Path:
    """The per-user development signing key (``PYOCCLUM_DEV_KEY`` overrides)."""
    return user_data_path("PYOCCLUM_DEV_KEY", "dev-signing-key.pem")


def platform_secret_path() -> Path:
    """Where the SIM-mode platform secret lives (``PYOCCLUM_PLATFORM_SECRET`` overrides)."""
    return user_data_path("PYOCCLUM_PLATFORM_SECRET", "platform-secret")


class BuildReport(NamedTuple):
    files: int
    modules: tuple[str, ...]
    compiled: tuple[str, ...]
    mrenclave: str
    mrsigner: str
    #: The per-user development key was created by this build (no --sign-key).
    dev_key_created: bool = False


class RunResult(NamedTuple):
    """How a run ended. ``status`` uses Linux ``wait4`` encoding (-1: never started)."""

    status: int
    exit_code: int
    stdout: bytes | None = None
    stderr: bytes | None = None
    #: Why it could not start, or which signal killed it and why; "" otherwise.
    error: str = ""


class Booted(NamedTuple):
    """A booted LibOS (:meth:`Instance.booted`): its kernel and the verified config."""

    kernel: Kernel
    config: RuntimeConfig
    #: ``init_ra.env``'s variables, with the values the KBS gave (empty without init_ra).
    secret_env: tuple[tuple[str, str], ...] = ()

    def env_for(self, host_env: Mapping[str, str]) -> list[tuple[str, str]]:
        """The environment of a process started from outside (``occlum exec``): as
        ``occlum run``'s entry process gets (``env.default``, the passed
        ``env.untrusted`` variables of ``host_env``, then ``init_ra.env``'s)."""
        return merge_secret_env(self.config.env_for_first_process(host_env), self.secret_env)


#: Called before/after each module compiles: (image path, index, total).
Progress = Callable[[str, int, int], None]


class Instance:
    """One instance folder."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).resolve()
        self._kernel: Kernel | None = None  # the kernel being booted (for procfs)
        self._sig: SigStruct | None = None  # the verified identity being booted
        self._state: BootState | None = None  # the cached verified state of that build
        self._known: ImageManifest | None = None  # the image manifest it holds
        self._user_space = 0

    # -- state ----------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    def require_initialized(self) -> None:
        if not self.config_file.is_file():
            raise InstanceError(
                f"{self.path} is not an Occlum instance (no {CONFIG_FILE}); "
                "create one with `occlum new DIR` or `occlum init`"
            )

    def is_built(self) -> bool:
        return (self.path / BUILT_CONFIG).is_file() and (self.path / BUILD_ROOT).is_dir()

    def status(self) -> str:
        """``uninitialized``, ``initialized``, ``built`` or ``running`` (as ``occlum status``)."""
        if not self.config_file.is_file():
            return "uninitialized"
        if not self.is_built():
            return "initialized"
        lock = self.path / RUN_DIR / ".lock"
        try:
            f = lock.open("a") if lock.exists() else None
        except OSError:
            # Not a file this folder's boots could lock (a directory, another
            # owner's): no boot of ours holds it.
            return "built"
        if f is not None:
            with f:
                # Shared: probes at the same time do not see each other as a run.
                try:
                    fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return "running"
                fcntl.flock(f, fcntl.LOCK_UN)
        return "built"

    def config(self) -> OcclumConfig:
        """``Occlum.json``, validated (ConfigError names the key path)."""
        from pyocclum.config.model import load_config

        self.require_initialized()
        return load_config(self.config_file)

    # -- build ------------------------------------------------------------------------
    def build(
        self,
        *,
        force: bool = False,
        progress: Progress | None = None,
        sign_key: Path | None = None,
    ) -> BuildReport:
        """Build ``image/`` into the integrity image in ``build/``, precompile every
        module in it, measure the build and sign the measurement.

        Incremental: unchanged files are not stored and modules whose
        authenticated artifact exists are not compiled again (``force`` redoes
        all). Without ``sign_key``, the per-user development key signs (created
        on first use; :attr:`BuildReport.dev_key_created` says so).

        A build that fails after it began to write ``build/`` (an invalid module,
        a file it cannot write) leaves the instance unbuilt: the last build's image
        may be replaced already, so ``occlum run`` asks for a build.
        """
        self.require_initialized()
        config_bytes = self.config_file.read_bytes()
        config = self.config()  # validate before touching build/
        key, dev_key_created = self._signing_key(sign_key)
        image = self.path / IMAGE_DIR
        if not image.is_dir():
            raise InstanceError(f"{image} is missing: run `occlum init --force` to recreate it")
        self._run_dir()
        try:
            return self._build_files(config, config_bytes, key, dev_key_created,
                                     force=force, progress=progress)
        except BaseException:
            # build/ may hold the new image already, without the last build's files:
            # that build is gone, so the instance is not built until a build succeeds
            # (`occlum run` says so, rather than that the image was changed).
            with contextlib.suppress(OSError):
                (self.path / BUILT_CONFIG).unlink()
            raise

    def _build_files(
        self, config: OcclumConfig, config_bytes: bytes, key: Ed25519PrivateKey,
        dev_key_created: bool, *, force: bool, progress: Progress | None,
    ) -> BuildReport:
        """:meth:`build` once ``Occlum.json`` and the signing key are good: the part
        that writes ``build/``."""
        image = self.path / IMAGE_DIR
        from pyocclum.image.manifest import build_image

        root_dir = self.path / BUILD_ROOT
        if force or (root_dir.exists() and not (root_dir / MANIFEST_NAME).exists()):
            import shutil  # only here: start-up does not pay for it
            shutil.rmtree(self.path / "build", ignore_errors=True)
        manifest = build_image(image, root_dir)
        runtime = RuntimeConfig.from_config(
            config, hashlib.sha256(config_bytes).hexdigest(), image_root=manifest.root_hex
        )
        runtime_bytes = runtime.to_json().encode()
        mrenclave = compute_mrenclave(
            __version__, runtime_bytes, manifest.root, runtime.entry_points
        )
        previous = self._code_cache(self._previous_measurement())
        cache = self._code_cache(mrenclave)
        executor = WasmExecutor()
        wanted: dict[str, tuple[str, Path]] = {}
        modules = []
        for entry in manifest.entries:
            if entry.type != "file" or entry.root is None or entry.size < 8:
                continue
            blob = root_dir / BLOB_DIR / entry.root.hex()
            with blob.open("rb") as f:
                if f.read(4) != WASM_MAGIC:
                    continue
            modules.append(entry.path)
            data = blob.read_bytes()
            wanted.setdefault(hashlib.sha256(data).hexdigest(), (entry.path, blob))
        # Artifacts are MAC'd under a key bound to MRENCLAVE: carry over what the
        # previous build authenticated, compile the rest.
        todo = [
            (digest, rel, blob)
            for digest, (rel, blob) in sorted(wanted.items(), key=lambda kv: kv[1][0])
            if cache.load(executor.engine, digest, probe=True) is None
            and not (cache.adopt(previous, digest) and cache.load(executor.engine, digest))
        ]
        compiled = []
        if todo:
            cache.prepare()  # before any program: a bad cache folder is not theirs
        for index, (digest, rel, blob) in enumerate(todo):
            if progress is not None:
                progress(rel, index, len(todo))
            data = blob.read_bytes()
            try:
                check_wasm(data, "/" + rel)
                cache.compile_and_store(executor.engine, data, "/" + rel, digest)
            except Exception as e:
                raise InstanceError(f"cannot build image/{rel}: {e}") from None
            compiled.append(rel)
        if progress is not None:
            progress("", len(todo), len(todo))
        for stale in cache.entries() - set(wanted):
            cache.remove(stale)
        meta = config.metadata
        sig = sign(
            SigStruct(mrenclave, meta.product_id, meta.version_number, meta.debuggable,
                      public_key_of(key)),
            key,
        )
        (self.path / BUILT_CONFIG).write_bytes(runtime_bytes)
        (self.path / SIGSTRUCT).write_text(sig.to_json())
        return BuildReport(
            files=len(manifest.entries), modules=tuple(modules), compiled=tuple(compiled),
            mrenclave=mrenclave.hex(), mrsigner=sig.mrsigner.hex(),
            dev_key_created=dev_key_created,
        )

    def _signing_key(self, sign_key: Path | None) -> tuple[Ed25519PrivateKey, bool]:
        if sign_key is not None:
            return load_signing_key(sign_key), False
        return load_or_create_dev_key(dev_key_path())

    def identity(self) -> SigStruct:
        """The signed identity of the last build (checked: ImageError if tampered)."""
        if not self.is_built():
            raise InstanceError(f"{self.path} has not been built: run `occlum build` first")
        try:
            raw = (self.path / SIGSTRUCT).read_bytes()
        except OSError as e:
            raise InstanceError(
                f"{SIGSTRUCT}: cannot read ({e.strerror or e}): run `occlum build` again"
            ) from None
        sig = _parse_sigstruct(raw)
        sig.verify()
        return sig

    def _code_cache(self, measurement: bytes) -> CodeCache:
        """The native-code cache whose MAC key is bound to ``measurement`` (MRENCLAVE)."""
        secret = load_or_create_secret(platform_secret_path())
        return CodeCache(self.path / CODE_CACHE, secret, measurement)

    def _previous_measurement(self) -> bytes:
        """MRENCLAVE of the last build, if it left a readable signature structure.

        Unverified on purpose: it only selects a MAC key, and an artifact is
        carried over only if its tag verifies under that key.
        """
        try:
            return self.identity().mrenclave
        except (InstanceError, ImageError, OSError):
            return b""

    # -- run ----------------------------------------------------------------------------
    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        capture: bool = False,
        host_env: Mapping[str, str] | None = None,
        strace: TraceSink | None = None,
        user_key: bytes | None = None,
        cwd: str = "/",
    ) -> RunResult:
        """Boot the LibOS, run ``argv[0]`` as process 1, wait for it, shut down.

        With ``capture``, stdout and stderr are collected and returned, and
        stdin is ``stdin`` (empty if None); without it, the process uses this
        host process's fds 0-2 (``stdin`` still replaces fd 0 if given).
        ``host_env`` is where ``env.untrusted`` variables come from
        (default ``os.environ``), and ``OCCLUM_KBS_URL`` too. ``user_key``
        (``occlum run --key``) is the key of every sefs that does not name its
        own (see :mod:`pyocclum.boot.mounts`). ``cwd`` (absolute) is process 1's
        current directory; if it is not a directory inside, the program is not
        started.

        With ``init_ra`` in the config, the LibOS first attests to the KBS
        (:mod:`pyocclum.boot.initra`): before the run lock is taken and before
        anything is mounted, so a refusal (InstanceError) leaves ``run/`` as it was.
        """
        if not argv:
            raise ValueError("argv must name the program")
        config = self.verified_config()
        path = argv[0]
        refused = entry_point_error(path, config)
        if refused:
            return _not_started(refused)
        host_env = os.environ if host_env is None else host_env
        secrets = self._attest(config, host_env)
        with self._run_lock():
            out = BufferStream() if capture else None
            err = BufferStream() if capture else None
            stdin_stream: Stream
            if stdin is not None or capture:
                stdin_stream = BytesInputStream(stdin or b"")
            else:
                stdin_stream = HostFdStream(0, readable=True, writable=False)
            stdout_stream: Stream = out or HostFdStream(1, readable=False, writable=True)
            stderr_stream: Stream = err or HostFdStream(2, readable=False, writable=True)
            console = None if capture else _console(stderr_stream)
            kernel, mounts = self._boot(config, console, strace, user_key, secrets)
            try:
                env = merge_secret_env(config.env_for_first_process(host_env),
                                       secrets.env if secrets else ())
                with forward_host_signals(kernel):
                    try:
                        proc = start_program(
                            kernel, config, argv, env,
                            (stdin_stream, stdout_stream, stderr_stream), cwd=cwd,
                        )
                    except ProgramNotStarted as e:
                        return _not_started(str(e), out, err)
                    proc.done.wait()
                # The entry process is the instance's life: what it leaves running stops.
                kernel.shutdown()
                kernel.vfs.sync()
                status = proc.status if proc.status is not None else -1
                return RunResult(
                    status=status,
                    exit_code=shell_exit_code(status),
                    stdout=out.getvalue() if out else None,
                    stderr=err.getvalue() if err else None,
                    error=ending_message(proc, path),
                )
            finally:
                mounts.close()

    def verified_config(self) -> RuntimeConfig:
        """The built config, after every check a boot makes (InstanceError/ConfigError):
        an initialized, built instance whose signature and measurement verify and whose
        ``Occlum.json`` has not changed since the build."""
        self.require_initialized()
        if not self.is_built():
            raise InstanceError(
                f"{self.path} has not been built: run `occlum build` first"
            )
        return self._built_config()

    @contextlib.contextmanager
    def booted(
        self,
        *,
        strace: TraceSink | None = None,
        user_key: bytes | None = None,
    ) -> Iterator[Booted]:
        """The LibOS booted exactly as :meth:`run` boots it (same checks, same errors,
        the same run lock), with no process in it, for a caller that starts processes
        itself (``occlum start``: :mod:`pyocclum.cli.server`).

        Pid 1 stays unused: there is no init, so orphans get parent 0 and are
        reaped by the kernel when they exit. On exit every process still
        running is killed (SIGKILL: a caller wanting a grace period sends
        SIGTERM first), the file systems are synced and closed, and the lock
        is released. With ``init_ra``, the attestation comes first, as in
        :meth:`run` (``OCCLUM_KBS_URL`` from this process's environment), and
        :attr:`Booted.secret_env` holds ``init_ra.env``'s variables.
        """
        config = self.verified_config()
        secrets = self._attest(config, os.environ)
        with self._run_lock():
            kernel, mounts = self._boot(config, None, strace, user_key, secrets)
            try:
                kernel.reserve_init()
                yield Booted(kernel, config, secrets.env if secrets else ())
                kernel.shutdown()
                kernel.vfs.sync()
            finally:
                mounts.close()

    def _built_config(self) -> RuntimeConfig:
        """The built config, after checking the build's signature and measurement."""
        built = self.path / BUILT_CONFIG
        raw = built.read_bytes()
        try:
            runtime = RuntimeConfig.from_json(raw.decode("utf-8", "replace"), str(BUILT_CONFIG))
            root = bytes.fromhex(runtime.image_root)
        except (ConfigError, ValueError) as e:
            raise InstanceError(f"{e}: run `occlum build` again") from None
        sig_raw = (self.path / SIGSTRUCT).read_bytes()
        secret = load_or_create_secret(platform_secret_path())
        self._state = BootState(self.path, secret, __version__, (raw, sig_raw))
        # A record for these exact bytes says both checks below passed before.
        self._known = self._state.load()
        try:
            sig = _parse_sigstruct(sig_raw)
            if self._known is None:
                sig.verify()
        except ImageError as e:
            raise InstanceError(f"refusing to start: {e}") from None
        if self._known is None and sig.mrenclave != compute_mrenclave(
            __version__, raw, root, runtime.entry_points
        ):
            raise InstanceError(
                f"refusing to start: {BUILT_CONFIG} does not match the signed measurement "
                "(changed since `occlum build`)"
            )
        self._sig = sig
        if hashlib.sha256(self.config_file.read_bytes()).hexdigest() != runtime.config_sha256:
            raise InstanceError(
                f"{CONFIG_FILE} changed since the last build: run `occlum build` first"
            )
        return runtime

    def _run_dir(self) -> Path:
        """``run/``, created if missing; InstanceError (and nothing touched) if
        something other than a directory is in its place."""
        run = self.path / RUN_DIR
        try:
            run.mkdir(exist_ok=True)
        except FileExistsError:
            raise InstanceError(
                f"{run} is not a directory: move it away (the instance keeps its "
                "runtime state, the writable root, there)"
            ) from None
        return run

    @contextlib.contextmanager
    def _run_lock(self) -> Iterator[None]:
        """Hold ``run/.lock`` (flock, exclusive) for one run, ``occlum fs`` or mount;
        InstanceError if another holds it :data:`RUN_LOCK_GRACE` seconds on (a
        :meth:`status` probe holds it for an instant only)."""
        run = self._run_dir()
        with (run / ".lock").open("a") as f:
            deadline = time.monotonic() + RUN_LOCK_GRACE
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise InstanceError(
                            f"{self.path} is already running: one `occlum run`, `occlum fs` "
                            "or `occlum mount` at a time per instance"
                        ) from None
                    time.sleep(0.005)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _attest(
        self, config: RuntimeConfig, host_env: Mapping[str, str]
    ) -> InitRaSecrets | None:
        """``init_ra``'s secrets from the KBS (None without init_ra); InstanceError if refused."""
        if config.init_ra is None:
            return None
        assert self._sig is not None
        return attest_init_ra(config.init_ra, self._sig, host_env)

    def _boot(
        self,
        config: RuntimeConfig,
        console: Stream | None,
        strace: TraceSink | None,
        user_key: bytes | None,
        secrets: InitRaSecrets | None = None,
    ) -> tuple[Kernel, MountSet]:
        """A kernel with every mount of ``config`` in place (closed again on failure);
        with ``secrets`` (``init_ra``), the root keyed by its root key and its files
        at ``/run/secrets``."""
        if secrets is not None and secrets.root_key is not None:
            config = keyed_root(config, secrets.root_key)
        limits = Limits(
            max_processes=config.max_processes,
            max_open_files=config.max_open_files,
            process_memory=config.process_memory,
            user_space=config.user_space_size,
            max_threads=config.max_threads,
        )
        assert self._sig is not None
        executor = WasmExecutor(self._code_cache(self._sig.mrenclave))
        mounts = self._mount_set(config, user_key, console)
        try:
            root_spec = config.root_mount()
            try:
                root = mounts.make(root_spec, _root_index(config))
            except InstanceError as e:
                if secrets is None or secrets.root_key is None or config.init_ra is None:
                    raise
                raise InstanceError(f"{e}; the root's key here is init_ra.root_key "
                                    f'"{config.init_ra.root_key}" from the KBS') from None
            if root is None:
                raise InstanceError(f"{CONFIG_FILE}: the root cannot be a {root_spec.type}")
            vfs = Vfs(root)
            network = None
            if config.network_bind is not None or config.network_connect is not None:
                from pyocclum.net.policy import NetworkPolicy

                network = NetworkPolicy.from_entries(config.network_bind, config.network_connect)
            kernel = Kernel(vfs, executor, limits=limits, strace=strace, network=network)
            executor.bind(kernel)
            self._kernel, self._user_space = kernel, config.user_space_size
            for index, spec in enumerate(config.mounts):
                if spec.target == "/":
                    continue
                fs = mounts.make(spec, index)
                if fs is None:
                    continue
                try:
                    _ensure_dir(vfs, spec.target)
                    vfs.mount(spec.target, fs)
                except KernelError as e:  # a file of the image (or under one) in the way
                    raise InstanceError(
                        f"{CONFIG_FILE}: mount[{index}] ({spec.target}): cannot mount there: "
                        f"{e.msg or e.errno.name}"
                    ) from None
                log.debug("mounted %s on %s", spec.type, spec.target)
            if config.init_ra is not None and config.init_ra.files:
                assert secrets is not None
                _ensure_dir(vfs, SECRETS_DIR)
                vfs.mount(SECRETS_DIR, secrets_fs(secrets.files))
            copy_host_etc(vfs, root)
            kernel.hostname = hostname_inside(vfs) or kernel.hostname
            self._record_root_image(config)
            self._save_state(mounts)
        except BaseException:
            mounts.close()
            raise
        return kernel, mounts

    def _mount_set(
        self, config: RuntimeConfig, user_key: bytes | None, console: Stream | None,
        refusing: str = "refusing to start", *, attest: bool = True,
    ) -> MountSet:
        """The mounts of a boot; ``attest``: its devfs has ``/dev/attestation``."""
        sig = self._sig
        assert sig is not None
        identity = Identity(sig.mrenclave, sig.mrsigner, sig.product_id, sig.version_number)
        platform_secret = load_or_create_secret(platform_secret_path())
        env = MountEnv(
            instance=self.path,
            image_root=bytes.fromhex(config.image_root),
            identity=identity,
            platform_secret=platform_secret,
            user_key=user_key,
            console=console,
            proc_source=self._proc_source,
            refusing=refusing,
            attester=BootAttester(sig, platform_secret) if attest else None,
            caller=current_process,
            image_manifest=self._known,
            ramfs_capacity=config.user_space_size,
        )
        return MountSet(env)

    def _save_state(self, mounts: MountSet) -> None:
        """Record what this boot verified, unless the record it used says it already."""
        if self._state is not None and self._known is None and mounts.image_manifest:
            self._state.save(mounts.image_manifest)

    def _proc_source(self) -> KernelProcSource:
        assert self._kernel is not None
        return KernelProcSource(self._kernel, self._user_space)

    def _record_root_image(self, config: RuntimeConfig) -> None:
        """Note which build the writable root is being written against (for ``status``).

        Best effort: the note is informational, so a ``run/root-image.json`` that
        cannot be written (a directory in its place, a read-only ``run/``) is
        left as it is and the boot goes on.
        """
        assert self._sig is not None
        note = {
            "image_root": config.image_root,
            "mrenclave": self._sig.mrenclave.hex(),
            "mrsigner": self._sig.mrsigner.hex(),
        }
        path = self.path / ROOT_IMAGE_NOTE
        text = json.dumps(note, sort_keys=True) + "\n"
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if path.read_text() == text:
                return  # most boots: the same build as last time, nothing to write
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(text)
            os.replace(tmp, path)
        except OSError as e:
            log.warning("cannot record the build in %s: %s", path, e.strerror or e)
            with contextlib.suppress(OSError):
                tmp.unlink()

    def root_image_note(self) -> dict[str, str] | None:
        """The build the writable root was last written against (None: never run).

        Informational (``occlum status``): a plain file the host can change.
        """
        try:
            note = json.loads((self.path / ROOT_IMAGE_NOTE).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(note, dict) or not all(isinstance(v, str) for v in note.values()):
            return None
        return {str(k): v for k, v in note.items()}

    @contextlib.contextmanager
    def open_root(self, *, user_key: bytes | None = None) -> Iterator[FileSystem]:
        """The instance's root file system, for host-side tools (``occlum fs``, ``occlum mount``).

        The same file systems a boot mounts at ``/`` (the integrity image under
        the encrypted writable layer), with the same keys, after the same
        signature and measurement checks; the writable layer is committed and
        unlocked on exit. Refused while the instance runs. No attestation: a root
        keyed by ``init_ra.root_key`` opens with that key as ``user_key``.
        """
        self.require_initialized()
        if not self.is_built():
            raise InstanceError(f"{self.path} has not been built: run `occlum build` first")
        config = self._built_config()
        with self._run_lock():
            mounts = self._mount_set(config, user_key, None,
                                     "refusing to open the instance's files", attest=False)
            try:
                try:
                    root = mounts.make(config.root_mount(), _root_index(config))
                except InstanceError as e:
                    init_ra = config.init_ra
                    if user_key is None and init_ra is not None and init_ra.root_key:
                        raise InstanceError(
                            f'{e}; this root is keyed by init_ra.root_key "{init_ra.root_key}" '
                            "from the KBS: give that key with --key"
                        ) from None
                    raise
                assert root is not None
                self._save_state(mounts)
                yield root
            finally:
                mounts.close()


def _ensure_dir(vfs: Vfs, target: str) -> None:
    """Create the mount point (and parents) in the root if the image lacks it."""
    loc = vfs.root()
    for part in [p for p in target.split("/") if p]:
        try:
            loc = vfs.resolve(loc, part)
        except KernelError as e:
            if e.errno != Errno.ENOENT:
                raise
            loc.inode.mkdir(part, 0o755)
            loc = vfs.resolve(loc, part)


def _console(stderr: Stream) -> Stream | None:
    """/dev/tty inside: the terminal that stderr is, if it is one."""
    return stderr if stderr.isatty() else None


def _root_index(config: RuntimeConfig) -> int:
    return next(i for i, m in enumerate(config.mounts) if m.target == "/")


def _parse_sigstruct(raw: bytes) -> SigStruct:
    """``build/sigstruct.json``'s structure, not yet verified (ImageError if damaged)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImageError(f"{SIGSTRUCT}: damaged signature structure (not UTF-8)") from None
    return SigStruct.from_json(text, str(SIGSTRUCT))


def _not_started(
    message: str, out: BufferStream | None = None, err: BufferStream | None = None
) -> RunResult:
    return RunResult(
        status=-1,
        exit_code=EXIT_NOT_STARTED,
        stdout=out.getvalue() if out else (b"" if out is not None else None),
        stderr=err.getvalue() if err else (b"" if err is not None else None),
        error=message,
    )

