"""``python -m bench [NAME...]``: run the benchmarks and print the results table.

Exit status: 0 when every selected benchmark measured its figures (PASS or
MISS alike: a miss is a result, not a failure), 1 if one could not run, 2
for bad usage.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench import BENCHMARKS, by_name
from bench.core import BenchError, Context, Row, Settings, Workspace
from bench.report import table, write_json, write_markdown


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def parser() -> argparse.ArgumentParser:
    names = ", ".join(b.name for b in BENCHMARKS)
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure PyOcclum against baselines measured in the same run.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (all: {names})")
    p.add_argument("--quick", action="store_true", help="fewer repetitions and iterations")
    p.add_argument("--runs", type=_positive, help="repetitions of every measurement")
    p.add_argument("--iterations", type=_positive,
                   help="count of every timing loop (calls, spawns, 128 KiB writes)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    p.add_argument("--markdown", type=Path, metavar="FILE",
                   help="also write the results as Markdown, with PNG plots beside it")
    p.add_argument("--workdir", type=Path, metavar="DIR",
                   help="build programs and the instance here and keep them (default: a temp dir)")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Wide enough off a terminal that no column (the verdict last) is cut.
    out = Console(width=None if sys.stdout.isatty() else 260)
    err = Console(stderr=True, highlight=False)
    if args.list:
        for b in BENCHMARKS:
            out.print(f"[bold]{b.name}[/]: {b.summary}", highlight=False)
        return 0
    try:
        selected = [by_name(n) for n in args.names] if args.names else list(BENCHMARKS)
    except KeyError as e:
        err.print(f"[red]{e.args[0]}[/]")
        return 2
    settings = Settings(quick=args.quick, runs=args.runs, iterations=args.iterations)

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        root = args.workdir.resolve()
    else:
        root = Path(tempfile.mkdtemp(prefix="pyocclum-bench-"))
    rows: list[Row] = []
    errors: dict[str, str] = {}
    try:
        with err.status("preparing") as status:
            ctx = Context(settings, Workspace(root), say=status.update)
            for bench in selected:
                status.update(f"{bench.name}: building")
                try:
                    rows.extend(bench.measure(ctx))
                except BenchError as e:
                    errors[bench.name] = str(e)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)

    if rows:
        out.print(table(rows, quick=settings.quick))
    for name, message in errors.items():
        err.print(f"[bold red]{name}: could not measure:[/] {message}", soft_wrap=True)
    if args.json is not None:
        write_json(args.json, rows, errors, quick=settings.quick)
    if args.markdown is not None:
        from bench.plots import draw_all

        plots = draw_all(args.markdown.parent, rows)
        command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
        write_markdown(args.markdown, rows, errors, quick=settings.quick, command=command,
                       plots=plots)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
