"""libocclum's resolver (getaddrinfo, gethostbyname, getnameinfo over DNS) against a
small DNS server on the host.

The server (:class:`FakeDns`, DNS messages built by hand) listens on UDP and TCP
port 53 of a loopback address of its own (``127.53.0.x``, so runs in parallel do
not meet); the image's ``/etc/resolv.conf`` names it (an image file is never
replaced by the host's at boot). A C program inside (``programs/libnet_resolve.c``)
prints what each lookup gives, and the test compares that with what the server
serves: A and AAAA answers, CNAME chains, NXDOMAIN, a server that never answers
(EAI_AGAIN after ``timeout:1``), search domains, a truncated UDP answer
retried over TCP, answers with a wrong id, to another question or from a wrong
address (ignored), PTR
for getnameinfo, an ``/etc/hosts`` name that never reaches DNS, services from
the image's ``/etc/services``, and a network
policy that lets only DNS through. Binding port 53
needs root (or CAP_NET_BIND_SERVICE): the test is skipped otherwise.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

HERE = Path(__file__).resolve().parent
PROGRAM = HERE / "programs" / "libnet_resolve.c"
OCCLUM_CC = Path(sys.executable).parent / "occlum-cc"

A, CNAME, PTR, AAAA = 1, 5, 12, 28
NXDOMAIN = 3
ZONE: dict[tuple[str, int], list[tuple[str, int, bytes | str]]] = {}


def _add(name: str, rtype: int, value: str) -> None:
    if rtype == A:
        data: bytes | str = ipaddress.IPv4Address(value).packed
    elif rtype == AAAA:
        data = ipaddress.IPv6Address(value).packed
    else:
        data = value
    ZONE.setdefault((name, rtype), []).append((name, rtype, data))


_add("www.example.test", A, "192.0.2.1")
_add("www.example.test", AAAA, "2001:db8::1")
_add("onlyv4.example.test", A, "192.0.2.9")
_add("spoof.example.test", A, "192.0.2.6")
for i in range(20):  # 20 A records do not fit the 512 bytes of a UDP answer here
    _add("big.example.test", A, f"192.0.2.{100 + i}")
_add("1.2.0.192.in-addr.arpa", PTR, "www.example.test")
#: Names whose answer is a CNAME chain ending at www.example.test.
CHAINS = {"alias.example.test": ["www.example.test"],
          "chain.example.test": ["alias.example.test", "www.example.test"]}


def _name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"


def _read_name(msg: bytes, off: int) -> tuple[str, int]:
    labels = []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode())
        off += 1 + n
    return ".".join(labels).lower(), off + 1


def _rr(name: str, rtype: int, data: bytes | str) -> bytes:
    rdata = _name(data) if isinstance(data, str) else data
    return _name(name) + struct.pack(">HHIH", rtype, 1, 60, len(rdata)) + rdata


class FakeDns:
    """A DNS server for ZONE on UDP and TCP ``addr``:53 (a thread); ``queries`` is
    what it was asked, as (transport, name, type)."""

    def __init__(self, addr: str) -> None:
        self.addr = addr
        self.queries: list[tuple[str, str, int]] = []
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.spoofer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind((addr, 53))
        self.tcp.bind((addr, 53))
        self.spoofer.bind((addr, 0))
        self.tcp.listen(4)
        self.stop_r, self.stop_w = os.pipe()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        os.write(self.stop_w, b"x")
        self.thread.join(5)
        for s in (self.udp, self.tcp, self.spoofer):
            s.close()
        os.close(self.stop_r)
        os.close(self.stop_w)

    def answer(self, query: bytes, transport: str) -> bytes | None:
        name, off = _read_name(query, 12)
        qtype, _ = struct.unpack_from(">HH", query, off)
        self.queries.append((transport, name, qtype))
        if name.startswith("slow."):
            return None
        chain = CHAINS.get(name)
        if chain:
            records, owner = [], name
            for target in chain:
                records.append((owner, CNAME, target))
                owner = target
            return _message(query, records + ZONE.get((owner, qtype), []))
        if not any(n == name for n, _ in ZONE):
            return _message(query, [], rcode=NXDOMAIN)
        if name.startswith("big.") and transport == "udp":
            return _message(query, [], truncated=True)
        return _message(query, ZONE.get((name, qtype), []))

    def _serve(self) -> None:
        while True:
            ready, _, _ = select.select([self.udp.fileno(), self.tcp.fileno(), self.stop_r],
                                        [], [])
            if self.stop_r in ready:
                return
            if self.udp.fileno() in ready:
                query, peer = self.udp.recvfrom(4096)
                reply = self.answer(query, "udp")
                if reply is not None and b"\x05spoof" in query:
                    # First a forged answer from another port, one with a wrong id,
                    # one to another question: the resolver takes none of them.
                    forged = _message(query, [("spoof.example.test", A, bytes([192, 0, 2, 66]))])
                    self.spoofer.sendto(forged, peer)
                    self.udp.sendto(bytes([forged[0] ^ 0xff]) + forged[1:], peer)
                    other = query.replace(b"\x05spoof", b"\x05xpoof")
                    self.udp.sendto(_message(other, [("xpoof.example.test", A,
                                                      bytes([192, 0, 2, 68]))]), peer)
                if reply is not None:
                    self.udp.sendto(reply, peer)
            if self.tcp.fileno() in ready:
                conn, _ = self.tcp.accept()
                with conn:
                    conn.settimeout(5)
                    size = struct.unpack(">H", conn.recv(2, socket.MSG_WAITALL))[0]
                    reply = self.answer(conn.recv(size, socket.MSG_WAITALL), "tcp")
                    if reply is not None:
                        conn.sendall(struct.pack(">H", len(reply)) + reply)


def _message(query: bytes, records: list[tuple[str, int, bytes | str]], rcode: int = 0,
             truncated: bool = False) -> bytes:
    """The answer to ``query`` (its id, RD bit and question) with ``records``."""
    qid, flags = struct.unpack_from(">HH", query)
    _, off = _read_name(query, 12)
    bits = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | (0x0200 if truncated else 0) | rcode
    head = struct.pack(">HHHHHH", qid, bits, 1, len(records), 0, 0)
    return head + query[12:off + 4] + b"".join(_rr(*r) for r in records)


@pytest.fixture(scope="module")
def dns() -> Iterator[FakeDns]:
    addr = f"127.53.0.{random.randint(2, 250)}"
    try:
        server = FakeDns(addr)
    except PermissionError:
        pytest.skip("binding port 53 needs root or CAP_NET_BIND_SERVICE")
    except OSError as e:
        pytest.skip(f"cannot serve DNS on {addr}:53 here: {e}")
    yield server
    server.close()


def _instance(folder: Path, dns: FakeDns, network: dict[str, list[str]] | None = None) -> Instance:
    new_instance(folder)
    if network is not None:
        config = json.loads((folder / "Occlum.json").read_text())
        config["network"] = network
        (folder / "Occlum.json").write_text(json.dumps(config))
    etc = folder / "image" / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "resolv.conf").write_text(
        f"# the test's server\nnameserver {dns.addr}\nsearch example.test\n"
        "options timeout:1 attempts:1 ndots:1\n")
    (etc / "services").write_text("# name port/proto aliases\nhttp 80/tcp www\n"
                                  "domain 53/tcp\ndomain 53/udp\n")
    (etc / "hosts").write_text("127.0.0.1 localhost\n198.51.100.7 hosted.example.test hosted\n")
    binary = folder / "image" / "bin" / "resolve"
    subprocess.run([str(OCCLUM_CC), "-O1", "-Wall", str(PROGRAM), "-o", str(binary)],
                   check=True, capture_output=True, timeout=600)
    inst = Instance(folder)
    inst.build()
    return inst


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory, dns: FakeDns) -> Instance:
    return _instance(tmp_path_factory.mktemp("resolver") / "inst", dns)


def resolve(inst: Instance, *queries: str) -> dict[str, str]:
    """Run the program inside: {query: what it printed}."""
    r = inst.run(["/bin/resolve", *queries], capture=True)
    assert r.exit_code == 0, (r.error, r.stderr)
    assert r.stdout is not None
    return dict(line.partition(": ")[::2] for line in r.stdout.decode().splitlines())


def test_addresses_cnames_and_errors(instance: Instance, dns: FakeDns) -> None:
    got = resolve(instance, "4:www.example.test", "6:www.example.test", "u:www.example.test",
                  "4:alias.example.test", "u:chain.example.test", "c:chain.example.test",
                  "4:missing.example.test", "6:onlyv4.example.test", "4:www",
                  "h:www.example.test", "r:192.0.2.1")
    assert got == {
        "4:www.example.test": "192.0.2.1",
        "6:www.example.test": "2001:db8::1",
        "u:www.example.test": "192.0.2.1 2001:db8::1",
        "4:alias.example.test": "192.0.2.1",
        "u:chain.example.test": "192.0.2.1 2001:db8::1",
        "c:chain.example.test": "canon www.example.test",
        "4:missing.example.test": "EAI_NONAME",
        "6:onlyv4.example.test": "EAI_NODATA",
        "4:www": "192.0.2.1",  # the search domain
        "h:www.example.test": "www.example.test 192.0.2.1",
        "r:192.0.2.1": "www.example.test",
    }
    assert ("udp", "www.example.test", AAAA) in dns.queries
    assert ("udp", "1.2.0.192.in-addr.arpa", PTR) in dns.queries


def test_services_from_etc_services(instance: Instance) -> None:
    got = resolve(instance, "s:http", "s:domain", "s:8080", "s:gopher", "p:www", "p:gopher")
    assert got == {
        "s:http": "stream/80",  # /etc/services has http for tcp only
        "s:domain": "stream/53 dgram/53",
        "s:8080": "stream/8080 dgram/8080 raw/8080",  # glibc's three for a number
        "s:gopher": "EAI_SERVICE",
        "p:www": "http 80 tcp back http",
        "p:gopher": "none",
    }


def test_truncation_timeout_spoofing_and_hosts(instance: Instance, dns: FakeDns) -> None:
    dns.queries.clear()
    got = resolve(instance, "4:big.example.test", "4:slow.example.test",
                  "4:spoof.example.test", "4:hosted.example.test", "4:hosted", "4:localhost")
    assert got == {
        "4:big.example.test": " ".join(sorted(f"192.0.2.{100 + i}" for i in range(20))),
        "4:slow.example.test": "EAI_AGAIN",
        "4:spoof.example.test": "192.0.2.6",
        "4:hosted.example.test": "198.51.100.7",
        "4:hosted": "198.51.100.7",
        "4:localhost": "127.0.0.1",
    }
    assert ("tcp", "big.example.test", A) in dns.queries  # retried over TCP after TC
    assert not [q for q in dns.queries if q[1].startswith(("hosted", "localhost"))]


def test_under_a_network_policy_that_allows_only_dns(tmp_path: Path, dns: FakeDns) -> None:
    """No bind rule and one connect rule (the nameserver) are enough: the resolver does
    not bind, and AI_ADDRCONFIG takes the policy's EACCES for "configured"."""
    inst = _instance(tmp_path / "inst", dns, {"bind": [], "connect": [f"{dns.addr}:53"]})
    got = resolve(inst, "4:www.example.test", "a:www.example.test", "a:127.0.0.1")
    assert got == {"4:www.example.test": "192.0.2.1",
                   "a:www.example.test": "192.0.2.1 2001:db8::1",
                   "a:127.0.0.1": "127.0.0.1"}
