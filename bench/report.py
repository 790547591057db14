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
    """``612.3 ms``, ``13,903 ns``, ``41.7 ns``, ``640 us``, ``1,532 MiB/s``; ``-`` for none."""
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "MiB/s":
        return f"{value:,.0f} MiB/s"
    if unit in ("reads/s", "req/s"):
        return f"{value:,.0f}/s"
    suffix = "us" if unit == "us" else "ns"
    return f"{value:,.0f} {suffix}" if value >= 100 else f"{value:.1f} {suffix}"


def ratio_text(ratio: float) -> str:
    """The ratio column: three significant digits (``3.45x``, ``0.00612x``, ``12.3x``)."""
    return f"{ratio:.3g}x"


def target_text(row: Row) -> str:
    if row.target is None:
        return "-"
    return f"{'>=' if row.higher_is_better else '<='} {row.target:g}x"


def verdict(row: Row) -> Text:
    """PASS or MISS against the target; ``report`` for a row that has none."""
    if row.passed is None:
        return Text("report", style="dim")
    if row.passed:
        return Text("PASS", style="bold green")
    return Text("MISS", style="bold red")


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
    t.add_column("benchmark", style="bold", no_wrap=True)
    t.add_column("case", no_wrap=True)  # it names the row; tests look for it
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
        t.add_row(
            row.benchmark,
            case,
            figure(row.pyocclum, row.unit),
            figure(row.baseline, row.unit),
            row.baseline_is,
            figure(row.native, row.unit),
            ratio_text(row.ratio),
            target_text(row),
            verdict(row),
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


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(path: Path, rows: Sequence[Row], errors: dict[str, str], *,
                   quick: bool, command: str, plots: Sequence[str]) -> None:
    """The results as a Markdown page (``docs/benchmarks.md``), the plots linked below it."""
    import datetime

    env = environment()
    lines = [
        "# PyOcclum benchmarks",
        "",
        f"Written by `{command}` on {datetime.date.today().isoformat()}: every figure "
        "was measured in that run, next to its baseline (see `bench/README.md` for what "
        "each benchmark does). Rerun it to refresh this page.",
        "",
        f"Machine: {env['machine']}; python {env['python']}, wasmtime {env['wasmtime']}"
        + ("; `--quick`: fewer repetitions, rough figures." if quick else "."),
        "",
        "| benchmark | case | PyOcclum | baseline | baseline is | native | ratio | target "
        "| result | method |",
        "|---|---|--:|--:|---|--:|--:|--:|:-:|---|",
    ]
    for row in rows:
        result = {None: "report", True: "PASS", False: "**MISS**"}[row.passed]
        cells = [row.benchmark, row.case, figure(row.pyocclum, row.unit),
                 figure(row.baseline, row.unit), row.baseline_is, figure(row.native, row.unit),
                 ratio_text(row.ratio), target_text(row), result, row.method]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    if errors:
        lines += ["", "Could not measure:", ""]
        lines += [f"- `{name}`: {_md_cell(message)}" for name, message in errors.items()]
    if plots:
        lines += ["", "## Plots", ""]
        lines += [f"![{name}]({name})" for name in plots]
    path.write_text("\n".join(lines) + "\n")
