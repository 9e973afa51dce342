#!/usr/bin/env bash
# Two builds of `tern serve` side by side under the same wrk load, in
# alternating rounds, to tell whether a change moved serving throughput:
#
#   TERN_BASE=/path/to/old/tern TERN_BIN=.build/release/tern Benchmarks/serving/compare.sh
#
# Both servers run at once on free loopback ports (the idle one costs
# nothing), each with its own data directory and the same artifact (trained
# once by TERN_BIN), anonymous predict, defaults otherwise. Each round drives
# V2 JSON, TF :predict and V2 binary at each connection count on one server,
# then the other; the order alternates between rounds. It prints the median
# requests/s and p99 of each row over the rounds and the ratio new/base, and
# the server's CPU time per request (user + system, from /proc/PID/stat),
# which shared machines disturb far less than the request rate.
#
# Settings (environment): ROUNDS=5, DURATION=5 (seconds per measured run),
# WARMUP=2, CONNECTIONS="1 8 64", WRK_THREADS=2, TERN_DATA_DIR, PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$PWD/Benchmarks/serving
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-1 8 64}
WRK_THREADS=${WRK_THREADS:-2}
PYTHON=${PYTHON:-python3}
data=${TERN_DATA_DIR:-$PWD/Data}/mnist
: "${TERN_BASE:?set TERN_BASE to the baseline tern binary}"
: "${TERN_BIN:?set TERN_BIN to the tern binary under test}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
. "$here/lib.sh"

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
"$TERN_BIN" train Examples/mnist-mlp.json --data "$data" --train test:0:8000 --epochs 1 --quiet --output "$work/mnist.tern"
"$PYTHON" "$here/make_bodies.py" "$work/bodies" --data "$data" --index 0
bodies=$work/bodies
binlen=$(cat "$bodies/v2.bin.len")

declare -A server pid
for name in base new; do
    if [ "$name" = base ]; then tern=$TERN_BASE; else tern=$TERN_BIN; fi
    start_tern "$work/home-$name" "$work/$name.log"
    pids+=("$tern_pid")
    create_model mnist "$work/mnist.tern"
    "$tern" models alias mnist production 1 >/dev/null
    "$tern" deploy mnist --alias production >/dev/null
    server[$name]=$TERN_SERVER
    pid[$name]=$tern_pid
    echo "$name: $tern at $TERN_SERVER"
done

rows=$work/rows.tsv
: >"$rows"
# Clock ticks of CPU (user + system) a process has used.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run() { # name format url body content-type header-length connections
    local t=$(( $7 < WRK_THREADS ? $7 : WRK_THREADS )) before result
    export BODY_FILE=$4 CONTENT_TYPE=$5 HEADER_LENGTH=$6
    [ "$WARMUP" = 0 ] || wrk -t"$t" -c"$7" -d"${WARMUP}s" -s "$here/post.lua" "$3" >/dev/null
    before=$(ticks "${pid[$1]}")
    result=$(wrk -t"$t" -c"$7" -d"${DURATION}s" --latency -s "$here/post.lua" "$3" | grep '^RESULT')
    printf '%s\t%s\t%s\t%s cpu_ticks=%s\n' "$1" "$2" "$7" "$result" $(( $(ticks "${pid[$1]}") - before )) >>"$rows"
}
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="base new"; else order="new base"; fi
    for name in $order; do
        url=${server[$name]}
        for c in $CONNECTIONS; do
            run "$name" "V2 JSON" "$url/v2/models/mnist/infer" "$bodies/v2.json" application/json "" "$c"
            run "$name" "TF :predict" "$url/v1/models/mnist:predict" "$bodies/tf.json" application/json "" "$c"
            run "$name" "V2 binary" "$url/v2/models/mnist/infer" "$bodies/v2.bin" application/octet-stream "$binlen" "$c"
        done
    done
    echo "round $round of $ROUNDS done"
done

"$PYTHON" - "$rows" <<'PY'
import os, re, statistics, sys
hz = os.sysconf("SC_CLK_TCK")
rows = {}
for line in open(sys.argv[1]):
    name, fmt, c, result = line.rstrip("\n").split("\t")
    fields = dict(re.findall(r"(\w+)=([\d.]+)", result))
    cpu_us = float(fields["cpu_ticks"]) * 1e6 / hz / max(1, int(fields["requests"]))
    rows.setdefault((fmt, int(c), name), []).append((float(fields["rps"]), int(fields["p99_us"]), int(fields["non2xx"]), cpu_us))
print(f"{'format':<12} {'conns':>5} {'base rps':>10} {'new rps':>10} {'new/base':>9} {'base p99 µs':>12} {'new p99 µs':>11} "
      f"{'base CPU µs/req':>16} {'new CPU µs/req':>15} {'new/base':>9} non-2xx")
for fmt in ["V2 JSON", "TF :predict", "V2 binary"]:
    for c in sorted({k[1] for k in rows if k[0] == fmt}):
        b, n = rows[(fmt, c, "base")], rows[(fmt, c, "new")]
        mb, mn = statistics.median(r[0] for r in b), statistics.median(r[0] for r in n)
        pb, pn = statistics.median(r[1] for r in b), statistics.median(r[1] for r in n)
        bad = sum(r[2] for r in b + n)
        spread = max(r[0] for r in n) / min(r[0] for r in n) - 1
        bspread = max(r[0] for r in b) / min(r[0] for r in b) - 1
        cb, cn = statistics.median(r[3] for r in b), statistics.median(r[3] for r in n)
        print(f"{fmt:<12} {c:>5} {mb:>10.0f} {mn:>10.0f} {mn / mb:>9.3f} {pb:>12.0f} {pn:>11.0f} "
              f"{cb:>16.1f} {cn:>15.1f} {cn / cb:>9.3f} {bad}  (rps spread over rounds: base {bspread:.0%}, new {spread:.0%})")
PY
