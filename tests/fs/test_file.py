"""Open file descriptions (pyocclum.fs.file): durability at the last close."""

from __future__ import annotations

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFile, RamFs


class DurableRamFs(RamFs):
    durable_close = True


def spy_syncs(inode: RamFile, calls: list[str], fail: bool = False) -> None:
    def sync() -> None:
        calls.append("sync")
        if fail:
            raise KernelError(Errno.EIO, "the commit failed")

    inode.sync = sync  # type: ignore[method-assign]


def open_file(inode: RamFile, *, writable: bool) -> OpenFile:
    return OpenFile(inode=inode, stream=None, path="/f", filetype=FileType.REGULAR_FILE,
                    readable=True, writable=writable)


@pytest.mark.parametrize(("durable", "writable", "syncs"), [
    (True, True, 1), (True, False, 0), (False, True, 0),
])
def test_the_last_close_syncs_only_where_promised(
    durable: bool, writable: bool, syncs: int
) -> None:
    fs = DurableRamFs() if durable else RamFs()
    inode = fs.root().create("f", 0o644)
    assert isinstance(inode, RamFile)
    calls: list[str] = []
    spy_syncs(inode, calls)
    f = open_file(inode, writable=writable)
    f.acquire()  # a second descriptor (dup)
    f.release()
    assert calls == []  # not the last one
    f.release()
    assert len(calls) == syncs


def test_a_failed_sync_at_close_is_reported() -> None:
    inode = DurableRamFs().root().create("f", 0o644)
    assert isinstance(inode, RamFile)
    calls: list[str] = []
    spy_syncs(inode, calls, fail=True)
    f = open_file(inode, writable=True)
    with pytest.raises(KernelError) as info:
        f.release()
    assert info.value.errno == Errno.EIO
