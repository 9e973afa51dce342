#!/usr/bin/env python3
"""Peers for `tern bench train`: the same MNIST MLP workload in NumPy and Keras.

Workload (Data/README.md): the 10,000 MNIST test images tiled six
times (60,000 samples per epoch), batch 32, Flatten -> Dense 128 relu ->
Dense 10 softmax, Adam (lr 0.001, Keras defaults), sparse categorical
cross-entropy. Prints the median seconds per epoch of each peer.

  python3 Benchmarks/mnist_peers.py [--epochs 3] [--peers numpy,keras]
  python3 Benchmarks/mnist_peers.py --accuracy   # Keras: train 0:8000, evaluate 8000:10000, seeds 1-5

NumPy runs with one BLAS thread (set before numpy is imported). Keras runs
when installed, on the backend named by KERAS_BACKEND.
"""
import argparse
import gzip
import os
import statistics
import struct
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("TERN_DATA_DIR", os.path.join(ROOT, "Data"))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{os.path.basename(path)}: not a ubyte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist():
    d = os.path.join(DATA, "mnist")
    x = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    return x, y


def numpy_mlp(x, y, epochs, batch=32, seed=1):
    """A hand-written MLP with a fused-in-place Adam, float32 throughout."""
    rng = np.random.default_rng(seed)
    xf = (x.reshape(len(x), -1).astype(np.float32) / 255.0)
    def glorot(fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
    params = [glorot(784, 128), np.zeros(128, np.float32), glorot(128, 10), np.zeros(10, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-7
    t = 0
    times = []
    n = len(xf)
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            xb, yb = xf[idx], y[idx]
            w1, b1_, w2, b2_ = params
            h = xb @ w1 + b1_
            np.maximum(h, 0, out=h)
            z = h @ w2 + b2_
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            p /= len(yb)
            g2 = h.T @ p
            gb2 = p.sum(axis=0)
            dh = p @ w2.T
            dh[h <= 0] = 0
            g1 = xb.T @ dh
            gb1 = dh.sum(axis=0)
            t += 1
            alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            for i, g in enumerate((g1, gb1, g2, gb2)):
                m[i] += (g - m[i]) * (1 - b1)
                v[i] += (g * g - v[i]) * (1 - b2)
                params[i] -= alpha * m[i] / (np.sqrt(v[i]) + eps)
        times.append(time.perf_counter() - start)
    return times


def keras_model(kind, seed):
    import keras
    keras.utils.set_random_seed(seed)
    if kind == "mlp":
        layers = [keras.Input((28, 28)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                  keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax")]
    else:
        layers = [keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255),
                  keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
                  keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras_mlp(x, y, epochs, batch=32):
    import keras

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    timer = Timer()
    keras_model("mlp", 1).fit(x.astype(np.float32), y, epochs=epochs, batch_size=batch, verbose=0, callbacks=[timer])
    return timer.times


def keras_accuracy(x, y):
    for kind in ("mlp", "cnn"):
        scores = []
        for seed in range(1, 6):
            model = keras_model(kind, seed)
            xs = x.astype(np.float32) if kind == "mlp" else x.astype(np.float32)[..., None]
            model.fit(xs[:8000], y[:8000], epochs=5, batch_size=32, verbose=0)
            scores.append(model.evaluate(xs[8000:], y[8000:], verbose=0)[1])
        print(f"keras {kind}: " + " ".join(f"{s:.4f}" for s in scores) + f"  mean {statistics.mean(scores):.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--tile", type=int, default=6)
    parser.add_argument("--peers", default="numpy,keras")
    parser.add_argument("--accuracy", action="store_true")
    args = parser.parse_args()
    x, y = load_mnist()
    if args.accuracy:
        keras_accuracy(x, y)
        return
    xt, yt = np.tile(x, (args.tile, 1, 1)), np.tile(y, args.tile)
    print(f"peers: {len(xt)} samples per epoch, batch 32, {args.epochs} epochs")
    for peer in args.peers.split(","):
        if peer == "numpy":
            times = numpy_mlp(xt, yt, args.epochs)
            label = "numpy (1 BLAS thread)"
        elif peer == "keras":
            try:
                import keras
            except ImportError:
                print("keras: not installed, skipped")
                continue
            times = keras_mlp(xt, yt, args.epochs)
            label = f"keras {keras.__version__} ({keras.backend.backend()})"
        else:
            sys.exit(f"unknown peer {peer}")
        print(f"{label}: median seconds per epoch: {statistics.median(times):.3f}  (epochs: {', '.join(f'{t:.3f}' for t in times)})")


if __name__ == "__main__":
    main()
