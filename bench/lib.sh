# Helpers for bench/*.sh (sourced by bench/run.sh; do not execute). run.sh sets:
#   BIN      the release binary (target/release/kubectl-porch-registry)
#   ROOT     the repository root
#   WORK     a scratch directory for this bench file (removed afterwards; also the cwd)
#   RESULTS  the file rows are appended to (use `row` / `measure`, never write it directly)
#
# Output protocol: one row per measurement, tab-separated:
#   benchmark <TAB> command <TAB> runs <TAB> mean_ms <TAB> min_ms <TAB> note
# Rows that compare against a peer tool share the same `benchmark` name so the table shows them
# next to each other; `note` may carry a ratio ("12.3x faster than kubectl").

# now_ns: wall clock in nanoseconds.
now_ns() { date +%s%N; }

# row BENCHMARK COMMAND RUNS MEAN_MS MIN_MS [NOTE]
row() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >>"$RESULTS"
}

# measure BENCHMARK LABEL RUNS -- COMMAND...
#   One warm-up run, then RUNS timed runs (stdout discarded). Records the mean and minimum
#   wall time as a row; sets MEAN_MS and MIN_MS for the caller. A failing COMMAND fails the
#   bench (with its stderr), so a broken command never shows up as "fast".
#   Set NOTE=... before the call to fill the note column.
measure() {
    local bench=$1 label=$2 runs=$3
    shift 3
    [ "${1:-}" = "--" ] && shift
    local i start end total=0 min=""
    for ((i = -1; i < runs; i++)); do
        start=$(now_ns)
        if ! "$@" >/dev/null 2>"$WORK/measure.err"; then
            echo "error: bench '$bench' ($label) failed:" >&2
            cat "$WORK/measure.err" >&2
            return 1
        fi
        end=$(now_ns)
        [ "$i" -lt 0 ] && continue # warm-up
        total=$((total + end - start))
        if [ -z "$min" ] || [ $((end - start)) -lt "$min" ]; then min=$((end - start)); fi
    done
    MEAN_MS=$(awk -v t="$total" -v n="$runs" 'BEGIN { printf "%.2f", t / n / 1e6 }')
    MIN_MS=$(awk -v t="$min" 'BEGIN { printf "%.2f", t / 1e6 }')
    row "$bench" "$label" "$runs" "$MEAN_MS" "$MIN_MS" "${NOTE:-}"
}

# measure_stdin BENCHMARK LABEL RUNS INPUT_FILE -- COMMAND...: like measure, stdin from a file.
measure_stdin() {
    local bench=$1 label=$2 runs=$3 input=$4
    shift 4
    [ "${1:-}" = "--" ] && shift
    measure "$bench" "$label" "$runs" -- sh -c 'f=$1; shift; exec "$@" <"$f"' sh "$input" "$@"
}

# ratio SLOW_MS FAST_MS: prints SLOW/FAST with one decimal (e.g. "14.2").
ratio() { awk -v s="$1" -v f="$2" 'BEGIN { if (f > 0) printf "%.1f", s / f; else print "inf" }'; }

# need TOOL...: fail the bench naming the first tool that is not installed.
need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "error: bench $(basename "${BASH_SOURCE[1]:-bench}" .sh) needs $tool" >&2; exit 1; }
    done
}

# busybox_oci_layout: in the current directory, `layout/` = an OCI image layout of a
# busybox-static layer (gzip: sh, cat, /etc/passwd) plus a function layer (plain tar:
# /fn.sh, `exec cat`, a no-op KRM function), entrypoint `/bin/sh /fn.sh`, tag `latest`; and
# `l1.tar`/`l2.tar` (the layers uncompressed). Needs /bin/busybox, sha256sum, gzip, tar.
busybox_oci_layout() {
    mkdir -p rootfs/bin rootfs/etc rootfs/tmp fnlayer layout/blobs/sha256
    cp /bin/busybox rootfs/bin/busybox
    for a in sh cat; do ln -s busybox "rootfs/bin/$a"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >rootfs/etc/passwd
    printf '#!/bin/sh\nexec cat\n' >fnlayer/fn.sh
    chmod 755 fnlayer/fn.sh
    tar -C rootfs --owner=0 --group=0 --numeric-owner -cf l1.tar .
    tar -C fnlayer --owner=0 --group=0 --numeric-owner -cf l2.tar .
    gzip -n -1 -c l1.tar >l1.tar.gz
    sha() { sha256sum "$1" | cut -d' ' -f1; }
    size() { stat -c %s "$1"; }
    blob() { cp "$1" "layout/blobs/sha256/$(sha "$1")"; }
    blob l1.tar.gz
    blob l2.tar
    printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/sh","/fn.sh"],"Env":["PATH=/bin"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
        "$(sha l1.tar)" "$(sha l2.tar)" >config.json
    blob config.json
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
        "$(sha config.json)" "$(size config.json)" "$(sha l1.tar.gz)" "$(size l1.tar.gz)" \
        "$(sha l2.tar)" "$(size l2.tar)" >manifest.json
    blob manifest.json
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
        "$(sha manifest.json)" "$(size manifest.json)" >layout/index.json
    printf '{"imageLayoutVersion":"1.0.0"}' >layout/oci-layout
}
