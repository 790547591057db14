"""A prefork web server inside PyOcclum, its files on the encrypted root.

    python demo.py [--instance DIR] [--native | --server] [--workers N]

1. Builds ``server.c`` (a prefork HTTP/1.1 static file server in plain POSIX C:
   one master, N workers sharing its listening socket) with ``occlum-cc``, and
   with the host's ``gcc -O2`` for ``--native`` and the benchmark. Both builds
   are cached (``$PYOCCLUM_DEMO_CACHE``, default ``~/.cache/pyocclum/demos``,
   under ``http/``), keyed by the source and the compiler.
2. Creates an instance (``occlum new --bare``), puts the server in its image as
   ``/bin/httpd``, builds it, and copies a small site (:func:`make_site`: an
   index page, a text file, 1 KiB and 100 KiB files of random bytes) onto the
   encrypted root as ``/root/www`` (``occlum fs cp``).
3. Starts ``occlum run /bin/httpd -p 0 -b 127.0.0.1 -r /root/www -w 4`` in the
   background; the master prints the port the host gave it.
4. Talks to it from the host (:func:`check_server`): several requests on one
   kept-alive connection, a HEAD, a 404, refused path traversal, pipelined
   requests and a request split across several writes, and the 100 KiB file
   compared byte for byte with the host's copy.
5. Stops it with SIGTERM and checks that it exited with status 0 and reported
   nothing wrong.

``--server`` uses server mode instead of ``occlum run``: ``occlum start``
boots the instance once, ``occlum exec`` starts the web server in it (the
client passes the server's output through), and ``occlum stop`` ends it (SIGTERM
to every process inside; the exec client then exits with the server's status).
``--native`` does steps 3-5 with the gcc build serving the site from a host
folder (the same checks against the same source, no LibOS). Exit status 0
only if every check held; errors the user can act on are one line, status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "server.c"
CFLAGS = ("-O2",)
PROGRAM = "/bin/httpd"
DOCROOT = "/root/www"
WORKERS = 4
#: How long a server may take to say it listens (a cold ``occlum run`` boots the LibOS).
START_TIMEOUT = 120.0
#: The line the master prints once its workers are started.
LISTENING = re.compile(rb"^httpd: listening on ([0-9.]+):([0-9]+), ([0-9]+) workers")

Say = Callable[[str], None]


class DemoError(Exception):
    """Something the user can act on: printed as one line, exit status 1."""


# -- the builds ----------------------------------------------------------------------


def cache_dir() -> Path:
    """This demo's cache: ``$PYOCCLUM_DEMO_CACHE/http`` (default ``~/.cache/pyocclum/demos``)."""
    env = os.environ.get("PYOCCLUM_DEMO_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "pyocclum" / "demos"
    return root / "http"


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        raise DemoError(f"{name} is not on PATH (put the repository's .venv/bin first)")
    return found


def _key(compiler: bytes) -> str:
    h = hashlib.sha256(SOURCE.read_bytes())
    for flag in CFLAGS:
        h.update(b"\0" + flag.encode())
    h.update(b"\0" + compiler)
    return h.hexdigest()[:16]


def _build(cmd: list[str], out: Path, what: str) -> Path:
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    r = subprocess.run([*cmd, "-o", str(tmp)], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise DemoError(f"{what} failed: {' '.join(cmd)}: {r.stderr.strip()}")
    tmp.replace(out)
    return out


def build_inside(cache: Path | None = None) -> Path:
    """``occlum-cc`` build of ``server.c`` (cached): the wasm module."""
    from pyocclum.cli.cc import libocclum_key

    cc = _tool("occlum-cc")
    out = (cache or cache_dir()) / "bin" / f"httpd-{_key(b'occlum-cc' + libocclum_key().encode())}"
    return _build([cc, *CFLAGS, str(SOURCE)], out, "occlum-cc")


def build_native(cache: Path | None = None) -> Path:
    """Host ``gcc -O2`` build of ``server.c`` (cached): the executable."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise DemoError("gcc is not installed: the native build is the baseline")
    version = subprocess.run([gcc, "--version"], capture_output=True, check=False).stdout
    out = (cache or cache_dir()) / "bin" / f"httpd-{_key(b'gcc' + version)}.native"
    return _build([gcc, *CFLAGS, str(SOURCE)], out, "gcc")


# -- the site and the instance -------------------------------------------------------


def make_site(folder: Path) -> dict[str, bytes]:
    """Write the demo's site into ``folder`` (a new ``www``-like folder); {URL path: bytes}.

    The binary files are random, new each time, so a byte-for-byte match means
    the server sent this run's file.
    """
    files = {
        "/index.html": b"<!DOCTYPE html>\n<html><head><title>PyOcclum</title>"
                       b"<link rel=\"stylesheet\" href=\"style.css\"></head>\n"
                       b"<body><h1>Served from inside PyOcclum</h1></body></html>\n",
        "/style.css": b"body { font-family: sans-serif; }\n",
        "/hello.txt": b"Hello from the encrypted root\n",
        "/1k.bin": os.urandom(1024),
        "/100k.bin": os.urandom(100 * 1024),
        "/sub/index.html": b"<!DOCTYPE html>\n<p>a folder's index</p>\n",
    }
    for path, data in files.items():
        target = folder / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return files


def _checked(cmd: list[str], cwd: Path | None = None) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise DemoError(f"{' '.join(cmd[1:3])} failed: {(r.stderr or r.stdout).strip()}")


def make_instance(folder: Path, wasm: Path, site: Path, bare: bool = True) -> Path:
    """A new built instance in ``folder`` (must not exist): ``wasm`` as :data:`PROGRAM`,
    the folder ``site`` copied onto the encrypted root as :data:`DOCROOT`; with the
    userland (``/bin/sh``, ``ps``, ``kill``...) unless ``bare``."""
    occlum = _tool("occlum")
    _checked([occlum, "new", *(["--bare"] if bare else []), str(folder)])
    dest = folder / "image" / PROGRAM.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wasm, dest)
    dest.chmod(0o755)  # running a program needs execute permission
    _checked([occlum, "build"], cwd=folder)
    with tempfile.TemporaryDirectory() as tmp:
        named = Path(tmp) / Path(DOCROOT).name
        shutil.copytree(site, named)
        _checked([occlum, "fs", "cp", "-r", str(named), ":" + str(Path(DOCROOT).parent)],
                 cwd=folder)
    return folder


# -- running a server ----------------------------------------------------------------


@dataclass
class Stopped:
    """How a server ended: its exit status and everything it wrote on stderr."""

    status: int
    stderr: str


@dataclass
class Server:
    """A running server (native or ``occlum run``), in a session of its own."""

    proc: subprocess.Popen[bytes]
    port: int
    _err: list[bytes] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        return b"".join(self._err).decode(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> Stopped:
        """Send ``sig`` to the server (the master, or ``occlum run``) and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout, f"signal {sig}")

    def wait(self, timeout: float = 30.0, after: str = "being asked") -> Stopped:
        """Wait for the server to end (it was told to stop some other way)."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise DemoError(f"the server did not stop within {timeout:g} s of {after}: "
                            f"{self.stderr.strip()}") from None
        for t in self._threads:
            t.join(5)
        return Stopped(status, self.stderr)

    def kill(self) -> None:
        """SIGKILL the server's whole session (what a failed test leaves running)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def _drain(stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
    for line in stream:
        sink(line)


def start(cmd: Sequence[str], cwd: Path | None = None,
          timeout: float = START_TIMEOUT) -> Server:
    """Start ``cmd`` (a server with ``-p 0``) and wait for its listening line; the server."""
    proc = subprocess.Popen(list(cmd), cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdout is not None
    assert proc.stderr is not None
    lines: queue.Queue[bytes | None] = queue.Queue()
    err: list[bytes] = []

    def out_reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threads = [threading.Thread(target=out_reader, daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err.append), daemon=True)]
    for t in threads:
        t.start()
    server = Server(proc, 0, err, threads)
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            server.kill()
            raise DemoError(f"{cmd[0]} did not say it listens within {timeout:g} s: "
                            f"{server.stderr.strip()}") from None
        if line is None:
            status = proc.wait()
            for t in threads:
                t.join(5)
            raise DemoError(f"the server exited with status {status} before listening: "
                            f"{server.stderr.strip()}")
        match = LISTENING.match(line)
        if match:
            server.port = int(match[2])
            return server


def native_command(binary: Path, site: Path, workers: int = WORKERS,
                   extra: Sequence[str] = ()) -> list[str]:
    return [str(binary), "-p", "0", "-b", "127.0.0.1", "-r", str(site), "-w", str(workers),
            *extra]


def inside_command(workers: int = WORKERS, verb: str = "run",
                   extra: Sequence[str] = ()) -> list[str]:
    """``occlum run`` (a LibOS of its own) or ``occlum exec`` (in the started instance)."""
    return [_tool("occlum"), verb, "--", PROGRAM, "-p", "0", "-b", "127.0.0.1", "-r", DOCROOT,
            "-w", str(workers), *extra]


def occlum(verb: str, folder: Path, *args: str) -> str:
    """``occlum VERB ARGS...`` in the instance ``folder`` (must succeed); its stdout."""
    r = subprocess.run([_tool("occlum"), verb, *args], cwd=folder, capture_output=True,
                       text=True, timeout=120, check=False)
    if r.returncode != 0:
        raise DemoError(f"occlum {verb} {' '.join(args)} failed with exit status "
                        f"{r.returncode}: {(r.stderr or r.stdout).strip()}")
    return r.stdout


# -- a client ------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def read_response(reader: IO[bytes], head: bool = False) -> Response:
    """One response from the buffered reader (``sock.makefile("rb")``)."""
    line = reader.readline()
    if not line:
        raise ConnectionError("the server closed the connection")
    parts = line.split(b" ", 2)
    status = int(parts[1])
    headers: dict[str, str] = {}
    while True:
        h = reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head else int(headers.get("content-length", "0"))
    body = reader.read(length) if length else b""
    return Response(status, headers, body)


def raw_exchange(port: int, requests: Sequence[bytes], expect: int,
                 pause: float = 0.0) -> list[Response]:
    """Send each of ``requests`` (pieces: ``pause`` seconds apart, so they arrive
    as separate reads) on one connection and read ``expect`` responses."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i, piece in enumerate(requests):
            if i and pause:
                time.sleep(pause)
            s.sendall(piece)
        f = s.makefile("rb")
        return [read_response(f) for _ in range(expect)]


def get(port: int, path: str) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def check_server(port: int, site: dict[str, bytes], say: Say = print) -> list[str]:
    """Talk to the server on ``port`` serving ``site``; the checks that failed."""
    failures: list[str] = []

    def expect(what: str, ok: bool, detail: object = "") -> None:
        say(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(f"{what}: {detail}")

    # Several requests on one kept-alive connection (http.client drops its
    # socket when a response says "Connection: close").
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.connect()
        first = conn.sock
        local = first.getsockname() if first is not None else None
        for path in ("/index.html", "/style.css", "/hello.txt", "/1k.bin", "/100k.bin", "/"):
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            want = site.get(path, site["/index.html"])
            expect(f"GET {path}: 200, {len(want):,} bytes", resp.status == 200 and body == want,
                   f"status {resp.status}, {len(body)} bytes")
        same = conn.sock is first and conn.sock is not None and conn.sock.getsockname() == local
        expect("six requests on one kept-alive connection", same, "the server closed it")
    finally:
        conn.close()

    r = get(port, "/index.html")
    expect("Content-Type of an .html file", r.headers.get("content-type", "").startswith(
        "text/html"), r.headers.get("content-type"))
    big = get(port, "/100k.bin")
    expect("the 100 KiB file, byte for byte", big.body == site["/100k.bin"],
           f"{len(big.body)} bytes, sha256 {hashlib.sha256(big.body).hexdigest()[:16]} against "
           f"{hashlib.sha256(site['/100k.bin']).hexdigest()[:16]}")

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("HEAD", "/100k.bin")
        hr = conn.getresponse()
        hbody = hr.read()
        length = hr.getheader("Content-Length")
        expect("HEAD: Content-Length, no body", hr.status == 200 and hbody == b""
               and length == str(len(site["/100k.bin"])),
               f"status {hr.status}, length {length}, body {hbody[:40]!r}")
    finally:
        conn.close()

    expect("a missing file: 404", get(port, "/missing.html").status == 404)
    for path in ("/../../etc/passwd", "/sub/%2e%2e/%2E%2E/etc/passwd", "/..%2f..%2fetc/passwd"):
        status = raw_exchange(port, [f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()], 1)[0]
        expect(f"path traversal {path}: refused (403)", status.status == 403, status.status)
    expect("a folder: its index.html", get(port, "/sub/").body == site["/sub/index.html"])

    pipelined = b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                         for p in ("/hello.txt", "/1k.bin", "/hello.txt"))
    rs = raw_exchange(port, [pipelined], 3)
    expect("three pipelined requests, answered in order",
           [r.body for r in rs] == [site["/hello.txt"], site["/1k.bin"], site["/hello.txt"]],
           [r.status for r in rs])
    request = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    rs = raw_exchange(port, [request[:5], request[5:20], request[20:]], 1, pause=0.05)
    expect("a request split across three writes", rs[0].body == site["/hello.txt"],
           rs[0].status)
    return failures


def check_stop(stopped: Stopped) -> list[str]:
    """A clean stop: exit status 0, the master's farewell, nothing that looks wrong."""
    failures = []
    if stopped.status != 0:
        failures.append(f"the server exited with status {stopped.status} after SIGTERM")
    if "httpd: stopped" not in stopped.stderr:
        failures.append("the master did not report a clean stop")
    for bad in ("Traceback", "error", "Error", "killed by signal", "exited with status"):
        if bad in stopped.stderr:
            failures.append(f"the server's stderr shows {bad!r}")
    if failures:
        failures.append(f"its stderr: {stopped.stderr.strip()!r}")
    return failures


# -- the demo ------------------------------------------------------------------------


def run_demo(instance: Path | None, mode: str, workers: int, work: Path,
             say: Say = print) -> list[str]:
    """Everything above; the failed checks (empty: the demo worked). ``mode``:
    ``native``, ``run`` (``occlum run``) or ``server`` (``occlum start``, then
    ``occlum exec``, and ``occlum stop`` to end it)."""
    site_dir = work / "www"
    site_dir.mkdir()
    site = make_site(site_dir)
    folder = instance or work / "instance"
    if mode == "native":
        binary = build_native()
        say(f"http: starting the native build (gcc -O2), {workers} workers")
        server = start(native_command(binary, site_dir, workers))
    else:
        say("http: building server.c with occlum-cc (cached after the first run)")
        wasm = build_inside()
        say(f"http: creating the instance {folder}, the site on the encrypted root ({DOCROOT})")
        make_instance(folder, wasm, site_dir)
        verb = "run"
        if mode == "server":
            say("http: occlum start")
            occlum("start", folder)
            verb = "exec"
        say(f"http: occlum {verb} {PROGRAM} -p 0 -b 127.0.0.1 -r {DOCROOT} -w {workers}")
        try:
            server = start(inside_command(workers, verb), cwd=folder)
        except DemoError:
            if mode == "server":
                with contextlib.suppress(DemoError):
                    occlum("stop", folder)
            raise
    try:
        say(f"http: listening on 127.0.0.1:{server.port}; the host's client checks:")
        failures = check_server(server.port, site, say)
        if mode == "server":
            say("http: occlum stop (SIGTERM to every process inside)")
            occlum("stop", folder)
            stopped = server.wait(30, "occlum stop")
        else:
            say("http: SIGTERM to the server")
            stopped = server.stop()
    finally:
        server.kill()
        if mode == "server" and (folder / "run" / "occlum.sock").exists():
            with contextlib.suppress(DemoError):
                occlum("stop", folder)
    failures += check_stop(stopped)
    if not failures:
        say(f"http: it exited with status {stopped.status}: "
            f"{stopped.stderr.strip().splitlines()[-1]}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--instance", type=Path,
                        help="the instance folder to create (default: a temporary one, removed)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--native", action="store_true",
                     help="check the gcc build on the host instead (no LibOS)")
    how.add_argument("--server", action="store_true",
                     help="occlum start, then occlum exec the server, and occlum stop it")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help=f"worker processes (default {WORKERS})")
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be from 1 to 64")
    try:
        if args.instance is not None and args.instance.exists():
            raise DemoError(f"{args.instance} exists: give a new folder")
        with tempfile.TemporaryDirectory(prefix="http-demo-") as tmp:
            mode = "native" if args.native else "server" if args.server else "run"
            failures = run_demo(args.instance, mode, args.workers, Path(tmp))
    except DemoError as e:
        print(f"http demo: {e}", file=sys.stderr)
        return 1
    for failure in failures:
        print(f"http demo: FAILED: {failure}", file=sys.stderr)
    if not failures:
        where = ("natively" if args.native else "inside PyOcclum (occlum start/exec/stop)"
                 if args.server else "inside PyOcclum")
        print(f"http demo: OK: the prefork server answered every check {where} and stopped "
              "cleanly")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
