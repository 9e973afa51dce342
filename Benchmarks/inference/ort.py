"""ONNX Runtime on the same MLP, timed as `tern bench predict` times Tern.

    python ort.py MODEL.onnx IMAGES.u8 [--threads 2] [--iterations 20000] [--batch 10000]

MODEL.onnx is Tern's own export of the model (`tern export`): it takes the
uint8 images (N, 28, 28) and does the Cast and the 1/255 rescale itself, so
ONNX Runtime gets exactly the bytes Tern gets. Single image: 1,000 warm-up
runs, then ITERATIONS timed `session.run` calls cycling over the first 1,000
test images (this includes Python's per-call overhead, so it is shown for
information only). Batch: the test images tiled to BATCH rows, 12 runs, the
first 2 dropped, median images/s. Intra-op threads: --threads (2), inter-op 1.
"""
import argparse, statistics, time
import numpy as np
import onnxruntime as ort

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("images")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--iterations", type=int, default=20000)
parser.add_argument("--batch", type=int, default=10000)
args = parser.parse_args()

options = ort.SessionOptions()
options.intra_op_num_threads = args.threads
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name

images = np.fromfile(args.images, dtype=np.uint8).reshape(-1, 28, 28)
singles = [images[i:i + 1].copy() for i in range(min(1000, len(images)))]
tiled = np.ascontiguousarray(np.resize(images, (args.batch, 28, 28)))

def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int((len(s) - 1) * p + 0.5))]

latencies = []
for i in range(args.iterations + 1000):
    x = singles[i % len(singles)]
    t0 = time.perf_counter()
    session.run(None, {name: x})
    t1 = time.perf_counter()
    if i >= 1000:
        latencies.append(t1 - t0)
print(f"single image: median {percentile(latencies, 0.5) * 1e6:.2f} us, p99 {percentile(latencies, 0.99) * 1e6:.2f} us (ONNX Runtime {ort.__version__}, Python)")
rates = []
for _ in range(12):
    t0 = time.perf_counter()
    session.run(None, {name: tiled})
    rates.append(args.batch / (time.perf_counter() - t0))
print(f"batch {args.batch}: median {statistics.median(rates[2:]):.0f} images/s ({args.threads} intra-op thread(s))")
