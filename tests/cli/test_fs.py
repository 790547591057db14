"""`occlum fs ls|cat|cp|rm`: the instance's root file system from the host, without FUSE.

The commands run in-process through click's CliRunner, in the instance folder
as users run them; what they write must be in the encrypted writable layer
(a later command, and a program inside, see it; the host sees no plaintext).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime
from click.testing import CliRunner, Result

from pyocclum.boot import Instance
from pyocclum.cli.commands import cli
from pyocclum.config.template import new_instance

# Exits with the errno of path_filestat_get("etc/data.txt") on the root preopen (fd 3).
PROBE = bytes(wasmtime.wat2wasm("""
(module
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $stat (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "etc/data.txt")
  (func (export "_start")
    (call $exit (call $stat (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 12)
                            (i32.const 64)))))
"""))
WASI_ENOENT = 44
IMAGE_DATA = b"from the image\n"
MARKER = b"plaintext-marker-7f3a9c"


@pytest.fixture
def inst(tmp_path: Path) -> Path:
    path = tmp_path / "inst"
    new_instance(path)
    (path / "image" / "bin" / "probe").write_bytes(PROBE)
    (path / "image" / "bin" / "probe").chmod(0o755)
    (path / "image" / "etc" / "data.txt").write_bytes(IMAGE_DATA)
    (path / "image" / "root" / "sub").mkdir()
    (path / "image" / "root" / "sub" / "a.txt").write_bytes(b"a\n")
    Instance(path).build()
    return path


def occlum(inst: Path, *args: str) -> Result:
    """`occlum ARGS...` in the instance folder; a traceback fails the test."""
    with contextlib.chdir(inst):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


def ok(inst: Path, *args: str) -> bytes:
    r = occlum(inst, *args)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    return r.stdout_bytes


def fails(inst: Path, *args: str) -> str:
    r = occlum(inst, *args)
    assert r.exit_code == 1, (r.stdout, r.stderr)
    return r.stderr


def test_ls_and_cat_image_files(inst: Path) -> None:
    assert ok(inst, "fs", "ls").split() == [
        b"bin", b"dev", b"etc", b"host", b"lib", b"proc", b"root", b"tmp"]
    assert ok(inst, "fs", "ls", "/etc") == b"data.txt\ngroup\nhostname\nhosts\npasswd\n"
    assert ok(inst, "fs", "ls", "etc/hosts") == b"etc/hosts\n"
    assert ok(inst, "fs", "cat", "/etc/hosts", "/etc/data.txt") == (
        b"127.0.0.1 localhost\n" + IMAGE_DATA)
    lines = ok(inst, "fs", "ls", "-l", "/etc").decode().splitlines()
    assert len(lines) == 5
    mode, links, size, _day, _time, name = lines[3].split()
    assert (mode, links, size, name) == ("-rw-r--r--", "1", "20", "hosts")
    assert ok(inst, "fs", "ls", "-l", "/root").decode().startswith("drwx")


def test_cp_file_in_and_out(inst: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(MARKER * 1000)
    src.chmod(0o640)
    ok(inst, "fs", "cp", str(src), ":/root/in.txt")
    ok(inst, "fs", "cp", str(src), ":/tmp")  # into a directory: keeps the name
    assert ok(inst, "fs", "cat", "/root/in.txt") == MARKER * 1000
    assert ok(inst, "fs", "cat", "/tmp/in.txt") == MARKER * 1000
    assert ok(inst, "fs", "ls", "-l", "/root/in.txt").startswith(b"-rw-r----- ")
    # Over an existing file (of the image: copied up, the image unchanged).
    src.write_bytes(b"new\n")
    ok(inst, "fs", "cp", str(src), ":/etc/data.txt")
    assert ok(inst, "fs", "cat", "/etc/data.txt") == b"new\n"
    assert (inst / "image" / "etc" / "data.txt").read_bytes() == IMAGE_DATA

    out = tmp_path / "out"
    out.mkdir()
    ok(inst, "fs", "cp", ":/root/in.txt", str(out / "copy.txt"))
    ok(inst, "fs", "cp", ":/etc/hosts", str(out))
    assert (out / "copy.txt").read_bytes() == MARKER * 1000
    assert stat.S_IMODE((out / "copy.txt").stat().st_mode) == 0o640
    assert (out / "hosts").read_bytes() == b"127.0.0.1 localhost\n"
    # In the encrypted layer: nowhere in the instance folder in plaintext.
    for path in (inst / "run").rglob("*"):
        if path.is_file():
            assert MARKER not in path.read_bytes(), path


def test_cp_directories(inst: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    (tree / "top.txt").write_bytes(b"top\n")
    (tree / "sub" / "deeper" / "x.bin").write_bytes(bytes(range(256)) * 5000)
    (tree / "link").symlink_to("top.txt")
    r = occlum(inst, "fs", "cp", str(tree), ":/root")
    assert r.exit_code == 1
    assert "tree: Is a directory (use -r)" in r.stderr
    ok(inst, "fs", "cp", "-r", str(tree), ":/root")
    assert ok(inst, "fs", "ls", "/root/tree") == b"link\nsub\ntop.txt\n"
    assert ok(inst, "fs", "ls", "-l", "/root/tree/link").endswith(b"link -> top.txt\n")
    assert ok(inst, "fs", "cat", "/root/tree/link") == b"top\n"
    # A new name: the copy is called that.
    ok(inst, "fs", "cp", "-r", str(tree / "sub"), ":/root/renamed")
    assert ok(inst, "fs", "ls", "/root/renamed") == b"deeper\n"

    back = tmp_path / "back"
    ok(inst, "fs", "cp", "-r", ":/root/tree", str(back))
    assert (back / "top.txt").read_bytes() == b"top\n"
    assert (back / "sub" / "deeper" / "x.bin").read_bytes() == bytes(range(256)) * 5000
    assert os.readlink(back / "link") == "top.txt"
    # Into an existing directory: keeps the name; image and upper content merge.
    ok(inst, "fs", "cp", "-r", ":/root", str(back))
    assert sorted(p.name for p in (back / "root").iterdir()) == ["renamed", "sub", "tree"]
    assert (back / "root" / "sub" / "a.txt").read_bytes() == b"a\n"


def test_rm_upper_and_image_files(inst: Path, tmp_path: Path) -> None:
    assert Instance(inst).run(["/bin/probe"], capture=True).exit_code == 0
    src = tmp_path / "f"
    src.write_bytes(b"x")
    ok(inst, "fs", "cp", str(src), ":/root/f")
    ok(inst, "fs", "rm", "/root/f", "/etc/data.txt")
    assert ok(inst, "fs", "ls", "/root") == b"sub\n"
    assert ok(inst, "fs", "ls", "/etc") == b"group\nhostname\nhosts\npasswd\n"
    assert "/etc/data.txt: No such file or directory" in fails(inst, "fs", "cat", "/etc/data.txt")
    # The program inside sees it gone too; the image itself is unchanged.
    assert Instance(inst).run(["/bin/probe"], capture=True).exit_code == WASI_ENOENT
    assert (inst / "image" / "etc" / "data.txt").read_bytes() == IMAGE_DATA

    message = fails(inst, "fs", "rm", "/root/sub")
    assert "occlum fs rm: /root/sub: Is a directory (use -r)" in message
    ok(inst, "fs", "rm", "-r", "/root/sub")
    assert ok(inst, "fs", "ls", "/root") == b""
    # A new file may take a removed image file's name again.
    ok(inst, "fs", "cp", str(src), ":/etc/data.txt")
    assert Instance(inst).run(["/bin/probe"], capture=True).exit_code == 0


def test_errors_name_the_path_and_the_reason(inst: Path, tmp_path: Path) -> None:
    assert fails(inst, "fs", "cat", "/etc/nope") == (
        "occlum fs cat: /etc/nope: No such file or directory\n")
    # The other paths are still done.
    r = occlum(inst, "fs", "cat", "/etc/nope", "/etc/hosts", "/etc")
    assert (r.exit_code, r.stdout_bytes) == (1, b"127.0.0.1 localhost\n")
    assert "occlum fs cat: /etc: Is a directory" in r.stderr
    assert "occlum fs ls: /nope: No such file or directory" in fails(inst, "fs", "ls", "/nope")
    assert "Not a directory" in fails(inst, "fs", "ls", "/etc/hosts/x")
    assert "refusing to remove '/'" in fails(inst, "fs", "rm", "/")
    assert "occlum fs rm: /gone: No such file or directory" in fails(inst, "fs", "rm", "/gone")
    for args in (("a", "b"), (":/a", ":/b")):
        message = fails(inst, "fs", "cp", *args)
        assert "exactly one side must be" in message
        assert "leading ':'" in message
    missing = tmp_path / "missing"
    assert f"occlum fs cp: {missing}: No such file or directory" in fails(
        inst, "fs", "cp", str(missing), ":/root")
    assert "occlum fs cp: :/nope: No such file or directory" in fails(
        inst, "fs", "cp", ":/nope", str(tmp_path))
    assert "No such file or directory" in fails(
        inst, "fs", "cp", str(inst / "Occlum.json"), ":/no/such/dir/x")
    # Not an instance, bad key file.
    assert "not an Occlum instance" in fails(tmp_path, "fs", "ls")
    (tmp_path / "bad.key").write_text("nonsense")
    assert "not a key" in fails(inst, "fs", "--key", str(tmp_path / "bad.key"), "ls")


def test_user_key(inst: Path, tmp_path: Path) -> None:
    key = tmp_path / "user.key"
    occlum(tmp_path, "gen-image-key", str(key))
    src = tmp_path / "secret.txt"
    src.write_bytes(b"secret\n")
    ok(inst, "fs", "--key", str(key), "cp", str(src), ":/root/secret.txt")
    assert ok(inst, "fs", "--key", str(key), "cat", "/root/secret.txt") == b"secret\n"
    # Without the key the writable layer does not open: a message, not a traceback.
    message = fails(inst, "fs", "ls", "/root")
    assert message.startswith("occlum fs ls: refusing to open the instance's files: ")
    assert "wrong key or not a sefs volume" in message


@contextlib.contextmanager
def run_lock(inst: Path) -> Iterator[None]:
    """Hold the lock a running instance holds."""
    (inst / "run").mkdir(exist_ok=True)
    with (inst / "run" / ".lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield


def test_refused_while_the_instance_runs(inst: Path) -> None:
    with run_lock(inst):
        assert "already running" in fails(inst, "fs", "ls")
        assert "already running" in fails(inst, "fs", "cat", "/etc/hosts")
    assert ok(inst, "fs", "cat", "/etc/hostname") == b"occlum\n"
