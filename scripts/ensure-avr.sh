#!/bin/sh
# Best effort, never fails: install Debian's binutils-avr (avr-objdump, avr-ld)
# and simavr, with which the gcc demo's tests check the AVR executable built
# inside (disassembly, the same flash as binutils' own linker script, and a run
# in the simulator). Without them those tests skip and say why.
if command -v avr-objdump >/dev/null 2>&1 && command -v simavr >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-avr: binutils-avr/simavr are missing; the gcc demo's host checks will skip" >&2
    exit 0
fi
echo "ensure-avr: installing binutils-avr and simavr (host checks of the gcc demo)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q binutils-avr simavr >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q binutils-avr simavr >/dev/null 2>&1; } \
    || echo "ensure-avr: could not install binutils-avr/simavr; those checks will skip" >&2
exit 0
