#!/bin/sh
# Best effort, never fails: install strace (Debian's package) when it is missing
# and we are root with apt-get. tests/hardening/test_crash_safety.py traces the
# host's fsync/fdatasync calls with it to show that every guest fsync reaches the
# host's disk before it returns; without strace that test skips, saying why.
if command -v strace >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-strace: strace is missing (apt-get install strace for the fsync trace test); it will skip" >&2
    exit 0
fi
echo "ensure-strace: installing strace (the fsync trace test's tracer)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q strace >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q strace >/dev/null 2>&1; } \
    || echo "ensure-strace: could not install strace; the fsync trace test will skip" >&2
exit 0
