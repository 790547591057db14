"""Cold start: ``occlum run /bin/hello_world`` as a fresh host process.

PyOcclum figure: wall time of the whole command (interpreter start, imports,
key derivation, mounting, loading the authenticated native code, running
hello world, shutting down) in an instance that is already built, so the
code cache exists. Baseline: ``python -c "import wasmtime"`` with the same
interpreter, i.e. the least any Python embedding of wasmtime can cost.
The two are interleaved (alternating which goes first) after one untimed
warm-up run of each, and the medians are compared.
"""

from __future__ import annotations

import sys

from bench.core import BenchError, Benchmark, Context, Row, median, run_checked, timed_run, tool

NAME = "cold_start"
#: PyOcclum's cold start may take at most this many times the baseline.
TARGET_RATIO = 1.8
FULL_RUNS = 10
QUICK_RUNS = 3
EXPECTED_OUTPUT = b"Hello World"


def measure(ctx: Context) -> list[Row]:
    folder = ctx.workspace.instance(["hello_world"])
    occlum_cmd = [str(tool("occlum")), "run", "/bin/hello_world"]
    baseline_cmd = [sys.executable, "-c", "import wasmtime"]

    # Untimed warm-up (page cache, first-run set-up), which also checks the output.
    out = run_checked(occlum_cmd, cwd=folder, what="occlum run")
    if EXPECTED_OUTPUT not in out:
        raise BenchError(f"occlum run /bin/hello_world printed {out!r}, not {EXPECTED_OUTPUT!r}")
    run_checked(baseline_cmd, what="python -c 'import wasmtime'")

    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    occlum: list[float] = []
    baseline: list[float] = []
    for i in range(runs):
        ctx.say(f"cold start: run {i + 1}/{runs}")
        first_occlum = i % 2 == 0
        if not first_occlum:
            baseline.append(timed_run(baseline_cmd))
        occlum.append(timed_run(occlum_cmd, cwd=folder, what="occlum run"))
        if first_occlum:
            baseline.append(timed_run(baseline_cmd))

    return [
        Row(
            benchmark=NAME,
            case="occlum run /bin/hello_world",
            unit="ms",
            pyocclum=median(occlum) * 1e3,
            baseline=median(baseline) * 1e3,
            baseline_is="python -c 'import wasmtime'",
            target=TARGET_RATIO,
            method=(f"median of {runs} run{'s' if runs != 1 else ''} each, interleaved; "
                    f"runs: PyOcclum {min(occlum) * 1e3:,.1f}-{max(occlum) * 1e3:,.1f} ms, "
                    f"baseline {min(baseline) * 1e3:,.1f}-{max(baseline) * 1e3:,.1f} ms"),
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="wall time of `occlum run /bin/hello_world` vs `python -c 'import wasmtime'`",
    measure=measure,
)
