"""Inter-process communication inside the LibOS: pipes.

IPC objects are :class:`~pyocclum.fs.types.Stream` objects, so an open file
description can hold one like any device. They never block: an operation
that cannot proceed raises :class:`~pyocclum.errors.WouldBlock` and the
syscall layer waits. This layer sits above ``fs`` and below ``kernel``.
"""

from pyocclum.ipc.pipe import DEFAULT_CAPACITY, PIPE_BUF, Pipe, PipeReader, PipeWriter

__all__ = ["DEFAULT_CAPACITY", "PIPE_BUF", "Pipe", "PipeReader", "PipeWriter"]
