"""Kill latency: SIGKILL to a child spinning without system calls, PyOcclum vs Linux.

``programs/kill.c`` spawns a copy of itself that loops forever, lets it run
20 ms, sends SIGKILL and times ``kill`` -> ``waitpid``. Inside PyOcclum the
loop never enters the kernel, so it is stopped by epoch interruption (the
issue asks for "within 50 ms"). Reported: the worst case over N children.
"""

from __future__ import annotations

from bench.core import Benchmark, Context, Row, parse_figure, run_checked, run_inside

NAME = "kill"
#: The issue's bound, shown in the case text (a latency, not a ratio).
BOUND_MS = 50
FULL_KILLS = 50
QUICK_KILLS = 5


def measure(ctx: Context) -> list[Row]:
    from pyocclum.boot import Instance

    kills = ctx.settings.loop_count(FULL_KILLS, QUICK_KILLS)
    ctx.say(f"{NAME}: {kills} busy children each, inside and native")
    instance = Instance(ctx.workspace.instance(["kill"]))
    out = run_inside(instance, ["/bin/kill", "/bin/kill", str(kills)])
    inside = parse_figure(out, "kill_worst_ms", "PyOcclum kill")
    native_prog = ctx.workspace.require_native("kill")
    out = run_checked([str(native_prog), str(native_prog), str(kills)], what="native kill")
    native = parse_figure(out, "kill_worst_ms", "native kill")
    return [
        Row(
            benchmark=NAME,
            case=f"SIGKILL a busy child (bound: {BOUND_MS} ms)",
            unit="ms",
            pyocclum=inside,
            baseline=native,
            native=native,
            baseline_is="Linux (gcc -O2)",
            target=None,
            method=f"worst of {kills} kills",
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="ms from kill(SIGKILL) to waitpid of a child spinning without syscalls",
    measure=measure,
)
