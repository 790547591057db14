"""Exceptions that cross layers.

Handlers raise :class:`KernelError`; the syscall dispatcher is the only place
that turns one into an errno for the guest. Anything else escaping a handler
is a kernel bug: the dispatcher logs it and kills only the calling process.
"""

from __future__ import annotations

from typing import Protocol

from pyocclum.abi.errno import Errno


class KernelError(Exception):
    """A syscall failed with ``errno``; ``msg`` says why (for logs and strace)."""

    def __init__(self, errno: Errno, msg: str = "") -> None:
        super().__init__(f"{errno.name}: {msg}" if msg else errno.name)
        self.errno = errno
        self.msg = msg


class FileSizeLimit(KernelError):
    """A write or a new size would take a regular file past the caller's
    RLIMIT_FSIZE (EFBIG; the syscall layer also sends SIGXFSZ, as Linux)."""

    def __init__(self) -> None:
        super().__init__(Errno.EFBIG, "past the file size limit (RLIMIT_FSIZE)")


class Waitable(Protocol):
    """Something a blocked syscall can sleep on until it may be ready."""

    def wait(self, timeout: float | None) -> None:
        """Sleep until woken or ``timeout`` seconds pass (spurious wake-ups allowed)."""


class WouldBlock(Exception):
    """The operation cannot proceed now; retry after ``waitable`` wakes.

    File systems and IPC never block: they raise this, and the syscall layer
    waits (interruptibly) or returns ``EAGAIN`` for non-blocking descriptors.
    """

    def __init__(self, waitable: Waitable) -> None:
        super().__init__("would block")
        self.waitable = waitable


class ProcessExit(BaseException):
    """Unwinds a process's host stack when it exits (``proc_exit``) or is killed.

    A ``BaseException`` so that a handler's ``except Exception`` cannot swallow it.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ConfigError(Exception):
    """``Occlum.json`` (or another input) is invalid; ``str()`` names the key path."""


class InstanceError(Exception):
    """An instance folder is missing, unbuilt or otherwise unusable; says what to do."""


class ImageError(Exception):
    """A program or image cannot be loaded (not WebAssembly, fails validation, tampered)."""


class ProcessExec(BaseException):
    """Unwinds a process's host stack so that the executor can load a new image
    (``execve``); the request itself is recorded on the process."""
