"""`occlum mount DIR`: the root file system through FUSE.

The operations are tested directly (no libfuse needed); then a real mount,
used with plain os calls, whose writes must persist in the encrypted layer.
That test skips, saying why, where libfuse or /dev/fuse cannot be used.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyocclum.boot import Instance
from pyocclum.cli.mount import UTIME_NOW, UTIME_OMIT, RootOperations
from pyocclum.config.template import new_instance
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.unionfs import UnionFs

BIN = Path(sys.executable).parent


@pytest.fixture
def ops(tmp_path: Path) -> RootOperations:
    lower = RamFs()
    etc = lower.root().mkdir("etc", 0o755)
    etc.create("hosts", 0o644).write(0, b"127.0.0.1 localhost\n")
    return RootOperations(UnionFs(RamFs(), [lower]), tmp_path)


def test_operations_read_and_write(ops: RootOperations) -> None:
    assert ops.readdir("/", ops.opendir("/")) == [".", "..", "etc"]
    st = ops.getattr("/etc/hosts")
    assert stat.S_ISREG(st["st_mode"])
    assert stat.S_IMODE(st["st_mode"]) == 0o644
    assert (st["st_size"], st["st_uid"]) == (20, os.getuid())
    fh = ops.open("/etc/hosts", os.O_RDONLY)
    assert ops.read("/etc/hosts", 9, 0, fh) == b"127.0.0.1"
    ops.release("/etc/hosts", fh)

    fh = ops.create("/etc/new", stat.S_IFREG | 0o600, os.O_WRONLY)
    assert ops.write("/etc/new", b"hello world", 0, fh) == 11
    ops.truncate("/etc/new", 5, fh)
    assert ops.getattr(None, fh)["st_size"] == 5
    ops.release("/etc/new", fh)
    ops.mkdir("/d", 0o750)
    ops.rename("/etc/new", "/d/moved")
    ops.symlink("/d/link", "moved")
    ops.link("/d/hard", "/d/moved")
    assert ops.readlink("/d/link") == "moved"
    assert sorted(ops.readdir("/d", ops.opendir("/d"))) == [".", "..", "hard", "link", "moved"]
    assert ops.read("/d/hard", 100, 0, ops.open("/d/hard", os.O_RDONLY)) == b"hello"
    ops.chmod("/d/moved", stat.S_IFREG | 0o640)
    assert stat.S_IMODE(ops.getattr("/d/moved")["st_mode"]) == 0o640
    ops.unlink("/etc/hosts")  # from the lower layer: hidden
    assert ops.readdir("/etc", ops.opendir("/etc")) == [".", ".."]
    ops.unlink("/d/hard")
    ops.unlink("/d/link")
    ops.unlink("/d/moved")
    ops.rmdir("/d")
    assert ops.statfs("/")["f_namemax"] == 255


def test_operations_times(ops: RootOperations) -> None:
    ops.utimens("/etc/hosts", (1_000_000_000, 2_000_000_123))
    st = ops.getattr("/etc/hosts")
    assert (st["st_atime"], st["st_mtime"]) == (1_000_000_000, 2_000_000_123)
    ops.utimens("/etc/hosts", (UTIME_OMIT, 5_000_000_000))
    st = ops.getattr("/etc/hosts")
    assert (st["st_atime"], st["st_mtime"]) == (1_000_000_000, 5_000_000_000)
    before = time.time_ns()
    ops.utimens("/etc/hosts", (UTIME_NOW, UTIME_OMIT))
    st = ops.getattr("/etc/hosts")
    assert st["st_atime"] >= before
    assert st["st_mtime"] == 5_000_000_000


def test_operations_errors_are_host_errnos(ops: RootOperations) -> None:
    cases: list[tuple[Callable[[], object], int]] = [
        (lambda: ops.getattr("/nope"), errno.ENOENT),
        (lambda: ops.mkdir("/etc", 0o755), errno.EEXIST),
        (lambda: ops.rmdir("/etc/hosts"), errno.ENOTDIR),
        (lambda: ops.unlink("/etc"), errno.EISDIR),
        (lambda: ops.readlink("/etc/hosts"), errno.EINVAL),
        (lambda: ops.create("/nope/x", 0o644, 0), errno.ENOENT),
        (lambda: ops.chown("/etc/hosts", os.getuid() + 1, -1), errno.EPERM),
    ]
    for call, expected in cases:
        with pytest.raises(OSError, match=os.strerror(expected)) as e:
            call()
        assert e.value.errno == expected


# -- a real mount ------------------------------------------------------------------------


def fuse_unusable() -> str | None:
    """Why a FUSE mount cannot work here (None: try it)."""
    try:
        import mfusepy  # noqa: F401  # loads libfuse
    except (OSError, AttributeError) as e:
        return f"libfuse cannot be loaded ({e}): install fuse3 (apt-get install fuse3)"
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as e:
        return f"/dev/fuse cannot be opened ({e.strerror}): no FUSE device here"
    return None


def occlum(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(BIN / "occlum"), *args], cwd=cwd, capture_output=True,
                          timeout=120, check=False)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    path = tmp_path / "inst"
    new_instance(path)
    (path / "image" / "etc" / "data.txt").write_bytes(b"from the image\n")
    Instance(path).build()
    return path


@pytest.fixture
def mounted(instance: Path, tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    why = fuse_unusable()
    if why:
        pytest.skip(why)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = subprocess.Popen([str(BIN / "occlum"), "mount", str(mnt)], cwd=instance,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not os.path.ismount(mnt):
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                if any(s in err for s in ("not permitted", "Permission denied", "fusermount")):
                    pytest.skip(f"FUSE mounts are not allowed here: {err.strip()}")
                pytest.fail(f"occlum mount exited with {proc.returncode}: {err}")
            if time.monotonic() > deadline:
                pytest.fail("occlum mount did not mount within 60 s")
            time.sleep(0.05)
        yield mnt, proc
    finally:
        if proc.poll() is None and os.path.ismount(mnt):
            unmount(mnt, proc)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def unmount(mnt: Path, proc: subprocess.Popen[bytes], how: str = "fusermount") -> None:
    fusermount = shutil.which("fusermount3") or shutil.which("fusermount")
    if how == "fusermount" and fusermount:
        subprocess.run([fusermount, "-u", str(mnt)], check=True, timeout=30)
    else:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: libfuse unmounts and returns


@pytest.mark.parametrize("how", ["fusermount", "ctrl-c"])
def test_mount_reads_and_writes(
    mounted: tuple[Path, subprocess.Popen[bytes]], instance: Path, how: str
) -> None:
    mnt, proc = mounted
    assert {"bin", "etc", "root", "tmp"} <= set(os.listdir(mnt))
    assert (mnt / "etc" / "data.txt").read_bytes() == b"from the image\n"
    assert (mnt / "etc" / "hosts").read_text() == "127.0.0.1 localhost\n"
    data = os.urandom(300_000)
    (mnt / "root" / "new.bin").write_bytes(data)
    assert (mnt / "root" / "new.bin").read_bytes() == data
    assert (mnt / "root" / "new.bin").stat().st_size == len(data)
    (mnt / "root" / "d").mkdir()
    os.rename(mnt / "root" / "new.bin", mnt / "root" / "d" / "new.bin")
    os.symlink("d/new.bin", mnt / "root" / "link")
    assert os.readlink(mnt / "root" / "link") == "d/new.bin"
    with open(mnt / "etc" / "data.txt", "ab") as f:  # an image file: copied up
        f.write(b"appended\n")
    os.unlink(mnt / "etc" / "hosts")
    assert "hosts" not in os.listdir(mnt / "etc")
    with pytest.raises(FileNotFoundError):
        (mnt / "nope").read_bytes()
    assert os.statvfs(mnt).f_namemax == 255
    # The instance cannot run while mounted.
    r = occlum("run", "/bin/x", cwd=instance)
    assert r.returncode == 1
    assert b"already running" in r.stderr

    unmount(mnt, proc, how)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else b""
    assert not os.path.ismount(mnt)
    # Committed to the encrypted layer: a fresh look sees everything.
    r = occlum("fs", "cat", "/root/d/new.bin", cwd=instance)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data
    r = occlum("fs", "cat", "/root/link", "/etc/data.txt", cwd=instance)
    assert r.stdout == data + b"from the image\nappended\n"
    assert occlum("fs", "ls", "/etc", cwd=instance).stdout == b"data.txt\ngroup\nhostname\npasswd\n"


def test_mount_needs_a_directory(instance: Path) -> None:
    r = occlum("mount", str(instance / "nope"), cwd=instance)
    assert r.returncode == 1
    assert b"occlum mount: " in r.stderr
    assert b"not a directory" in r.stderr
    assert b"Traceback" not in r.stderr


def test_mount_without_libfuse_says_what_to_install(instance: Path, tmp_path: Path) -> None:
    env = {**os.environ, "FUSE_LIBRARY_PATH": str(tmp_path / "no-libfuse.so")}
    r = subprocess.run([str(BIN / "occlum"), "mount", str(tmp_path)], cwd=instance,
                       capture_output=True, timeout=120, check=False, env=env)
    assert r.returncode == 1
    assert b"occlum mount: libfuse is not installed" in r.stderr
    assert b"apt-get install fuse3" in r.stderr
    assert b"Traceback" not in r.stderr
