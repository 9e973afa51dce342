#!/usr/bin/env bash
# Property-based fuzzing of the management API with Schemathesis.
#
# Starts `tern serve` (fresh data directory, free port on 127.0.0.1, generated
# admin key), seeds it with real objects so that path parameters can hit
# something (model `m` with versions 1 and 2, alias `production`, a deployment,
# the `iris` and `penguins` CSV datasets, a finished training job and its run,
# a throwaway read key), then runs Schemathesis over the document served at
# /openapi.json with the admin key. Fails (exit 1) if any response was a 5xx,
# if Schemathesis reports a network error, or if the server died or stopped
# answering.
#
#   scripts/abuse/schemathesis.sh
#   TERN_BIN=.build/debug/tern MAX_EXAMPLES=300 SEED=4 scripts/abuse/schemathesis.sh
#
# Environment:
#   TERN_BIN        the binary (default .build/release/tern, else .build/debug/tern)
#   TERN_VENVS      where the virtual environment lives (default ~/.cache/tern/venvs)
#   MAX_EXAMPLES    test cases per operation and phase (default 100)
#   SEED            Schemathesis seed (default: random; the run prints it)
#   RUN_TIMEOUT     seconds the Schemathesis run may take (default 1200)
#   KEEP=1          keep the scratch folder (server log, reports) even on success
#   STRICT=1        fail on any failed check, not only on 5xx, errors and a dead server
#
# Checks: everything Schemathesis has except positive_data_acceptance, which
# fails on the document's imprecision rather than on server faults (names,
# job ids and run ids have patterns that the document only states in prose,
# so "schema-valid" values get a correct 400), and negative_data_rejection on
# POST /api/v1/datasets (a raw text/csv body has no type to violate). Fatal: a 5xx, a Schemathesis
# error (a connection closed without an answer, a time-out), a dead server.
# Other failed checks are printed; STRICT=1 makes them fatal too.
#
# Needs python3 (with venv), curl, and the package index for the first run.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5

cd "$(dirname "$0")/../.."
ROOT=$PWD

if [ -z "${TERN_BIN:-}" ]; then
    if [ -x .build/release/tern ]; then TERN_BIN=.build/release/tern; else TERN_BIN=.build/debug/tern; fi
fi
case "$TERN_BIN" in /*) ;; *) TERN_BIN="$ROOT/$TERN_BIN" ;; esac
[ -x "$TERN_BIN" ] || { echo "error: no tern binary at $TERN_BIN (swift build, or set TERN_BIN)" >&2; exit 2; }

MAX_EXAMPLES=${MAX_EXAMPLES:-100}
RUN_TIMEOUT=${RUN_TIMEOUT:-1200}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

# --- the virtual environment, pinned -------------------------------------------------
VENV=${TERN_VENVS:-$HOME/.cache/tern/venvs}/schemathesis
installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true
}
if [ "$(installed_version)" != "$SCHEMATHESIS_VERSION" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    mkdir -p "$(dirname "$VENV")"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
ST="$VENV/bin/schemathesis"

# --- the server -----------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-schemathesis.XXXXXX")
DATA="$WORK/data"
mkdir -p "$DATA"
SERVER_PID=
STATUS=1

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}
cleanup() {
    stop_server
    if [ "$STATUS" -eq 0 ] && [ "${KEEP:-0}" != 1 ]; then
        rm -rf "$WORK"
    else
        echo "scratch folder kept: $WORK (server.log, schemathesis.log, report/)"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KEY=$(python3 -c 'import secrets; print("tern_" + secrets.token_hex(6) + "_" + secrets.token_hex(24))')
BASE="http://127.0.0.1:$PORT"
AUTH="Authorization: Bearer $KEY"

log "starting $TERN_BIN serve on 127.0.0.1:$PORT (data $DATA)"
TERN_ADMIN_KEY=$KEY "$TERN_BIN" serve --host 127.0.0.1 --port "$PORT" --data-dir "$DATA" \
    --job-time-limit 120 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    curl -sf "$BASE/v2/health/live" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "error: the server exited at start:" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done
curl -sf "$BASE/v2/health/live" >/dev/null || { echo "error: the server did not answer /v2/health/live" >&2; exit 1; }

# --- seed data ------------------------------------------------------------------------
api() { # METHOD PATH [curl args...]: prints the body, fails on a non-2xx answer
    local method=$1 path=$2; shift 2
    curl -sS --fail-with-body -X "$method" -H "$AUTH" "$@" "$BASE$path"
}
json_field() { python3 -c 'import json, sys; d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }

log "seeding: model m (versions 1 and 2, alias production, deployed), datasets iris and penguins, a job"
"$TERN_BIN" train Examples/mnist-mlp.json --train test:0:200 --epochs 1 --output "$WORK/m.tern" --quiet >/dev/null
api POST /api/v1/models -H 'Content-Type: application/json' -d '{"name": "m", "description": "seed"}' >/dev/null
api POST /api/v1/models/m/versions -H 'Content-Type: application/octet-stream' --data-binary @"$WORK/m.tern" >/dev/null
api POST /api/v1/models/m/versions -H 'Content-Type: application/octet-stream' --data-binary @"$WORK/m.tern" >/dev/null
api PUT /api/v1/models/m/aliases/production -H 'Content-Type: application/json' -d '{"version": 1}' >/dev/null
api POST /api/v1/deployments -H 'Content-Type: application/json' -d '{"model": "m", "version": 1}' >/dev/null
api POST '/api/v1/datasets?name=iris&kind=csv' -H 'Content-Type: text/csv' --data-binary @Data/tabular/iris.csv >/dev/null
api POST '/api/v1/datasets?name=penguins&kind=csv' -H 'Content-Type: text/csv' --data-binary @Data/tabular/penguins.csv >/dev/null
JOB_BODY=$(python3 -c 'import json
spec = json.load(open("Examples/tabular/penguins.json")); spec["fit"]["epochs"] = 2
print(json.dumps({"model": "penguins", "dataset": "penguins", "spec": spec}))')
JOB_ID=$(api POST /api/v1/jobs -H 'Content-Type: application/json' -d "$JOB_BODY" | json_field id)
RUN_ID=
for _ in $(seq 1 600); do
    STATE=$(api GET "/api/v1/jobs/$JOB_ID" | json_field state)
    case "$STATE" in succeeded|failed|cancelled) break ;; esac
    sleep 0.1
done
if [ "$STATE" = succeeded ]; then
    RUN_ID=$(api GET /api/v1/models/penguins/versions/1 | json_field lineage.run_id)
    [ "$RUN_ID" != None ] || RUN_ID=
else
    log "warning: the seed job ended $STATE; runs/{id} gets no real id"
fi
VICTIM_KEY_ID=$(api POST /api/v1/keys -H 'Content-Type: application/json' -d '{"name": "victim", "scope": "read"}' | json_field id)
log "seeded: job $JOB_ID, run ${RUN_ID:-none}, key $VICTIM_KEY_ID"

# Real identifiers are used for about 60% of the values of these parameters; the rest are generated.
IDS="\"$JOB_ID\", \"$VICTIM_KEY_ID\"${RUN_ID:+, \"$RUN_ID\"}"
cat >"$WORK/schemathesis.toml" <<EOF
[dictionaries.names]
values = ["m", "penguins", "iris"]
[dictionaries.versions]
values = [1, 2]
[dictionaries.version_refs]
values = ["1", "2", "production"]
[dictionaries.aliases]
values = ["production", "staging"]
[dictionaries.ids]
values = [$IDS]

# Every check but positive_data_acceptance (see the top of this script). Set here and not with
# --checks on the command line, which would override the per-operation setting below.
[checks]
positive_data_acceptance.enabled = false
negative_data_rejection.enabled = true

[parameters]
"path.name" = { dictionary = "names", probability = 0.6 }
"path.model" = { dictionary = "names", probability = 0.6 }
"path.version" = { dictionary = "versions", probability = 0.6 }
"query.version" = { dictionary = "versions", probability = 0.5 }
"path.alias" = { dictionary = "aliases", probability = 0.6 }
"path.id" = { dictionary = "ids", probability = 0.6 }
"body.model" = { dictionary = "names", probability = 0.6 }
"body.dataset" = { dictionary = "names", probability = 0.6 }
"body.version" = { dictionary = "versions", probability = 0.6 }

# /api/v1/models/{name}/versions/{version} takes a number or an alias (a string).
[[operations]]
include-path-regex = "^/api/v1/models/\\\\{name\\\\}/versions/\\\\{version\\\\}"
parameters = { "path.name" = { dictionary = "names", probability = 0.6 }, "path.version" = { dictionary = "version_refs", probability = 0.6 } }

# A text/csv body is raw bytes: Schemathesis's "negative" integer 57 goes out as the bytes 57, a valid CSV.
# (include-path and include-method together would match either, so the operation goes by name.)
[[operations]]
include-name = "POST /api/v1/datasets"
checks = { negative_data_rejection = { enabled = false } }
EOF

# --- the run --------------------------------------------------------------------------
ST_ARGS=(--config-file "$WORK/schemathesis.toml" run "$BASE/openapi.json"
    -H "$AUTH"
    --max-examples "$MAX_EXAMPLES"
    --generation-database none
    --report har,junit --report-dir "$WORK/report"
    --no-color)
[ -n "${SEED:-}" ] && ST_ARGS+=(--seed "$SEED")

log "schemathesis $SCHEMATHESIS_VERSION, $MAX_EXAMPLES examples per operation (log: $WORK/schemathesis.log)"
set +e
(cd "$WORK" && timeout "$RUN_TIMEOUT" "$ST" "${ST_ARGS[@]}") >"$WORK/schemathesis.log" 2>&1
ST_RC=$?
set -e
sed -n '/=== SUMMARY ===/,$p' "$WORK/schemathesis.log"

FAIL=0
LOG="$WORK/schemathesis.log"
if [ "$ST_RC" -eq 124 ]; then
    echo "FAIL: schemathesis did not finish within ${RUN_TIMEOUT}s"; FAIL=1
elif grep -q '=== ERRORS ===' "$LOG"; then
    echo "FAIL: schemathesis saw errors (a connection closed without an answer, a time-out, ...):"
    sed -n '/=== ERRORS ===/,/=== \(WARNINGS\|SUMMARY\) ===/p' "$LOG" | head -200
    FAIL=1
fi
if grep -q '=== FAILURES ===' "$LOG"; then
    sed -n '/=== FAILURES ===/,/=== \(ERRORS\|WARNINGS\|SUMMARY\) ===/p' "$LOG" | head -300
    if grep -q 'Server error' "$LOG"; then
        echo "FAIL: not_a_server_error failed"; FAIL=1
    elif [ "${STRICT:-0}" = 1 ]; then
        echo "FAIL: other checks failed (STRICT=1)"; FAIL=1
    else
        echo "note: the failures above are conformance findings, not server errors (STRICT=1 makes them fatal)"
    fi
elif [ "$ST_RC" -ne 0 ] && [ "$FAIL" -eq 0 ]; then
    echo "FAIL: schemathesis exited $ST_RC:"; tail -30 "$LOG"; FAIL=1
fi

# Every request sent, from the HAR report: the number of cases, and every 5xx.
HAR=$(ls "$WORK"/report/har-*.json 2>/dev/null | head -1 || true)
if [ -n "$HAR" ]; then
    python3 - "$HAR" <<'EOF' || FAIL=1
import collections, json, sys
try:
    entries = json.load(open(sys.argv[1]))["log"]["entries"]
except ValueError as error:
    print(f"could not read the HAR report: {error}")
    sys.exit(1)
statuses = collections.Counter(e["response"]["status"] for e in entries)
operations = {(e["request"]["method"], e["request"]["url"].split("?")[0]) for e in entries}
print(f"requests sent: {len(entries)}; by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
errors = [e for e in entries if e["response"]["status"] >= 500]
for e in errors[:50]:
    request = e["request"]
    body = (request.get("postData") or {}).get("text", "")
    print(f"5xx: {e['response']['status']} {request['method']} {request['url']} body={body[:300]!r}")
    print(f"     answer: {(e['response'].get('content') or {}).get('text', '')[:300]!r}")
if errors:
    print(f"FAIL: {len(errors)} responses were 5xx")
    sys.exit(1)
EOF
else
    echo "FAIL: no HAR report was written"; FAIL=1
fi
grep -E '^  [0-9]+ generated' "$WORK/schemathesis.log" | sed 's/^ */test cases: /' || true
grep -E '^  Tested: ' "$WORK/schemathesis.log" | sed 's/^ *Tested: /operations tested: /' || true

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "FAIL: the server died during the run:"; tail -20 "$WORK/server.log"; FAIL=1
elif ! curl -sf -m 5 "$BASE/v2/health/live" >/dev/null; then
    echo "FAIL: the server no longer answers /v2/health/live"; FAIL=1
elif ! curl -sf -m 5 -o /dev/null -H "$AUTH" "$BASE/api/v1/keys"; then
    echo "warning: the admin key no longer works (revoked during the run?), so later cases only saw 401s"
fi
stop_server

if [ "$FAIL" -eq 0 ]; then
    STATUS=0
    echo "schemathesis: no 5xx, no error, server alive"
fi
exit "$FAIL"
