# Warm `run` (native namespace sandbox, root already unpacked) vs `podman --runtime runc run`
# of the same image with kpt's flags, in one run, both with the same limits (the native
# defaults: a pids cgroup of 2048, 2g of memory, a 256m /tmp, and its seccomp filter; podman
# gets --pids-limit/--memory/--tmpfs as `run --runtime podman` passes them, and its own
# default seccomp profile). The native run without limits is measured too: the cost of them.
# The function is busybox-static `sh` running `cat` (a no-op KRM function), so the time is the
# runtime's overhead; the bare `busybox sh` on the same input is measured too and subtracted.
# Sourced by bench/run.sh (see bench/README.md): $BIN, $WORK, measure, row, ratio are set.
# Knobs: SANDBOX_RUNS (default 20).

runs=${SANDBOX_RUNS:-20}
need /bin/busybox podman skopeo runc sha256sum gzip tar

# --- an OCI image layout: busybox layer (gzip) + function layer (plain tar) ----------------
busybox_oci_layout

# --- a package and its ResourceList -------------------------------------------------------
mkdir -p pkg
printf 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n' >pkg/Kptfile
for i in 1 2 3 4 5; do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%s\ndata:\n  k: v\n' "$i" >"pkg/cm$i.yaml"
done
cache=$WORK/cache
img="oci:$WORK/layout"
# Warm the root cache and capture the ResourceList the function gets (cat echoes it).
"$BIN" run "$img" pkg --cache-dir "$cache" -o stdout >rl.yaml 2>run.err ||
    { cat run.err >&2; exit 1; }
grep -q 'kind: ResourceList' rl.yaml || { echo "error: run produced no ResourceList" >&2; exit 1; }

# --- podman: the same image, kpt's flags, runc, no default ulimits (this machine) -----------
printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >containers.conf
export CONTAINERS_CONF=$WORK/containers.conf
skopeo copy -q "oci:$WORK/layout:latest" containers-storage:localhost/bench/cat-fn:latest
limits=(--pids-limit=2048 --memory=2147483648 --memory-swap=2147483648
    --tmpfs=/tmp:rw,exec,nosuid,nodev,mode=1777,size=268435456)
out=$(podman --runtime runc run --rm -i --network none --user nobody \
    --security-opt=no-new-privileges --pull never "${limits[@]}" localhost/bench/cat-fn:latest <rl.yaml)
[ "$out" = "$(cat rl.yaml)" ] || { echo "error: podman run did not echo the ResourceList" >&2; exit 1; }

# --- measure ------------------------------------------------------------------------------
measure_stdin sandbox "busybox sh fn.sh (no isolation, baseline)" "$runs" rl.yaml -- \
    /bin/busybox sh fnlayer/fn.sh
base=$MEAN_MS
measure_stdin sandbox "podman --runtime runc run (kpt flags + limits)" "$runs" rl.yaml -- \
    podman --runtime runc run --rm -i --network none --user nobody \
    --security-opt=no-new-privileges --pull never "${limits[@]}" localhost/bench/cat-fn:latest
podman_ms=$MEAN_MS
measure sandbox "kubectl porch-registry run (native, warm, no limits)" "$runs" -- \
    "$BIN" run "$img" pkg --cache-dir "$cache" -o stdout --pids-limit -1 --memory 0
bare_ms=$MEAN_MS
measure sandbox "kubectl porch-registry run (native, warm, default limits)" "$runs" -- \
    "$BIN" run "$img" pkg --cache-dir "$cache" -o stdout
native_ms=$MEAN_MS
row sandbox "cost of the limits (cgroups, seccomp)" - \
    "$(awk -v a="$native_ms" -v b="$bare_ms" 'BEGIN { printf "%.2f", a - b }')" - ""
# The native run also reads the package and writes the output; the podman row gets the
# ResourceList ready-made, so the comparison is conservative.
podman_over=$(awk -v a="$podman_ms" -v b="$base" 'BEGIN { printf "%.2f", a - b }')
native_over=$(awk -v a="$native_ms" -v b="$base" 'BEGIN { printf "%.2f", a - b }')
row sandbox "overhead over the baseline" - "$native_over" - \
    "podman ${podman_over} ms; $(ratio "$podman_over" "$native_over")x less overhead (goal >= 10x)"
podman image rm -f localhost/bench/cat-fn:latest >/dev/null 2>&1 || true

# --- cold unpack: peak memory must not grow with the layer size ------------------------------
command -v /usr/bin/time >/dev/null || { echo "error: bench sandbox needs /usr/bin/time" >&2; exit 1; }
unpack_peak() { # MB -> prints "ms kB"
    local mb=$1 d=$WORK/big$1
    mkdir -p "$d/rootfs/data" "$d/layout/blobs/sha256"
    head -c "$((mb * 1024 * 1024))" /dev/urandom >"$d/rootfs/data/blob"
    tar -C "$d/rootfs" --owner=0 --group=0 --numeric-owner -cf "$d/big.tar" .
    gzip -n -1 -c "$d/big.tar" >"$d/big.tar.gz"
    cp l1.tar.gz l2.tar config.json manifest.json "$d/" 2>/dev/null || true
    cp layout/blobs/sha256/* "$d/layout/blobs/sha256/"
    cp "$d/big.tar.gz" "$d/layout/blobs/sha256/$(sha "$d/big.tar.gz")"
    printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/sh","/fn.sh"],"Env":["PATH=/bin"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s","sha256:%s"]}}' \
        "$(sha l1.tar)" "$(sha "$d/big.tar")" "$(sha l2.tar)" >"$d/config.json"
    cp "$d/config.json" "$d/layout/blobs/sha256/$(sha "$d/config.json")"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
        "$(sha "$d/config.json")" "$(size "$d/config.json")" "$(sha l1.tar.gz)" "$(size l1.tar.gz)" \
        "$(sha "$d/big.tar.gz")" "$(size "$d/big.tar.gz")" "$(sha l2.tar)" "$(size l2.tar)" >"$d/manifest.json"
    cp "$d/manifest.json" "$d/layout/blobs/sha256/$(sha "$d/manifest.json")"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
        "$(sha "$d/manifest.json")" "$(size "$d/manifest.json")" >"$d/layout/index.json"
    printf '{"imageLayoutVersion":"1.0.0"}' >"$d/layout/oci-layout"
    local start end
    start=$(now_ns)
    /usr/bin/time -f '%M' -o "$d/rss" "$BIN" run "oci:$d/layout" pkg --cache-dir "$d/cache" -o stdout \
        >/dev/null 2>"$d/err" || { cat "$d/err" >&2; return 1; }
    end=$(now_ns)
    cmp -s "$d/rootfs/data/blob" "$d"/cache/rootfs/*/data/blob ||
        { echo "error: unpacked layer differs" >&2; return 1; }
    echo "$(((end - start) / 1000000)) $(cat "$d/rss")"
    rm -rf "$d"
}
read -r small_ms small_kb < <(unpack_peak 16)
read -r big_ms big_kb < <(unpack_peak 256)
row sandbox-unpack "cold run, 16 MB layer (verify + unpack)" 1 "$small_ms" "$small_ms" "peak RSS $((small_kb / 1024)) MB"
row sandbox-unpack "cold run, 256 MB layer (verify + unpack)" 1 "$big_ms" "$big_ms" \
    "peak RSS $((big_kb / 1024)) MB (goal: same as 16 MB)"
