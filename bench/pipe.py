"""Pipe throughput between a parent and the child it spawned, PyOcclum vs Linux.

``programs/pipe.c`` spawns a copy of itself with the read end of a pipe as
its stdin, writes N chunks of 128 KiB into the write end (1 GiB in a full
run) and waits for the child, which reads to end of file and checks the
count. The program times from after the spawn to the end of ``wait4`` and
prints MiB/s. Inside PyOcclum the pipe is the LibOS's own (both processes
are SIPs of one kernel); the baseline is the same source built with
``gcc -O2`` on Linux. The two alternate, R runs each; medians.
"""

from __future__ import annotations

from bench.core import (
    Benchmark,
    Context,
    Row,
    median,
    parse_figure,
    run_checked,
    run_inside,
)

NAME = "pipe"
#: PyOcclum's throughput must be at least this fraction of Linux's.
TARGET_RATIO = 0.5
CHUNK = 128 * 1024
#: 128 KiB writes per run: 1 GiB (full), 64 MiB (quick).
FULL_CHUNKS = 8_192
QUICK_CHUNKS = 512
FULL_RUNS = 3
QUICK_RUNS = 1


def amount(chunks: int) -> str:
    mib = chunks * CHUNK / (1 << 20)
    return f"{mib / 1024:g} GiB" if mib >= 1024 else f"{mib:g} MiB"


def pipe_inside(ctx: Context, chunks: int) -> float:
    """MiB/s of one run of the pipe program inside PyOcclum."""
    from pyocclum.boot import Instance

    instance = Instance(ctx.workspace.instance(["pipe"]))
    out = run_inside(instance, ["/bin/pipe", "/bin/pipe", str(chunks)])
    return parse_figure(out, "pipe_mib_s", "PyOcclum pipe")


def measure(ctx: Context) -> list[Row]:
    native = str(ctx.workspace.require_native("pipe"))
    chunks = ctx.settings.loop_count(FULL_CHUNKS, QUICK_CHUNKS)
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    ctx.workspace.instance(["pipe"])

    def natively() -> float:
        out = run_checked([native, native, str(chunks)], what="native pipe")
        return parse_figure(out, "pipe_mib_s", "native pipe")

    inside: list[float] = []
    linux: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}, {amount(chunks)} each")
        if i % 2 == 0:
            inside.append(pipe_inside(ctx, chunks))
            linux.append(natively())
        else:
            linux.append(natively())
            inside.append(pipe_inside(ctx, chunks))
    return [
        Row(
            benchmark=NAME,
            case="pipe to a spawned child, 128 KiB writes",
            unit="MiB/s",
            pyocclum=median(inside),
            baseline=median(linux),
            native=median(linux),
            baseline_is="Linux (gcc -O2)",
            target=TARGET_RATIO,
            higher_is_better=True,
            method=f"median of {runs} run{'s' if runs != 1 else ''} x {amount(chunks)}",
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="MiB/s through a pipe from a parent to the child it spawned: PyOcclum vs Linux",
    measure=measure,
)
