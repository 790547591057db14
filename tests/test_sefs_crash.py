"""Crash safety of the encrypted root: SIGKILL the LibOS at random moments, 100 times.

``tests/programs/sefs_writer.c`` rewrites five files under ``/root/crash``
in turn (new contents of varying size, ``O_TRUNC`` + write + fsync + close)
and prints ``synced FILE GEN`` after each fsync. ``occlum run`` of it is a
host process; it is killed with SIGKILL at a random moment of its progress:
after a random number of reported fsyncs (none: during the boot or the first
write) plus a random fraction of a millisecond or so. Counting fsyncs, not
seconds, keeps the kills spread over the writing however slow the machine
is at the moment (a wall-clock delay landed mostly in the boot under load).
After every kill the instance's root must mount (``Instance.open_root``),
and each file must hold exactly the contents of its last reported fsync, or,
for the one file that was being rewritten when the kill came, exactly the new
contents: never a mix, never a truncation.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyocclum.boot import Instance
from pyocclum.errors import KernelError

OCCLUM = Path(sys.executable).parent / "occlum"
NFILES = 5
MAX_SIZE = 3 * 4096 + 1000
KILLS = 100


def content(file: int, gen: int) -> bytes:
    """What sefs_writer.c writes as generation ``gen`` of file ``file``."""
    size = (gen * 7919 + file * 104729) % MAX_SIZE + 1
    head = f"file {file} gen {gen}|".encode()[: size - 1]
    return head + bytes(ord("a") + (gen + i) % 26 for i in range(len(head), size))


@pytest.fixture
def instance(make_instance: Callable[..., Instance]) -> Instance:
    return make_instance("sefs_writer")


def read_files(inst: Instance) -> dict[int, bytes]:
    """The writer's files as the instance's root has them now (mounting it must work)."""
    found: dict[int, bytes] = {}
    with inst.open_root() as fs:
        try:
            crash = fs.root().lookup("root").lookup("crash")
        except KernelError:
            return found
        for k in range(NFILES):
            try:
                node = crash.lookup(f"f{k}")
            except KernelError:
                continue
            found[k] = node.read(0, node.stat().size + 1)
    return found


#: After ``sefs_writer DIR 7``: generations 0-6, so files 0 and 1 were written twice.
SEEDED = {k: 5 + k if k < 2 else k for k in range(NFILES)}


def seed(instance: Instance) -> None:
    r = instance.run(["/bin/sefs_writer", "/root/crash", "7"], capture=True)
    assert r.exit_code == 0, r.stderr
    lines = (r.stdout or b"").decode().split()
    assert lines[:3] == ["synced", "0", "0"]
    assert read_files(instance) == {k: content(k, g) for k, g in SEEDED.items()}


def test_writer_content_matches_the_c_program(instance: Instance) -> None:
    seed(instance)


def test_sigkill_at_random_moments_never_loses_or_tears_a_synced_file(
    instance: Instance,
) -> None:
    seed(instance)
    rng = random.Random(20261126)
    last = dict(SEEDED)
    newest = max(last.values())
    kills_after_a_sync = 0
    env = {**os.environ, "OCCLUM_LOG_LEVEL": "off"}
    for attempt in range(KILLS):
        proc = subprocess.Popen(
            [str(OCCLUM), "run", "/bin/sefs_writer", "/root/crash"],
            cwd=instance.path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        assert proc.stdout is not None
        wanted = rng.choice([0, 0, *range(1, 25)])
        seen = [proc.stdout.readline() for _ in range(wanted)]
        time.sleep(rng.uniform(0.0, 0.3) if wanted == 0 else rng.uniform(0.0, 0.002))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, (attempt, proc.returncode)
        # Through the same buffered reader as the lines above (communicate() would read
        # the raw pipe past what readline() had already buffered).
        out = proc.stdout.read()
        proc.stdout.close()
        reported = [line.split() for line in b"".join([*seen, out]).decode().splitlines()]
        for _, file, gen in reported:
            last[int(file)] = int(gen)
            newest = max(newest, int(gen))
        kills_after_a_sync += bool(reported)

        files = read_files(instance)
        in_flight = newest + 1
        for k in range(NFILES):
            allowed = {content(k, last[k])}
            if in_flight % NFILES == k:
                allowed.add(content(k, in_flight))
            assert files.get(k) in allowed, (attempt, k, last[k], (files.get(k) or b"")[:40])
        if in_flight % NFILES in files and files[in_flight % NFILES] == content(
            in_flight % NFILES, in_flight
        ):
            last[in_flight % NFILES] = in_flight
            newest = in_flight
    # Most kills must have come while the writer was writing, not during boot (the
    # writer printing nothing, or printing only before its fsyncs, would fail here).
    assert kills_after_a_sync >= KILLS // 2
    r = instance.run(["/bin/sefs_writer", "/root/crash", "3"], capture=True)
    assert r.exit_code == 0, r.stderr
