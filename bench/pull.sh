# Cold `pull` of a multi-layer 100+ MB image from a real docker-registry (TLS, htpasswd) vs
# `skopeo copy docker://... dir:...` of the same image, in one run; peak memory of both.
# Sourced by bench/run.sh (see bench/README.md): $BIN, $WORK, row, ratio are set.
# Knobs: PULL_LAYERS (default 4), PULL_LAYER_MB (default 32), PULL_RUNS (default 3).

layers=${PULL_LAYERS:-4}
layer_mb=${PULL_LAYER_MB:-32}
runs=${PULL_RUNS:-3}
reg=/usr/bin/docker-registry
for tool in "$reg" skopeo openssl htpasswd /usr/bin/time sha256sum; do
    command -v "$tool" >/dev/null || { echo "error: bench pull needs $tool" >&2; exit 1; }
done

# --- a registry with TLS from a fresh CA and one bcrypt user ---------------------------------
mkdir -p tls storage certs
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout tls/ca.key -out tls/ca.crt -subj /CN=bench-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout tls/server.key -out tls/server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >tls/ext.cnf
openssl x509 -req -in tls/server.csr -CA tls/ca.crt -CAkey tls/ca.key -CAcreateserial \
    -days 1 -out tls/server.crt -extfile tls/ext.cnf 2>/dev/null
cp tls/ca.crt certs/ca.crt # skopeo's --*-cert-dir layout
htpasswd -Bbn bench bench-pw >htpasswd 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >config.yml <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/storage
http:
  addr: 127.0.0.1:$port
  secret: bench
  tls:
    certificate: $WORK/tls/server.crt
    key: $WORK/tls/server.key
auth:
  htpasswd:
    realm: bench
    path: $WORK/htpasswd
EOF
"$reg" serve config.yml >registry.log 2>&1 &
reg_pid=$!
trap 'kill $reg_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.1
done

# --- images as OCI layouts, pushed with skopeo ----------------------------------------------
# make_image REPO LAYERS MB: pushes REPO:v1 with LAYERS layers of MB MiB of random data each;
# sets MD (manifest digest hex) and TOTAL_MB.
make_image() {
    local repo=$1 n=$2 mb=$3 i d size layer_json="" diff_ids="" cd_
    rm -rf layout src
    mkdir -p layout/blobs/sha256 src
    for i in $(seq "$n"); do
        mkdir -p "src/l$i"
        head -c $((mb * 1024 * 1024)) /dev/urandom >"src/l$i/data-$i.bin"
        tar -C "src/l$i" -cf "src/l$i.tar" .
        diff_ids="$diff_ids${diff_ids:+,}\"sha256:$(sha256sum "src/l$i.tar" | cut -d' ' -f1)\""
        gzip -1 -c "src/l$i.tar" >"src/l$i.tar.gz"
        d=$(sha256sum "src/l$i.tar.gz" | cut -d' ' -f1)
        mv "src/l$i.tar.gz" "layout/blobs/sha256/$d"
        rm -rf "src/l$i" "src/l$i.tar"
        size=$(stat -c %s "layout/blobs/sha256/$d")
        layer_json="$layer_json${layer_json:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$size}"
    done
    printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/fn"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
        "$diff_ids" >config.json
    cd_=$(sha256sum config.json | cut -d' ' -f1)
    cp config.json "layout/blobs/sha256/$cd_"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
        "$cd_" "$(stat -c %s config.json)" "$layer_json" >manifest.json
    MD=$(sha256sum manifest.json | cut -d' ' -f1)
    cp manifest.json "layout/blobs/sha256/$MD"
    printf '{"imageLayoutVersion":"1.0.0"}' >layout/oci-layout
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
        "$MD" "$(stat -c %s manifest.json)" >layout/index.json
    skopeo copy --quiet --dest-creds bench:bench-pw --dest-cert-dir certs oci:layout:v1 \
        "docker://127.0.0.1:$port/$repo:v1"
    TOTAL_MB=$(du -sm layout/blobs | cut -f1)
    rm -rf layout src
}
make_image bench/big "$layers" "$layer_mb"
md=$MD
total_mb=$TOTAL_MB
image="127.0.0.1:$port/bench/big:v1"
auth=$(printf 'bench:bench-pw' | base64)
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}' "$port" "$auth" >auth.json

# --- timing helpers --------------------------------------------------------------------------
# timed LABEL -- CMD...: runs CMD under /usr/bin/time -v; sets T_MS and RSS_KB.
timed() {
    shift 2
    /usr/bin/time -v -o time.txt "$@" >out.txt 2>err.txt || {
        echo "error: bench pull command failed: $*" >&2
        cat err.txt >&2
        return 1
    }
    T_MS=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.0f", s * 1000 }' time.txt)
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' time.txt)
}

# cold RUNS LABEL SETUP -- CMD...: RUNS cold runs (SETUP run before each); sets MEAN, MIN, PEAK_MB.
cold() {
    local n=$1 label=$2 setup=$3
    shift 4
    local i total=0 min="" peak=0
    for ((i = 0; i < n; i++)); do
        eval "$setup"
        timed "$label" -- "$@"
        total=$((total + T_MS))
        if [ -z "$min" ] || [ "$T_MS" -lt "$min" ]; then min=$T_MS; fi
        [ "$RSS_KB" -gt "$peak" ] && peak=$RSS_KB
    done
    MEAN=$(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.0f", t / n }')
    MIN=$min
    PEAK_MB=$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')
}

# --- skopeo copy to a directory (verifies digests, like us) -----------------------------------
cold "$runs" skopeo 'rm -rf skopeo-dir' -- \
    skopeo copy --quiet --src-creds bench:bench-pw --src-cert-dir certs "docker://$image" dir:skopeo-dir
[ -f skopeo-dir/manifest.json ] || { echo "error: skopeo produced no manifest" >&2; exit 1; }
peer=$MEAN
row pull-cold "skopeo copy docker:// dir: (${total_mb} MB, $layers layers)" "$runs" "$peer" "$MIN" \
    "peak RSS ${PEAK_MB} MB"

# --- kubectl porch-registry pull, cold cache each run -----------------------------------------
cold "$runs" ours 'rm -rf cache' -- \
    "$BIN" pull "$image" --auth-file auth.json --ca-file tls/ca.crt --cache-dir cache -o json
grep -q "\"digest\": \"sha256:$md\"" out.txt || { echo "error: pull printed the wrong digest" >&2; cat out.txt >&2; exit 1; }
grep -q "\"blobs_downloaded\": $((layers + 1))" out.txt || { echo "error: cold pull did not download every blob" >&2; exit 1; }
row pull-cold "kubectl porch-registry pull (${total_mb} MB, $layers layers)" "$runs" "$MEAN" "$MIN" \
    "peak RSS ${PEAK_MB} MB; $(ratio "$peer" "$MEAN")x skopeo's speed"
PEAK_MANY=$PEAK_MB

# --- warm pull: one manifest request, no blob ------------------------------------------------
cold "$runs" warm ':' -- \
    "$BIN" pull "$image" --auth-file auth.json --ca-file tls/ca.crt --cache-dir cache -o json
grep -q '"blobs_downloaded": 0' out.txt || { echo "error: warm pull downloaded blobs" >&2; exit 1; }
row pull-warm "kubectl porch-registry pull (cache hit)" "$runs" "$MEAN" "$MIN" "peak RSS ${PEAK_MB} MB"

# --- peak memory does not grow with the layer: the same bytes in ONE layer --------------------
make_image bench/one $((1)) $((layers * layer_mb))
cold 1 one 'rm -rf cache1' -- \
    "$BIN" pull "127.0.0.1:$port/bench/one:v1" --auth-file auth.json --ca-file tls/ca.crt --cache-dir cache1 -o json
grep -q "\"digest\": \"sha256:$MD\"" out.txt || { echo "error: one-layer pull printed the wrong digest" >&2; exit 1; }
row pull-cold-one-layer "kubectl porch-registry pull (${TOTAL_MB} MB in 1 layer)" 1 "$MEAN" "$MIN" \
    "peak RSS ${PEAK_MB} MB (vs ${PEAK_MANY} MB with $layers layers)"
