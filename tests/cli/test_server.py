"""Server mode end to end: `occlum start`, `occlum exec`, `occlum stop` as a user runs
them (real processes, the real socket in run/), with C programs built by occlum-cc."""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
OCCLUM = str(BIN / "occlum")
REPO = Path(__file__).resolve().parents[2]
C_PROGRAMS = {
    "hello_world": REPO / "examples" / "hello_world.c",
    **{name: REPO / "tests" / "programs" / f"{name}.c"
       for name in ("exitcode", "stdin", "sefs_writer", "args_env")},
}
# Wasm text programs: both print "ready" first, so a test signals a running process.
_READY = """
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "ready\\n")
  (func $ready
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
"""
WAT_PROGRAMS = {
    # Busy in a loop with no syscall: only a signal stops it.
    "spin": f'(module {_READY} (func (export "_start") (call $ready) (loop (br 0))))',
    # Blocked reading stdin.
    "reader": f"""(module {_READY}
      (func (export "_start")
        (call $ready)
        (i32.store (i32.const 0) (i32.const 64))
        (i32.store (i32.const 4) (i32.const 16))
        (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))""",
}
NFILES, MAX_SIZE = 5, 3 * 4096 + 1000  # as tests/programs/sefs_writer.c


def occlum(*args: str, cwd: Path, stdin: bytes = b"", env: dict[str, str] | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([OCCLUM, *args], cwd=cwd, input=stdin, capture_output=True,
                          env=env, timeout=timeout, check=False)


def exec_popen(inst: Path, *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([OCCLUM, "exec", *argv], cwd=inst, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def build(source: Path) -> Path:
    """``source`` built by occlum-cc, kept in the user's cache across runs (as
    tests/linux does): keyed by the source, common.h, the flags and libocclum."""
    from pyocclum.cli.cc import libocclum_key

    flags = ["-O2", "-Wall", "-Wextra", "-Werror"]
    h = hashlib.sha256(" ".join([*flags, libocclum_key()]).encode())
    for path in (source, REPO / "tests" / "programs" / "common.h"):
        h.update(path.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    out = base / "pyocclum-tests" / "server" / f"{source.stem}-{h.hexdigest()[:24]}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    cc = subprocess.run([str(BIN / "occlum-cc"), *flags, str(source), "-o", str(tmp)],
                        capture_output=True, timeout=600, check=False)
    assert cc.returncode == 0, cc.stderr.decode()
    tmp.rename(out)
    return out


@pytest.fixture(scope="module")
def inst() -> Iterator[Path]:
    """A built instance in a folder of its own under /tmp (mode 0755 all the way, so
    another uid can reach run/: the uid test needs that; pytest's tmp dirs are 0700)."""
    import wasmtime

    top = Path(tempfile.mkdtemp(prefix="occlum-server-test-", dir="/tmp"))
    top.chmod(0o755)
    folder = top / "i"
    try:
        r = occlum("new", "--bare", str(folder), cwd=top)
        assert r.returncode == 0, r.stderr.decode()
        bin_dir = folder / "image" / "bin"
        for name, source in C_PROGRAMS.items():
            shutil.copy(build(source), bin_dir / name)
        for name, wat in WAT_PROGRAMS.items():
            (bin_dir / name).write_bytes(bytes(wasmtime.wat2wasm(wat)))
            (bin_dir / name).chmod(0o755)
        r = occlum("build", cwd=folder)
        assert r.returncode == 0, r.stderr.decode()
        yield folder
    finally:
        with contextlib.suppress(OSError):
            occlum("stop", "--timeout", "0", cwd=folder)
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def server(inst: Path) -> Iterator[Path]:
    """``inst`` with a server started; stopped (and checked gone) afterwards."""
    r = occlum("start", cwd=inst)
    assert r.returncode == 0, r.stderr.decode()
    assert b"Started the server" in r.stderr
    try:
        yield inst
    finally:
        r = occlum("stop", "--timeout", "1", cwd=inst)
        assert r.returncode == 0, r.stderr.decode()
        assert not (inst / "run" / "occlum.sock").exists()


def daemon_pid(inst: Path) -> int:
    return int((inst / "run" / "server.pid").read_text())


def wait_gone(pid: int, seconds: float = 10) -> None:
    """Wait up to ``seconds`` for host process ``pid`` (not our child) to exit."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        assert select.select([fd], [], [], seconds)[0], f"pid {pid} did not exit"
    finally:
        os.close(fd)


def ping(inst: Path) -> dict[str, object]:
    """Ask the server directly (the protocol's "ping"): its pid and live processes."""
    from pyocclum.cli.server_protocol import Reader, send

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(inst / "run" / "occlum.sock"))
        send(s, {"op": "ping"})
        got = Reader(s).receive()
    assert got is not None
    return got[0]


def wait_processes(inst: Path, count: int, seconds: float = 10) -> None:
    """Poll the server until it runs ``count`` processes (it offers no event for this)."""
    deadline = time.monotonic() + seconds
    while ping(inst)["processes"] != count:
        assert time.monotonic() < deadline, f"still {ping(inst)['processes']} process(es)"
        time.sleep(0.02)


def sefs_content(file: int, gen: int) -> bytes:
    """What tests/programs/sefs_writer.c writes to file ``file`` in generation ``gen``."""
    size = (gen * 7919 + file * 104729) % MAX_SIZE + 1
    head = f"file {file} gen {gen}|".encode()[: size - 1]
    return head + bytes(ord("a") + (gen + i) % 26 for i in range(len(head), size))


# -- the round trip ----------------------------------------------------------------------
def test_start_exec_stop_round_trip(server: Path) -> None:
    r = occlum("exec", "/bin/hello_world", cwd=server)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"Hello World\n", b"")
    r = occlum("exec", "--", "/bin/hello_world", cwd=server)
    assert (r.returncode, r.stdout) == (0, b"Hello World\n")
    status = occlum("status", cwd=server)
    assert status.stdout == b"running\n"
    assert f"pid {daemon_pid(server)}".encode() in status.stderr
    sock = server / "run" / "occlum.sock"
    assert sock.is_socket()
    assert sock.stat().st_mode & 0o777 == 0o600


def test_stop_returns_after_the_daemon_is_gone(inst: Path) -> None:
    assert occlum("start", cwd=inst).returncode == 0
    pid = daemon_pid(inst)
    idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
    for conn in idle:  # connected, never asking anything
        conn.connect(str(inst / "run" / "occlum.sock"))
    started = time.monotonic()
    r = occlum("stop", cwd=inst)
    assert r.returncode == 0, r.stderr.decode()
    assert time.monotonic() - started < 4  # idle connections do not hold it up
    for conn in idle:
        assert conn.recv(100) == b""
        conn.close()
    assert f"Stopped the server (pid {pid})".encode() in r.stderr
    wait_gone(pid, 0)  # already gone (a zombie at most: its parent, start, has exited)
    assert not (inst / "run" / "server.pid").exists()
    assert occlum("status", cwd=inst).stdout == b"built\n"
    # The instance is free again for `occlum run`; stop with nothing running says so.
    assert occlum("run", "/bin/hello_world", cwd=inst).stdout == b"Hello World\n"
    r = occlum("stop", cwd=inst)
    assert r.returncode == 0
    assert b"no server is running" in r.stderr


def test_exit_status_and_signal_exit_code(server: Path) -> None:
    r = occlum("exec", "/bin/exitcode", "atexit:7", cwd=server)
    assert (r.returncode, r.stdout) == (7, b"exiting 7 with a handler\natexit handler ran\n")
    # As `occlum run`: 128 + the signal, and the same message.
    ran = occlum("exec", "/bin/exitcode", "abort", cwd=server)
    assert ran.returncode == 128 + signal.SIGABRT
    assert b"occlum exec: /bin/exitcode: killed by SIGABRT" in ran.stderr
    r = occlum("exec", "/bin/nothing", cwd=server)
    assert (r.returncode, r.stderr) == (127, b"occlum exec: /bin/nothing: no such file\n")
    r = occlum("exec", "hello_world", cwd=server)
    assert r.returncode == 127
    assert b"must be absolute" in r.stderr


def test_stdin_args_and_env(server: Path) -> None:
    data = b"hi\n" + bytes(range(256)) * 400  # more than a pipe buffer
    r = occlum("exec", "/bin/stdin", "echo", cwd=server, stdin=data)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == data
    assert r.stderr == f"echoed {len(data)} bytes\n".encode()
    # env.default plus the allowed env.untrusted (EXAMPLE), as `occlum run` does.
    env = {**os.environ, "EXAMPLE": "from the host", "SECRET": "kept out"}
    r = occlum("exec", "/bin/args_env", "a b", "c", cwd=server, env=env)
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.decode().splitlines()
    assert lines[:4] == ["argc: 3", 'argv[0]: "/bin/args_env" (13 bytes)',
                         'argv[1]: "a b" (3 bytes)', 'argv[2]: "c" (1 bytes)']
    assert "env: OCCLUM=yes" in lines
    assert "env: EXAMPLE=from the host" in lines
    assert "getenv SECRET: unset" in lines


def test_two_execs_at_once(server: Path) -> None:
    """Two clients (two terminals), both processes running at the same time, each
    with its own stdin and stdout."""
    a = exec_popen(server, "/bin/stdin", "echo")
    b = exec_popen(server, "/bin/stdin", "echo")
    assert a.stdin is not None
    assert b.stdin is not None
    a.stdin.write(b"to a\n")
    a.stdin.flush()
    b.stdin.write(b"to b\n")
    b.stdin.flush()
    assert a.stdout is not None
    assert b.stdout is not None
    assert a.stdout.readline() == b"to a\n"  # a still runs: its stdin is open
    assert b.stdout.readline() == b"to b\n"
    assert ping(server)["processes"] == 2
    a_out, a_err = a.communicate(b"more a\n", timeout=20)
    b_out, b_err = b.communicate(b"", timeout=20)
    assert (a.returncode, a_out, a_err) == (0, b"more a\n", b"echoed 12 bytes\n")
    assert (b.returncode, b_out, b_err) == (0, b"", b"echoed 5 bytes\n")


@pytest.mark.parametrize(("program", "signo"), [
    ("spin", signal.SIGINT), ("reader", signal.SIGINT), ("spin", signal.SIGTERM),
    ("spin", signal.SIGQUIT),
])
def test_signals_are_forwarded(server: Path, program: str, signo: int) -> None:
    """Ctrl-C (SIGINT to the client) reaches the process, in a loop or blocked."""
    client = exec_popen(server, f"/bin/{program}")
    assert client.stdout is not None
    assert client.stdout.readline() == b"ready\n"
    client.send_signal(signo)
    try:
        client.wait(timeout=20)  # stdin stays open: EOF must not end the reader instead
    finally:
        client.kill()
    assert client.stderr is not None
    err = client.stderr.read()
    assert client.returncode == 128 + signo, err.decode()
    assert f"killed by {signal.Signals(signo).name}".encode() in err


def test_client_killed_hangs_up_its_process(server: Path) -> None:
    client = exec_popen(server, "/bin/reader")
    assert client.stdout is not None
    assert client.stdout.readline() == b"ready\n"
    assert ping(server)["processes"] == 1
    client.kill()  # SIGKILL: nothing forwarded; the server sees the connection close
    client.wait()
    wait_processes(server, 0)
    log = (server / "run" / "server.log").read_text()
    assert "its client went away: SIGHUP" in log


def test_stop_while_processes_run_leaves_the_fs_consistent(inst: Path) -> None:
    assert occlum("start", cwd=inst).returncode == 0
    writer = exec_popen(inst, "/bin/sefs_writer", "/root/w")
    idle = exec_popen(inst, "/bin/reader")
    assert writer.stdout is not None
    assert idle.stdout is not None
    synced: dict[int, int] = {}
    while len(synced) < NFILES:  # every file written at least once
        _, index, generation = writer.stdout.readline().split()
        synced[int(index)] = int(generation)
    assert idle.stdout.readline() == b"ready\n"
    r = occlum("stop", "--timeout", "3", cwd=inst)
    assert r.returncode == 0, r.stderr.decode()
    # Both were told SIGTERM and ended of it; their clients say so.
    writer.wait(timeout=10)
    # Through the reader readline() used (communicate() reads the raw pipe and would
    # lose lines readline() had read ahead).
    out = writer.stdout.read()
    err = writer.stderr.read() if writer.stderr else b""
    assert writer.returncode == 128 + signal.SIGTERM, err.decode()
    for line in out.splitlines():
        _, index, generation = line.split()
        synced[int(index)] = int(generation)
    idle.communicate(timeout=10)
    assert idle.returncode == 128 + signal.SIGTERM
    # A fresh boot mounts the encrypted root and finds every file whole: the last
    # generation synced, or the next one if it was written before the SIGTERM, or
    # empty if the SIGTERM came between its open(O_TRUNC) and its write.
    for file, gen in synced.items():
        r = occlum("fs", "cat", f"/root/w/f{file}", cwd=inst)
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout in (sefs_content(file, gen), sefs_content(file, gen + NFILES), b""), \
            f"f{file}: {r.stdout[:40]!r} after generation {gen}"
    r = occlum("run", "/bin/sefs_writer", "/root/w", "1", cwd=inst)
    assert r.returncode == 0, r.stderr.decode()


def test_second_start_is_refused(server: Path) -> None:
    pid = daemon_pid(server)
    r = occlum("start", cwd=server)
    assert r.returncode == 1
    assert f"is already running (server pid {pid})".encode() in r.stderr
    assert daemon_pid(server) == pid
    # `occlum run` is refused too, as for any running instance.
    r = occlum("run", "/bin/hello_world", cwd=server)
    assert r.returncode == 1
    assert b"already running" in r.stderr


def test_start_failure_is_reported_as_run_reports_it(inst: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tampered"
    shutil.copytree(inst, copy, ignore=shutil.ignore_patterns("run"))
    runtime = copy / "build" / "runtime.json"
    runtime.write_bytes(runtime.read_bytes().replace(b'"max_open_files": ', b'"max_open_files":'))
    ran = occlum("run", "/bin/hello_world", cwd=copy)
    started = occlum("start", cwd=copy)
    assert ran.returncode == 1
    assert ran.stderr.startswith(b"occlum run: refusing to start: ")
    assert started.returncode == ran.returncode
    expected = ran.stderr.replace(b"occlum run", b"occlum start")
    assert started.stderr.replace(b"\n", b"") == expected.replace(b"\n", b"")
    assert not (copy / "run" / "occlum.sock").exists()
    assert occlum("status", cwd=copy).stdout == b"built\n"  # the daemon is gone


def test_stale_socket_is_detected_and_cleaned(inst: Path) -> None:
    assert occlum("start", cwd=inst).returncode == 0
    pid = daemon_pid(inst)
    os.kill(pid, signal.SIGKILL)  # a crash: the socket and pid file stay behind
    wait_gone(pid)
    assert (inst / "run" / "occlum.sock").exists()
    r = occlum("exec", "/bin/hello_world", cwd=inst)
    assert r.returncode == 1
    assert b"left over from a server that did not stop cleanly" in r.stderr
    assert b"occlum start" in r.stderr
    assert occlum("status", cwd=inst).stdout == b"built\n"
    r = occlum("start", cwd=inst)
    assert r.returncode == 0, r.stderr.decode()
    assert f"left by a server (pid {pid})".encode() in r.stderr.replace(b"\n", b" ")
    assert "serving" in (inst / "run" / "server.log.1").read_text()  # the crashed one's log
    try:
        assert occlum("exec", "/bin/hello_world", cwd=inst).stdout == b"Hello World\n"
    finally:
        assert occlum("stop", cwd=inst).returncode == 0


def test_long_instance_path(inst: Path) -> None:
    """A Unix socket address holds at most 108 bytes; the instance path may be longer."""
    deep = inst.parent / ("d" * 60) / ("e" * 60) / "copy"
    shutil.copytree(inst, deep, ignore=shutil.ignore_patterns("run"))
    try:
        assert len(str(deep / "run" / "occlum.sock")) > 150
        r = occlum("start", cwd=deep)
        assert r.returncode == 0, r.stderr.decode()
        try:
            r = occlum("exec", "/bin/hello_world", cwd=deep)
            assert (r.returncode, r.stdout) == (0, b"Hello World\n")
        finally:
            assert occlum("stop", cwd=deep).returncode == 0
    finally:
        shutil.rmtree(inst.parent / ("d" * 60))


def test_exec_without_a_server(inst: Path, tmp_path: Path) -> None:
    r = occlum("exec", "/bin/hello_world", cwd=inst)
    assert r.returncode == 1
    assert r.stderr == f"occlum exec: no server is running in {inst}: start one with " \
                       "`occlum start`\n".encode()
    r = occlum("exec", "/bin/hello_world", cwd=tmp_path)
    assert r.returncode == 1
    assert b"not an Occlum instance" in r.stderr
    r = occlum("exec", cwd=inst)
    assert r.returncode == 2
    assert b"usage: occlum exec" in r.stderr


def _connect_as(uid: int, path: Path) -> bytes:
    """In a forked child running as ``uid``: connect to ``path`` and read the answer."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (child)
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(str(path))
                answer = s.recv(65536)  # the server answers at once
            except OSError as e:
                answer = f"OSError {e.errno}".encode()
            os.write(write_end, answer)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        answer = f.read()
    os.waitpid(pid, 0)
    return answer


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another uid")
def test_another_uid_is_refused(server: Path) -> None:
    sock = server / "run" / "occlum.sock"
    nobody = 65534
    # The socket is 0600: another uid cannot even connect.
    assert _connect_as(nobody, sock) == f"OSError {13}".encode()  # EACCES
    # Were the mode loosened, the server still checks who is calling (SO_PEERCRED).
    sock.chmod(0o666)
    answer = _connect_as(nobody, sock)
    assert b'"op":"refused"' in answer
    assert f"uid {nobody} is not the owner of the instance (uid 0)".encode() in answer
    # The owner is still served.
    assert ping(server)["op"] == "pong"
