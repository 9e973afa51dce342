import Foundation
import Testing
import TernFormats
import TernONNX
import TernNN
import TernTensor
import TernTesting

/// A node named after its operator and first output.
func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [String: ONNXAttribute] = [:]) -> ONNXNode {
    ONNXNode(name: "\(op)_\(outputs.first ?? "")", opType: op, inputs: inputs, outputs: outputs, attributes: attributes)
}

/// Runs a graph of `nodes` with the given fed inputs (shapes declared from
/// the values) and constant initializers, returning every listed output.
func runGraph(
    _ nodes: [ONNXNode], inputs: [String: AnyTensor], initializers: [String: AnyTensor] = [:],
    outputs: [String], opset: Int = 17
) throws -> [String: AnyTensor] {
    let graph = ONNXGraph(
        nodes: nodes,
        initializers: initializers.reduce(into: [:]) { $0[$1.key] = tensorData($1.key, $1.value) },
        inputs: inputs.sorted { $0.key < $1.key }.map { valueInfo($0.key, $0.value.dtype, $0.value.shape.dimensions) },
        outputs: outputs.map { valueInfo($0, .float32, nil) }, opsetVersion: opset)
    return try ONNXExecutor(graph: graph).run(inputs)
}

/// The error thrown while preparing a graph, or nil.
func preparationError(_ nodes: [ONNXNode], inputs: [ONNXValueInfo] = [], initializers: [String: AnyTensor] = [:],
                      outputs: [String] = [], opset: Int = 17) -> ONNXRuntimeError? {
    let graph = ONNXGraph(
        nodes: nodes, initializers: initializers.reduce(into: [:]) { $0[$1.key] = tensorData($1.key, $1.value) },
        inputs: inputs, outputs: outputs.map { valueInfo($0, .float32, nil) }, opsetVersion: opset)
    do { _ = try ONNXExecutor(graph: graph); return nil } catch let e as ONNXRuntimeError { return e } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite struct ONNXExecutorTests {
    // MARK: Graphs checked against numpy (Fixtures/onnx-handbuilt/make_fixtures.py)

    @Test func mlpWithGemmReluSoftmax() throws {
        let f = try ONNXFixtures.loadHandBuilt("mlp")
        let graph = fixtureGraph(f, nodes: [
            node("Gemm", ["x", "w1", "b1"], ["h0"], ["transB": .int(1)]),
            node("Relu", ["h0"], ["h"]),
            node("Gemm", ["h", "w2", "b2"], ["logits"], ["transB": .int(1), "alpha": .float(0.5), "beta": .float(2)]),
            node("Softmax", ["logits"], ["probs"], ["axis": .int(1)]),
        ], outputs: ["probs"])
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    @Test func convolutionGroupedPaddedStridedDilated() throws {
        let f = try ONNXFixtures.loadHandBuilt("conv_grouped")
        let graph = fixtureGraph(f, nodes: [
            node("Conv", ["x", "w", "b"], ["y"], [
                "pads": .ints([1, 0, 2, 1]), "strides": .ints([2, 1]), "dilations": .ints([1, 2]),
                "group": .int(2), "kernel_shape": .ints([3, 3]),
            ]),
        ], outputs: ["y"])
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    @Test(arguments: ["SAME_UPPER", "SAME_LOWER"])
    func convolutionAutoPad(mode: String) throws {
        let f = try ONNXFixtures.loadHandBuilt(mode == "SAME_UPPER" ? "conv_same_upper" : "conv_same_lower")
        let graph = fixtureGraph(f, nodes: [
            node("Conv", ["x", "w"], ["y"], ["auto_pad": .string(mode), "strides": .ints([2, 2])]),
        ], outputs: ["y"])
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    @Test func convolutionWithFedWeights() throws {
        // 1×1 image, one channel, 1×1 kernel of 3 and bias 1, VALID: 2·3 + 1.
        let out = try runGraph([node("Conv", ["x", "w", "b"], ["y"], ["auto_pad": .string("VALID")])],
                               inputs: ["x": .float(shape: [1, 1, 1, 1], [2]), "w": .float(shape: [1, 1, 1, 1], [3]),
                                        "b": .float(shape: [1], [1])], outputs: ["y"])
        #expect(out["y"] == .float(shape: [1, 1, 1, 1], [7]))
    }

    @Test func pooling() throws {
        let f = try ONNXFixtures.loadHandBuilt("pool")
        let graph = fixtureGraph(f, nodes: [
            node("MaxPool", ["x"], ["max"], ["kernel_shape": .ints([3, 2]), "strides": .ints([2, 1]), "pads": .ints([1, 1, 0, 1])]),
            node("AveragePool", ["x"], ["avg"], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
            node("AveragePool", ["x"], ["avg_pad"], [
                "kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "count_include_pad": .int(1),
            ]),
            node("GlobalAveragePool", ["x"], ["global"]),
        ], outputs: ["max", "avg", "avg_pad", "global"])
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    @Test func matmulBroadcastingAndVectors() throws {
        let f = try ONNXFixtures.loadHandBuilt("matmul")
        let graph = fixtureGraph(f, nodes: [
            node("MatMul", ["a", "b"], ["ab"]),
            node("MatMul", ["v", "c"], ["vc"]),
            node("Transpose", ["c"], ["ct"], ["perm": .ints([0, 2, 1])]),
            node("MatMul", ["ct", "v"], ["cv"]),
            node("MatMul", ["d", "e"], ["de"]),
        ], outputs: ["ab", "vc", "cv", "de"])
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    @Test func normalization() throws {
        let f = try ONNXFixtures.loadHandBuilt("norm")
        let graph = fixtureGraph(f, nodes: [
            node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["bn"], ["epsilon": .float(1e-3)]),
            node("LayerNormalization", ["y", "g", "beta"], ["ln", "ln_mean", "ln_inv"], ["axis": .int(1)]),
            node("LayerNormalization", ["y", "g1"], ["ln_last"]),
        ], outputs: ["bn", "ln", "ln_mean", "ln_inv", "ln_last"])
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    @Test func reductionsSoftmaxArgMax() throws {
        let f = try ONNXFixtures.loadHandBuilt("reduce")
        let graph = fixtureGraph(f, nodes: [
            node("ReduceMean", ["x"], ["mean1"], ["axes": .ints([1])]),
            node("Constant", [], ["axes02"], ["value_ints": .ints([0, -1])]),
            node("ReduceSum", ["x", "axes02"], ["sum02"], ["keepdims": .int(0)]),
            node("ReduceSum", ["x"], ["sum_all"]),
            node("Softmax", ["x"], ["softmax1"], ["axis": .int(1)]),
            node("LogSoftmax", ["x"], ["logsoftmax"]),
            node("ArgMax", ["x"], ["argmax_first"], ["axis": .int(2), "keepdims": .int(0)]),
            node("ArgMax", ["x"], ["argmax_last"], ["axis": .int(-1), "select_last_index": .int(1)]),
        ], outputs: ["mean1", "sum02", "sum_all", "softmax1", "logsoftmax", "argmax_first", "argmax_last"])
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    @Test func unaryMaths() throws {
        let f = try ONNXFixtures.loadHandBuilt("unary")
        var graph = fixtureGraph(f, nodes: [
            node("Erf", ["x"], ["erf"]), node("Gelu", ["x"], ["gelu"]),
            node("Gelu", ["x"], ["gelu_tanh"], ["approximate": .string("tanh")]),
            node("Sigmoid", ["x"], ["sigmoid"]), node("Tanh", ["x"], ["tanh"]), node("Exp", ["x"], ["exp"]),
            node("Log", ["p"], ["log"]), node("Sqrt", ["p"], ["sqrt"]),
            node("LeakyRelu", ["x"], ["leaky"], ["alpha": .float(0.1)]), node("Relu", ["x"], ["relu"]),
            node("Pow", ["p", "x"], ["pow"]), node("Pow", ["p", "three"], ["pow_int"]),
        ], outputs: ["erf", "gelu", "gelu_tanh", "sigmoid", "tanh", "exp", "log", "sqrt", "leaky", "relu", "pow", "pow_int"],
        opset: 20)
        graph.initializers["three"] = tensorData("three", .int64(shape: [], [3]))
        expectONNXOutputs(try ONNXExecutor(graph: graph).run(f.inputs), f.outputs)
    }

    // MARK: Small graphs with values worked out by hand

    @Test func gemmTransposedAWithFedBAlphaAndScalarC() throws {
        // op(A) = Aᵀ = [[1, 3], [2, 4]]; times I, times alpha 2, plus beta 0.5 · 1.
        let out = try runGraph(
            [node("Gemm", ["a", "b", "c"], ["y"], ["transA": .int(1), "alpha": .float(2), "beta": .float(0.5)])],
            inputs: ["a": .float(shape: [2, 2], [1, 2, 3, 4]), "b": .float(shape: [2, 2], [1, 0, 0, 1])],
            initializers: ["c": .float(shape: [], [1])], outputs: ["y"])
        #expect(out["y"] == .float(shape: [2, 2], [2.5, 6.5, 4.5, 8.5]))
    }

    @Test func dynamicFlattenThroughShapeArithmetic() throws {
        // Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): the exporters' flatten.
        let x = AnyTensor.float(shape: [2, 3, 4], (0..<24).map(Float.init))
        let out = try runGraph([
            node("Shape", ["x"], ["s"]),
            node("Gather", ["s", "zero"], ["n"]),
            node("Unsqueeze", ["n", "axes0"], ["n1"]),
            node("Concat", ["n1", "minusOne"], ["newShape"], ["axis": .int(0)]),
            node("Reshape", ["x", "newShape"], ["y"]),
            node("Shape", ["x"], ["tail"], ["start": .int(-2)]),
        ], inputs: ["x": x], initializers: [
            "zero": .int64(shape: [], [0]), "axes0": .int64(shape: [1], [0]), "minusOne": .int64(shape: [1], [-1]),
        ], outputs: ["y", "tail"])
        #expect(out["y"] == x.reshapedForTest([2, 12]))
        #expect(out["tail"] == .int64(shape: [2], [3, 4]))
    }

    @Test func sliceWithNegativeStepsAndClamping() throws {
        // numpy: arange(24).reshape(2, 3, 4)[:, 0:100:2, 3::-2]
        let x = AnyTensor.float(shape: [2, 3, 4], (0..<24).map(Float.init))
        let out = try runGraph([node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])], inputs: ["x": x], initializers: [
            "starts": .int64(shape: [2], [-1, 0]), "ends": .int64(shape: [2], [Int64.min, 100]),
            "axes": .int64(shape: [2], [2, -2]), "steps": .int64(shape: [2], [-2, 2]),
        ], outputs: ["y"])
        #expect(out["y"] == .float(shape: [2, 2, 2], [3, 1, 11, 9, 15, 13, 23, 21]))
        // Without axes and steps, on INT64 data: [1:] of the first axis.
        let ints = AnyTensor.int64(shape: [3, 2], [1, 2, 3, 4, 5, 6])
        let tail = try runGraph([node("Slice", ["x", "s", "e"], ["y"])], inputs: ["x": ints], initializers: [
            "s": .int64(shape: [1], [1]), "e": .int64(shape: [1], [Int64.max]),
        ], outputs: ["y"])
        #expect(tail["y"] == .int64(shape: [2, 2], [3, 4, 5, 6]))
    }

    @Test func layoutOperators() throws {
        let x = AnyTensor.float(shape: [2, 3], [1, 2, 3, 4, 5, 6])
        let out = try runGraph([
            node("Transpose", ["x"], ["t"]),
            node("Gather", ["x", "idx"], ["g"], ["axis": .int(1)]),
            node("Unsqueeze", ["x", "axesU"], ["u"]),
            node("Squeeze", ["u"], ["s"]),
            node("Squeeze", ["u", "axesS"], ["s0"]),
            node("Flatten", ["u"], ["f"], ["axis": .int(-1)]),
            node("Concat", ["x", "x"], ["c"], ["axis": .int(-1)]),
            node("Identity", ["x"], ["i"]),
        ], inputs: ["x": x], initializers: [
            "idx": .int64(shape: [1, 2], [-1, 0]), "axesU": .int64(shape: [2], [-1, 0]), "axesS": .int64(shape: [1], [0]),
        ], outputs: ["t", "g", "u", "s", "s0", "f", "c", "i"])
        #expect(out["t"] == .float(shape: [3, 2], [1, 4, 2, 5, 3, 6]))
        #expect(out["g"] == .float(shape: [2, 1, 2], [3, 1, 6, 4]))
        #expect(out["u"]?.shape == [1, 2, 3, 1])
        #expect(out["s"]?.shape == [2, 3])
        #expect(out["s0"]?.shape == [2, 3, 1])
        #expect(out["f"]?.shape == [6, 1])
        #expect(out["c"] == .float(shape: [2, 6], [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]))
        #expect(out["i"] == x)
    }

    @Test func broadcastArithmeticFloatAndInt64() throws {
        let out = try runGraph([
            node("Add", ["a", "b"], ["sum"]),
            node("Sub", ["a", "b"], ["difference"]),
            node("Mul", ["a", "b"], ["product"]),
            node("Div", ["i", "j"], ["quotient"]),
            node("Sub", ["i", "one"], ["iMinusOne"]),
        ], inputs: ["a": .float(shape: [2, 1], [1, 2]), "b": .float(shape: [3], [10, 20, 30]),
                    "i": .int64(shape: [4], [7, -7, 7, -7]), "j": .int64(shape: [4], [2, 2, -2, -2])],
        initializers: ["one": .int64(shape: [], [1])], outputs: ["sum", "difference", "product", "quotient", "iMinusOne"])
        #expect(out["sum"] == .float(shape: [2, 3], [11, 21, 31, 12, 22, 32]))
        #expect(out["difference"] == .float(shape: [2, 3], [-9, -19, -29, -8, -18, -28]))
        #expect(out["product"] == .float(shape: [2, 3], [10, 20, 30, 20, 40, 60]))
        #expect(out["quotient"] == .int64(shape: [4], [3, -3, -3, 3]))  // truncation toward zero
        #expect(out["iMinusOne"] == .int64(shape: [4], [6, -8, 6, -8]))
    }

    @Test func comparisonsWhereAndNot() throws {
        let out = try runGraph([
            node("Less", ["a", "b"], ["lt"]), node("Greater", ["a", "b"], ["gt"]), node("Equal", ["a", "b"], ["eq"]),
            node("Equal", ["i", "k"], ["ieq"]), node("Not", ["eq"], ["ne"]),
            node("Where", ["lt", "a", "zero"], ["w"]),
        ], inputs: ["a": .float(shape: [3], [1, 2, 3]), "b": .float(shape: [3], [2, 2, 2]),
                    "i": .int64(shape: [2, 1], [4, 5]), "k": .int64(shape: [2], [5, 4])],
        initializers: ["zero": .float(shape: [], [0])], outputs: ["lt", "gt", "eq", "ieq", "ne", "w"])
        #expect(out["lt"] == .bool(shape: [3], [true, false, false]))
        #expect(out["gt"] == .bool(shape: [3], [false, false, true]))
        #expect(out["eq"] == .bool(shape: [3], [false, true, false]))
        #expect(out["ieq"] == .bool(shape: [2, 2], [false, true, true, false]))
        #expect(out["ne"] == .bool(shape: [3], [true, false, true]))
        #expect(out["w"] == .float(shape: [3], [1, 0, 0]))
    }

    @Test func castBetweenTypes() throws {
        func cast(_ x: AnyTensor, _ to: DType) throws -> AnyTensor? {
            try runGraph([node("Cast", ["x"], ["y"], ["to": .int(Int64(to.onnxCode))])], inputs: ["x": x], outputs: ["y"])["y"]
        }
        let x = AnyTensor.float(shape: [5], [1.7, -1.7, 0, 2.5, 300])
        #expect(try cast(x, .int64) == .int64(shape: [5], [1, -1, 0, 2, 300]))
        #expect(try cast(x, .int32) == .int32(shape: [5], [1, -1, 0, 2, 300]))
        #expect(try cast(x, .uint8) == .uint8(shape: [5], [1, 255, 0, 2, 44]))
        #expect(try cast(x, .bool) == .bool(shape: [5], [true, true, false, true, true]))
        let tenth = AnyTensor.float(shape: [1], [0.1])
        let widened = try #require(try cast(tenth, .float64))
        #expect(widened == .double(shape: [1], [Double(Float(0.1))]))
        #expect(try cast(widened, .float32) == tenth)
        #expect(try cast(.int64(shape: [2], [-3, 1 << 40]), .float32) == .float(shape: [2], [-3, 1_099_511_627_776]))
        #expect(try cast(.bool(shape: [2], [true, false]), .float32) == .float(shape: [2], [1, 0]))
        #expect(try cast(.double(shape: [1], [-2.9]), .int64) == .int64(shape: [1], [-2]))
    }

    @Test func clipConstantsAndDropout() throws {
        let fill = tensorData("value", .int64(shape: [1], [7]))
        let out = try runGraph([
            node("Clip", ["x", "", "hi"], ["clipped"]),
            node("Clip", ["x", "lo"], ["floored"]),
            node("ConstantOfShape", ["dims"], ["sevens"], ["value": .tensor(fill)]),
            node("ConstantOfShape", ["dims"], ["zeros"]),
            node("Constant", [], ["half"], ["value_float": .float(0.5)]),
            node("Mul", ["x", "half"], ["halved"]),
            node("Dropout", ["x"], ["dropped", "mask"]),
        ], inputs: ["x": .float(shape: [4], [-2, -0.5, 0.5, 2])],
        initializers: ["hi": .float(shape: [], [1]), "lo": .float(shape: [], [0]), "dims": .int64(shape: [2], [2, 1])],
        outputs: ["clipped", "floored", "sevens", "zeros", "halved", "dropped", "mask"])
        #expect(out["clipped"] == .float(shape: [4], [-2, -0.5, 0.5, 1]))
        #expect(out["floored"] == .float(shape: [4], [0, 0, 0.5, 2]))
        #expect(out["sevens"] == .int64(shape: [2, 1], [7, 7]))
        #expect(out["zeros"] == .float(shape: [2, 1], [0, 0]))
        #expect(out["halved"] == .float(shape: [4], [-1, -0.25, 0.25, 1]))
        #expect(out["dropped"] == .float(shape: [4], [-2, -0.5, 0.5, 2]))
        #expect(out["mask"] == .bool(shape: [4], [true, true, true, true]))
    }

    @Test func reduceMeanTakesAxesAsInputFromOpset18() throws {
        let x = AnyTensor.float(shape: [2, 2], [1, 2, 3, 5])
        let out = try runGraph([
            node("ReduceMean", ["x", "axes"], ["m"], ["keepdims": .int(0)]),
            node("ReduceSum", ["x", "none"], ["same"], ["noop_with_empty_axes": .int(1)]),
        ], inputs: ["x": x], initializers: ["axes": .int64(shape: [1], [1]), "none": .int64(shape: [0], [])],
        outputs: ["m", "same"], opset: 18)
        #expect(out["m"] == .float(shape: [2], [1.5, 4]))
        #expect(out["same"] == x)
    }

    @Test func foldsConstantSubgraphsAndFreesIntermediates() throws {
        // Transpose of an initializer feeding Gemm is folded at preparation;
        // the run gives the same answer as Gemm with transB.
        let w = AnyTensor.float(shape: [2, 3], [1, 2, 3, 4, 5, 6])
        let out = try runGraph([
            node("Transpose", ["w"], ["wt"]),
            node("Gemm", ["x", "wt"], ["y"]),
            node("Relu", ["y"], ["r"]),
        ], inputs: ["x": .float(shape: [1, 3], [1, 0, -1])], initializers: ["w": w], outputs: ["r", "y"])
        #expect(out["y"] == .float(shape: [1, 2], [-2, -2]))
        #expect(out["r"] == .float(shape: [1, 2], [0, 0]))
    }

    // MARK: Errors

    @Test func rejectsUnsupportedOperatorsAndOpsets() {
        let e = preparationError([node("Frobnicate", ["x"], ["y"])], inputs: [valueInfo("x", .float32, [1])])
        #expect(e == .unsupportedOperator(op: "Frobnicate", node: "Frobnicate_y"))
        #expect(e?.description == "unsupported operator 'Frobnicate' in node 'Frobnicate_y'")
        var custom = node("Relu", ["x"], ["y"])
        custom.domain = "com.microsoft"
        #expect(preparationError([custom], inputs: [valueInfo("x", .float32, [1])])
            == .unsupportedOperator(op: "com.microsoft.Relu", node: "Relu_y"))
        #expect(preparationError([], opset: 12) == .unsupportedOpset(12, supported: 13...21))
    }

    @Test func rejectsUnknownAndUnsupportedAttributes() {
        let x = [valueInfo("x", .float32, [1, 1, 4, 4])]
        let w: [String: AnyTensor] = ["w": .float(shape: [1, 1, 3, 3], [Float](repeating: 1, count: 9))]
        let gemm = preparationError([node("Gemm", ["x", "x"], ["y"], ["foo": .int(1)])], inputs: x)
        #expect(gemm == .invalidAttribute(op: "Gemm", node: "Gemm_y", attribute: "foo", reason: "is not a known attribute of Gemm"))
        #expect(gemm?.description.contains("Gemm node 'Gemm_y': attribute 'foo'") == true)
        #expect(preparationError([node("Conv", ["x", "w"], ["y"], ["auto_pad": .string("VALID")])], inputs: x, initializers: w) == nil)
        let kernel3D = preparationError([node("Conv", ["x", "w"], ["y"], ["kernel_shape": .ints([3, 3, 3])])], inputs: x, initializers: w)
        guard case .invalidAttribute(op: "Conv", node: "Conv_y", attribute: "kernel_shape", _)? = kernel3D else {
            Issue.record("expected a kernel_shape error, got \(String(describing: kernel3D))")
            return
        }
        let pad = preparationError([node("Conv", ["x", "w"], ["y"], ["auto_pad": .string("EXPLICIT")])], inputs: x, initializers: w)
        #expect(pad?.description.contains("'auto_pad'") == true)
        #expect(preparationError([node("MaxPool", ["x"], ["y"], ["kernel_shape": .ints([2, 2]), "ceil_mode": .int(1)])], inputs: x) == nil)
        let ceil = preparationError([node("MaxPool", ["x"], ["y"], ["kernel_shape": .ints([2, 2]), "ceil_mode": .int(2)])], inputs: x)
        #expect(ceil == .invalidAttribute(op: "MaxPool", node: "MaxPool_y", attribute: "ceil_mode", reason: "must be 0 or 1, got 2"))
        let typed = preparationError([node("Gemm", ["x", "x"], ["y"], ["alpha": .string("one")])], inputs: x)
        #expect(typed == .invalidAttribute(op: "Gemm", node: "Gemm_y", attribute: "alpha", reason: "must be a float, got a string"))
        let cast = preparationError([node("Cast", ["x"], ["y"], ["to": .int(8)])], inputs: x)
        #expect(cast == .invalidAttribute(op: "Cast", node: "Cast_y", attribute: "to", reason: "target type STRING is not supported"))
        let training = preparationError([node("BatchNormalization", ["x", "x", "x", "x", "x"], ["y"], ["training_mode": .int(1)])], inputs: x)
        #expect(training?.description.contains("training_mode") == true)
    }

    @Test func rejectsCyclesAndUndefinedValues() {
        let cycle = preparationError([
            node("Relu", ["x"], ["a"]), node("Add", ["a", "c"], ["b"]), node("Relu", ["b"], ["c"]),
        ], inputs: [valueInfo("x", .float32, [1])], outputs: ["c"])
        #expect(cycle == .cycle(node: "Add_b") || cycle == .cycle(node: "Relu_c"))
        #expect(cycle?.description.hasPrefix("graph has a cycle through node") == true)
        #expect(preparationError([node("Relu", ["nowhere"], ["y"])]) == .undefinedValue(name: "nowhere", node: "Relu_y"))
        #expect(preparationError([node("Relu", ["x"], ["y"])], inputs: [valueInfo("x", .float32, [1])], outputs: ["z"])
            == .undefinedOutput(name: "z"))
    }

    @Test func checksFedInputs() throws {
        let graph = ONNXGraph(
            nodes: [node("Relu", ["x"], ["y"])], initializers: [:],
            inputs: [ONNXValueInfo(name: "x", dtype: .float32, shape: [.symbolic("batch"), .fixed(3)])],
            outputs: [valueInfo("y", .float32, nil)], opsetVersion: 17)
        let executor = try ONNXExecutor(graph: graph)
        #expect(try executor.run(["x": .float(shape: [2, 3], [-1, 1, -2, 2, -3, 3])])["y"]
            == .float(shape: [2, 3], [0, 1, 0, 2, 0, 3]))
        #expect(throws: ONNXRuntimeError.missingInput(name: "x")) { try executor.run([:]) }
        #expect(throws: ONNXRuntimeError.inputMismatch(name: "x", reason: "expected element type FLOAT, got INT64")) {
            try executor.run(["x": .int64(shape: [1, 3], [1, 2, 3])])
        }
        #expect(throws: ONNXRuntimeError.inputMismatch(name: "x", reason: "expected dimension 1 to be 3, got shape [1, 4]")) {
            try executor.run(["x": .float(shape: [1, 4], [1, 2, 3, 4])])
        }
        #expect(throws: ONNXRuntimeError.inputMismatch(name: "x", reason: "expected rank 2, got shape [3]")) {
            try executor.run(["x": .float(shape: [3], [1, 2, 3])])
        }
        #expect(throws: ONNXRuntimeError.unknownInput(name: "z")) {
            try executor.run(["x": .float(shape: [1, 3], [1, 2, 3]), "z": .float(shape: [1], [1])])
        }
    }

    @Test func runtimeFailuresNameTheNode() {
        #expect(throws: ONNXRuntimeError.executionFailed(op: "Div", node: "Div_q", reason: "integer division by zero")) {
            try runGraph([node("Div", ["a", "b"], ["q"])],
                         inputs: ["a": .int64(shape: [1], [1]), "b": .int64(shape: [1], [0])], outputs: ["q"])
        }
        let error = errorText {
            _ = try runGraph([node("Add", ["a", "b"], ["s"])],
                             inputs: ["a": .float(shape: [2], [1, 2]), "b": .float(shape: [3], [1, 2, 3])], outputs: ["s"])
        }
        #expect(error.contains("Add node 'Add_s' failed: shapes [2] and [3] cannot be broadcast together"))
        let gather = errorText {
            _ = try runGraph([node("Gather", ["a", "i"], ["g"])],
                             inputs: ["a": .float(shape: [2], [1, 2]), "i": .int64(shape: [1], [2])], outputs: ["g"])
        }
        #expect(gather.contains("index 2 is out of range"))
    }
}

extension AnyTensor {
    func reshapedForTest(_ shape: [Int]) -> AnyTensor {
        (try? typed.reshapedAny(Shape(shape))) ?? self
    }
}
