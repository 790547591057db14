"""The benchmark suite runs end to end and reports what it should.

This checks the shape of the results only (rows, positive numbers, a
verdict per row); speed targets live in the benchmarks, never in tests.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXPECTED_ROWS = {
    ("cold_start", "occlum run /bin/hello_world"),
    ("exec", "occlum exec /bin/hello_world, started instance"),
    ("syscalls", "write(/dev/null, 1 byte)"),
    ("syscalls", "clock_gettime(CLOCK_MONOTONIC)"),
    ("syscalls", "clock_gettime(CLOCK_MONOTONIC), native calls off"),
    ("syscalls", "write(pipe, 1 byte), read 4 KiB at a time"),
    ("spawn", "posix_spawn + wait4, empty program"),
    ("spawn_size", "spawn + wait, 10 KB program"),
    ("spawn_size", "spawn + wait, 1 MB program"),
    ("spawn_size", "spawn + wait, 10 MB program"),
    ("spawn_size", "spawn + wait, 50 MB program"),
    ("pipe", "pipe to a spawned child, 128 KiB writes"),
    ("process_per_enclave", "spawn + wait, empty program"),
    ("process_per_enclave", "pipe to a child, 128 KiB writes"),
    ("kill", "SIGKILL a busy child (bound: 50 ms)"),
    ("image_startup", "occlum run hello_world, big image"),
    ("image_read", "read 1 MiB chunks, integrity image"),
    ("sefs_io", "sequential write + fsync, sefs vs hostfs"),
    ("sefs_io", "sequential write + fsync, sefs vs native"),
    ("sefs_io", "sequential read, cold sefs cache, sefs vs hostfs"),
    ("sefs_io", "sequential read, cold sefs cache, sefs vs native"),
    ("sefs_io", "random 4 KiB reads, sefs vs hostfs"),
    ("sefs_io", "random 4 KiB reads, sefs vs the bound"),
    ("build_cpython", "occlum build, new instance with CPython"),
    ("build_cpython", "occlum build again, one data file changed"),
    ("shell", "20 iterations of echo | grep | wc; cat; $(expr)"),
    ("cpu", "SHA-256 of 20 MiB (C)"),
    ("sqlite", "SQLite insert 20 rows, one transaction"),
    ("sqlite", "SQLite CREATE INDEX + 2 queries"),
    ("sqlite", "SQLite 30 autocommit inserts"),
    ("sqlite", "SQLite total (insert + index + autocommit)"),
    ("python", "python -c pass, fresh host process"),
    ("python", "CPython started in a running LibOS (spawn + wait)"),
    ("python", "CPU-bound Python script (size 18)"),
    ("gcc", "cc1 + as + ld, 1,000-line C file, LibOS running, vs one process"),
    ("gcc", "cc1 + as + ld, 1,000-line C file, LibOS running, vs process per tool"),
    ("gcc", "cc1 + as + ld, 1,000-line C file, fresh occlum run, vs process per tool"),
    ("threads", "pthread_create + pthread_join"),
    ("threads", "mutex ping-pong between two threads (round trip)"),
    ("http", "wrk, 4 workers, keep-alive, 1 KiB file"),
    ("http", "wrk, 4 workers, keep-alive, 100 KiB file"),
}
#: The http benchmark needs wrk (Debian's package; `make test` installs it best
#: effort, scripts/ensure-wrk.sh). Without it the run reports why http measured
#: nothing, and only those rows are missing.
HTTP_ROWS = {row for row in EXPECTED_ROWS if row[0] == "http"}
HAVE_WRK = shutil.which("wrk") is not None
#: Rows that report without a target (no PASS or MISS).
REPORT_ONLY = {"spawn_size", "process_per_enclave", "kill", "build_cpython", "cpu"}
#: Single report-only rows of benchmarks that otherwise have targets.
REPORT_ONLY_ROWS = {
    ("syscalls", "clock_gettime(CLOCK_MONOTONIC), native calls off"),
    ("syscalls", "write(pipe, 1 byte), read 4 KiB at a time"),
    ("sefs_io", "random 4 KiB reads, sefs vs hostfs"),
    ("sqlite", "SQLite insert 20 rows, one transaction"),
    ("sqlite", "SQLite CREATE INDEX + 2 queries"),
    ("sqlite", "SQLite 30 autocommit inserts"),
    ("gcc", "cc1 + as + ld, 1,000-line C file, fresh occlum run, vs process per tool"),
}


def report_only(row: tuple[str, str]) -> bool:
    return row[0] in REPORT_ONLY or row in REPORT_ONLY_ROWS
#: Rows whose figures are throughputs: higher is better, the target is a minimum.
THROUGHPUT_ROWS = {
    ("pipe", "pipe to a spawned child, 128 KiB writes"),
    ("process_per_enclave", "pipe to a child, 128 KiB writes"),
    ("image_read", "read 1 MiB chunks, integrity image"),
    ("sefs_io", "sequential write + fsync, sefs vs hostfs"),
    ("sefs_io", "sequential write + fsync, sefs vs native"),
    ("sefs_io", "sequential read, cold sefs cache, sefs vs hostfs"),
    ("sefs_io", "sequential read, cold sefs cache, sefs vs native"),
    ("sefs_io", "random 4 KiB reads, sefs vs hostfs"),
    ("sefs_io", "random 4 KiB reads, sefs vs the bound"),
    ("http", "wrk, 4 workers, keep-alive, 1 KiB file"),
    ("http", "wrk, 4 workers, keep-alive, 100 KiB file"),
}


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_quick_run_prints_every_row_with_positive_figures(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    page = tmp_path / "benchmarks.md"
    # Tiny counts: 20 calls per syscall loop, 20 spawns, 20 x 128 KiB through each pipe.
    proc = run_bench("--quick", "--runs", "1", "--iterations", "20", "--json", str(out),
                     "--markdown", str(page))
    expected = EXPECTED_ROWS if HAVE_WRK else EXPECTED_ROWS - HTTP_ROWS
    assert proc.returncode == (0 if HAVE_WRK else 1), proc.stderr

    table = proc.stdout
    assert "PyOcclum benchmarks" in table
    for _, case in expected:
        assert case in table
    judged = {row for row in expected if not report_only(row)}
    assert table.count("PASS") + table.count("MISS") == len(judged)
    assert table.count("report") == len(expected) - len(judged)

    doc = json.loads(out.read_text())
    assert doc["quick"] is True
    if HAVE_WRK:
        assert doc["errors"] == {}
    else:
        assert doc["errors"] == {"http": "wrk is not installed: it is the HTTP load generator "
                                         "(apt-get install wrk)"}
        assert "http: could not measure: wrk is not installed" in proc.stderr
    rows = doc["rows"]
    assert len(rows) == len(expected)
    assert {(r["benchmark"], r["case"]) for r in rows} == expected
    for row in rows:
        key = (row["benchmark"], row["case"])
        figures = [row["pyocclum"], row["baseline"], row["ratio"]]
        if row["native"] is not None:
            figures.append(row["native"])
        if report_only(key):
            assert row["target"] is None
            assert row["passed"] is None
        else:
            figures.append(row["target"])
        for value in figures:
            assert isinstance(value, float)
            assert math.isfinite(value)
            assert value > 0
        assert math.isclose(row["ratio"], row["pyocclum"] / row["baseline"])
        assert row["higher_is_better"] == (key in THROUGHPUT_ROWS)
        if row["target"] is not None:
            met = (row["ratio"] >= row["target"] if row["higher_is_better"]
                   else row["ratio"] <= row["target"])
            assert row["passed"] == met
        assert f"{row['ratio']:.3g}x" in table
        case = row["case"].replace("|", "\\|")  # Markdown escapes a | in a cell
        assert f"| {row['benchmark']} | {case} |" in page.read_text()
    for plot in ("spawn-size", "pipes", "sefs", "ratios"):
        png = tmp_path / f"benchmarks-{plot}.png"
        assert png.read_bytes().startswith(b"\x89PNG"), plot
        assert f"]({png.name})" in page.read_text()


def test_list_names_every_benchmark() -> None:
    proc = run_bench("--list")
    assert proc.returncode == 0, proc.stderr
    for name in {name for name, _ in EXPECTED_ROWS}:
        assert f"{name}:" in proc.stdout


def test_unknown_benchmark_is_a_usage_error() -> None:
    proc = run_bench("no_such_benchmark")
    assert proc.returncode == 2
    assert "no_such_benchmark" in proc.stderr
    assert "cold_start" in proc.stderr


def test_settling_the_page_cache_keeps_files_and_skips_what_it_cannot_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    monkeypatch.syspath_prepend(str(REPO))  # bench is a folder of the repository, not installed
    from bench.core import settle_page_cache

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data").write_bytes(b"x" * 100_000)
    os.mkfifo(tmp_path / "fifo")  # opening it for reading must not block
    (tmp_path / "link").symlink_to(tmp_path / "sub" / "data")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    settle_page_cache(tmp_path)
    assert (tmp_path / "sub" / "data").read_bytes() == b"x" * 100_000
