#!/usr/bin/env bash
# Zero-downtime swap benchmark: V2 JSON load on `tern serve` (release build)
# while the `production` alias moves between two versions of the model, and
# the server's memory over the run.
#
#   Benchmarks/serving/swap.sh                      # 60 s at 64 connections, a swap every 10 s
#   DURATION=20 EVERY=4 Benchmarks/serving/swap.sh  # quicker
#
# Settings (environment): DURATION=60, EVERY=10 (seconds between swaps),
# CONNECTIONS=64, WRK_THREADS=2, BATCHING="" (e.g. "200 32": deploy with
# dynamic batching, delay µs and max batch size), SKIP_BUILD=1, TERN_BIN=PATH,
# TERN_DATA_DIR, PYTHON. It prints wrk's result, the answers per version and
# per status, each swap's HTTP status and time, and idle/peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/Benchmarks/serving
DURATION=${DURATION:-60}
EVERY=${EVERY:-10}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
BATCHING=${BATCHING:-}
PYTHON=${PYTHON:-python3}
data=${TERN_DATA_DIR:-$PWD/Data}/mnist

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
. "$here/lib.sh"
tern_binary
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "== two versions of Examples/mnist-mlp.json (1 epoch on test rows 0:8000, seeds 1 and 2)"
for seed in 1 2; do
    "$tern" train Examples/mnist-mlp.json --data "$data" --train test:0:8000 --epochs 1 --seed "$seed" --quiet --output "$work/v$seed.tern"
done
"$PYTHON" "$here/make_bodies.py" "$work/bodies" --data "$data" --index 0 >/dev/null

start_tern "$work/home" "$work/server.log"
server=$tern_pid
pids+=("$server")
create_model mnist "$work/v1.tern" "$work/v2.tern"
"$tern" models alias mnist production 1 >/dev/null
batching=()
if [ -n "$BATCHING" ]; then read -r d s <<<"$BATCHING"; batching=(--max-queue-delay-us "$d" --max-batch-size "$s"); fi
"$tern" deploy mnist --alias production "${batching[@]}" >/dev/null
url=$TERN_SERVER/v2/models/mnist/infer
curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary "@$work/bodies/v2.json" "$url"
sleep 1
idle=$(rss_kb "$server")
echo "idle RSS with version 1 loaded: $(mb "$idle")"

peak=$idle
(
    # Swaps the alias every EVERY seconds while the load runs.
    target=2
    elapsed=0
    while [ $((elapsed + EVERY)) -lt "$DURATION" ]; do
        sleep "$EVERY"
        elapsed=$((elapsed + EVERY))
        start=$(date +%s.%N)
        status=$(curl -s -o "$work/swap.out" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TERN_API_KEY" \
            -H 'Content-Type: application/json' -d "{\"version\": $target}" "$TERN_SERVER/api/v1/models/mnist/aliases/production")
        echo "  swap at ${elapsed}s: production -> $target, HTTP $status in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f ms", (e - s) * 1000 }')"
        target=$((3 - target))
    done
) &
swapper=$!
pids+=("$swapper")
(
    while :; do rss_kb "$server"; sleep 0.25; done
) >"$work/rss" &
sampler=$!
pids+=("$sampler")
echo "== wrk: $DURATION s, $CONNECTIONS connections, production alias moved every $EVERY s"
BODY_FILE=$work/bodies/v2.json wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$here/versions.lua" "$url" >"$work/wrk.out"
wait "$swapper" 2>/dev/null || true
kill "$sampler" 2>/dev/null || true
peak=$(sort -n "$work/rss" | tail -1)
[ "${peak:-0}" -gt "$idle" ] || peak=$idle
echo
grep -E '^(RESULT|VERSIONS)' "$work/wrk.out"
echo "deployments after the run: $(curl -s -H "Authorization: Bearer $TERN_API_KEY" "$TERN_SERVER/api/v1/deployments" | "$PYTHON" -c 'import json,sys; print(", ".join("v%s %s" % (d["version"], d["state"]) for d in json.load(sys.stdin)["deployments"]))')"
echo "RSS: idle $(mb "$idle"), peak under load $(mb "$peak") ($(awk -v p="$peak" -v i="$idle" 'BEGIN { printf "%.2fx", p / i }') idle)"
if grep -q 'non2xx=0 socket_errors=0' "$work/wrk.out"; then echo "verdict: zero failed responses"; else echo "verdict: FAILURES (see RESULT)"; exit 1; fi
