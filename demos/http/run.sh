#!/bin/sh
# A prefork web server inside PyOcclum: server.c (one master, N workers sharing
# the listening socket, HTTP/1.1 keep-alive) built with occlum-cc, serving a
# site from the encrypted root (/root/www) to a client on the host; then a
# SIGTERM stops it. Exits 0 only if every check held. See README.md.
#
#   demos/http/run.sh [--instance DIR] [--workers N] [--native | --server]   (.venv/bin on PATH)
#
# PYOCCLUM_DEMO_CACHE=DIR  the builds (default ~/.cache/pyocclum/demos)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python >/dev/null 2>&1 || ! command -v occlum >/dev/null 2>&1; then
    echo "demos/http: put the repository's .venv/bin on PATH (python and occlum)" >&2
    exit 1
fi
exec python "$here/demo.py" "$@"
