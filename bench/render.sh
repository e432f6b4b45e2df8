# `render` of a package with a 5-function pipeline vs `kpt fn render` with the podman runtime,
# the same image (busybox `sh` running `cat`), warm caches, in one run; and a warm `run` with
# `--image-pull-policy ifNotPresent` (no registry request) vs `podman run` of the same image.
# Sourced by bench/run.sh (see bench/README.md): $BIN, $WORK, measure, row, ratio are set.
# Knobs: RENDER_RUNS (default 20: with 5, a warm run's mean moved by 15% between runs).

runs=${RENDER_RUNS:-20}
need /bin/busybox podman skopeo kpt docker-registry sha256sum gzip tar

# --- the image as an OCI layout (as bench/sandbox.sh builds it) -----------------------------
busybox_oci_layout

# --- a loopback registry (plain HTTP) holding it; podman storage holding it under that name --
port=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 20000) }')
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/reg\nhttp:\n  addr: 127.0.0.1:%s\n' "$WORK" "$port" >reg.yml
docker-registry serve reg.yml >reg.log 2>&1 &
regpid=$!
trap 'kill $regpid 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
img="127.0.0.1:$port/bench/cat-fn:v1"
skopeo copy -q --dest-tls-verify=false "oci:$WORK/layout:latest" "docker://$img"
printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >containers.conf
export CONTAINERS_CONF=$WORK/containers.conf
skopeo copy -q "oci:$WORK/layout:latest" "containers-storage:$img"

# --- a package with a 5-function pipeline --------------------------------------------------
mkdir -p pkg
{
    printf 'apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\npipeline:\n  mutators:\n'
    for _ in 1 2 3 4 5; do printf '  - image: %s\n' "$img"; done
} >pkg/Kptfile
for i in 1 2 3 4 5; do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%s # a comment\ndata:\n  k: v\n' "$i" >"pkg/cm$i.yaml"
done
cache=$WORK/cache
# Warm: the first render pulls (over plain HTTP on loopback) and unpacks the root.
"$BIN" render pkg --cache-dir "$cache" --allow-insecure-http >/dev/null 2>render.err ||
    { cat render.err >&2; exit 1; }
KPT_FN_RUNTIME=podman kpt fn render pkg >/dev/null 2>kpt.err || { cat kpt.err >&2; exit 1; }

measure render "kpt fn render (podman, 5 functions)" "$runs" -- env KPT_FN_RUNTIME=podman kpt fn render pkg
kpt_ms=$MEAN_MS
NOTE="" measure render "render (native sandbox, 5 functions)" "$runs" -- "$BIN" render pkg --cache-dir "$cache"
row render "render vs kpt fn render" "-" "-" "-" "$(ratio "$kpt_ms" "$MEAN_MS")x faster (goal 20x)"

# --- a warm `run` with ifNotPresent (no registry request) vs `podman run` -------------------
"$BIN" run "$img" pkg --cache-dir "$cache" -o stdout >rl.yaml 2>run.err || { cat run.err >&2; exit 1; }
kill $regpid 2>/dev/null || true # ifNotPresent must not need it
measure run-warm "podman run (kpt's flags, runc)" "$runs" -- sh -c "podman --runtime runc run --rm -i --network none --user nobody --security-opt=no-new-privileges --pull never $img <rl.yaml"
podman_ms=$MEAN_MS
measure run-warm "run --image-pull-policy ifNotPresent" "$runs" -- "$BIN" run "$img" pkg --cache-dir "$cache" --image-pull-policy ifNotPresent -o stdout
row run-warm "run vs podman run" "-" "-" "-" "$(ratio "$podman_ms" "$MEAN_MS")x faster (goal 20x)"
