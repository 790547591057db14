"""The server-mode wire protocol (cli/server_protocol.py) over a real socketpair (what
the lean `occlum exec` path imports: tests/cli/test_run_lean.py)."""

from __future__ import annotations

import os
import socket

import pytest

from pyocclum.cli.server_protocol import MAX_FRAME, VERSION, ProtocolError, Reader, encode, send


def test_frames_round_trip_with_descriptors() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    r, w = os.pipe()
    with a, b:
        send(a, {"op": "exec", "argv": ["/bin/x", "\udcff"]}, (r, w))
        send(a, {"op": "signal", "signal": 2})
        reader = Reader(b)
        got = reader.receive()
        assert got is not None
        message, fds = got
        assert message == {"v": VERSION, "op": "exec", "argv": ["/bin/x", "\udcff"]}
        assert len(fds) == 2
        os.write(fds[1], b"through the passed pipe")  # the very same pipe
        assert os.read(r, 100) == b"through the passed pipe"
        for fd in (*fds, r, w):
            os.close(fd)
        assert reader.receive() == ({"v": VERSION, "op": "signal", "signal": 2}, [])
        a.shutdown(socket.SHUT_WR)
        assert reader.receive() is None


def test_frames_split_across_reads() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with a, b:
        frame = encode({"op": "ping", "pad": "x" * 200_000})  # several reads' worth
        a.sendall(frame[:3])
        reader = Reader(b)
        a.sendall(frame[3:] + encode({"op": "pong"}))
        got = reader.receive()
        assert got is not None
        assert got[0]["pad"] == "x" * 200_000
        assert reader.receive() == ({"v": VERSION, "op": "pong"}, [])


@pytest.mark.parametrize(("data", "error"), [
    ((MAX_FRAME + 1).to_bytes(4, "big"), "frame of"),
    (b"\x00\x00\x00\x05hello", "not JSON"),
    (b"\x00\x00\x00\x02[]", "JSON object"),
    (b"\x00\x00\x00\x14{\"v\":99,\"op\":\"ping\"}", "protocol version 99"),
    (b"\x00\x00\x00\x09{\"v\":1", "closed in the middle"),
])
def test_bad_frames_are_refused(data: bytes, error: str) -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with a, b:
        a.sendall(data)
        a.shutdown(socket.SHUT_WR)
        with pytest.raises(ProtocolError, match=error):
            Reader(b).receive()
