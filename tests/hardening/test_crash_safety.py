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

import errno
import os
import random
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from crash_model import (
    OCCLUM,
    SEFS_DIR,
    UNION_DIR,
    Model,
    compile_programs,
    gen_of,
    image_files,
    make_crash_instance,
    mounted,
    read_tree,
)

from pyocclum.boot import Instance
from pyocclum.fs.unionfs import WORK_DIR_NAME, UnionFs, whiteout_name

DIRS = (UNION_DIR, SEFS_DIR)
SEED = 20261207


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The guest programs of this module, compiled once."""
    return compile_programs(tmp_path_factory.mktemp("programs"), "crash_steps", "fsync_probe",
                            "fill_disk")


@pytest.fixture
def crash_instance(tmp_path: Path, programs: dict[str, Path]) -> Instance:
    return make_crash_instance(tmp_path / "inst", programs)


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


@pytest.mark.parametrize("spawn", [False, True], ids=["one process", "a process per dir"])
def test_sigkill_at_random_moments_keeps_every_synced_step(
    crash_instance: Instance, scale: Callable[[int, int], int], spawn: bool,
) -> None:
    """Kill ``occlum run`` (SIGKILL) at random moments of the writer's progress,
    10 times (``make soak``: 100); after each kill every mount must succeed and
    each directory must be exactly its model after every step it reported synced
    (and maybe the one in flight): no lost step, no torn or mixed file, no leftover
    ``tmp``, no data that no step wrote. Once with one process taking turns over
    the two volumes, once with a process per volume writing at the same time
    (one volume per process: a commit is of the whole volume, so a process's fsync
    may also commit another's half-done step in the same volume, which the model
    of its directory would rightly not allow)."""
    kills = scale(10, 100)
    argv = ["-p", *DIRS] if spawn else list(DIRS)
    rng = random.Random(SEED)
    models = fresh_models()
    durable = dict.fromkeys(DIRS, 0)
    env = {**os.environ, "OCCLUM_LOG_LEVEL": "off"}
    after_sync = in_flight_committed = 0
    for attempt in range(kills):
        what = f"kill {attempt} (seed {SEED})"
        proc = subprocess.Popen(
            [str(OCCLUM), "run", "/bin/crash_steps", *argv],
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



BIG = 3 << 20


def test_sigkill_during_the_copy_up_of_a_big_image_file(
    tmp_path: Path, programs: dict[str, Path], scale: Callable[[int, int], int],
) -> None:
    """``/crash/p0`` is a 3 MiB file of the image; the writer's step 1 writes into
    it in place, so the union first copies all of it up (through its work
    directory). Kill within the first ~50 ms of that step, on a fresh instance
    each time: the next mount must show ``p0`` as the image has it or as the
    whole step left it, never a partial copy, and nothing of the work directory."""
    rng = random.Random(SEED + 1)
    big = bytes((i * 31 + (i >> 12)) % 251 for i in range(BIG))
    files = {**image_files(), "p0": big}
    trials = scale(4, 30)
    outcomes = []
    for trial in range(trials):
        inst = make_crash_instance(tmp_path / f"inst{trial}", programs, union_files=files)
        models = {UNION_DIR: Model(files), SEFS_DIR: Model({})}
        proc = subprocess.Popen(
            [str(OCCLUM), "run", "/bin/crash_steps", *DIRS], cwd=inst.path,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "OCCLUM_LOG_LEVEL": "off"},
        )
        assert proc.stdout is not None
        seen = [proc.stdout.readline() for _ in range(2)]
        assert seen == [b"synced 0 0\n", b"synced 1 0\n"], seen
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        out = proc.stdout.read()
        proc.stdout.close()
        durable = dict.fromkeys(DIRS, 1)
        for line in out.decode().splitlines():
            _, d, gen = line.split()
            durable[DIRS[int(d)]] = max(durable[DIRS[int(d)]], int(gen) + 1)
        found = check_dirs(inst, models, durable, f"copy-up trial {trial} (seed {SEED + 1})")
        p0 = models[UNION_DIR].after(found[UNION_DIR])["p0"]
        outcomes.append(f"{found[UNION_DIR]}{'i' if p0 == big else 'w'}")
        # In the upper layer itself: the work directory is empty (a mount clears it)
        # and /crash holds the model's files and whiteouts, no temporaries.
        with inst.open_root() as fs:
            assert isinstance(fs, UnionFs)
            upper = fs.upper.root()
            work = [e.name for e in upper.lookup(WORK_DIR_NAME).entries()]
            assert set(work) <= {".", ".."}, work
            names = {e.name for e in upper.lookup("crash").entries()} - {".", ".."}
        want = models[UNION_DIR].after(found[UNION_DIR])
        allowed = set(want) | {whiteout_name(name) for name in files}
        assert names <= allowed, names - allowed
    # The steps found in /crash after each kill (i: p0 is still the image's, w: written).
    print(f"copy-up kills: {trials}, /crash steps found: {outcomes}")


# -- every guest fsync reaches the host's disk before it returns ---------------------------
#: What the trace records: host writes, syncs, renames and creations, and the
#: probe's markers (writes to fd 1).
TRACED = ("fsync,fdatasync,write,pwrite64,pwritev,pwritev2,writev,ftruncate,"
          "rename,renameat,renameat2,openat")
_CALL = re.compile(r"^(\d+)\s+(\w+)\((.*)$")
_FD = re.compile(r"^(-?\d+)<([^>]*)>")
_MARK = re.compile(r'^1<pipe:\[\d+\]>, "(before|after) (\d+)\\n"')
_RENAME = re.compile(r'^(\d+)<([^>]*)>, "[^"]*", (\d+)<([^>]*)>')
_WRITES = {"write", "pwrite64", "pwritev", "pwritev2", "writev", "ftruncate"}


def unsynced_in_trace(trace: str) -> dict[int, list[str]]:
    """For each probe step (``before N`` .. ``after N`` in the trace), what was not
    durable when the step ended: host files written (or truncated) in the step with
    no fsync/fdatasync of that file after their last write, and host directories
    in which a file was renamed or created with no fsync of the directory after.
    Every step is listed (an empty list: all durable); a step that wrote nothing
    on the host says so, since it would prove nothing."""
    steps: dict[int, list[str]] = {}
    step: int | None = None
    pending: dict[str, str] = {}
    for line in trace.splitlines():
        m = _CALL.match(line)
        if m is None:
            continue
        _, name, args = m.groups()
        mark = _MARK.match(args) if name == "write" else None
        if mark is not None:
            n = int(mark.group(2))
            if mark.group(1) == "before":
                step, pending = n, {}
                steps[n] = []
                wrote = False
            elif step == n:
                steps[n] = sorted(pending.values()) + ([] if wrote else ["no host write"])
                step = None
            continue
        if step is None:
            continue
        fd = _FD.match(args)
        if name in _WRITES and fd is not None and not fd.group(2).startswith(("pipe:", "socket:")):
            pending[fd.group(2)] = f"{fd.group(2)} written, not synced"
            wrote = True
        elif name in ("fsync", "fdatasync") and fd is not None:
            pending.pop(fd.group(2), None)
            pending.pop("dir:" + fd.group(2), None)
        elif name.startswith("rename"):
            r = _RENAME.match(args)
            assert r is not None, f"a rename the check cannot read: {line}"
            for path in (r.group(2), r.group(4)):
                pending["dir:" + path] = f"{path}: rename not synced"
        elif name == "openat" and "O_CREAT" in args and fd is not None:
            ret = line.rsplit(" = ", 1)[-1]
            if not ret.startswith("-1"):
                pending["dir:" + fd.group(2)] = f"{fd.group(2)}: creation not synced"
    return steps


def strace_or_skip() -> str:
    """The path of a working strace, or skip (scripts/ensure-strace.sh installs it)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is missing (scripts/ensure-strace.sh installs it)")
    r = subprocess.run([strace, "-f", "-qq", "-o", os.devnull, "true"],
                       capture_output=True, text=True, timeout=60, check=False)
    if r.returncode != 0:
        pytest.skip(f"strace cannot trace here: {r.stderr.strip()[:200]}")
    return strace


PROBE_DIRS = ("/root/probe", UNION_DIR, SEFS_DIR, "/host/probe")


def test_every_guest_fsync_reaches_the_host_disk_before_it_returns(
    crash_instance: Instance, tmp_path: Path,
) -> None:
    """``strace -f`` of ``occlum run fsync_probe`` on the union root (a new
    directory, and files of the image copied up), a sefs mount and hostfs: in
    every step, each host file written (sefs.nodes, a superblock slot, a hostfs
    file) is fsync'ed or fdatasync'ed after its last write and before the guest's
    fsync returns, and each host directory changed is fsync'ed. (Killing the
    process, as the test above does, cannot show this: the host's page cache
    survives a SIGKILL, not a power loss.)"""
    strace = strace_or_skip()
    inst = crash_instance
    (inst.path / "host").mkdir(exist_ok=True)
    trace = tmp_path / "trace"
    r = subprocess.run(
        [strace, "-f", "--seccomp-bpf", "-y", "-qq", "-s", "24", "-o", str(trace),
         "-e", f"trace={TRACED}", str(OCCLUM), "run", "/bin/fsync_probe", *PROBE_DIRS],
        cwd=inst.path, capture_output=True, timeout=300, check=False,
        env={**os.environ, "OCCLUM_LOG_LEVEL": "off"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.decode().split() == [
        word for n in range(4 * len(PROBE_DIRS)) for word in ("before", str(n), "after", str(n))]
    steps = unsynced_in_trace(trace.read_text(errors="replace"))
    assert sorted(steps) == list(range(4 * len(PROBE_DIRS))), sorted(steps)
    assert {n: left for n, left in steps.items() if left} == {}
    # The trace names the host files the check covered: sefs's node file of the root
    # and of the mount, and the hostfs file itself.
    text = trace.read_text(errors="replace")
    for name in ("run/mount/__ROOT/sefs.nodes>", "run/mount/data/sefs.nodes>",
                 "host/probe/p0>", "host/probe/tmp>"):
        assert re.search(r"fd?a?t?a?sync\(\d+<[^>]*" + re.escape(name), text), name


def test_the_trace_check_sees_a_missing_sync() -> None:
    """The check above fails a step whose write has no sync after it, or whose
    rename has no directory sync (a check that passes everything proves nothing)."""
    trace = "\n".join([
        '7 write(1<pipe:[5]>, "before 0\\n", 9) = 9',
        '7 pwrite64(6</r/sefs.nodes>, "x"..., 4096, 0) = 4096',
        '7 fdatasync(6</r/sefs.nodes>) = 0',
        '7 pwrite64(6</r/sefs.nodes>, "y"..., 4096, 8192) = 4096',
        '7 write(1<pipe:[5]>, "after 0\\n", 8) = 8',
        '7 write(1<pipe:[5]>, "before 1\\n", 9) = 9',
        '7 pwrite64(9</h/tmp>, "z", 1, 0) = 1',
        '7 fsync(9</h/tmp>) = 0',
        '7 renameat(8</h>, "tmp", 8</h>, "b") = 0',
        '7 write(1<pipe:[5]>, "after 1\\n", 8) = 8',
        '7 write(1<pipe:[5]>, "before 2\\n", 9) = 9',
        '7 write(1<pipe:[5]>, "after 2\\n", 8) = 8',
        '7 write(1<pipe:[5]>, "before 3\\n", 9) = 9',
        '7 pwrite64(9</h/p>, "z", 1, 0) = 1',
        '7 fsync(9</h/p>) = 0',
        '7 write(1<pipe:[5]>, "after 3\\n", 8) = 8',
    ])
    assert unsynced_in_trace(trace) == {
        0: ["/r/sefs.nodes written, not synced"],
        1: ["/h: rename not synced"],
        2: ["no host write"],
        3: [],
    }


# -- disk full ---------------------------------------------------------------------------------
FULL_SIZE = "8m"
KEEP = 4


@pytest.fixture
def small_run_dir(crash_instance: Instance) -> Iterator[Path]:
    """The instance's ``run/`` (both sefs volumes, the boot state) on a tmpfs of
    8 MiB of its own, for the test's duration; skips where tmpfs cannot be
    mounted (it needs root, as on CI and here)."""
    run = crash_instance.path / "run"
    saved = run.with_name("run.saved")
    if run.exists():
        run.rename(saved)
    run.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FULL_SIZE},mode=0755", "tmpfs",
                        str(run)], capture_output=True, text=True, timeout=60, check=False)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs as run/: {r.stderr.strip()[:200]}")
    try:
        if saved.exists():
            for item in saved.iterdir():
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, run / item.name)
        yield run
    finally:
        subprocess.run(["umount", "-l", str(run)], capture_output=True, timeout=60, check=False)


def fill_host_disk(path: Path) -> None:
    """Write ``path`` until its file system is full (ENOSPC)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    failure = None
    try:
        while True:
            os.write(fd, bytes(4096))
    except OSError as e:
        failure = e.errno
    finally:
        os.close(fd)
    assert failure == errno.ENOSPC, failure


def fill_disk(inst: Instance, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(OCCLUM), "run", "/bin/fill_disk", *argv], cwd=inst.path,
                          capture_output=True, text=True, timeout=300, check=False)


def keep_content(k: int) -> bytes:
    """``content(k)`` of fill_disk.c: what ``keep`` writes to ``keepK``."""
    return bytes(ord("a") + (i * 13 + k * 7) % 26 for i in range(20_000))


@pytest.mark.parametrize(("where", "mode", "call"), [
    ("/root/df", "stream", "write"),
    ("/root/df", "small", "fsync"),
    (SEFS_DIR, "stream", "write"),
    (SEFS_DIR, "small", "fsync"),
])
def test_disk_full_gives_enospc_loses_nothing_and_mounts_again(
    crash_instance: Instance, small_run_dir: Path, where: str, mode: str, call: str,
) -> None:
    """``run/`` on an 8 MiB tmpfs: files written and fsynced first; then one file
    grows until the disk is full: the guest sees ENOSPC (from ``write`` when its
    writes stream past the node cache, from ``fsync`` when they wait in it); in the
    same run the earlier files still read back, and once the big file is removed
    a new file can be written and synced. A new boot mounts everything and finds
    all of it."""
    inst = crash_instance
    r = fill_disk(inst, "keep", where, str(KEEP))
    assert r.returncode == 0, r.stderr
    r = fill_disk(inst, "fill", where, str(KEEP), mode)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    full = r.stdout.splitlines()[0].split()
    assert full[:3] == ["full", call, "ENOSPC"], r.stdout
    # Most of the disk was filled with synced data before the error.
    assert int(full[3]) > 6 << 20, full
    assert r.stdout.splitlines()[1:] == [f"intact {KEEP}", "recovered"]
    r = fill_disk(inst, "check", where, str(KEEP))
    assert (r.returncode, r.stdout) == (0, f"intact {KEEP}\nafter ok\n"), r.stderr
    with mounted(inst) as _:
        pass  # every mount of the instance succeeds in-process too


def test_disk_left_full_keeps_synced_data_and_mounts_again(
    crash_instance: Instance, small_run_dir: Path,
) -> None:
    """The guest fills the disk and leaves it full (its big file stays): whatever
    its last fsync returned is there, all of it, at the next mount; while the host
    keeps the disk at 100% a boot fails with one clear line and no traceback (the
    volume cannot commit), and it works again, nothing lost, when there is room."""
    inst = crash_instance
    where = SEFS_DIR
    assert fill_disk(inst, "keep", where, str(KEEP)).returncode == 0
    r = fill_disk(inst, "fill", where, str(KEEP), "stay")
    assert "Traceback" not in r.stderr, r.stderr
    full = r.stdout.splitlines()[0].split()
    assert full[:3] == ["full", "fsync", "ENOSPC"], r.stdout
    synced = int(full[3])
    # Whatever the host has left, fill it to the last byte.
    fill_host_disk(small_run_dir / "ballast")
    r = fill_disk(inst, "keep", where + "/more", "1")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    assert "No space left on device" in r.stderr, r.stderr
    (small_run_dir / "ballast").unlink()
    with mounted(inst) as dirs:
        data = dirs[where]
        node = data.lookup("fill")
        size = node.stat().size
        assert size >= synced, (size, synced)
        assert node.read(0, size) == b"F" * size
        for k in range(KEEP):
            assert data.lookup(f"keep{k}").read(0, 30_000) == keep_content(k)
