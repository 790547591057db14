"""The ``occlum`` extension ABI (version 1), used by libocclum.

Every function returns a WASI errno. See ``docs/abi.md``.
"""

from __future__ import annotations

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process
from pyocclum.syscalls import spec as S

MODULE = "occlum"
ABI_VERSION = 1


class OcclumSyscalls:
    """Handlers of the ``occlum`` import module for one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def abi_version(self, p: Process) -> int:
        return ABI_VERSION

    def chdir(self, p: Process, path: str) -> None:
        loc = self.kernel.vfs.resolve(p.cwd, path, follow=True)
        if loc.inode.filetype != FileType.DIRECTORY:
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        p.cwd = loc

    def getcwd(self, p: Process, size: int) -> bytes:
        cwd = p.cwd.path.encode("utf-8", "surrogateescape")
        if len(cwd) > size:
            raise KernelError(Errno.ERANGE, "buffer too small for the cwd")
        return cwd

    def table(self) -> list[S.Syscall]:
        m = MODULE
        return [
            S.Syscall(m, "abi_version", (), self.abi_version, returns="value"),
            S.Syscall(m, "chdir", (S.string("path"),), self.chdir),
            S.Syscall(m, "getcwd", (S.buf_out("buf"), S.out_len("len")), self.getcwd),
        ]
