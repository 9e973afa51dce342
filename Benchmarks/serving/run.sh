#!/usr/bin/env bash
# Serving benchmark: `tern serve` (release build) under wrk, over KServe V2
# JSON (UINT8 pixels, and FP32 values as numpy.tolist() writes them), TF
# Serving :predict and V2 binary tensors, with a FastAPI + uvicorn +
# NumPy peer serving the same weights over the same V2 JSON route, in one run.
# Everything listens on 127.0.0.1 only and every load is bounded in time.
#
#   Benchmarks/serving/run.sh
#   DURATION=5 WARMUP=1 Benchmarks/serving/run.sh        # a quicker run
#
# Settings (environment):
#   DURATION=10        seconds of measured load per row
#   WARMUP=3           seconds of unmeasured load before each row (0 = none)
#   CONNECTIONS="1 8 64"
#   FORMATS="v2 fp32 tf binary"   the rows to drive (the peer serves v2 and fp32)
#   WRK_THREADS=2      wrk threads (capped at the connection count)
#   FASTAPI=1          0 skips the FastAPI peer (no venv, no pip)
#   FASTAPI_WORKERS="1 2"
#   PYTHON=python3     the interpreter that creates the peer's venv
#   TERN_DATA_DIR      parent of mnist/ (default Data)
#   IMAGE=0            index of the MNIST test image sent in every request
#   EPOCHS=1           epochs of the quick training run
#   RESULTS=DIR        keep the raw wrk outputs and logs there (default: a temp dir, removed)
#   SKIP_BUILD=1       use the existing .build/release/tern
#   TERN_BIN=PATH      use that tern binary (no build)
#   BATCHING="200 32"  also drive V2 JSON on a copy of the model deployed with
#                      dynamic batching: max queue delay (µs) and max batch size
#                      ("" = no batching rows)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/Benchmarks/serving
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-1 8 64}
FORMATS=${FORMATS:-v2 fp32 tf binary}
WRK_THREADS=${WRK_THREADS:-2}
FASTAPI=${FASTAPI:-1}
FASTAPI_WORKERS=${FASTAPI_WORKERS:-1 2}
PYTHON=${PYTHON:-python3}
IMAGE=${IMAGE:-0}
EPOCHS=${EPOCHS:-1}
BATCHING=${BATCHING-200 32}
data=${TERN_DATA_DIR:-$PWD/Data}/mnist

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
. "$here/lib.sh"
tern_binary

work=$(mktemp -d)
results=${RESULTS:-$work/results}
mkdir -p "$results"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
# Stops a process this script started and forgets it.
stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
}
trap cleanup EXIT

# VmRSS (kB) of a process and all its descendants (uvicorn's workers).
tree() { echo "$1"; local c; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
rss_kb() {
    local total=0 p v
    for p in $(tree "$1"); do
        v=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}
# Samples rss_kb every 0.25 s into FILE (the maximum seen) until killed.
sample_rss() { # pid file
    local max=0 r
    while :; do
        r=$(rss_kb "$1")
        if [ "$r" -gt "$max" ]; then max=$r; echo "$max" >"$2"; fi
        sleep 0.25
    done
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

rows=$work/rows.tsv
: >"$rows"
# Drives one URL at each connection count: warm-up, then the measured run.
load() { # label url body content-type header-length
    local label=$1 url=$2 c t out
    for c in $CONNECTIONS; do
        t=$((c < WRK_THREADS ? c : WRK_THREADS))
        out=$results/$(echo "$label" | tr -c 'A-Za-z0-9\n' '_')-c$c.txt
        export BODY_FILE=$3 CONTENT_TYPE=$4 HEADER_LENGTH=$5
        [ "$WARMUP" = 0 ] || wrk -t"$t" -c"$c" -d"${WARMUP}s" -s "$here/post.lua" "$url" >/dev/null
        wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -s "$here/post.lua" "$url" >"$out"
        printf '%s\t%s\t%s\n' "$label" "$c" "$(grep '^RESULT' "$out")" >>"$rows"
        echo "  $label, $c connections: $(grep '^RESULT' "$out" | cut -d' ' -f3-)"
    done
}
# Whether FORMATS includes a format.
wanted() { case " $FORMATS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
unsupported() { printf '%s\t-\tRESULT unsupported (%s)\n' "$1" "$2" >>"$rows"; }
probe() { # url body content-type header-length out -> HTTP status
    local extra=()
    [ -z "$4" ] || extra=(-H "Inference-Header-Content-Length: $4")
    curl -s -o "$5" -w '%{http_code}' -H "Content-Type: $3" "${extra[@]}" --data-binary "@$2" "$1"
}

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "== model: Examples/mnist-mlp.json, $EPOCHS epoch(s) on MNIST test rows 0:8000"
"$tern" train Examples/mnist-mlp.json --data "$data" --train test:0:8000 --epochs "$EPOCHS" --quiet --output "$work/mnist.tern"
"$PYTHON" "$here/make_bodies.py" "$work/bodies" --data "$data" --index "$IMAGE"
bodies=$work/bodies
binlen=$(cat "$bodies/v2.bin.len")

echo "== tern serve"
home=$work/home
# Anonymous predict: no key header in the load, as the peer has none.
start_tern "$home" "$results/tern-server.log"
pids+=("$tern_pid")
create_model mnist "$work/mnist.tern"
"$tern" models alias mnist production 1 >/dev/null
"$tern" deploy mnist --alias production >/dev/null
v2_url=$TERN_SERVER/v2/models/mnist/infer
if [ -n "$BATCHING" ]; then
    read -r batch_delay batch_size <<<"$BATCHING"
    create_model mnist-batched "$work/mnist.tern"
    "$tern" deploy mnist-batched --version 1 --max-queue-delay-us "$batch_delay" --max-batch-size "$batch_size" >/dev/null
    batched_url=$TERN_SERVER/v2/models/mnist-batched/versions/1/infer
fi
tf_url=$TERN_SERVER/v1/models/mnist:predict

status=$(probe "$v2_url" "$bodies/v2.json" application/json "" "$work/tern_v2.out")
[ "$status" = 200 ] || { echo "V2 JSON probe: HTTP $status: $(cat "$work/tern_v2.out")" >&2; exit 1; }
status=$(probe "$v2_url" "$bodies/v2_fp32.json" application/json "" "$work/tern_fp32.out")
[ "$status" = 200 ] || { echo "V2 JSON FP32 probe: HTTP $status: $(cat "$work/tern_fp32.out")" >&2; exit 1; }
status=$(probe "$tf_url" "$bodies/tf.json" application/json "" "$work/tern_tf.out")
[ "$status" = 200 ] || { echo "TF :predict probe: HTTP $status: $(cat "$work/tern_tf.out")" >&2; exit 1; }
bin_status=$(probe "$v2_url" "$bodies/v2.bin" application/octet-stream "$binlen" "$work/tern_bin.out")
echo "probes: V2 JSON 200, V2 JSON FP32 200, TF :predict 200, V2 binary $bin_status"
sleep 1
tern_idle=$(rss_kb "$tern_pid")
echo "idle RSS with the model loaded: $(mb "$tern_idle")"

sample_rss "$tern_pid" "$work/tern_peak" &
sampler=$!
pids+=("$sampler")
echo "$tern_idle" >"$work/tern_peak"
wanted v2 && load "tern V2 JSON" "$v2_url" "$bodies/v2.json" application/json ""
wanted fp32 && load "tern V2 JSON FP32" "$v2_url" "$bodies/v2_fp32.json" application/json ""
if [ -n "$BATCHING" ] && wanted v2; then
    load "tern V2 JSON, batching ${batch_delay} µs/${batch_size}" "$batched_url" "$bodies/v2.json" application/json ""
    curl -s "$TERN_SERVER/metrics" | awk '/^tern_inference_batch_size_(sum|count)\{.*mnist-batched/ { split($1, a, "{"); v[a[1]] = $2 }
        END { if (v["tern_inference_batch_size_count"] > 0) printf "  batching: %d runs of the model, %.1f samples per run on average\n", v["tern_inference_batch_size_count"], v["tern_inference_batch_size_sum"] / v["tern_inference_batch_size_count"] }'
fi
wanted tf && load "tern TF :predict" "$tf_url" "$bodies/tf.json" application/json ""
wanted binary && case $bin_status in
    2??) load "tern V2 binary" "$v2_url" "$bodies/v2.bin" application/octet-stream "$binlen" ;;
    4??) echo "  V2 binary: unsupported (HTTP $bin_status: $(head -c 200 "$work/tern_bin.out"))"
         unsupported "tern V2 binary" "HTTP $bin_status on the probe" ;;
    *) echo "  V2 binary: probe failed (HTTP $bin_status)"; unsupported "tern V2 binary" "probe failed, HTTP $bin_status" ;;
esac
stop "$sampler"
tern_peak=$(cat "$work/tern_peak")
tern_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$tern_pid/status")
stop "$tern_pid"

declare -A peer_idle peer_peak
if [ "$FASTAPI" = 1 ]; then
    echo "== FastAPI peer"
    venv=$here/.venv
    reqs='fastapi uvicorn[standard] numpy orjson'
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.tern-reqs" 2>/dev/null)" != "$reqs" ]; then
        "$PYTHON" -m venv "$venv"
        # shellcheck disable=SC2086
        "$venv/bin/pip" install -q $reqs
        echo "$reqs" >"$venv/.tern-reqs"
    fi
    "$venv/bin/python" -c 'import importlib.metadata as m; print("  " + ", ".join(p + " " + m.version(p) for p in ["fastapi", "uvicorn", "numpy", "orjson", "uvloop", "httptools"]))'
    for w in $FASTAPI_WORKERS; do
        fport=$(free_port)
        furl=http://127.0.0.1:$fport
        TERN_ARTIFACT=$work/mnist.tern MODEL_NAME=mnist "$venv/bin/uvicorn" fastapi_server:app --app-dir "$here" \
            --host 127.0.0.1 --port "$fport" --workers "$w" --no-access-log --log-level warning \
            >"$results/fastapi-$w.log" 2>&1 &
        fpid=$!
        pids+=("$fpid")
        wait_ready "$furl/v2/health/ready" 60
        status=$(probe "$furl/v2/models/mnist/infer" "$bodies/v2.json" application/json "" "$work/fastapi_v2.out")
        [ "$status" = 200 ] || { echo "FastAPI probe: HTTP $status: $(cat "$work/fastapi_v2.out")" >&2; exit 1; }
        if [ "$w" = "$(echo $FASTAPI_WORKERS | cut -d' ' -f1)" ]; then
            if "$PYTHON" - "$work/tern_v2.out" "$work/tern_tf.out" "$work/fastapi_v2.out" "$(cat "$bodies/label")" <<'EOF'
import json, sys
tern = json.load(open(sys.argv[1]))["outputs"][0]["data"]
tf = json.load(open(sys.argv[2]))["predictions"][0]
peer = json.load(open(sys.argv[3]))["outputs"][0]["data"]
argmax = lambda v: max(range(len(v)), key=v.__getitem__)
diff = max(abs(a - b) for a, b in zip(tern, peer))
ok = len(tern) == len(peer) == 10 and argmax(tern) == argmax(peer) and diff <= 1e-4
print(f"  check: label {sys.argv[4]}, tern V2 argmax {argmax(tern)}, tern TF argmax {argmax(tf)}, "
      f"FastAPI argmax {argmax(peer)}, max |p_tern - p_fastapi| = {diff:.2e}: {'OK' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
EOF
            then :; else echo "  the peer's outputs differ from Tern's: its rows measure a different computation" >&2; fi
        fi
        sleep 1
        peer_idle[$w]=$(rss_kb "$fpid")
        echo "$w worker(s): idle RSS $(mb "${peer_idle[$w]}")"
        sample_rss "$fpid" "$work/peer_peak" &
        sampler=$!
        pids+=("$sampler")
        wanted v2 && load "FastAPI V2 JSON, $w worker(s)" "$furl/v2/models/mnist/infer" "$bodies/v2.json" application/json ""
        wanted fp32 && load "FastAPI V2 JSON FP32, $w worker(s)" "$furl/v2/models/mnist/infer" "$bodies/v2_fp32.json" application/json ""
        stop "$sampler"
        peer_peak[$w]=$(cat "$work/peer_peak" 2>/dev/null || echo "${peer_idle[$w]}")
        stop "$fpid"
    done
fi

echo
echo "== results: ${DURATION} s per row after ${WARMUP} s warm-up, wrk -t${WRK_THREADS} (fewer for 1 connection), image $IMAGE"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the rows)"
echo
echo "| server, format | connections | requests/s | p50 | p99 | non-2xx | socket errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '
    function ms(us) { return sprintf("%.2f ms", us / 1000) }
    {
        if ($3 ~ /unsupported/) { sub(/^RESULT /, "", $3); printf "| %s | all | %s | | | | |\n", $1, $3; next }
        n = split($3, kv, " ")
        for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        printf "| %s | %s | %.0f | %s | %s | %d | %d |\n", $1, $2, v["rps"], ms(v["p50_us"]), ms(v["p99_us"]), v["non2xx"], v["socket_errors"]
    }' "$rows"
echo
echo "| server | idle RSS, model loaded | peak RSS under load (sampled every 0.25 s) |"
echo "|---|---:|---:|"
echo "| tern serve | $(mb "$tern_idle") | $(mb "$tern_peak") (VmHWM over the whole run $(mb "$tern_hwm")) |"
for w in $FASTAPI_WORKERS; do
    [ "$FASTAPI" = 1 ] || break
    echo "| FastAPI, $w worker(s) (all processes) | $(mb "${peer_idle[$w]}") | $(mb "${peer_peak[$w]}") |"
done
if [ "$FASTAPI" = 1 ]; then
    echo
    echo "Tern / FastAPI, V2 JSON requests/s (UINT8 and FP32 bodies):"
    awk -F'\t' -v workers="$FASTAPI_WORKERS" '
        BEGIN { nw = split(workers, wl, " ") }
        { match($3, /rps=[0-9.]+/); r = substr($3, RSTART + 4, RLENGTH - 4) }
        $1 == "tern V2 JSON" || $1 == "tern V2 JSON FP32" {
            f = $1; sub(/^tern /, "", f); tern[f, $2] = r
            if (!((f, $2) in seen)) { seen[f, $2] = 1; order[++n] = f SUBSEP $2 }
        }
        $1 ~ /^FastAPI V2 JSON/ { f = $1; sub(/^FastAPI /, "", f); w = f; sub(/, .*$/, "", f); sub(/^.*, /, "", w); peer[f, w, $2] = r }
        END {
            for (i = 1; i <= n; i++) {
                split(order[i], k, SUBSEP); line = sprintf("  %s, %s connections:", k[1], k[2])
                for (j = 1; j <= nw; j++) {
                    w = wl[j] " worker(s)"
                    if (peer[k[1], w, k[2]] > 0) line = line sprintf("  %.2fx vs %s", tern[k[1], k[2]] / peer[k[1], w, k[2]], w)
                }
                print line
            }
        }' "$rows"
fi
[ -z "${RESULTS:-}" ] || echo "raw wrk outputs and logs: $results"
