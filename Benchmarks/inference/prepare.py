"""Writes the inputs of the C reference (Benchmarks/inference/reference.c).

    python3 prepare.py MODEL.tern MNIST_DIR OUT_DIR

OUT_DIR/weights.f32: the MLP's float32 weights, little-endian, in the order
dense/kernel (784 x 128, row-major as Tern stores it), dense/bias (128),
dense_1/kernel (128 x 10), dense_1/bias (10), read from the artifact (a
safetensors file). OUT_DIR/images.u8: the 10,000 MNIST test images, 784 bytes
each. Standard library only.
"""
import gzip, json, struct, sys

model, mnist, out = sys.argv[1:4]
raw = open(model, "rb").read()
(header_len,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + header_len])
data = raw[8 + header_len:]
expected = {"dense/kernel": [784, 128], "dense/bias": [128], "dense_1/kernel": [128, 10], "dense_1/bias": [10]}
with open(f"{out}/weights.f32", "wb") as f:
    for name, shape in expected.items():
        t = header[name]
        if t["dtype"] != "F32" or t["shape"] != shape:
            sys.exit(f"{name}: expected F32 {shape}, got {t['dtype']} {t['shape']}")
        begin, end = t["data_offsets"]
        f.write(data[begin:end])
images = gzip.open(f"{mnist}/t10k-images-idx3-ubyte.gz").read()
magic, count, rows, cols = struct.unpack(">IIII", images[:16])
if magic != 2051 or rows * cols != 784:
    sys.exit("not an MNIST image file")
open(f"{out}/images.u8", "wb").write(images[16:16 + count * 784])
