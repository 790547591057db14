"""The benchmark suite runs end to end and reports what it should.

This checks the shape of the results only (rows, positive numbers, a
verdict per row); speed targets live in the benchmarks, never in tests.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXPECTED_ROWS = {
    ("cold_start", "occlum run /bin/hello_world"),
    ("syscalls", "write(/dev/null, 1 byte)"),
    ("syscalls", "clock_gettime(CLOCK_MONOTONIC)"),
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
    proc = run_bench("--quick", "--runs", "1", "--iterations", "500", "--json", str(out))
    assert proc.returncode == 0, proc.stderr

    table = proc.stdout
    assert "PyOcclum benchmarks" in table
    for _, case in EXPECTED_ROWS:
        assert case in table
    assert table.count("PASS") + table.count("MISS") == len(EXPECTED_ROWS)

    doc = json.loads(out.read_text())
    assert doc["quick"] is True
    assert doc["errors"] == {}
    rows = doc["rows"]
    assert {(r["benchmark"], r["case"]) for r in rows} == EXPECTED_ROWS
    for row in rows:
        figures = [row["pyocclum"], row["baseline"], row["ratio"], row["target"]]
        if row["benchmark"] == "syscalls" and row["native"] is not None:
            figures.append(row["native"])
        for value in figures:
            assert isinstance(value, float)
            assert math.isfinite(value)
            assert value > 0
        assert math.isclose(row["ratio"], row["pyocclum"] / row["baseline"])
        assert row["passed"] == (row["ratio"] <= row["target"])
        assert f"{row['ratio']:.2f}x" in table


def test_list_names_every_benchmark() -> None:
    proc = run_bench("--list")
    assert proc.returncode == 0, proc.stderr
    assert "cold_start" in proc.stdout
    assert "syscalls" in proc.stdout


def test_unknown_benchmark_is_a_usage_error() -> None:
    proc = run_bench("no_such_benchmark")
    assert proc.returncode == 2
    assert "no_such_benchmark" in proc.stderr
    assert "cold_start" in proc.stderr
