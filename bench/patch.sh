# patch of a 10,000-document manifest file (the catalog Deployment among 9,999 ConfigMaps).
# Goal (issue 2): well under a second.
runs=${RUNS:-10}
{
    for i in $(seq 1 4999); do
        printf -- '---\n# filler %s\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler-%s\n  namespace: porch-system\ndata:\n  key: "value %s"\n' "$i" "$i" "$i"
    done
    printf -- '---\n'
    # the Deployment: the second document of the example
    awk 'BEGIN { doc = 0 } /^---$/ { doc++ } doc == 1 && !/^---$/' "$ROOT/examples/2-function-runner.yaml"
    for i in $(seq 5000 9999); do
        printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler-%s\n  namespace: porch-system\ndata:\n  key: "value %s"\n' "$i" "$i"
    done
} >big.yaml
docs=$(grep -c '^kind: ' big.yaml)
[ "$docs" -eq 10000 ] || { echo "error: generated $docs documents, expected 10000" >&2; exit 1; }

# Check once: the patch happened and every other document is still there.
"$BIN" patch -f big.yaml >patched.yaml 2>patch.err || { cat patch.err >&2; exit 1; }
grep -q -- '--enable-private-registries=true' patched.yaml
[ "$(grep -c '^kind: ' patched.yaml)" -eq 10000 ]

measure patch-10k "kubectl porch-registry patch -f big.yaml ($(du -h big.yaml | cut -f1))" "$runs" -- \
    "$BIN" patch -f big.yaml
row patch-10k "=> goal: well under 1000 ms" - "$MEAN_MS" "$MIN_MS" ""

# One mapping with 80,000 keys (issue 9 item 3): the duplicate-key check must be linear
# (it compared every key with every earlier one: 19 s). Goal: well under a second.
{
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n'
    for i in $(seq 1 80000); do printf '  k%s: v\n' "$i"; done
} >wide.yaml
# The file holds no function-runner Deployment: check reads all of it, then exits 4 (not found).
measure check-wide "kubectl porch-registry check -f wide.yaml (80,000 keys in one mapping)" "$runs" -- \
    sh -c '"$0" check -f wide.yaml >/dev/null 2>&1; [ $? -le 4 ]' "$BIN"
row check-wide "=> goal: well under 1000 ms" - "$MEAN_MS" "$MIN_MS" ""
