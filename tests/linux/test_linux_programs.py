"""The Linux test suite: every program in ``programs/`` prints the same lines and
ends the same way built with occlum-cc inside as built with gcc on Linux."""

from __future__ import annotations

import difflib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from linux_harness import (
    Program,
    Ran,
    all_programs,
    build_inside,
    build_native,
    run_batch,
    run_inside,
    run_native,
)

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


class Outcomes:
    """Both sides' results of the programs this session selected, computed together:
    builds in parallel, native runs in parallel, and the inside runs in one boot."""

    def __init__(self, instance: Path, scratch: Path, programs: list[Program]) -> None:
        self.instance, self.scratch = instance, scratch
        self.programs = {p.name: p for p in programs}
        self.errors: dict[str, str] = {}
        self.native: dict[str, Ran] = {}
        self.inside: dict[str, Ran] = {}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            built = dict(zip(self.programs, pool.map(self._build, programs), strict=True))
            ready = [(self.programs[n], b) for n, b in built.items() if b is not None]
            natives = pool.map(lambda pb: run_native(pb[0], pb[1][0],
                                                              scratch / pb[0].name), ready)
            self.native = {p.name: r for (p, _), r in zip(ready, natives, strict=True)}
        inside = [(p, pair[1]) for p, pair in ready]
        self.inside = run_batch(inside, instance, timeout=30 + 5 * len(inside))
        self._inside_binaries = {p.name: b for p, b in inside}

    def _build(self, program: Program) -> tuple[Path, Path] | None:
        try:
            return build_native(program), build_inside(program)
        except AssertionError as e:
            self.errors[program.name] = str(e)
            return None

    def results(self, program: Program) -> tuple[Ran, Ran]:
        if program.name in self.errors:
            pytest.fail(self.errors[program.name])
        if program.name not in self.inside:  # the batch did not get to it: alone
            self.inside[program.name] = run_inside(
                program, self._inside_binaries[program.name], self.instance)
        return self.native[program.name], self.inside[program.name]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, instance: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    selected = []
    for item in request.session.items:
        if isinstance(item, pytest.Function) and item.module is request.module:
            program = item.callspec.params.get("program")
            if isinstance(program, Program):
                selected.append(program)
    return Outcomes(instance, tmp_path_factory.mktemp("native"), selected)


def _param(program: Program) -> object:
    marks = [pytest.mark.xfail(reason=program.xfail, strict=True)] if program.xfail else []
    return pytest.param(program, id=program.name, marks=marks)


@pytest.mark.parametrize("program", [_param(p) for p in all_programs()])
def test_same_as_linux(program: Program, outcomes: Outcomes) -> None:
    native, inside = outcomes.results(program)
    diff = "\n".join(difflib.unified_diff(native.stdout.splitlines(), inside.stdout.splitlines(),
                                         "native", "inside", lineterm=""))
    report = (f"\n{diff}\n--- native (exit {native.exit_code}) stderr:\n{native.stderr}"
              f"--- inside (exit {inside.exit_code}) stderr:\n{inside.stderr}")
    assert inside.stdout.splitlines() == native.stdout.splitlines(), report
    assert inside.exit_code == native.exit_code, report
