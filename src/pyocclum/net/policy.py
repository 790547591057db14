"""The network policy: which host addresses and ports processes may bind and connect to.

From ``Occlum.json``'s ``network`` key (a PyOcclum addition; endpoints as
:mod:`pyocclum.config.network` parses them). Each kind (``bind``,
``connect``) is a list of allowed endpoints or None: None (the key left out)
allows everything, an empty list nothing. A UDP ``sendto`` counts as a
connect to its destination; ``listen`` on a socket that was never bound (so
the host picks a port) counts as a bind of the wildcard address, port 0.
The syscall layer asks :meth:`NetworkPolicy.check` before the host sees
the call; a refusal is EACCES and one log line (level error, so ``occlum
run`` shows it without ``OCCLUM_LOG_LEVEL``) naming the process, the call
and the address; past :data:`LOGGED_REFUSALS` refusals, level debug (a guest
retrying in a loop would flood the log).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.config.network import Endpoint, parse_endpoint
from pyocclum.errors import KernelError

log = _log.getLogger("pyocclum.net")

Kind = Literal["bind", "connect"]
#: Refusals logged at level error by one policy (one kernel); later ones at level debug.
LOGGED_REFUSALS = 100


class NetworkPolicy:
    """Allowed endpoints for binding and connecting (None: no restriction)."""

    def __init__(
        self,
        bind: Sequence[Endpoint] | None = None,
        connect: Sequence[Endpoint] | None = None,
    ) -> None:
        self.bind = None if bind is None else tuple(bind)
        self.connect = None if connect is None else tuple(connect)
        self._refusals = itertools.count(1)

    @classmethod
    def from_entries(
        cls, bind: Sequence[str] | None, connect: Sequence[str] | None
    ) -> NetworkPolicy:
        """The policy of ``network.bind`` and ``network.connect`` as written in Occlum.json."""
        return cls(
            None if bind is None else [parse_endpoint(e) for e in bind],
            None if connect is None else [parse_endpoint(e) for e in connect],
        )

    @property
    def unrestricted(self) -> bool:
        return self.bind is None and self.connect is None

    def allows(self, kind: Kind, host: str, port: int) -> bool:
        allowed = self.bind if kind == "bind" else self.connect
        return allowed is None or any(e.matches(host, port) for e in allowed)

    def check(self, kind: Kind, host: str, port: int, who: str, call: str) -> None:
        """EACCES (and a log line naming ``who`` and ``call``) unless allowed."""
        if self.allows(kind, host, port):
            return
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        # A guest can be refused in a loop: after the first LOGGED_REFUSALS lines
        # at level error (and one saying so), the rest go to level debug.
        n = next(self._refusals)
        level = _log.ERROR if n <= LOGGED_REFUSALS else _log.DEBUG
        log.log(level, "network policy: %s: %s to %s denied (not in network.%s)",
                who, call, shown, kind)
        if n == LOGGED_REFUSALS:
            log.error("network policy: %d refusals; the next ones are logged at level debug",
                      n)
        raise KernelError(Errno.EACCES, f"{call} to {shown} is not allowed by network.{kind}")


#: The policy when ``Occlum.json`` has no ``network`` key.
ALLOW_ALL = NetworkPolicy()
