#!/usr/bin/env bash
# The worked example end to end: train the Keras MNIST MLP, evaluate it,
# predict a few digits and print its summary. Data: $TERN_DATA_DIR/mnist,
# default ../shared/data/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product tern >/dev/null
tern=.build/release/tern
out=${TERN_OUTPUT:-mnist.tern}
$tern train Examples/mnist-mlp.json --train 0:8000 --validation 8000:10000 --output "$out"
$tern evaluate "$out" --range 8000:10000
$tern predict "$out" --range 0:5
$tern inspect "$out"
