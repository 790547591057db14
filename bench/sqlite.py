"""SQLite: 200k-row insert in one transaction, an index, 300 autocommit inserts.

The program and the workload are the SQLite demo's (``demos/sqlite``): SQLite
3.44.2's own shell (``shell.c`` + ``sqlite3.c`` from the npm package
``sqlite3@5.1.7``, fetched with ``npm pack`` once), built unmodified with
``-O2 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0`` by ``occlum-cc``
and by the host's ``gcc``; both builds are kept in the demo's cache
(``$PYOCCLUM_DEMO_CACHE``, default ``~/.cache/pyocclum/demos/sqlite``).

Three phases, each one run of the shell with its SQL on stdin, on a new
database per repetition:

* **insert**: create the table and insert 200,000 rows in one transaction
  (``WITH RECURSIVE`` ... ``INSERT ... SELECT``);
* **index**: ``CREATE INDEX`` on the text column (its sort spills to
  temporary files) and two queries through it;
* **autocommit**: 300 single-row ``INSERT`` statements, each its own
  transaction (journal created, written, synced, deleted; the database synced).

* **PyOcclum**: ``Instance.run(["/bin/sqlite3", "-init", "/dev/null",
  "/root/bench-N.db"])`` in the bench process, the database on the encrypted
  root (sefs): boot the LibOS, run the shell, shut down. Wall time of the call.
* **baseline**: the native build as a host process, the database on the host
  disk (the workspace's folder). Wall time.

Each phase's output inside must equal the native build's, byte for byte,
before its time counts. R repetitions, alternating which side goes first;
medians per phase; the total is the median of the per-repetition sums.
R = 3 (``--quick``: 1, with 20,000 rows and 30 autocommit inserts;
``--iterations N`` sets the rows).
Target for the total: **<= 3.0x**; the phases only report.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

from bench.core import REPO, BenchError, Benchmark, Context, Row, median

NAME = "sqlite"
TARGET = 3.0
FULL_RUNS = 3
QUICK_RUNS = 1
QUICK_ROWS = 20_000
QUICK_INSERTS = 30
DEMO = REPO / "demos" / "sqlite" / "demo.py"
BASELINE_IS = "Linux (gcc -O2), database on the host disk"


def load_demo() -> ModuleType:
    """``demos/sqlite/demo.py``: the amalgamation, the builds, the workload."""
    spec = importlib.util.spec_from_file_location("pyocclum_demo_sqlite", DEMO)
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot load {DEMO}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _inside(instance: Path, db: str, sql: str, what: str) -> tuple[bytes, float]:
    from pyocclum.boot import Instance

    start = time.perf_counter()
    result = Instance(instance).run(["/bin/sqlite3", "-init", "/dev/null", db],
                                    stdin=sql.encode(), capture=True)
    elapsed = time.perf_counter() - start
    if result.exit_code != 0 or result.stderr:
        err = (result.stderr or b"").decode(errors="replace").strip()
        raise BenchError(f"sqlite {what} inside PyOcclum: exit status {result.exit_code} "
                         f"{result.error or ''} {err}".rstrip())
    return result.stdout or b"", elapsed


def measure(ctx: Context) -> list[Row]:
    demo = load_demo()
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    rows = ctx.settings.loop_count(demo.ROWS, QUICK_ROWS)
    inserts = QUICK_INSERTS if ctx.settings.quick else demo.AUTOCOMMIT_INSERTS
    ctx.say(f"{NAME}: SQLite's amalgamation and the two builds (cached across runs)")
    work = ctx.workspace.root / "sqlite"
    try:
        src = demo.obtain_source(say=ctx.say)
        wasm, native = demo.build_both(src, say=ctx.say)
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        instance: Path = demo.make_instance(work / "instance", wasm)
    except demo.DemoError as e:
        raise BenchError(f"sqlite demo: {e}") from e
    phases = [demo.load_phase(rows), demo.index_phase(), demo.autocommit_phase(inserts, rows)]
    inside: dict[str, list[float]] = {p.name: [] for p in phases}
    host: dict[str, list[float]] = {p.name: [] for p in phases}
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}: {rows} rows, an index, {inserts} autocommits")
        native_db = work / f"bench-{i}.db"
        os.sync()  # the syncs timed below must not wait behind earlier runs' dirty pages
        for phase in phases:
            sides = ["inside", "native"] if i % 2 == 0 else ["native", "inside"]
            out: dict[str, bytes] = {}
            for side in sides:
                if side == "inside":
                    out[side], seconds = _inside(instance, f"/root/bench-{i}.db", phase.sql,
                                                 phase.name)
                    inside[phase.name].append(seconds * 1000)
                else:
                    r = demo.run_native(native, native_db, phase)
                    if r.status != 0 or r.stderr:
                        raise BenchError(f"sqlite {phase.name}, native build: exit status "
                                         f"{r.status} {r.stderr.decode(errors='replace')}")
                    out[side] = r.stdout
                    host[phase.name].append(r.seconds * 1000)
            if out["inside"] != out["native"]:
                raise BenchError(f"sqlite {phase.name}: the output inside differs from the "
                                 f"native build's: {out['inside'][:200]!r} against "
                                 f"{out['native'][:200]!r}")
    method = f"median of {runs} run{'s' if runs != 1 else ''}, wall time of each shell run"
    result = [
        Row(benchmark=NAME, case=f"SQLite {label}", unit="ms", pyocclum=median(inside[name]),
            baseline=median(host[name]), native=median(host[name]), baseline_is=BASELINE_IS,
            target=None, method=method)
        for name, label in (("insert", f"insert {rows:,} rows, one transaction"),
                            ("index", "CREATE INDEX + 2 queries"),
                            ("autocommit", f"{inserts} autocommit inserts"))
    ]
    totals_inside = [sum(inside[p.name][i] for p in phases) for i in range(runs)]
    totals_native = [sum(host[p.name][i] for p in phases) for i in range(runs)]
    result.append(Row(
        benchmark=NAME, case="SQLite total (insert + index + autocommit)", unit="ms",
        pyocclum=median(totals_inside), baseline=median(totals_native),
        native=median(totals_native), baseline_is=BASELINE_IS, target=TARGET,
        method=f"median of {runs} per-run sum{'s' if runs != 1 else ''} of the three phases",
    ))
    return result


BENCHMARK = Benchmark(
    name=NAME,
    summary=("SQLite: 200k-row insert in one transaction, an index, 300 autocommit inserts: "
             "inside (encrypted root) vs the native gcc -O2 build on the host disk"),
    measure=measure,
)
