"""Read throughput from the integrity image vs hostfs, same program, same run.

``programs/fileio.c read PATH`` reads a whole file in 1 MiB ``read`` calls and
prints MiB/s (timed inside the program, from ``open`` to ``close``). One
file of random bytes, 256 MiB (32 MiB with ``--quick``), is put both in the
instance's ``image/`` as ``/data/big.bin`` (the integrity image: every 64 KiB
block is BLAKE3-verified on its first read) and in its ``host/`` folder,
seen inside as ``/host/big.bin`` through hostfs. The instance is its own
folder of the workspace. Inside PyOcclum (``Instance.run`` in the bench
process; every run mounts afresh, so nothing verified in one run is reused
by the next) the program reads each path R times, alternating which goes
first, after one untimed read of each (host page cache); medians.
"""

from __future__ import annotations

from bench.core import BenchError, Benchmark, Context, Row, median, parse_figure, run_inside

NAME = "image_read"
#: Reading from the integrity image must reach at least this fraction of hostfs's throughput.
TARGET_RATIO = 0.5
FULL_BYTES = 256 << 20
QUICK_BYTES = 32 << 20
FULL_RUNS = 3
QUICK_RUNS = 1
IMAGE_PATH = "/data/big.bin"
HOST_PATH = "/host/big.bin"


def measure(ctx: Context) -> list[Row]:
    from pyocclum.boot import Instance

    size = QUICK_BYTES if ctx.settings.quick else FULL_BYTES
    ctx.say(f"{NAME}: writing {size >> 20} MiB of random data")
    data = ctx.workspace.random_file("readfile", size)
    ctx.say(f"{NAME}: building the instance")
    folder = ctx.workspace.named_instance(
        "instance_read", ["fileio"],
        {"image/data/big.bin": data, "host/big.bin": data},
    )
    instance = Instance(folder)

    def read(path: str) -> float:
        out = run_inside(instance, ["/bin/fileio", "read", path])
        got = parse_figure(out, "read_bytes", f"fileio read {path}")
        if int(got) != size:
            raise BenchError(f"fileio read {path} read {int(got)} bytes, not {size}")
        return parse_figure(out, "read_mibs", f"fileio read {path}")

    read(IMAGE_PATH)  # untimed warm-up of both (host page cache, code cache)
    read(HOST_PATH)
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    image: list[float] = []
    host: list[float] = []
    for i in range(runs):
        ctx.say(f"{NAME}: run {i + 1}/{runs}")
        if i % 2 == 0:
            image.append(read(IMAGE_PATH))
            host.append(read(HOST_PATH))
        else:
            host.append(read(HOST_PATH))
            image.append(read(IMAGE_PATH))
    return [
        Row(
            benchmark=NAME,
            case="read 1 MiB chunks, integrity image",
            unit="MiB/s",
            pyocclum=median(image),
            baseline=median(host),
            baseline_is="hostfs",
            target=TARGET_RATIO,
            method=(f"{size >> 20} MiB; median of {runs} run{'s' if runs != 1 else ''}, "
                    "alternating"),
            higher_is_better=True,
        )
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary="MiB/s reading a 256 MiB file from the integrity image vs hostfs",
    measure=measure,
)
