#!/usr/bin/env bash
# Install the system packages the test suite runs against (real components, no mocks):
#   docker-registry  Debian's distribution registry (registry pulls, TLS, auth)
#   apache2-utils    htpasswd, for the registry's basic auth
#   skopeo           pushes test images into that registry
#   busybox-static   a static busybox used to build tiny function images
#   openssl          certificates and CAs for TLS tests
#   podman, runc,    the --runtime=podman path of `run` (crun fails on some cgroup setups:
#   uidmap           the tests run podman with --runtime runc)
#   git              diff checks of --in-place edits
#   bash-completion  kubectl's bash completion needs it (the completion tests drive it in a pty)
#   gcc, libc6-dev   a static C program that probes the sandbox's seccomp filter
#   unicode-data     Unicode 15.0.0 data: the table of Go's strconv.IsPrint (kpt's %q) is checked against it
#
# Idempotent: installs only what is missing. Works on a fresh Debian/Ubuntu machine as root
# (or with password-less sudo), with no terminal (CI=true, stdin closed).
# kubectl and kpt are expected to be on PATH already; their absence is reported, not fixed.
set -euo pipefail

packages=(docker-registry apache2-utils skopeo busybox-static openssl podman runc uidmap git ca-certificates bash-completion gcc libc6-dev unicode-data)

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-test-deps: not a Debian-like system (no dpkg-query); install these yourself: ${packages[*]}" >&2
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "error: missing test packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "install-test-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq </dev/null
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null
fi

for tool in kubectl kpt; do
    command -v "$tool" >/dev/null 2>&1 ||
        echo "warning: $tool is not on PATH; the tests that compare with it will fail" >&2
done
