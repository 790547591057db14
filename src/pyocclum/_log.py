"""PyOcclum's loggers, which import :mod:`logging` only once something is logged.

An ``occlum run`` of a program that logs nothing need not import :mod:`logging`
(and with it traceback, linecache, tokenize, textwrap and string: some 6 ms of
a cold start). Each module keeps its ``log = getLogger("pyocclum.x")``; what it
gets is a :class:`Logger` standing for ``logging.getLogger("pyocclum.x")``:

- While :mod:`logging` has not been imported (by anyone), nothing has
  configured it: the root logger is at WARNING, no logger has a level of its
  own and nothing is disabled. A call below WARNING is then dropped without
  importing it, exactly as :mod:`logging` would drop it; so is a call below the
  level of a set-up deferred by :func:`configure` (``occlum``'s
  ``OCCLUM_LOG_LEVEL``).
- Any other call (and every call once :mod:`logging` is imported: pytest's
  ``caplog``, an embedding program's own set-up) goes to the real logger, after
  running the deferred set-up if there is one. Records are the same as the real
  logger's (the caller's file, line and function: ``stacklevel`` counts this
  module's frame).

Attributes other than the logging calls (``setLevel``, ``handlers``, ...) are
the real logger's.
"""

from __future__ import annotations

import sys
from _thread import allocate_lock

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable
    from typing import Any

__all__ = ["CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING", "Logger", "configure", "getLogger"]

# logging's levels (the same numbers, without importing it).
DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40
CRITICAL = 50

#: Below this level nothing is logged while :mod:`logging` is not imported.
_threshold = WARNING
#: The set-up :func:`configure` deferred (None: none, or done).
_setup: Callable[[], None] | None = None
_setup_lock = allocate_lock()
_loggers: dict[str, Logger] = {}


def configure(setup: Callable[[], None], level: int) -> None:
    """Run ``setup`` (which imports and configures :mod:`logging`, its records of
    ``level`` and above going somewhere) now if :mod:`logging` is imported, else
    just before the first record of ``level`` or above through a :class:`Logger`
    (or the first call once :mod:`logging` is imported): nothing below ``level``
    is logged until then, so the set-up is not needed before."""
    global _setup, _threshold
    with _setup_lock:
        _setup = None
    if "logging" in sys.modules:
        setup()
        return
    with _setup_lock:
        _setup, _threshold = setup, level


def _run_setup() -> None:
    global _setup
    with _setup_lock:
        setup, _setup = _setup, None
        if setup is not None:
            setup()  # under the lock: no record goes out before the set-up is done


def getLogger(name: str) -> Logger:
    """The :class:`Logger` standing for ``logging.getLogger(name)`` (one per name)."""
    logger = _loggers.get(name)
    if logger is None:
        logger = _loggers.setdefault(name, Logger(name))
    return logger


class Logger:
    """``logging.getLogger(name)``, imported when first needed (see the module's doc)."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def _real(self) -> logging.Logger:
        logger = self._logger
        if logger is None:
            import logging

            if _setup is not None:
                _run_setup()
            logger = self._logger = logging.getLogger(self.name)
        elif _setup is not None:  # configure() came after this logger was made
            _run_setup()
        return logger

    def _dropped(self, level: int) -> bool:
        """True if a record of ``level`` is surely not logged, without importing logging."""
        return level < _threshold and "logging" not in sys.modules

    def isEnabledFor(self, level: int) -> bool:
        if self._dropped(level):
            return False
        return self._real().isEnabledFor(level)

    def _emit(self, level: int, call: str, msg: object, args: tuple[object, ...],
              kwargs: dict[str, Any]) -> None:
        """The real logger's ``call`` unless surely dropped; ``stacklevel`` steps
        over this frame and the public method's."""
        if not self._dropped(level):
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
            getattr(self._real(), call)(msg, *args, **kwargs)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self._dropped(level):
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 1
            self._real().log(level, msg, *args, **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit(DEBUG, "debug", msg, args, kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit(INFO, "info", msg, args, kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit(WARNING, "warning", msg, args, kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit(ERROR, "error", msg, args, kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit(ERROR, "exception", msg, args, kwargs)

    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._emit(CRITICAL, "critical", msg, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __repr__(self) -> str:
        return f"<pyocclum._log.Logger {self.name}>"
