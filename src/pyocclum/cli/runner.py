"""What ``occlum run`` does (:func:`run_program`) and how ``occlum`` logs (:func:`setup_logging`).

Shared by the lean entry point (:func:`pyocclum.cli.run.main`, which runs a
plain ``occlum run`` before importing click) and the click verbs
(:mod:`pyocclum.cli.commands`); it imports neither. Nothing is imported at the
top that is not needed: the boot is imported where it is used.
"""

from __future__ import annotations

import os
import sys

from pyocclum import _log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import NoReturn

#: ``OCCLUM_LOG_LEVEL`` names and their :mod:`logging` levels.
LOG_LEVELS = {
    "off": 60,  # above CRITICAL
    "error": 40,
    "warn": 30,
    "info": 20,
    "debug": 10,
    "trace": 5,
}


def setup_logging(default: str = "error") -> None:
    """Log to stderr at ``OCCLUM_LOG_LEVEL`` (``default`` if unset).

    The handler is set up when the first record at that level or above is
    logged (:func:`pyocclum._log.configure`): a run that logs nothing does not
    import :mod:`logging`.
    """
    name = os.environ.get("OCCLUM_LOG_LEVEL", default).strip().lower()
    level = LOG_LEVELS.get(name)
    if level is None:
        sys.stderr.write(
            f"occlum: OCCLUM_LOG_LEVEL={name!r} is not one of {', '.join(LOG_LEVELS)}; "
            "using 'error'\n"
        )
        level = LOG_LEVELS["error"]
    stream = sys.stderr

    def setup() -> None:
        import logging

        logging.addLevelName(5, "TRACE")
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(name)s: %(message)s"))
        root = logging.getLogger("pyocclum")
        root.handlers[:] = [handler]
        root.setLevel(level)
        root.propagate = False

    _log.configure(setup, level)


def run_program(
    program: str, args: Sequence[str], *, strace: bool, key: Path | None = None,
    fast_exit: bool = False,
) -> NoReturn:
    """Run ``program`` in the instance in the current folder; exit with its code.

    ``key`` is a file holding the user key of the instance's sefs (``--key``).
    With ``fast_exit`` (the ``occlum`` command itself, never an embedding
    program), a run that started exits through :func:`exit_now`.
    """
    import threading
    from pathlib import Path

    from pyocclum.boot import Instance
    from pyocclum.boot.mounts import read_user_key
    from pyocclum.errors import ConfigError, InstanceError

    inst = Instance(Path.cwd())
    lock = threading.Lock()

    def trace(line: str) -> None:
        with lock:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    if not strace and _log.getLogger("pyocclum").isEnabledFor(LOG_LEVELS["trace"]):
        # OCCLUM_LOG_LEVEL=trace logs every syscall, as Occlum's trace level does.
        syscall_log = _log.getLogger("pyocclum.syscall")

        def trace(line: str) -> None:
            syscall_log.log(LOG_LEVELS["trace"], "%s", line)

        strace = True
    try:
        user_key = None if key is None else read_user_key(key)
        result = inst.run([program, *args], strace=trace if strace else None, user_key=user_key)
    except (InstanceError, ConfigError) as e:
        sys.stderr.write(f"occlum run: {e}\n")
        sys.exit(1)
    except OSError as e:
        # The instance folder itself is unusable (run/ not writable in a container...).
        sys.stderr.write(f"occlum run: {e.filename or inst.path}: {e.strerror or e}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    if result.error:
        sys.stderr.write(f"occlum run: {result.error}\n")
    if fast_exit:
        exit_now(result.exit_code)
    sys.exit(result.exit_code)


def exit_now(code: int) -> NoReturn:
    """End this host process with ``code`` now, without the interpreter's teardown.

    For the end of an ``occlum run`` only: by then :meth:`Instance.run` has
    synced and closed every file system, and what the teardown would still do
    is free wasmtime's engine, stores and compiled code and some 270 modules,
    about 130 ms that the user waits for after the program has ended. Python's
    own buffers (stdout, stderr, the log handlers) are flushed first; if that
    fails the status is 120, as the interpreter's own exit makes it.
    """
    logging = sys.modules.get("logging")  # not imported if nothing was logged
    if logging is not None:
        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120
    os._exit(code)
