"""One "enclave" of the process-per-enclave baseline: a fresh host process that
boots its own runtime and runs one wasm program under wasmtime's WASI.

    python ppe_child.py MODULE.cwasm [ARG...]

This is how Graphene-SGX ran a multi-process program: every process of the
program is a new host process with its own copy of the LibOS, so every spawn
pays for starting a runtime and loading the program, and every pipe between
two processes goes through the host. Here the runtime is this Python
interpreter plus wasmtime; the program is a module that the benchmark has
compiled and serialized (``Module.serialize``, default ``Engine``), so the
child only deserializes it, which is the cheapest way to load it (PyOcclum
loads its programs from its own code cache likewise). stdin, stdout and
stderr are the host process's own (WASI ``inherit_*``); the exit status is
the program's.

When ``PPE_READY`` is set in the environment, the child writes ``ready`` and
a newline to its stdout once the program is instantiated, just before it
runs: the pipe benchmark starts its clock there, so that the throughput it
reports excludes the start-up (which the spawn benchmark measures).

The file is run as a script and imports nothing from the ``bench`` package
(that would add the package's imports to every start-up the baseline
measures) but its sibling ``stand_ins``. Programs built by ``occlum-cc``
import the ``occlum`` module, so it defines the fallbacks ``occlum-cc``
documents (``bench/stand_ins.py``, which the tests' oracle uses too):
``abi_version() -> 1``, ``getcwd`` writes ``"/"``, ``chdir -> 0``, anything
else ENOSYS. DESIGN.md allows ``define_wasi()`` only in tests and
benchmarks; this is a benchmark baseline.
"""

from __future__ import annotations

import os
import sys

import wasmtime

if __package__:  # imported as bench.ppe_child (bench/wasi_baseline.py)
    from bench.stand_ins import StandInKernel, enosys
else:  # a script: its folder is sys.path[0]
    from stand_ins import StandInKernel, enosys  # type: ignore[import-not-found,no-redef]

#: The fallbacks of the baseline: the stateless ones, every other import ENOSYS.
_KERNEL = StandInKernel(answers={})
FALLBACKS = _KERNEL.handlers()
__all__ = ["FALLBACKS", "enosys", "main"]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: ppe_child.py MODULE.cwasm [ARG...]", file=sys.stderr)
        return 2
    engine = wasmtime.Engine()
    module = wasmtime.Module.deserialize_file(engine, argv[1])
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    _KERNEL.define(linker, module)
    config = wasmtime.WasiConfig()
    config.argv = [os.path.basename(argv[1]).removesuffix(".cwasm"), *argv[2:]]
    config.inherit_stdin()
    config.inherit_stdout()
    config.inherit_stderr()
    store = wasmtime.Store(engine)
    store.set_wasi(config)
    instance = linker.instantiate(store, module)
    start = instance.exports(store).get("_start")
    if not isinstance(start, wasmtime.Func):
        print("ppe_child: the module exports no _start function", file=sys.stderr)
        return 2
    if os.environ.get("PPE_READY"):
        os.write(1, b"ready\n")
    try:
        start(store)
    except wasmtime.ExitTrap as e:
        return int(e.code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
