#!/usr/bin/env bash
# Accuracy of the example specs on the MNIST split of shared/data/README.md:
# train on 0:8000 (validation 8000:10000), evaluate on 8000:10000, seeds 1-5.
#   Benchmarks/accuracy.sh [spec ...]      (default: both MNIST examples)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product tern >/dev/null
tern=.build/release/tern
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(Examples/mnist-mlp.json Examples/mnist-cnn.json)
for spec in "${specs[@]}"; do
    scores=()
    for seed in 1 2 3 4 5; do
        $tern train "$spec" --train 0:8000 --validation 8000:10000 --seed "$seed" --output "$out/m.tern" --quiet >/dev/null
        scores+=("$($tern evaluate "$out/m.tern" --range 8000:10000 | awk '/^accuracy:/ {print $2}')")
    done
    printf '%s: %s  mean %s  min %s\n' "$(basename "$spec" .json)" "${scores[*]}" \
        "$(printf '%s\n' "${scores[@]}" | awk '{s += $1} END {printf "%.4f", s / NR}')" \
        "$(printf '%s\n' "${scores[@]}" | sort -n | head -1)"
done
