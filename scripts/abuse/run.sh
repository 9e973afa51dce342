#!/bin/sh
# Abuse suite for `tern serve` (see README.md in this folder).
# TERN_BIN picks the binary (default .build/release/tern, else .build/debug/tern).
# Arguments go to run.py: attack names, --list, --threshold-ms N, --keep, ...
set -eu
cd "$(dirname "$0")/../.."
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec python3 scripts/abuse/run.py "$@"
