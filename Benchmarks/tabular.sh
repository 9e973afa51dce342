#!/usr/bin/env bash
# The tabular examples on held-out 20% stratified splits, split seeds 1-5:
# accuracy (titanic, penguins), MAE (mpg), R² of log price (diamonds).
#   Benchmarks/tabular.sh [tern binary]
set -euo pipefail
cd "$(dirname "$0")/.."
tern=${1:-}
if [ -z "$tern" ]; then swift build -c release --product tern >/dev/null; tern=.build/release/tern; fi
data=${TERN_DATA_DIR:-$PWD/Data}/tabular
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for pair in titanic:accuracy penguins:accuracy mpg:mae diamonds:r2; do
    name=${pair%%:*}; metric=${pair##*:}
    values=()
    for seed in 1 2 3 4 5; do
        $tern train "Examples/tabular/$name.json" --csv "$data/$name.csv" --split-seed "$seed" --output "$out/m.tern" --quiet >/dev/null
        values+=("$($tern evaluate "$out/m.tern" --csv "$data/$name.csv" --split-seed "$seed" | awk -v m="$metric:" '$1 == m {print $2}')")
    done
    printf '%-9s %-8s %s  mean %s\n' "$name" "$metric" "${values[*]}" \
        "$(printf '%s\n' "${values[@]}" | awk '{s += $1} END {printf "%.4f", s / NR}')"
done
