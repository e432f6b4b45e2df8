# `status` across 20 clusters (20 fake API servers on loopback, from the ignored test
# fleet::bench_serve_20_clusters): one `--all-contexts` run (--parallel 4, the default) against
# 20 sequential one-context runs. Goal: at least 4x less wall time.
export FLEET_BENCH_DIR="$WORK/fleet"
mkdir -p "$FLEET_BENCH_DIR"
(cd "$ROOT" && cargo test -q --test it fleet::bench_serve_20_clusters -- --ignored --exact >/dev/null 2>&1) &
SERVER=$!
trap 'touch "$FLEET_BENCH_DIR/stop"; wait $SERVER || true' RETURN EXIT
for _ in $(seq 1 6000); do [ -e "$FLEET_BENCH_DIR/ready" ] && break; sleep 0.1; done
[ -e "$FLEET_BENCH_DIR/ready" ] || { echo "fleet bench: the fake API servers did not start" >&2; exit 1; }
KC="$FLEET_BENCH_DIR/kubeconfig"
# `local`: measure (lib.sh) counts its runs in `i`; a global `i` here ended it after one run.
sequential() { local i; for i in $(seq 0 19); do "$BIN" status --kubeconfig "$KC" --context "ctx-$i" >/dev/null; done; }
measure fleet-status "20 sequential status --context runs" 5 -- sequential
SEQ=$MEAN_MS
NOTE="" measure fleet-status "status --all-contexts (20 clusters, --parallel 4)" 5 -- \
    "$BIN" status --kubeconfig "$KC" --all-contexts
ALL=$MEAN_MS
row fleet-status "speed-up (goal >= 4x)" 5 "$ALL" "$ALL" "$(ratio "$SEQ" "$ALL")x less wall time than 20 sequential runs"
touch "$FLEET_BENCH_DIR/stop"
