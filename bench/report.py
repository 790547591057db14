"""Rendering results: a rich table for people, JSON for machines."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rich.table import Table
from rich.text import Text

from bench.core import Row, Unit


def figure(value: float | None, unit: Unit) -> str:
    """``612.3 ms``, ``13,903 ns``, ``41.7 ns``; ``-`` for no figure."""
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:,.1f} ms"
    return f"{value:,.0f} ns" if value >= 100 else f"{value:.1f} ns"


def environment() -> dict[str, str]:
    """What the figures were measured on (printed with them)."""

    def pkg(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "python": platform.python_version(),
        "interpreter": sys.executable,
        "wasmtime": pkg("wasmtime"),
        "pyocclum": pkg("pyocclum"),
        "machine": f"{platform.system()} {platform.machine()}, {_cpus()} CPU(s)",
    }


def _cpus() -> str:
    import os

    return str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())


def table(rows: Sequence[Row], *, quick: bool) -> Table:
    env = environment()
    caption = (
        f"python {env['python']}, wasmtime {env['wasmtime']}, {env['machine']}"
        + ("; --quick: fewer repetitions, figures are rough" if quick else "")
    )
    t = Table(title="PyOcclum benchmarks", caption=caption, show_lines=True)
    t.add_column("benchmark", style="bold")
    t.add_column("case")
    t.add_column("PyOcclum", justify="right")
    t.add_column("baseline", justify="right")
    t.add_column("baseline is")
    t.add_column("native", justify="right")
    t.add_column("ratio", justify="right")
    t.add_column("target", justify="right")
    t.add_column("result", justify="center")
    for row in rows:
        case = Text(row.case)
        case.append("\n" + row.method, style="dim")
        verdict = Text("PASS", style="bold green") if row.passed else Text("MISS", style="bold red")
        t.add_row(
            row.benchmark,
            case,
            figure(row.pyocclum, row.unit),
            figure(row.baseline, row.unit),
            row.baseline_is,
            figure(row.native, row.unit),
            f"{row.ratio:.2f}x",
            f"<= {row.target:g}x",
            verdict,
        )
    return t


def write_json(path: Path, rows: Sequence[Row], errors: dict[str, str], *, quick: bool) -> None:
    doc = {
        "environment": environment(),
        "quick": quick,
        "rows": [row.as_dict() for row in rows],
        "errors": errors,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
