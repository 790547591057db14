"""PyOcclum's benchmark suite: ``python -m bench [NAME...] [--quick]``.

Every figure is measured in the run that prints it, next to a baseline
measured in the same run, and the ratio is checked against a target that
the table prints with an honest PASS or MISS. Nothing here asserts on
speed: a miss is reported, never raised.

Each benchmark is a module with a :class:`~bench.core.Benchmark` named
``BENCHMARK``; :data:`BENCHMARKS` lists them in the order they run. To add
one, write ``bench/<name>.py`` and append it here.
"""

from __future__ import annotations

from bench import (
    build_cpython,
    cold_start,
    cpu,
    exec,
    gcc,
    http,
    image_read,
    image_startup,
    kill,
    pipe,
    process_per_enclave,
    python,
    sefs_io,
    shell,
    spawn,
    spawn_size,
    sqlite,
    syscalls,
    threads,
)
from bench.core import Benchmark, Row

BENCHMARKS: tuple[Benchmark, ...] = (
    cold_start.BENCHMARK,
    exec.BENCHMARK,
    syscalls.BENCHMARK,
    spawn.BENCHMARK,
    spawn_size.BENCHMARK,
    threads.BENCHMARK,
    pipe.BENCHMARK,
    kill.BENCHMARK,
    process_per_enclave.BENCHMARK,
    image_startup.BENCHMARK,
    image_read.BENCHMARK,
    sefs_io.BENCHMARK,
    build_cpython.BENCHMARK,
    shell.BENCHMARK,
    sqlite.BENCHMARK,
    python.BENCHMARK,
    gcc.BENCHMARK,
    cpu.BENCHMARK,
    http.BENCHMARK,
)

__all__ = ["BENCHMARKS", "Benchmark", "Row", "by_name"]


def by_name(name: str) -> Benchmark:
    """The registered benchmark called ``name``; KeyError names the known ones."""
    for bench in BENCHMARKS:
        if bench.name == name:
            return bench
    known = ", ".join(b.name for b in BENCHMARKS)
    raise KeyError(f"unknown benchmark {name!r} (known: {known})")
