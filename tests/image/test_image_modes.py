"""Modes through ``occlum build``: the image keeps the permission bits of the host's
``image/`` files (execute bits included, so its programs run, and only they), they
show inside, a rebuild picks up a changed mode, and a chmod inside lands in the
encrypted upper layer, where it survives the next boot while the image keeps its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from pyocclum.abi.wasi import FileType
from pyocclum.boot.instance import Instance
from pyocclum.config.template import new_instance
from pyocclum.fs.types import Inode

EXIT_3 = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 3))))"""

CHMOD_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
    if (argc != 3 || chmod(argv[2], (mode_t)strtol(argv[1], NULL, 8)) != 0) {
        perror("chmod");
        return 1;
    }
    return 0;
}
"""
CC = Path(sys.executable).parent / "occlum-cc"

MODES = {
    "bin/prog": 0o755,
    "bin/setuid": 0o4711,
    "bin/noexec": 0o644,
    "etc/secret": 0o600,
    "opt/d": 0o750,
    "opt/d/f": 0o640,
    "opt/sticky": 0o1777,
}


def lookup(root: Inode, path: str) -> Inode:
    node = root
    for part in path.split("/"):
        node = node.lookup(part)
    return node


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    folder = tmp_path_factory.mktemp("modes") / "inst"
    new_instance(folder)
    image = folder / "image"
    program = bytes(wasmtime.wat2wasm(EXIT_3))
    for rel in MODES:
        p = image / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel in ("opt/d", "opt/sticky"):
            p.mkdir(exist_ok=True)
        else:
            p.write_bytes(program if rel.startswith("bin/") else b"data")
    for rel, mode in sorted(MODES.items(), key=lambda kv: -len(kv[0])):  # files first
        os.chmod(image / rel, mode)
    os.symlink("prog", image / "bin" / "link")
    (folder / "chmod.c").write_text(CHMOD_C)
    subprocess.run([str(CC), str(folder / "chmod.c"), "-o", str(image / "bin" / "chmod")],
                   check=True)
    i = Instance(folder)
    i.build()
    return i


def test_the_image_keeps_the_host_modes(inst: Instance) -> None:
    with inst.open_root() as root:
        for rel, mode in MODES.items():
            st = lookup(root.root(), rel).stat()
            assert st.mode == mode, rel
            assert (st.uid, st.gid) == (0, 0)  # the image records no owners: root's
        link = lookup(root.root(), "bin/link")
        assert link.filetype == FileType.SYMBOLIC_LINK
        assert link.stat().mode == 0o777


def test_programs_run_only_with_an_execute_bit(inst: Instance) -> None:
    assert inst.run(["/bin/prog"], capture=True).exit_code == 3
    assert inst.run(["/bin/setuid"], capture=True).exit_code == 3
    assert inst.run(["/bin/link"], capture=True).exit_code == 3
    r = inst.run(["/bin/noexec"], capture=True)
    assert r.exit_code == 127
    assert r.error == "/bin/noexec is not executable"


def test_a_rebuild_takes_a_changed_mode(inst: Instance) -> None:
    os.chmod(inst.path / "image" / "bin" / "noexec", 0o700)
    inst.build()
    try:
        assert inst.run(["/bin/noexec"], capture=True).exit_code == 3
        with inst.open_root() as root:
            assert lookup(root.root(), "bin/noexec").stat().mode == 0o700
    finally:
        os.chmod(inst.path / "image" / "bin" / "noexec", 0o644)
        inst.build()


def test_chmod_inside_persists_in_the_upper_layer(inst: Instance) -> None:
    r = inst.run(["/bin/chmod", "4700", "/etc/secret"], capture=True)
    assert r.exit_code == 0, r.stderr
    r = inst.run(["/bin/chmod", "0", "/bin/prog"], capture=True)
    assert r.exit_code == 0, r.stderr
    assert inst.run(["/bin/prog"], capture=True).error == "/bin/prog is not executable"
    with inst.open_root() as root:
        assert lookup(root.root(), "etc/secret").stat().mode == 0o4700
        assert lookup(root.root(), "opt/d/f").stat().mode == 0o640  # untouched
    # The measured image itself is unchanged: the host's file and the lower layer.
    assert (inst.path / "image" / "etc" / "secret").stat().st_mode & 0o7777 == 0o600
    r = inst.run(["/bin/chmod", "755", "/bin/prog"], capture=True)
    assert r.exit_code == 0, r.stderr
    assert inst.run(["/bin/prog"], capture=True).exit_code == 3
