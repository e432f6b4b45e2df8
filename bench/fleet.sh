# `status` across 20 clusters (20 fake API servers on loopback, from the ignored test
# fleet::bench_serve_20_clusters): one `--all-contexts` run (--parallel 4, the default) against
# 20 sequential one-context runs. Goal: at least 4x less wall time, on the first row (zero
# latency). The servers run on the same CPUs as the client, so that row also counts their CPU
# on both sides: they are built with optimisation (profile bench-fake, Cargo.toml), as an API
# server is; from the debug test binary they took about 1 ms of CPU per cluster, as much as
# the client, and that shared cost alone held the ratio under 4x. The second row holds every answer back 20 ms (a
# management cluster elsewhere, FakeApi::set_latency): the wall time is then the requests'
# round trips, and --parallel 4 bounds the speed-up near 4x plus the process starts saved.

echo "==> cargo test --profile bench-fake --no-run (the fake API servers)" >&2
(cd "$ROOT" && cargo test -q --profile bench-fake --locked --test it --no-run 2>&1 | grep -v '^ *Executable' >&2 || true)

# fleet_rows LATENCY_MS RUNS LABEL: serve the 20 clusters with that latency, measure both sides.
fleet_rows() {
    local latency=$1 runs=$2 label=$3
    export FLEET_BENCH_DIR="$WORK/fleet-$latency"
    mkdir -p "$FLEET_BENCH_DIR"
    (cd "$ROOT" && FLEET_BENCH_LATENCY_MS=$latency cargo test -q --profile bench-fake --test it fleet::bench_serve_20_clusters -- --ignored --exact >/dev/null 2>&1) &
    local server=$!
    local n
    for n in $(seq 1 6000); do [ -e "$FLEET_BENCH_DIR/ready" ] && break; sleep 0.1; done
    [ -e "$FLEET_BENCH_DIR/ready" ] || { echo "fleet bench: the fake API servers did not start" >&2; touch "$FLEET_BENCH_DIR/stop"; exit 1; }
    KC="$FLEET_BENCH_DIR/kubeconfig"
    # `local`: measure (lib.sh) counts its runs in `i`; a global `i` here ended it after one run.
    sequential() { local i; for i in $(seq 0 19); do "$BIN" status --kubeconfig "$KC" --context "ctx-$i" >/dev/null; done; }
    measure fleet-status "$label: 20 sequential status --context runs" "$runs" -- sequential
    local seq_ms=$MEAN_MS
    NOTE="" measure fleet-status "$label: status --all-contexts (--parallel 4)" "$runs" -- \
        "$BIN" status --kubeconfig "$KC" --all-contexts
    row fleet-status "$label: speed-up" "$runs" "$MEAN_MS" "$MIN_MS" "$(ratio "$seq_ms" "$MEAN_MS")x less wall time than 20 sequential runs"
    touch "$FLEET_BENCH_DIR/stop"
    wait "$server" || true
}

# A failing measure ends the script: stop whichever servers are up.
trap 'for d in "$WORK"/fleet-*; do touch "$d/stop"; done 2>/dev/null || true' EXIT
fleet_rows 0 10 "0 ms latency (goal >= 4x)"
fleet_rows 20 3 "20 ms latency per request"
