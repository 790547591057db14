#!/bin/sh
# Trusted compilation: GCC (cc1, as, ld) compiles hello.c for an AVR
# microcontroller inside PyOcclum, and the host checks the executable.
# Run from anywhere with PyOcclum's .venv/bin on PATH; exits 0 only if it worked.
# GCC_DEMO_WORK=DIR keeps the instance elsewhere (default: demos/gcc/work).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${GCC_DEMO_WORK:-$here/work}
for tool in python occlum occlum-cc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "gcc demo: '$tool' not found: put PyOcclum's .venv/bin on PATH" >&2
        exit 1
    fi
done

echo "== preparing the tool chain and the instance (the first run compiles cc1: a minute or two)"
instance=$(python "$here/demo.py" prepare "$work")
cp "$here/hello.c" "$instance/host/hello.c"
rm -f "$instance/host/hello.elf"
cd "$instance"

echo "== occlum run /bin/gcc -mmcu=atmega328p -Os -Wall -v /host/hello.c -o /host/hello.elf"
occlum run /bin/gcc -mmcu=atmega328p -Os -Wall -v /host/hello.c -o /host/hello.elf

echo "== checking host/hello.elf on the host"
python "$here/demo.py" check host/hello.elf
echo "gcc demo: OK"
