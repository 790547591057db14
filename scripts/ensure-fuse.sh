#!/bin/sh
# Best effort, never fails: install libfuse 3 (Debian's fuse3: libfuse3-3 and
# fusermount3) for `occlum mount` and its test, when it is missing and we are
# root with apt-get. Elsewhere the FUSE test skips and says why.
if ldconfig -p 2>/dev/null | grep -q 'libfuse3\?\.so\.[23]' && command -v fusermount3 >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-fuse: libfuse 3 is missing (install fuse3 for \`occlum mount\`); its test will skip" >&2
    exit 0
fi
echo "ensure-fuse: installing fuse3 (libfuse for \`occlum mount\`)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q fuse3 >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q fuse3 >/dev/null 2>&1; } \
    || echo "ensure-fuse: could not install fuse3; the FUSE test will skip" >&2
exit 0
