"""Server mode: ``occlum start`` / ``occlum stop`` and the server they talk to (docs/server.md).

``occlum start`` (:func:`start`) runs ``python -m pyocclum.cli.server`` as a
daemon in a session of its own, in the instance folder, with stdin from
/dev/null and stdout/stderr to a log of its own in ``run/``. The daemon
(:func:`daemon_main`) boots the instance with :meth:`Instance.booted` (the
checks, errors and run lock of ``occlum run``), makes its log
``run/server.log`` (the previous one becomes ``run/server.log.1``: only a
daemon holding the run lock does this, so a ``start`` that loses a race
never moves the running server's log), listens on
``run/occlum.sock`` (mode 0600) and reports through a pipe that it is ready,
or why it could not boot; ``start`` returns only then, with that verdict.

Each connection is served on a thread of its own. The peer's uid (SO_PEERCRED)
must be the instance folder's owner. An ``exec`` starts a process with the
three descriptors the client sent as its stdin/stdout/stderr, in a new
session and process group with no parent (pid 1 is never used: orphans are
reaped by the kernel), and answers with its exit status; forwarded signals
go to its process group. If the client goes away while the process runs,
the group gets SIGHUP (a terminal hangup) and the process itself SIGKILL
:data:`HANGUP_GRACE` seconds later if it is still running: nobody can wait
for it, signal it or read its output any more.

``stop`` (or SIGTERM to the daemon) stops accepting, sends SIGTERM to every
process, SIGKILL to what is left after the timeout, syncs and closes the file
systems as ``occlum run`` does at exit, removes the socket and pid file, and
the daemon exits; the ``stop`` client returns once the daemon is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from pyocclum import _log
from pyocclum.abi.signals import shell_exit_code
from pyocclum.boot.instance import Booted, Instance
from pyocclum.boot.mounts import read_user_key
from pyocclum.boot.program import ProgramNotStarted, ending_message, start_program
from pyocclum.cli.server_client import (
    ClientError,
    connect,
    read_pid_file,
    request,
    server_pid,
)
from pyocclum.cli.server_protocol import (
    LOG_PATH,
    PID_PATH,
    SOCKET_PATH,
    ProtocolError,
    Reader,
    send,
)
from pyocclum.errors import ConfigError, InstanceError
from pyocclum.fs.stdio import HostFdStream
from pyocclum.kernel.process import Process

log = _log.getLogger("pyocclum.server")

#: ``occlum stop``: seconds between SIGTERM and SIGKILL (``--timeout``).
STOP_TIMEOUT = 5.0
#: After a client has gone away: seconds between SIGHUP and SIGKILL of its process.
HANGUP_GRACE = 5.0
#: ``occlum start`` gives up on a daemon that neither reports nor exits in this time.
BOOT_TIMEOUT = 600.0
_EXIT_FAILED = 1


class Server:
    """The daemon's state: the booted LibOS, the listening socket, the live connections."""

    def __init__(self, booted: Booted, listener: socket.socket, owner_uid: int) -> None:
        self.kernel = booted.kernel
        self.config = booted.config
        self.env_for = booted.env_for
        self.listener = listener
        self.owner_uid = owner_uid
        self._lock = threading.Lock()
        self._stopping = False
        self._timeout = STOP_TIMEOUT
        self._stop_waiters: list[socket.socket] = []
        self._threads: set[threading.Thread] = set()
        self._conns: set[socket.socket] = set()
        self._wake_r, self._wake_w = os.pipe()
        self._terminated = False  # SIGTERM to the daemon (set by the handler only)

    # -- the main thread ----------------------------------------------------------------
    def serve(self) -> None:
        """Accept connections until a stop is requested."""
        poller = select.poll()
        poller.register(self.listener.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while not self._stopping:
            ready = {fd for fd, _ in poller.poll()}
            if self._terminated:
                self.request_stop(STOP_TIMEOUT)
            if self._wake_r in ready or self._stopping:
                break
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue
            except OSError as e:  # out of fds, say: refuse for a moment, keep serving
                log.warning("accept failed: %s", e)
                time.sleep(0.1)
                continue
            thread = threading.Thread(target=self._connection, args=(conn,),
                                      name="occlum-server-conn", daemon=True)
            with self._lock:
                self._threads.add(thread)
                self._conns.add(conn)
            thread.start()

    def terminate(self, signo: int, frame: object) -> None:
        """SIGTERM handler: stop as ``occlum stop`` does (no locks here: the handler
        may interrupt the main thread while it holds one)."""
        self._terminated = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def request_stop(self, timeout: float, waiter: socket.socket | None = None) -> None:
        """Make :meth:`serve` return; ``waiter`` gets "stopped" once everything is down."""
        with self._lock:
            if not self._stopping:
                self._stopping = True
                self._timeout = timeout
            if waiter is not None:
                self._stop_waiters.append(waiter)
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def shut_down(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after the timeout) and let the
        connections report how their processes ended."""
        self.listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(SOCKET_PATH)
        live = self.kernel.live_processes()
        log.info("stopping: SIGTERM to %d process(es), SIGKILL after %.1fs",
                 len(live), self._timeout)
        self.kernel.shutdown(grace=self._timeout)
        # Every process has ended and each exec connection is reporting it; a
        # connection still waiting for a request (or for its client to close)
        # is ended from our side.
        with self._lock:
            threads = list(self._threads)
            idle = [c for c in self._conns if c not in self._stop_waiters]
        for conn in idle:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RD)
        deadline = time.monotonic() + 5.0
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def report_stopped(self) -> None:
        """Tell every ``stop`` client it is done (the connections close as the daemon exits)."""
        for conn in self._stop_waiters:
            with contextlib.suppress(OSError):
                send(conn, {"op": "stopped", "pid": os.getpid()})

    # -- one connection per thread ------------------------------------------------------------
    def _connection(self, conn: socket.socket) -> None:
        keep_open = False
        try:
            keep_open = self._serve_connection(conn)
        except Exception:
            log.exception("serving a connection failed")
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
                if not keep_open:
                    self._conns.discard(conn)
                    conn.close()

    def _serve_connection(self, conn: socket.socket) -> bool:
        """Serve one client; True if the connection must stay open (a ``stop`` waiter)."""
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        pid, uid = (int.from_bytes(creds[i : i + 4], sys.byteorder, signed=True)
                    for i in (0, 4))
        if uid != self.owner_uid:
            log.warning("refused a connection from pid %d, uid %d (not the owner, uid %d)",
                        pid, uid, self.owner_uid)
            with contextlib.suppress(OSError):
                send(conn, {"op": "refused", "error": (
                    f"refused: uid {uid} is not the owner of the instance (uid "
                    f"{self.owner_uid}); only the owner may use its server")})
            return False
        reader = Reader(conn)
        try:
            got = reader.receive()
        except ProtocolError as e:
            with contextlib.suppress(OSError):
                send(conn, {"op": "error", "error": str(e)})
            return False
        if got is None:
            return False
        message, fds = got
        op = message["op"]
        if op == "exec":
            self._exec(conn, reader, message, fds)
            return False
        for fd in fds:
            os.close(fd)
        if op == "ping":
            send(conn, {"op": "pong", "pid": os.getpid(),
                        "processes": len(self.kernel.live_processes())})
        elif op == "stop":
            timeout = message.get("timeout", STOP_TIMEOUT)
            if not isinstance(timeout, int | float) or timeout < 0:
                send(conn, {"op": "error", "error": f"bad stop timeout {timeout!r}"})
                return False
            log.info("stop requested by pid %d", pid)
            self.request_stop(float(timeout), conn)
            return True
        else:
            send(conn, {"op": "error", "error": f"unknown request {op!r}"})
        return False

    def _exec(self, conn: socket.socket, reader: Reader, message: dict[str, object],
              fds: list[int]) -> None:
        sending = threading.Lock()

        def reply(msg: dict[str, object]) -> None:
            with sending, contextlib.suppress(OSError):
                send(conn, msg)

        argv, env, cwd = message.get("argv"), message.get("env"), message.get("cwd", "/")
        problem = ""
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            problem = "argv must be a non-empty list of strings"
        elif not (isinstance(env, dict)
                  and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())):
            problem = "env must map strings to strings"
        elif not isinstance(cwd, str):
            problem = "cwd must be a string"
        elif len(fds) != 3:
            problem = (f"an exec request carries 3 descriptors (stdin, stdout, stderr), "
                       f"not {len(fds)}")
        if problem:
            for fd in fds:
                os.close(fd)
            reply({"op": "error", "error": f"bad exec request: {problem}"})
            return
        assert isinstance(argv, list)
        assert isinstance(env, dict)
        assert isinstance(cwd, str)
        streams = (
            HostFdStream(fds[0], readable=True, writable=False, owns_fd=True),
            HostFdStream(fds[1], readable=False, writable=True, owns_fd=True),
            HostFdStream(fds[2], readable=False, writable=True, owns_fd=True),
        )
        with self._lock:
            if self._stopping:
                for stream in streams:
                    stream.close()
                reply({"op": "error", "error": "the server is stopping"})
                return
            try:
                proc = start_program(self.kernel, self.config, argv,
                                     self.env_for(env), streams, cwd=cwd)
            except ProgramNotStarted as e:
                reply({"op": "error", "error": str(e), "exit_code": 127})
                return
        log.info("pid %d: started %s", proc.pid, " ".join(argv))
        reply({"op": "started", "pid": proc.pid})

        def report_exit() -> None:
            proc.done.wait()
            status = proc.status if proc.status is not None else -1
            log.info("pid %d: ended with status %#x", proc.pid, status)
            reply({"op": "exit", "status": status, "exit_code": shell_exit_code(status),
                   "error": ending_message(proc, argv[0])})

        watcher = threading.Thread(target=report_exit, name="occlum-server-exit", daemon=True)
        watcher.start()
        while True:
            try:
                got = reader.receive()
            except (ProtocolError, OSError) as e:
                log.warning("pid %d: bad data from its client (%s): taken as a hangup",
                            proc.pid, e)
                got = None
            if got is None:
                break
            msg, extra = got
            for fd in extra:
                os.close(fd)
            sig = msg.get("signal")
            if msg["op"] == "signal" and isinstance(sig, int) and 1 <= sig < 65:
                self._signal_group(proc, sig)
            else:
                reply({"op": "error", "error": f"unexpected request {msg['op']!r} during exec"})
        if not proc.done.is_set():
            self._hang_up(proc)
        watcher.join()

    def _signal_group(self, proc: Process, sig: int) -> None:
        """``sig`` to ``proc``'s process group (as a terminal sends Ctrl-C to its
        foreground group)."""
        group = proc.pgid
        for p in self.kernel.live_processes():
            if p.pgid == group:
                self.kernel.send_signal(p, sig)

    def _hang_up(self, proc: Process) -> None:
        log.info("pid %d: its client went away: SIGHUP to its group, SIGKILL in %.1fs",
                 proc.pid, HANGUP_GRACE)
        self._signal_group(proc, signal.SIGHUP)
        if not proc.done.wait(HANGUP_GRACE):
            self.kernel.send_signal(proc, signal.SIGKILL)


# -- the daemon -------------------------------------------------------------------------
def _remove_stale() -> str:
    """Remove what a server that did not stop left (we hold the run lock: it is dead)."""
    left = [p for p in (SOCKET_PATH, PID_PATH) if os.path.lexists(p)]
    if not left:
        return ""
    pid = read_pid_file()
    for path in left:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    who = f" (pid {pid})" if pid is not None else ""
    note = f"removed {' and '.join(left)} left by a server{who} that did not stop cleanly"
    log.warning("%s", note)
    return note


def _listen() -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old = os.umask(0o177)  # the socket is created 0600: only the owner can connect
        try:
            listener.bind(SOCKET_PATH)
        finally:
            os.umask(old)
        os.chmod(SOCKET_PATH, 0o600)
        listener.listen(128)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener


def _adopt_log(own: str) -> None:
    """Make ``own`` (this daemon's stdout and stderr, written by ``start``'s
    ``--log``) ``run/server.log``, keeping the one before as ``run/server.log.1``.
    Called only with the run lock held. If the renames fail, the log stays at
    ``own``: the server still serves."""
    try:
        with contextlib.suppress(FileNotFoundError):
            os.replace(LOG_PATH, LOG_PATH + ".1")
        os.replace(own, LOG_PATH)
    except OSError as e:
        log.warning("keeping the log in %s: %s", own, e)


def _write_pid_file() -> None:
    tmp = PID_PATH + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(tmp, PID_PATH)


def _report(ready_fd: int, message: dict[str, object]) -> None:
    if ready_fd < 0:
        return
    with contextlib.suppress(OSError):
        os.write(ready_fd, json.dumps(message).encode() + b"\n")
    with contextlib.suppress(OSError):
        os.close(ready_fd)


def daemon_main(argv: list[str]) -> int:
    """``python -m pyocclum.cli.server [--ready-fd N] [--log FILE] [--strace] [--key FILE]``,
    in the instance folder: boot, serve until stopped, shut down. ``--log``: the
    file stdout and stderr go to, made ``run/server.log`` once booted."""
    from pyocclum.cli.runner import setup_logging

    # The log is a file of its own: what the server did is worth keeping (info).
    setup_logging(default="info")
    ready_fd, strace, key, own_log = -1, False, None, ""
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--ready-fd" and args:
            ready_fd = int(args.pop(0))
        elif arg == "--log" and args:
            own_log = args.pop(0)
        elif arg == "--strace":
            strace = True
        elif arg == "--key" and args:
            key = Path(args.pop(0))
        else:
            sys.stderr.write(f"occlum server: unknown argument {arg!r}\n")
            _report(ready_fd, {"ok": False, "error": f"bad server argument {arg!r}",
                               "exit_code": 2})
            return 2

    def trace(line: str) -> None:
        sys.stderr.write(line + "\n")

    inst = Instance(Path.cwd())
    with contextlib.ExitStack() as stack:
        try:
            user_key = None if key is None else read_user_key(key)
            booted = stack.enter_context(
                inst.booted(strace=trace if strace else None, user_key=user_key))
            stale = _remove_stale()
            if own_log:
                _adopt_log(own_log)
            listener = _listen()
            _write_pid_file()
        except (InstanceError, ConfigError) as e:
            log.error("could not start: %s", e)
            _report(ready_fd, {"ok": False, "error": str(e), "exit_code": _EXIT_FAILED})
            return _EXIT_FAILED
        except OSError as e:
            log.error("could not start: %s", e)
            _report(ready_fd, {"ok": False, "error": f"cannot listen on {SOCKET_PATH}: {e}",
                               "exit_code": _EXIT_FAILED})
            return _EXIT_FAILED
        server = Server(booted, listener, os.stat(".").st_uid)
        signal.signal(signal.SIGTERM, server.terminate)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        log.info("serving %s on %s (pid %d)", inst.path, SOCKET_PATH, os.getpid())
        _report(ready_fd, {"ok": True, "pid": os.getpid(), "note": stale})
        try:
            server.serve()
        finally:
            server.shut_down()
        # Leaving the stack: every process is gone; the file systems are synced
        # and closed and the run lock released, as at the end of `occlum run`.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(PID_PATH)
    log.info("stopped")
    server.report_stopped()
    return 0


# -- occlum start / stop / status ---------------------------------------------------------
def start(folder: Path, *, key: Path | None, strace: bool) -> tuple[int, str]:
    """``occlum start`` in ``folder``: (exit code, what to tell the user)."""
    pid = running_server()
    if pid is not None:
        return 1, (f"{folder} is already running (server pid {pid}): "
                   "`occlum exec` runs programs in it, `occlum stop` stops it")
    inst = Instance(folder)
    try:
        inst.require_initialized()
    except InstanceError as e:
        return _EXIT_FAILED, str(e)
    (folder / "run").mkdir(exist_ok=True)
    # The daemon's own log until it holds the run lock and makes it run/server.log.
    own_log = f"{LOG_PATH}.{os.getpid()}.starting"
    read_end, write_end = os.pipe()
    cmd = [sys.executable, "-m", "pyocclum.cli.server", "--ready-fd", str(write_end),
           "--log", own_log]
    if strace:
        cmd.append("--strace")
    if key is not None:
        cmd += ["--key", str(key.resolve())]
    try:
        with open(folder / own_log, "wb") as logfile:
            daemon = subprocess.Popen(
                cmd, cwd=folder, stdin=subprocess.DEVNULL, stdout=logfile, stderr=logfile,
                pass_fds=(write_end,), start_new_session=True,
            )
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as ready:
        poller = select.poll()
        poller.register(ready.fileno(), select.POLLIN)
        line = ready.readline() if poller.poll(BOOT_TIMEOUT * 1000) else b""
    try:
        verdict = json.loads(line) if line else None
    except ValueError:
        verdict = None
    if isinstance(verdict, dict) and verdict.get("ok"):
        daemon.returncode = 0  # it lives on alone: no "still running" warning when we exit
        note = f" ({verdict['note']})" if verdict.get("note") else ""
        return 0, f"Started the server (pid {daemon.pid}) on {SOCKET_PATH}{note}"
    try:
        return _failed(daemon, verdict, folder / own_log)
    finally:
        with contextlib.suppress(FileNotFoundError):
            (folder / own_log).unlink()


def _failed(daemon: subprocess.Popen[bytes], verdict: object, own_log: Path) -> tuple[int, str]:
    """What ``start`` says of a daemon that did not report ready: its ``verdict``
    (the boot's error), else how it ended and the end of its log ``own_log``."""
    if isinstance(verdict, dict):
        with contextlib.suppress(subprocess.TimeoutExpired):
            daemon.wait(timeout=10)
        code = verdict.get("exit_code")
        return (code if isinstance(code, int) else _EXIT_FAILED), str(verdict.get("error"))
    try:
        status = daemon.wait(timeout=10)
    except subprocess.TimeoutExpired:
        daemon.kill()
        status = daemon.wait()
        why = f"did not report within {BOOT_TIMEOUT:.0f}s: killed it"
    else:
        why = f"exited with status {status} while booting"
    tail = _log_tail(own_log)
    return _EXIT_FAILED, f"the server {why}" + (f"; its log says:\n{tail}" if tail else "")


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def stop(folder: Path, *, timeout: float) -> tuple[int, str]:
    """``occlum stop`` in ``folder`` (the current folder): (exit code, what to tell
    the user); returns once the daemon is gone."""
    try:
        sock = connect()
    except ClientError as e:
        if not (folder / "Occlum.json").is_file():
            return 1, str(e)
        if Instance(folder).status() == "running":
            return 0, f"no server is running in {folder} (an `occlum run` or `occlum fs` is)"
        # Nothing holds the run lock: whatever a crashed server left is stale.
        left = [p for p in (SOCKET_PATH, PID_PATH) if os.path.lexists(p)]
        for path in left:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as e:
                return 1, f"{path} is in the way and cannot be removed: {e.strerror or e}"
        note = f"; removed {' and '.join(left)} left by a server that crashed" if left else ""
        return 0, f"no server is running in {folder}{note}"
    with contextlib.closing(sock):
        pid = server_pid(sock)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = -1
        try:
            try:
                reply = request(sock, {"op": "stop", "timeout": timeout})
            except ClientError as e:
                return 1, str(e)
            if reply.get("op") != "stopped":
                return 1, f"unexpected answer {reply.get('op')!r} from the server"
            # The daemon closes the connection as it exits; then make sure it is gone.
            with contextlib.suppress(OSError):
                while sock.recv(4096):
                    pass
            if pidfd >= 0:
                poller = select.poll()
                poller.register(pidfd, select.POLLIN)
                if not poller.poll(30_000):
                    return 1, f"the server (pid {pid}) stopped its LibOS but did not exit"
        finally:
            if pidfd >= 0:
                os.close(pidfd)
    return 0, f"Stopped the server (pid {pid})"


def running_server() -> int | None:
    """The pid of the server of the current folder's instance, if one answers."""
    try:
        sock = connect()
    except ClientError:
        return None
    try:
        reply = request(sock, {"op": "ping"})
    except ClientError:
        return None
    finally:
        sock.close()
    pid = reply.get("pid")
    return pid if isinstance(pid, int) else None


if __name__ == "__main__":
    sys.exit(daemon_main(sys.argv[1:]))
