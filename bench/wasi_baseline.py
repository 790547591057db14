"""Run a program under wasmtime's built-in WASI: the baseline for per-syscall cost.

DESIGN.md allows ``define_wasi()`` only in tests and benchmarks, as an oracle
or baseline; this module is that use. Programs built by ``occlum-cc`` import
the ``occlum`` module (libocclum's start-up code asks the kernel for the
current directory), so the linker gets the fallbacks ``occlum-cc``
documents: ``abi_version() -> 1``, ``getcwd`` writes ``"/"``,
``chdir -> 0``; any other ``occlum`` import answers ENOSYS.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from bench.core import BenchError

# The stand-ins live with the separate-process child, which imports nothing else.
from bench.ppe_child import FALLBACKS as _FALLBACKS
from bench.ppe_child import enosys


@dataclass(frozen=True, slots=True)
class Exited:
    exit_code: int
    stdout: bytes
    stderr: bytes


class BuiltinWasi:
    """One compiled module, run as often as wanted under wasmtime's own WASI."""

    def __init__(self, wasm: Path) -> None:
        self.engine = wasmtime.Engine()
        self.module = wasmtime.Module.from_file(self.engine, str(wasm))
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        _define_occlum_fallbacks(self.linker, self.module)

    def run(self, argv: Sequence[str], preopens: Sequence[tuple[str, str]] = ()) -> Exited:
        """Run ``_start`` with ``argv`` and host folders ``preopens`` as (host, guest) pairs."""
        with tempfile.TemporaryDirectory(prefix="bench-wasi-") as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            config = wasmtime.WasiConfig()
            config.argv = list(argv)
            config.stdout_file = str(out)
            config.stderr_file = str(err)
            for host, guest in preopens:
                config.preopen_dir(host, guest)
            store = wasmtime.Store(self.engine)
            store.set_wasi(config)
            instance = self.linker.instantiate(store, self.module)
            start = instance.exports(store).get("_start")
            if not isinstance(start, wasmtime.Func):
                raise BenchError("the module exports no _start function")
            code = 0
            try:
                start(store)
            except wasmtime.ExitTrap as e:
                code = e.code
            return Exited(code, out.read_bytes(), err.read_bytes())


def _define_occlum_fallbacks(linker: wasmtime.Linker, module: wasmtime.Module) -> None:
    for imp in module.imports:
        if imp.module != "occlum":
            continue
        ty = imp.type
        if not isinstance(ty, wasmtime.FuncType):
            raise BenchError(f"occlum.{imp.name} is not a function import")
        results = [str(r) for r in ty.results]
        if results != ["i32"]:
            raise BenchError(f"occlum.{imp.name} returns {results}, not one i32")
        name = imp.name or ""
        func = _FALLBACKS.get(name, enosys)
        linker.define_func("occlum", name, ty, func, access_caller=True)


