#!/usr/bin/env bash
# Imported ONNX MNIST MLPs against the same network run natively by Tern:
# single-image latency (median) and batch-10,000 throughput from
# `tern bench predict`, three interleaved rounds, medians and ratios.
#
#   Benchmarks/onnx.sh            # builds release, trains, exports, measures
#   SKIP_BUILD=1 ROUNDS=5 Benchmarks/onnx.sh
#
# Models: the native MLP (Examples/mnist-mlp.json, 1 epoch on test rows
# 0:8000), that same model exported by `tern export` and imported back
# (identical weights), and the two exporter-shaped fixtures
# (PyTorch Gemm layout, Keras/tf2onnx MatMul+Add layout; float input).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
data=${TERN_DATA_DIR:-$PWD/Data}/mnist
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product tern >/dev/null
tern=.build/release/tern
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tern" train Examples/mnist-mlp.json --data "$data" --train test:0:8000 --epochs 1 --quiet --output "$work/mlp.tern" >/dev/null
"$tern" export "$work/mlp.tern" --format onnx --output "$work/mlp.onnx" >/dev/null
fixtures=Tests/TernONNXTests/Fixtures/onnx
names=(native exported gemm matmul)
files=("$work/mlp.tern" "$work/mlp.onnx" "$fixtures/mnist_mlp_gemm.onnx" "$fixtures/mnist_mlp_matmul.onnx")
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    for i in "${!names[@]}"; do
        out=$("$tern" bench predict --model "${files[$i]}" --data "$data")
        single=$(echo "$out" | sed -n 's/.*single image: median \([0-9.]*\) us.*/\1/p')
        batch=$(echo "$out" | sed -n 's/.*batch [0-9]*: median \([0-9]*\) images.*/\1/p')
        echo "${names[$i]} $single $batch" >>"$work/rows"
        echo "  round $round, ${names[$i]}: $single us, $batch images/s"
    done
done
echo
python3 - "$work/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, single, batch = line.split()
    rows.setdefault(name, []).append((float(single), float(batch)))
med = {n: (statistics.median(s for s, _ in v), statistics.median(b for _, b in v)) for n, v in rows.items()}
ns, nb = med["native"]
labels = {"native": "Tern native (Dense layers)", "exported": "same model, exported to ONNX and imported",
          "gemm": "PyTorch-shaped ONNX MLP (Gemm)", "matmul": "Keras-shaped ONNX MLP (MatMul + Add)"}
print("| model | single image, median | time vs native | batch 10,000 | time vs native |")
print("|---|---:|---:|---:|---:|")
for n in ["native", "exported", "gemm", "matmul"]:
    s, b = med[n]
    print(f"| {labels[n]} | {s:.2f} µs | {s / ns:.2f}x | {b:,.0f} images/s | {nb / b:.2f}x |")
PY
