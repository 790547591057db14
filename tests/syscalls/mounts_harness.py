"""A kernel over every kind of mount the default instance has, for the handler tests of
the mode and path calls (imported by name: pytest's ``pythonpath`` has this folder)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import LookupFlags, OFlags, Rights
from pyocclum.errors import KernelError
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.integrityfs import IntegrityFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Vfs
from pyocclum.image.manifest import build_image
from pyocclum.kernel import Kernel
from pyocclum.kernel.fdtable import ROOT_FD
from pyocclum.syscalls.occlum import AT_FDCWD, OcclumSyscalls
from pyocclum.syscalls.paths import PathSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

KEY = bytes(range(32))
S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO = 0o100000, 0o040000, 0o120000, 0o010000
RW = Rights.FD_READ | Rights.FD_WRITE | Rights.FD_READDIR


class Env:
    """A kernel whose root is a ramfs with ``/host`` (hostfs of ``tmp/host``),
    ``/ro`` (a read-only hostfs), ``/enc`` (sefs) and ``/img`` (unionfs of a
    ramfs over an integrity image holding ``f`` 0640 and ``d/`` 0750)."""

    def __init__(self, tmp: Path) -> None:
        root = RamFs()
        for d in ("host", "ro", "enc", "img"):
            root.root().mkdir(d, 0o755)
        self.vfs = Vfs(root)
        self.host = tmp / "host"
        self.host.mkdir()
        (tmp / "ro").mkdir()
        (tmp / "ro" / "f").write_bytes(b"ro")
        os.chmod(tmp / "ro" / "f", 0o644)
        self.vfs.mount("/host", HostFs(self.host))
        self.vfs.mount("/ro", HostFs(tmp / "ro", read_only=True))
        self.sefs_folder = tmp / "sefs"
        self.sefs = SeFs(self.sefs_folder, KEY)
        self.vfs.mount("/enc", self.sefs)
        src = tmp / "image"
        (src / "d").mkdir(parents=True)
        (src / "f").write_bytes(b"lower")
        os.chmod(src / "f", 0o640)
        os.chmod(src / "d", 0o750)
        self.image = IntegrityFs(tmp / "build", build_image(src, tmp / "build").root)
        self.upper = RamFs()
        self.union = UnionFs(self.upper, [self.image])
        self.vfs.mount("/img", self.union)
        self.kernel = Kernel(self.vfs, NoExecutor())
        self.wasi = WasiSyscalls(self.kernel)
        self.sys = OcclumSyscalls(self.kernel, self.wasi)
        self.paths = PathSyscalls(self.kernel)
        self.p = first_process(self.kernel)

    def create(self, path: str) -> int:
        """Create (or open) ``path`` read-write; the fd."""
        return self.wasi.path_open(self.p, ROOT_FD, LookupFlags.SYMLINK_FOLLOW,
                                   path.lstrip("/"), OFlags.CREAT, RW, RW, 0)

    def mode(self, path: str, flags: int = 0, fd: int = AT_FDCWD) -> int:
        return int(self.sys.fstatat(self.p, fd, path, flags)[2])

    def errno(self, fn: Callable[..., object], *args: object) -> Errno:
        with pytest.raises(KernelError) as e:
            fn(self.p, *args)
        return e.value.errno
