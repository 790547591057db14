#!/bin/sh
# Best effort, never fails: install skopeo and umoci (Debian's packages), which
# tests/cli/test_package_oci.py uses to inspect and unpack the OCI image archive
# `occlum package --oci` writes, when they are missing and we are root with
# apt-get. Elsewhere those tests skip, saying which tool is missing.
if command -v skopeo >/dev/null 2>&1 && command -v umoci >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-oci: skopeo or umoci is missing (apt-get install skopeo umoci); the OCI tests will skip" >&2
    exit 0
fi
echo "ensure-oci: installing skopeo and umoci (to check occlum package --oci)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q skopeo umoci >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q skopeo umoci >/dev/null 2>&1; } \
    || echo "ensure-oci: could not install skopeo and umoci; the OCI tests will skip" >&2
exit 0
