# secret auth vs `kubectl create secret docker-registry --dry-run=client -o yaml` (same input).
# Goal (issue 2): ours at least 10x faster. Both run offline; kubectl needs no cluster here.
runs=${RUNS:-30}
export KUBECONFIG=/nonexistent # kubectl must not look for a cluster
export PORCH_REGISTRY_PASSWORD=bench-token-1

# Check once that both produce a Secret for the same registry, so a failure cannot look fast.
"$BIN" secret auth --registry registry.example.com:5000 --username robot >ours.yaml
kubectl create secret docker-registry registry-auth-secret -n porch-system \
    --docker-server=registry.example.com:5000 --docker-username=robot \
    --docker-password="$PORCH_REGISTRY_PASSWORD" --dry-run=client -o yaml >theirs.yaml
grep -q 'kubernetes.io/dockerconfigjson' ours.yaml
grep -q 'kubernetes.io/dockerconfigjson' theirs.yaml

measure secret-auth "kubectl create secret docker-registry --dry-run=client -o yaml" "$runs" -- \
    kubectl create secret docker-registry registry-auth-secret -n porch-system \
    --docker-server=registry.example.com:5000 --docker-username=robot \
    --docker-password="$PORCH_REGISTRY_PASSWORD" --dry-run=client -o yaml
peer=$MEAN_MS peer_min=$MIN_MS
measure secret-auth "kubectl porch-registry secret auth" "$runs" -- \
    "$BIN" secret auth --registry registry.example.com:5000 --username robot
row secret-auth "=> speed-up (goal: >= 10x)" - "$(ratio "$peer" "$MEAN_MS")x" "$(ratio "$peer_min" "$MIN_MS")x" "faster than kubectl"
