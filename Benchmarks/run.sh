#!/usr/bin/env bash
# Side-by-side training and inference benchmark: Tern (release build) and its
# peers on the same MNIST MLP workload, in one run. Keras is used when the
# Python running this has it (e.g. a venv with `pip install keras jax`).
#   Benchmarks/run.sh [python3]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python3}
swift build -c release --product tern >/dev/null
echo "== tern"
.build/release/tern bench train --epochs 3
.build/release/tern bench predict
echo "== peers"
"$PY" Benchmarks/mnist_peers.py --epochs 3
