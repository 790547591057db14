"""net/inet.py and net/reactor.py directly: host events reach the socket's wait queue,
and the reactor thread lives only while sockets do."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from pyocclum.errors import WouldBlock
from pyocclum.net.addr import InetAddr
from pyocclum.net.inet import InetSocket
from pyocclum.net.reactor import Reactor

AF_INET, SOCK_STREAM = 2, 1


def reactor_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "pyocclum-net-reactor"}


def test_the_thread_starts_with_the_first_socket_and_ends_with_the_last() -> None:
    r = Reactor()
    before = reactor_threads()  # other kernels' (of earlier tests) may come and go
    assert not r.running
    a = InetSocket(AF_INET, SOCK_STREAM, 0, r)
    b = InetSocket(AF_INET, SOCK_STREAM, 0, r)
    assert r.running
    assert r.registered() == 2
    (mine,) = reactor_threads() - before
    a.close()
    assert r.running
    b.close()
    mine.join(5)
    assert not mine.is_alive()
    assert not r.running
    c = InetSocket(AF_INET, SOCK_STREAM, 0, r)  # and it comes back
    assert r.running
    c.close()


def test_data_from_the_host_notifies_the_wait_queue() -> None:
    r = Reactor()
    srv = InetSocket(AF_INET, SOCK_STREAM, 0, r)
    srv.bind(InetAddr(AF_INET, "127.0.0.1", 0), None)
    srv.listen(4)
    addr = srv.getsockname()
    assert isinstance(addr, InetAddr)
    with socket.create_connection(("127.0.0.1", addr.port), timeout=5) as host:
        deadline = time.monotonic() + 5
        while True:
            try:
                conn, _ = srv.accept()
                break
            except WouldBlock as wb:
                assert time.monotonic() < deadline
                wb.waitable.wait(1)
        time.sleep(0.1)  # let the first events of the new socket (writable) pass
        with pytest.raises(WouldBlock) as e:
            conn.recvmsg(10, 0, 0)
        # Nothing has arrived: the sleep lasts its timeout...
        t0 = time.monotonic()
        e.value.waitable.wait(0.2)
        assert time.monotonic() - t0 >= 0.15
        # ...and data from the host ends it at once (the reactor's notify).
        threading.Timer(0.1, lambda: host.sendall(b"x")).start()
        t0 = time.monotonic()
        e.value.waitable.wait(5)
        assert time.monotonic() - t0 < 2
        assert conn.recvmsg(10, 0, 0).data == b"x"
        conn.close()
    srv.close()
