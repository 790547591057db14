"""boot/etc.py: the host's resolv.conf, hosts and hostname inside, unless the image has its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from pyocclum.boot import Instance
from pyocclum.boot import etc as boot_etc
from pyocclum.config.template import new_instance
from pyocclum.fs.vfs import Vfs

# Prints /etc/resolv.conf, /etc/hosts and /etc/hostname, each followed by "|"
# ("-|" for one it cannot open), through raw WASI calls.
CAT_ETC = bytes(wasmtime.wat2wasm("""
(module
  (import "wasi_snapshot_preview1" "path_open" (func $open
    (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "etc/resolv.conf")
  (data (i32.const 120) "etc/hosts")
  (data (i32.const 140) "etc/hostname")
  (data (i32.const 160) "|-|")
  (func $out (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $cat (param $path i32) (param $len i32) (local $fd i32)
    (if (call $open (i32.const 3) (i32.const 1) (local.get $path) (local.get $len)
                    (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 16))
      (then (call $out (i32.const 161) (i32.const 2)) (return)))
    (local.set $fd (i32.load (i32.const 16)))
    (i32.store (i32.const 24) (i32.const 4096))
    (i32.store (i32.const 28) (i32.const 60000))
    (drop (call $read (local.get $fd) (i32.const 24) (i32.const 1) (i32.const 32)))
    (call $out (i32.const 4096) (i32.load (i32.const 32)))
    (call $out (i32.const 160) (i32.const 1))
    (drop (call $close (local.get $fd))))
  (func (export "_start")
    (call $cat (i32.const 100) (i32.const 15))
    (call $cat (i32.const 120) (i32.const 9))
    (call $cat (i32.const 140) (i32.const 12))))
"""))

# Prints uname's nodename (the second 65-byte field of the struct) up to its NUL.
NODENAME = bytes(wasmtime.wat2wasm("""
(module
  (import "occlum" "uname" (func $uname (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $n i32)
    (drop (call $uname (i32.const 100)))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (i32.load8_u (i32.add (i32.const 165) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $scan)))
    (i32.store (i32.const 0) (i32.const 165))
    (i32.store (i32.const 4) (local.get $n))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""))


@pytest.fixture
def host_etc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    etc = tmp_path / "host-etc"
    etc.mkdir()
    (etc / "resolv.conf").write_text("nameserver 192.0.2.53\n")
    (etc / "hosts").write_text("127.0.0.1 localhost\n192.0.2.7 db.example\n")
    (etc / "hostname").write_text("hostbox\n")
    monkeypatch.setattr(boot_etc, "HOST_ETC", etc)
    return etc


def make(tmp_path: Path, image_hosts: str | None = None) -> Instance:
    new_instance(tmp_path / "inst")
    image = tmp_path / "inst" / "image"
    (image / "bin" / "cat_etc").write_bytes(CAT_ETC)
    (image / "bin" / "cat_etc").chmod(0o755)
    (image / "bin" / "nodename").write_bytes(NODENAME)
    (image / "bin" / "nodename").chmod(0o755)
    if image_hosts is not None:
        (image / "etc").mkdir(exist_ok=True)
        (image / "etc" / "hosts").write_text(image_hosts)
    inst = Instance(tmp_path / "inst")
    inst.build()
    return inst


def cat_etc(inst: Instance) -> list[str]:
    r = inst.run(["/bin/cat_etc"], stdin=b"", capture=True)
    assert r.exit_code == 0, r
    assert r.stdout is not None
    return r.stdout.decode().split("|")[:3]


def test_a_program_inside_reads_the_hosts_files(tmp_path: Path, host_etc: Path) -> None:
    inst = make(tmp_path)
    assert cat_etc(inst) == ["nameserver 192.0.2.53\n",
                             "127.0.0.1 localhost\n192.0.2.7 db.example\n", "hostbox\n"]
    # The next boot follows the host's changes; a file gone from the host stays as it was.
    (host_etc / "resolv.conf").write_text("nameserver 198.51.100.1\n")
    (host_etc / "hostname").unlink()
    assert cat_etc(inst) == ["nameserver 198.51.100.1\n",
                             "127.0.0.1 localhost\n192.0.2.7 db.example\n", "hostbox\n"]


def test_the_images_own_file_wins(tmp_path: Path, host_etc: Path) -> None:
    inst = make(tmp_path, image_hosts="10.1.1.1 from-the-image\n")
    assert cat_etc(inst) == ["nameserver 192.0.2.53\n", "10.1.1.1 from-the-image\n",
                             "hostbox\n"]


def test_nothing_is_written_when_nothing_changed(tmp_path: Path, host_etc: Path) -> None:
    inst = make(tmp_path)
    cat_etc(inst)
    with inst.open_root() as fs:
        assert boot_etc.copy_host_etc(Vfs(fs), fs) == []
        (host_etc / "hostname").write_text("renamed\n")
        assert boot_etc.copy_host_etc(Vfs(fs), fs) == ["hostname"]


def nodename(inst: Instance) -> bytes:
    r = inst.run(["/bin/nodename"], stdin=b"", capture=True)
    assert r.exit_code == 0, r
    assert r.stdout is not None
    return r.stdout


def test_the_host_name_inside_is_etc_hostname(tmp_path: Path, host_etc: Path) -> None:
    inst = make(tmp_path)
    assert nodename(inst) == b"hostbox"
    # A name Linux could not have (blanks, too long) leaves the default.
    (host_etc / "hostname").write_text("not a name\n")
    assert nodename(inst) == b"occlum"
    (host_etc / "hostname").write_text("h" * 65 + "\n")
    assert nodename(inst) == b"occlum"
    (host_etc / "hostname").write_text("h" * 64 + "\n")
    assert nodename(inst) == b"h" * 64
