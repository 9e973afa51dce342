#!/usr/bin/env python3
"""Writes the ONNX test fixtures of Tests/TernONNXTests/Fixtures/onnx/, or
checks a model against expected outputs.

Needs onnx, onnxruntime and numpy (and, for `--only torch`, torch and
onnxconverter-common), in a virtual environment outside the repository; see
scripts/README.md:

    python3 -m venv ~/.cache/tern/venvs/onnx-fixtures
    ~/.cache/tern/venvs/onnx-fixtures/bin/pip install onnx onnxruntime numpy

Write the fixtures (run once by a developer; the outputs are committed), all
groups or some (ops, more-ops, mnist, torch):

    python make_onnx_fixtures.py [--out DIR] [--mnist DIR] [--only GROUP ...]

Make the goldens of Tern's own exports (Fixtures/onnx-export) from the files
the Swift test writes with TERN_ONNX_EXPORT_DIR set:

    python make_onnx_fixtures.py --golden EXPORT_DIR

Check a model (e.g. one that Tern exported) with onnx.checker (full check)
and onnxruntime on the given inputs against the given outputs, 1e-5 absolute
/ 1e-4 relative tolerance; prints one line, exits 1 on a mismatch:

    /work/venv-onnx/bin/python scripts/make_onnx_fixtures.py --check MODEL.onnx INPUTS.json OUTPUTS.json

Each model `<name>.onnx` gets a sidecar `<name>.json`:
    {"inputs":  {"<name>": {"datatype": "FLOAT", "shape": [...], "data": [flat list]}},
     "outputs": {"<name>": {"datatype": "...",   "shape": [...], "data": [flat list]}}}
with onnxruntime's outputs on fixed seeded inputs. Datatypes are ONNX names
(FLOAT, FLOAT16, DOUBLE, INT64, INT32, UINT8, BOOL); floats are written with repr so
that they read back exactly; INT64 as integers; BOOL as true/false. The
inputs/outputs files of --check may be such sidecars (their "inputs" or
"outputs" part is used) or bare {"<name>": {...}} maps.

MNIST models take float pixels scaled to [0, 1] (uint8 pixel / 255).
"""

import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "Tests", "TernONNXTests", "Fixtures", "onnx")
GOLDEN_OUT = os.path.join(ROOT, "Tests", "TernONNXTests", "Fixtures", "onnx-export")

F = TensorProto.FLOAT
I64 = TensorProto.INT64
B = TensorProto.BOOL

NAMES = {
    np.dtype(np.float16): "FLOAT16",
    np.dtype(np.float32): "FLOAT",
    np.dtype(np.float64): "DOUBLE",
    np.dtype(np.int64): "INT64",
    np.dtype(np.int32): "INT32",
    np.dtype(np.uint8): "UINT8",
    np.dtype(np.bool_): "BOOL",
}
DTYPES = {v: k for k, v in NAMES.items()}

# The IR version each opset needs (onnx.helper.VERSION_TABLE facts).
IR_FOR_OPSET = {13: 7, 17: 8, 18: 8, 20: 9, 21: 10}


# ---------------------------------------------------------------- JSON form

def tensor_json(array):
    array = np.asarray(array)
    name = NAMES.get(array.dtype)
    if name is None:
        raise SystemExit(f"unsupported dtype {array.dtype} for the JSON form")
    flat = array.reshape(-1)
    if name in ("FLOAT", "DOUBLE", "FLOAT16"):
        if not np.all(np.isfinite(flat)):
            raise SystemExit("non-finite value in a fixture")
        data = [float(x) for x in flat]
    elif name == "BOOL":
        data = [bool(x) for x in flat]
    else:
        data = [int(x) for x in flat]
    return {"datatype": name, "shape": [int(d) for d in array.shape], "data": data}


def tensor_from_json(entry):
    dtype = DTYPES.get(entry["datatype"])
    if dtype is None:
        raise SystemExit(f"unsupported datatype {entry['datatype']!r}")
    return np.array(entry["data"], dtype=dtype).reshape(entry["shape"])


def dump_json(obj, path):
    # json writes floats with repr, which round-trips.
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- running

def run_ort(model_bytes, feeds):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    results = session.run(names, feeds)
    return dict(zip(names, results))


# ---------------------------------------------------------------- building

class Writer:
    def __init__(self, out):
        self.out = out
        self.written = []

    def model(self, name, nodes, inputs, outputs, feeds, initializers=(), opset=13, batch_inputs=()):
        """inputs/outputs: lists of (name, elem_type, shape); an output shape of
        None is filled in from onnxruntime's result."""
        initializers = list(initializers)

        def build(output_shapes):
            graph = helper.make_graph(
                nodes, name,
                [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                [helper.make_tensor_value_info(n, t, s) for (n, t, _), s in zip(outputs, output_shapes)],
                initializer=initializers,
            )
            model = helper.make_model(
                graph, opset_imports=[helper.make_opsetid("", opset)],
                producer_name="tern-fixtures", producer_version="1")
            model.ir_version = IR_FOR_OPSET[opset]
            return model

        shapes = [s for _, _, s in outputs]
        if any(s is None for s in shapes):
            first = run_ort(build([s if s is not None else [] for s in shapes]).SerializeToString(), feeds)
            shapes = [s if s is not None else list(first[n].shape) for (n, _, _), s in zip(outputs, shapes)]
        return self.write(name, build(shapes).SerializeToString(), feeds)

    def write(self, name, data, feeds):
        """Checks a serialized model, runs it with onnxruntime on `feeds` and
        writes it with its inputs and outputs; answers the outputs."""
        onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
        results = run_ort(data, feeds)
        with open(os.path.join(self.out, name + ".onnx"), "wb") as f:
            f.write(data)
        dump_json({
            "inputs": {k: tensor_json(v) for k, v in feeds.items()},
            "outputs": {k: tensor_json(v) for k, v in results.items()},
        }, os.path.join(self.out, name + ".json"))
        self.written.append(name)
        return results

    def exported(self, name, data, feeds):
        """Writes a model built elsewhere (a PyTorch export) with onnxruntime's
        outputs on `feeds`."""
        results = self.write(name, data, feeds)
        print(f"{name}: {len(data) / 1e6:.2f} MB, operators {sorted(set(n.op_type for n in onnx.load_from_string(data).graph.node))}")
        return results


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def i64(values):
    return np.array(values, dtype=np.int64)


def unary(w, rng, name, op, opset=13, shape=(2, 3, 4), positive=False, **attrs):
    x = rng.standard_normal(shape).astype(np.float32)
    if positive:
        x = np.abs(x) + np.float32(0.1)
    w.model(name, [helper.make_node(op, ["x"], ["y"], name=op.lower(), **attrs)],
            [("x", F, list(shape))], [("y", F, None)], {"x": x}, opset=opset)


def ops(w):
    rng = np.random.default_rng(20240601)

    def randn(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    # Gemm: transB with a bias row broadcast over the batch; transA with a scalar C.
    a, bw, c = randn(3, 5), randn(4, 5), randn(4)
    w.model("op_gemm_transb", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
            [("a", F, ["N", 5])], [("y", F, ["N", 4])], {"a": a}, [const("b", bw), const("c", c)])
    w.model("op_gemm_transa", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=1, alpha=1.5, beta=-1.0)],
            [("a", F, [5, 3]), ("b", F, [5, 4]), ("c", F, [])], [("y", F, [3, 4])],
            {"a": randn(5, 3), "b": randn(5, 4), "c": randn()}, opset=17)
    w.model("op_gemm_column_bias", [helper.make_node("Gemm", ["a", "b", "c"], ["y"])],
            [("a", F, [3, 5]), ("b", F, [5, 4]), ("c", F, [3, 1])], [("y", F, [3, 4])],
            {"a": randn(3, 5), "b": randn(5, 4), "c": randn(3, 1)}, opset=13)
    w.model("op_gemm_no_c", [helper.make_node("Gemm", ["a", "b"], ["y"], transA=1, transB=1)],
            [("a", F, [5, 3]), ("b", F, [4, 5])], [("y", F, [3, 4])],
            {"a": randn(5, 3), "b": randn(4, 5)}, opset=13)

    # MatMul
    w.model("op_matmul_2d", [helper.make_node("MatMul", ["a", "b"], ["y"])],
            [("a", F, [3, 4]), ("b", F, [4, 5])], [("y", F, [3, 5])], {"a": randn(3, 4), "b": randn(4, 5)})
    w.model("op_matmul_batched", [helper.make_node("MatMul", ["a", "b"], ["y"])],
            [("a", F, [2, 3, 4]), ("b", F, [2, 4, 5])], [("y", F, [2, 3, 5])],
            {"a": randn(2, 3, 4), "b": randn(2, 4, 5)}, opset=17)
    w.model("op_matmul_broadcast", [helper.make_node("MatMul", ["a", "b"], ["y"])],
            [("a", F, [2, 3, 4])], [("y", F, [2, 3, 5])], {"a": randn(2, 3, 4)}, [const("b", randn(4, 5))])

    # Elementwise binary ops with broadcasting.
    w.model("op_add", [helper.make_node("Add", ["a", "b"], ["y"])],
            [("a", F, [2, 3, 4]), ("b", F, [4])], [("y", F, [2, 3, 4])], {"a": randn(2, 3, 4), "b": randn(4)})
    w.model("op_add_int64", [helper.make_node("Add", ["a", "b"], ["y"])],
            [("a", I64, [2, 3]), ("b", I64, [2, 1])], [("y", I64, [2, 3])],
            {"a": rng.integers(-50, 50, (2, 3)).astype(np.int64), "b": rng.integers(-50, 50, (2, 1)).astype(np.int64)},
            opset=18)
    w.model("op_sub", [helper.make_node("Sub", ["a", "b"], ["y"])],
            [("a", F, [2, 3, 4]), ("b", F, [2, 1, 4])], [("y", F, [2, 3, 4])],
            {"a": randn(2, 3, 4), "b": randn(2, 1, 4)}, opset=17)
    w.model("op_mul", [helper.make_node("Mul", ["a", "s"], ["y"])],
            [("a", F, [3, 4])], [("y", F, [3, 4])], {"a": randn(3, 4)}, [const("s", np.float32(0.25))], opset=20)
    w.model("op_div", [helper.make_node("Div", ["a", "b"], ["y"])],
            [("a", F, [2, 3]), ("b", F, [2, 1])], [("y", F, [2, 3])],
            {"a": randn(2, 3), "b": (np.abs(randn(2, 1)) + 0.5).astype(np.float32)}, opset=21)
    w.model("op_pow", [helper.make_node("Pow", ["a", "b"], ["y"])],
            [("a", F, [2, 3]), ("b", F, [3])], [("y", F, [2, 3])],
            {"a": (np.abs(randn(2, 3)) + 0.1).astype(np.float32), "b": randn(3)}, opset=13)
    w.model("op_pow_scalar", [helper.make_node("Pow", ["a", "e"], ["y"])],
            [("a", F, [2, 3])], [("y", F, [2, 3])], {"a": randn(2, 3)}, [const("e", np.float32(2.0))], opset=18)

    # Elementwise unary ops.
    unary(w, rng, "op_relu", "Relu")
    unary(w, rng, "op_leakyrelu", "LeakyRelu", opset=17, alpha=0.1)
    unary(w, rng, "op_sigmoid", "Sigmoid")
    unary(w, rng, "op_tanh", "Tanh", opset=18)
    unary(w, rng, "op_exp", "Exp")
    unary(w, rng, "op_log", "Log", positive=True)
    unary(w, rng, "op_sqrt", "Sqrt", positive=True, opset=17)
    unary(w, rng, "op_erf", "Erf")
    unary(w, rng, "op_gelu", "Gelu", opset=20)
    unary(w, rng, "op_gelu_tanh", "Gelu", opset=20, approximate="tanh")
    unary(w, rng, "op_identity", "Identity", opset=21)
    unary(w, rng, "op_softmax", "Softmax", shape=(3, 5), axis=-1)
    unary(w, rng, "op_softmax_axis1", "Softmax", shape=(2, 3, 4), axis=1, opset=18)
    unary(w, rng, "op_logsoftmax", "LogSoftmax", shape=(3, 5), axis=-1, opset=13)
    unary(w, rng, "op_flatten", "Flatten", shape=(2, 3, 2, 2))
    unary(w, rng, "op_flatten_axis2", "Flatten", shape=(2, 3, 2, 2), axis=2, opset=21)
    unary(w, rng, "op_transpose", "Transpose", shape=(2, 3, 4), perm=[0, 2, 1])
    unary(w, rng, "op_transpose_default", "Transpose", shape=(2, 3, 4), opset=17)
    unary(w, rng, "op_global_average_pool", "GlobalAveragePool", shape=(2, 3, 4, 5))

    # Dropout at inference, with and without ratio / training_mode inputs.
    unary(w, rng, "op_dropout", "Dropout", opset=13)
    w.model("op_dropout_ratio", [helper.make_node("Dropout", ["x", "r", "t"], ["y"])],
            [("x", F, [2, 3])], [("y", F, [2, 3])], {"x": randn(2, 3)},
            [const("r", np.float32(0.5)), const("t", np.array(False))], opset=18)

    # Shapes.
    w.model("op_reshape", [helper.make_node("Reshape", ["x", "s"], ["y"])],
            [("x", F, [2, 3, 4])], [("y", F, [2, 12])], {"x": randn(2, 3, 4)}, [const("s", i64([0, -1]))])
    w.model("op_reshape_zero", [helper.make_node("Reshape", ["x", "s"], ["y"])],
            [("x", F, [2, 3, 4])], [("y", F, [2, 3, 2, 2])], {"x": randn(2, 3, 4)},
            [const("s", i64([-1, 0, 2, 2]))], opset=17)
    w.model("op_squeeze", [helper.make_node("Squeeze", ["x", "axes"], ["y"])],
            [("x", F, [1, 3, 1, 4])], [("y", F, [3, 4])], {"x": randn(1, 3, 1, 4)}, [const("axes", i64([0, -2]))])
    w.model("op_squeeze_all", [helper.make_node("Squeeze", ["x"], ["y"])],
            [("x", F, [1, 3, 1, 4])], [("y", F, [3, 4])], {"x": randn(1, 3, 1, 4)}, opset=21)
    w.model("op_unsqueeze", [helper.make_node("Unsqueeze", ["x", "axes"], ["y"])],
            [("x", F, [3, 4])], [("y", F, [1, 3, 4, 1])], {"x": randn(3, 4)}, [const("axes", i64([0, -1]))])
    w.model("op_concat", [helper.make_node("Concat", ["a", "b", "c"], ["y"], axis=1)],
            [("a", F, [2, 1, 3]), ("b", F, [2, 2, 3]), ("c", F, [2, 3, 3])], [("y", F, [2, 6, 3])],
            {"a": randn(2, 1, 3), "b": randn(2, 2, 3), "c": randn(2, 3, 3)})
    w.model("op_concat_negative_axis", [helper.make_node("Concat", ["a", "b"], ["y"], axis=-1)],
            [("a", I64, [2, 2]), ("b", I64, [2, 3])], [("y", I64, [2, 5])],
            {"a": i64([[1, 2], [3, 4]]), "b": i64([[5, 6, 7], [8, 9, 10]])}, opset=18)
    w.model("op_slice", [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
            [("x", F, [4, 6])], [("y", F, [2, 3])], {"x": randn(4, 6)},
            [const("starts", i64([1, 0])), const("ends", i64([3, 6])), const("axes", i64([0, 1])),
             const("steps", i64([1, 2]))])
    w.model("op_slice_negative_step", [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
            [("x", F, [3, 7])], [("y", F, [3, 4])], {"x": randn(3, 7)},
            [const("starts", i64([-1])), const("ends", i64([-(2**63)])), const("axes", i64([-1])),
             const("steps", i64([-2]))], opset=18)
    w.model("op_slice_defaults", [helper.make_node("Slice", ["x", "starts", "ends"], ["y"])],
            [("x", F, [3, 4, 5])], [("y", F, [2, 2, 5])], {"x": randn(3, 4, 5)},
            [const("starts", i64([1, -3])), const("ends", i64([2**63 - 1, 3]))], opset=17)
    w.model("op_gather", [helper.make_node("Gather", ["x", "i"], ["y"], axis=0)],
            [("x", F, [4, 3])], [("y", F, [2, 2, 3])], {"x": randn(4, 3)}, [const("i", i64([[0, 2], [-1, 1]]))])
    w.model("op_gather_axis1", [helper.make_node("Gather", ["x", "i"], ["y"], axis=1)],
            [("x", F, [2, 4, 3]), ("i", I64, [3])], [("y", F, [2, 3, 3])],
            {"x": randn(2, 4, 3), "i": i64([3, -4, 1])}, opset=17)
    w.model("op_gather_scalar", [helper.make_node("Gather", ["x", "i"], ["y"], axis=0)],
            [("x", F, [4, 3])], [("y", F, [3])], {"x": randn(4, 3)}, [const("i", np.array(-2, dtype=np.int64))],
            opset=21)
    w.model("op_shape", [helper.make_node("Shape", ["x"], ["y"])],
            [("x", F, [2, 3, 4])], [("y", I64, [3])], {"x": randn(2, 3, 4)})
    w.model("op_shape_start", [helper.make_node("Shape", ["x"], ["y"], start=1, end=-1)],
            [("x", F, [2, 3, 4, 5])], [("y", I64, [2])], {"x": randn(2, 3, 4, 5)}, opset=18)

    # Constants.
    w.model("op_constant", [
        helper.make_node("Constant", [], ["k"], value=const("value", randn(2, 3))),
        helper.make_node("Add", ["x", "k"], ["y"]),
    ], [("x", F, [2, 3])], [("y", F, [2, 3])], {"x": randn(2, 3)})
    w.model("op_constant_value_float", [
        helper.make_node("Constant", [], ["k"], value_float=2.5),
        helper.make_node("Mul", ["x", "k"], ["y"]),
    ], [("x", F, [2, 3])], [("y", F, [2, 3])], {"x": randn(2, 3)}, opset=17)
    w.model("op_constant_value_ints", [
        helper.make_node("Constant", [], ["s"], value_ints=[3, 2]),
        helper.make_node("Reshape", ["x", "s"], ["y"]),
    ], [("x", F, [2, 3])], [("y", F, [3, 2])], {"x": randn(2, 3)}, opset=18)
    w.model("op_constant_of_shape", [
        helper.make_node("ConstantOfShape", ["s"], ["y"], value=const("value", np.array([0.5], dtype=np.float32))),
    ], [("s", I64, [2])], [("y", F, None)], {"s": i64([2, 3])})
    w.model("op_constant_of_shape_default", [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("ConstantOfShape", ["s"], ["y"]),
    ], [("x", F, [2, 3])], [("y", F, [2, 3])], {"x": randn(2, 3)}, opset=20)
    w.model("op_constant_of_shape_int64", [
        helper.make_node("ConstantOfShape", ["s"], ["y"], value=const("value", i64([7]))),
    ], [("s", I64, [3])], [("y", I64, None)], {"s": i64([1, 2, 2])}, opset=21)

    # Cast.
    x = (randn(2, 5) * 3).astype(np.float32)
    w.model("op_cast_float_to_int64", [helper.make_node("Cast", ["x"], ["y"], to=I64)],
            [("x", F, [2, 5])], [("y", I64, [2, 5])], {"x": x})
    w.model("op_cast_int64_to_float", [helper.make_node("Cast", ["x"], ["y"], to=F)],
            [("x", I64, [2, 3])], [("y", F, [2, 3])], {"x": i64([[-3, 0, 7], [100000, -1, 2]])}, opset=17)
    w.model("op_cast_float_to_bool", [helper.make_node("Cast", ["x"], ["y"], to=B)],
            [("x", F, [6])], [("y", B, [6])], {"x": np.array([0, -0.0, 1.5, -2, 0.001, 0], dtype=np.float32)},
            opset=18)
    w.model("op_cast_bool_to_float", [helper.make_node("Cast", ["x"], ["y"], to=F)],
            [("x", B, [4])], [("y", F, [4])], {"x": np.array([True, False, False, True])}, opset=20)
    w.model("op_cast_int64_to_bool", [helper.make_node("Cast", ["x"], ["y"], to=B)],
            [("x", I64, [4])], [("y", B, [4])], {"x": i64([0, 3, -1, 0])}, opset=21)

    # Convolution.
    w.model("op_conv", [helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
            [("x", F, ["N", 2, 5, 5])], [("y", F, ["N", 3, 5, 5])], {"x": randn(2, 2, 5, 5)},
            [const("w", randn(3, 2, 3, 3)), const("b", randn(3))])
    w.model("op_conv_strides_dilations", [helper.make_node(
        "Conv", ["x", "w"], ["y"], strides=[2, 1], dilations=[2, 2], pads=[0, 1, 2, 0])],
        [("x", F, [1, 2, 7, 6])], [("y", F, None)], {"x": randn(1, 2, 7, 6)}, [const("w", randn(4, 2, 3, 2))],
        opset=17)
    w.model("op_conv_groups", [helper.make_node("Conv", ["x", "w", "b"], ["y"], group=2, kernel_shape=[3, 3])],
            [("x", F, [2, 4, 5, 5])], [("y", F, [2, 6, 3, 3])], {"x": randn(2, 4, 5, 5)},
            [const("w", randn(6, 2, 3, 3)), const("b", randn(6))], opset=18)
    w.model("op_conv_same_upper", [helper.make_node(
        "Conv", ["x", "w", "b"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2])],
        [("x", F, [1, 3, 6, 6])], [("y", F, [1, 2, 3, 3])], {"x": randn(1, 3, 6, 6)},
        [const("w", randn(2, 3, 4, 4)), const("b", randn(2))], opset=21)

    # Pooling.
    w.model("op_maxpool", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
            [("x", F, [2, 3, 4, 4])], [("y", F, [2, 3, 2, 2])], {"x": randn(2, 3, 4, 4)})
    w.model("op_maxpool_pads", [helper.make_node(
        "MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
        [("x", F, [1, 2, 5, 5])], [("y", F, [1, 2, 3, 3])], {"x": randn(1, 2, 5, 5) - 3}, opset=18)
    for include in (0, 1):
        w.model(f"op_averagepool_pads_count_include_pad{include}", [helper.make_node(
            "AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
            count_include_pad=include)],
            [("x", F, [1, 2, 5, 5])], [("y", F, [1, 2, 3, 3])], {"x": randn(1, 2, 5, 5)}, opset=17 + include * 4)
    w.model("op_averagepool", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
            [("x", F, [2, 3, 4, 4])], [("y", F, [2, 3, 2, 2])], {"x": randn(2, 3, 4, 4)})

    # Normalisation.
    w.model("op_batchnorm", [helper.make_node(
        "BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], epsilon=1e-3)],
        [("x", F, ["N", 3, 4, 4])], [("y", F, ["N", 3, 4, 4])], {"x": randn(2, 3, 4, 4)},
        [const("scale", randn(3)), const("bias", randn(3)), const("mean", randn(3)),
         const("var", (np.abs(randn(3)) + 0.5).astype(np.float32))], opset=13)
    w.model("op_batchnorm_2d", [helper.make_node(
        "BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"])],
        [("x", F, ["N", 4])], [("y", F, ["N", 4])], {"x": randn(3, 4)},
        [const("scale", randn(4)), const("bias", randn(4)), const("mean", randn(4)),
         const("var", (np.abs(randn(4)) + 0.5).astype(np.float32))], opset=18)
    w.model("op_layernorm", [helper.make_node(
        "LayerNormalization", ["x", "scale", "bias"], ["y"], axis=-1, epsilon=1e-5)],
        [("x", F, [2, 3, 4])], [("y", F, [2, 3, 4])], {"x": randn(2, 3, 4)},
        [const("scale", randn(4)), const("bias", randn(4))], opset=17)
    w.model("op_layernorm_axis1", [helper.make_node("LayerNormalization", ["x", "scale"], ["y"], axis=1)],
            [("x", F, [2, 3, 4])], [("y", F, [2, 3, 4])], {"x": randn(2, 3, 4)},
            [const("scale", randn(3, 4))], opset=20)

    # Reductions.
    w.model("op_reducemean_attr", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=1)],
            [("x", F, [2, 3, 4])], [("y", F, [2, 1, 4])], {"x": randn(2, 3, 4)}, opset=13)
    w.model("op_reducemean_attr_keepdims0", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[0, -1], keepdims=0)],
            [("x", F, [2, 3, 4])], [("y", F, [3])], {"x": randn(2, 3, 4)}, opset=13)
    w.model("op_reducemean_input", [helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0)],
            [("x", F, [2, 3, 4])], [("y", F, [2, 4])], {"x": randn(2, 3, 4)}, [const("axes", i64([1]))], opset=18)
    w.model("op_reducesum", [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
            [("x", F, [2, 3, 4])], [("y", F, [3])], {"x": randn(2, 3, 4)}, [const("axes", i64([0, 2]))])
    w.model("op_reducesum_keepdims", [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=1)],
            [("x", F, [2, 3, 4])], [("y", F, [2, 3, 1])], {"x": randn(2, 3, 4)}, [const("axes", i64([-1]))],
            opset=17)
    w.model("op_reducesum_all", [helper.make_node("ReduceSum", ["x"], ["y"])],
            [("x", F, [2, 3])], [("y", F, [1, 1])], {"x": randn(2, 3)}, opset=13)
    w.model("op_argmax", [helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=1)],
            [("x", F, [3, 5])], [("y", I64, [3, 1])], {"x": randn(3, 5)}, opset=13)
    w.model("op_argmax_keepdims0", [helper.make_node(
        "ArgMax", ["x"], ["y"], axis=-1, keepdims=0, select_last_index=0)],
        [("x", F, [2, 3, 4])], [("y", I64, [2, 3])], {"x": randn(2, 3, 4)}, opset=18)

    # Clip, Where and comparisons.
    x = (randn(3, 4) * 2).astype(np.float32)
    w.model("op_clip", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
            [("x", F, [3, 4])], [("y", F, [3, 4])], {"x": x},
            [const("lo", np.float32(-0.5)), const("hi", np.float32(1.0))])
    w.model("op_clip_max_only", [helper.make_node("Clip", ["x", "", "hi"], ["y"])],
            [("x", F, [3, 4])], [("y", F, [3, 4])], {"x": x}, [const("hi", np.float32(0.25))], opset=17)
    w.model("op_clip_min_only", [helper.make_node("Clip", ["x", "lo"], ["y"])],
            [("x", F, [3, 4])], [("y", F, [3, 4])], {"x": x}, [const("lo", np.float32(0.0))], opset=21)
    w.model("op_where", [helper.make_node("Where", ["c", "a", "b"], ["y"])],
            [("c", B, [2, 3]), ("a", F, [2, 3]), ("b", F, [3])], [("y", F, [2, 3])],
            {"c": np.array([[True, False, True], [False, False, True]]), "a": randn(2, 3), "b": randn(3)})
    ints = rng.integers(0, 3, (2, 4)).astype(np.float32)
    other = rng.integers(0, 3, (4,)).astype(np.float32)
    for op, opset in (("Equal", 13), ("Less", 13), ("Greater", 18)):
        w.model(f"op_{op.lower()}", [helper.make_node(op, ["a", "b"], ["y"])],
                [("a", F, [2, 4]), ("b", F, [4])], [("y", B, [2, 4])], {"a": ints, "b": other}, opset=opset)
    w.model("op_equal_int64", [helper.make_node("Equal", ["a", "b"], ["y"])],
            [("a", I64, [5]), ("b", I64, [5])], [("y", B, [5])],
            {"a": i64([1, 2, 3, 4, 5]), "b": i64([1, 0, 3, 0, 5])}, opset=17)
    w.model("op_not", [helper.make_node("Not", ["x"], ["y"])],
            [("x", B, [2, 3])], [("y", B, [2, 3])], {"x": np.array([[True, False, True], [False, True, False]])})


# ---------------------------------------------------------------- MNIST

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find_mnist(explicit):
    candidates = [explicit] if explicit else []
    if os.environ.get("TERN_DATA_DIR"):
        candidates.append(os.path.join(os.environ["TERN_DATA_DIR"], "mnist"))
    candidates += [os.path.join(ROOT, "Data", "mnist")]
    for c in candidates:
        if c and os.path.exists(os.path.join(c, "t10k-images-idx3-ubyte.gz")):
            return c
    raise SystemExit("MNIST test files not found (pass --mnist DIR)")


def train_mlp(images, labels, seed, hidden=128, epochs=5, lr=0.1, batch=64):
    """Two-layer MLP, softmax cross-entropy, plain minibatch SGD."""
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = (rng.standard_normal((hidden, 10)) * np.sqrt(2 / hidden)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    n = len(images)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            x, t = images[idx], labels[idx]
            h = np.maximum(x @ w1 + b1, 0)
            z = h @ w2 + b2
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), t] -= 1
            dz = p / len(idx)
            dh = (dz @ w2.T) * (h > 0)
            w2 -= lr * (h.T @ dz)
            b2 -= lr * dz.sum(axis=0)
            w1 -= lr * (x.T @ dh)
            b1 -= lr * dh.sum(axis=0)
    return w1, b1, w2, b2


def mnist_models(w, mnist_dir):
    images = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / np.float32(255)
    labels = read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    flat = images.reshape(len(images), 784)
    train_x, train_y = flat[:8000], labels[:8000]
    sample = images[:4]
    scaling = "uint8 pixel / 255 as float32, in [0, 1]"

    def classes_file(name, model_bytes, feed_name, batch):
        first = batch(images[:2000])
        probs = run_ort(model_bytes, {feed_name: first})
        classes = np.argmax(next(iter(probs.values())), axis=1)
        last = run_ort(model_bytes, {feed_name: batch(images[8000:])})
        held_out = float(np.mean(np.argmax(next(iter(last.values())), axis=1) == labels[8000:]))
        dump_json({
            "images": "the first 2000 images of t10k-images-idx3-ubyte (MNIST test set)",
            "scaling": scaling,
            "trained_on": "test images 0..<8000 (numpy SGD, 5 epochs)",
            "accuracy_last_2000": round(held_out, 4),
            "classes": [int(c) for c in classes],
        }, os.path.join(w.out, name + "_classes.json"))
        print(f"{name}: accuracy on test images 8000..<10000: {held_out:.4f}")

    # PyTorch-shaped: input [N,1,28,28] -> Flatten -> Gemm(transB) -> Relu -> Gemm(transB) -> Softmax.
    w1, b1, w2, b2 = train_mlp(train_x, train_y, seed=1)
    nodes = [
        helper.make_node("Flatten", ["input"], ["/flatten/Flatten_output_0"], name="/flatten/Flatten", axis=1),
        helper.make_node("Gemm", ["/flatten/Flatten_output_0", "fc1.weight", "fc1.bias"], ["/fc1/Gemm_output_0"],
                         name="/fc1/Gemm", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Relu", ["/fc1/Gemm_output_0"], ["/relu/Relu_output_0"], name="/relu/Relu"),
        helper.make_node("Gemm", ["/relu/Relu_output_0", "fc2.weight", "fc2.bias"], ["/fc2/Gemm_output_0"],
                         name="/fc2/Gemm", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Softmax", ["/fc2/Gemm_output_0"], ["output"], name="/softmax/Softmax", axis=1),
    ]
    inits = [const("fc1.weight", np.ascontiguousarray(w1.T)), const("fc1.bias", b1),
             const("fc2.weight", np.ascontiguousarray(w2.T)), const("fc2.bias", b2)]
    w.model("mnist_mlp_gemm", nodes, [("input", F, ["N", 1, 28, 28])], [("output", F, ["N", 10])],
            {"input": sample.reshape(4, 1, 28, 28)}, inits, opset=17)
    with open(os.path.join(w.out, "mnist_mlp_gemm.onnx"), "rb") as f:
        classes_file("mnist_mlp_gemm", f.read(), "input", lambda x: x.reshape(len(x), 1, 28, 28))

    # Keras/tf2onnx-shaped: input [N,28,28] -> Reshape [-1,784] -> MatMul + Add -> Relu -> MatMul + Add -> Softmax.
    w1, b1, w2, b2 = train_mlp(train_x, train_y, seed=2)
    nodes = [
        helper.make_node("Reshape", ["input", "const_fold_opt__12"], ["sequential/flatten/Reshape:0"],
                         name="sequential/flatten/Reshape"),
        helper.make_node("MatMul", ["sequential/flatten/Reshape:0", "sequential/dense/MatMul/ReadVariableOp:0"],
                         ["sequential/dense/MatMul:0"], name="sequential/dense/MatMul"),
        helper.make_node("Add", ["sequential/dense/MatMul:0", "sequential/dense/BiasAdd/ReadVariableOp:0"],
                         ["sequential/dense/BiasAdd:0"], name="sequential/dense/BiasAdd"),
        helper.make_node("Relu", ["sequential/dense/BiasAdd:0"], ["sequential/dense/Relu:0"],
                         name="sequential/dense/Relu"),
        helper.make_node("MatMul", ["sequential/dense/Relu:0", "sequential/dense_1/MatMul/ReadVariableOp:0"],
                         ["sequential/dense_1/MatMul:0"], name="sequential/dense_1/MatMul"),
        helper.make_node("Add", ["sequential/dense_1/MatMul:0", "sequential/dense_1/BiasAdd/ReadVariableOp:0"],
                         ["sequential/dense_1/BiasAdd:0"], name="sequential/dense_1/BiasAdd"),
        helper.make_node("Softmax", ["sequential/dense_1/BiasAdd:0"], ["output"], name="sequential/dense_1/Softmax",
                         axis=-1),
    ]
    inits = [const("const_fold_opt__12", i64([-1, 784])),
             const("sequential/dense/MatMul/ReadVariableOp:0", w1),
             const("sequential/dense/BiasAdd/ReadVariableOp:0", b1),
             const("sequential/dense_1/MatMul/ReadVariableOp:0", w2),
             const("sequential/dense_1/BiasAdd/ReadVariableOp:0", b2)]
    w.model("mnist_mlp_matmul", nodes, [("input", F, ["unk__6", 28, 28])], [("output", F, ["unk__7", 10])],
            {"input": sample}, inits, opset=13)
    with open(os.path.join(w.out, "mnist_mlp_matmul.onnx"), "rb") as f:
        classes_file("mnist_mlp_matmul", f.read(), "input", lambda x: x)

    # CNN with random (He) weights: Conv -> Relu -> MaxPool -> Conv -> Relu -> MaxPool -> Flatten -> Gemm -> Softmax.
    rng = np.random.default_rng(3)

    def he(*shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(np.float32)

    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], name="/conv1/Conv",
                         kernel_shape=[3, 3], pads=[0, 0, 0, 0], strides=[1, 1], dilations=[1, 1], group=1),
        helper.make_node("Relu", ["c1"], ["r1"], name="/relu1/Relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="/pool1/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], name="/conv2/Conv",
                         kernel_shape=[3, 3], pads=[0, 0, 0, 0], strides=[1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="/relu2/Relu"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="/pool2/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], name="/flatten/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="/fc/Gemm", transB=1),
        helper.make_node("Softmax", ["logits"], ["output"], name="/softmax/Softmax", axis=1),
    ]
    inits = [const("conv1.weight", he(8, 1, 3, 3, fan_in=9)), const("conv1.bias", he(8, fan_in=9) * 0.1),
             const("conv2.weight", he(16, 8, 3, 3, fan_in=72)), const("conv2.bias", he(16, fan_in=72) * 0.1),
             const("fc.weight", he(10, 400, fan_in=400)), const("fc.bias", np.zeros(10, np.float32))]
    w.model("mnist_cnn", nodes, [("input", F, ["N", 1, 28, 28])], [("output", F, ["N", 10])],
            {"input": sample.reshape(4, 1, 28, 28)}, inits, opset=17)


# ---------------------------------------------------------------- check mode

def load_side(path, key):
    with open(path) as f:
        obj = json.load(f)
    if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
        obj = obj[key]
    return {name: tensor_from_json(entry) for name, entry in obj.items()}


def check(model_path, inputs_path, outputs_path):
    try:
        model = onnx.load(model_path)
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # noqa: BLE001 - report any checker failure in one line
        print(f"FAIL {model_path}: onnx.checker: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
        return 1
    feeds = load_side(inputs_path, "inputs")
    expected = load_side(outputs_path, "outputs")
    try:
        results = run_ort(model.SerializeToString(), feeds)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {model_path}: onnxruntime: {str(e).splitlines()[0]}")
        return 1
    worst = 0.0
    for name, want in expected.items():
        if name not in results:
            print(f"FAIL {model_path}: no output named {name!r} (has {sorted(results)})")
            return 1
        got = results[name]
        if got.dtype != want.dtype or got.shape != want.shape:
            print(f"FAIL {model_path}: output {name!r} is {NAMES.get(got.dtype, got.dtype)} {list(got.shape)}, "
                  f"expected {NAMES.get(want.dtype, want.dtype)} {list(want.shape)}")
            return 1
        if want.dtype.kind == "f":
            diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
            bound = 1e-5 + 1e-4 * np.abs(want.astype(np.float64))
            if diff.size and not np.all(diff <= bound):
                i = int(np.argmax(diff - bound))
                print(f"FAIL {model_path}: output {name!r} differs at flat index {i}: "
                      f"onnxruntime {got.reshape(-1)[i]!r}, expected {want.reshape(-1)[i]!r}")
                return 1
            worst = max(worst, float(diff.max()) if diff.size else 0.0)
        elif not np.array_equal(got, want):
            i = int(np.argmax(got.reshape(-1) != want.reshape(-1)))
            print(f"FAIL {model_path}: output {name!r} differs at flat index {i}: "
                  f"onnxruntime {got.reshape(-1)[i]!r}, expected {want.reshape(-1)[i]!r}")
            return 1
    print(f"OK {model_path}: checker passed, {len(expected)} output(s) match onnxruntime "
          f"(max abs diff {worst:.3g})")
    return 0


# Groups of fixtures: the operator models, the later operator models
# (onnx_more_ops.py), the MNIST models, and the PyTorch exports
# (onnx_torch_fixtures.py, which needs torch).
GROUPS = ["ops", "more-ops", "mnist", "torch"]


def golden(export_dir, out):
    """Tern's exports (written by the Swift test with TERN_ONNX_EXPORT_DIR)
    become goldens: each `<name>.onnx` passes onnx.checker and is copied to
    `out` with `<name>.json` holding its inputs and onnxruntime's outputs."""
    os.makedirs(out, exist_ok=True)
    names = sorted(f[:-5] for f in os.listdir(export_dir) if f.endswith(".onnx"))
    if not names:
        raise SystemExit(f"no .onnx files in {export_dir}")
    for name in names:
        with open(os.path.join(export_dir, name + ".onnx"), "rb") as f:
            data = f.read()
        onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
        feeds = load_side(os.path.join(export_dir, name + ".json"), "inputs")
        results = run_ort(data, feeds)
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(data)
        dump_json({"inputs": {k: tensor_json(v) for k, v in feeds.items()},
                   "outputs": {k: tensor_json(v) for k, v in results.items()}}, os.path.join(out, name + ".json"))
        print(f"golden {name}: checker passed, outputs {sorted(results)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", nargs=3, metavar=("MODEL", "INPUTS", "OUTPUTS"))
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--mnist", default=None, help="folder with t10k-*-ubyte.gz")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=GROUPS,
                        help="write only these groups of fixtures (default: all)")
    parser.add_argument("--golden", metavar="EXPORT_DIR",
                        help="make the export goldens from Tern's exports in EXPORT_DIR (into --out, default Fixtures/onnx-export)")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(*args.check))
    if args.golden:
        golden(args.golden, args.out if args.out != DEFAULT_OUT else GOLDEN_OUT)
        return
    os.makedirs(args.out, exist_ok=True)
    w = Writer(args.out)
    if "ops" in args.only:
        ops(w)
    if "more-ops" in args.only:
        from onnx_more_ops import more_ops
        more_ops(w)
    if "mnist" in args.only:
        mnist_models(w, find_mnist(args.mnist))
    if "torch" in args.only:
        from onnx_torch_fixtures import torch_models
        torch_models(w)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {len(w.written)} models to {args.out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
