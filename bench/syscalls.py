"""Syscall round trip: ns per call of cheap syscalls, timed inside the program.

``bench/programs/syscalls.c`` times N calls of ``write(fd, buf, 1)`` to
``/dev/null`` and N calls of ``clock_gettime(CLOCK_MONOTONIC)`` with the
monotonic clock and prints the mean cost per call. The same wasm binary runs
under PyOcclum (``Instance.run``: ``write`` through the Python kernel,
``clock_gettime`` served natively, see ``wasm/native_calls.py``) and under
wasmtime's built-in WASI (the baseline, same run, same binary); the same
source built with ``gcc -O2`` runs on the host as an extra column.
Two rows only report: ``clock_gettime`` with every call in Python
(``$PYOCCLUM_NATIVE_CALLS=0``: what the native calls save, in the same run),
and ``write`` of 1 byte to a pipe (``syscalls N pipe``) against Linux, which a
native call does not serve (the pipe is kernel state); WASI alone has no pipe.
Each configuration runs ``runs`` times, interleaved; the medians are reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from bench.core import BenchError, Benchmark, Context, Row, median, run_checked
from bench.wasi_baseline import BuiltinWasi

NAME = "syscalls"
#: PyOcclum may take at most this many times wasmtime's built-in WASI per call.
TARGET_RATIO = 10.0
#: ... and for ``clock_gettime`` (issue 15), which is served without Python.
TARGET_CLOCK = 3.0
#: The switch that serves every call in Python (``wasm/native_calls.py``).
PYTHON_ONLY = "PYOCCLUM_NATIVE_CALLS"
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
TARGETS = {"write_devnull": TARGET_RATIO, "clock_gettime": TARGET_CLOCK}
PIPE = "write_pipe"
_LINE = re.compile(rb"^(\w+)_ns ([0-9]+(?:\.[0-9]*)?)$", re.MULTILINE)

Runner = Callable[[int], bytes]


def parse(output: bytes, where: str, cases: tuple[str, ...] = tuple(CASES)) -> dict[str, float]:
    """The ns-per-call figures the program printed for ``cases``."""
    found = {m[1].decode(): float(m[2]) for m in _LINE.finditer(output)}
    missing = set(cases) - set(found)
    if missing:
        raise BenchError(f"{where}: no figure for {sorted(missing)} in its output {output!r}")
    for key in cases:
        if not found[key] > 0:
            raise BenchError(f"{where}: measured {found[key]} ns for {key}: clock too coarse")
    return {key: found[key] for key in cases}


def measure(ctx: Context) -> list[Row]:
    from pyocclum.boot import Instance

    ws = ctx.workspace
    wasm = ws.wasm(PROGRAM)
    instance = Instance(ws.instance([PROGRAM]))
    native = ws.native(PROGRAM)
    builtin = BuiltinWasi(wasm)
    iterations = ctx.settings.loop_count(FULL_ITERATIONS, QUICK_ITERATIONS)
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)

    def under_pyocclum(n: int, *more: str) -> bytes:
        result = instance.run([f"/bin/{PROGRAM}", str(n), *more], capture=True)
        if result.exit_code != 0:
            err = (result.stderr or b"").decode(errors="replace")
            raise BenchError(
                f"under PyOcclum, {PROGRAM} exited with {result.exit_code}: {result.error} {err}"
            )
        return result.stdout or b""

    def in_python(n: int) -> bytes:
        old = os.environ.get(PYTHON_ONLY)
        os.environ[PYTHON_ONLY] = "0"  # read when the run's kernel is booted
        try:
            return under_pyocclum(n)
        finally:
            if old is None:
                del os.environ[PYTHON_ONLY]
            else:
                os.environ[PYTHON_ONLY] = old

    def under_builtin_wasi(n: int) -> bytes:
        exited = builtin.run([PROGRAM, str(n)], preopens=[("/dev", "/dev")])
        if exited.exit_code != 0:
            raise BenchError(
                f"under wasmtime's WASI, {PROGRAM} exited with {exited.exit_code}: "
                + exited.stderr.decode(errors="replace")
            )
        return exited.stdout

    def natively(path: Path, *more: str) -> Runner:
        return lambda n: run_checked([str(path), str(n), *more], what=f"native {PROGRAM}")

    runners: dict[str, tuple[Runner, tuple[str, ...]]] = {
        "pyocclum": (under_pyocclum, tuple(CASES)),
        "python": (in_python, ("clock_gettime",)),
        "baseline": (under_builtin_wasi, tuple(CASES)),
        "pyocclum_pipe": (lambda n: under_pyocclum(n, "pipe"), (PIPE,)),
    }
    if native is not None:
        runners["native"] = (natively(native), tuple(CASES))
        runners["native_pipe"] = (natively(native, "pipe"), (PIPE,))

    samples: dict[str, dict[str, list[float]]] = {
        who: {key: [] for key in cases} for who, (_, cases) in runners.items()
    }
    for i in range(runs):
        ctx.say(f"syscalls: run {i + 1}/{runs}, {iterations:,} calls each")
        order = list(runners) if i % 2 == 0 else list(reversed(runners))
        for who in order:
            run, cases = runners[who]
            figures = parse(run(iterations), who, cases)
            for key, value in figures.items():
                samples[who][key].append(value)

    method = f"median of {runs} run{'s' if runs != 1 else ''} x {iterations:,} calls"
    rows = [
        Row(
            benchmark=NAME,
            case=case,
            unit="ns/call",
            pyocclum=median(samples["pyocclum"][key]),
            baseline=median(samples["baseline"][key]),
            baseline_is="wasmtime built-in WASI",
            target=TARGETS[key],
            method=method,
            native=median(samples["native"][key]) if "native" in samples else None,
        )
        for key, case in CASES.items()
    ]
    rows.append(Row(
        benchmark=NAME,
        case=f"{CASES['clock_gettime']}, native calls off",
        unit="ns/call",
        pyocclum=median(samples["python"]["clock_gettime"]),
        baseline=median(samples["baseline"]["clock_gettime"]),
        baseline_is="wasmtime built-in WASI",
        target=None,
        method=method,
        native=median(samples["native"]["clock_gettime"]) if "native" in samples else None,
    ))
    if "native_pipe" in samples:  # WASI has no pipe: Linux is the baseline
        rows.append(Row(
            benchmark=NAME,
            case="write(pipe, 1 byte), read 4 KiB at a time",
            unit="ns/call",
            pyocclum=median(samples["pyocclum_pipe"][PIPE]),
            baseline=median(samples["native_pipe"][PIPE]),
            baseline_is="Linux (gcc -O2)",
            target=None,
            method=method,
        ))
    return rows


BENCHMARK = Benchmark(
    name=NAME,
    summary="ns per write(/dev/null) and clock_gettime: PyOcclum vs wasmtime WASI vs native",
    measure=measure,
)
