#!/usr/bin/env bash
# Runs every command of README.md: the fenced ```sh blocks, in order, in one
# bash session with `set -euo pipefail`, so a README example that drifts from
# the code fails (swift test runs this through Tests/TernCLITests/ReadmeTests).
#
#   scripts/readme_check.sh [README.md]       TERN_BIN=path/to/tern (default: build one, debug)
#
# The session runs in an empty scratch folder that holds only links to the
# checkout's Examples/ and Data/, with `tern` on PATH, and a free port in
# place of 8080 (TERN_PORT, TERN_SERVER and every "127.0.0.1:8080" of the
# blocks); curl runs with --fail-with-body, so an HTTP error fails the check.
# Two kinds of line are not run, each for a reason:
#   - `swift test`: it is the command that runs this check;
#   - a line ending in `# needs the internet`: this machine has none; the
#     command is tested against a local server instead.
# Background jobs the blocks start (tern serve &) are stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
readme=${1:-$root/README.md}

if [ -z "${TERN_BIN:-}" ]; then
    (cd "$root" && swift build --product tern >/dev/null)
    TERN_BIN=$root/.build/debug/tern
fi
[ -x "$TERN_BIN" ] || { echo "readme_check: no tern binary at $TERN_BIN" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tern-readme.XXXXXX")
mkdir "$work/bin"
ln -s "$TERN_BIN" "$work/bin/tern"
# curl answers 4xx/5xx with exit 0 unless told otherwise: here it fails the check.
# (A command that asks for -f/--fail itself keeps it.)
real_curl=$(command -v curl)
cat > "$work/bin/curl" <<SHIM
#!/usr/bin/env bash
for a in "\$@"; do
    case "\$a" in --fail*|-[!-]*f*) exec "$real_curl" "\$@" ;; esac
done
exec "$real_curl" --fail-with-body "\$@"
SHIM
chmod +x "$work/bin/curl"
ln -s "$root/Examples" "$work/Examples"
ln -s "$root/Data" "$work/Data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
       || echo $((20000 + RANDOM % 20000)))

# The blocks, each announced by its first line number in README.md.
awk -v port="$port" '
    BEGIN { inblock = 0 }
    /^```sh[[:space:]]*$/ { inblock = 1; printf "echo \"== README.md line %d\" >&2\n", NR + 1; next }
    /^```/ && inblock { inblock = 0; print ""; next }
    inblock {
        line = $0
        if (line ~ /^[[:space:]]*swift test([[:space:]]|$)/) { print "# (not run: this check runs inside swift test) " line; next }
        if (line ~ /# needs the internet[[:space:]]*$/) { print "# (not run: no internet here) " line; next }
        gsub(/127\.0\.0\.1:8080/, "127.0.0.1:" port, line)
        print line
    }
' "$readme" > "$work/readme.sh"

cleanup() { [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

cd "$work"
env -u TERN_API_KEY -u TERN_HOME -u TERN_DATA_DIR \
    PATH="$work/bin:$PATH" TERN_PORT="$port" TERN_SERVER="http://127.0.0.1:$port" TERN_BIN="$TERN_BIN" HOME="$work" \
    bash -c 'set -euo pipefail; trap "kill \$(jobs -p) 2>/dev/null || true" EXIT; source ./readme.sh' </dev/null
echo "readme_check: every README.md command ran ($(grep -c '^echo "== README.md line' "$work/readme.sh") blocks)"
