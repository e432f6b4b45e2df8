#!/usr/bin/env bash
# Run every benchmark (bench/*.sh) in one go against the release binary and print one table.
# Usage: bench/run.sh [NAME...]   (NAME = a bench file without .sh, e.g. `bench/run.sh secret`)
# Benchmarks are never part of `cargo test`: timings depend on the machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export ROOT
ROOT=$(cd "$here/.." && pwd)

echo "==> cargo build --release" >&2
(cd "$ROOT" && cargo build --release --locked --quiet)
export BIN="$ROOT/target/release/kubectl-porch-registry"
export RESULTS
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
RESULTS="$scratch/results.tsv"
: >"$RESULTS"

files=()
if [ "$#" -gt 0 ]; then
    for name in "$@"; do files+=("$here/${name%.sh}.sh"); done
else
    for f in "$here"/*.sh; do
        case "$(basename "$f")" in run.sh | lib.sh) ;; *) files+=("$f") ;; esac
    done
fi
[ "${#files[@]}" -gt 0 ] || echo "no benchmarks in $here yet" >&2

failed=0
for f in "${files[@]}"; do
    name=$(basename "$f" .sh)
    [ -f "$f" ] || { echo "error: no benchmark $f" >&2; failed=1; continue; }
    echo "==> $name" >&2
    mkdir -p "$scratch/$name"
    # Each bench file runs in its own shell, with lib.sh loaded, in its own scratch dir.
    if ! (cd "$scratch/$name" && WORK="$PWD" bash -c 'set -euo pipefail; . "$1"; . "$2"' \
        bench "$here/lib.sh" "$f"); then
        echo "error: $name failed" >&2
        failed=1
    fi
done

echo
echo "machine: $(nproc) CPUs, $(uname -sm); binary: $(du -h "$BIN" | cut -f1)"
{
    printf 'BENCHMARK\tCOMMAND\tRUNS\tMEAN ms\tMIN ms\tNOTE\n'
    cat "$RESULTS"
} | column -t -s $'\t'
exit "$failed"
