#!/usr/bin/env bash
# Build the release archive that .krew.yaml points at:
#   dist/kubectl-porch-registry_TAG_OS_ARCH.tar.gz holding kubectl-porch_registry (the name
#   krew links and kubectl resolves), the completer, LICENSE, THIRD-PARTY-NOTICES (the licences
#   of every crate compiled in; scripts/notices.sh), README.md and the man pages.
#
# Usage: scripts/release-archive.sh --tag vX.Y.Z [--binary PATH] [--os OS --arch ARCH] [--out DIR]
#   --binary PATH  archive this binary instead of running `cargo build --release --locked`
#   --os, --arch   platform names as krew uses them (default: this machine, e.g. linux amd64)
#   --out DIR      where to write the archive (default: dist/)
# Prints the archive path and its sha256 (what krew-release-bot's addURIAndSha computes).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

die() {
    echo "error: $*" >&2
    exit 2
}

tag="" binary="" os="" arch="" out="$here/dist"
while [ "$#" -gt 0 ]; do
    case "$1" in
    --tag) [ "$#" -ge 2 ] || die "--tag needs a value, e.g. --tag v0.1.0"; tag=$2; shift 2 ;;
    --binary) [ "$#" -ge 2 ] || die "--binary needs a path"; binary=$2; shift 2 ;;
    --os) [ "$#" -ge 2 ] || die "--os needs a value (linux, darwin)"; os=$2; shift 2 ;;
    --arch) [ "$#" -ge 2 ] || die "--arch needs a value (amd64, arm64)"; arch=$2; shift 2 ;;
    --out) [ "$#" -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'; see scripts/release-archive.sh --help" ;;
    esac
done
[ -n "$tag" ] || die "--tag is required, e.g. --tag v0.1.0"
[ -n "$os" ] || os=$(uname -s | tr '[:upper:]' '[:lower:]')
if [ -z "$arch" ]; then
    case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unknown machine $(uname -m); pass --arch" ;;
    esac
fi

if [ -z "$binary" ]; then
    (cd "$here" && cargo build --release --locked)
    binary=${CARGO_TARGET_DIR:-$here/target}/release/kubectl-porch-registry
fi
[ -x "$binary" ] || die "$binary: not an executable file"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/kubectl-porch_registry"
cp "$here/completions/kubectl_complete-porch_registry" "$stage/"
cp "$here/README.md" "$here/LICENSE" "$here/THIRD-PARTY-NOTICES" "$stage/"
mkdir -p "$stage/man"
cp "$here"/man/man1/*.1 "$stage/man/"
chmod 0755 "$stage/kubectl-porch_registry" "$stage/kubectl_complete-porch_registry"

mkdir -p "$out"
archive="$out/kubectl-porch-registry_${tag}_${os}_${arch}.tar.gz"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$archive.tmp" .
mv -f "$archive.tmp" "$archive"
echo "$archive"
sha256sum "$archive" | cut -d' ' -f1
