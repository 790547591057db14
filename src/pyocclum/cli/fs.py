"""``occlum fs ls|cat|cp|rm`` and ``occlum mount``: the instance's root file system, from the host.

Both open the root exactly as a boot mounts it (:meth:`Instance.open_root`:
the integrity image under the encrypted writable layer, same keys, same
checks), in the instance in the current folder, and commit the writable
layer when done. They are refused while the instance runs, and an
``occlum run`` is refused while they hold the root.

Paths inside the instance are absolute (a relative one is taken from ``/``);
``occlum fs cp`` marks the side inside with a leading ``:``, as scp marks the
remote side: ``occlum fs cp :/root/out.txt ./out.txt``.
"""

from __future__ import annotations

import contextlib
import errno as host_errno
import os
import stat as host_stat
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import click

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.cli.hostview import mode_bits, reason
from pyocclum.errors import ConfigError, ImageError, InstanceError, KernelError
from pyocclum.fs.types import FileSystem, Inode, lookup_or_none
from pyocclum.fs.vfs import Location, Vfs

__all__ = ["fs_group", "mount"]

#: Bytes moved per read or write when copying.
CHUNK = 1 << 20
#: What ``occlum mount`` says when libfuse cannot be loaded.
INSTALL_FUSE = (
    "libfuse is not installed: install it (Debian/Ubuntu: `apt-get install fuse3`; "
    "Fedora: `dnf install fuse3`)"
)

#: What fuse_main's return codes mean (libfuse's helper.c); 8 is the end of the loop.
FUSE_MAIN_ERRORS = {
    1: "bad mount options",
    2: "no usable mount point",
    3: "could not set up FUSE",
    4: "the mount failed",
    5: "could not run in the foreground",
    6: "could not install signal handlers",
    7: "could not start",
}
FUSE_LOOP_ENDED = 8

_KEY_HELP = "User key for the encrypted file systems (as `occlum run --key`)."


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _die(verb: str, message: str) -> NoReturn:
    _echo_err(f"occlum {verb}: {message}")
    sys.exit(1)


@dataclass
class _Session:
    """The root of one ``occlum fs`` command, and whether anything failed."""

    verb: str
    vfs: Vfs
    failed: bool = False

    def error(self, what: str, why: KernelError | OSError | str) -> None:
        text = why if isinstance(why, str) else reason(why)
        _echo_err(f"occlum {self.verb}: {what}: {text}")
        self.failed = True

    def resolve(self, path: str, *, follow: bool = True) -> Location:
        return self.vfs.resolve(self.vfs.root(), _absolute(path), follow=follow)


def _absolute(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _user_key(verb: str, key: Path | None) -> bytes | None:
    from pyocclum.boot.mounts import read_user_key

    if key is None:
        return None
    try:
        return read_user_key(key)
    except InstanceError as e:
        _die(verb, str(e))


@contextlib.contextmanager
def open_root(verb: str, key: Path | None) -> Iterator[FileSystem]:
    """The root of the instance in the current folder; any failure ends the command cleanly."""
    from pyocclum.boot import Instance

    user_key = _user_key(verb, key)
    try:
        with Instance(Path.cwd()).open_root(user_key=user_key) as root:
            yield root
    except (InstanceError, ConfigError, ImageError) as e:
        _die(verb, str(e))
    except KernelError as e:
        _die(verb, reason(e))
    except BrokenPipeError:
        # The reader went away (`occlum fs cat ... | head`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as e:
        _die(verb, f"{e.filename}: {reason(e)}" if e.filename else reason(e))
    except KeyboardInterrupt:
        sys.exit(130)


@contextlib.contextmanager
def _session(verb: str, key: Path | None) -> Iterator[_Session]:
    verb = f"fs {verb}"
    with open_root(verb, key) as root:
        session = _Session(verb, Vfs(root))
        yield session
    if session.failed:
        sys.exit(1)


def _stdout() -> IO[bytes]:
    return sys.stdout.buffer


def _encode(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


# -- the commands ---------------------------------------------------------------------


@click.group("fs")
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False), help=_KEY_HELP)
@click.pass_context
def fs_group(ctx: click.Context, key: Path | None) -> None:
    """Look inside the instance's root file system (no FUSE needed).

    \b
      occlum fs ls -l /bin
      occlum fs cat /etc/hosts
      occlum fs cp ./in.txt :/root/in.txt     (':' marks the side inside)
      occlum fs cp -r :/root/results ./results
      occlum fs rm -r /root/old

    Changes go to the encrypted writable layer, as a running program's do.
    Refused while the instance runs.
    """
    ctx.obj = key


@fs_group.command("ls")
@click.option("-l", "long", is_flag=True, help="Type, permissions, links, size and mtime.")
@click.argument("path", default="/")
@click.pass_obj
def ls(key: Path | None, long: bool, path: str) -> None:
    """List PATH inside the instance (default /): one name per line, hidden ones too."""
    out = _stdout()
    with _session("ls", key) as s:
        try:
            loc = s.resolve(path, follow=not long)
            inode = loc.inode
            if inode.filetype != FileType.DIRECTORY:
                out.write(_line(path, inode) if long else _encode(path) + b"\n")
                return
            for name in sorted(e.name for e in inode.entries()):
                if not long:
                    out.write(_encode(name) + b"\n")
                    continue
                try:
                    out.write(_line(name, inode.lookup(name)))
                except KernelError as e:
                    s.error(loc.path.rstrip("/") + "/" + name, e)
        except KernelError as e:
            s.error(path, e)
        finally:
            out.flush()


def _line(name: str, inode: Inode) -> bytes:
    """One line of ``ls -l``: mode, links, size, mtime, name (and a symlink's target)."""
    st = inode.stat()
    mtime = time.strftime("%Y-%m-%d %H:%M", time.localtime(st.mtim / 1e9))
    text = f"{host_stat.filemode(mode_bits(st))} {st.nlink:>3} {st.size:>10} {mtime} {name}"
    if st.filetype == FileType.SYMBOLIC_LINK:
        text += f" -> {inode.readlink()}"
    return _encode(text) + b"\n"


@fs_group.command("cat")
@click.argument("paths", nargs=-1, required=True)
@click.pass_obj
def cat(key: Path | None, paths: tuple[str, ...]) -> None:
    """Write the files at PATHS inside the instance to standard output."""
    out = _stdout()
    with _session("cat", key) as s:
        for path in paths:
            try:
                inode = s.resolve(path).inode
                if inode.filetype == FileType.DIRECTORY:
                    raise KernelError(Errno.EISDIR)
                offset = 0
                while chunk := inode.read(offset, CHUNK):
                    out.write(chunk)
                    offset += len(chunk)
            except KernelError as e:
                s.error(path, e)
        out.flush()


@fs_group.command("cp")
@click.option("-r", "-R", "--recursive", is_flag=True, help="Copy directories and what they hold.")
@click.argument("src")
@click.argument("dst")
@click.pass_obj
def cp(key: Path | None, recursive: bool, src: str, dst: str) -> None:
    """Copy SRC to DST; the side inside the instance starts with ':'.

    \b
      occlum fs cp ./in.txt :/root/in.txt
      occlum fs cp :/root/out.txt .
      occlum fs cp -r ./data :/root        (makes /root/data)

    A copy into an existing directory keeps the source's name. Permission
    bits are copied; symbolic links in a -r copy stay links.
    """
    inside_src, inside_dst = src.startswith(":"), dst.startswith(":")
    if inside_src == inside_dst:
        which = "both are" if inside_src else "neither is"
        _die("fs cp", f"{src} {dst}: {which} inside the instance; exactly one side must be, "
             "written with a leading ':' (e.g. `occlum fs cp ./in.txt :/root/in.txt`)")
    with _session("cp", key) as s:
        if inside_src:
            _copy_out(s, src, Path(dst), recursive)
        else:
            _copy_in(s, Path(src), dst, recursive)


@fs_group.command("rm")
@click.option("-r", "-R", "--recursive", is_flag=True,
              help="Remove directories and their contents.")
@click.argument("paths", nargs=-1, required=True)
@click.pass_obj
def rm(key: Path | None, recursive: bool, paths: tuple[str, ...]) -> None:
    """Remove PATHS inside the instance.

    A file of the read-only image is hidden (the union file system leaves a
    whiteout in the writable layer); the image itself never changes.
    """
    with _session("rm", key) as s:
        for path in paths:
            try:
                where = s.vfs.resolve_parent(s.vfs.root(), _absolute(path))
                if not where.name:
                    s.error(path, "refusing to remove '/', '.' or '..'")
                    continue
                parent = where.parent.inode
                node = parent.lookup(where.name)
                if node.filetype != FileType.DIRECTORY:
                    if where.trailing_slash:
                        raise KernelError(Errno.ENOTDIR)
                    parent.unlink(where.name)
                elif not recursive:
                    s.error(path, "Is a directory (use -r)")
                else:
                    _remove_tree(s, parent, where.name, where.path)
            except KernelError as e:
                s.error(path, e)


def _remove_tree(s: _Session, parent: Inode, name: str, shown: str) -> None:
    directory = parent.lookup(name)
    for entry in list(directory.entries()):
        child = f"{shown.rstrip('/')}/{entry.name}"
        try:
            if entry.filetype == FileType.DIRECTORY:
                _remove_tree(s, directory, entry.name, child)
            else:
                directory.unlink(entry.name)
        except KernelError as e:
            s.error(child, e)
    parent.rmdir(name)


# -- cp, host -> instance -------------------------------------------------------------------


def _copy_in(s: _Session, src: Path, dst: str, recursive: bool) -> None:
    try:
        st = os.stat(src)
    except OSError as e:
        s.error(str(src), e)
        return
    if host_stat.S_ISDIR(st.st_mode) and not recursive:
        s.error(str(src), "Is a directory (use -r)")
        return
    try:
        parent, name, path = _inside_target(
            s, _absolute(dst[1:]), os.path.basename(os.path.abspath(src)),
            host_stat.S_ISDIR(st.st_mode))
    except KernelError as e:
        s.error(dst, e)
        return
    if name:
        _put(s, parent, name, src, ":" + path, follow=True)
        return
    # No name to give (`occlum fs cp -r / :/`): what the directory holds goes in.
    for entry in sorted(os.scandir(src), key=lambda e: e.name):
        _put(s, parent, entry.name, Path(entry.path), ":" + _join(path, entry.name))


def _inside_target(
    s: _Session, dst: str, src_name: str, src_is_dir: bool
) -> tuple[Inode, str, str]:
    """The directory, name and path that a copy to ``dst`` inside the instance writes."""
    try:
        loc = s.resolve(dst)
    except KernelError as e:
        if e.errno != Errno.ENOENT:
            raise
    else:
        if loc.inode.filetype == FileType.DIRECTORY:
            return loc.inode, src_name, _join(loc.path, src_name) if src_name else loc.path
    where = s.vfs.resolve_parent(s.vfs.root(), dst)
    if where.trailing_slash and not src_is_dir:
        raise KernelError(Errno.ENOTDIR)  # "dir/" names a directory, and there is none
    return where.parent.inode, where.name, where.path


def _join(directory: str, name: str) -> str:
    return directory.rstrip("/") + "/" + name


def _put(
    s: _Session, parent: Inode, name: str, src: Path, shown: str, *, follow: bool = False
) -> None:
    """Copy the host object ``src`` to ``name`` in ``parent`` (a directory inside)."""
    try:
        st = os.stat(src) if follow else os.lstat(src)
    except OSError as e:
        s.error(str(src), e)
        return
    mode = st.st_mode & 0o777
    try:
        existing = lookup_or_none(parent, name)
        if host_stat.S_ISDIR(st.st_mode):
            if existing is None:
                directory = parent.mkdir(name, mode | 0o700)
            elif existing.filetype != FileType.DIRECTORY:
                raise KernelError(Errno.ENOTDIR)
            else:
                directory = existing
            try:
                entries = sorted(os.scandir(src), key=lambda e: e.name)
            except OSError as e:
                s.error(str(src), e)
                entries = []
            for entry in entries:
                _put(s, directory, entry.name, Path(entry.path), _join(shown, entry.name))
            directory.chmod(mode)
            return
        if existing is not None and existing.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EISDIR)
        if host_stat.S_ISLNK(st.st_mode):
            target = os.readlink(src)
            if existing is not None:
                parent.unlink(name)
            parent.symlink(name, target)
            return
        if not host_stat.S_ISREG(st.st_mode):
            s.error(str(src), "not a regular file, directory or symbolic link: skipped")
            return
        with open(src, "rb") as f:
            if existing is None or existing.filetype != FileType.REGULAR_FILE:
                if existing is not None:
                    parent.unlink(name)
                inode = parent.create(name, mode)
            else:
                inode = existing
                inode.truncate(0)
            offset = 0
            while chunk := f.read(CHUNK):
                inode.write(offset, chunk)
                offset += len(chunk)
    except KernelError as e:
        s.error(shown, e)
    except OSError as e:
        s.error(str(src), e)


# -- cp, instance -> host -------------------------------------------------------------------


def _copy_out(s: _Session, src: str, dst: Path, recursive: bool) -> None:
    try:
        loc = s.resolve(src[1:] or "/")
    except KernelError as e:
        s.error(src, e)
        return
    if loc.inode.filetype == FileType.DIRECTORY and not recursive:
        s.error(src, "Is a directory (use -r)")
        return
    name = loc.chain[-1][0]
    target = dst / name if dst.is_dir() and name else dst
    _get(s, loc.inode, target, src)


def _get(s: _Session, inode: Inode, target: Path, shown: str) -> None:
    """Copy ``inode`` (inside the instance) to ``target`` on the host."""
    try:
        st = inode.stat()
        mode = st.mode & 0o777
        if st.filetype == FileType.DIRECTORY:
            if not target.is_dir():
                os.mkdir(target, mode | 0o700)
            for entry in sorted(inode.entries(), key=lambda e: e.name):
                try:
                    child = inode.lookup(entry.name)
                except KernelError as e:
                    s.error(_join(shown, entry.name), e)
                    continue
                _get(s, child, target / entry.name, _join(shown, entry.name))
            os.chmod(target, mode)
            return
        if target.is_dir() and not target.is_symlink():
            raise IsADirectoryError(host_errno.EISDIR, os.strerror(host_errno.EISDIR), str(target))
        if st.filetype == FileType.SYMBOLIC_LINK:
            link = inode.readlink()
            if target.is_symlink() or target.exists():
                target.unlink()
            os.symlink(link, target)
            return
        if st.filetype != FileType.REGULAR_FILE:
            s.error(shown, "not a regular file, directory or symbolic link: skipped")
            return
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        with open(fd, "wb") as f:
            offset = 0
            while chunk := inode.read(offset, CHUNK):
                f.write(chunk)
                offset += len(chunk)
    except KernelError as e:
        s.error(shown, e)
    except OSError as e:
        s.error(e.filename if e.filename else str(target), e)


# -- occlum mount ---------------------------------------------------------------------------


@click.command()
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False), help=_KEY_HELP)
@click.option("--debug", is_flag=True, help="Print every FUSE request (libfuse's -d).")
@click.argument("directory", type=click.Path(path_type=Path))
def mount(key: Path | None, debug: bool, directory: Path) -> None:
    """Serve the instance's root file system at DIRECTORY through FUSE.

    Runs in the foreground until unmounted (`fusermount3 -u DIRECTORY`, or
    Ctrl-C here), then commits what was written to the encrypted writable
    layer. Reads and writes work as on any file system; the instance cannot
    run meanwhile.
    """
    if not directory.is_dir():
        _die("mount", f"{directory}: not a directory (create the mount point first)")
    fuse = _load_fuse()
    if not os.path.exists("/dev/fuse"):
        _die("mount", "/dev/fuse is missing: load the fuse kernel module (`modprobe fuse`) or "
             "give the container the device")
    from pyocclum.cli.mount import RootOperations

    where = str(directory.resolve())
    with open_root("mount", key) as root:
        operations = RootOperations(root, Path.cwd())
        _echo_err(f"Serving {Path.cwd()} at {where}: unmount with `fusermount3 -u {where}` "
                  "(or Ctrl-C) to commit and stop")
        try:
            fuse.FUSE(
                operations, where, foreground=True, nothreads=True, debug=debug,
                fsname="pyocclum", subtype="pyocclum", default_permissions=True,
            )
        except RuntimeError as e:
            code = e.args[0] if e.args and isinstance(e.args[0], int) else 0
            # 8: the loop ended by other means than an unmount: libfuse 3 says so when
            # a signal (Ctrl-C, SIGTERM) stopped it; it has unmounted, as then.
            if code != FUSE_LOOP_ENDED:
                why = FUSE_MAIN_ERRORS.get(code, f"libfuse error {code}")
                _die("mount", f"{where}: {why} (libfuse's message above says more)")
    _echo_err(f"Unmounted {where}; changes committed")


def _load_fuse() -> Any:  # mfusepy has no type information
    """mfusepy, which loads libfuse when imported; a clear message if it cannot."""
    try:
        import mfusepy
    except ImportError as e:
        _die("mount", f"the FUSE binding is missing ({e}): reinstall PyOcclum (`pip install "
             "mfusepy`)")
    except (OSError, AttributeError) as e:
        _die("mount", f"{INSTALL_FUSE} ({e})")
    return mfusepy
