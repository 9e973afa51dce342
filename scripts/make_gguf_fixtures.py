#!/usr/bin/env python3
"""Golden dequantization fixtures for Tern's GGUF kernels.

For each ggml type Tern reads, a few blocks of seeded random bytes (the
scale fields set to finite float16 values, as real files hold) and the
floats the `gguf` Python package (llama.cpp's own gguf-py) dequantizes them
to. Writes Tests/TernLLMTests/Fixtures/dequantize.json.

    python3 -m venv ~/.cache/tern/venvs/gguf && ~/.cache/tern/venvs/gguf/bin/pip install gguf==0.19.0 numpy
    ~/.cache/tern/venvs/gguf/bin/python scripts/make_gguf_fixtures.py
"""
import json
import os

import numpy as np
import gguf
from gguf import quants, GGMLQuantizationType as T

rng = np.random.default_rng(12)


def f16(values):
    return np.asarray([values], dtype=np.float16).view(np.uint8)


def blocks(t, n):
    block, size = gguf.GGML_QUANT_SIZES[t]
    raw = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    if t == T.F32:
        raw = rng.normal(0, 1, size=n).astype(np.float32).view(np.uint8).reshape(n, 4)
    elif t == T.F16:
        raw = rng.normal(0, 1, size=n).astype(np.float16).view(np.uint8).reshape(n, 2)
    elif t == T.BF16:
        raw = (rng.normal(0, 1, size=n).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(np.uint8).reshape(n, 2)
    else:
        scales = {T.Q8_0: [0], T.Q4_0: [0], T.Q5_0: [0], T.Q4_1: [0, 2], T.Q5_1: [0, 2],
                  T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}[t]
        for row in raw:
            for at in scales:
                row[at:at + 2] = f16(rng.uniform(-0.05, 0.05))
    return raw


out = {}
for t, n in [(T.F32, 16), (T.F16, 16), (T.BF16, 16), (T.Q8_0, 3), (T.Q4_0, 3), (T.Q4_1, 3), (T.Q5_0, 3),
             (T.Q5_1, 3), (T.Q4_K, 2), (T.Q5_K, 2), (T.Q6_K, 2)]:
    raw = blocks(t, n)
    values = quants.dequantize(raw.reshape(1, -1), t).astype(np.float32).reshape(-1)
    out[t.name] = {"bytes": raw.reshape(-1).tobytes().hex(), "values": [float(v) for v in values]}

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "TernLLMTests", "Fixtures", "dequantize.json")
with open(path, "w") as f:
    json.dump({"generator": f"gguf {gguf.__version__ if hasattr(gguf, '__version__') else '0.19.0'}", "types": out}, f, separators=(",", ":"))
print("wrote", os.path.normpath(path))

# Real tensors (one of each type in the two models of issue 13, fetched by
# scripts/fetch_models.sh): the first 64 values and the sum of all as
# gguf-py dequantizes them. Skipped when the models are not in the cache.
models = os.environ.get("TERN_MODELS_DIR", os.path.expanduser("~/.tern/models"))
picks = {
    "SmolLM2-135M-Instruct.Q4_1.gguf": ["blk.0.ffn_down.weight", "blk.0.attn_norm.weight"],
    "gemma-3-270m-q4_k_m.gguf": ["blk.0.attn_k.weight", "blk.0.attn_output.weight", "blk.0.ffn_down.weight", "output_norm.weight"],
}
real = []
for name, tensors in picks.items():
    path = os.path.join(models, name)
    if not os.path.exists(path):
        print("skipped", name, "(run scripts/fetch_models.sh)")
        continue
    reader = gguf.GGUFReader(path)
    for t in reader.tensors:
        if t.name in tensors:
            values = quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
            real.append({"file": name, "tensor": t.name, "type": t.tensor_type.name,
                         "first": [float(v) for v in values[:64]], "sum": float(values.astype(np.float64).sum()),
                         "abs_sum": float(np.abs(values.astype(np.float64)).sum())})
if real:
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "TernLLMTests", "Fixtures", "real_tensors.json")
    with open(path, "w") as f:
        json.dump(real, f, separators=(",", ":"))
    print("wrote", os.path.normpath(path))

# Q8_0 quantization of an activation row (what llama.cpp does to the
# input of every quantized matrix-vector product), by gguf-py.
row = rng.normal(0, 2, size=256).astype(np.float32)
row[64:96] = 0  # an all-zero block: d = 0
q8 = quants.quantize(row.reshape(1, -1), T.Q8_0).reshape(-1)
path = os.path.join(os.path.dirname(__file__), "..", "Tests", "TernLLMTests", "Fixtures", "quantize_q8_0.json")
with open(path, "w") as f:
    json.dump({"x": [float(v) for v in row], "q8_0": q8.tobytes().hex()}, f, separators=(",", ":"))
print("wrote", os.path.normpath(path))
