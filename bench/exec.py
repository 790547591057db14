"""Server mode: ``occlum exec /bin/hello_world`` against a started instance vs a cold run.

PyOcclum figure: wall time of ``occlum exec /bin/hello_world`` as a fresh host
process (what a user waits for from the shell: interpreter start, the lean
client's imports, connecting to ``run/occlum.sock``, passing stdio, the
spawn inside the running LibOS, the exit status coming back) against an
instance whose server ``occlum start`` started. Baseline: ``occlum run
/bin/hello_world`` cold (boot, run, shut down; the ``cold_start`` figure) in
another instance built from the same programs (an instance being served is
locked against ``occlum run``). Both are timed the same way in the same run,
interleaved (alternating which goes first) after one untimed warm-up of each
that also checks the output; the medians are compared.
"""

from __future__ import annotations

from bench.core import BenchError, Benchmark, Context, Row, median, run_checked, timed_run, tool

NAME = "exec"
#: The issue's target: exec at most a quarter of a cold run.
TARGET_RATIO = 0.25
FULL_RUNS = 20
QUICK_RUNS = 3
EXPECTED_OUTPUT = b"Hello World\n"


def measure(ctx: Context) -> list[Row]:
    cold_folder = ctx.workspace.instance(["hello_world"])
    served = ctx.workspace.named_instance("exec_server", ["hello_world"])
    occlum = str(tool("occlum"))
    run_cmd = [occlum, "run", "/bin/hello_world"]
    exec_cmd = [occlum, "exec", "/bin/hello_world"]

    out = run_checked(run_cmd, cwd=cold_folder, what="occlum run")
    if out != EXPECTED_OUTPUT:
        raise BenchError(f"occlum run /bin/hello_world printed {out!r}")
    run_checked([occlum, "start"], cwd=served, what="occlum start")
    try:
        out = run_checked(exec_cmd, cwd=served, what="occlum exec")
        if out != EXPECTED_OUTPUT:
            raise BenchError(f"occlum exec /bin/hello_world printed {out!r}")
        runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
        execs: list[float] = []
        colds: list[float] = []
        for i in range(runs):
            ctx.say(f"exec: run {i + 1}/{runs}")
            if i % 2:
                colds.append(timed_run(run_cmd, cwd=cold_folder, what="occlum run"))
            execs.append(timed_run(exec_cmd, cwd=served, what="occlum exec"))
            if not i % 2:
                colds.append(timed_run(run_cmd, cwd=cold_folder, what="occlum run"))
    finally:
        run_checked([occlum, "stop"], cwd=served, what="occlum stop")
    return [
        Row(
            benchmark=NAME,
            case="occlum exec /bin/hello_world, started instance",
            unit="ms",
            pyocclum=median(execs) * 1e3,
            baseline=median(colds) * 1e3,
            baseline_is="occlum run /bin/hello_world (cold)",
            target=TARGET_RATIO,
            method=f"median of {runs} run{'s' if runs != 1 else ''} each, interleaved",
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="wall time of `occlum exec /bin/hello_world` (started) vs a cold `occlum run`",
    measure=measure,
)
