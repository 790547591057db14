"""The Linux test suite: every program in ``programs/`` prints the same lines and
ends the same way built with occlum-cc inside as built with gcc on Linux."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from linux_harness import Program, all_programs, build_inside, build_native, run_inside, run_native

from pyocclum.boot import Instance
from pyocclum.cli.userland import install_userland
from pyocclum.config.template import new_instance


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built instance with the userland; programs run from its ``/host/bin``."""
    folder = tmp_path_factory.mktemp("linux") / "inst"
    new_instance(folder)
    install_userland(folder / "image" / "bin")
    config_path = folder / "Occlum.json"
    config = json.loads(config_path.read_text())
    config["entry_points"] = ["/bin", "/host/bin"]
    config_path.write_text(json.dumps(config, indent=2))
    Instance(folder).build()
    return folder


def _param(program: Program) -> object:
    marks = [pytest.mark.xfail(reason=program.xfail, strict=True)] if program.xfail else []
    return pytest.param(program, id=program.name, marks=marks)


@pytest.mark.parametrize("program", [_param(p) for p in all_programs()])
def test_same_as_linux(program: Program, instance: Path, tmp_path: Path) -> None:
    native = run_native(program, build_native(program), tmp_path / program.name)
    inside = run_inside(program, build_inside(program), instance)
    diff = "\n".join(difflib.unified_diff(native.stdout.splitlines(), inside.stdout.splitlines(),
                                         "native", "inside", lineterm=""))
    report = (f"\n{diff}\n--- native (exit {native.exit_code}) stderr:\n{native.stderr}"
              f"--- inside (exit {inside.exit_code}) stderr:\n{inside.stderr}")
    assert inside.stdout.splitlines() == native.stdout.splitlines(), report
    assert inside.exit_code == native.exit_code, report
