"""fs/treehash: the integrity image's leaves and roots by their definition
(BLAKE3 derive_key), and run_leaves on helper threads gives exactly
block_leaves whatever the size and the number of helpers."""

from __future__ import annotations

import os
import threading

import pytest
from blake3 import blake3

from pyocclum.fs import treehash
from pyocclum.fs.treehash import BLOCK, block_leaves, leaf_hash, run_leaves, tree_root

DATA = os.urandom(37 * BLOCK + 5)


def reference(data: bytes) -> bytes:
    return b"".join(blake3(data[i : i + BLOCK], derive_key_context=treehash.LEAF_CONTEXT).digest()
                    for i in range(0, len(data), BLOCK))


@pytest.mark.parametrize("size", [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK, 4 * BLOCK + 7,
                                  16 * BLOCK, 37 * BLOCK + 5])
def test_run_leaves_is_block_leaves(size: int) -> None:
    data = DATA[:size]
    want = reference(data)
    assert block_leaves(data) == want
    assert block_leaves(memoryview(data)) == want
    for k in (0, 1, 2, 3, 5, None):
        assert run_leaves(data, k) == want, (size, k)
    assert leaf_hash(data[:BLOCK]) == want[:32] or not data


def test_an_error_on_any_thread_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0

    def failing(data: memoryview, *, derive_key_context: str) -> blake3:
        nonlocal calls
        calls += 1
        if calls == 5:  # whichever thread hashes it
            raise OSError("boom")
        return blake3(data, derive_key_context=derive_key_context)

    monkeypatch.setattr(treehash, "blake3", failing)
    with pytest.raises(OSError, match="boom"):
        run_leaves(DATA, 1)
    monkeypatch.undo()
    assert run_leaves(DATA, 1) == reference(DATA)


def test_a_starved_helper_costs_nothing() -> None:
    """With every helper busy elsewhere, the caller hashes the whole run and
    takes its job back instead of waiting for a helper to come free."""
    release = threading.Event()
    blockers = [treehash._hashers.submit(release.wait, 3) for _ in range(3)]
    try:
        assert run_leaves(DATA, 3) == reference(DATA)
    finally:
        release.set()
        for blocker in blockers:
            blocker.result()
    job: treehash.Job[int] = treehash.Job(lambda: 1)
    assert job.cancel()
    job.run()  # a cancelled job is skipped by the thread that picks it up
    assert not job.cancel()


def test_roots() -> None:
    leaves = reference(DATA)
    assert tree_root(leaves) == blake3(leaves,
                                       derive_key_context=treehash.ROOT_CONTEXT).digest()
    assert treehash.EMPTY_ROOT == tree_root(b"") == tree_root([])
    assert 0 <= treehash.helpers() <= treehash.MAX_HELPERS


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_helpers_start_again_in_a_forked_child() -> None:
    assert run_leaves(DATA, 2) == reference(DATA)  # helpers running in the parent
    pid = os.fork()
    if pid == 0:  # the child: the parent's helpers are not here
        ok = run_leaves(DATA, 2) == reference(DATA)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
