"""``occlum run`` and ``occlum exec``: the commands whose start-up time users feel.

:func:`main` handles ``occlum exec`` (:mod:`pyocclum.cli.server_client`,
standard library only) and the plain form of ``occlum run`` here, before
importing click (and the other verbs). This module imports nothing at the
top that ``exec`` does not need: the rest is imported where it is used.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

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
    """Log to stderr at ``OCCLUM_LOG_LEVEL`` (``default`` if unset)."""
    import logging

    name = os.environ.get("OCCLUM_LOG_LEVEL", default).strip().lower()
    level = LOG_LEVELS.get(name)
    if level is None:
        sys.stderr.write(
            f"occlum: OCCLUM_LOG_LEVEL={name!r} is not one of {', '.join(LOG_LEVELS)}; "
            "using 'error'\n"
        )
        level = logging.ERROR
    logging.addLevelName(5, "TRACE")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(name)s: %(message)s"))
    root = logging.getLogger("pyocclum")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def run_program(
    program: str, args: Sequence[str], *, strace: bool, key: Path | None = None
) -> None:
    """Run ``program`` in the instance in the current folder; exit with its code.

    ``key`` is a file holding the user key of the instance's sefs (``--key``).
    """
    import logging
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

    if not strace and logging.getLogger("pyocclum").isEnabledFor(LOG_LEVELS["trace"]):
        # OCCLUM_LOG_LEVEL=trace logs every syscall, as Occlum's trace level does.
        syscall_log = logging.getLogger("pyocclum.syscall")

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
    sys.exit(result.exit_code)


def main() -> None:
    """Entry point of ``occlum``: ``run PROGRAM ...`` directly, everything else through click."""
    argv = sys.argv[1:]
    if argv and argv[0] == "exec":
        from pyocclum.cli.server_client import exec_main

        sys.exit(exec_main(argv[1:]))
    from pathlib import Path

    if len(argv) >= 2 and argv[0] == "run":
        strace, key, rest = False, None, argv[1:]
        while rest and (rest[0] in ("--strace", "--key") or rest[0].startswith("--key=")):
            option = rest.pop(0)
            if option == "--strace":
                strace = True
            elif option.startswith("--key="):
                key = Path(option.removeprefix("--key="))
            elif rest:
                key = Path(rest.pop(0))
            else:
                break  # click explains the missing value
        else:
            if rest and not rest[0].startswith("-"):
                setup_logging()
                run_program(rest[0], rest[1:], strace=strace, key=key)
    from pyocclum.cli.commands import cli

    cli(prog_name="occlum")


if __name__ == "__main__":
    main()
