"""A prefork web server under ``wrk``: requests per second inside PyOcclum vs Linux.

The server is the HTTP demo's (``demos/http/server.c``: one master, 4 worker
processes sharing its listening socket, HTTP/1.1 keep-alive, static files),
the paper's lighttpd set-up. The same source is built twice, ``occlum-cc -O2``
and the host's ``gcc -O2`` (cached with the demo's builds).

* **PyOcclum**: ``occlum run /bin/httpd -p 0 -b 127.0.0.1 -r /root/www -w 4``
  in an instance of its own, the files on the encrypted root (``occlum fs cp``).
* **baseline**: the gcc build on the host, the same files in a host folder.

Both servers are started, every file is fetched once from each and compared
byte for byte with the host's copy, then ``wrk -t2 -c4 -d<S>s`` (4 keep-alive
connections: one per worker) loads ``/1k.bin`` and ``/100k.bin`` (1 KiB and
100 KiB of random bytes) on loopback, alternating which server goes first. A
run counts only if wrk saw no socket errors and no non-2xx answers, and read at
least the file's size per request. Medians of R runs, S seconds each:
R = 3, S = 5 (``--quick``: 1 and 1; ``--runs`` sets R). Both servers must stop
cleanly on SIGTERM afterwards (exit status 0).

``wrk`` is the Debian package ``wrk``: without it the benchmark says so and
measures nothing (``apt-get install wrk``). **Target: inside/native >= 0.3**
for each file size.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bench.core import REPO, BenchError, Benchmark, Context, Row, median

NAME = "http"
TARGET = 0.3
DEMO = REPO / "demos" / "http" / "demo.py"
FILES = (("1 KiB", "/1k.bin"), ("100 KiB", "/100k.bin"))
WORKERS = 4
CONNECTIONS = 4
THREADS = 2
FULL_RUNS = 3
QUICK_RUNS = 1
FULL_SECONDS = 5
QUICK_SECONDS = 1
BASELINE_IS = "Linux (gcc -O2), same source"
INSTALL_WRK = "wrk is not installed: it is the HTTP load generator (apt-get install wrk)"


def load_demo() -> ModuleType:
    """``demos/http/demo.py``: the builds, the site, starting and stopping servers."""
    spec = importlib.util.spec_from_file_location("pyocclum_demo_http", DEMO)
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot load {DEMO}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True, slots=True)
class WrkRun:
    requests_per_s: float
    requests: int
    bytes_read: float


_UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def parse_wrk(output: str, where: str) -> WrkRun:
    """wrk's summary: requests/s, the request count and bytes read (BenchError if any
    socket error or non-2xx/3xx answer was reported)."""
    for bad in ("Socket errors", "Non-2xx or 3xx responses"):
        if bad in output:
            line = next(x for x in output.splitlines() if bad in x)
            raise BenchError(f"{where}: wrk reported {line.strip()}")
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)$", output, re.M)
    total = re.search(r"^\s*([0-9]+) requests in [0-9.]+\w+, ([0-9.]+)([KMGT]?B) read$",
                      output, re.M)
    if rate is None or total is None:
        raise BenchError(f"{where}: cannot read wrk's summary: {output[-500:]!r}")
    run = WrkRun(float(rate[1]), int(total[1]), float(total[2]) * _UNITS[total[3]])
    if run.requests == 0 or not run.requests_per_s > 0:
        raise BenchError(f"{where}: wrk completed no request")
    return run


def wrk(wrk_path: str, port: int, path: str, seconds: int, size: int, where: str) -> float:
    """Requests/s of one wrk run against ``path`` on ``port``."""
    cmd = [wrk_path, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
           f"http://127.0.0.1:{port}{path}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if r.returncode != 0:
        raise BenchError(f"{where}: {' '.join(cmd)} failed: {(r.stderr or r.stdout).strip()}")
    run = parse_wrk(r.stdout, where)
    # wrk's byte count is rounded to 2 decimals of its unit: allow 1%.
    if run.bytes_read < 0.99 * run.requests * size:
        raise BenchError(f"{where}: wrk read {run.bytes_read:,.0f} bytes for {run.requests} "
                         f"requests of a {size}-byte file")
    return run.requests_per_s


def measure(ctx: Context) -> list[Row]:
    wrk_path = shutil.which("wrk")
    if wrk_path is None:
        raise BenchError(INSTALL_WRK)
    demo = load_demo()
    runs = ctx.settings.repetitions(FULL_RUNS, QUICK_RUNS)
    seconds = QUICK_SECONDS if ctx.settings.quick else FULL_SECONDS
    work = ctx.workspace.root / "http"
    if work.exists():
        shutil.rmtree(work)
    (work / "www").mkdir(parents=True)
    site: dict[str, bytes] = demo.make_site(work / "www")
    ctx.say(f"{NAME}: building server.c with occlum-cc and gcc (cached across runs)")
    servers: dict[str, Any] = {}
    try:
        try:
            native = demo.build_native()
            wasm = demo.build_inside()
            instance = demo.make_instance(work / "instance", wasm, work / "www")
            ctx.say(f"{NAME}: starting both servers, {WORKERS} workers each")
            servers["native"] = demo.start(demo.native_command(native, work / "www", WORKERS))
            servers["inside"] = demo.start(demo.inside_command(WORKERS), cwd=instance)
            for side, server in servers.items():
                for _, path in FILES:
                    got = demo.get(server.port, path)
                    if got.status != 200 or got.body != site[path]:
                        raise BenchError(f"{side} server: GET {path} answered {got.status} with "
                                         f"{len(got.body)} bytes, not the file")
        except demo.DemoError as e:
            raise BenchError(f"http demo: {e}") from e
        rates: dict[tuple[str, str], list[float]] = {}
        for i in range(runs):
            for label, path in FILES:
                ctx.say(f"{NAME}: run {i + 1}/{runs}, {label} file, wrk {seconds} s per server")
                order = ["inside", "native"] if i % 2 == 0 else ["native", "inside"]
                for side in order:
                    rate = wrk(wrk_path, servers[side].port, path, seconds, len(site[path]),
                               f"{side} server, {path}")
                    rates.setdefault((side, label), []).append(rate)
        for side, server in list(servers.items()):
            stopped = server.stop()
            del servers[side]
            failures = demo.check_stop(stopped)
            if failures:
                raise BenchError(f"the {side} server did not stop cleanly: {'; '.join(failures)}")
    finally:
        for server in servers.values():
            server.kill()
    method = (f"median of {runs} wrk run{'s' if runs != 1 else ''} of {seconds} s, "
              f"-t{THREADS} -c{CONNECTIONS}, loopback")
    return [
        Row(benchmark=NAME, case=f"wrk, {WORKERS} workers, keep-alive, {label} file",
            unit="req/s", pyocclum=median(rates["inside", label]),
            baseline=median(rates["native", label]), native=median(rates["native", label]),
            baseline_is=BASELINE_IS, target=TARGET, higher_is_better=True, method=method)
        for label, _ in FILES
    ]


BENCHMARK = Benchmark(
    name=NAME,
    summary=("prefork HTTP server (demos/http, 4 workers, keep-alive) under wrk, 1 KiB and "
             "100 KiB files: requests/s inside vs the same source built with gcc"),
    measure=measure,
)
