"""The client side of server mode: ``occlum exec``, and what ``start``/``stop`` ask a server.

``occlum exec [--] PATH ARGS...`` connects to ``run/occlum.sock`` in the
current folder (the instance), hands the server its stdin, stdout and stderr
(SCM_RIGHTS) with argv and its environment, forwards SIGINT, SIGTERM, SIGHUP
and SIGQUIT to the process's group, and exits with the process's status as
``occlum run`` would (128+N for a signal, 127 if it could not start).

Its start-up time is the command's latency, so :func:`pyocclum.cli.run.main`
calls :func:`exec_main` before importing anything else, and this module (and
:mod:`~pyocclum.cli.server_protocol`) import only cheap standard modules:
``_socket`` rather than ``socket`` (which pulls in ``selectors``).
"""

from __future__ import annotations

import os
import signal
import sys
from _socket import AF_UNIX, SO_PEERCRED, SOCK_STREAM, SOL_SOCKET
from _socket import socket as Socket

from pyocclum.cli.server_protocol import PID_PATH, SOCKET_PATH, ProtocolError, Reader, send

#: Host signals the client passes on to the process's group.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
USAGE = "usage: occlum exec [--] PATH [ARGS]...\n"


class ClientError(Exception):
    """What to tell the user (``occlum VERB: message``) and the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def connect() -> Socket:
    """A connection to the server of the instance in the current folder."""
    sock = Socket(AF_UNIX, SOCK_STREAM)
    try:
        sock.connect(SOCKET_PATH)
    except OSError as e:
        sock.close()
        raise ClientError(_why_no_server(e)) from None
    return sock


def _why_no_server(e: OSError) -> str:
    here = os.getcwd()
    if not os.path.isfile("Occlum.json"):
        return (f"{here} is not an Occlum instance (no Occlum.json); "
                "run this in an instance folder")
    if isinstance(e, FileNotFoundError):
        return f"no server is running in {here}: start one with `occlum start`"
    if isinstance(e, ConnectionRefusedError):
        return (f"no server is running in {here} ({SOCKET_PATH} is left over from a server "
                "that did not stop cleanly): start one with `occlum start`")
    if isinstance(e, PermissionError):
        owner = os.stat(".").st_uid
        return (f"cannot connect to {SOCKET_PATH}: permission denied (only the owner of "
                f"the instance, uid {owner}, may use its server; you are uid {os.getuid()})")
    return f"cannot connect to the server at {SOCKET_PATH}: {e.strerror or e}"


def server_pid(sock: Socket) -> int:
    """The pid of the process at the other end of ``sock`` (SO_PEERCRED)."""
    creds = sock.getsockopt(SOL_SOCKET, SO_PEERCRED, 12)
    return int.from_bytes(creds[:4], sys.byteorder, signed=True)


def request(sock: Socket, message: dict[str, object]) -> dict[str, object]:
    """Send ``message``, return the reply (ClientError for a refusal or a vanished server)."""
    reader = Reader(sock)
    try:
        send(sock, message)
    except OSError as e:
        # Not the server (it would read the request first), or it went away.
        raise ClientError(f"the server at {SOCKET_PATH} hung up: {e.strerror or e}") from None
    reply = _receive(reader)
    if reply is None:
        raise ClientError("the server closed the connection without answering")
    return reply


def _receive(reader: Reader) -> dict[str, object] | None:
    try:
        got = reader.receive()
    except ProtocolError as e:
        raise ClientError(f"bad answer from the server: {e}") from None
    except OSError as e:
        raise ClientError(f"lost the connection to the server: {e.strerror or e}") from None
    if got is None:
        return None
    reply, fds = got
    for fd in fds:
        os.close(fd)
    if reply["op"] in ("error", "refused"):
        raise ClientError(str(reply.get("error", "refused")), _int(reply.get("exit_code"), 1))
    return reply


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) else default


def _stdio() -> tuple[int, ...]:
    """fds 0, 1, 2, with /dev/null standing in for any that is closed."""
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            fds.append(os.open(os.devnull, os.O_RDWR))
        else:
            fds.append(fd)
    return tuple(fds)


def run_exec(argv: list[str]) -> int:
    """Run ``argv`` in the server of the current folder's instance; its exit code."""
    sock = connect()
    reader = Reader(sock)

    def forward(signum: int, frame: object) -> None:
        try:  # noqa: SIM105 (contextlib costs the exec client start-up time)
            send(sock, {"op": "signal", "signal": signum})
        except OSError:
            pass  # the server is gone: the next receive says so

    # Before the request: a Ctrl-C from now on reaches the process (the server
    # reads the frames in order, so it applies to the process once started).
    for signum in FORWARDED:
        signal.signal(signum, forward)
    try:
        send(sock, {"op": "exec", "argv": argv, "env": dict(os.environ), "cwd": "/"},
             _stdio())
    except OSError as e:
        raise ClientError(f"cannot send the request to the server: {e.strerror or e}") from None
    while True:
        reply = _receive(reader)
        if reply is None:
            raise ClientError("the server went away before the program ended "
                              f"(see {os.path.join(os.getcwd(), 'run', 'server.log')})")
        if reply["op"] == "exit":
            error = reply.get("error")
            if error:
                sys.stderr.write(f"occlum exec: {error}\n")
            return _int(reply.get("exit_code"), 1)


def exec_main(args: list[str]) -> int:
    """``occlum exec`` from its arguments (after ``exec``); the exit code."""
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE + "\nRun PATH (a path inside the image) in the instance's "
                         "server (`occlum start`),\nwith this terminal as its stdin, stdout "
                         "and stderr; exit with its status.\n")
        return 0
    if args and args[0] == "--":
        args = args[1:]
    if not args or (args[0].startswith("-") and args[0] != "-"):
        sys.stderr.write(USAGE + ("occlum exec: missing PATH\n" if not args else
                                  f"occlum exec: unknown option {args[0]} (use -- before a "
                                  "PATH that starts with -)\n"))
        return 2
    try:
        return run_exec(args)
    except ClientError as e:
        sys.stderr.write(f"occlum exec: {e}\n")
        return e.code


def read_pid_file() -> int | None:
    """The pid the server wrote to ``run/server.pid`` (None: none, or unreadable)."""
    try:
        with open(PID_PATH) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def main() -> None:
    sys.exit(exec_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
