"""What the single-enclave design buys: PyOcclum against process-per-enclave.

Before Occlum, SGX LibOSes such as Graphene-SGX ran every process of a
program in an enclave of its own: a spawn creates a new host process that
boots its own LibOS and loads the program, and a pipe between two processes
goes through the host. This benchmark builds that baseline from the same
parts PyOcclum uses, a Python interpreter and wasmtime, and runs the same
two workloads as ``spawn`` and ``pipe``:

* **spawn**: N times, start ``python ppe_child.py empty.cwasm`` (a new host
  process: interpreter start, ``import wasmtime``, an engine, deserializing
  the precompiled empty program, instantiating it with wasmtime's WASI,
  running it) and wait for it; the mean wall time per child. PyOcclum:
  ``programs/spawn.c`` spawning ``/bin/empty`` inside one instance.
* **pipe**: the bench process writes N chunks of 128 KiB into the stdin pipe
  of ``python ppe_child.py pipe.cwasm --read BYTES`` (``programs/pipe.c``'s
  reader under wasmtime's WASI) from the moment the child reports it is
  ready until it has exited; MiB/s. PyOcclum: ``programs/pipe.c`` inside.

The baseline is generous: its writer is native Python rather than a second
runtime, and nothing is encrypted on the way through the host (Graphene-SGX
protected its inter-enclave pipes with TLS). The ratio is PyOcclum / baseline
(smaller is better for spawn, larger for pipe); no target.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.core import BenchError, Benchmark, Context, Row, median
from bench.pipe import CHUNK, amount, pipe_inside
from bench.spawn import MEAN, spawn_inside

NAME = "process_per_enclave"
CHILD = Path(__file__).resolve().parent / "ppe_child.py"
BASELINE_IS = "per child: new python + wasmtime"
#: Children started by the baseline (each ~0.1 s), and spawns inside PyOcclum.
FULL_PPE_SPAWNS = 100
QUICK_PPE_SPAWNS = 10
FULL_SPAWNS = 1_000
QUICK_SPAWNS = 100
#: 128 KiB writes per pipe run: 256 MiB (full), 32 MiB (quick).
FULL_CHUNKS = 2_048
QUICK_CHUNKS = 256
FULL_RUNS = 3
QUICK_RUNS = 1


def precompiled(ctx: Context, program: str) -> Path:
    """``program`` compiled by wasmtime (default engine) and serialized, for the child."""
    import wasmtime

    out = ctx.workspace.root / "ppe" / f"{program}.cwasm"
    out.parent.mkdir(parents=True, exist_ok=True)
    module = wasmtime.Module(wasmtime.Engine(), ctx.workspace.wasm(program).read_bytes())
    out.write_bytes(bytes(module.serialize()))
    return out


def child_command(cwasm: Path, *args: str) -> list[str]:
    return [sys.executable, str(CHILD), str(cwasm), *args]


def ppe_spawn_us(cwasm: Path, spawns: int) -> float:
    """Mean us per child of ``spawns`` process-per-enclave children, one after the other."""
    cmd = child_command(cwasm)
    start = time.perf_counter()
    for _ in range(spawns):
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            raise BenchError(
                f"process-per-enclave child {' '.join(cmd)} exited with {proc.returncode}: "
                + proc.stderr.decode(errors="replace").strip()
            )
    return (time.perf_counter() - start) / spawns * 1e6


def ppe_pipe_mib_s(cwasm: Path, chunks: int) -> float:
    """MiB/s from this process into a process-per-enclave reader's stdin."""
    total = chunks * CHUNK
    cmd = child_command(cwasm, "--read", str(total))
    env = {**os.environ, "PPE_READY": "1"}
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env) as proc:
        if proc.stdin is None or proc.stdout is None or proc.stderr is None:
            raise BenchError("subprocess.Popen gave no pipes")
        ready = proc.stdout.readline()
        if ready != b"ready\n":
            proc.kill()
            raise BenchError(f"process-per-enclave reader did not start: {ready!r} "
                             + proc.stderr.read().decode(errors="replace").strip())
        chunk = memoryview(b"x" * CHUNK)
        fd = proc.stdin.fileno()
        start = time.perf_counter()
        try:
            for _ in range(chunks):
                done = 0
                while done < CHUNK:
                    done += os.write(fd, chunk[done:])
            proc.stdin.close()
        except BrokenPipeError:
            proc.wait()
            raise BenchError(f"process-per-enclave reader quit early (exit {proc.returncode}): "
                             + proc.stderr.read().decode(errors="replace").strip()) from None
        code = proc.wait()
        elapsed = time.perf_counter() - start
        if code != 0:
            raise BenchError(f"process-per-enclave reader exited with {code}: "
                             + proc.stderr.read().decode(errors="replace").strip())
    return total / (1 << 20) / elapsed


def measure(ctx: Context) -> list[Row]:
    settings = ctx.settings
    runs = settings.repetitions(FULL_RUNS, QUICK_RUNS)
    ppe_spawns = settings.loop_count(FULL_PPE_SPAWNS, QUICK_PPE_SPAWNS)
    spawns = settings.loop_count(FULL_SPAWNS, QUICK_SPAWNS)
    chunks = settings.loop_count(FULL_CHUNKS, QUICK_CHUNKS)
    empty, reader = precompiled(ctx, "empty"), precompiled(ctx, "pipe")
    ctx.workspace.instance(["spawn", "empty", "pipe"])

    ctx.say(f"{NAME}: spawn, warming up")
    ppe_spawn_us(empty, 1)
    ctx.say(f"{NAME}: spawn, {ppe_spawns} host processes")
    baseline_spawn = ppe_spawn_us(empty, ppe_spawns)
    ctx.say(f"{NAME}: spawn, {spawns:,} inside PyOcclum")
    inside_spawn = spawn_inside(ctx, "empty", spawns, MEAN)

    inside_pipe: list[float] = []
    baseline_pipe: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: pipe, run {i + 1}/{runs}, {amount(chunks)} each")
        if i % 2 == 0:
            inside_pipe.append(pipe_inside(ctx, chunks))
            baseline_pipe.append(ppe_pipe_mib_s(reader, chunks))
        else:
            baseline_pipe.append(ppe_pipe_mib_s(reader, chunks))
            inside_pipe.append(pipe_inside(ctx, chunks))

    return [
        Row(
            benchmark=NAME,
            case="spawn + wait, empty program",
            unit="us",
            pyocclum=inside_spawn,
            baseline=baseline_spawn,
            baseline_is=BASELINE_IS,
            target=None,
            method=f"{spawns:,} spawns inside; {ppe_spawns:,} host processes",
        ),
        Row(
            benchmark=NAME,
            case="pipe to a child, 128 KiB writes",
            unit="MiB/s",
            pyocclum=median(inside_pipe),
            baseline=median(baseline_pipe),
            baseline_is=BASELINE_IS,
            target=None,
            higher_is_better=True,
            method=f"median of {runs} run{'s' if runs != 1 else ''} x {amount(chunks)}",
        ),
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="spawn and pipe inside one PyOcclum vs a new python + wasmtime process per child",
    measure=measure,
)
