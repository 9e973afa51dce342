#!/usr/bin/env bash
# The worked example end to end, as the Keras example runs it: train the
# MNIST MLP on the 60,000 training images (5 epochs, batch 32), evaluate it
# on the 10,000 test images, predict a few digits and print its summary.
# Data: Data/mnist, or $TERN_DATA_DIR/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
# TERN_BIN: an existing tern binary (skips the release build).
tern=${TERN_BIN:-}
if [ -z "$tern" ]; then swift build -c release --product tern >/dev/null; tern=.build/release/tern; fi
out=${TERN_OUTPUT:-mnist.tern}
$tern train Examples/mnist-mlp.json --output "$out"
$tern evaluate "$out"
$tern predict "$out" --range 0:5
$tern inspect "$out"
