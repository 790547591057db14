"""demos/http: the prefork HTTP/1.1 server, built natively with gcc and inside PyOcclum.

Each check runs against both builds of ``demos/http/server.c``: the gcc one on
the host (the reference: the same source on Linux) and the occlum-cc one
under ``occlum run``, serving the site from the encrypted root. The client is
the host's Python (``http.client`` and raw sockets), the real thing on the
other end. Checked: the demo's own checks (keep-alive, HEAD, 404, traversal,
pipelining, split requests, a 100 KiB file byte for byte), malformed requests
and their status codes, clients that disconnect mid-request or mid-response
(no worker dies: every worker still answers and the master restarted none),
a server stopped by SIGTERM under load (exit status 0, nothing wrong on
stderr), a killed worker restarted by the master (natively, and inside a
started instance through ``occlum exec``), and ``demos/http/run.sh`` end to end
(``occlum run``, server mode, native).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demos" / "http"
BIN = Path(sys.executable).parent


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pyocclum_demo_http", DEMO / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


demo = load_demo()

BACKENDS = ["native", "inside"]


@dataclass
class Site:
    folder: Path
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    folder = tmp_path_factory.mktemp("http") / "www"
    folder.mkdir()
    return Site(folder, demo.make_site(folder))


@pytest.fixture(scope="module")
def native_binary() -> Path:
    try:
        path: Path = demo.build_native()
    except demo.DemoError as e:
        pytest.fail(f"cannot build server.c with gcc: {e}")
    return path


def _instance(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Path:
    wasm = demo.build_inside()
    folder: Path = demo.make_instance(tmp_path_factory.mktemp("http") / "inst", wasm,
                                      site.folder)
    return folder


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Path:
    return _instance(tmp_path_factory, site)


@pytest.fixture(scope="module")
def spare_instance(tmp_path_factory: pytest.TempPathFactory, site: Site) -> Path:
    """Another instance, for the tests that stop their server while the shared one
    runs (one ``occlum run`` at a time per instance)."""
    return _instance(tmp_path_factory, site)


def launch(request: pytest.FixtureRequest, backend: str, site: Site,
           instance_fixture: str = "instance", workers: int = demo.WORKERS,
           extra: tuple[str, ...] = ()) -> Any:
    """A running server of ``backend`` serving ``site``."""
    if backend == "native":
        binary = request.getfixturevalue("native_binary")
        return demo.start(demo.native_command(binary, site.folder, workers, extra))
    folder = request.getfixturevalue(instance_fixture)
    return demo.start(demo.inside_command(workers, extra=extra), cwd=folder)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, site: Site) -> Iterator[Any]:
    """One server per backend for the checks that leave it running."""
    srv = launch(request, request.param, site)
    try:
        yield srv
    finally:
        srv.kill()


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, site: Site) -> Iterator[Any]:
    """A server of its own, for a test that stops it."""
    srv = launch(request, request.param, site, "spare_instance")
    try:
        yield srv
    finally:
        srv.kill()


def exchange(port: int, data: bytes, expect: int = 1) -> list[Any]:
    result: list[Any] = demo.raw_exchange(port, [data], expect)
    return result


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (end of file within 10 s)."""
    sock.settimeout(10)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def all_workers_answer(port: int, workers: int = demo.WORKERS) -> None:
    """Hold ``workers`` connections open at once and get an answer on each: a
    worker serves one connection at a time, so each answer is another worker's."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=20))
                 for _ in range(workers)]
        for s in socks:
            s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        for s in socks:
            r = demo.read_response(s.makefile("rb"))
            assert r.status == 200


# -- the demo's checks, and what is wrong ---------------------------------------------


def test_the_demo_checks_pass(server: Any, site: Site) -> None:
    failures = demo.check_server(server.port, site.files, say=lambda _: None)
    assert failures == []


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /hello.txt HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /hello.txt FTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /hello.txt\r\nHost: x\r\n\r\n", 400),
    (b"GET /hello.txt HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 needs a Host
    (b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n", 400),
    (b"GET /bad%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /nul%00.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /sub%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /" + b"a" * 9000, 414),  # no end of line within the head's limit
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
], ids=["version", "protocol", "no-version", "no-host", "header", "percent",
        "nul", "crlf", "long-target", "long-line", "big-head", "chunked"])
def test_bad_requests_get_their_status_and_the_connection_closes(
    server: Any, request_bytes: bytes, status: int,
) -> None:
    port = server.port
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(request_bytes)
        r = demo.read_response(s.makefile("rb"))
        assert r.status == status
        assert r.headers["connection"] == "close"
        assert closed_by_server(s)


def test_keep_alive_rules(server: Any, site: Site) -> None:
    port = server.port
    hello = site.files["/hello.txt"]
    # HTTP/1.0 without keep-alive: answered, then closed.
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
        r = demo.read_response(s.makefile("rb"))
        assert (r.status, r.body, r.headers["connection"]) == (200, hello, "close")
        assert closed_by_server(s)
    # HTTP/1.0 asking for keep-alive: two answers on one connection.
    rs = exchange(port, b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" * 2, 2)
    assert [(r.status, r.headers["connection"]) for r in rs] == [(200, "keep-alive")] * 2
    # HTTP/1.1 with Connection: close: answered, then closed.
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        r = demo.read_response(s.makefile("rb"))
        assert (r.status, r.body) == (200, hello)
        assert closed_by_server(s)
    # Another method: 405 naming the allowed ones; its body (Content-Length) is
    # skipped and the connection goes on.
    rs = exchange(port, b"POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
                        b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 2)
    assert [r.status for r in rs] == [405, 200]
    assert rs[0].headers["allow"] == "GET, HEAD"
    assert rs[1].body == hello


def test_content_types_and_a_folder_without_slash(server: Any) -> None:
    port = server.port
    rs = exchange(port, b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                                 for p in ("/style.css", "/hello.txt", "/1k.bin", "/sub")), 4)
    types = [r.headers["content-type"] for r in rs]
    assert types[:3] == ["text/css", "text/plain; charset=utf-8", "application/octet-stream"]
    assert rs[3].status == 301
    assert rs[3].headers["location"] == "/sub/"


# -- clients that go away, a stop under load --------------------------------------------


def test_clients_that_disconnect_mid_request_or_mid_response(server: Any) -> None:
    port = server.port
    for _ in range(2 * demo.WORKERS):
        # Half a request, then a close (FIN) or a reset (RST: SO_LINGER 0).
        for reset in (False, True):
            s = socket.create_connection(("127.0.0.1", port), timeout=20)
            s.sendall(b"GET /100k.bin HTTP/1.1\r\nHo")
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
    # Ask for 5 MB and go away without reading it: the worker's writes fail
    # (ECONNRESET after a reset; EPIPE after a FIN then a reset, which would
    # be a SIGPIPE killing the worker, were it not ignored).
    for _ in range(demo.WORKERS):
        for fin_first in (False, True):
            s = socket.create_connection(("127.0.0.1", port), timeout=20)
            s.sendall(b"GET /100k.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
            s.recv(1000)  # the answer has started
            if fin_first:
                s.shutdown(socket.SHUT_WR)
            else:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # unread data: a reset either way
    all_workers_answer(port)
    assert "httpd: worker" not in server.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_client_holds_the_only_worker_past_the_timeout(
    request: pytest.FixtureRequest, backend: str, site: Site,
) -> None:
    """One worker, ``-t 1``: a client that says nothing, then one that stops reading
    a 5 MB answer, each lose the worker after about a second to the next client."""
    srv = launch(request, backend, site, "spare_instance", workers=1, extra=("-t", "1"))
    try:
        port = srv.port
        with socket.create_connection(("127.0.0.1", port), timeout=20) as silent:
            start = time.monotonic()
            rs = exchange(port, b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            assert rs[0].status == 200
            assert 0.8 < time.monotonic() - start < 10
            assert closed_by_server(silent)
        with socket.create_connection(("127.0.0.1", port), timeout=20) as stalled:
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.sendall(b"GET /100k.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
            start = time.monotonic()
            rs = exchange(port, b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            assert rs[0].status == 200
            assert 0.8 < time.monotonic() - start < 10
        assert srv.stop().status == 0
    finally:
        srv.kill()


def test_a_server_stopped_under_load_exits_cleanly(fresh: Any) -> None:
    port = fresh.port
    stop = threading.Event()
    enough = threading.Event()
    lock = threading.Lock()
    done = [0]
    errors: list[str] = []

    def client() -> None:
        while not stop.is_set():
            try:
                # Five requests per connection, so the workers keep changing hands.
                rs = demo.raw_exchange(port, [b"GET /1k.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 5], 5)
            except OSError as e:
                if not stop.is_set():
                    errors.append(repr(e))
                return
            with lock:
                done[0] += len(rs)
                if done[0] >= 100:
                    enough.set()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    assert enough.wait(60), f"only {done[0]} responses: {errors}"
    assert errors == []
    stopped = fresh.stop(signal.SIGTERM, timeout=30)
    stop.set()
    for t in threads:
        t.join(30)
    assert demo.check_stop(stopped) == []


def test_sigint_stops_it_too(fresh: Any) -> None:
    stopped = fresh.stop(signal.SIGINT, timeout=30)
    assert stopped.status == 0
    assert "httpd: stopped (signal 2)" in stopped.stderr


# -- the master: a killed worker is restarted -------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_a_killed_worker_is_restarted(native_binary: Path, site: Site) -> None:
    srv = demo.start(demo.native_command(native_binary, site.folder))
    try:
        workers = children(srv.proc.pid)
        assert len(workers) == demo.WORKERS
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = children(srv.proc.pid)
            if len(now) == demo.WORKERS and workers[0] not in now:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"no new worker: {children(srv.proc.pid)} after {workers}")
        all_workers_answer(srv.port)
        stopped = srv.stop()
    finally:
        srv.kill()
    assert stopped.status == 0
    assert f"httpd: worker {workers[0]} killed by signal 9" in stopped.stderr


def workers_inside(folder: Path) -> dict[int, int]:
    """{pid: parent pid} of the httpd processes in the started instance (its ``ps -ef``)."""
    found = {}
    for line in demo.occlum("exec", folder, "/bin/ps", "-ef").splitlines()[1:]:
        fields = line.split(None, 7)
        if fields[7].startswith("/bin/httpd --worker"):
            found[int(fields[1])] = int(fields[2])
    return found


def test_a_killed_worker_is_restarted_inside_a_started_instance(
    tmp_path: Path, site: Site,
) -> None:
    """Server mode: ``occlum exec`` runs the server in a started instance, then
    ``ps`` and ``kill -9`` (the userland's) from the host through more ``exec``s."""
    folder = demo.make_instance(tmp_path / "inst", demo.build_inside(), site.folder, bare=False)
    demo.occlum("start", folder)
    try:
        srv = demo.start(demo.inside_command(verb="exec"), cwd=folder)
        try:
            before = workers_inside(folder)
            assert len(before) == demo.WORKERS
            assert len(set(before.values())) == 1  # one master
            victim = min(before)
            demo.occlum("exec", folder, "/bin/kill", "-9", str(victim))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                now = workers_inside(folder)
                if len(now) == demo.WORKERS and victim not in now:
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"no new worker: {workers_inside(folder)} after {before}")
            assert set(now.values()) == set(before.values())
            all_workers_answer(srv.port)
            demo.occlum("stop", folder)
            stopped = srv.wait(30)
        finally:
            srv.kill()
    finally:
        if (folder / "run" / "occlum.sock").exists():
            demo.occlum("stop", folder)
    assert stopped.status == 0, stopped.stderr
    assert f"httpd: worker {victim} killed by signal 9" in stopped.stderr
    assert "httpd: stopped (signal 15)" in stopped.stderr


@pytest.mark.parametrize(("args", "status", "message"), [
    (["-w", "0"], 2, "httpd: the number of workers (-w) must be a number from 1 to 64, not '0'"),
    (["-p", "http"], 2, "httpd: the port (-p) must be a number from 0 to 65535, not 'http'"),
    (["-b", "localhost"], 2, "httpd: -b must be an IPv4 address, not 'localhost'"),
    (["-r", "/nonexistent/www"], 1, "httpd: the document root /nonexistent/www is not a folder"),
    (["-x"], 2, "usage: httpd [-p PORT] [-b ADDR] [-r DOCROOT] [-w WORKERS] [-a] [-t SECONDS]"),
])
def test_bad_arguments_are_one_line(native_binary: Path, args: list[str], status: int,
                                    message: str) -> None:
    r = subprocess.run([str(native_binary), "-p", "0", "-b", "127.0.0.1", *args],
                       capture_output=True, text=True, timeout=20, check=False)
    assert (r.returncode, r.stderr.strip(), r.stdout) == (status, message, "")


def test_a_port_in_use_is_reported(native_binary: Path, site: Site) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([str(native_binary), "-p", str(port), "-b", "127.0.0.1",
                            "-r", str(site.folder)],
                           capture_output=True, text=True, timeout=20, check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == f"httpd: bind 127.0.0.1:{port}: Address already in use"


# -- the demo script -------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.parametrize("mode", ["--native", "", "--server"])
def test_run_sh(mode: str) -> None:
    r = subprocess.run(["sh", str(DEMO / "run.sh"), *([mode] if mode else [])],
                       capture_output=True, text=True, timeout=300, env=_env(), check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "http demo: OK" in r.stdout
    assert " FAIL " not in r.stdout
