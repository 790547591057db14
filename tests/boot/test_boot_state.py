"""The cached verified boot state (boot/bootstate.py): a boot of an unchanged build
skips the signature check, the measurement and the manifest parse the last boot
made; with the record present, a changed build/ or Occlum.json is still refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime

from pyocclum.boot import Instance
from pyocclum.boot import instance as instance_module
from pyocclum.boot.bootstate import BOOT_STATE
from pyocclum.config.template import new_instance
from pyocclum.errors import InstanceError
from pyocclum.fs import integrityfs
from pyocclum.image.identity import SigStruct, compute_mrenclave

HELLO = bytes(wasmtime.wat2wasm("""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""))


@pytest.fixture
def inst(tmp_path: Path) -> Instance:
    new_instance(tmp_path / "inst")
    (tmp_path / "inst" / "image" / "bin" / "hi").write_bytes(HELLO)
    (tmp_path / "inst" / "image" / "bin" / "hi").chmod(0o755)
    i = Instance(tmp_path / "inst")
    i.build()
    return i


class Checks:
    """Counts the checks a boot makes that a valid record lets it skip."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        verify, measure, parse = (SigStruct.verify, compute_mrenclave,
                                  integrityfs.parse_manifest)

        def counted(name: str, f: Callable[..., object]) -> Callable[..., object]:
            def call(*args: object, **kwargs: object) -> object:
                self.calls.append(name)
                return f(*args, **kwargs)
            return call

        monkeypatch.setattr(SigStruct, "verify", counted("signature", verify))
        monkeypatch.setattr(instance_module, "compute_mrenclave", counted("measurement", measure))
        monkeypatch.setattr(integrityfs, "parse_manifest", counted("manifest", parse))


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Checks:
    return Checks(monkeypatch)


def run(inst: Instance) -> bytes | None:
    r = inst.run(["/bin/hi"], capture=True)
    assert r.exit_code == 0, r.error
    return r.stdout


def test_an_unchanged_build_is_verified_once(inst: Instance, checks: Checks) -> None:
    assert run(inst) == b"hi\n"
    assert checks.calls == ["signature", "measurement", "manifest"]
    assert (inst.path / BOOT_STATE).is_file()
    checks.calls.clear()
    assert run(Instance(inst.path)) == b"hi\n"
    assert checks.calls == []
    with inst.open_root() as root:  # occlum fs / occlum mount open it the same way
        assert root.root().find("bin") is not None
    assert checks.calls == []


def _record_present(inst: Instance) -> None:
    run(inst)
    assert (inst.path / BOOT_STATE).is_file()


def test_changed_runtime_config_is_refused_with_the_record_present(inst: Instance) -> None:
    _record_present(inst)
    runtime = inst.path / "build" / "runtime.json"
    runtime.write_text(runtime.read_text().replace('"max_processes": 256', '"max_processes": 9'))
    with pytest.raises(InstanceError, match="does not match the signed measurement"):
        run(inst)


def test_changed_signature_structure_is_refused_with_the_record_present(inst: Instance) -> None:
    _record_present(inst)
    sig = inst.path / "build" / "sigstruct.json"
    sig.write_text(sig.read_text().replace('"product_id": 0', '"product_id": 1'))
    with pytest.raises(InstanceError, match="signature does not verify"):
        run(inst)


def test_changed_occlum_json_is_refused_with_the_record_present(inst: Instance) -> None:
    _record_present(inst)
    config = json.loads(inst.config_file.read_text())
    config["resource_limits"]["max_num_of_threads"] = 17
    inst.config_file.write_text(json.dumps(config))
    with pytest.raises(InstanceError, match="changed since the last build"):
        run(inst)


def test_changed_manifest_is_refused_with_the_record_present(inst: Instance) -> None:
    _record_present(inst)
    manifest = inst.path / "build" / "mount" / "__ROOT" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"mode":493', b'"mode":511', 1))
    with pytest.raises(InstanceError, match="does not match the expected root"):
        run(inst)


def test_a_changed_record_is_ignored_and_replaced(inst: Instance, checks: Checks) -> None:
    _record_present(inst)
    record = inst.path / BOOT_STATE
    good = record.read_bytes()
    data = bytearray(good)
    data[-1] ^= 1
    record.write_bytes(bytes(data))
    checks.calls.clear()
    assert run(inst) == b"hi\n"
    assert checks.calls == ["signature", "measurement", "manifest"]
    assert record.read_bytes() == good


def test_a_record_of_another_build_is_not_used(inst: Instance, checks: Checks) -> None:
    _record_present(inst)
    old = (inst.path / BOOT_STATE).read_bytes()
    (inst.path / "image" / "etc" / "motd").write_text("new\n")
    inst.build()
    (inst.path / BOOT_STATE).write_bytes(old)
    checks.calls.clear()
    assert run(inst) == b"hi\n"
    assert checks.calls == ["signature", "measurement", "manifest"]


def test_a_record_under_another_platform_secret_is_not_used(
    inst: Instance, checks: Checks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record_present(inst)
    monkeypatch.setenv("PYOCCLUM_PLATFORM_SECRET", str(tmp_path / "other-secret"))
    checks.calls.clear()
    inst.verified_config()
    assert checks.calls == ["signature", "measurement"]
