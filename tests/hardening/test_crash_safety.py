"""Crash safety (issue 16, item 3): SIGKILL while programs write to the union
root and to a sefs mount; every guest fsync reaches the host's disk before it
returns; a full disk gives ENOSPC and loses nothing.

The writer is ``tests/programs/crash_steps.c`` (the steps and the model that
predicts them are in ``crash_model.py``): in ``/crash``, whose files start in
the image, its steps copy files up (with and without ``O_TRUNC``), white them
out, rename over them, recreate them and append to them; in ``/data`` (a sefs
mount of its own) it does the same from an empty volume.
``tests/test_sefs_crash.py`` kills a plain rewriter of ``/root``'s files.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from crash_model import (
    OCCLUM,
    SEFS_DIR,
    UNION_DIR,
    Model,
    gen_of,
    image_files,
    make_crash_instance,
    mounted,
    read_tree,
)

from pyocclum.boot import Instance

DIRS = (UNION_DIR, SEFS_DIR)
SEED = 20261207


@pytest.fixture
def crash_instance(tmp_path: Path) -> Instance:
    return make_crash_instance(tmp_path / "inst")


def check_dirs(inst: Instance, models: dict[str, Model], durable: dict[str, int],
               what: object) -> dict[str, int]:
    """Mount everything; each directory must hold one of the states its model allows
    for the ``n`` its ``gen`` file says, with ``n == durable[d]`` (then: exactly the
    state after step ``n - 1``, which reported its fsync) or ``durable[d] + 1`` (the
    step in flight reached one of its commits). The ``n`` of each directory; each
    model is settled on what was found."""
    found: dict[str, int] = {}
    with mounted(inst) as dirs:
        for d in DIRS:
            files = read_tree(dirs[d]) if d in dirs else {}
            n = gen_of(files)
            assert durable[d] <= n <= durable[d] + 1, (what, d, durable[d], n)
            allowed = models[d].allowed(n) if n > durable[d] else [models[d].after(n)]
            if files not in allowed:
                want = allowed[0]
                diff = sorted(k for k in files.keys() | want.keys()
                              if files.get(k) != want.get(k))
                pytest.fail(f"{what}: {d} with gen {n} is none of the {len(allowed)} states "
                            f"allowed; differs from the whole step in {diff}: "
                            f"{[(k, (files.get(k) or b'-')[:30]) for k in diff]}")
            models[d].settle(n, files)
            found[d] = n
    return found


def fresh_models() -> dict[str, Model]:
    return {UNION_DIR: Model(image_files()), SEFS_DIR: Model({})}


def test_writer_matches_the_model(crash_instance: Instance) -> None:
    """Without kills: 2 x 23 steps (every kind of step on every file, each
    toggled file back and forth), then 2 x 4 more in a second run."""
    models = fresh_models()
    r = crash_instance.run(["/bin/crash_steps", "-n", "46", *DIRS], capture=True)
    assert r.exit_code == 0, r.stderr
    lines = (r.stdout or b"").decode().splitlines()
    assert lines[:2] == ["synced 0 0", "synced 1 0"]
    assert len(lines) == 46
    assert check_dirs(crash_instance, models, dict.fromkeys(DIRS, 23), "run 1") == dict.fromkeys(
        DIRS, 23)
    r = crash_instance.run(["/bin/crash_steps", "-n", "8", *DIRS], capture=True)
    assert r.exit_code == 0, r.stderr
    assert (r.stdout or b"").decode().splitlines()[:2] == ["synced 0 23", "synced 1 23"]
    assert check_dirs(crash_instance, models, dict.fromkeys(DIRS, 27), "run 2") == dict.fromkeys(
        DIRS, 27)


def test_sigkill_at_random_moments_keeps_every_synced_step(
    crash_instance: Instance, scale: Callable[[int, int], int],
) -> None:
    """Kill ``occlum run`` (SIGKILL) at random moments of the writer's progress,
    10 times (``make soak``: 100); after each kill every mount must succeed and
    each directory must be exactly its model after every step it reported synced
    (and maybe the one in flight): no lost step, no torn or mixed file, no leftover
    ``tmp``, no data that no step wrote."""
    kills = scale(10, 100)
    rng = random.Random(SEED)
    models = fresh_models()
    durable = dict.fromkeys(DIRS, 0)
    env = {**os.environ, "OCCLUM_LOG_LEVEL": "off"}
    after_sync = in_flight_committed = 0
    for attempt in range(kills):
        what = f"kill {attempt} (seed {SEED})"
        proc = subprocess.Popen(
            [str(OCCLUM), "run", "/bin/crash_steps", *DIRS],
            cwd=crash_instance.path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        assert proc.stdout is not None
        wanted = rng.choice([0, *range(1, 30)])
        seen = [proc.stdout.readline() for _ in range(wanted)]
        time.sleep(rng.uniform(0.0, 0.3) if wanted == 0 else rng.uniform(0.0, 0.003))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, (what, proc.returncode)
        out = proc.stdout.read()
        proc.stdout.close()
        reported = b"".join([*seen, out]).decode().splitlines()
        for line in reported:
            _, d, gen = line.split()
            durable[DIRS[int(d)]] = max(durable[DIRS[int(d)]], int(gen) + 1)
        after_sync += bool(reported)
        found = check_dirs(crash_instance, models, durable, what)
        in_flight_committed += sum(found[d] > durable[d] for d in DIRS)
        durable = found
    # Most kills must come while the writer writes, not during the boot.
    assert after_sync >= kills // 2, after_sync
    # Every directory moved on (the writer did its steps in both).
    assert all(durable[d] > 0 for d in DIRS), durable
    r = crash_instance.run(["/bin/crash_steps", "-n", "4", *DIRS], capture=True)
    assert r.exit_code == 0, r.stderr
    print(f"crash trials: {kills}, steps verified: {sum(durable.values())}, "
          f"in-flight steps found committed: {in_flight_committed}")
