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

The file is run as a script and imports nothing from ``bench`` (that would
add the package's imports to every start-up the baseline measures). Programs
built by ``occlum-cc`` import the ``occlum`` module, so it defines the
fallbacks ``occlum-cc`` documents, as ``bench/wasi_baseline.py`` does:
``abi_version() -> 1``, ``getcwd`` writes ``"/"``, ``chdir -> 0``, anything
else ENOSYS. DESIGN.md allows ``define_wasi()`` only in tests and
benchmarks; this is a benchmark baseline.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import wasmtime

ERANGE = 68
ENOSYS = 52


def _memory(caller: wasmtime.Caller) -> wasmtime.Memory:
    memory = caller.get("memory")
    if not isinstance(memory, wasmtime.Memory):
        raise SystemExit("ppe_child: the module exports no memory")
    return memory


def _abi_version(_caller: wasmtime.Caller) -> int:
    return 1


def _getcwd(caller: wasmtime.Caller, buf: int, buf_len: int, out_len: int) -> int:
    if buf_len < 1:
        return ERANGE
    memory = _memory(caller)
    memory.write(caller, b"/", buf)
    memory.write(caller, (1).to_bytes(4, "little"), out_len)
    return 0


def _chdir(_caller: wasmtime.Caller, _path: int, _path_len: int) -> int:
    return 0


def enosys(_caller: wasmtime.Caller, *_args: int) -> int:
    return ENOSYS


FALLBACKS: dict[str, Callable[..., int]] = {
    "abi_version": _abi_version,
    "getcwd": _getcwd,
    "chdir": _chdir,
}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: ppe_child.py MODULE.cwasm [ARG...]", file=sys.stderr)
        return 2
    engine = wasmtime.Engine()
    module = wasmtime.Module.deserialize_file(engine, argv[1])
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    for imp in module.imports:
        if imp.module == "occlum" and isinstance(imp.type, wasmtime.FuncType):
            name = imp.name or ""
            linker.define_func("occlum", name, imp.type, FALLBACKS.get(name, enosys),
                               access_caller=True)
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
