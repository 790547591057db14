"""libocclum's synchronization objects (src/sync_*.c) against wasi-libc.

wasi-libc's single-threaded build has stubs for most pthread functions;
libocclum's sync sources are linked as objects so that they win. These
tests check that every program links (no duplicate symbols, in the plain and
the ``-pthread`` variant, even when wasi-libc members next to the replaced
ones are pulled in), that libocclum's code is the one linked (its waits reach
``occlum.sched_check``; the stubs never wait), and how the waits behave under
a harness without the kernel (wasmtime's WASI; ``sched_check`` answering
ENOSYS or recorded). The Linux test suite (tests/linux/programs/sync_*.c)
compares the behaviour with Linux.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime
from bench.stand_ins import StandInKernel

from pyocclum.abi.errno import Errno
from pyocclum.cli import cc

# Build libocclum into a fresh cache of this module, not the user's (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("private_cache")


# Uses a name from each wasi-libc member that libocclum's sync objects
# displace or sit next to (pthread_attr_get.o, pthread_key_create.o,
# pthread_self.o, the stubs), so a clash would show at link time.
PROBE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct timespec in_ms(long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

int main(void) {
    pthread_attr_t attr;
    size_t stack = 0;
    pthread_attr_init(&attr);
    pthread_attr_getstacksize(&attr, &stack);
    pthread_condattr_t ca;
    clockid_t clk = CLOCK_REALTIME;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_condattr_getclock(&ca, &clk);
    printf("getclock %d\n", clk == CLOCK_MONOTONIC);
    printf("self %d\n", pthread_equal(pthread_self(), pthread_self()));

    pthread_mutexattr_t ma;
    pthread_mutex_t m;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &ma);
    pthread_mutex_lock(&m);
    printf("relock %d\n", pthread_mutex_lock(&m) == EDEADLK);
    printf("destroy %d\n", pthread_mutex_destroy(&m) == EBUSY);
    pthread_mutex_t n = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&n);
    struct timespec at = in_ms(120);
    printf("timedlock %d\n", pthread_mutex_timedlock(&n, &at) == ETIMEDOUT);

    pthread_cond_t c;
    pthread_cond_init(&c, &ca);
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    mono.tv_nsec += 30000000;
    mono.tv_sec += mono.tv_nsec / 1000000000L;
    mono.tv_nsec %= 1000000000L;
    printf("condwait %d\n", pthread_cond_timedwait(&c, &m, &mono) == ETIMEDOUT);

    pthread_key_t k;
    pthread_key_create(&k, NULL);
    pthread_setspecific(k, &k);
    printf("key %d\n", pthread_getspecific(k) == &k);
    pthread_key_delete(k);
    printf("deleted %d\n", pthread_setspecific(k, &k) == EINVAL);

    sem_t s;
    sem_init(&s, 0, 0);
    at = in_ms(30);
    printf("semwait %d %d\n", sem_timedwait(&s, &at), errno == ETIMEDOUT);

    static uint32_t word = 1;
    struct timespec rel = {0, 20000000};
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &rel, NULL, 0);
    printf("futex %ld %d\n", r, errno == ETIMEDOUT);
    return 0;
}
"""


def build(tmp: Path, *flags: str) -> Path:
    src = tmp / "probe.c"
    src.write_text(PROBE)
    out = tmp / f"probe{''.join(flags)}.wasm"
    rc = cc.run(["-Wall", "-Wextra", "-Werror", *flags, str(src), "-o", str(out)], False)
    assert rc == 0, "the probe did not link (compiler output above)"
    return out


def occlum_imports(wasm: Path) -> set[str]:
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(wasm))
    return {imp.name for imp in module.imports if imp.module == "occlum" and imp.name}


class Harness(StandInKernel):
    """wasmtime's WASI plus an ``occlum`` module answering ENOSYS, except
    getcwd ("/"), chdir (0), abi_version (3) and, unless ``absent``, sched_check
    (recorded; it sleeps its timeout as the kernel does when no signal comes)."""

    def __init__(self, sched_check: bool) -> None:
        super().__init__(answers={"abi_version": 3})
        self.sched_check = sched_check
        self.slices: list[int] = []

    def handlers(self) -> dict[str, Callable[..., int]]:
        return {**super().handlers(), "sched_check": self._sched_check}

    def _sched_check(self, caller: wasmtime.Caller, timeout_ns: int) -> int:
        if not self.sched_check:
            return int(Errno.ENOSYS)
        self.slices.append(timeout_ns)
        time.sleep(timeout_ns / 1e9)
        return 0

    def run(self, wasm: Path, tmp: Path) -> list[str]:
        engine = wasmtime.Engine()
        module = wasmtime.Module.from_file(engine, str(wasm))
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        self.define(linker, module)
        store = wasmtime.Store(engine)
        config = wasmtime.WasiConfig()
        out = tmp / "stdout"
        config.stdout_file = str(out)
        config.inherit_stderr()
        config.preopen_dir(str(tmp), "/")
        store.set_wasi(config)
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        code = 0
        try:
            start(store)
        except wasmtime.ExitTrap as e:
            code = e.code
        assert code == 0
        return out.read_text().splitlines()


EXPECTED = [
    "getclock 1", "self 1", "relock 1", "destroy 1", "timedlock 1", "condwait 1", "key 1",
    "deleted 1", "semwait -1 1", "futex -1 1",
]


def test_links_without_clashes_in_both_variants(tmp_path: Path) -> None:
    plain = build(tmp_path)
    threaded = build(tmp_path, "-pthread")
    # Only libocclum's waits import sched_check: wasi-libc's stubs never wait.
    assert "sched_check" in occlum_imports(plain)
    assert "sched_check" in occlum_imports(threaded)


@pytest.mark.parametrize("kernel", [True, False], ids=["sched_check", "no-kernel"])
def test_waits_in_one_thread(tmp_path: Path, kernel: bool) -> None:
    harness = Harness(sched_check=kernel)
    assert harness.run(build(tmp_path), tmp_path) == EXPECTED
    if kernel:
        # Every wait sleeps through the kernel in bounded slices.
        assert harness.slices
        assert all(0 < ns <= 50_000_000 for ns in harness.slices)
