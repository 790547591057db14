"""Threads: pthread_create + pthread_join, and a mutex ping-pong between two
threads, PyOcclum vs Linux.

``programs/threads.c`` is built with ``occlum-cc -pthread`` (each thread a
new instance of the program on the process's shared memory, on a host
thread of its own: docs/threads.md) and with ``gcc -O2 -pthread`` (native
pthreads). ``create N`` prints the mean microseconds of one create + join of
a thread that returns at once; ``pingpong N`` the mean microseconds of one
round trip between two threads taking turns through a mutex and two
condition variables. The two sides alternate, R runs each; the medians are
compared.

Targets (issue 12): create + join at most 3x native, ping-pong at most 2x.
"""

from __future__ import annotations

from bench.core import Benchmark, Context, Row, median, parse_figure, run_checked, run_inside

NAME = "threads"
CREATE_TARGET = 3.0
PINGPONG_TARGET = 2.0
FULL = {"create": 3_000, "pingpong": 50_000}
QUICK = {"create": 300, "pingpong": 3_000}
FULL_RUNS = 3
QUICK_RUNS = 1
CASES = {
    "create": ("pthread_create + pthread_join", "create_us"),
    "pingpong": ("mutex ping-pong between two threads (round trip)", "pingpong_us"),
}


def threads_inside(ctx: Context, mode: str, n: int) -> float:
    from pyocclum.boot import Instance

    instance = Instance(ctx.workspace.instance(["threads"]))
    out = run_inside(instance, ["/bin/threads", mode, str(n)])
    return parse_figure(out, CASES[mode][1], f"PyOcclum threads {mode}")


def threads_native(ctx: Context, mode: str, n: int) -> float:
    binary = ctx.workspace.require_native("threads")
    out = run_checked([str(binary), mode, str(n)], what=f"native threads {mode}")
    return parse_figure(out, CASES[mode][1], f"native threads {mode}")


def measure(ctx: Context) -> list[Row]:
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    rows = []
    for mode, target in (("create", CREATE_TARGET), ("pingpong", PINGPONG_TARGET)):
        n = ctx.settings.loop_count(FULL[mode], QUICK[mode])
        inside: list[float] = []
        native: list[float] = []
        for i in range(runs):
            ctx.say(f"{NAME} {mode}: run {i + 1}/{runs}, {n:,} rounds each")
            if i % 2 == 0:
                inside.append(threads_inside(ctx, mode, n))
                native.append(threads_native(ctx, mode, n))
            else:
                native.append(threads_native(ctx, mode, n))
                inside.append(threads_inside(ctx, mode, n))
        rows.append(Row(
            benchmark=NAME,
            case=CASES[mode][0],
            unit="us",
            pyocclum=median(inside),
            baseline=median(native),
            native=median(native),
            baseline_is="Linux pthreads (gcc -O2 -pthread)",
            target=target,
            method=f"median of {runs} run{'s' if runs != 1 else ''} x {n:,} rounds",
        ))
    return rows


BENCHMARK = Benchmark(
    name=NAME,
    summary="us per pthread create + join, and per mutex ping-pong round trip: PyOcclum vs Linux",
    measure=measure,
)
