"""The wire protocol between ``occlum exec``/``stop`` and the server (docs/server.md).

Frames on a Unix stream socket: a 4-byte big-endian length, then that many
bytes of a UTF-8 JSON object with ``"v"`` (the protocol version,
:data:`VERSION`) and ``"op"``. File descriptors travel as SCM_RIGHTS on the
first byte of the frame that carries them (only ``exec``: stdin, stdout,
stderr).

Standard library only, and only the cheap parts of it: the ``occlum exec``
client imports this module, and its start-up time is the command's latency
(``_socket`` rather than ``socket``, which pulls in ``selectors``).
"""

from __future__ import annotations

import json
import os
import sys
from _socket import CMSG_SPACE, SCM_RIGHTS, SOL_SOCKET
from _socket import socket as Socket

VERSION = 1
#: Paths relative to the instance folder: every ``occlum`` command runs there,
#: and a relative path keeps a long instance path clear of the 108-byte limit
#: on Unix socket addresses.
SOCKET_PATH = "run/occlum.sock"
PID_PATH = "run/server.pid"
LOG_PATH = "run/server.log"
#: Largest frame either side accepts (an exec request carries the environment).
MAX_FRAME = 4 << 20
#: Most descriptors one frame may carry.
MAX_FDS = 3

_INT = 4  # sizeof(int): SCM_RIGHTS carries an array of C ints


class ProtocolError(Exception):
    """The peer sent something that is not a frame of this protocol."""


def encode(message: dict[str, object]) -> bytes:
    """One frame: length, then the JSON of ``message`` with the version added."""
    body = json.dumps({"v": VERSION, **message}, separators=(",", ":")).encode()
    return len(body).to_bytes(4, "big") + body


def send(sock: Socket, message: dict[str, object], fds: tuple[int, ...] = ()) -> None:
    """Send ``message`` (and ``fds`` as SCM_RIGHTS) as one frame."""
    frame = encode(message)
    if fds:
        rights = b"".join(fd.to_bytes(_INT, sys.byteorder, signed=True) for fd in fds)
        sent = sock.sendmsg([frame], [(SOL_SOCKET, SCM_RIGHTS, rights)])
        frame = frame[sent:]
    if frame:
        sock.sendall(frame)


class Reader:
    """Reads frames from one socket, keeping what arrived past the last frame.

    :meth:`receive` returns the next message with the descriptors that came
    with its bytes (the caller owns them and must close them), or None at end
    of stream. A short frame at end of stream or a malformed one is a
    ProtocolError (descriptors received with it are closed).
    """

    def __init__(self, sock: Socket) -> None:
        self._sock = sock
        self._buf = b""

    def receive(self) -> tuple[dict[str, object], list[int]] | None:
        fds: list[int] = []
        try:
            while True:
                if len(self._buf) >= 4:
                    size = int.from_bytes(self._buf[:4], "big")
                    if size > MAX_FRAME:
                        raise ProtocolError(f"frame of {size} bytes (at most {MAX_FRAME})")
                    if len(self._buf) >= 4 + size:
                        body, self._buf = self._buf[4 : 4 + size], self._buf[4 + size :]
                        return _decode(body), fds
                data, ancdata, _flags, _addr = self._sock.recvmsg(
                    65536, CMSG_SPACE(MAX_FDS * _INT))
                for level, kind, payload in ancdata:
                    if level == SOL_SOCKET and kind == SCM_RIGHTS:
                        usable = len(payload) - len(payload) % _INT
                        fds += [int.from_bytes(payload[i : i + _INT], sys.byteorder, signed=True)
                                for i in range(0, usable, _INT)]
                if not data:
                    if self._buf:
                        raise ProtocolError("the connection closed in the middle of a frame")
                    _close(fds)
                    return None
                self._buf += data
        except BaseException:
            _close(fds)
            raise


def _decode(body: bytes) -> dict[str, object]:
    try:
        message = json.loads(body)
    except ValueError as e:
        raise ProtocolError(f"a frame that is not JSON: {e}") from None
    if not isinstance(message, dict) or not isinstance(message.get("op"), str):
        raise ProtocolError("a frame that is not a JSON object with an \"op\"")
    if message.get("v") != VERSION:
        raise ProtocolError(
            f"protocol version {message.get('v')!r}, but this side speaks {VERSION} "
            "(client and server from different PyOcclum versions?)"
        )
    return message


def _close(fds: list[int]) -> None:
    for fd in fds:
        try:  # noqa: SIM105 (contextlib costs the exec client start-up time)
            os.close(fd)
        except OSError:
            pass
    fds.clear()
