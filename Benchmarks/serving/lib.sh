# Shared by the serving benchmark scripts (sourced, not run).

# Sets $tern: $TERN_BIN, or .build/release/tern (built first unless SKIP_BUILD=1).
tern_binary() {
    if [ -n "${TERN_BIN:-}" ]; then
        tern=$TERN_BIN
    else
        [ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release --product tern >/dev/null
        tern=$PWD/.build/release/tern
    fi
}

free_port() { "${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_ready() { # url seconds
    for _ in $(seq $(($2 * 10))); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
    echo "server at $1 did not become ready" >&2; return 1
}

# Starts `tern serve` on a free loopback port with data in HOME_DIR and an admin
# key, anonymous predict allowed; exports TERN_SERVER and TERN_API_KEY for the
# CLI and sets $tern_pid. Needs $tern.
start_tern() { # home-dir log-file
    local port
    port=$(free_port)
    export TERN_SERVER=http://127.0.0.1:$port
    TERN_API_KEY=$("$tern" keys create --local --data-dir "$1" --scope admin --print-only)
    export TERN_API_KEY
    "$tern" serve --data-dir "$1" --host 127.0.0.1 --port "$port" --allow-anonymous-predict >"$2" 2>&1 &
    tern_pid=$!
    wait_ready "$TERN_SERVER/v2/health/ready" 30
}

# Registers model NAME (the CLI has no `models create`) and uploads each FILE as its next version.
create_model() { # name file...
    local name=$1 file
    shift
    curl -sf -o /dev/null -H "Authorization: Bearer $TERN_API_KEY" -H 'Content-Type: application/json' \
        -d "{\"name\": \"$name\"}" "$TERN_SERVER/api/v1/models"
    for file in "$@"; do "$tern" models upload "$name" "$file" >/dev/null; done
}
