"""Stand-ins for the PyOcclum kernel's ``occlum`` imports, for running a program
built by ``occlum-cc`` under wasmtime's built-in WASI: the oracle of the tests
(tests/cli/test_cc.py, tests/test_programs.py) and the baseline of the
benchmarks (bench/ppe_child.py, bench/wasi_baseline.py). DESIGN.md allows
``define_wasi()`` only there.

The fallbacks are those src/pyocclum/libocclum/README.md tells a harness
without the kernel to define: ``abi_version() -> 1``, ``getcwd`` writes the
current directory (``/``), ``chdir -> 0``, every other import ENOSYS (52) or
the value :class:`StandInKernel` is given for it.

This module imports only the standard library and wasmtime, and nothing from
``bench``: ``bench/ppe_child.py``, run as a script, imports it as a sibling,
without the package (whose imports would add to every start-up it measures).
"""

from __future__ import annotations

import posixpath
import struct
from collections.abc import Callable, Mapping

import wasmtime

#: WASI errno values the stand-ins answer.
ENOSYS = 52
ERANGE = 68
#: Answers for the calls that return a value, as a kernel would give them
#: (the tests' programs print them); the benchmarks answer ENOSYS instead.
PLAUSIBLE: Mapping[str, int] = {"getpid": 42, "getppid": 0}


def enosys(_caller: wasmtime.Caller, *_args: int) -> int:
    return ENOSYS


class StandInKernel:
    """The ``occlum`` imports of one run, without the PyOcclum kernel.

    By default the stateless fallback (getcwd -> ``cwd``, chdir -> 0),
    recording every chdir in ``chdir_calls``; ``tracking`` makes it behave
    like the kernel (chdir moves ``cwd``, lexically: no symlinks are
    followed); ``getcwd_errno`` / ``chdir_errno`` make those calls fail;
    ``answers`` gives the value of an import (over its behaviour, if it has
    one; the imports with neither answer ENOSYS). A harness adds behaviours
    by extending :meth:`handlers`.
    """

    def __init__(self, *, cwd: str = "/", tracking: bool = False, getcwd_errno: int = 0,
                 chdir_errno: int = 0, answers: Mapping[str, int] = PLAUSIBLE) -> None:
        self.cwd = cwd
        self.tracking = tracking
        self.getcwd_errno = getcwd_errno
        self.chdir_errno = chdir_errno
        self.answers = answers
        self.chdir_calls: list[str] = []

    def handlers(self) -> dict[str, Callable[..., int]]:
        """The imports with a behaviour of their own (each takes the caller first)."""
        return {"abi_version": self._abi_version, "getcwd": self._getcwd, "chdir": self._chdir}

    def handler(self, name: str) -> Callable[..., int]:
        """What import ``name`` runs (it takes the caller first)."""
        answer = self.answers.get(name)
        if answer is not None:
            return lambda _caller, *_args: answer
        return self.handlers().get(name, enosys)

    def define(self, linker: wasmtime.Linker, module: wasmtime.Module) -> None:
        """Define in ``linker`` every ``occlum`` function that ``module`` imports."""
        for imp in module.imports:
            if imp.module == "occlum" and isinstance(imp.type, wasmtime.FuncType):
                name = imp.name or ""
                linker.define_func("occlum", name, imp.type, self.handler(name),
                                   access_caller=True)

    def _abi_version(self, _caller: wasmtime.Caller) -> int:
        return 1

    def _chdir(self, caller: wasmtime.Caller, ptr: int, length: int) -> int:
        path = bytes(_memory(caller).read(caller, ptr, ptr + length)).decode()
        self.chdir_calls.append(path)
        if self.chdir_errno:
            return self.chdir_errno
        if self.tracking:
            cwd = posixpath.normpath(posixpath.join(self.cwd, path))
            self.cwd = "/" + cwd.lstrip("/")
        return 0

    def _getcwd(self, caller: wasmtime.Caller, buf: int, buf_len: int, out_len: int) -> int:
        if self.getcwd_errno:
            return self.getcwd_errno
        data = self.cwd.encode()
        memory = _memory(caller)
        memory.write(caller, struct.pack("<I", len(data)), out_len)
        if len(data) > buf_len:
            return ERANGE
        memory.write(caller, data, buf)
        return 0


def _memory(caller: wasmtime.Caller) -> wasmtime.Memory:
    memory = caller.get("memory")
    if not isinstance(memory, wasmtime.Memory):
        raise RuntimeError("the module exports no memory")
    return memory
