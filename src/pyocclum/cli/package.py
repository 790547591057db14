"""``occlum package``: ship a built instance as a tarball or an OCI image archive
(the work is :mod:`pyocclum.boot.package` and :mod:`pyocclum.boot.oci`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from pyocclum.errors import ConfigError, ImageError, InstanceError


def _say(message: str) -> None:
    click.echo(message, err=True)


def _mib(size: int) -> str:
    if size < 1 << 20:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1 << 20):.1f} MiB"


@click.command()
@click.argument("name", required=False)
@click.option("--oci", is_flag=True,
              help="Write NAME-oci.tar, an OCI image archive (Python, PyOcclum, the instance).")
@click.option("--debug", is_flag=True,
              help="Package a debuggable or development-key build anyway.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("."), show_default=True, help="Folder to write the archive to.")
def package(name: str | None, oci: bool, debug: bool, out_dir: Path) -> None:
    """Package the built instance in the current folder as NAME.tar.gz (default NAME:
    the folder's name): on another machine, `tar xzf NAME.tar.gz && cd NAME && occlum
    run /bin/PROGRAM`. With --oci, NAME-oci.tar for `podman load` / `docker load`.

    A debuggable build (metadata.debuggable, true by default) or one signed with the
    development key is refused unless --debug.
    """
    from pyocclum.boot import Instance

    inst = Instance(Path.cwd())
    name = name or inst.path.name
    started = time.monotonic()
    try:
        inst.require_initialized()
        if oci:
            from pyocclum.boot.oci import package_oci

            report = package_oci(inst, name, out_dir, debug=debug)
        else:
            from pyocclum.boot.package import package_instance

            tarball = package_instance(inst, name, out_dir, debug=debug)
    except (InstanceError, ConfigError, ImageError) as e:
        _say(f"occlum package: {e}")
        sys.exit(1)
    except OSError as e:
        _say(f"occlum package: {e.filename or out_dir}: {e.strerror or e}")
        sys.exit(1)
    took = time.monotonic() - started
    if not oci:
        note = " (debuggable)" if tarball.debuggable else ""
        _say(f"Wrote {tarball.path} ({_mib(tarball.size)}, {tarball.files} entries; "
             f"MRENCLAVE {tarball.mrenclave}){note} in {took:.1f}s")
        return
    layers = ", ".join(f"{_mib(layer.size)}" for layer in report.layers)
    _say(f"Wrote {report.path} ({_mib(report.size)}; layers Python, PyOcclum, instance: "
         f"{layers}) in {took:.1f}s")
    _say(f"Entrypoint {' '.join(report.entrypoint)}; Cmd {' '.join(report.cmd)}; left out: "
         f"{', '.join(report.left_out) or 'nothing'} (builds programs, not needed to run them)")
    if report.missing_libraries:
        _say("ldd found no " + ", ".join(report.missing_libraries)
             + ": the modules linking them will not load in the image")
