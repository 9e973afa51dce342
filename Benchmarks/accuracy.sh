#!/usr/bin/env bash
# Accuracy of the example specs on MNIST (Data/README.md):
#   Benchmarks/accuracy.sh [spec ...]          the quick check: train on test:0:8000 (validation
#                                              test:8000:10000), evaluate on test:8000:10000, seeds 1-5
#   Benchmarks/accuracy.sh --full [spec ...]   the worked example: train on the 60,000 training
#                                              images, evaluate on the 10,000 test images, seeds 1-3
# Default spec: both MNIST examples (quick), the MLP (--full). TERN_BIN skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
full=0
if [ "${1:-}" = "--full" ]; then full=1; shift; fi
tern=${TERN_BIN:-}
if [ -z "$tern" ]; then swift build -c release --product tern >/dev/null; tern=.build/release/tern; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then
    if [ $full = 1 ]; then specs=(Examples/mnist-mlp.json); else specs=(Examples/mnist-mlp.json Examples/mnist-cnn.json); fi
fi
if [ $full = 1 ]; then
    seeds=(1 2 3); train=(--train train); evaluate=(--range test)
else
    seeds=(1 2 3 4 5); train=(--train test:0:8000 --validation test:8000:10000); evaluate=(--range test:8000:10000)
fi
for spec in "${specs[@]}"; do
    scores=()
    for seed in "${seeds[@]}"; do
        $tern train "$spec" "${train[@]}" --seed "$seed" --output "$out/m.tern" --quiet >/dev/null
        scores+=("$($tern evaluate "$out/m.tern" "${evaluate[@]}" | awk '/^accuracy:/ {print $2}')")
    done
    printf '%s: %s  mean %s  min %s\n' "$(basename "$spec" .json)" "${scores[*]}" \
        "$(printf '%s\n' "${scores[@]}" | awk '{s += $1} END {printf "%.4f", s / NR}')" \
        "$(printf '%s\n' "${scores[@]}" | sort -n | head -1)"
done
