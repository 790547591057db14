"""syscalls/net.py over AF_INET/AF_INET6 (net/inet.py), on a kernel that runs no
programs, with Python's host ``socket`` module as the peer. The C programs in
tests/linux/programs/net_*.c check the whole path against Linux."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from syscalls_harness import NoExecutor, first_process

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import FdTable, Kernel, Process
from pyocclum.kernel.readiness import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP
from pyocclum.net import addr as A
from pyocclum.net.policy import NetworkPolicy
from pyocclum.syscalls.events import POLLFD, EventsSyscalls
from pyocclum.syscalls.net import NetSyscalls
from pyocclum.syscalls.occlum import OcclumSyscalls
from pyocclum.syscalls.wasi import WasiSyscalls

AF_INET, AF_INET6, AF_UNIX = 2, 10, 1
SOCK_STREAM, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_CLOEXEC = 1, 2, 0x800, 0x80000
SOL_SOCKET, IPPROTO_TCP = 1, 6
SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_RCVTIMEO = 2, 3, 4, 20
SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN = 30, 38, 39
TCP_NODELAY = 1
MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, MSG_WAITALL, MSG_NOSIGNAL = 0x2, 0x20, 0x40, 0x100, 0x4000
MSG_CTRUNC, MSG_CMSG_CLOEXEC = 0x8, 0x40000000
SHUT_WR = 1
AT_EMPTY_PATH = 0x1000
O_NONBLOCK, F_GETFL, F_SETFL = 0x800, 3, 4
INT = struct.Struct("<i")


def sa(host: str, port: int) -> bytes:
    family = AF_INET6 if ":" in host else AF_INET
    return A.encode(A.InetAddr(family, host, port))


def port_of(raw: bytes) -> int:
    got = A.decode(raw)
    assert isinstance(got, A.InetAddr)
    return got.port


class Env:
    def __init__(self, network: NetworkPolicy | None = None) -> None:
        self.kernel = Kernel(Vfs(RamFs()), NoExecutor(), network=network)
        self.p = first_process(self.kernel)
        self.net = NetSyscalls(self.kernel)
        self.wasi = WasiSyscalls(self.kernel)
        self.occlum = OcclumSyscalls(self.kernel, self.wasi)
        self.ev = EventsSyscalls(self.kernel)
        self.hosts: list[socket.socket] = []

    def errno(self, fn: Callable[..., object], *args: object, p: Process | None = None) -> Errno:
        with pytest.raises(KernelError) as e:
            fn(p or self.p, *args)
        return e.value.errno

    def sibling(self, pid: int = 2) -> Process:
        """A second process sharing every open description of the first (as a child
        that inherited them)."""
        fds = FdTable(64)
        for fd, entry in self.p.fds.items():
            fds.install_at(fd, entry.file.acquire(), cloexec=entry.cloexec)
        return Process(pid=pid, ppid=1, path="/bin/w", argv=[b"/bin/w"], env=[],
                       cwd=self.kernel.vfs.root(), fds=fds, start_ns=0)

    def tcp_server(self, host: str = "127.0.0.1", flags: int = 0) -> tuple[int, int]:
        family = AF_INET6 if ":" in host else AF_INET
        fd = self.net.socket(self.p, family, SOCK_STREAM | flags, 0)
        self.net.bind(self.p, fd, sa(host, 0))
        self.net.listen(self.p, fd, 16)
        return fd, port_of(self.net.getsockname(self.p, fd, 128))

    def host_listener(self, family: int = socket.AF_INET) -> tuple[socket.socket, int]:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
        s.listen(8)
        self.hosts.append(s)
        return s, s.getsockname()[1]

    def host_client(self, port: int, host: str = "127.0.0.1") -> socket.socket:
        c = socket.create_connection((host, port), timeout=5)
        self.hosts.append(c)
        return c

    def send(self, fd: int, data: bytes, flags: int = 0, to: bytes = b"") -> int:
        return self.net.sendmsg(self.p, fd, data, flags, to, [])

    def recv(self, fd: int, size: int, flags: int = 0) -> bytes:
        return self.net.recvmsg(self.p, fd, size, flags, 128, 0)[0]

    def poll1(self, fd: int, events: int, timeout_ns: int = 0) -> int:
        out, _ = self.ev.poll(self.p, [(fd, events, 0)], POLLFD.size, timeout_ns, None)
        return int(POLLFD.unpack_from(out)[2]) & 0xFFFF

    def close(self) -> None:
        for s in self.hosts:
            s.close()
        self.p.fds.close_all()


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    yield e
    e.close()


def later(seconds: float, action: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# == TCP ==========================================================================
def test_echo_server_inside_client_on_the_host(env: Env) -> None:
    lfd, port = env.tcp_server()
    assert port != 0
    c = env.host_client(port)
    peer, cfd = env.net.accept4(env.p, lfd, 0, 128)
    assert port_of(peer) == c.getsockname()[1]
    c.sendall(b"hello inside")
    assert env.recv(cfd, 100) == b"hello inside"
    assert env.send(cfd, b"hello host") == 10
    assert c.recv(100) == b"hello host"
    assert port_of(env.net.getpeername(env.p, cfd, 128)) == c.getsockname()[1]
    c.close()
    assert env.recv(cfd, 100) == b""  # end of stream


def test_echo_client_inside_server_on_the_host(env: Env) -> None:
    srv, port = env.host_listener()
    fd = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
    env.net.connect(env.p, fd, sa("127.0.0.1", port))
    conn, _ = srv.accept()
    env.hosts.append(conn)
    assert env.send(fd, b"ping") == 4
    assert conn.recv(10) == b"ping"
    conn.sendall(b"pong")
    assert env.recv(fd, 10) == b"pong"
    assert env.errno(env.net.connect, fd, sa("127.0.0.1", port)) == Errno.EISCONN


def test_a_blocking_recv_is_woken_by_the_data(env: Env) -> None:
    lfd, port = env.tcp_server()
    c = env.host_client(port)
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    later(0.2, lambda: c.sendall(b"late"))
    t0 = time.monotonic()
    assert env.recv(cfd, 10) == b"late"
    assert time.monotonic() - t0 >= 0.15


def test_read_and_write_through_wasi(env: Env) -> None:
    lfd, port = env.tcp_server()
    c = env.host_client(port)
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    assert env.wasi.fd_write(env.p, cfd, b"via fd_write") == 12
    assert c.recv(100) == b"via fd_write"
    c.sendall(b"via fd_read")
    assert env.wasi.fd_read(env.p, cfd, 100) == b"via fd_read"


def test_a_big_blocking_send_goes_out_whole(env: Env) -> None:
    lfd, port = env.tcp_server()
    c = env.host_client(port)
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    data = bytes(range(256)) * 40000  # 10 MB: more than the socket buffers hold
    got = bytearray()

    def drain() -> None:
        while len(got) < len(data):
            chunk = c.recv(1 << 16)
            if not chunk:
                break
            got.extend(chunk)

    t = threading.Thread(target=drain)
    t.start()
    assert env.send(cfd, data) == len(data)
    t.join(10)
    assert bytes(got) == data


def test_msg_waitall_and_peek(env: Env) -> None:
    lfd, port = env.tcp_server()
    c = env.host_client(port)
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    c.sendall(b"abc")
    env.poll1(cfd, POLLIN, 2_000_000_000)
    assert env.recv(cfd, 10, MSG_PEEK) == b"abc"
    later(0.1, lambda: c.sendall(b"defgh"))
    assert env.recv(cfd, 8, MSG_WAITALL) == b"abcdefgh"


def test_non_blocking_calls_answer_eagain(env: Env) -> None:
    lfd, port = env.tcp_server(flags=SOCK_NONBLOCK)
    assert env.errno(env.net.accept4, lfd, 0, 128) == Errno.EAGAIN
    c = env.host_client(port)
    assert env.poll1(lfd, POLLIN, 2_000_000_000) & POLLIN
    _, cfd = env.net.accept4(env.p, lfd, SOCK_NONBLOCK, 128)
    assert env.errno(env.net.recvmsg, cfd, 10, 0, 128, 0) == Errno.EAGAIN
    assert env.occlum.fcntl(env.p, cfd, F_GETFL, 0) & O_NONBLOCK
    env.occlum.fcntl(env.p, cfd, F_SETFL, 0)
    # A blocking description still does not wait with MSG_DONTWAIT.
    assert env.errno(env.net.recvmsg, cfd, 10, MSG_DONTWAIT, 128, 0) == Errno.EAGAIN
    c.sendall(b"x")
    assert env.recv(cfd, 10) == b"x"


def test_non_blocking_connect_then_pollout_and_so_error(env: Env) -> None:
    srv, port = env.host_listener()
    fd = env.net.socket(env.p, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)
    # Linux says EINPROGRESS even on loopback (the SYN-ACK waits for the socket lock).
    assert env.errno(env.net.connect, fd, sa("127.0.0.1", port)) == Errno.EINPROGRESS
    assert env.poll1(fd, POLLOUT, 2_000_000_000) & POLLOUT
    assert env.net.getsockopt(env.p, fd, SOL_SOCKET, SO_ERROR, 4) == INT.pack(0)
    env.net.connect(env.p, fd, sa("127.0.0.1", port))  # done: 0 once, then EISCONN
    assert env.errno(env.net.connect, fd, sa("127.0.0.1", port)) == Errno.EISCONN
    conn, _ = srv.accept()
    env.hosts.append(conn)
    assert env.send(fd, b"ok") == 2
    assert conn.recv(10) == b"ok"


def test_non_blocking_connect_refused_shows_in_so_error(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)
    port = free_port()
    assert env.errno(env.net.connect, fd, sa("127.0.0.1", port)) == Errno.EINPROGRESS
    assert env.poll1(fd, POLLOUT, 2_000_000_000) & (POLLERR | POLLOUT)
    err = env.net.getsockopt(env.p, fd, SOL_SOCKET, SO_ERROR, 4)
    assert INT.unpack(err)[0] == int(Errno.ECONNREFUSED)
    assert env.net.getsockopt(env.p, fd, SOL_SOCKET, SO_ERROR, 4) == INT.pack(0)


def test_blocking_connect_refused(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
    assert env.errno(env.net.connect, fd, sa("127.0.0.1", free_port())) == Errno.ECONNREFUSED


def test_poll_bits_follow_the_peer(env: Env) -> None:
    lfd, port = env.tcp_server()
    assert env.poll1(lfd, POLLIN | POLLOUT) == 0  # listening, nobody waiting
    c = env.host_client(port)
    assert env.poll1(lfd, POLLIN, 2_000_000_000) == POLLIN
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    assert env.poll1(cfd, POLLIN | POLLOUT) == POLLOUT
    later(0.1, lambda: c.sendall(b"data"))
    t0 = time.monotonic()
    assert env.poll1(cfd, POLLIN, 5_000_000_000) == POLLIN
    assert time.monotonic() - t0 < 2  # woken by the event, not the timeout
    env.recv(cfd, 10)
    c.shutdown(socket.SHUT_WR)
    assert env.poll1(cfd, POLLIN | POLLRDHUP, 2_000_000_000) == POLLIN | POLLRDHUP
    env.net.shutdown(env.p, cfd, SHUT_WR)
    assert env.poll1(cfd, POLLIN | POLLRDHUP, 2_000_000_000) & POLLHUP


def test_epoll_is_woken_by_socket_events(env: Env) -> None:
    lfd, port = env.tcp_server()
    ep = env.ev.epoll_create1(env.p, 0)
    env.ev.epoll_ctl(env.p, ep, 1, lfd, (POLLIN, 7))
    client = later(0.1, lambda: env.host_client(port))
    out, n = env.ev.epoll_pwait(env.p, ep, 12 * 4, 5_000_000_000, None)
    client.join()  # its connect returns after the listener saw the connection
    assert n == 1
    assert struct.unpack_from("<IQ", out) == (POLLIN, 7)


def test_two_processes_accept_on_one_listening_socket(env: Env) -> None:
    lfd, port = env.tcp_server()
    worker = env.sibling()
    got: dict[int, bytes] = {}

    def serve(p: Process) -> None:
        _, cfd = env.net.accept4(p, lfd, 0, 128)
        got[p.pid] = env.net.recvmsg(p, cfd, 100, 0, 0, 0)[0]
        p.fds.close(cfd)

    threads = [threading.Thread(target=serve, args=(q,)) for q in (env.p, worker)]
    for t in threads:
        t.start()
    clients = [env.host_client(port) for _ in range(2)]
    for i, c in enumerate(clients):
        c.sendall(f"client {i}".encode())
    for t in threads:
        t.join(10)
    assert sorted(got.values()) == [b"client 0", b"client 1"]
    assert set(got) == {1, 2}
    # The listening socket lives on while the worker still has it.
    env.p.fds.close(lfd)
    assert env.host_client(port)
    worker.fds.close_all()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_closing_the_last_description_closes_the_host_socket(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
    dup = env.occlum.dup(env.p, fd)
    assert env.net.reactor.registered() == 1
    env.p.fds.close(fd)
    assert env.net.reactor.registered() == 1
    env.p.fds.close(dup)
    assert env.net.reactor.registered() == 0


def test_epipe_raises_sigpipe_unless_msg_nosignal(env: Env) -> None:
    lfd, port = env.tcp_server()
    c = env.host_client(port)
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    c.close()
    sigpipe = 1 << (Signal.SIGPIPE - 1)
    env.p.sig.blocked |= sigpipe  # keep it pending, to look at
    errors = []
    for _ in range(100):  # the first send after the peer closed gets an RST back
        try:
            env.send(cfd, b"x" * 1000, MSG_NOSIGNAL)
        except KernelError as e:
            errors.append(e.errno)
            break
        time.sleep(0.01)
    assert errors == [Errno.EPIPE]
    assert not env.p.sig.pending & sigpipe
    assert env.errno(env.net.sendmsg, cfd, b"x", 0, b"", []) == Errno.EPIPE
    assert env.p.sig.pending & sigpipe


def test_so_rcvtimeo_gives_eagain(env: Env) -> None:
    lfd, port = env.tcp_server()
    env.host_client(port)
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    env.net.setsockopt(env.p, cfd, SOL_SOCKET, SO_RCVTIMEO, struct.pack("<qq", 0, 200_000))
    assert env.net.getsockopt(env.p, cfd, SOL_SOCKET, SO_RCVTIMEO, 16) == struct.pack(
        "<qq", 0, 200_000)
    t0 = time.monotonic()
    assert env.errno(env.net.recvmsg, cfd, 10, 0, 0, 0) == Errno.EAGAIN
    assert 0.15 < time.monotonic() - t0 < 2
    t0 = time.monotonic()
    assert env.errno(env.wasi.fd_read, cfd, 10) == Errno.EAGAIN  # read() too
    assert 0.15 < time.monotonic() - t0 < 2
    bad = struct.pack("<qq", 0, 1_000_000)
    assert env.errno(env.net.setsockopt, cfd, SOL_SOCKET, SO_RCVTIMEO, bad) == Errno.EDOM


def test_socket_options(env: Env) -> None:
    lfd, _ = env.tcp_server()
    udp = env.net.socket(env.p, AF_INET, SOCK_DGRAM, 0)

    def opt(fd: int, level: int, name: int) -> int:
        return int(INT.unpack(env.net.getsockopt(env.p, fd, level, name, 4))[0])

    assert [opt(lfd, SOL_SOCKET, n) for n in (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN)] \
        == [SOCK_STREAM, AF_INET, 6, 1]
    assert [opt(udp, SOL_SOCKET, n) for n in (SO_TYPE, SO_PROTOCOL, SO_ACCEPTCONN)] \
        == [SOCK_DGRAM, 17, 0]
    env.net.setsockopt(env.p, lfd, IPPROTO_TCP, TCP_NODELAY, INT.pack(1))
    assert opt(lfd, IPPROTO_TCP, TCP_NODELAY) == 1
    env.net.setsockopt(env.p, lfd, SOL_SOCKET, SO_REUSEADDR, INT.pack(1))
    assert opt(lfd, SOL_SOCKET, SO_REUSEADDR) == 1
    assert env.errno(env.net.getsockopt, lfd, SOL_SOCKET, 999, 4) == Errno.ENOPROTOOPT
    assert env.errno(env.net.setsockopt, lfd, SOL_SOCKET, SO_REUSEADDR, b"\1") == Errno.EINVAL


def test_bad_calls(env: Env) -> None:
    r, _ = env.occlum.pipe2(env.p, 0)
    assert env.errno(env.net.listen, r, 1) == Errno.ENOTSOCK
    assert env.errno(env.net.socket, 99, SOCK_STREAM, 0) == Errno.EAFNOSUPPORT
    assert env.errno(env.net.socket, AF_INET, SOCK_STREAM, 17) == Errno.EPROTONOSUPPORT
    assert env.errno(env.net.socket, AF_INET, 0x40 | SOCK_STREAM, 0) == Errno.EINVAL
    assert env.errno(env.net.socketpair, AF_INET, SOCK_STREAM, 0) == Errno.ENOTSUP
    fd = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
    assert env.errno(env.net.getpeername, fd, 128) == Errno.ENOTCONN
    assert env.errno(env.net.shutdown, fd, SHUT_WR) == Errno.ENOTCONN
    assert env.errno(env.net.bind, fd, b"\2\0") == Errno.EINVAL
    assert env.errno(env.net.accept4, fd, 0, 128) == Errno.EINVAL
    _, port = env.tcp_server()
    assert env.errno(env.net.bind, fd, sa("127.0.0.1", port)) == Errno.EADDRINUSE


def test_fstat_says_socket_and_cloexec_is_kept(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
    mode = env.occlum.fstatat(env.p, fd, "", AT_EMPTY_PATH)[2]
    assert mode & 0o170000 == 0o140000
    assert env.p.fds.entry(fd).cloexec
    assert env.wasi.fd_fdstat_get(env.p, fd)[0] == 6  # WASI SOCKET_STREAM


# == UDP ==========================================================================
def test_udp_both_ways_with_addresses_and_truncation(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET, SOCK_DGRAM, 0)
    env.net.bind(env.p, fd, sa("127.0.0.1", 0))
    port = port_of(env.net.getsockname(env.p, fd, 128))
    h = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    env.hosts.append(h)
    h.bind(("127.0.0.1", 0))
    h.sendto(b"datagram one", ("127.0.0.1", port))
    data, frm, _, n, flags = env.net.recvmsg(env.p, fd, 100, 0, 128, 0)
    assert (data, port_of(frm), n, flags) == (b"datagram one", h.getsockname()[1], 12, 0)
    h.sendto(b"a longer datagram", ("127.0.0.1", port))
    data, _, _, n, flags = env.net.recvmsg(env.p, fd, 4, MSG_TRUNC, 128, 0)
    assert (data, n, flags) == (b"a lo", 17, MSG_TRUNC)
    assert env.send(fd, b"reply", 0, sa("127.0.0.1", h.getsockname()[1])) == 5
    assert h.recvfrom(100) == (b"reply", ("127.0.0.1", port))


# == IPv6 =========================================================================
@pytest.mark.skipif(not has_ipv6(), reason="no IPv6 loopback on this host")
def test_ipv6_socket_is_dual_stack_and_reports_v6_addresses(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET6, SOCK_STREAM, 0)
    assert env.net.getsockopt(env.p, fd, 41, 26, 4) == INT.pack(0)  # IPV6_V6ONLY off
    env.net.bind(env.p, fd, sa("::", 0))
    env.net.listen(env.p, fd, 4)
    port = port_of(env.net.getsockname(env.p, fd, 128))
    env.host_client(port, "127.0.0.1")
    peer, _ = env.net.accept4(env.p, fd, 0, 128)
    got = A.decode(peer)
    assert isinstance(got, A.InetAddr)
    assert got.family == AF_INET6
    assert ipaddress.ip_address(got.host) == ipaddress.ip_address("::ffff:127.0.0.1")
    c6 = env.host_client(port, "::1")
    peer6, _ = env.net.accept4(env.p, fd, 0, 128)
    assert A.decode(peer6) == A.InetAddr(AF_INET6, "::1", c6.getsockname()[1])


# == policy =======================================================================
def test_policy_allows_and_denies_with_eacces(caplog: pytest.LogCaptureFixture) -> None:
    policy = NetworkPolicy.from_entries(["127.0.0.1:*"], ["127.0.0.1:1-1023"])
    env = Env(policy)
    try:
        fd = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
        with caplog.at_level(logging.WARNING, logger="pyocclum.net"):
            assert env.errno(env.net.bind, fd, sa("0.0.0.0", 8080)) == Errno.EACCES
        assert "pid 1 (/bin/t): bind to 0.0.0.0:8080 denied" in caplog.text
        env.net.bind(env.p, fd, sa("127.0.0.1", 0))
        c = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
        with caplog.at_level(logging.WARNING, logger="pyocclum.net"):
            assert env.errno(env.net.connect, c, sa("127.0.0.1", 8080)) == Errno.EACCES
        assert "connect to 127.0.0.1:8080 denied (not in network.connect)" in caplog.text
        # The denied connect did not reach the host: the socket is still unconnected.
        assert env.errno(env.net.getpeername, c, 128) == Errno.ENOTCONN
        u = env.net.socket(env.p, AF_INET, SOCK_DGRAM, 0)
        assert env.errno(env.net.sendmsg, u, b"x", 0, sa("127.0.0.1", 5353), []) == Errno.EACCES
        # listen on a socket never bound: the host would pick the port (a bind of "any").
        auto = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
        assert env.errno(env.net.listen, auto, 4) == Errno.EACCES
    finally:
        env.close()


def test_an_empty_policy_list_denies_all() -> None:
    env = Env(NetworkPolicy.from_entries([], None))
    try:
        fd = env.net.socket(env.p, AF_INET, SOCK_STREAM, 0)
        assert env.errno(env.net.bind, fd, sa("127.0.0.1", 0)) == Errno.EACCES
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        with contextlib.closing(srv):
            env.net.connect(env.p, fd, sa("127.0.0.1", srv.getsockname()[1]))  # allowed
    finally:
        env.close()


# == AF_UNIX through the syscall layer: SCM_RIGHTS ==================================
def test_socketpair_passes_fds_with_scm_rights(env: Env) -> None:
    a, b = env.net.socketpair(env.p, AF_UNIX, SOCK_STREAM, 0)
    r, w = env.occlum.pipe2(env.p, 0)
    assert env.net.sendmsg(env.p, a, b"here", 0, b"", [(w,), (r,)]) == 4
    env.p.fds.close(w)
    data, _, fds, n, flags = env.net.recvmsg(env.p, b, 10, MSG_CMSG_CLOEXEC, 0, 8)
    assert (data, n, flags) == (b"here", 4, 0)
    new_w, new_r = struct.unpack("<ii", fds)
    assert env.p.fds.entry(new_w).cloexec
    assert env.p.fds.entry(new_r).cloexec
    assert env.wasi.fd_write(env.p, new_w, b"through") == 7
    assert env.wasi.fd_read(env.p, r, 10) == b"through"
    assert env.errno(env.net.sendmsg, a, b"x", 0, b"", [(99,)]) == Errno.EBADF


def test_rights_that_do_not_fit_are_closed_with_msg_ctrunc(env: Env) -> None:
    a, b = env.net.socketpair(env.p, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)
    r, w = env.occlum.pipe2(env.p, 0)
    env.net.sendmsg(env.p, a, b"x", 0, b"", [(w,), (w,)])
    env.p.fds.close(w)
    _, _, fds, _, flags = env.net.recvmsg(env.p, b, 10, 0, 0, 4)
    assert flags == MSG_CTRUNC
    (got,) = struct.unpack("<i", fds)
    env.p.fds.close(got)
    assert env.wasi.fd_read(env.p, r, 10) == b""  # every write end is gone


def test_scm_rights_on_an_internet_socket_is_einval(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET, SOCK_DGRAM, 0)
    assert env.errno(env.net.sendmsg, fd, b"x", 0, sa("127.0.0.1", 9), [(fd,)]) == Errno.EINVAL


def test_unix_path_sockets_between_two_processes(env: Env) -> None:
    srv = env.net.socket(env.p, AF_UNIX, SOCK_STREAM, 0)
    path = A.encode(A.UnixAddr(path=b"/srv.sock"))
    env.net.bind(env.p, srv, path)
    env.net.listen(env.p, srv, 4)
    other = env.sibling()
    c = env.net.socket(other, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)
    env.net.connect(other, c, path)
    _, conn = env.net.accept4(env.p, srv, 0, 128)
    env.net.sendmsg(other, c, b"over unix", 0, b"", [])
    assert env.recv(conn, 100) == b"over unix"
    mode = env.occlum.fstatat(env.p, -100, "/srv.sock", 0)[2]
    assert mode & 0o170000 == 0o140000


# == raw WASI poll_oneoff over sockets and pipes ====================================
def _fd_sub(userdata: int, kind: int, fd: int) -> tuple[int, int, bytes]:
    return (userdata, kind, struct.pack("<I", fd) + bytes(28))


def _clock_sub(userdata: int, timeout_ns: int) -> tuple[int, int, bytes]:
    return (userdata, 0, struct.pack("<IxxxxQQH", 1, timeout_ns, 0, 0).ljust(32, b"\0"))


def test_poll_oneoff_sleeps_until_a_socket_or_pipe_event(env: Env) -> None:
    lfd, port = env.tcp_server()
    c = env.host_client(port)
    _, cfd = env.net.accept4(env.p, lfd, 0, 128)
    r, w = env.occlum.pipe2(env.p, 0)
    subs = [_fd_sub(1, 1, cfd), _fd_sub(2, 1, r), _clock_sub(3, 5_000_000_000)]
    later(0.2, lambda: c.sendall(b"12345"))
    t0 = time.monotonic()
    events = env.wasi.poll_oneoff(env.p, subs)
    took = time.monotonic() - t0
    assert events == [(1, 0, 1, 5, 0)]  # nbytes: what FIONREAD answers
    assert 0.15 < took < 2
    env.recv(cfd, 10)
    later(0.2, lambda: env.wasi.fd_write(env.p, w, b"p"))
    t0 = time.monotonic()
    assert env.wasi.poll_oneoff(env.p, subs) == [(2, 0, 1, 1, 0)]
    assert time.monotonic() - t0 < 2
    env.wasi.fd_read(env.p, r, 10)
    c.close()
    # Readable at end of stream, nothing to read; no hang-up while our side may still write.
    assert env.wasi.poll_oneoff(env.p, subs) == [(1, 0, 1, 0, 0)]
    assert env.recv(cfd, 10) == b""


def test_udp_connect_to_af_unspec_dissolves_the_association(env: Env) -> None:
    fd = env.net.socket(env.p, AF_INET, SOCK_DGRAM, 0)
    env.net.connect(env.p, fd, sa("127.0.0.1", 9))
    assert port_of(env.net.getpeername(env.p, fd, 128)) == 9
    env.net.connect(env.p, fd, struct.pack("<H", 0) + bytes(14))
    assert env.errno(env.net.getpeername, fd, 128) == Errno.ENOTCONN
    assert env.errno(env.net.sendmsg, fd, b"x", 0, b"", []) == Errno.EDESTADDRREQ
    assert env.errno(env.net.accept4, fd, 0, 128) == Errno.ENOTSUP  # Linux: EOPNOTSUPP
