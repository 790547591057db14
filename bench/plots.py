"""PNG plots of one run's rows (matplotlib, no screen needed).

Each plot is drawn only from rows measured in the run; a plot whose rows
are missing (its benchmark was not selected or failed) is left out, and
:func:`draw_all` says which files it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.core import Row

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Draws on the axes from the rows; False when the rows hold nothing for it.
Plot = Callable[["Axes", Sequence[Row]], bool]


def native_time_ratio(row: Row) -> float | None:
    """How many times longer PyOcclum takes than the same work on Linux (None: not measured).

    For throughputs that is native / inside; for times, inside / native.
    """
    if row.native is None:
        return None
    if row.higher_is_better:
        return row.native / row.pyocclum
    return row.pyocclum / row.native


def _spawn_size(ax: Axes, rows: Sequence[Row]) -> bool:
    picked = [r for r in rows if r.benchmark == "spawn_size"]
    if not picked:
        return False
    labels = [r.case.removeprefix("spawn + wait, ").removesuffix(" program") for r in picked]
    ax.plot(labels, [r.pyocclum for r in picked], marker="o", label="PyOcclum")
    ax.plot(labels, [r.baseline for r in picked], marker="s", label=picked[0].baseline_is)
    ax.set_xlabel("program size")
    ax.set_ylabel("spawn + wait (us)")
    ax.set_yscale("log")
    ax.legend()
    return True


def _bars(ax: Axes, labels: Sequence[str], series: dict[str, Sequence[float]], unit: str) -> None:
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        xs = [x + i * width for x in range(len(labels))]
        ax.bar(xs, values, width, label=name)
    ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(labels))])
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel(unit)
    ax.legend()


def _pipes(ax: Axes, rows: Sequence[Row]) -> bool:
    picked = [r for r in rows if r.unit == "MiB/s" and "pipe" in r.case]
    if not picked:
        return False
    labels = [f"{r.benchmark}\n{r.baseline_is}" for r in picked]
    _bars(ax, labels, {"PyOcclum": [r.pyocclum for r in picked],
                       "baseline": [r.baseline for r in picked]}, "MiB/s")
    return True


def _sefs(ax: Axes, rows: Sequence[Row]) -> bool:
    picked = [r for r in rows if r.benchmark == "sefs_io" and r.case.endswith("vs hostfs")
              and r.unit == "MiB/s" and r.native is not None]
    if not picked:
        return False
    labels = [r.case.removesuffix(", sefs vs hostfs") for r in picked]
    _bars(ax, labels, {"sefs inside": [r.pyocclum for r in picked],
                       "hostfs inside": [r.baseline for r in picked],
                       "native": [r.native or 0.0 for r in picked]}, "MiB/s")
    return True


def _ratios(ax: Axes, rows: Sequence[Row]) -> bool:
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    picked: dict[tuple[str, float, float], tuple[str, float]] = {}
    for r in rows:
        ratio = native_time_ratio(r)
        if ratio is not None and r.native is not None:
            # sefs_io reports one measurement against two baselines: plot it once.
            key = (r.benchmark, r.pyocclum, r.native)
            picked.setdefault(key, (f"{r.benchmark}: {r.case}", ratio))
    if not picked:
        return False
    names = [name if len(name) <= 60 else name[:57] + "..." for name, _ in picked.values()]
    values = [ratio for _, ratio in picked.values()]
    bars = ax.barh(names, values, color=["tab:green" if v <= 1 else "tab:orange" for v in values])
    ax.bar_label(bars, labels=[f"{v:.2g}x" for v in values], fontsize=7, padding=2)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("time inside / time on Linux (log scale; < 1: faster than Linux)")
    return True


#: File name (beside the report) -> (title, what draws it).
PLOTS: dict[str, tuple[str, Plot]] = {
    "benchmarks-spawn-size.png": ("Spawn latency vs program size", _spawn_size),
    "benchmarks-pipes.png": ("Pipe throughput", _pipes),
    "benchmarks-sefs.png": ("sefs I/O (sequential)", _sefs),
    "benchmarks-ratios.png": ("PyOcclum / native", _ratios),
}


def draw_all(folder: Path, rows: Sequence[Row]) -> list[str]:
    """Write every plot that ``rows`` have data for into ``folder``; their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for name, (title, draw) in PLOTS.items():
        tall = name == "benchmarks-ratios.png"
        fig, ax = plt.subplots(figsize=(9, 7 if tall else 4.5))
        try:
            if draw(ax, rows):
                ax.set_title(title)
                fig.tight_layout()
                fig.savefig(folder / name, dpi=100)
                written.append(name)
        finally:
            plt.close(fig)
    return written
