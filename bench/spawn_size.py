"""Spawn latency against program size (the first figure of the Occlum paper).

The empty program of the ``spawn`` benchmark, padded with read-only data to
about 10 KB, 1 MB, 10 MB and 50 MB (``programs/empty.c`` with
``-DPAD_BYTES``; ``core.PAD_SIZES``), spawned and reaped N times by
``programs/spawn.c``, inside PyOcclum and natively (the same sources with
``gcc -O2``, padded alike). Before measuring, the builds are checked: the
padding must be in the wasm module's data section (loaded into every new
process's memory) and in the ELF file. The case shows the nominal size and
the method line the real file sizes. No target: the figures are reported.
"""

from __future__ import annotations

from pathlib import Path

from bench.core import PAD_SIZES, BenchError, Benchmark, Context, Row
from bench.spawn import method, spawn_latency

NAME = "spawn_size"
#: Spawns per run for each size: (full, quick); bigger programs take longer.
SPAWNS: dict[str, tuple[int, int]] = {
    "10KB": (1_000, 200),
    "1MB": (500, 100),
    "10MB": (200, 20),
    "50MB": (100, 10),
}
FULL_RUNS = 3
QUICK_RUNS = 1
#: The id of the data section in a wasm module.
DATA_SECTION = 11


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned LEB128 number at ``pos`` and the position after it."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise BenchError("truncated LEB128 number in a wasm module")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def section_sizes(wasm: Path) -> dict[int, int]:
    """Bytes in each section of a wasm module, by section id (custom sections add up)."""
    sizes: dict[int, int] = {}
    with wasm.open("rb") as f:
        if f.read(8) != b"\0asm\x01\0\0\0":
            raise BenchError(f"{wasm} is not a wasm module")
        while header := f.read(6):
            section_id = header[0]
            size, after = _leb128(header, 1)
            sizes[section_id] = sizes.get(section_id, 0) + size
            f.seek(size - (len(header) - after), 1)
    return sizes


def human(size: int) -> str:
    """Bytes as decimal KB/MB, as the case labels count them."""
    return f"{size / 1e6:.1f} MB" if size >= 1_000_000 else f"{size / 1e3:.1f} KB"


def check_padding(wasm: Path, native: Path, pad: int) -> None:
    data = section_sizes(wasm).get(DATA_SECTION, 0)
    if data < pad:
        raise BenchError(
            f"{wasm.name}: the data section holds {data:,} bytes, fewer than the "
            f"{pad:,} of padding (was it made zero-fill?)"
        )
    if native.stat().st_size < pad:
        raise BenchError(f"{native.name}: {native.stat().st_size:,} bytes, less than its padding")


def measure(ctx: Context) -> list[Row]:
    ws = ctx.workspace
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    programs = {label: f"empty_{label}" for label in PAD_SIZES}
    for label, program in programs.items():
        ctx.say(f"{NAME}: building the {label} program")
        check_padding(ws.wasm(program), ws.require_native(program), PAD_SIZES[label])
    ws.instance(["spawn", *programs.values()])  # one build for all sizes

    rows = []
    for label, program in programs.items():
        spawns = ctx.settings.loop_count(*SPAWNS[label])
        latency = spawn_latency(ctx, program, spawns, runs, f"{NAME} {label}")
        inside, native = latency.inside, latency.native
        sizes = (f"wasm {human(ws.wasm(program).stat().st_size)}, "
                 f"ELF {human(ws.require_native(program).stat().st_size)}")
        rows.append(
            Row(
                benchmark=NAME,
                case=f"spawn + wait, {label[:-2]} {label[-2:]} program",
                unit="us",
                pyocclum=inside,
                baseline=native,
                native=native,
                baseline_is="Linux (gcc -O2)",
                target=None,
                method=f"{sizes}\n{method(runs, spawns)}\n{latency.spread()}",
            )
        )
    return rows


BENCHMARK = Benchmark(
    name=NAME,
    summary="us per spawn + wait of programs of 10 KB to 50 MB: PyOcclum vs Linux",
    measure=measure,
)
