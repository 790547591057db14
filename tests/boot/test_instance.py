"""The embedding API: build, run, and every bad input the issue lists."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import wasmtime

from pyocclum.boot import Instance
from pyocclum.boot.instance import CODE_CACHE
from pyocclum.config.template import new_instance
from pyocclum.errors import InstanceError

HELLO = bytes(wasmtime.wat2wasm("""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "Hello World\\n")
  (func (export "_start")
    ;; echo up to 32 bytes of stdin after the greeting, then exit with 5
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 128))
    (i32.store (i32.const 20) (i32.const 32))
    (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
    (i32.store (i32.const 20) (i32.load (i32.const 24)))
    (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 5))))
"""))
CRASH = bytes(wasmtime.wat2wasm("""
(module (memory (export "memory") 1)
  (func (export "_start") (drop (i32.load (i32.const 0x7ffffff0)))))
"""))


@pytest.fixture
def inst(tmp_path: Path) -> Instance:
    new_instance(tmp_path / "inst")
    bin_dir = tmp_path / "inst" / "image" / "bin"
    (bin_dir / "hello").write_bytes(HELLO)
    (bin_dir / "hello").chmod(0o755)
    (bin_dir / "crash").write_bytes(CRASH)
    (bin_dir / "crash").chmod(0o755)
    (bin_dir / "script.sh").write_text("#!/bin/sh\necho hi\n")
    (bin_dir / "script.sh").chmod(0o755)
    i = Instance(tmp_path / "inst")
    i.build()
    return i


def test_run_captures_output_and_exit_code(inst: Instance) -> None:
    r = inst.run(["/bin/hello"], stdin=b"ping", capture=True)
    assert (r.exit_code, r.stdout, r.stderr, r.error) == (5, b"Hello World\n", b"ping", "")
    assert r.status == 5 << 8


def test_status_progression(tmp_path: Path) -> None:
    assert Instance(tmp_path).status() == "uninitialized"
    new_instance(tmp_path / "i")
    i = Instance(tmp_path / "i")
    assert i.status() == "initialized"
    i.build()
    assert i.status() == "built"


def test_missing_program_is_127(inst: Instance) -> None:
    r = inst.run(["/bin/x"], capture=True)
    assert r.exit_code == 127
    assert r.error == "/bin/x: no such file"


def test_not_wasm_is_refused(inst: Instance) -> None:
    r = inst.run(["/bin/script.sh"], capture=True)
    assert r.exit_code == 127
    # A #! script runs through its interpreter, and this bare image has no /bin/sh.
    assert r.error == "/bin/script.sh: bad interpreter /bin/sh: no such file"
    (inst.path / "image" / "bin" / "notes.txt").write_text("echo hi\n")
    inst.build()
    r = inst.run(["/bin/notes.txt"], capture=True)
    assert r.exit_code == 127
    assert r.error == "/bin/notes.txt is not executable"  # no x bit: EACCES, as Linux
    (inst.path / "image" / "bin" / "notes.txt").chmod(0o755)
    inst.build()
    r = inst.run(["/bin/notes.txt"], capture=True)
    assert r.exit_code == 127
    assert "not a WebAssembly module" in r.error


def test_invalid_module_fails_the_build_with_the_validators_message(inst: Instance) -> None:
    (inst.path / "image" / "bin" / "broken").write_bytes(b"\0asm\x01\0\0\0\x05\x03\x01")
    with pytest.raises(InstanceError) as e:
        inst.build()
    assert "image/bin/broken" in str(e.value)
    assert "invalid WebAssembly module" in str(e.value)
    assert "end-of-file" in str(e.value)


def test_entry_points_enforced(inst: Instance) -> None:
    r = inst.run(["/etc/hosts"], capture=True)
    assert r.exit_code == 127
    assert "not under an entry point" in r.error
    r = inst.run(["bin/hello"], capture=True)
    assert "must be absolute" in r.error


def test_trap_reports_signal(inst: Instance) -> None:
    r = inst.run(["/bin/crash"], capture=True)
    assert r.exit_code == 128 + 11
    assert "SIGSEGV" in r.error
    assert "out-of-bounds" in r.error


def test_run_before_build_and_outside_instance(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="not an Occlum instance"):
        Instance(tmp_path).run(["/bin/x"])
    new_instance(tmp_path / "i")
    with pytest.raises(InstanceError, match="occlum build"):
        Instance(tmp_path / "i").run(["/bin/x"])


def test_changed_config_needs_rebuild(inst: Instance) -> None:
    cfg = json.loads(inst.config_file.read_text())
    cfg["entry_points"] = ["/bin", "/usr/bin"]
    inst.config_file.write_text(json.dumps(cfg))
    with pytest.raises(InstanceError, match="changed since the last build"):
        inst.run(["/bin/hello"], capture=True)
    inst.build()
    assert inst.run(["/bin/hello"], capture=True).exit_code == 5


def test_bad_config_names_key(inst: Instance) -> None:
    cfg = json.loads(inst.config_file.read_text())
    cfg["resource_limits"]["user_space_sizee"] = "1MB"
    inst.config_file.write_text(json.dumps(cfg))
    with pytest.raises(Exception, match=r"resource_limits\.user_space_sizee"):
        inst.build()


def test_build_is_incremental_and_measured(inst: Instance) -> None:
    first = inst.identity()
    again = inst.build()
    assert again.compiled == ()
    assert again.modules == ("bin/crash", "bin/hello")
    assert again.mrenclave == first.mrenclave.hex()  # same inputs, same measurement
    (inst.path / "image" / "bin" / "hello2").write_bytes(HELLO)  # same content: no compile
    (inst.path / "image" / "bin" / "hello2").chmod(0o755)
    (inst.path / "image" / "bin" / "script.sh").unlink()
    third = inst.build()
    assert third.compiled == ()
    assert third.modules == ("bin/crash", "bin/hello", "bin/hello2")
    assert third.mrenclave != again.mrenclave
    assert third.mrsigner == again.mrsigner


def test_native_code_is_bound_to_the_measurement(
    inst: Instance, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from pyocclum.wasm import codecache

    artifacts = sorted((inst.path / CODE_CACHE).glob("*.cwasm"))
    before = {a.name: a.read_bytes() for a in artifacts}
    (inst.path / "image" / "data.txt").write_text("a new MRENCLAVE")
    with caplog.at_level(logging.WARNING, logger="pyocclum.wasm"):
        assert inst.build().compiled == ()
    assert caplog.records == []  # carrying artifacts over is not a failed authentication
    after = {a.name: a.read_bytes() for a in artifacts}
    # Same native code, new tags: the old ones belong to the old measurement.
    assert {n: b[32:] for n, b in after.items()} == {n: b[32:] for n, b in before.items()}
    assert all(after[n][:32] != before[n][:32] for n in before)

    def no_compile(*args: object) -> None:
        raise AssertionError("compiled at run time")

    monkeypatch.setattr(codecache, "compile_module", no_compile)
    assert inst.run(["/bin/hello"], stdin=b"", capture=True).stdout == b"Hello World\n"
    # Artifacts re-tagged for the old measurement are not accepted any more.
    for name, blob in before.items():
        (inst.path / CODE_CACHE / name).write_bytes(blob)
    with pytest.raises(AssertionError, match="compiled at run time"):
        inst.run(["/bin/hello"], stdin=b"", capture=True)


def test_tampered_build_refuses_to_start(inst: Instance) -> None:
    runtime = inst.path / "build" / "runtime.json"
    runtime.write_text(runtime.read_text().replace('"max_processes": 256', '"max_processes": 9'))
    with pytest.raises(InstanceError, match="does not match the signed measurement"):
        inst.run(["/bin/hello"], capture=True)
    inst.build()
    sig = inst.path / "build" / "sigstruct.json"
    sig.write_text(sig.read_text().replace('"product_id": 0', '"product_id": 1'))
    with pytest.raises(InstanceError, match="signature does not verify"):
        inst.run(["/bin/hello"], capture=True)


def test_tampered_native_code_is_never_loaded(inst: Instance) -> None:
    cache = inst.path / CODE_CACHE
    artifacts = sorted(cache.glob("*.cwasm"))
    assert artifacts
    for art in artifacts:
        blob = bytearray(art.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        art.write_bytes(bytes(blob))
    # The tag no longer verifies: the module is compiled again from its source.
    r = inst.run(["/bin/hello"], stdin=b"", capture=True)
    assert r.stdout == b"Hello World\n"
    assert r.exit_code == 5


def _write_inside(inst: Instance, name: str, data: bytes) -> None:
    with inst.open_root() as fs:
        fs.root().lookup("root").create(name, 0o600).write(0, data)


def _read_inside(inst: Instance, name: str) -> bytes:
    with inst.open_root() as fs:
        return fs.root().lookup("root").lookup(name).read(0, 1 << 16)


def test_written_data_survives_a_rebuild_with_a_changed_image(inst: Instance) -> None:
    _write_inside(inst, "notes.txt", b"written at runtime")
    assert inst.run(["/bin/hello"], stdin=b"", capture=True).exit_code == 5
    first = inst.root_image_note()
    assert first is not None
    assert first["mrenclave"] == inst.identity().mrenclave.hex()
    (inst.path / "image" / "bin" / "hello2").write_bytes(HELLO)
    (inst.path / "image" / "bin" / "hello2").chmod(0o755)
    inst.build()
    assert _read_inside(inst, "notes.txt") == b"written at runtime"
    assert inst.run(["/bin/hello2"], stdin=b"", capture=True).exit_code == 5
    second = inst.root_image_note()
    assert second is not None
    assert second["mrenclave"] != first["mrenclave"]
    assert second["mrsigner"] == first["mrsigner"]
    # Nothing under run/ holds the plaintext.
    for path in (inst.path / "run").rglob("*"):
        if path.is_file():
            assert b"written at runtime" not in path.read_bytes(), path


def test_another_signer_cannot_open_the_writable_root(inst: Instance, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _write_inside(inst, "mine.txt", b"signer A")
    upper = inst.path / "run" / "mount" / "__ROOT"
    before = {p: p.read_bytes() for p in upper.rglob("*") if p.is_file()}
    key = tmp_path / "other.pem"
    key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    inst.build(sign_key=key)
    with pytest.raises(InstanceError, match=r"refusing to start: .*left untouched"):
        inst.run(["/bin/hello"], stdin=b"", capture=True)
    after = {p: p.read_bytes() for p in upper.rglob("*") if p.is_file()}
    assert after == before
    inst.build()  # the development key again: the data is back
    assert _read_inside(inst, "mine.txt") == b"signer A"


def test_run_key_encrypts_the_root_with_the_user_key(inst: Instance) -> None:
    key = bytes(range(16))
    r = inst.run(["/bin/hello"], stdin=b"", capture=True, user_key=key)
    assert r.exit_code == 5
    # The root was created under the user key: the sealing key cannot open it.
    with pytest.raises(InstanceError, match="refusing to start"):
        inst.run(["/bin/hello"], stdin=b"", capture=True)
    with inst.open_root(user_key=key) as fs:
        assert fs.root().lookup("bin").lookup("hello").stat().size == len(HELLO)
