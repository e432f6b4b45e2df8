#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script):
#   1. install the system packages the tests use, when missing (scripts/install-test-deps.sh)
#   2. cargo fmt --check
#   3. cargo clippy --all-targets -- -D warnings
#   4. when installed: cargo deny check licenses bans sources (deny.toml), and
#      scripts/notices.sh --check (THIRD-PARTY-NOTICES current with Cargo.lock; cargo-about)
#   5. cargo test (unit tests and the integration binary tests/it), then cargo's summary lines
# Works unattended (CI=true, no stdin) on a fresh Debian machine with the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "system packages"
./scripts/install-test-deps.sh </dev/null

for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1; then
            step "rustup component add $component"
            rustup component add "$component" </dev/null
        else
            echo "error: cargo ${component/rustfmt/fmt} is missing and rustup is not available; install $component" >&2
            exit 1
        fi
    fi
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

if cargo deny --version >/dev/null 2>&1; then
    step "cargo deny check licenses bans sources"
    cargo deny check licenses bans sources
else
    echo "note: cargo-deny is not installed; skipping the licence/source policy (cargo install --locked cargo-deny)" >&2
fi
if cargo about --version >/dev/null 2>&1; then
    step "THIRD-PARTY-NOTICES current with Cargo.lock"
    ./scripts/notices.sh --check
else
    echo "note: cargo-about is not installed; skipping the notices check (cargo install --locked cargo-about --features cli)" >&2
fi

step "cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --no-fail-fast </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# cargo's own summary: one `Running`/`test result:` pair per test binary, then the totals.
step "summary"
grep -E '^\s+(Running|Doc-tests) |^test result:' "$log" | sed -E "s/^\s+//" || true
awk '/^test result:/ { for (i = 1; i <= NF; i++) {
        if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i;
        if ($(i+1) ~ /^ignored;?$/) g += $i } }
     END { printf "total: %d passed; %d failed; %d ignored\n", p, f, g }' "$log"
if [ "$status" -ne 0 ]; then
    grep -E '^test .+ \.\.\. FAILED$' "$log" || true
    echo "error: cargo test failed (exit $status); the failing tests are listed above" >&2
fi
exit "$status"
