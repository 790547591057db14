"""``sefs``: the writable encrypted file system (DESIGN.md section 4).

Everything lives in one host folder, in four files (the exact format is in
``docs/sefs-format.md``)::

    sefs.super   superblock slot A: an anchor: plaintext header (magic,
                 version, random volume id, key check) + the sealed
                 superblock: generation, nonce reservation, root of the inode
                 table, slot and inode allocation bitmaps, orphan list, the
                 log area; zero padding to 4 KiB
    sefs.super.b superblock slot B, the same; anchors are written to A and B
                 alternately, in place
    sefs.nodes   4 KiB slots; slot ``k`` at offset ``k * 4096``; each used slot
                 holds one node sealed with AES-256-GCM (ciphertext only: the
                 nonce and tag live in the node's parent), or is one of the 32
                 slots of the log area, which hold log records (superblocks
                 of small commits)
    sefs.lock    empty; held with an exclusive ``flock`` while mounted

Every object (regular file, directory, symlink, and the inode table itself)
is a sparse array of 4 KiB plaintext nodes organised as a radix tree: a
*table node* holds 128 entries ``(slot + 1, nonce, tag)`` of the nodes below
it, so the tree is a Merkle tree of GCM tags (as in Intel SGX's protected
files). An object's root entry is in its inode record; records are the
content of the inode table, whose root entry is in the sealed superblock. So
one chain of MACs leads from the superblock to every byte: swapping nodes or
files, or putting back an old copy of one file, fails authentication (EIO);
a whole-folder rollback cannot be detected without a monotonic counter, which
SIM mode lacks.

Crash safety is shadow paging: a slot that the last commit (or the current
state) refers to is never overwritten; a node's new version always goes to a
free slot, and slots the last commit uses are reused only after the next
commit is durable. A commit writes dirty nodes, then the table nodes above
them, then the inode records, then a superblock with the next generation. A
small commit (at most 64 new slots) writes it as a *log record* into the next
slot of the log area, listing its new slots and their SHA-256, and makes
nodes and record durable with one ``fdatasync`` of the node file; the mount
uses the last record after the newest anchor whose listed slots check out
(a crash can persist a record without some of its nodes). Other commits, and
every 33rd, ``fdatasync`` the node file and write an *anchor* in place over
the slot file that does not hold the newest one, then ``fdatasync`` it; a
torn anchor fails authentication and the mount uses the other (the valid one
with the highest generation). So the host can roll the whole volume back by
a few commits (damaging the newest superblock, or a node its record lists,
looks like a crash), as it can to any older copy of the folder; never part
of it.
:meth:`SeFs.sync` commits the whole file system; :meth:`Inode.sync` commits
it if that object has uncommitted changes and does nothing otherwise;
:meth:`SeFs.close` commits and unlocks (a volume dropped without ``close``
loses what was not synced, as in a crash). A volume of version 1 (one
superblock replaced by ``rename``) or 2 (anchors only) is converted at mount.

Nonces are a 96-bit counter under a per-volume key (HKDF of the user key and
the random volume id); a range is reserved in a durable superblock before it
is used, and each mount starts at a random distance past the last reservation.

Sealing and opening: runs of data nodes read together (a read of 2 nodes or
more) and batches of nodes written together are decrypted or encrypted in
one native call each (``aead.SefsGcm``: libgcrypt's or OpenSSL's AES-GCM on every CPU,
without the GIL; a run is read with one ``pread`` per share of consecutive
slots, straight into the ``bytes`` returned when the read covers whole
nodes none of which is cached). A node that fails authentication fails the
whole read (EIO): nothing is returned. Single nodes, and everything when the
native library is unavailable or ``$PYOCCLUM_NATIVE=0``, use
``cryptography``'s AESGCM node by node. Both give the same bytes on disk.

Read-ahead: from the second sequential read of a file in a row, the run of
nodes after it (at least 1 MiB, at least the reader's call) is handed to the
native library's worker threads (``SefsGcm.open_begin``), which read and
decrypt it while the reader is away; the next read finishes it, helping
with what is left. A write, truncation or non-sequential read drops it, and
a run that fails is read again the ordinary way, which reports the error.
Sequential reads also read level-1 table nodes 16 at a time.

Locking: one ``threading.RLock`` per file system guards everything (including
reads, which fill the node cache). Decrypted nodes are kept in an LRU bounded
by ``cache_size`` bytes, with write-back of dirty nodes on eviction and sync.
Level-1 table nodes (1/128 of the data they map) have a bound of their own,
an eighth of that many nodes (at least 64): clean ones beyond it are dropped,
least recently used objects first, and read again when needed; dirty ones,
and the few tables above level 1, stay until committed.

The package has one module per layer, each saying what it owns: ``ondisk``
(the format), ``store`` (the node store and cache), ``tree`` (each object's
tree and content), ``inodes`` (objects, directories, the handles) and
``volume`` (``SeFs``, the superblock, commits).
"""

from pyocclum.fs.sefs.inodes import SeDir, SeFile, SeSymlink
from pyocclum.fs.sefs.inodes import SeSocket as SeSocket
from pyocclum.fs.sefs.ondisk import (
    DEFAULT_CACHE_SIZE,
    LOCK_NAME,
    NODE_SIZE,
    NODES_NAME,
    SUPER_NAME,
)
from pyocclum.fs.sefs.ondisk import SUPER_B_NAME as SUPER_B_NAME
from pyocclum.fs.sefs.volume import SeFs
from pyocclum.fs.types import MAX_FILE_SIZE

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "LOCK_NAME",
    "MAX_FILE_SIZE",
    "NODES_NAME",
    "NODE_SIZE",
    "SUPER_NAME",
    "SeDir",
    "SeFile",
    "SeFs",
    "SeSymlink",
]
