"""Start-up against image size: ``occlum run /bin/hello_world``, big image vs tiny.

Two instances, each in its own folder of the workspace and built once: a
tiny one holding only ``hello_world`` (and the template's files), and a big
one holding ``hello_world`` plus three files of random bytes in
``image/data/`` (100 MB each, about 300 MB in all; 10 MB each with
``--quick``). ``occlum build`` puts them all in the integrity image, which
is verified lazily (a file's blocks are hashed on their first read), so
start-up should not depend on how much data the image holds.

Both are timed as fresh host processes (the venv's ``occlum run``), after
one untimed warm-up run of each that also checks the output, interleaved
and alternating which goes first; the medians are compared.
"""

from __future__ import annotations

from pathlib import Path

from bench.core import BenchError, Benchmark, Context, Row, median, run_checked, timed_run, tool

NAME = "image_startup"
#: Start-up with the big image may take at most this many times the tiny one's.
TARGET_RATIO = 1.2
FULL_RUNS = 10
QUICK_RUNS = 3
#: The big image's extra files: this many, of FULL_FILE_BYTES (QUICK_FILE_BYTES) each.
EXTRA_FILES = 3
FULL_FILE_BYTES = 100_000_000
QUICK_FILE_BYTES = 10_000_000
EXPECTED_OUTPUT = b"Hello World"


def _check(cmd: list[str], folder: Path, what: str) -> None:
    out = run_checked(cmd, cwd=folder, what=what)
    if EXPECTED_OUTPUT not in out:
        raise BenchError(f"{what}: printed {out!r}, not {EXPECTED_OUTPUT!r}")


def measure(ctx: Context) -> list[Row]:
    file_bytes = QUICK_FILE_BYTES if ctx.settings.quick else FULL_FILE_BYTES
    ctx.say(f"{NAME}: building the tiny instance")
    tiny = ctx.workspace.named_instance("instance_tiny", ["hello_world"])
    ctx.say(f"{NAME}: writing {EXTRA_FILES} x {file_bytes / 1e6:.0f} MB of random data")
    extra = {
        f"image/data/fill{i}.bin": ctx.workspace.random_file(f"fill{i}", file_bytes)
        for i in range(EXTRA_FILES)
    }
    ctx.say(f"{NAME}: building the big instance")
    big = ctx.workspace.named_instance("instance_big", ["hello_world"], extra)

    cmd = [str(tool("occlum")), "run", "/bin/hello_world"]
    _check(cmd, tiny, "occlum run (tiny image)")
    _check(cmd, big, "occlum run (big image)")

    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    big_times: list[float] = []
    tiny_times: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}")
        if i % 2 == 0:
            big_times.append(timed_run(cmd, cwd=big, what="occlum run (big image)"))
            tiny_times.append(timed_run(cmd, cwd=tiny, what="occlum run (tiny image)"))
        else:
            tiny_times.append(timed_run(cmd, cwd=tiny, what="occlum run (tiny image)"))
            big_times.append(timed_run(cmd, cwd=big, what="occlum run (big image)"))

    total_mb = EXTRA_FILES * file_bytes / 1e6
    return [
        Row(
            benchmark=NAME,
            case="occlum run hello_world, big image",
            unit="ms",
            pyocclum=median(big_times) * 1e3,
            baseline=median(tiny_times) * 1e3,
            baseline_is="same, tiny image",
            target=TARGET_RATIO,
            method=(f"+{total_mb:.0f} MB of data; median of {runs} "
                    f"run{'s' if runs != 1 else ''}, interleaved"),
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="wall time of `occlum run /bin/hello_world`: ~300 MB image vs a tiny one",
    measure=measure,
)
