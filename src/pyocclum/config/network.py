"""The endpoints of the ``network`` key of ``Occlum.json`` (a PyOcclum addition).

An endpoint is ``"HOST:PORT"``. HOST is an IPv4 address or network
(``"127.0.0.1"``, ``"10.0.0.0/8"``), an IPv6 address or network in brackets
(``"[::1]"``, ``"[fd00::/8]"``), or ``"*"`` (any address of either family).
PORT is a number (``"8080"``), an inclusive range (``"8000-8100"``) or
``"*"`` (any port, 0 included). :func:`parse_endpoint` checks one (the config
model calls it for every entry, so a bad one is refused at load);
:meth:`Endpoint.matches` is what the kernel's policy asks at each call.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Endpoint(NamedTuple):
    """One allowed endpoint: a network (None: any address) and a port range."""

    network: IpNetwork | None
    low: int
    high: int

    def matches(self, host: str, port: int) -> bool:
        """Does the address ``host`` (numeric text) and ``port`` fall in this endpoint?"""
        if not self.low <= port <= self.high:
            return False
        if self.network is None:
            return True
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if mapped is not None and isinstance(self.network, ipaddress.IPv4Network):
            return mapped in self.network
        if ip.version != self.network.version:
            return False
        return ip in self.network


def _port_number(text: str, entry: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f'"{entry}": port "{text}" is not a number, a range "A-B" or "*"')
    value = int(text)
    if value > 65535:
        raise ValueError(f'"{entry}": port {value} is above 65535')
    return value


def parse_endpoint(entry: str) -> Endpoint:
    """The endpoint ``entry`` names; ValueError with a message saying what is wrong."""
    if entry.startswith("["):
        close = entry.find("]")
        if close < 0 or entry[close + 1 : close + 2] != ":":
            raise ValueError(f'"{entry}" is not "[IPv6]:PORT"')
        host, port = entry[1:close], entry[close + 2 :]
        if not host:
            raise ValueError(f'"{entry}": empty IPv6 address')
        family = 6
    else:
        host, sep, port = entry.rpartition(":")
        if not sep:
            raise ValueError(f'"{entry}" is not "HOST:PORT" (e.g. "127.0.0.1:8080", "*:*")')
        if ":" in host:
            raise ValueError(f'"{entry}": an IPv6 address goes in brackets, as "[::1]:80"')
        family = 4
    network: IpNetwork | None
    if host == "*" and family == 4:
        network = None
    else:
        try:
            network = (ipaddress.IPv6Network(host, strict=False) if family == 6
                       else ipaddress.IPv4Network(host, strict=False))
        except ValueError:
            kind = "IPv6" if family == 6 else "IPv4"
            raise ValueError(
                f'"{entry}": "{host}" is not an {kind} address or network'
                ' (names are not allowed; use e.g. "10.0.0.0/8", "[::1]" or "*")'
            ) from None
    if port == "*":
        low, high = 0, 65535
    elif "-" in port:
        a, _, b = port.partition("-")
        low, high = _port_number(a, entry), _port_number(b, entry)
        if low > high:
            raise ValueError(f'"{entry}": port range {low}-{high} is empty')
    else:
        low = high = _port_number(port, entry)
    return Endpoint(network, low, high)
