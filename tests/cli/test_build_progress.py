"""What `occlum build` shows while compiling: a bar on a terminal, one line per module
otherwise."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from pyocclum.cli.build_progress import BuildProgress, format_bytes

BIN = Path(sys.executable).parent


def _image(tmp_path: Path) -> Path:
    image = tmp_path / "image"
    (image / "bin").mkdir(parents=True)
    (image / "bin" / "big").write_bytes(b"\0asm" + bytes(3 << 20))
    (image / "bin" / "small").write_bytes(b"\0asm" + bytes(100))
    return image


def test_one_line_per_module_when_not_a_terminal(tmp_path: Path) -> None:
    out = io.StringIO()
    report = BuildProgress(Console(file=out, force_terminal=False, width=200), _image(tmp_path))
    report("bin/big", 0, 3)
    report("bin/small", 1, 3)
    report("bin/gone", 2, 3)
    report("", 3, 3)
    report.close()
    assert out.getvalue().splitlines() == [
        "compiling /bin/big (3.0 MiB) [1/3]",
        "compiling /bin/small (104 B) [2/3]",
        "compiling /bin/gone [3/3]",
    ]


def test_a_bar_on_a_terminal_once_compiling_takes_a_moment(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    report = BuildProgress(console, _image(tmp_path), delay=0.05)
    report("bin/big", 0, 2)
    assert out.getvalue() == ""  # not yet: a quick build shows no bar
    time.sleep(0.5)
    report("bin/small", 1, 2)
    time.sleep(0.3)  # rich redraws 10 times a second
    report("", 2, 2)
    report.close()
    shown = out.getvalue()
    assert "compiling" in shown
    assert "/bin/big (3.0 MiB)" in shown
    assert "/bin/small (104 B)" in shown
    assert "1/2" in shown


def test_no_bar_when_the_build_ends_first(tmp_path: Path) -> None:
    out = io.StringIO()
    report = BuildProgress(Console(file=out, force_terminal=True), _image(tmp_path), delay=5)
    report("bin/big", 0, 1)
    report("", 1, 1)
    report.close()
    assert out.getvalue() == ""


def test_format_bytes() -> None:
    assert [format_bytes(n) for n in (0, 1023, 1024, 1536, 1 << 20, 229_400_000)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 KiB", "1.0 MiB", "218.8 MiB"]


def test_occlum_build_says_which_module_it_compiles(tmp_path: Path) -> None:
    import wasmtime

    def occlum(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "occlum"), *args], cwd=tmp_path / "i",
                              capture_output=True, text=True, timeout=300, check=False)

    (tmp_path / "i").mkdir()
    assert occlum("init", "--bare").returncode == 0
    prog = tmp_path / "i" / "image" / "bin" / "prog"
    prog.write_bytes(bytes(wasmtime.wat2wasm('(module (func (export "_start")))')))
    r = occlum("build")
    assert r.returncode == 0, r.stderr
    assert f"compiling /bin/prog ({prog.stat().st_size} B) [1/1]\n" in r.stderr
    # The summary is one line, however long (not wrapped at 80 columns off a terminal).
    mrenclave = occlum("print", "mrenclave").stdout.strip()
    summary = r.stderr.splitlines()[-1]
    assert summary.startswith("Built the image:")
    assert summary.endswith(f"MRENCLAVE {mrenclave}")
    r = occlum("build")  # nothing to compile: no line
    assert r.returncode == 0, r.stderr
    assert "compiling" not in r.stderr
