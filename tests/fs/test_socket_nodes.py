"""Socket nodes (``bind`` of an AF_UNIX path) in each file system: created by
``mksock``, seen by ``stat``/listings as sockets, removed by ``unlink``, kept
by sefs across a remount; hostfs and fixed directories refuse them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers import errno_of

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.fs.devfs import DevFs
from pyocclum.fs.hostfs import HostFs
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.sefs import SeFs
from pyocclum.fs.types import FileSystem, Inode
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Vfs
from pyocclum.net.addr import UnixAddr
from pyocclum.net.socket import SOCK_STREAM, Credentials
from pyocclum.net.unix import UnixNamespace, unix_socket

KEY = bytes(range(32))
ME = Credentials(1, 0, 0)


def check_node_semantics(root: Inode) -> None:
    node = root.mksock("s", 0o755)
    st = node.stat()
    assert st.filetype == FileType.SOCKET_STREAM
    assert st.size == 0
    assert st.mode == 0o755
    assert root.lookup("s").filetype == FileType.SOCKET_STREAM
    assert [(e.name, e.filetype) for e in root.entries() if e.name == "s"] == [
        ("s", FileType.SOCKET_STREAM)
    ]
    assert errno_of(root.mksock, "s", 0o755) == Errno.EEXIST
    root.create("f", 0o644)
    assert errno_of(root.mksock, "f", 0o755) == Errno.EEXIST
    assert errno_of(root.lookup("f").mksock, "x", 0o755) == Errno.ENOTDIR
    root.rename("s", root, "moved")
    assert root.lookup("moved").stat().ino == st.ino
    root.unlink("moved")
    assert errno_of(root.lookup, "moved") == Errno.ENOENT


def test_ramfs() -> None:
    check_node_semantics(RamFs().root())


def test_sefs_keeps_socket_nodes(tmp_path: Path) -> None:
    fs = SeFs(tmp_path / "v", KEY)
    check_node_semantics(fs.root())
    fs.root().mksock("kept", 0o700)
    fs.sync()
    fs.close()
    again = SeFs(tmp_path / "v", KEY)
    st = again.root().lookup("kept").stat()
    assert st.filetype == FileType.SOCKET_STREAM
    assert st.mode == 0o700
    assert st.size == 0
    again.root().unlink("kept")
    again.close()


def test_unionfs_makes_them_in_the_upper_layer() -> None:
    upper, lower = RamFs(), RamFs()
    lower.root().mksock("low", 0o755)
    union = UnionFs(upper, [lower])
    check_node_semantics(union.root())
    assert upper.root().lookup("f").filetype == FileType.REGULAR_FILE
    # a lower socket node is copied up by a change, and removed with a whiteout
    low = union.root().lookup("low")
    low.chmod(0o700)
    assert upper.root().lookup("low").stat().filetype == FileType.SOCKET_STREAM
    assert union.root().lookup("low").stat().mode == 0o700
    union.root().unlink("low")
    assert errno_of(union.root().lookup, "low") == Errno.ENOENT


def test_hostfs_refuses(tmp_path: Path) -> None:
    (tmp_path / "exists").write_text("x")
    fs = HostFs(tmp_path)
    assert errno_of(fs.root().mksock, "s", 0o755) == Errno.EPERM
    assert errno_of(fs.root().mksock, "exists", 0o755) == Errno.EEXIST
    assert not (tmp_path / "s").exists()
    # a socket the host made shows as one
    host = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        host.bind(str(tmp_path / "h"))
        assert fs.root().lookup("h").filetype == FileType.SOCKET_STREAM
    finally:
        host.close()


def test_fixed_directories_refuse() -> None:
    dev = DevFs()
    assert errno_of(dev.root().mksock, "null", 0o755) == Errno.EEXIST


@pytest.mark.parametrize("kind", ["ramfs", "sefs", "union"])
def test_bind_and_connect_through_the_vfs(kind: str, tmp_path: Path) -> None:
    fs: FileSystem
    if kind == "ramfs":
        fs = RamFs()
    elif kind == "sefs":
        fs = SeFs(tmp_path / "v", KEY)
    else:
        fs = UnionFs(RamFs(), [RamFs()])
    vfs = Vfs(fs)
    vfs.root().inode.mkdir("run", 0o755)
    ns = UnixNamespace(vfs)
    run = vfs.resolve(vfs.root(), "/run")
    srv = unix_socket(SOCK_STREAM, ME, ns)
    srv.bind(UnixAddr(path=b"app.sock"), run)
    srv.listen(1)
    assert vfs.resolve(vfs.root(), "/run/app.sock").inode.filetype == FileType.SOCKET_STREAM
    c = unix_socket(SOCK_STREAM, ME, ns)
    c.connect(UnixAddr(path=b"/run/app.sock"), vfs.root())
    a, _ = srv.accept()
    c.write(b"ping")
    assert a.read(10) == b"ping"
    srv.close()
    c2 = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(c2.connect, UnixAddr(path=b"/run/app.sock"), vfs.root()) == (
        Errno.ECONNREFUSED
    )
    run.inode.unlink("app.sock")
    assert errno_of(c2.connect, UnixAddr(path=b"/run/app.sock"), vfs.root()) == Errno.ENOENT
    # a file system that cannot hold them (hostfs mounted at /host)
    (tmp_path / "h").mkdir()
    vfs.root().inode.mkdir("host", 0o755)
    vfs.mount("/host", HostFs(tmp_path / "h"))
    s = unix_socket(SOCK_STREAM, ME, ns)
    assert errno_of(s.bind, UnixAddr(path=b"/host/s"), vfs.root()) == Errno.EPERM
