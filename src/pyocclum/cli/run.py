"""``occlum run`` and ``occlum exec``: the commands whose start-up time users feel.

:func:`main` handles ``occlum exec`` (:mod:`pyocclum.cli.server_client`,
standard library only) and the plain form of ``occlum run``
(:func:`pyocclum.cli.runner.run_program`) here, before importing click (and the
other verbs, :mod:`pyocclum.cli.commands`). This module imports nothing at the
top that ``exec`` does not need: the rest is imported where it is used.
"""

from __future__ import annotations

import gc
import sys


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
                # The ~30,000 objects that start-up creates live as long as the run:
                # the collector's passes over them while importing are wasted
                # (about 9 ms of a cold run); it runs again once they are frozen.
                gc.disable()
                import pyocclum.boot  # noqa: F401  (what run_program imports)
                from pyocclum.cli.runner import run_program, setup_logging

                gc.freeze()
                gc.enable()
                setup_logging()
                run_program(rest[0], rest[1:], strace=strace, key=key, fast_exit=True)
    from pyocclum.cli.commands import cli

    cli(prog_name="occlum")


if __name__ == "__main__":
    main()
