#!/bin/sh
# Python inside PyOcclum: `occlum new --template python` sets up an instance
# with CPython 3.12 as /bin/python3; a script reads its input from /host,
# writes its result to the encrypted /root and prints a summary, which must
# equal what the host's own python prints for the same script and input.
# Exits 0 only if it does. See README.md.
#
#   demos/python/run.sh               (with the repository's .venv/bin on PATH)
#
# PYTHON_DEMO_INSTANCE=DIR   the instance folder (default: in PyOcclum's cache,
#                            kept between runs so python3 is compiled once)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=$(python -c 'from pyocclum.cli.cc import cache_root; print(cache_root())')
inst=${PYTHON_DEMO_INSTANCE:-$cache/demos/python-instance}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -f "$inst/Occlum.json" ]; then
    occlum new --template python "$inst"
fi
mkdir -p "$inst/image/opt/demo"
cp "$here/demo.py" "$inst/image/opt/demo/demo.py"   # in the measured image
cp "$here/README.md" "$inst/host/input.txt"        # input through the /host share
cd "$inst"
occlum build

echo "== occlum run /bin/python3 /opt/demo/demo.py /host/input.txt /root/summary.json"
occlum run /bin/python3 /opt/demo/demo.py /host/input.txt /root/summary.json | tee "$work/inside"
occlum run /bin/python3 -c 'import sys; print("inside:", sys.version.split()[0], sys.platform)'

echo "== the same script under the host's $(python -c 'import sys; print(sys.version.split()[0])')"
python "$here/demo.py" "$here/README.md" "$work/summary.json" > "$work/host"
if ! diff -u "$work/host" "$work/inside"; then
    echo "python demo: FAILED: the output inside differs from the host's" >&2
    exit 1
fi
echo "same output inside and on the host"
