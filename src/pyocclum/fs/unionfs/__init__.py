"""A union file system: one writable upper layer over read-only lower layers.

This is what ``/`` is (DESIGN.md section 4): the upper layer takes every
change (ramfs now, the encrypted sefs later) and the lower layers are the
measured program image, as in Occlum's default root. The semantics follow
Linux overlayfs; the markers are those of aufs and OCI image layers:

* **Lookup** walks the layers top-most first. The first layer that has the
  name decides what it is; directories found in several layers merge, a
  non-directory hides everything below it.
* **Whiteouts** hide a lower entry: an empty regular file ``.wh.<name>`` in
  the same directory of a higher layer. A name too long for the prefix to fit
  in 255 bytes gets ``.wh..wh.h.<sha256 hex of the name>`` instead.
* **Opaque directories** hide everything below them: the directory contains
  an empty regular file ``.wh..wh..opq``. ``mkdir`` over a whiteout makes one.
* Markers are kept with the ordinary :class:`~pyocclum.fs.types.Inode`
  interface (no extended attributes), so any writable file system can be the
  upper layer. Every name starting with ``.wh.`` is reserved: it never shows
  in a listing, and looking it up, creating, linking, renaming or removing it
  fails with ``EPERM`` (aufs does the same). Lower layers are read with the
  same rules, so a layer may itself be an exported upper layer; a file in the
  image whose name starts with ``.wh.`` is therefore never visible.
* **Copy-up** is lazy: opening or reading a lower file never copies. The
  first change (write, truncate, allocate, set_times, chmod, being linked or
  renamed) copies the object into the upper layer, after copying up its
  parent directories (modes and times kept). Regular files are copied into a
  work directory (``/.wh..wh.work`` of the upper layer) and renamed into
  place, so a crash never leaves a half-copied file hiding the lower one; the
  work directory is emptied when the union is constructed. Copying up does
  not change the parent directory's times (it is not a visible change).
* **Removal** of a name that exists in a lower layer leaves a whiteout (made
  before the upper entry goes, so no crash can make the lower entry reappear).
  ``rmdir`` needs the *merged* directory to be empty.
* **Rename** of files and symlinks copies up and renames in the upper layer,
  leaving a whiteout at the old name if a lower layer has it. A directory that
  exists only in the upper layer (or is opaque) is renamed plainly (and made
  opaque if a lower layer has a directory at the new name). Renaming a
  directory that has lower layer content fails with ``EXDEV``, as overlayfs
  does without ``redirect_dir``: ``mv`` and friends then copy and delete.

The inodes the union hands out are one object per path while anyone holds
them (a weak cache per directory), and a copied-up inode forwards to its
upper copy, so an open file description made before a copy-up keeps working
and sees the new data. The union itself holds the last ``_RECENT`` objects it
looked up (a ring, like Linux's dentry cache), so a path walked again and again
(``open`` of the same file by a server) finds them in the per-directory cache
instead of asking every layer each time; an object that loses its name leaves
the ring at once (an unlinked file's storage is freed on its last close, as
before). This changes no answer: a cached object is the one a holder would see.

Inode numbers: an object from layer ``i`` (0 = upper, 1.. = lowers) with
layer inode number ``n`` is ``i << 56 | n`` (overlayfs's ``xino`` scheme), so
upper-only objects keep the upper layer's numbers. A copied-up object keeps
the number it had in its lower layer for as long as this ``UnionFs`` lives
(an in-memory map, bounded by the number of lower objects ever copied up);
after a remount it reports the upper number. Exception: a lower regular file
with several hard links gets its upper number at copy-up, because its other
lower names still refer to the lower file (overlayfs without ``index`` breaks
such links the same way). Directories keep their numbers across copy-up,
which the VFS relies on for mount points. ``dev`` is the union's own.

Never written: the lower layers. Thread safety: one re-entrant lock per
union serializes lookups and every change; reads and writes of objects that
are already in the upper layer do not take it.

The package: ``markers`` (reserved names, whiteouts, opaque markers),
``copyup`` (the work directory and crash-safe copies), ``union`` (the file
system object: layers, inode numbers, lookups), ``inode`` (the merged objects
the guest uses).
"""

from pyocclum.fs.unionfs.markers import OPAQUE_NAME, RESERVED_PREFIX, WORK_DIR_NAME, whiteout_name
from pyocclum.fs.unionfs.union import UnionFs

__all__ = ["OPAQUE_NAME", "RESERVED_PREFIX", "WORK_DIR_NAME", "UnionFs", "whiteout_name"]
