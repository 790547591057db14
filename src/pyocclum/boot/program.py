"""Starting an entry process as ``occlum run`` and ``occlum exec`` do: which paths
may be started (``entry_points``), the start itself (a new session, the cwd
checked, stdio taken over) and the one line that says how the process ended."""

from __future__ import annotations

from collections.abc import Sequence

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import signal_name
from pyocclum.config.runtime import RuntimeConfig
from pyocclum.errors import KernelError
from pyocclum.fs.types import FileType, Stream
from pyocclum.kernel import Kernel
from pyocclum.kernel.process import Process

__all__ = ["ProgramNotStarted", "ending_message", "entry_point_error", "start_program"]


class ProgramNotStarted(Exception):
    """:func:`start_program` could not start the program; the message says why
    (``occlum run`` exits with :data:`EXIT_NOT_STARTED` for it)."""


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/") or prefix == ""


def entry_point_error(path: str, config: RuntimeConfig) -> str:
    """Why ``path`` may not be started by ``occlum run``/``exec`` ("" if it may)."""
    if not path.startswith("/"):
        return f"{path}: the program path must be absolute (e.g. /bin/{path})"
    if not any(_under(path, ep) for ep in config.entry_points):
        allowed = ", ".join(config.entry_points)
        return f"{path}: not under an entry point (entry_points: {allowed})"
    return ""


def start_program(
    kernel: Kernel,
    config: RuntimeConfig,
    argv: Sequence[str],
    env: Sequence[tuple[str, str]],
    stdio: tuple[Stream, Stream, Stream],
    *,
    cwd: str = "/",
) -> Process:
    """Start ``argv`` in ``kernel`` as a process with no parent (a new session and
    process group), as ``occlum run`` starts its entry process; returns at once.

    ``stdio`` (stdin, stdout, stderr) is taken over: on success the process
    owns it, on failure it is closed. ProgramNotStarted says why the program
    could not start (the path, the entry points, the cwd, the file).
    """
    path = argv[0]
    try:
        refused = entry_point_error(path, config)
        if refused:
            raise ProgramNotStarted(refused)
        try:
            start = kernel.vfs.resolve(kernel.vfs.root(), cwd)
        except KernelError as e:
            raise ProgramNotStarted(f"{cwd}: {e.msg or e.errno.name}") from None
        if start.inode.filetype != FileType.DIRECTORY:
            raise ProgramNotStarted(f"{cwd}: not a directory")
    except ProgramNotStarted:
        for stream in stdio:
            stream.close()
        raise
    files = [
        kernel.new_stdio_file(stdio[0], readable=True, writable=False),
        kernel.new_stdio_file(stdio[1], readable=False, writable=True),
        kernel.new_stdio_file(stdio[2], readable=False, writable=True),
    ]
    try:
        return kernel.spawn(
            path,
            [a.encode("utf-8", "surrogateescape") for a in argv],
            [f"{k}={v}".encode("utf-8", "surrogateescape") for k, v in env],
            cwd=start,
            stdio=files,
        )
    except KernelError as e:
        # spawn owned the stdio references and has released them.
        if e.errno == Errno.ENOENT and not e.msg.startswith(f"{path}: "):
            raise ProgramNotStarted(f"{path}: no such file") from None
        raise ProgramNotStarted(e.msg or f"{path}: {e.errno.name}") from None


def ending_message(proc: Process, path: str) -> str:
    """What ``occlum run`` says about how ``proc``, started as ``path``, ended
    ("" for a plain exit)."""
    status = proc.status if proc.status is not None else -1
    if status & 0x7F:
        error = f"{path}: killed by {signal_name(status & 0x7F)}"
        reason = proc.death_reason
        if reason and not reason.startswith(signal_name(status & 0x7F)):
            error += f" ({reason})"
        elif reason:
            error += f" ({reason.split(': ', 1)[-1]})"
        return error
    return proc.death_reason
