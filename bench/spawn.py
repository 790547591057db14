"""Spawn latency: ``posix_spawn`` + ``wait4`` of an empty program, PyOcclum vs Linux.

``programs/spawn.c`` spawns ``programs/empty.c`` N times, reaping each child
with ``wait4`` before the next, and prints the mean microseconds per
spawn + wait (after 3 untimed spawns). Inside PyOcclum both are built with
``occlum-cc`` and the child is a new SIP (a wasm instance) in the same
LibOS; the baseline is the same sources built with ``gcc -O2`` and run on
Linux, where each child is a new host process (``posix_spawn`` is
``clone(CLONE_VM|CLONE_VFORK)`` + ``execve``). The two alternate, R runs
each; the medians are compared.

The target is the Occlum paper's claim for its single-enclave design: a
spawn twice as fast as Linux's.
"""

from __future__ import annotations

from bench.core import Benchmark, Context, Row, median, parse_figure, run_checked, run_inside

NAME = "spawn"
#: PyOcclum's spawn + wait may take at most this fraction of Linux's.
TARGET_RATIO = 0.5
FULL_SPAWNS = 5_000
QUICK_SPAWNS = 300
FULL_RUNS = 3
QUICK_RUNS = 1


def spawn_inside(ctx: Context, program: str, spawns: int) -> float:
    """us per spawn + wait of ``program`` (a name in ``core.SOURCES``) inside PyOcclum."""
    from pyocclum.boot import Instance

    instance = Instance(ctx.workspace.instance(["spawn", program]))
    out = run_inside(instance, ["/bin/spawn", f"/bin/{program}", str(spawns)])
    return parse_figure(out, "spawn_us", f"PyOcclum spawn {program}")


def spawn_native(ctx: Context, program: str, spawns: int) -> float:
    """us per spawn + wait of ``program`` built with gcc, on Linux."""
    spawner = ctx.workspace.require_native("spawn")
    child = ctx.workspace.require_native(program)
    out = run_checked([str(spawner), str(child), str(spawns)], what=f"native spawn {program}")
    return parse_figure(out, "spawn_us", f"native spawn {program}")


def spawn_latency(ctx: Context, program: str, spawns: int, runs: int,
                  label: str) -> tuple[float, float]:
    """Median us per spawn + wait of ``program``: (inside PyOcclum, natively), alternating."""
    inside: list[float] = []
    native: list[float] = []
    for i in range(runs):
        ctx.say(f"{label}: run {i + 1}/{runs}, {spawns:,} spawns each")
        if i % 2 == 0:
            inside.append(spawn_inside(ctx, program, spawns))
            native.append(spawn_native(ctx, program, spawns))
        else:
            native.append(spawn_native(ctx, program, spawns))
            inside.append(spawn_inside(ctx, program, spawns))
    return median(inside), median(native)


def method(runs: int, spawns: int) -> str:
    return f"median of {runs} run{'s' if runs != 1 else ''} x {spawns:,} spawns"


def measure(ctx: Context) -> list[Row]:
    spawns = ctx.settings.loop_count(FULL_SPAWNS, QUICK_SPAWNS)
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    inside, native = spawn_latency(ctx, "empty", spawns, runs, NAME)
    return [
        Row(
            benchmark=NAME,
            case="posix_spawn + wait4, empty program",
            unit="us",
            pyocclum=inside,
            baseline=native,
            native=native,
            baseline_is="Linux (gcc -O2)",
            target=TARGET_RATIO,
            method=method(runs, spawns),
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="us per posix_spawn + wait4 of an empty program: PyOcclum vs Linux",
    measure=measure,
)
