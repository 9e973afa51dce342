"""Operator fixtures added after the first set (imported by
make_onnx_fixtures.py, `--only more-ops`): the unary and comparison
operators that had none, Expand, ceil_mode pooling and FLOAT16 casts."""

import numpy as np
from onnx import TensorProto, helper

from make_onnx_fixtures import B, F, I64, const, i64, unary

F16 = TensorProto.FLOAT16


def more_ops(w):
    rng = np.random.default_rng(20250301)

    def randn(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    unary(w, rng, "op_neg", "Neg")
    unary(w, rng, "op_abs", "Abs")
    unary(w, rng, "op_reciprocal", "Reciprocal", positive=True)

    # Comparisons with broadcasting, ties included.
    a = np.round(randn(2, 3, 4) * 2).astype(np.float32)
    b = np.round(randn(4) * 2).astype(np.float32)
    for op in ("LessOrEqual", "GreaterOrEqual"):
        name = "op_" + op.lower()
        w.model(name, [helper.make_node(op, ["a", "b"], ["y"], name=op.lower())],
                [("a", F, [2, 3, 4]), ("b", F, [4])], [("y", B, [2, 3, 4])], {"a": a, "b": b}, opset=17)
    w.model("op_lessorequal_int64", [helper.make_node("LessOrEqual", ["a", "b"], ["y"])],
            [("a", I64, [3, 1]), ("b", I64, [4])], [("y", B, [3, 4])],
            {"a": i64([[1], [2], [3]]), "b": i64([0, 1, 2, 3])}, opset=17)

    # Expand: broadcasting up, a dimension of 1 in the shape keeping the input's.
    w.model("op_expand", [helper.make_node("Expand", ["x", "shape"], ["y"])],
            [("x", F, [3, 1])], [("y", F, [2, 3, 4])], {"x": randn(3, 1)}, [const("shape", i64([2, 1, 4]))])
    w.model("op_expand_int64", [helper.make_node("Expand", ["x", "shape"], ["y"])],
            [("x", I64, [1, 4])], [("y", I64, [3, 4])], {"x": i64([[5, 6, 7, 8]])}, [const("shape", i64([3, 1]))])

    # ceil_mode: the last window runs past the input (and is dropped when it
    # would start in the trailing padding).
    x = randn(1, 2, 7, 6)
    w.model("op_maxpool_ceil", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 2], ceil_mode=1)],
            [("x", F, [1, 2, 7, 6])], [("y", F, None)], {"x": x}, opset=17)
    w.model("op_maxpool_ceil_pads", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                                                      pads=[1, 1, 1, 1], ceil_mode=1)],
            [("x", F, [1, 2, 7, 6])], [("y", F, None)], {"x": x}, opset=17)
    for include in (0, 1):
        w.model(f"op_averagepool_ceil_count_include_pad{include}",
                [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1],
                                  ceil_mode=1, count_include_pad=include)],
                [("x", F, [1, 2, 7, 6])], [("y", F, None)], {"x": x}, opset=17)

    # FLOAT16: casts both ways (rounding to nearest even, overflow to infinity
    # is avoided: the JSON form has no infinities) and arithmetic on FLOAT16.
    h = (randn(2, 5) * 100).astype(np.float32)
    w.model("op_cast_float_to_float16", [helper.make_node("Cast", ["x"], ["y"], to=F16)],
            [("x", F, [2, 5])], [("y", F16, [2, 5])], {"x": h}, opset=17)
    w.model("op_cast_float16_to_float", [helper.make_node("Cast", ["x"], ["y"], to=F)],
            [("x", F16, [2, 5])], [("y", F, [2, 5])], {"x": h.astype(np.float16)}, opset=17)
    w.model("op_cast_float16_to_int64", [helper.make_node("Cast", ["x"], ["y"], to=I64)],
            [("x", F16, [2, 5])], [("y", I64, [2, 5])], {"x": h.astype(np.float16)}, opset=17)
    w.model("op_add_float16", [helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Mul", ["s", "c"], ["y"])],
            [("a", F16, [2, 3])], [("y", F16, [2, 3])], {"a": randn(2, 3).astype(np.float16)},
            [const("b", randn(3).astype(np.float16)), const("c", np.array(0.5, np.float16))], opset=17)
