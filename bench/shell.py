"""A shell script's loop: ``/bin/sh`` and the utilities inside vs ``bash`` and coreutils.

Each iteration of :data:`SCRIPT` runs a three-stage pipeline, a ``cat``, a
command substitution of ``expr`` and a ``[`` test: about four to six new
processes, which is what shell scripts spend their time on. Inside PyOcclum
each is a ``posix_spawn`` of a new SIP in the same LibOS; natively, bash
forks and execs host processes. Both run the same script text, in a
fresh interpreter each time, with the loop count as its argument; the time
of the loop is the wall time of the run with N iterations minus that of
the same run with 0 (so boot and interpreter start-up cancel out). Runs
alternate; the medians are compared. Target: inside faster than native.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bench.core import BenchError, Benchmark, Context, Row, median, run_checked

NAME = "shell"
TARGET_RATIO = 1.0
FULL_ITERATIONS = 200
QUICK_ITERATIONS = 20
FULL_RUNS = 3
QUICK_RUNS = 1

SCRIPT = """\
i=0
while [ $i -lt "$1" ]; do
    echo "line $i of the shell benchmark" | grep shell | wc -c > "$2"
    cat "$2" > /dev/null
    i=$(expr $i + 1)
done
"""


def _instance(ctx: Context) -> Path:
    """An instance of its own with the userland and the script at ``/bench/loop.sh``."""
    from pyocclum.boot import Instance
    from pyocclum.cli.cc import CompilerError
    from pyocclum.cli.userland import install_userland
    from pyocclum.config.template import new_instance

    folder = ctx.workspace.root / "shell-instance"
    if not folder.exists():
        try:
            new_instance(folder)
            install_userland(folder / "image" / "bin")
        except CompilerError as e:
            raise BenchError(f"cannot build the userland: {e}") from e
        (folder / "image" / "bench").mkdir()
        (folder / "image" / "bench" / "loop.sh").write_text(SCRIPT)
        Instance(folder).build()
    return folder


def _inside(folder: Path, iterations: int) -> float:
    from pyocclum.boot import Instance

    start = time.perf_counter()
    r = Instance(folder).run(["/bin/sh", "/bench/loop.sh", str(iterations), "/tmp/f"],
                             capture=True)
    elapsed = time.perf_counter() - start
    if r.exit_code != 0:
        raise BenchError(f"the loop inside exited with {r.exit_code}: {r.error} "
                         f"{(r.stderr or b'').decode(errors='replace')}")
    return elapsed * 1e3


def _native(bash: str, script: Path, iterations: int, scratch: Path) -> float:
    start = time.perf_counter()
    run_checked([bash, str(script), str(iterations), str(scratch)], what="bash loop")
    return (time.perf_counter() - start) * 1e3


def measure(ctx: Context) -> list[Row]:
    bash = shutil.which("bash")
    if bash is None:
        raise BenchError("no bash on this machine for the native baseline")
    iterations = ctx.settings.loop_count(FULL_ITERATIONS, QUICK_ITERATIONS)
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    folder = _instance(ctx)
    script = ctx.workspace.root / "loop.sh"
    script.write_text(SCRIPT)
    scratch = ctx.workspace.root / "loop.out"
    _inside(folder, 1)  # warm-up: the compiled modules are loaded once per process
    _native(bash, script, 1, scratch)
    inside: list[float] = []
    native: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}, {iterations} iterations")
        inside.append(_inside(folder, iterations) - _inside(folder, 0))
        native.append(_native(bash, script, iterations, scratch)
                      - _native(bash, script, 0, scratch))
    return [
        Row(
            benchmark=NAME,
            case=f"{iterations} iterations of echo | grep | wc; cat; $(expr)",
            unit="ms",
            pyocclum=median(inside),
            baseline=median(native),
            native=median(native),
            baseline_is="bash + coreutils",
            target=TARGET_RATIO,
            method=f"median of {runs} run{'s' if runs != 1 else ''}, "
                   "wall time of N iterations minus 0",
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="a shell loop of pipelines and $(...) inside vs bash + coreutils",
    measure=measure,
)
