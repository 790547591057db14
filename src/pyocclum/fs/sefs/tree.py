"""sefs's per-file tree: ``_Tree``, the layer of ``SeFs`` above the node store,
handles each object's radix tree of nodes (finding and loading table nodes,
growing, shrinking and trimming the tree, freeing it) and the content it maps:
reads (batched, native when it can, with read-ahead: ``_Ahead``), writes
(through the cache, or streamed past it), truncation and the flush of dirty
nodes bottom-up at commit."""

from __future__ import annotations

import os
import weakref

from pyocclum.crypto.aead import InvalidTag
from pyocclum.errors import KernelError
from pyocclum.fs.sefs.ondisk import (
    _AHEAD_MAX,
    _AHEAD_MIN,
    _AHEAD_RUNS,
    _BATCH,
    _CACHE_FILE_SHARE,
    _CACHE_RUN,
    _ENT,
    _ENTRY,
    _FANOUT,
    _FSHIFT,
    _HOLE,
    _LEVEL0,
    _LEVEL_BYTE,
    _SHIFT,
    _STREAM_MIN,
    _TABLE_RUN,
    _TAG,
    _ZERO4,
    _ZERO_ENT,
    _ZERO_PAGE,
    NODE_SIZE,
    _nnodes,
)
from pyocclum.fs.sefs.store import _Core, _Store
from pyocclum.native import aead


class _Ahead:
    """A read-ahead: data nodes ``a .. b`` of one file, read and decrypted by
    the native library's worker threads, from a snapshot of their entries,
    while the reader is away (``SefsGcm.open_begin``). :meth:`result` finishes
    it (the caller helps with what is left) and gives their plaintext, or None
    if that failed. One dropped unfinished is finished when it is collected:
    its buffers stay alive until the workers are done with them."""

    __slots__ = ("__weakref__", "_end", "_out", "a", "b", "finished")

    def __init__(self, gcm: aead.SefsGcm, fd: int, key: bytes, prefix: bytes, a: int,
                 b: int, ents: bytes) -> None:
        self.a = a
        self.b = b
        self.finished = False
        self._out: bytes | None = None
        n = b - a
        out, addr = gcm.new_bytes(n << _SHIFT)
        keep = bytearray(0 if gcm.in_place else n << _SHIFT)
        handle = gcm.open_begin(fd, key, prefix, a, n, ents, gcm.addr(keep) if keep else addr,
                                addr)
        self._end = weakref.finalize(self, _end_ahead, gcm, handle, n, out, os.getpid(),
                                     (keep, key, prefix, ents))

    def result(self) -> bytes | None:
        if not self.finished:
            self._out = self._end()
            self.finished = True
        return self._out


def _end_ahead(gcm: aead.SefsGcm, handle: int, n: int, out: bytes, pid: int,
               keepalive: tuple[object, ...]) -> bytes | None:
    if os.getpid() != pid:
        # A forked child (at its exit, say) has none of the parent's workers: what
        # they were doing would never finish. The run is left alone.
        return None
    try:
        got, _ = gcm.open_end(handle)
    except OSError:
        return None  # the reader reads these nodes itself, and reports the error
    return out if got == n else None



class _Tree(_Store):
    """The per-object trees and content of one volume (see the module)."""

    # -- the tree ------------------------------------------------------------------------
    def _entry_ref(
        self, c: _Core, level: int, m: int, create: bool,
    ) -> tuple[bytearray, int] | None:
        """Where the entry of node ``(level, m)`` lives: the root, or a slice of its
        parent table (loaded; created as a hole if ``create``)."""
        if level == c.height:
            return c.root, 0
        t = self._table(c, level + 1, m >> _FSHIFT, create)
        if t is None:
            return None
        return t, (m & (_FANOUT - 1)) << 5

    def _table(self, c: _Core, level: int, j: int, create: bool) -> bytearray | None:
        t = c.levels[level].get(j)
        if t is not None:
            return t
        ref = self._entry_ref(c, level, j, create)
        if ref is None:
            return None
        holder, off = ref
        if holder[off : off + 4] == _ZERO4:
            if not create:
                return None
            t = bytearray(NODE_SIZE)
        else:
            t = self._load(c, level, j, holder, off)
        c.levels[level][j] = t
        if level == 1:
            self._ntables += 1
        return t

    def _next_data(self, c: _Core, idx: int) -> int | None:
        """The first data node at or after ``idx`` that is dirty or has an entry
        (holes have none): None if there is none. Visits only the tables on the
        way to it (a hole in a table skips all it maps), so a huge sparse file
        costs what its data costs."""
        dirty = min((m for m in c.dirty if m >= idx), default=None)
        if c.height == 0:
            stored = 0 if idx == 0 and (c.root[:4] != _ZERO4 or 0 in c.pages) else None
        else:
            stored = self._first_below(c, c.height, 0, idx)
        if stored is None or (dirty is not None and dirty < stored):
            return dirty
        return stored

    def _first_below(self, c: _Core, level: int, j: int, idx: int) -> int | None:
        """``_next_data`` within table node ``(level, j)`` (level >= 1)."""
        t = self._table(c, level, j, False)
        if t is None:
            return None
        below = level - 1
        span = 1 << (_FSHIFT * below)  # data nodes each entry maps
        base = j << _FSHIFT
        tables = c.levels[below] if below else None
        for e in range(max(0, idx // span - base), _FANOUT):
            child = base + e
            off = e << 5
            if t[off : off + 4] == _ZERO4 and (tables is None or child not in tables):
                continue
            if below == 0:
                return child
            found = self._first_below(c, below, child, idx)
            if found is not None:
                return found
        return None

    def _shed_tables(self) -> None:
        """Forget clean level-1 table nodes of objects of height 2 or more (their
        parents stay), least recently used objects first, down to 3/4 of the
        bound; they are read again when needed. Dirty ones stay."""
        cores = [c for c in self._cores.values() if c.height >= 2]
        total = sum(len(c.levels[1]) for c in cores)
        goal = self._max_tables - (self._max_tables >> 2)
        for c in cores:
            if total <= goal:
                break
            tables = c.levels[1]
            dirty = c.dirty_levels[1]
            for j in [j for j in tables if j not in dirty][: total - goal]:
                del tables[j]
                total -= 1
        # Counting walks the objects: when what stays is mostly dirty, the next
        # count waits until a bound's worth more have been loaded.
        self._ntables = total if total <= self._max_tables else 0

    def _grow(self, c: _Core, nn: int) -> None:
        """Add levels until the tree can hold ``nn`` data nodes."""
        while (1 << (_FSHIFT * c.height)) < nn:
            h = c.height
            need_top = c.root[:4] != _ZERO4 or (h >= 1 and 0 in c.levels[h])
            c.levels.append({})
            c.dirty_levels.append(set())
            if need_top:
                t = bytearray(NODE_SIZE)
                t[:_ENTRY] = c.root
                c.levels[h + 1][0] = t
                c.dirty_levels[h + 1].add(0)
            c.root[:] = _ZERO_ENT
            c.height = h + 1
            self._dirty.add(c.ino)

    def _shrink(self, c: _Core, nn: int) -> None:
        """Drop levels the tree no longer needs for ``nn`` data nodes (nodes at and
        past ``nn`` already freed)."""
        while c.height > 0 and (1 << (_FSHIFT * (c.height - 1))) >= nn:
            h = c.height
            t = self._table(c, h, 0, False)
            child = bytes(t[:_ENTRY]) if t is not None else _ZERO_ENT
            self._release_entry(c.root, 0)
            c.root[:] = child
            c.levels.pop()
            c.dirty_levels.pop()
            c.height = h - 1  # a dirty new top is flushed into the root at commit
            self._dirty.add(c.ino)

    def _trim(self, c: _Core, level: int, j: int, lo: int) -> None:
        """Free every data node with index >= ``lo`` below table node ``(level, j)``
        (the tables on the path to ``lo`` are in memory: see ``_cut``)."""
        t = self._table(c, level, j, False)
        if t is None:
            return
        s = _FSHIFT * (level - 1)  # each child spans 1 << s data nodes
        rel = lo - (j << (_FSHIFT * level))
        k0 = 0
        if rel > 0:
            k0 = ((rel - 1) >> s) + 1
            if level > 1 and rel & ((1 << s) - 1):
                self._trim(c, level - 1, (j << _FSHIFT) + (rel >> s), lo)
        if level == 1:  # the data nodes' entries: all at once
            if k0 < _FANOUT and self._release_slots(t, k0, _FANOUT):
                t[k0 << 5 :] = bytes((_FANOUT - k0) << 5)
                c.dirty_levels[1].add(j)
                self._dirty.add(c.ino)
            return
        below = c.levels[level - 1]
        changed = False
        for k in range(k0, _FANOUT):
            o = k << 5
            m = (j << _FSHIFT) + k
            present = t[o : o + 4] != _ZERO4
            if present or m in below:
                self._free_subtree(c, level - 1, m, bytes(t[o : o + _ENTRY]))
                if present:
                    t[o : o + _ENTRY] = _ZERO_ENT
                    changed = True
        if changed:
            c.dirty_levels[level].add(j)
            self._dirty.add(c.ino)

    def _free_subtree(self, c: _Core, level: int, m: int, ent: bytes) -> None:
        """Release node ``(level, m)`` (entry ``ent``) and everything below it."""
        if level > 0:
            t = c.levels[level].pop(m, None)
            c.dirty_levels[level].discard(m)
            if t is None and ent[:4] != _ZERO4:
                try:
                    t = self._load(c, level, m, ent, 0)
                except KernelError:
                    t = None  # tampered: what it points to is lost anyway (leaked)
            if t is not None and level == 1:
                self._release_slots(t, 0, _FANOUT)
            elif t is not None:
                below = c.levels[level - 1]
                for k in range(_FANOUT):
                    o = k << 5
                    cm = (m << _FSHIFT) + k
                    if t[o : o + 4] != _ZERO4 or cm in below:
                        self._free_subtree(c, level - 1, cm, bytes(t[o : o + _ENTRY]))
        self._release_entry(ent, 0)

    def _free_storage(self, c: _Core) -> None:
        if c.ahead:
            self._drop_ahead(c)
        self._drop_pages(c, 0, None)
        if c.height:
            self._free_subtree(c, c.height, 0, bytes(c.root))
        else:
            self._release_entry(c.root, 0)
        c.root[:] = _ZERO_ENT
        c.height = 0
        c.levels = [{}]
        c.dirty_levels = [set()]
        c.size = 0

    # -- object content ------------------------------------------------------------------
    def _read(self, c: _Core, offset: int, size: int) -> bytes:
        end = min(offset + size, c.size)
        if end <= offset:
            return b""
        first = offset >> _SHIFT
        last = (end - 1) >> _SHIFT
        lo = offset & (NODE_SIZE - 1)
        n = end - offset
        if first == last:
            p = self._page(c, first)
            if p is None:
                return bytes(n)
            return bytes(p[lo : lo + n])
        if last - first < _BATCH:
            return self._read_window(c, first, last, lo, n)
        parts = []
        pos = offset
        while pos < end:
            wf = pos >> _SHIFT
            wl = min(wf + _BATCH - 1, last)
            wend = min(end, (wl + 1) << _SHIFT)
            parts.append(self._read_window(c, wf, wl, pos & (NODE_SIZE - 1), wend - pos))
            pos = wend
        return b"".join(parts)

    def _read_window(self, c: _Core, first: int, last: int, lo: int, n: int) -> bytes:
        """``n`` bytes from ``lo`` in data nodes ``first..last`` (at most a batch),
        assembled in the output scratch buffer (one allocation per call: the result;
        two large short-lived ones per call make glibc return and refault memory)."""
        ov = memoryview(self._obuf)
        pages = c.pages
        missing: list[int] = []
        if pages:
            lru = self._lru
            ino = c.ino
            for idx in range(first, last + 1):
                p = pages.get(idx)
                if p is None:
                    missing.append(idx)
                else:
                    o = (idx - first) << _SHIFT
                    ov[o : o + NODE_SIZE] = p
                    lru.move_to_end((ino, idx))
        else:
            missing = list(range(first, last + 1))
        gcm = self._gcm
        if missing:
            keep = (len(missing) <= _CACHE_RUN
                    or (c.size >> _SHIFT) < self._max_pages // _CACHE_FILE_SHARE)
            if gcm is None:
                self._fetch(c, missing, ov, first, keep)
            elif lo == 0 and len(missing) == last + 1 - first and n == len(missing) << _SHIFT:
                # Whole nodes, none cached: decrypted straight into the result.
                out, addr = gcm.new_bytes(n)
                self._fetch_native(c, missing, memoryview(out), addr, first, keep)
                return out
            else:
                self._fetch_native(c, missing, ov, self._addrs[2], first, keep)
        return ov[lo : lo + n].tobytes()

    # -- read-ahead ----------------------------------------------------------------------
    def _read_file(self, c: _Core, offset: int, size: int) -> bytes:
        """``_read`` of a regular file, with read-ahead: from the second sequential
        read in a row on, the next nodes are read and decrypted by the native
        library's workers while the reader is away (one run per file in flight).
        Whatever changes the file drops its read-ahead; a run that fails is
        dropped and its nodes read again here (which reports the error)."""
        end = min(offset + size, c.size)
        if end <= offset:
            return b""
        if offset != c.ra_next:
            c.ra_next = end
            c.ra_streak = 0
            if c.ahead:
                self._drop_ahead(c)
            return self._read(c, offset, size)
        c.ra_next = end
        c.ra_streak += 1
        first = offset >> _SHIFT
        last = (end - 1) >> _SHIFT
        data = self._from_ahead(c, first, last, offset, end) if c.ahead else None
        if data is None:
            data = self._read(c, offset, size)
        span = last + 1 - first
        if c.ra_streak >= 2 and self._gcm is not None and span <= _AHEAD_MAX and not c.dirty:
            self._read_ahead(c, end >> _SHIFT, max(span, _AHEAD_MIN))
        return data

    def _drop_ahead(self, c: _Core) -> None:
        ahead = c.ahead
        while ahead:
            ahead.popleft().result()  # the workers must be done with the fd and buffers

    def _from_ahead(self, c: _Core, first: int, last: int, offset: int, end: int) -> bytes | None:
        """Bytes ``offset .. end`` (data nodes ``first .. last``) from the runs
        read ahead (finishing them); None unless they cover it all."""
        ahead = c.ahead
        while ahead and ahead[0].b <= first:
            ahead.popleft().result()
        if not ahead or ahead[0].a > first or ahead[-1].b <= last:
            return None
        parts: list[memoryview] = []
        for job in ahead:
            out = job.result()
            if out is None:
                self._drop_ahead(c)
                return None
            base = job.a << _SHIFT
            lo = max(offset, base) - base
            hi = min(end, job.b << _SHIFT) - base
            if not parts and job.b > last and lo == 0 and hi == len(out):
                return out  # exactly one run: no copy
            parts.append(memoryview(out)[lo:hi])
            if job.b > last:
                break
        return b"".join(parts)

    def _read_ahead(self, c: _Core, nxt: int, window: int) -> None:
        """Start reading ``window`` nodes ahead once the reader (now before node
        ``nxt``) is past the middle of the last run, if none is in flight."""
        ahead = c.ahead
        if ahead:
            last = ahead[-1]
            if not last.finished or nxt < (last.a + last.b) >> 1 or len(ahead) >= _AHEAD_RUNS:
                return
            start = last.b
        else:
            start = nxt
        stop = min(start + window, _nnodes(c.size))
        if start >= stop:
            return
        try:
            ents = bytes(self._entries(c, start, stop - start))
        except KernelError:
            return  # a bad table node: the reader meets it itself
        gcm = self._gcm
        assert gcm is not None
        try:
            job = _Ahead(gcm, self._fds.nodes, self._node_key, c.aad + _LEVEL0, start, stop, ents)
        except MemoryError:
            return  # no read-ahead this time
        ahead.append(job)

    def _entries(self, c: _Core, a: int, cnt: int, level: int = 0) -> bytes | bytearray:
        """The entries of nodes ``a .. a + cnt`` of ``level`` (holes: zeros),
        concatenated. Level-1 tables missing on the way are read in runs."""
        if level == c.height:
            return bytes(c.root) + bytes((cnt - 1) * _ENTRY)
        tables = c.levels[level + 1]
        parts = []
        idx = a
        end = a + cnt
        while idx < end:
            j = idx >> _FSHIFT
            stop = min(end, (j + 1) << _FSHIFT)
            t = tables.get(j)
            if t is None:
                if level == 0 and c.height >= 2 and self._gcm is not None:
                    self._load_tables(c, j)
                    t = tables.get(j)
                if t is None:
                    t = self._table(c, level + 1, j, False)
            o = (idx & (_FANOUT - 1)) << 5
            parts.append(t[o : o + ((stop - idx) << 5)] if t is not None
                         else bytes((stop - idx) << 5))
            idx = stop
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _load_tables(self, c: _Core, j: int) -> None:
        """Read level-1 table node ``j`` and the missing ones after it (up to
        ``_TABLE_RUN``) in one native call; tables that fail, and the ones after,
        are left for ``_table`` (which reports the failure)."""
        tables = c.levels[1]
        stop = min(j + _TABLE_RUN, (_nnodes(c.size) + _FANOUT - 1) >> _FSHIFT)
        k = j
        while k < stop and k not in tables:
            k += 1
        n = k - j
        if n < 2:
            return
        gcm = self._gcm
        assert gcm is not None
        ents = bytes(self._entries(c, j, n, 1))
        out, addr = gcm.new_bytes(n << _SHIFT)
        try:
            got, _ = gcm.open(self._fds.nodes, self._node_key, c.aad + _LEVEL_BYTE[1], j, n, ents,
                              addr, addr) if gcm.in_place else (0, 0)
        except OSError:
            return
        view = memoryview(out)
        for i in range(got):
            if ents[i << 5 : (i << 5) + 4] != _ZERO4:
                tables[j + i] = bytearray(view[i << _SHIFT : (i + 1) << _SHIFT])
                self._ntables += 1

    def _fetch_native(self, c: _Core, idxs: list[int], ov: memoryview, oaddr: int, first: int,
                      keep: bool) -> None:
        """``_fetch`` with one native call per run of consecutive nodes (``oaddr``:
        the address of ``ov``)."""
        gcm = self._gcm
        assert gcm is not None
        raddr = self._addrs[1]
        prefix = c.aad + _LEVEL_BYTE[0]
        fd = self._fds.nodes
        key = self._node_key
        n = len(idxs)
        i = 0
        contiguous = idxs[-1] - idxs[0] == n - 1  # sorted: one run (the usual case)
        while i < n:
            a = idxs[i]
            j = n if contiguous else i + 1
            while j < n and idxs[j] == idxs[j - 1] + 1:
                j += 1
            cnt = j - i
            ents = bytes(self._entries(c, a, cnt))
            dst = oaddr + ((a - first) << _SHIFT)
            try:  # libgcrypt and OpenSSL decrypt in place: no scratch copy
                got, why = gcm.open(fd, key, prefix, a, cnt, ents,
                                    dst if gcm.in_place else raddr, dst)
            except OSError as e:
                raise self._io_error(e, "reading nodes") from e
            if got != cnt:
                raise self._corrupt(c, 0, a + got, "fails authentication" if why
                                    else "is missing (node file too short)")
            if keep:
                for idx in range(a, a + cnt):
                    d = (idx - first) << _SHIFT
                    self._cache_put(c, idx, ov[d : d + NODE_SIZE].tobytes())
            i = j

    def _fetch(self, c: _Core, idxs: list[int], ov: memoryview, first: int, keep: bool) -> None:
        """Read and authenticate data nodes ``idxs`` into ``ov`` (node ``first`` at 0);
        holes are zeroed. ``keep`` also puts them in the cache."""
        ents: list[tuple[int, int, bytes, bytes]] = []
        unpack = _ENT.unpack_from
        levels1 = c.levels[1] if c.height else None
        for idx in idxs:
            if levels1 is None:
                holder: bytearray | None = c.root
                off = 0
            else:
                holder = levels1.get(idx >> _FSHIFT)
                if holder is None:
                    holder = self._table(c, 1, idx >> _FSHIFT, False)
                off = (idx & (_FANOUT - 1)) << 5
            slot1, nonce, tag = unpack(holder, off) if holder is not None else _HOLE
            if slot1:
                ents.append((idx, slot1 - 1, nonce, tag))
            else:
                d = (idx - first) << _SHIFT
                ov[d : d + NODE_SIZE] = _ZERO_PAGE
        rv = memoryview(self._rbuf)
        decrypt = self._aes.decrypt_into
        pre = c.aad + _LEVEL_BYTE[0]
        fd = self._fds.nodes
        i = 0
        n = len(ents)
        while i < n:
            j = i + 1
            while j < n and j - i < _BATCH and ents[j][1] == ents[j - 1][1] + 1:
                j += 1
            cnt = j - i
            try:
                got = os.preadv(fd, [rv[: cnt << _SHIFT]], ents[i][1] << _SHIFT)
            except OSError as e:
                raise self._io_error(e, "reading nodes") from e
            if got != cnt << _SHIFT:
                bad = ents[i + (got >> _SHIFT)][0]
                raise self._corrupt(c, 0, bad, "is missing (node file too short)")
            # Last node first: each tag goes where the next node's ciphertext began.
            for r in range(cnt - 1, -1, -1):
                idx, _, nonce, tag = ents[i + r]
                o = r << _SHIFT
                rv[o + NODE_SIZE : o + NODE_SIZE + _TAG] = tag
                d = (idx - first) << _SHIFT
                try:
                    decrypt(nonce, rv[o : o + NODE_SIZE + _TAG], pre + idx.to_bytes(8, "little"),
                            ov[d : d + NODE_SIZE])
                except InvalidTag:
                    raise self._corrupt(c, 0, idx, "fails authentication") from None
                if keep:
                    self._cache_put(c, idx, ov[d : d + NODE_SIZE].tobytes())
            i = j

    def _write(self, c: _Core, offset: int, data: bytes | bytearray | memoryview) -> None:
        if c.ahead:
            self._drop_ahead(c)
        mv = memoryview(data)
        if mv.format != "B" or mv.ndim != 1 or not mv.c_contiguous:
            mv = memoryview(mv.tobytes())
        n = len(mv)
        if n == 0:
            return
        end = offset + n
        if end <= c.size:
            self._write_nodes(c, offset, mv)
            return
        self._grow(c, _nnodes(end))
        try:
            self._write_nodes(c, offset, mv)
        except BaseException:
            self._cut(c, c.size)  # nothing may stay past the size
            raise
        c.size = end

    def _write_nodes(self, c: _Core, offset: int, mv: memoryview) -> None:
        n = len(mv)
        idx = offset >> _SHIFT
        lo = offset & (NODE_SIZE - 1)
        pos = 0
        if lo or n < NODE_SIZE:
            take = min(NODE_SIZE - lo, n)
            p = self._page_w(c, idx)
            p[lo : lo + take] = mv[:take]
            pos = take
            idx += 1
        nfull = (n - pos) >> _SHIFT
        if nfull >= _STREAM_MIN:
            self._drop_pages(c, idx, idx + nfull)
            self._store_run(c, idx, mv[pos : pos + (nfull << _SHIFT)])
        elif nfull:
            pages = c.pages
            lru = self._lru
            for i in range(nfull):
                chunk = mv[pos + (i << _SHIFT) : pos + ((i + 1) << _SHIFT)]
                q = pages.get(idx + i)
                if q is None:
                    self._cache_put(c, idx + i, bytearray(chunk))
                else:
                    if isinstance(q, bytearray):
                        q[:] = chunk
                    else:
                        pages[idx + i] = bytearray(chunk)
                    lru.move_to_end((c.ino, idx + i))
                c.dirty.add(idx + i)
            self._dirty.add(c.ino)
        pos += nfull << _SHIFT
        idx += nfull
        if pos < n:
            p = self._page_w(c, idx)
            p[: n - pos] = mv[pos:]

    def _resize(self, c: _Core, size: int) -> None:
        if c.ahead:
            self._drop_ahead(c)
        if size < c.size:
            self._cut(c, size)
        elif size > c.size:
            self._grow(c, _nnodes(size))
        c.size = size
        self._dirty.add(c.ino)

    def _cut(self, c: _Core, size: int) -> None:
        """Free everything past ``size``, zero the rest of its last node, and fit
        the tree's height to it (restores the invariants after a failed write too)."""
        nn = _nnodes(size)
        # Everything that can fail (reading the tables on the paths to the nodes
        # 0 and nn, which trimming and dropping levels need) happens first.
        for idx in (0, nn):
            if c.height and idx < 1 << (_FSHIFT * c.height):
                self._table(c, 1, idx >> _FSHIFT, False)
        self._drop_pages(c, nn, None)
        if c.height:
            self._trim(c, c.height, 0, nn)
        elif nn == 0:
            self._release_entry(c.root, 0)
            c.root[:] = _ZERO_ENT
        tail = size & (NODE_SIZE - 1)
        if tail:
            try:
                p = self._page(c, size >> _SHIFT)
            except KernelError:
                p = None  # unreadable (tampered): it stays so, nothing to zero
            if p is not None:
                q = p if type(p) is bytearray else bytearray(p)
                q[tail:] = bytes(NODE_SIZE - tail)
                c.pages[size >> _SHIFT] = q
                c.dirty.add(size >> _SHIFT)
        self._shrink(c, nn)
        self._dirty.add(c.ino)

    def _flush(self, c: _Core) -> None:
        """Write ``c``'s dirty data nodes, then its dirty table nodes bottom-up."""
        if c.dirty:
            idxs = sorted(c.dirty)
            self._store(c, 0, [(i, c.pages[i]) for i in idxs])
            c.dirty.difference_update(idxs)
        level = 1
        while level <= c.height:
            ds = c.dirty_levels[level]
            if ds:
                ms = sorted(ds)
                tables = c.levels[level]
                self._store(c, level, [(m, tables[m]) for m in ms])
                ds.difference_update(ms)
            level += 1
