"""One tool of the GCC benchmark's process-per-enclave baseline: a fresh host
process that boots its own runtime and runs one WASI program.

    python gcc_child.py MODULE.cwasm [--dir HOST::GUEST]... -- ARGV0 [ARG...]

As ``ppe_child.py`` does for the other process-per-enclave rows: an engine,
the program deserialized from a module the benchmark compiled once with a
default engine and serialized, wasmtime's built-in WASI with this process's
stdin/stdout/stderr, and the program's exit status as ours. cc1, as and ld
are plain WASI programs (no ``occlum`` imports) that work on files, so the
child also preopens each ``--dir`` host folder at its guest path (the syntax
of the wasmtime CLI). It is run as a script and imports only wasmtime, so the
baseline's start-up is only what any such process must pay. DESIGN.md allows
``define_wasi()`` in benchmarks; this is a benchmark baseline.
"""

from __future__ import annotations

import sys

import wasmtime


def main(argv: list[str]) -> int:
    if len(argv) < 4 or "--" not in argv:
        print("usage: gcc_child.py MODULE.cwasm [--dir HOST::GUEST]... -- ARGV0 [ARG...]",
              file=sys.stderr)
        return 2
    split = argv.index("--")
    options, program_argv = argv[2:split], argv[split + 1:]
    config = wasmtime.WasiConfig()
    while options:
        if options[0] != "--dir" or len(options) < 2 or "::" not in options[1]:
            print(f"gcc_child.py: bad option {options[0]!r}", file=sys.stderr)
            return 2
        host, guest = options[1].split("::", 1)
        config.preopen_dir(host, guest)
        options = options[2:]
    engine = wasmtime.Engine()
    module = wasmtime.Module.deserialize_file(engine, argv[1])
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    config.argv = program_argv
    config.inherit_stdin()
    config.inherit_stdout()
    config.inherit_stderr()
    store = wasmtime.Store(engine)
    store.set_wasi(config)
    instance = linker.instantiate(store, module)
    start = instance.exports(store).get("_start")
    if not isinstance(start, wasmtime.Func):
        print("gcc_child.py: the module exports no _start function", file=sys.stderr)
        return 2
    try:
        start(store)
    except wasmtime.ExitTrap as e:
        return int(e.code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
