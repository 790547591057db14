"""``#!`` scripts start through their interpreter, as Linux's ``execve`` does.

The oracle is Linux itself: the same scripts, with the same interpreter
(:data:`ARGV_C`, built with gcc and with occlum-cc) run on the host, must
give the same argv, up to the folder the files are in.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyocclum.boot import Instance

CC = Path(sys.executable).parent / "occlum-cc"
ARGV_C = r"""
#include <stdio.h>
int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] <%s>\n", i, argv[i]);
    return 0;
}
"""

#: Script name -> its text, with {bin} for the folder of the programs.
SCRIPTS = {
    "plain": "#!{bin}/args_env\necho not run\n",
    "with_arg": "#! {bin}/args_env  -x  y \t\nrest\n",
    "tab": "#!\t{bin}/args_env\t-t\n",
    "nested": "#!{bin}/with_arg\n",
    "deeper": "#!{bin}/nested\n",
}


def _argv_lines(out: bytes, folder: str) -> list[str]:
    text = out.decode().replace(folder, "<bin>")
    return [line for line in text.splitlines() if line.startswith(("argc", "argv"))]


@pytest.fixture(scope="module")
def native_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("no gcc for the Linux oracle")
    folder = tmp_path_factory.mktemp("native") / "bin"
    folder.mkdir()
    (folder.parent / "argv.c").write_text(ARGV_C)
    subprocess.run(["gcc", "-O2", str(folder.parent / "argv.c"), "-o", str(folder / "args_env")],
                   check=True)
    for name, text in SCRIPTS.items():
        (folder / name).write_text(text.format(bin=folder))
        (folder / name).chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def inside(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    from pyocclum.config.template import new_instance

    folder = tmp_path_factory.mktemp("shebang") / "inst"
    new_instance(folder)
    (folder / "argv.c").write_text(ARGV_C)
    subprocess.run([str(CC), str(folder / "argv.c"), "-o",
                    str(folder / "image" / "bin" / "args_env")], check=True)
    for name, text in SCRIPTS.items():
        (folder / "image" / "bin" / name).write_text(text.format(bin="/bin"))
        (folder / "image" / "bin" / name).chmod(0o755)
    (folder / "image" / "bin" / "loop").write_text("#!/bin/loop\n")
    (folder / "image" / "bin" / "loop").chmod(0o755)
    (folder / "image" / "bin" / "nointerp").write_text("#!\n")
    (folder / "image" / "bin" / "nointerp").chmod(0o755)
    (folder / "image" / "bin" / "missing").write_text("#!/bin/nothing-here\n")
    (folder / "image" / "bin" / "missing").chmod(0o755)
    (folder / "image" / "bin" / "text").write_text("just text\n")
    (folder / "image" / "bin" / "text").chmod(0o755)
    inst = Instance(folder)
    inst.build()
    return inst


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_argv_matches_linux(name: str, native_bin: Path, inside: Instance) -> None:
    native = subprocess.run([str(native_bin / name), "a b", "c"], capture_output=True,
                            check=True)
    r = inside.run([f"/bin/{name}", "a b", "c"], capture=True)
    assert r.exit_code == 0, (r.error, r.stderr)
    assert r.stdout is not None
    expected = _argv_lines(native.stdout, str(native_bin))
    assert expected[0] != "argc 3"  # the interpreter really added arguments
    assert _argv_lines(r.stdout, "/bin") == expected


@pytest.mark.parametrize(("name", "message"), [
    ("loop", "nested #! interpreters"),
    ("nointerp", "no interpreter"),
    ("missing", "/bin/missing: bad interpreter /bin/nothing-here: no such file"),
    ("text", "not a WebAssembly module"),
])
def test_bad_scripts_do_not_start(name: str, message: str, inside: Instance,
                                  native_bin: Path) -> None:
    r = inside.run([f"/bin/{name}"], capture=True)
    assert r.exit_code == 127
    assert message.lower() in r.error.lower(), r.error


def test_linux_refuses_a_script_loop_with_eloop(tmp_path: Path) -> None:
    """What the loop case copies: Linux's ELOOP."""
    loop = tmp_path / "loop"
    loop.write_text(f"#!{loop}\n")
    loop.chmod(0o755)
    with pytest.raises(OSError, match="Too many levels of symbolic links") as info:
        subprocess.run([str(loop)], check=False)
    assert info.value.errno == 40  # ELOOP
