"""Opening a path as an open file description: WASI's ``path_open`` and the
``occlum`` opens share it (a part of :class:`~pyocclum.syscalls.wasi.WasiSyscalls`)."""

from __future__ import annotations

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import RIGHTS_ALL, RIGHTS_STREAM, FileType, OFlags, Rights
from pyocclum.errors import KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import check_name
from pyocclum.fs.vfs import MAX_SYMLINKS, Location, ParentLocation, Vfs
from pyocclum.kernel.fdtable import FdTable
from pyocclum.syscalls.wasi_paths import Walker

# Plain ints: every open tests these, and an enum.Flag operation costs a microsecond.
_RIGHTS_STREAM = int(RIGHTS_STREAM)
_SEEKABLE_DEVICE_RIGHTS = int(RIGHTS_STREAM | Rights.FD_SEEK | Rights.FD_TELL)
_NOT_READABLE = ~int(Rights.FD_READ | Rights.FD_READDIR)
_NOT_WRITABLE = ~int(Rights.FD_WRITE)
_CREAT = int(OFlags.CREAT)
_DIRECTORY = int(OFlags.DIRECTORY)
_EXCL = int(OFlags.EXCL)
_TRUNC = int(OFlags.TRUNC)
#: Rights a directory never has (wasmtime): it cannot be sought or resized.
_NOT_DIRECTORY_RIGHTS = int(
    Rights.FD_SEEK | Rights.FD_FILESTAT_SET_SIZE | Rights.PATH_FILESTAT_SET_SIZE
)


class OpenFiles:
    """:meth:`open_file`, on the kernel's VFS."""

    vfs: Vfs

    def open_file(
        self,
        fds: FdTable,
        start: Location,
        path: str,
        *,
        follow: bool,
        oflags: int,
        readable: bool,
        writable: bool,
        fdflags: int = 0,
        mode: int = 0o644,
        rights_inheriting: int | None = None,
        walk: Walker | None = None,
    ) -> OpenFile:
        """Open ``path`` (relative to ``start``) as a new open file description.

        ``oflags`` are WASI's (CREAT, DIRECTORY, EXCL, TRUNC); ``/dev/stdin``-like
        aliases give a new reference to that fd of ``fds``. The description's
        rights follow from the mode; its inheriting rights are ``rights_inheriting``,
        or the base rights if None (as wasmtime reports them). ``walk`` resolves
        the path: the VFS's POSIX walk by default, :class:`Beneath` for WASI.
        """
        walker: Walker = self.vfs if walk is None else walk
        want_dir = bool(oflags & _DIRECTORY)
        parent = walker.resolve_parent(start, path)
        loc: Location | None = None
        created = False
        if oflags & _CREAT and (parent.trailing_slash or not parent.name):
            # Linux and wasmtime: O_CREAT of a name ending in "/" is EISDIR, whatever
            # is there; of "." or "..", EEXIST with O_EXCL, else EISDIR.
            if not parent.name and oflags & _EXCL and parent.last in (".", ".."):
                raise KernelError(Errno.EEXIST, f"{path} exists")
            raise KernelError(Errno.EISDIR, f"{path}: cannot create a directory with open")
        if not parent.name:
            loc = parent.parent
        else:
            try:
                loc = walker.resolve(parent.parent, parent.name, follow=False)
            except KernelError as e:
                if e.errno != Errno.ENOENT or not oflags & _CREAT:
                    raise
            if loc is not None and oflags & _CREAT and oflags & _EXCL:
                raise KernelError(Errno.EEXIST, f"{path} exists")
            if (
                loc is not None
                and loc.inode.filetype == FileType.SYMBOLIC_LINK
                and loc.inode.alias_fd is None
            ):
                if not follow:
                    raise KernelError(Errno.ELOOP, f"{path} is a symbolic link")
                if oflags & _CREAT:
                    parent, loc = self._follow_for_create(walker, parent)
                else:
                    loc = walker.resolve(parent.parent, parent.name, follow=True)
            if loc is None:
                if parent.trailing_slash or want_dir:
                    raise KernelError(Errno.EISDIR, "cannot create a directory with open")
                check_name(parent.name)
                inode = parent.parent.inode.create(parent.name, mode)
                loc = Location((*parent.parent.chain, (parent.name, inode)))
                created = True
        inode = loc.inode
        if inode.alias_fd is not None:
            # /dev/stdin, /proc/self/fd/N: a new reference to the process's own fd.
            return fds.get(inode.alias_fd).acquire()
        st = inode.stat()
        is_dir = st.filetype == FileType.DIRECTORY
        if (want_dir or parent.trailing_slash) and not is_dir:
            raise KernelError(Errno.ENOTDIR, f"{path} is not a directory")
        if is_dir and (writable or oflags & (_TRUNC | _CREAT)):
            raise KernelError(Errno.EISDIR, f"{path} is a directory")
        if st.filetype in (FileType.SOCKET_STREAM, FileType.SOCKET_DGRAM):
            # A socket node is reached with connect(), never opened (Linux: ENXIO).
            raise KernelError(Errno.ENXIO, f"{path} is a socket")
        if oflags & _TRUNC and not created and st.filetype == FileType.REGULAR_FILE:
            inode.truncate(0)
        stream = inode.open_stream()
        # Rights as wasmtime reports them: everything the open mode allows (a
        # directory is never sought or resized); rights are not access control here.
        base: int
        if stream is not None:
            base = _RIGHTS_STREAM if stream.isatty() else _SEEKABLE_DEVICE_RIGHTS
        else:
            base = RIGHTS_ALL & ~_NOT_DIRECTORY_RIGHTS if is_dir else RIGHTS_ALL
        if not readable and not is_dir:  # a directory is always readable
            base &= _NOT_READABLE
        if not writable:
            base &= _NOT_WRITABLE
        return OpenFile(
            inode=inode,
            stream=stream,
            path=loc.path,
            filetype=st.filetype,
            readable=readable,
            writable=writable,
            fdflags=fdflags,
            rights_base=base,
            rights_inheriting=base if rights_inheriting is None else rights_inheriting,
        )

    @staticmethod
    def _follow_for_create(
        walker: Walker, parent: ParentLocation
    ) -> tuple[ParentLocation, Location | None]:
        """O_CREAT through symlinks: Linux creates a dangling link's target.

        Returns where the final target is (or is to be created) and, if it
        exists, its location.
        """
        for _ in range(MAX_SYMLINKS):
            link = walker.resolve(parent.parent, parent.name, follow=False)
            if link.inode.filetype != FileType.SYMBOLIC_LINK:
                return parent, link
            target = link.inode.readlink()
            if not target:
                raise KernelError(Errno.ENOENT, "empty symlink")
            parent = walker.resolve_parent(parent.parent, target)
            if not parent.name:
                return parent, parent.parent
            try:
                walker.resolve(parent.parent, parent.name, follow=False)
            except KernelError as e:
                if e.errno != Errno.ENOENT:
                    raise
                return parent, None
        raise KernelError(Errno.ELOOP, "too many levels of symbolic links")
