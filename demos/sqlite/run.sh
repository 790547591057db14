#!/bin/sh
# Confidential database: SQLite's own shell, built unmodified with occlum-cc,
# keeps its database on PyOcclum's encrypted root (/root/test.db). Checks that
# every run prints what the native gcc -O2 build prints, that the data
# persists across runs, and that the host sees only ciphertext. Exits 0 only
# if all of that holds. See README.md.
#
#   demos/sqlite/run.sh [--instance DIR] [--rows N]   (.venv/bin on PATH)
#
# SQLITE_SRC=DIR          a folder with shell.c, sqlite3.c and sqlite3.h
#                         (default: npm pack sqlite3@5.1.7, once)
# PYOCCLUM_DEMO_CACHE=DIR downloads and builds (default ~/.cache/pyocclum/demos)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python >/dev/null 2>&1 || ! command -v occlum >/dev/null 2>&1; then
    echo "demos/sqlite: put the repository's .venv/bin on PATH (python and occlum)" >&2
    exit 1
fi
exec python "$here/demo.py" "$@"
