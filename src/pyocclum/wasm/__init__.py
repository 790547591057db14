"""The only layer that imports wasmtime or touches guest memory.

``engine`` fixes the engine configuration (compiled code depends on it),
``codecache`` keeps authenticated native code, ``memory`` reads and writes
guest memory with bounds checks, ``host`` binds the syscall table to a
linker, and ``executor`` runs each process on a thread of its own.
"""

from pyocclum.wasm.codecache import CodeCache
from pyocclum.wasm.engine import compile_module, engine_fingerprint, make_engine
from pyocclum.wasm.executor import WasmExecutor

__all__ = ["CodeCache", "WasmExecutor", "compile_module", "engine_fingerprint", "make_engine"]
