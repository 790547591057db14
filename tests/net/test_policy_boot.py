"""The network policy from Occlum.json reaches the kernel a boot makes."""

from __future__ import annotations

import json
from pathlib import Path

import wasmtime

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

EXIT0 = bytes(wasmtime.wat2wasm("""
(module (memory (export "memory") 1) (func (export "_start")))
"""))


def test_the_policy_of_the_config_is_the_kernels(tmp_path: Path) -> None:
    folder = tmp_path / "inst"
    new_instance(folder)
    (folder / "image" / "bin" / "nop").write_bytes(EXIT0)
    (folder / "image" / "bin" / "nop").chmod(0o755)
    inst = Instance(folder)
    inst.build()
    plain = inst.identity().mrenclave
    assert inst.run(["/bin/nop"], capture=True).exit_code == 0
    assert inst._kernel is not None
    assert inst._kernel.network.unrestricted

    config = json.loads((folder / "Occlum.json").read_text())
    config["network"] = {"bind": ["127.0.0.1:8000-8100"], "connect": []}
    (folder / "Occlum.json").write_text(json.dumps(config))
    inst.build()
    assert inst.identity().mrenclave != plain  # the policy is measured
    assert inst.run(["/bin/nop"], capture=True).exit_code == 0
    policy = inst._kernel.network
    assert policy.allows("bind", "127.0.0.1", 8080)
    assert not policy.allows("bind", "0.0.0.0", 8080)
    assert not policy.allows("connect", "127.0.0.1", 80)
