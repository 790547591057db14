"""Syscall round trip: ns per call of cheap syscalls, timed inside the program.

``bench/programs/syscalls.c`` times N calls of ``write(fd, buf, 1)`` to
``/dev/null`` and N calls of ``clock_gettime(CLOCK_MONOTONIC)`` with the
monotonic clock and prints the mean cost per call. The same wasm binary runs
under PyOcclum (``Instance.run``, every call through the Python kernel) and
under wasmtime's built-in WASI (the baseline, same run, same binary); the
same source built with ``gcc -O2`` runs on the host as an extra column.
Each configuration runs ``runs`` times, interleaved; the medians are reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bench.core import BenchError, Benchmark, Context, Row, median, run_checked
from bench.wasi_baseline import BuiltinWasi

NAME = "syscalls"
#: PyOcclum may take at most this many times wasmtime's built-in WASI per call.
TARGET_RATIO = 10.0
FULL_ITERATIONS = 200_000
QUICK_ITERATIONS = 20_000
FULL_RUNS = 3
QUICK_RUNS = 1
PROGRAM = "syscalls"
#: Output key of the program -> the case shown in the table.
CASES = {
    "write_devnull": "write(/dev/null, 1 byte)",
    "clock_gettime": "clock_gettime(CLOCK_MONOTONIC)",
}
_LINE = re.compile(rb"^(\w+)_ns ([0-9]+(?:\.[0-9]*)?)$", re.MULTILINE)

Runner = Callable[[int], bytes]


def parse(output: bytes, where: str) -> dict[str, float]:
    """The ns-per-call figures the program printed, keyed as in :data:`CASES`."""
    found = {m[1].decode(): float(m[2]) for m in _LINE.finditer(output)}
    missing = set(CASES) - set(found)
    if missing:
        raise BenchError(f"{where}: no figure for {sorted(missing)} in its output {output!r}")
    for key in CASES:
        if not found[key] > 0:
            raise BenchError(f"{where}: measured {found[key]} ns for {key}: clock too coarse")
    return {key: found[key] for key in CASES}


def measure(ctx: Context) -> list[Row]:
    from pyocclum.boot import Instance

    ws = ctx.workspace
    wasm = ws.wasm(PROGRAM)
    instance = Instance(ws.instance([PROGRAM]))
    native = ws.native(PROGRAM)
    builtin = BuiltinWasi(wasm)
    iterations = ctx.settings.loop_count(FULL_ITERATIONS, QUICK_ITERATIONS)
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)

    def under_pyocclum(n: int) -> bytes:
        result = instance.run([f"/bin/{PROGRAM}", str(n)], capture=True)
        if result.exit_code != 0:
            err = (result.stderr or b"").decode(errors="replace")
            raise BenchError(
                f"under PyOcclum, {PROGRAM} exited with {result.exit_code}: {result.error} {err}"
            )
        return result.stdout or b""

    def under_builtin_wasi(n: int) -> bytes:
        exited = builtin.run([PROGRAM, str(n)], preopens=[("/dev", "/dev")])
        if exited.exit_code != 0:
            raise BenchError(
                f"under wasmtime's WASI, {PROGRAM} exited with {exited.exit_code}: "
                + exited.stderr.decode(errors="replace")
            )
        return exited.stdout

    def natively(path: Path) -> Runner:
        return lambda n: run_checked([str(path), str(n)], what=f"native {PROGRAM}")

    runners: dict[str, Runner] = {"pyocclum": under_pyocclum, "baseline": under_builtin_wasi}
    if native is not None:
        runners["native"] = natively(native)

    samples: dict[str, dict[str, list[float]]] = {
        who: {key: [] for key in CASES} for who in runners
    }
    for i in range(runs):
        ctx.say(f"syscalls: run {i + 1}/{runs}, {iterations:,} calls each")
        order = list(runners) if i % 2 == 0 else list(reversed(runners))
        for who in order:
            figures = parse(runners[who](iterations), who)
            for key, value in figures.items():
                samples[who][key].append(value)

    method = f"median of {runs} run{'s' if runs != 1 else ''} x {iterations:,} calls"
    return [
        Row(
            benchmark=NAME,
            case=case,
            unit="ns/call",
            pyocclum=median(samples["pyocclum"][key]),
            baseline=median(samples["baseline"][key]),
            baseline_is="wasmtime built-in WASI",
            target=TARGET_RATIO,
            method=method,
            native=median(samples["native"][key]) if "native" in samples else None,
        )
        for key, case in CASES.items()
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="ns per write(/dev/null) and clock_gettime: PyOcclum vs wasmtime WASI vs native",
    measure=measure,
)
