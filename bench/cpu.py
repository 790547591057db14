"""CPU-bound C: SHA-256 of 256 MiB inside PyOcclum vs the same C built with ``gcc -O2``.

``programs/sha256.c`` hashes a 1 MiB pattern block MIB times over as one
stream and prints the digest and the milliseconds of the hashing alone
(start-up is not counted). Inside, the program is WebAssembly compiled by
wasmtime (Cranelift); natively it is x86-64 from gcc. Nothing crosses the
kernel while it hashes, so the ratio is the cost of WebAssembly alone: the
code generation and the bounds-checked memory. Each run's digest must
match Python's ``hashlib`` for the same bytes. Only reported: WebAssembly
cannot beat the native code, and there is nothing in PyOcclum to tune.
"""

from __future__ import annotations

import hashlib
import re

from bench.core import (
    BenchError,
    Benchmark,
    Context,
    Row,
    median,
    parse_figure,
    run_checked,
    run_inside,
)

NAME = "cpu"
FULL_MIB = 256
QUICK_MIB = 16
FULL_RUNS = 3
QUICK_RUNS = 1
_BLOCK = 1 << 20


def expected_digest(mib: int) -> str:
    """What ``sha256.c`` must print for ``mib``: hashlib over the same bytes."""
    block = bytes((j * 7 + (j >> 9)) & 0xFF for j in range(_BLOCK))
    h = hashlib.sha256()
    for _ in range(mib):
        h.update(block)
    return h.hexdigest()


def _checked_ms(out: bytes, digest: str, where: str) -> float:
    match = re.match(rb"([0-9a-f]{64})\n", out)
    if match is None or match[1].decode() != digest:
        raise BenchError(f"{where}: wrong SHA-256 {out[:64]!r}, expected {digest}")
    return parse_figure(out, "ms", where)


def measure(ctx: Context) -> list[Row]:
    from pyocclum.boot import Instance

    mib = ctx.settings.loop_count(FULL_MIB, QUICK_MIB)
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    digest = expected_digest(mib)
    instance = Instance(ctx.workspace.instance(["sha256"]))
    native_program = ctx.workspace.require_native("sha256")
    inside: list[float] = []
    native: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}, SHA-256 of {mib} MiB")
        inside.append(_checked_ms(run_inside(instance, ["/bin/sha256", str(mib)]), digest,
                                  "sha256 inside PyOcclum"))
        native.append(_checked_ms(
            run_checked([str(native_program), str(mib)], what="native sha256"), digest,
            "native sha256"))
    return [
        Row(
            benchmark=NAME,
            case=f"SHA-256 of {mib} MiB (C)",
            unit="ms",
            pyocclum=median(inside),
            baseline=median(native),
            native=median(native),
            baseline_is="Linux (gcc -O2)",
            target=None,
            method=f"median of {runs} run{'s' if runs != 1 else ''}, hashing time only",
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="CPU-bound C (SHA-256 of 256 MiB) inside vs gcc -O2: the cost of WebAssembly",
    measure=measure,
)
