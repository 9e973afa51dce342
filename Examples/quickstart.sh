#!/usr/bin/env bash
# The worked example through the service, end to end: build, start a server
# on a fresh data directory, upload MNIST, train the Keras MLP as a job,
# alias and deploy the new version, and predict over KServe V2 and TF Serving.
# The job trains on the 60,000 MNIST training images and reports its
# validation metrics on the 10,000 test images (5 epochs, batch 32).
#   Examples/quickstart.sh            (data: Data/mnist, or $TERN_DATA_DIR/mnist)
set -euo pipefail
cd "$(dirname "$0")/.."
# TERN_BIN: an existing tern binary (skips the release build).
if [ -n "${TERN_BIN:-}" ]; then
    tern=$TERN_BIN
else
    swift build -c release --product tern >/dev/null
    tern=$PWD/.build/release/tern
fi
data=${TERN_DATA_DIR:-$PWD/Data}/mnist
home=$(mktemp -d)
port=${TERN_PORT:-8080}
export TERN_SERVER=http://127.0.0.1:$port

# An admin key, written straight into the new store; the server accepts it.
export TERN_API_KEY=$($tern keys create --local --data-dir "$home" --scope admin --print-only)
$tern serve --data-dir "$home" --port "$port" >"$home/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$home"' EXIT
for _ in $(seq 100); do curl -sf "$TERN_SERVER/v2/health/ready" >/dev/null && break; sleep 0.1; done

$tern datasets upload mnist --images "$data/train-images-idx3-ubyte.gz" --labels "$data/train-labels-idx1-ubyte.gz" \
    --test-images "$data/t10k-images-idx3-ubyte.gz" --test-labels "$data/t10k-labels-idx1-ubyte.gz"
$tern jobs submit Examples/mnist-mlp.json --model mnist --dataset mnist --train train --validation test --watch
$tern models alias mnist production 1
$tern deploy mnist
predict_key=$($tern keys create --scope predict --print-only)

echo "== KServe V2 (tern infer)"
$tern infer mnist --version production --range 0:5 --data "$data" --api-key "$predict_key"
echo "== TF Serving :predict (tern infer --protocol tfserving)"
$tern infer mnist --version production --range 0:5 --data "$data" --protocol tfserving --api-key "$predict_key"
echo "== curl, V2 with an all-zero image"
zeros=$(printf '0,%.0s' $(seq 783))0
curl -s -H "Authorization: Bearer $predict_key" -H 'Content-Type: application/json' \
  -d "{\"id\": \"q1\", \"inputs\": [{\"name\": \"input\", \"shape\": [1, 28, 28], \"datatype\": \"UINT8\", \"data\": [$zeros]}]}" \
  "$TERN_SERVER/v2/models/mnist/versions/production/infer"
echo
