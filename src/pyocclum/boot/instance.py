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
import logging
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, shell_exit_code, signal_name
from pyocclum.config.runtime import CONFIG_FILE, IMAGE_DIR, RuntimeConfig, RuntimeMount
from pyocclum.crypto import load_or_create_secret
from pyocclum.errors import ConfigError, InstanceError, KernelError
from pyocclum.fs.devfs import DevFs
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.procfs import ProcFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream, BytesInputStream, HostFdStream
from pyocclum.fs.types import FileSystem, Stream
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Vfs
from pyocclum.image import stage_image
from pyocclum.kernel import Kernel, Limits
from pyocclum.kernel.kernel import TraceSink
from pyocclum.kernel.procsource import KernelProcSource
from pyocclum.wasm import CodeCache, WasmExecutor
from pyocclum.wasm.engine import check_wasm

if TYPE_CHECKING:
    from pyocclum.config.model import OcclumConfig

log = logging.getLogger("pyocclum.boot")

BUILD_ROOT = Path("build/mount/__ROOT")
CODE_CACHE = Path("build/cache")
BUILT_CONFIG = Path("build/runtime.json")
RUN_DIR = Path("run")
#: Exit code when the program could not be started (as a shell's "command not found").
EXIT_NOT_STARTED = 127


def platform_secret_path() -> Path:
    """Where the SIM-mode platform secret lives (``PYOCCLUM_PLATFORM_SECRET`` overrides)."""
    override = os.environ.get("PYOCCLUM_PLATFORM_SECRET")
    if override:
        return Path(override)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "pyocclum" / "platform-secret"


@dataclass(frozen=True, slots=True)
class BuildReport:
    copied: int
    removed: int
    modules: tuple[str, ...]
    compiled: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended. ``status`` uses Linux ``wait4`` encoding (-1: never started)."""

    status: int
    exit_code: int
    stdout: bytes | None = None
    stderr: bytes | None = None
    #: Why it could not start, or which signal killed it and why; "" otherwise.
    error: str = ""


#: Called before/after each module compiles: (image path, index, total).
Progress = Callable[[str, int, int], None]


class Instance:
    """One instance folder."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).resolve()
        self._kernel: Kernel | None = None  # the kernel being booted (for procfs)
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
        if lock.exists():
            with lock.open("a") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
    def build(self, *, force: bool = False, progress: Progress | None = None) -> BuildReport:
        """Stage ``image/`` into ``build/`` and precompile every module found there.

        Incremental: unchanged files are not copied and modules whose
        authenticated artifact exists are not compiled again (``force`` redoes all).
        """
        self.require_initialized()
        config_bytes = self.config_file.read_bytes()
        config = self.config()  # validate before touching build/
        image = self.path / IMAGE_DIR
        if not image.is_dir():
            raise InstanceError(f"{image} is missing: run `occlum init --force` to recreate it")
        if force:
            shutil.rmtree(self.path / "build", ignore_errors=True)
        staged = stage_image(image, self.path / BUILD_ROOT)
        cache = self._code_cache()
        executor = WasmExecutor()
        wanted: dict[str, str] = {}
        for rel in staged.modules:
            data = (staged.root / rel).read_bytes()
            wanted.setdefault(hashlib.sha256(data).hexdigest(), rel)
        todo = [
            (digest, rel) for digest, rel in sorted(wanted.items(), key=lambda kv: kv[1])
            if cache.load(executor.engine, digest) is None
        ]
        compiled = []
        for index, (digest, rel) in enumerate(todo):
            if progress is not None:
                progress(rel, index, len(todo))
            data = (staged.root / rel).read_bytes()
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
        (self.path / RUN_DIR).mkdir(exist_ok=True)
        runtime = RuntimeConfig.from_config(config, hashlib.sha256(config_bytes).hexdigest())
        (self.path / BUILT_CONFIG).write_text(runtime.to_json())
        return BuildReport(staged.copied, staged.removed, staged.modules, tuple(compiled))

    def _code_cache(self) -> CodeCache:
        return CodeCache(self.path / CODE_CACHE, load_or_create_secret(platform_secret_path()))

    # -- run ----------------------------------------------------------------------------
    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        capture: bool = False,
        host_env: Mapping[str, str] | None = None,
        strace: TraceSink | None = None,
    ) -> RunResult:
        """Boot the LibOS, run ``argv[0]`` as process 1, wait for it, shut down.

        With ``capture``, stdout and stderr are collected and returned, and
        stdin is ``stdin`` (empty if None); without it, the process uses this
        host process's fds 0-2 (``stdin`` still replaces fd 0 if given).
        ``host_env`` is where ``env.untrusted`` variables come from
        (default ``os.environ``).
        """
        if not argv:
            raise ValueError("argv must name the program")
        self.require_initialized()
        if not self.is_built():
            raise InstanceError(
                f"{self.path} has not been built: run `occlum build` first"
            )
        config = self._built_config()
        path = argv[0]
        if not path.startswith("/"):
            return _not_started(f"{path}: the program path must be absolute (e.g. /bin/{path})")
        if not any(_under(path, ep) for ep in config.entry_points):
            allowed = ", ".join(config.entry_points)
            return _not_started(f"{path}: not under an entry point (entry_points: {allowed})")
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
            kernel = self._boot(config, console, strace)
            stdio = [
                kernel.new_stdio_file(stdin_stream, readable=True, writable=False),
                kernel.new_stdio_file(stdout_stream, readable=False, writable=True),
                kernel.new_stdio_file(stderr_stream, readable=False, writable=True),
            ]
            env = config.env_for_first_process(os.environ if host_env is None else host_env)
            with _forward_host_signals(kernel):
                try:
                    proc = kernel.spawn(
                        path,
                        [a.encode("utf-8", "surrogateescape") for a in argv],
                        [f"{k}={v}".encode("utf-8", "surrogateescape") for k, v in env],
                        cwd=kernel.vfs.root(),
                        stdio=stdio,
                    )
                except KernelError as e:
                    # spawn owned the stdio references and has released them.
                    if e.errno == Errno.ENOENT:
                        return _not_started(f"{path}: no such file", out, err)
                    return _not_started(e.msg or f"{path}: {e.errno.name}", out, err)
                proc.done.wait()
            # The entry process is the instance's life: what it leaves running stops.
            kernel.shutdown()
            kernel.vfs.sync()
            status = proc.status if proc.status is not None else -1
            error = ""
            if status & 0x7F:
                error = f"{path}: killed by {signal_name(status & 0x7F)}"
                reason = proc.death_reason
                if reason and not reason.startswith(signal_name(status & 0x7F)):
                    error += f" ({reason})"
                elif reason:
                    error += f" ({reason.split(': ', 1)[-1]})"
            elif proc.death_reason:
                error = proc.death_reason
            return RunResult(
                status=status,
                exit_code=shell_exit_code(status),
                stdout=out.getvalue() if out else None,
                stderr=err.getvalue() if err else None,
                error=error,
            )

    def _built_config(self) -> RuntimeConfig:
        built = self.path / BUILT_CONFIG
        try:
            runtime = RuntimeConfig.from_json(built.read_text(), str(BUILT_CONFIG))
        except ConfigError as e:
            raise InstanceError(f"{e}: run `occlum build` again") from None
        if hashlib.sha256(self.config_file.read_bytes()).hexdigest() != runtime.config_sha256:
            raise InstanceError(
                f"{CONFIG_FILE} changed since the last build: run `occlum build` first"
            )
        return runtime

    @contextlib.contextmanager
    def _run_lock(self) -> Iterator[None]:
        run = self.path / RUN_DIR
        run.mkdir(exist_ok=True)
        with (run / ".lock").open("a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InstanceError(
                    f"{self.path} is already running (only one `occlum run` per instance)"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _boot(
        self, config: RuntimeConfig, console: Stream | None, strace: TraceSink | None
    ) -> Kernel:
        limits = Limits(
            max_processes=config.max_processes,
            max_open_files=config.max_open_files,
            process_memory=config.process_memory,
        )
        executor = WasmExecutor(self._code_cache())
        mounts = config.mounts
        root_spec = config.root_mount()
        vfs = Vfs(_need(self._make_fs(root_spec, 0, console)))
        kernel = Kernel(vfs, executor, limits=limits, strace=strace)
        executor.bind(kernel)
        self._kernel, self._user_space = kernel, config.user_space_size
        for index, spec in enumerate(mounts):
            if spec.target == "/":
                continue
            fs = self._make_fs(spec, index, console)
            if fs is None:
                continue
            _ensure_dir(vfs, spec.target)
            vfs.mount(spec.target, fs)
            log.debug("mounted %s on %s", spec.type, spec.target)
        return kernel

    def _make_fs(
        self, spec: RuntimeMount, index: int, console: Stream | None
    ) -> FileSystem | None:
        where = f"mount[{index}] ({spec.target})"
        if spec.type == "unionfs":
            layers = spec.layers
            images = [layer for layer in layers if layer.image_layer]
            writable = [layer for layer in layers if not layer.image_layer]
            lowers: list[FileSystem] = [HostFs(self.path / BUILD_ROOT, read_only=True)] * len(
                images
            )
            lowers += [_need(self._make_fs(layer, index, console)) for layer in writable[:-1]]
            upper = _need(self._make_fs(writable[-1], index, console)) if writable else RamFs()
            return UnionFs(upper, lowers)
        if spec.type == "sefs" and spec.target == "/":
            # The writable layer of the root. Until the encrypted FS lands it is
            # kept in memory: nothing written under / reaches the host disk.
            return RamFs()
        if spec.type == "hostfs":
            assert spec.source is not None
            host = (self.path / spec.source).resolve()
            host.mkdir(parents=True, exist_ok=True)
            return HostFs(host)
        if spec.type == "ramfs":
            return RamFs()
        if spec.type == "devfs":
            return DevFs(console)
        if spec.type == "procfs":
            assert self._kernel is not None
            return ProcFs(KernelProcSource(self._kernel, self._user_space))
        raise InstanceError(
            f"{CONFIG_FILE}: {where}: file system type {spec.type!r} is not available yet"
        )


#: After SIGTERM, how long processes get to exit before SIGKILL.
TERM_GRACE = 5.0


@contextlib.contextmanager
def _forward_host_signals(kernel: Kernel) -> Iterator[None]:
    """While the instance runs: Ctrl-C (SIGINT) goes to the foreground process
    group (the entry process's), SIGTERM to every process, then SIGKILL after
    :data:`TERM_GRACE` seconds. Only the main thread can install handlers;
    elsewhere (an embedding program's worker thread) nothing is forwarded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_int(signo: int, frame: object) -> None:
        # The foreground group is the entry process's (pid 1). Not kill(-pgid):
        # that group is 1, and kill(-1) means "everyone".
        try:
            group = kernel.process(1).pgid
        except KernelError:
            return
        for p in kernel.live_processes():
            if p.pgid == group:
                kernel.send_signal(p, Signal.SIGINT)

    def on_term(signo: int, frame: object) -> None:
        for p in kernel.live_processes():
            kernel.send_signal(p, Signal.SIGTERM)
        timer = threading.Timer(TERM_GRACE, kernel.shutdown)
        timer.daemon = True
        timer.start()

    old_int = signal.signal(signal.SIGINT, on_int)
    old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)


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


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/") or prefix == ""


def _console(stderr: Stream) -> Stream | None:
    """/dev/tty inside: the terminal that stderr is, if it is one."""
    return stderr if stderr.isatty() else None


def _need(fs: FileSystem | None) -> FileSystem:
    if fs is None:
        raise InstanceError(f"{CONFIG_FILE}: this file system type cannot be a layer")
    return fs


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

