"""Socket addresses: Linux's binary ``struct sockaddr_*`` <-> Python values.

The guest passes Linux's x86-64 layouts (wasm32 matches them): a
little-endian ``u16`` family, then for AF_INET a port and an IPv4 address in
network order (16 bytes in all), for AF_INET6 port, flow info, address and
scope id (28 bytes), for AF_UNIX up to 108 bytes of path (a leading NUL makes
it an abstract name; no path at all is an unnamed socket).
"""

from __future__ import annotations

import ipaddress
import struct

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError

AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6 = 0, 1, 2, 10
#: ``sizeof(struct sockaddr_un.sun_path)``.
UNIX_PATH_MAX = 108
_FAMILY = struct.Struct("<H")
_IN = struct.Struct("!H4s8x")  # after the family: port, address, zero padding
_IN6 = struct.Struct("!HI16sI")  # port, flow info, address, scope id (network order)


class _Frozen:
    """Value semantics for the address classes: immutable, compared and hashed
    by their fields (``_FIELDS``), shown as a dataclass would show them. (Not
    ``dataclasses``: it pulls ``inspect``, ``ast`` and ``dis`` into every
    run's start-up.)"""

    __slots__ = ()
    _FIELDS: tuple[str, ...] = ()

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, f) for f in self._FIELDS)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Frozen)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        body = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._FIELDS)
        return f"{type(self).__qualname__}({body})"


class InetAddr(_Frozen):
    """An AF_INET or AF_INET6 address; ``host`` is the numeric text form."""

    _FIELDS = __match_args__ = ("family", "host", "port", "flowinfo", "scope_id")
    family: int
    host: str
    port: int
    flowinfo: int
    scope_id: int

    def __init__(
        self, family: int, host: str, port: int, flowinfo: int = 0, scope_id: int = 0
    ) -> None:
        set_ = object.__setattr__
        set_(self, "family", family)
        set_(self, "host", host)
        set_(self, "port", port)
        set_(self, "flowinfo", flowinfo)
        set_(self, "scope_id", scope_id)

    def host_tuple(self) -> tuple[str, int] | tuple[str, int, int, int]:
        """The address as Python's ``socket`` module takes it."""
        if self.family == AF_INET:
            return (self.host, self.port)
        return (self.host, self.port, self.flowinfo, self.scope_id)


class UnixAddr(_Frozen):
    """An AF_UNIX address: a path (``bytes``, as given), an abstract name (the
    bytes after the leading NUL), or neither (unnamed)."""

    _FIELDS = __match_args__ = ("path", "abstract")
    path: bytes | None
    abstract: bytes | None

    def __init__(self, path: bytes | None = None, abstract: bytes | None = None) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "abstract", abstract)

    @property
    def unnamed(self) -> bool:
        return self.path is None and self.abstract is None


SockAddr = InetAddr | UnixAddr


def decode(raw: bytes) -> SockAddr:
    """The address in ``raw`` (EINVAL if it is too short, EAFNOSUPPORT for an
    unknown family)."""
    if len(raw) < 2:
        raise KernelError(Errno.EINVAL, f"socket address of {len(raw)} bytes")
    (family,) = _FAMILY.unpack_from(raw)
    if family == AF_INET:
        if len(raw) < 16:
            raise KernelError(Errno.EINVAL, f"AF_INET address of {len(raw)} bytes (16 needed)")
        port, packed = _IN.unpack_from(raw, 2)[:2]
        return InetAddr(AF_INET, str(ipaddress.IPv4Address(packed)), port)
    if family == AF_INET6:
        if len(raw) < 28:
            raise KernelError(Errno.EINVAL, f"AF_INET6 address of {len(raw)} bytes (28 needed)")
        port, flow, packed, scope = _IN6.unpack_from(raw, 2)
        return InetAddr(AF_INET6, str(ipaddress.IPv6Address(packed)), port, flow, scope)
    if family == AF_UNIX:
        body = raw[2 : 2 + UNIX_PATH_MAX]
        if len(raw) > 2 + UNIX_PATH_MAX:
            raise KernelError(Errno.EINVAL, "AF_UNIX address longer than 110 bytes")
        if not body:
            return UnixAddr()
        if body[0] == 0:
            return UnixAddr(abstract=body[1:])
        # A path ends at its first NUL (Linux accepts a NUL-terminated or a full-length path).
        return UnixAddr(path=body.split(b"\0", 1)[0])
    raise KernelError(Errno.EAFNOSUPPORT, f"address family {family} is not supported")


def encode(addr: SockAddr) -> bytes:
    """``addr`` as the guest's ``struct sockaddr_*`` bytes (the full length)."""
    if isinstance(addr, UnixAddr):
        if addr.abstract is not None:
            return _FAMILY.pack(AF_UNIX) + b"\0" + addr.abstract
        if addr.path is not None:
            return _FAMILY.pack(AF_UNIX) + addr.path + b"\0"
        return _FAMILY.pack(AF_UNIX)
    if addr.family == AF_INET:
        packed = ipaddress.IPv4Address(addr.host).packed
        return _FAMILY.pack(AF_INET) + _IN.pack(addr.port, packed)
    # An IPv6 host text may carry a %scope suffix (from the host's getsockname).
    packed6 = ipaddress.IPv6Address(addr.host.split("%", 1)[0]).packed
    return _FAMILY.pack(AF_INET6) + _IN6.pack(addr.port, addr.flowinfo, packed6, addr.scope_id)
