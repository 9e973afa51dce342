#!/usr/bin/env bash
# Dynamic batching against none, on one server: the same model deployed twice
# (one copy with batching), V2 JSON at 64 connections, the two loads
# alternating for ROUNDS rounds so drift on a shared machine hits both alike.
# Prints each round and the medians: requests/s, p50, p99, ratio.
#
#   Benchmarks/serving/batching.sh
#   ROUNDS=7 DURATION=5 BATCHING="200 32" Benchmarks/serving/batching.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$PWD/Benchmarks/serving
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
BATCHING=${BATCHING:-200 32}
PYTHON=${PYTHON:-python3}
data=${TERN_DATA_DIR:-$PWD/Data}/mnist
. "$here/lib.sh"
tern_binary
work=$(mktemp -d)
server=
cleanup() { [ -z "$server" ] || { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
"$tern" train Examples/mnist-mlp.json --data "$data" --train test:0:8000 --epochs 1 --quiet --output "$work/m.tern" >/dev/null
"$PYTHON" "$here/make_bodies.py" "$work/bodies" --data "$data" --index 0 >/dev/null
start_tern "$work/home" "$work/log"
server=$tern_pid
read -r delay size <<<"$BATCHING"
for name in plain batched; do create_model "$name" "$work/m.tern"; done
"$tern" deploy plain --version 1 >/dev/null
"$tern" deploy batched --version 1 --max-queue-delay-us "$delay" --max-batch-size "$size" >/dev/null
export BODY_FILE=$work/bodies/v2.json CONTENT_TYPE=application/json HEADER_LENGTH=
echo "== $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of ${DURATION} s per deployment, $CONNECTIONS connections, batching $delay µs / $size"
for name in plain batched; do wrk -t2 -c"$CONNECTIONS" -d2s -s "$here/post.lua" "$TERN_SERVER/v2/models/$name/versions/1/infer" >/dev/null; done
for round in $(seq "$ROUNDS"); do
    for name in plain batched; do
        line=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$here/post.lua" "$TERN_SERVER/v2/models/$name/versions/1/infer" | grep '^RESULT')
        echo "$name $line" >>"$work/rows"
        echo "  round $round $name: ${line#RESULT }"
    done
done
curl -s "$TERN_SERVER/metrics" | awk '/^tern_inference_batch_size_(sum|count)\{.*batched/ { split($1, a, "{"); v[a[1]] = $2 }
    END { if (v["tern_inference_batch_size_count"] > 0) printf "batched: %.1f samples per run of the model on average\n", v["tern_inference_batch_size_sum"] / v["tern_inference_batch_size_count"] }'
"$PYTHON" - "$work/rows" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name = line.split()[0]
    kv = dict(re.findall(r"(\w+)=([\d.]+)", line))
    rows.setdefault(name, []).append((float(kv["rps"]), float(kv["p50_us"]), float(kv["p99_us"]), int(kv["non2xx"])))
med = {n: [statistics.median(r[i] for r in v) for i in range(3)] for n, v in rows.items()}
print("| deployment | requests/s (median) | p50 | p99 | non-2xx |")
print("|---|---:|---:|---:|---:|")
for n in ["plain", "batched"]:
    r, p50, p99 = med[n]
    print(f"| {n} | {r:.0f} | {p50 / 1000:.2f} ms | {p99 / 1000:.2f} ms | {sum(x[3] for x in rows[n])} |")
print(f"batched / plain: {med['batched'][0] / med['plain'][0]:.2f}x requests/s, p99 {med['batched'][2] / med['plain'][2]:.2f}x")
PY
