"""Expected values for the hand-built graphs of ONNXExecutorTests, computed
with numpy straight from the ONNX operator definitions (no ONNX Runtime).
Writes one JSON file per graph in the fixture format ({"inputs", "outputs"},
plus "initializers" for the constant operands). Run from this directory:
    python3 make_fixtures.py
"""
import json, math
import numpy as np

rng = np.random.default_rng(7)

def arr(shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)

def entry(a):
    a = np.asarray(a)
    kind = {np.float32: "FLOAT", np.float64: "DOUBLE", np.int64: "INT64", np.int32: "INT32",
            np.bool_: "BOOL", np.uint8: "UINT8"}[a.dtype.type]
    data = a.reshape(-1).tolist()
    return {"datatype": kind, "shape": list(a.shape), "data": data}

def write(name, inputs, outputs, initializers=None):
    doc = {"inputs": {k: entry(v) for k, v in inputs.items()},
           "outputs": {k: entry(v) for k, v in outputs.items()}}
    if initializers:
        doc["initializers"] = {k: entry(v) for k, v in initializers.items()}
    with open(name + ".json", "w") as f:
        json.dump(doc, f)

def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)

# mlp: Gemm(transB=1) -> Relu -> Gemm(transB=1, alpha=0.5, beta=2) -> Softmax
x = arr((3, 20)); w1 = arr((16, 20)); b1 = arr((16,)); w2 = arr((5, 16)); b2 = arr((5,))
h = np.maximum(x @ w1.T + b1, 0)
logits = (0.5 * (h @ w2.T) + 2 * b2).astype(np.float32)
write("mlp", {"x": x}, {"probs": softmax(logits, 1).astype(np.float32)}, {"w1": w1, "b1": b1, "w2": w2, "b2": b2})

# conv: NCHW, explicit pads (top, left, bottom, right), strides, dilations, groups
def conv(x, w, b, pads, strides, dil, group):
    n, c, hh, ww = x.shape; m, cg, kh, kw = w.shape
    xp = np.zeros((n, c, hh + pads[0] + pads[2], ww + pads[1] + pads[3]), np.float64)
    xp[:, :, pads[0]:pads[0] + hh, pads[1]:pads[1] + ww] = x
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    oh = (xp.shape[2] - eh) // strides[0] + 1; ow = (xp.shape[3] - ew) // strides[1] + 1
    out = np.zeros((n, m, oh, ow)); mg = m // group
    for bi in range(n):
        for o in range(m):
            g = o // mg
            for i in range(oh):
                for j in range(ow):
                    patch = xp[bi, g * cg:(g + 1) * cg, i * strides[0]:i * strides[0] + eh:dil[0], j * strides[1]:j * strides[1] + ew:dil[1]]
                    out[bi, o, i, j] = (patch * w[o]).sum() + (b[o] if b is not None else 0)
    return out.astype(np.float32)

x = arr((2, 4, 7, 6)); w = arr((6, 2, 3, 3)); b = arr((6,))
write("conv_grouped", {"x": x}, {"y": conv(x, w, b, [1, 0, 2, 1], [2, 1], [1, 2], 2)}, {"w": w, "b": b})
# SAME_UPPER, stride 2: out = ceil(in/2); total pad = (out-1)*2 + 3 - in, less before
x2 = arr((1, 3, 5, 6)); w2 = arr((4, 3, 3, 3))
def same(inp, k, s, upper):
    out = -(-inp // s); total = max(0, (out - 1) * s + k - inp)
    return (total // 2, total - total // 2) if upper else (total - total // 2, total // 2)
(t, bo), (l, r) = same(5, 3, 2, True), same(6, 3, 2, True)
write("conv_same_upper", {"x": x2}, {"y": conv(x2, w2, None, [t, l, bo, r], [2, 2], [1, 1], 1)}, {"w": w2})
(t, bo), (l, r) = same(5, 3, 2, False), same(6, 3, 2, False)
write("conv_same_lower", {"x": x2}, {"y": conv(x2, w2, None, [t, l, bo, r], [2, 2], [1, 1], 1)}, {"w": w2})

# pooling
def pool(x, k, s, pads, kind, include_pad=False):
    n, c, hh, ww = x.shape
    oh = (hh + pads[0] + pads[2] - k[0]) // s[0] + 1; ow = (ww + pads[1] + pads[3] - k[1]) // s[1] + 1
    out = np.zeros((n, c, oh, ow), np.float32)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * s[0] - pads[0], j * s[1] - pads[1]
            ys, xs = slice(max(y0, 0), min(y0 + k[0], hh)), slice(max(x0, 0), min(x0 + k[1], ww))
            win = x[:, :, ys, xs]
            if kind == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                cnt = k[0] * k[1] if include_pad else win.shape[2] * win.shape[3]
                out[:, :, i, j] = win.sum(axis=(2, 3), dtype=np.float64) / cnt
    return out

x = arr((2, 3, 6, 5))
write("pool", {"x": x}, {
    "max": pool(x, [3, 2], [2, 1], [1, 1, 0, 1], "max"),
    "avg": pool(x, [3, 3], [2, 2], [1, 1, 1, 1], "avg"),
    "avg_pad": pool(x, [3, 3], [2, 2], [1, 1, 1, 1], "avg", True),
    "global": x.mean(axis=(2, 3), keepdims=True, dtype=np.float64).astype(np.float32),
})

# matmul broadcasting
a = arr((2, 1, 3, 4)); b = arr((3, 4, 5)); v = arr((4,)); c = arr((2, 4, 3)); d = arr((5, 4)); e = arr((4, 6))
write("matmul", {"a": a, "b": b, "v": v, "c": c, "d": d}, {
    "ab": (a @ b).astype(np.float32), "vc": (v @ c).astype(np.float32),
    "cv": (np.swapaxes(c, 1, 2) @ v).astype(np.float32), "de": (d @ e).astype(np.float32),
}, {"e": e})

# normalisation
x = arr((2, 3, 2, 2)); scale = arr((3,)); bias = arr((3,)); mean = arr((3,)); var = arr((3,), 0.5, 2.0)
bn = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3) * scale[None, :, None, None] + bias[None, :, None, None]
y = arr((2, 3, 4)); g = arr((3, 4)); beta = arr((3, 4))
mu = y.astype(np.float64).mean(axis=(1, 2), keepdims=True); sd = np.sqrt(y.astype(np.float64).var(axis=(1, 2), keepdims=True) + 1e-5)
ln = (y - mu) / sd * g + beta
g1 = arr((4,))
mu1 = y.astype(np.float64).mean(axis=-1, keepdims=True); sd1 = np.sqrt(y.astype(np.float64).var(axis=-1, keepdims=True) + 1e-5)
write("norm", {"x": x, "y": y}, {
    "bn": bn.astype(np.float32), "ln": ln.astype(np.float32), "ln_last": ((y - mu1) / sd1 * g1).astype(np.float32),
    "ln_mean": mu.astype(np.float32), "ln_inv": (1 / sd).astype(np.float32),
}, {"scale": scale, "bias": bias, "mean": mean, "var": var, "g": g, "beta": beta, "g1": g1})

# reductions and softmax
x = arr((2, 3, 4)); x[1, 2, 1] = x[1, 2, 3] = 5.0  # a tie for select_last_index
write("reduce", {"x": x}, {
    "mean1": x.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32),
    "sum02": x.sum(axis=(0, 2), dtype=np.float64).astype(np.float32),
    "sum_all": np.array(x.sum(dtype=np.float64), np.float32).reshape(1, 1, 1),
    "softmax1": softmax(x.astype(np.float64), 1).astype(np.float32),
    "logsoftmax": np.log(softmax(x.astype(np.float64), -1)).astype(np.float32),
    "argmax_first": x.argmax(axis=2).astype(np.int64),
    "argmax_last": (3 - x[:, :, ::-1].argmax(axis=2)).astype(np.int64)[:, :, None],
})

# unary maths
x = arr((3, 5), -3, 3); p = arr((3, 5), 0.1, 4)
erf = np.vectorize(math.erf)
gelu = 0.5 * x.astype(np.float64) * (1 + erf(x.astype(np.float64) / math.sqrt(2)))
gelu_tanh = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
write("unary", {"x": x, "p": p}, {
    "erf": erf(x.astype(np.float64)).astype(np.float32), "gelu": gelu.astype(np.float32),
    "gelu_tanh": gelu_tanh.astype(np.float32), "sigmoid": (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32),
    "tanh": np.tanh(x), "exp": np.exp(x), "log": np.log(p), "sqrt": np.sqrt(p),
    "leaky": np.where(x < 0, 0.1 * x, x).astype(np.float32), "relu": np.maximum(x, 0),
    "pow": np.power(p, x).astype(np.float32), "pow_int": (p * p * p).astype(np.float32),
})
