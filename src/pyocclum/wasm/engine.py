"""The wasmtime engine configuration and module compilation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import wasmtime

from pyocclum.errors import ImageError

WASM_MAGIC = b"\0asm"

# Compiled artifacts are only valid for the engine settings they were built
# with: every setting that changes code generation goes into the fingerprint.
_SETTINGS = (
    ("epoch_interruption", True),
    ("memory_may_move", False),
    ("cranelift_opt_level", "speed"),
    ("wasm_exceptions", True),
    ("wasm_threads", True),
    ("shared_memory", True),
)


def make_engine() -> wasmtime.Engine:
    """An engine with the settings every PyOcclum process runs under.

    Epoch interruption lets the kernel stop a process in a tight loop;
    ``memory_may_move=False`` keeps each linear memory at one host address, so
    the kernel can keep a view of it instead of asking wasmtime on every call.
    """
    cfg = wasmtime.Config()
    cfg.epoch_interruption = True
    cfg.memory_may_move = False
    cfg.cranelift_opt_level = "speed"
    cfg.parallel_compilation = True
    cfg.wasm_exceptions = True  # occlum-c++'s throw/catch (exnref: clang -wasm-use-legacy-eh=false)
    # Threads (docs/threads.md): atomics and shared memories (occlum-cc -pthread).
    cfg.wasm_threads = True
    cfg.shared_memory = True
    return wasmtime.Engine(cfg)


#: What one store (a process, or one thread of it) may create besides memory
#: bytes. wasm's multi-memory would let a module declare any number of
#: memories, each up to the memory limit, and tables are host memory that the
#: memory limit does not count (a 20M-element table filled = 150 MB); C programs
#: have one memory and one table (CPython's: 47,157 elements).
MAX_MEMORIES = 1
MAX_TABLES = 4
MAX_TABLE_ELEMENTS = 1 << 20
#: The largest memory limit a Store takes (wasmtime's limiter is an ``int64_t``:
#: a bigger value wrapped around to a small one and refused every program).
MAX_STORE_MEMORY = 2**63 - 1


def limit_store(store: wasmtime.Store, memory_bytes: int) -> None:
    """Hold ``store`` to ``memory_bytes`` of linear memory per memory and to
    :data:`MAX_MEMORIES`, :data:`MAX_TABLES` and :data:`MAX_TABLE_ELEMENTS` (per
    table): instantiating a module that declares more fails, growing past them
    fails as ``memory.grow``/``table.grow`` do (-1). A limit past
    :data:`MAX_STORE_MEMORY` is that (no limit in practice)."""
    store.set_limits(memory_size=min(memory_bytes, MAX_STORE_MEMORY), memories=MAX_MEMORIES,
                     tables=MAX_TABLES, table_elements=MAX_TABLE_ELEMENTS)


def engine_fingerprint() -> str:
    """Identifies wasmtime's build and our settings (a code cache key part).

    wasmtime checks an artifact's engine compatibility itself when
    deserializing; this keeps artifacts of different builds apart. The build
    is identified by the size and hash-prefix of its shared library (cheaper
    at start-up than ``importlib.metadata``).
    """
    lib = next(Path(wasmtime.__file__).parent.glob("*/_libwasmtime.*"), None)
    ident = "unknown"
    if lib is not None:
        with lib.open("rb") as f:
            ident = f"{lib.stat().st_size}:{hashlib.sha256(f.read(1 << 16)).hexdigest()}"
    desc = f"wasmtime {ident};" + ";".join(f"{k}={v}" for k, v in _SETTINGS)
    return hashlib.sha256(desc.encode()).hexdigest()[:16]


def check_wasm(image: bytes, name: str) -> None:
    if image[:4] != WASM_MAGIC:
        raise ImageError(f"{name}: not a WebAssembly module (bad magic number)")
    if len(image) < 8:
        raise ImageError(f"{name}: truncated WebAssembly module ({len(image)} bytes)")
    if image[4:8] != b"\x01\x00\x00\x00":
        raise ImageError(
            f"{name}: WebAssembly binary version {image[4:8].hex()} is not a core module "
            "(components are not supported; build with occlum-cc)"
        )


def compile_module(engine: wasmtime.Engine, image: bytes, name: str) -> wasmtime.Module:
    """Validate and compile ``image``; ``ImageError`` carries the validator's message."""
    check_wasm(image, name)
    try:
        return wasmtime.Module(engine, image)
    except wasmtime.WasmtimeError as e:
        raise ImageError(f"{name}: invalid WebAssembly module: {_first_line(e)}") from None


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
