#!/usr/bin/env python3
"""Checks a running `tern serve` with Triton's own HTTP client (tritonclient).

Not run by `swift test`. Sends MNIST test images as binary UINT8 and FP32
tensors, asks for binary outputs, and prints the predicted classes; the
answers must equal those of the plain JSON request.

    pip install 'tritonclient[http]' numpy
    python3 Benchmarks/serving/triton_client_check.py --url 127.0.0.1:8080 --model mnist \
        [--api-key KEY] [--version production] [--data Data/mnist] [--count 8]
"""
import argparse
import gzip
import os
import sys

import numpy as np
import tritonclient.http as httpclient


def read_idx(path, count):
    """The first `count` items of an IDX file (images or labels)."""
    with gzip.open(path, "rb") as f:
        magic = int.from_bytes(f.read(4), "big")
        dims = [int.from_bytes(f.read(4), "big") for _ in range(magic & 0xFF)]
        per_item = int(np.prod(dims[1:])) if len(dims) > 1 else 1
        data = np.frombuffer(f.read(count * per_item), dtype=np.uint8)
        return data.reshape([count] + dims[1:])


def infer(client, args, array, datatype, binary_in, binary_out):
    tensor = httpclient.InferInput("input", list(array.shape), datatype)
    tensor.set_data_from_numpy(array, binary_data=binary_in)
    output = httpclient.InferRequestedOutput("output", binary_data=binary_out)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else None
    result = client.infer(args.model, inputs=[tensor], outputs=[output], model_version=args.version or "", headers=headers)
    return result.as_numpy("output")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="127.0.0.1:8080")
    parser.add_argument("--model", default="mnist")
    parser.add_argument("--version", default="")
    parser.add_argument("--api-key", default=os.environ.get("TERN_API_KEY", ""))
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../Data/mnist"))
    parser.add_argument("--count", type=int, default=8)
    args = parser.parse_args()

    images = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"), args.count)
    labels = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"), args.count).reshape(-1)
    client = httpclient.InferenceServerClient(url=args.url)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else None
    metadata = client.get_server_metadata(headers=headers)
    print("server:", metadata.get("name"), metadata.get("version"), "extensions:", metadata.get("extensions"))

    reference = infer(client, args, images, "UINT8", binary_in=False, binary_out=False)
    ok = True
    for name, array, datatype, b_in, b_out in [
        ("UINT8 binary in, binary out", images, "UINT8", True, True),
        ("UINT8 binary in, JSON out", images, "UINT8", True, False),
        ("UINT8 JSON in, binary out", images, "UINT8", False, True),
        ("FP32 binary in, binary out", images.astype(np.float32), "FP32", True, True),
    ]:
        out = infer(client, args, array, datatype, b_in, b_out)
        same = out.shape == reference.shape and np.array_equal(out, reference)
        ok &= same
        print(f"{name:30s} classes {out.argmax(axis=1).tolist()} {'== JSON' if same else '!= JSON'}")
    classes = reference.argmax(axis=1)
    print(f"labels{'':25s}{labels.tolist()}")
    print(f"accuracy on {args.count}: {(classes == labels).mean():.3f}")
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
