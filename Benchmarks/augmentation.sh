#!/usr/bin/env bash
# Does augmentation help on little data? Trains the same spec with and
# without its augmentation on the first 1,000 MNIST images, for the same
# number of epochs and seeds 1, 2 and 3, evaluates each model on rows
# 8000:10000 and prints the accuracies, both means and their difference.
#   Benchmarks/augmentation.sh [spec] [epochs]
# Defaults: Examples/mnist-cnn-augmented.json, its fit.epochs (via --epochs).
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC=${1:-Examples/mnist-cnn-augmented.json}
EPOCHS=${2:-20}
SEEDS=(1 2 3)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
swift build -c release --product tern >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
TERN=.build/release/tern

accuracy() { # model → accuracy on 8000:10000
    "$TERN" evaluate "$1" --range test:8000:10000 | awk '$1 == "accuracy:" { print $2 }'
}

run() { # label, extra flags → mean accuracy, printed per seed on stderr
    local label=$1; shift
    local sum=0
    for seed in "${SEEDS[@]}"; do
        "$TERN" train "$SPEC" --train test:0:1000 --validation test:8000:10000 --seed "$seed" --epochs "$EPOCHS" \
            --output "$OUT/$label-$seed.tern" --quiet "$@" >/dev/null
        local acc
        acc=$(accuracy "$OUT/$label-$seed.tern")
        echo "$label seed $seed: accuracy $acc" >&2
        sum=$(awk -v a="$sum" -v b="$acc" 'BEGIN { print a + b }')
    done
    awk -v s="$sum" -v n="${#SEEDS[@]}" 'BEGIN { printf "%.4f", s / n }'
}

echo "spec $SPEC, $EPOCHS epochs, train 0:1000, evaluate 8000:10000, seeds ${SEEDS[*]}"
plain=$(run plain --no-augmentation)
augmented=$(run augmented)
echo "mean accuracy without augmentation: $plain"
echo "mean accuracy with augmentation:    $augmented"
awk -v a="$augmented" -v p="$plain" 'BEGIN { printf "difference: %+.2f points\n", (a - p) * 100 }'
