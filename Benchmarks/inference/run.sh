#!/usr/bin/env bash
# In-process inference of the Keras MNIST MLP (Flatten 784 -> Dense 128 relu
# -> Dense 10 softmax, uint8 pixels rescaled by 1/255): Tern against a plain C
# + OpenBLAS forward pass (single-image latency) and ONNX Runtime (batch
# throughput), all three on the same weights and the same 10,000 test images,
# in ROUNDS interleaved rounds (tern, C, ORT, tern, C, ORT, ...), then the
# medians over rounds and the ratios:
#   tern single-image time / C single-image time   (target <= 1.1)
#   tern batch images/s / ORT batch images/s        (target >= 1.2)
#
#   Benchmarks/inference/run.sh
#   SKIP_BUILD=1 ROUNDS=5 Benchmarks/inference/run.sh
#
# Installs what it needs: libopenblas-dev (apt-get, when cblas.h is missing)
# and onnxruntime + numpy in a venv under ${TERN_VENVS:-~/.cache/tern/venvs}.
# The model: Examples/mnist-mlp.json trained 1 epoch on test rows 0:8000
# (seeded), saved as an artifact (what `tern bench predict --model` loads),
# exported by `tern export` (what ONNX Runtime runs: uint8 input, Cast and
# Mul inside the graph) and unpacked by prepare.py to raw floats for C.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
data=${TERN_DATA_DIR:-$PWD/Data}/mnist
venv=${TERN_VENVS:-$HOME/.cache/tern/venvs}/inference-bench
reqs="onnxruntime numpy"

if [ ! -e /usr/include/x86_64-linux-gnu/cblas.h ] && [ ! -e /usr/include/cblas.h ] && [ ! -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ]; then
    apt-get update -qq && apt-get install -y -qq libopenblas-dev >/dev/null
fi
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.tern-reqs" 2>/dev/null)" != "$reqs" ]; then
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check $reqs
    echo "$reqs" >"$venv/.tern-reqs"
fi
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product tern >/dev/null
tern=${TERN_BIN:-$PWD/.build/release/tern}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -march=native "$here/reference.c" -o "$work/reference" -lopenblas -lm
"$tern" train Examples/mnist-mlp.json --data "$data" --train test:0:8000 --epochs 1 --quiet --output "$work/mlp.tern" >/dev/null
"$tern" export "$work/mlp.tern" --format onnx --output "$work/mlp.onnx" >/dev/null
python3 "$here/prepare.py" "$work/mlp.tern" "$data" "$work"

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== onnxruntime $("$venv/bin/python" -c 'import onnxruntime; print(onnxruntime.__version__)'), $(basename "$(readlink -f /usr/lib/x86_64-linux-gnu/libopenblas.so.0)") ($(dpkg-query -W -f '${Version}' libopenblas0-pthread 2>/dev/null || echo '?'))"
parse() { # output -> "single batch"
    local single batch
    single=$(echo "$1" | sed -n 's/.*single image: median \([0-9.]*\) us.*/\1/p')
    batch=$(echo "$1" | sed -n 's/.*batch [0-9]*: median \([0-9]*\) images.*/\1/p')
    echo "$single $batch"
}
for round in $(seq "$ROUNDS"); do
    out=$("$tern" bench predict --model "$work/mlp.tern" --data "$data" --threads "$THREADS")
    read -r s b <<<"$(parse "$out")"; echo "tern $s $b" >>"$work/rows"; echo "  round $round, tern: $s us, $b images/s"
    out=$("$work/reference" "$work/weights.f32" "$work/images.u8" 20000 10000 "$THREADS")
    read -r s b <<<"$(parse "$out")"; echo "c $s $b" >>"$work/rows"; echo "  round $round, C:    $s us, $b images/s"
    out=$("$venv/bin/python" "$here/ort.py" "$work/mlp.onnx" "$work/images.u8" --threads "$THREADS")
    read -r s b <<<"$(parse "$out")"; echo "ort $s $b" >>"$work/rows"; echo "  round $round, ORT:  $s us, $b images/s"
done
echo
python3 - "$work/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, single, batch = line.split()
    rows.setdefault(name, []).append((float(single), float(batch)))
med = {n: (statistics.median(s for s, _ in v), statistics.median(b for _, b in v)) for n, v in rows.items()}
labels = {"tern": "Tern (`tern bench predict`)", "c": "C + OpenBLAS (reference.c)", "ort": "ONNX Runtime (ort.py, Python)"}
print(f"medians of {len(rows['tern'])} interleaved rounds")
print("| runtime | single image, median | batch 10,000, median |")
print("|---|---:|---:|")
for n in ["tern", "c", "ort"]:
    s, b = med[n]
    print(f"| {labels[n]} | {s:.2f} µs | {b:,.0f} images/s |")
ts, tb = med["tern"]
cs, _ = med["c"]
_, ob = med["ort"]
r1, r2 = ts / cs, tb / ob
print()
print(f"tern single-image time / C time:      {r1:.2f}  (target <= 1.1: {'met' if r1 <= 1.1 else 'NOT met'})")
print(f"tern batch images/s / ORT images/s:   {r2:.2f}  (target >= 1.2: {'met' if r2 >= 1.2 else 'NOT met'})")
PY
