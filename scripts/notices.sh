#!/usr/bin/env bash
# Regenerate THIRD-PARTY-NOTICES (the licence texts of every crate compiled into the binary)
# from Cargo.lock with cargo-about (about.toml, about.hbs). Run it after any change to
# Cargo.lock; the release archive ships the file.
#
# Usage: scripts/notices.sh [--check]
#   --check  do not write: exit 1 when the committed file is not what Cargo.lock gives
#            (scripts/test.sh runs this when cargo-about is installed)
# Needs cargo-about: cargo install --locked cargo-about --features cli
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
"") ;;
--check) check=true ;;
-h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "error: unknown argument '$1'; see scripts/notices.sh --help" >&2; exit 2 ;;
esac

if ! cargo about --version >/dev/null 2>&1; then
    echo "error: cargo-about is not installed; install it with: cargo install --locked cargo-about --features cli" >&2
    exit 1
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cargo about generate --locked --fail about.hbs --output-file "$tmp" 2>"$tmp.log" || {
    cat "$tmp.log" >&2
    rm -f "$tmp.log"
    echo "error: cargo about generate failed (see above); a new licence may need adding to about.toml and deny.toml" >&2
    exit 1
}
rm -f "$tmp.log"
if $check; then
    if ! cmp -s "$tmp" THIRD-PARTY-NOTICES; then
        diff -u THIRD-PARTY-NOTICES "$tmp" | head -20 >&2 || true
        echo "error: THIRD-PARTY-NOTICES is stale for Cargo.lock; regenerate it with scripts/notices.sh and commit it" >&2
        exit 1
    fi
    exit 0
fi
mv -f "$tmp" THIRD-PARTY-NOTICES
chmod 0644 THIRD-PARTY-NOTICES
echo "THIRD-PARTY-NOTICES written" >&2
