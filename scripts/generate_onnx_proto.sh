#!/usr/bin/env bash
# Regenerates Sources/TernONNX/onnx-subset.pb.swift from onnx-subset.proto.
# The generated file is committed, so building Tern never needs protoc.
#
# Needs protoc (Debian: apt-get install -y protobuf-compiler) and protoc-gen-swift
# built from swift-protobuf at the version Package.swift uses, outside the repo:
#   git clone https://github.com/apple/swift-protobuf /work/tools/swift-protobuf
#   cd /work/tools/swift-protobuf && git checkout 1.39.0
#   swift build -c release --product protoc-gen-swift
# Point PROTOC_GEN_SWIFT at the binary if it is elsewhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
plugin="${PROTOC_GEN_SWIFT:-/work/tools/swift-protobuf/.build/release/protoc-gen-swift}"
dir="$root/Sources/TernONNX"
protoc --plugin=protoc-gen-swift="$plugin" \
  --proto_path="$dir" \
  --swift_opt=Visibility=Internal \
  --swift_out="$dir" \
  "$dir/onnx-subset.proto"
echo "wrote $dir/onnx-subset.pb.swift"
