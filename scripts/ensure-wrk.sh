#!/bin/sh
# Best effort, never fails: install wrk (Debian's package), the HTTP load
# generator of `python -m bench http`, when it is missing and we are root with
# apt-get. Elsewhere the http benchmark reports that wrk is missing (and
# tests/test_bench.py expects exactly that report).
if command -v wrk >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-wrk: wrk is missing (apt-get install wrk for the http benchmark); it will say so" >&2
    exit 0
fi
echo "ensure-wrk: installing wrk (the http benchmark's load generator)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q wrk >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } \
    || echo "ensure-wrk: could not install wrk; the http benchmark will say so" >&2
exit 0
