#!/usr/bin/env python3
"""Request bodies for one MNIST test image, for the serving benchmark.

Writes into OUT_DIR:
  v2.json      KServe V2 JSON, UINT8 pixels, shape [1, 28, 28]
  v2_fp32.json KServe V2 JSON, FP32 pixels / 255, shape [1, 28, 28], each value
               written as numpy.tolist() writes a float32 array (the float64
               repr of the float32: 253/255 is 0.9921568632125854)
  tf.json      TF Serving :predict, row format ({"instances": [[28 rows of 28]]})
  v2.bin       V2 with the binary tensor extension: JSON header, then 784 raw bytes
  v2.bin.len   the JSON header's length (the Inference-Header-Content-Length value)
  label        the image's label

  python3 make_bodies.py OUT_DIR [--data Data/mnist] [--index 0]

Standard library only (gzip + struct).
"""
import argparse
import gzip
import json
import os
import struct


def float32(x):
    """x rounded to float32, as a Python float (the value numpy.tolist() gives)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"{os.path.basename(path)}: not a ubyte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    default_data = os.path.join(os.environ.get("TERN_DATA_DIR", os.path.join(root, "Data")), "mnist")
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--data", default=default_data)
    p.add_argument("--index", type=int, default=0)
    a = p.parse_args()

    dims, pixels = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz"))
    n, rows, cols = dims
    if not 0 <= a.index < n:
        raise SystemExit(f"--index must be in 0..{n - 1}")
    size = rows * cols
    image = pixels[a.index * size:(a.index + 1) * size]
    values = list(image)
    compact = {"separators": (",", ":")}

    os.makedirs(a.out, exist_ok=True)
    v2 = {"inputs": [{"name": "input", "shape": [1, rows, cols], "datatype": "UINT8", "data": values}]}
    with open(os.path.join(a.out, "v2.json"), "w") as f:
        json.dump(v2, f, **compact)
    # float32(p) / float32(255) rounded once to float32, as numpy computes it:
    # p / 255 as a double is never within a double's rounding of a float32
    # midpoint for these 256 values, so rounding it again to float32 is exact.
    fp32 = [float32(v / 255) for v in values]
    v2_fp32 = {"inputs": [{"name": "input", "shape": [1, rows, cols], "datatype": "FP32", "data": fp32}]}
    with open(os.path.join(a.out, "v2_fp32.json"), "w") as f:
        # json writes floats with repr(), as numpy.tolist() + json.dumps would.
        json.dump(v2_fp32, f, **compact)
    tf = {"instances": [[values[r * cols:(r + 1) * cols] for r in range(rows)]]}
    with open(os.path.join(a.out, "tf.json"), "w") as f:
        json.dump(tf, f, **compact)
    header = json.dumps({"inputs": [{"name": "input", "shape": [1, rows, cols], "datatype": "UINT8",
                                     "parameters": {"binary_data_size": size}}]}, **compact).encode()
    with open(os.path.join(a.out, "v2.bin"), "wb") as f:
        f.write(header + bytes(image))
    with open(os.path.join(a.out, "v2.bin.len"), "w") as f:
        f.write(str(len(header)))
    with open(os.path.join(a.out, "label"), "w") as f:
        f.write(str(labels[a.index]))


if __name__ == "__main__":
    main()
