import Foundation
import Testing
import TernTesting
import TernFormats
import TernTensor
import TernONNX

/// Shapes from a model or a request are counted with overflow checks and
/// bounded before anything is allocated (issue: a 128-byte model asking for
/// 80 GB, an outer product of two request inputs asking for 160 GB).
@Suite struct ONNXLimitTests {
    @Test func elementCountsAreCheckedAndBounded() throws {
        #expect(try ONNXLimits.elementCount([2, 3, 4]) == 24)
        #expect(try ONNXLimits.elementCount([]) == 1)
        #expect(try ONNXLimits.elementCount([0, Int.max]) == 0)
        #expect(throws: (any Error).self) { try ONNXLimits.elementCount([100_000, 100_000]) }
        #expect(throws: (any Error).self) { try ONNXLimits.elementCount([1 << 40, 1 << 40]) }
        #expect(throws: (any Error).self) { try ONNXLimits.elementCount([3, -1]) }
    }

    /// ConstantOfShape with a constant shape is folded at load: the model is
    /// refused there, naming the limit, instead of allocating.
    @Test func constantOfShapeFoldedAtLoadIsRefused() throws {
        for dims: [Int64] in [[100_000, 100_000], [Int64.max, Int64.max]] {
            let error = preparationError(
                [node("ConstantOfShape", ["shape"], ["y"])],
                initializers: ["shape": .int64(shape: [2], dims)], outputs: ["y"])
            let message = try #require(error).description
            #expect(message.contains("limit") || message.contains("counted"), "\(message)")
        }
    }

    /// An outer product of two fed inputs fails at run time with a clear
    /// error, before its output is allocated.
    @Test func outerProductsOfInputsAreRefused() throws {
        let column = AnyTensor.float(shape: [200_000, 1], [Float](repeating: 1, count: 200_000))
        let row = AnyTensor.float(shape: [1, 200_000], [Float](repeating: 1, count: 200_000))
        for op in ["MatMul", "Mul", "Add"] {
            #expect(throws: (any Error).self, "\(op)") {
                _ = try runGraph([node(op, ["a", "b"], ["y"])], inputs: ["a": column, "b": row], outputs: ["y"])
            }
        }
        // Small ones still run.
        let small = try runGraph([node("MatMul", ["a", "b"], ["y"])],
                                 inputs: ["a": .float(shape: [3, 1], [1, 2, 3]), "b": .float(shape: [1, 2], [1, 10])], outputs: ["y"])
        #expect(small["y"]?.shape == [3, 2])
    }

    /// A server binds its own budget around a run: the same graph runs
    /// under the default and is refused under a smaller one, on any thread.
    @Test func theLimitIsBoundPerRun() throws {
        let a = AnyTensor.float(shape: [64, 1], [Float](repeating: 1, count: 64))
        let b = AnyTensor.float(shape: [1, 64], [Float](repeating: 2, count: 64))
        let graph = [node("MatMul", ["a", "b"], ["y"])]
        #expect(try runGraph(graph, inputs: ["a": a, "b": b], outputs: ["y"])["y"]?.shape == [64, 64])
        let error = ONNXLimits.$maxElements.withValue(1000) {
            #expect(ONNXLimits.maxElements == 1000)
            return Result { try runGraph(graph, inputs: ["a": a, "b": b], outputs: ["y"]) }
        }
        guard case let .failure(failure) = error else { Issue.record("a 4096-element product ran under a 1000-element limit"); return }
        #expect("\(failure)".contains("limit of 1000"), "\(failure)")
        #expect(ONNXLimits.maxElements == 1 << 28)
    }

    /// Gather's output grows with its indices and a Conv's with the model's
    /// pads: both are counted before allocating.
    @Test func gatherAndConvOutputsAreBounded() throws {
        let table = AnyTensor.float(shape: [4, 1000], [Float](repeating: 1, count: 4000))
        let indices = AnyTensor.int64(shape: [100], [Int64](repeating: 1, count: 100))
        let graph = [node("Gather", ["table", "i"], ["y"])]
        #expect(try runGraph(graph, inputs: ["table": table, "i": indices], outputs: ["y"])["y"]?.shape == [100, 1000])
        ONNXLimits.$maxElements.withValue(50_000) {
            #expect(throws: (any Error).self) { try runGraph(graph, inputs: ["table": table, "i": indices], outputs: ["y"]) }
        }
        let x = AnyTensor.float(shape: [1, 1, 2, 2], [1, 2, 3, 4])
        let w = AnyTensor.float(shape: [1, 1, 1, 1], [1])
        var conv = node("Conv", ["x", "w"], ["y"])
        conv.attributes["pads"] = .ints([100_000, 100_000, 100_000, 100_000])
        #expect(throws: (any Error).self) { try runGraph([conv], inputs: ["x": x, "w": w], outputs: ["y"]) }
        conv.attributes["pads"] = .ints([Int64.max / 2, 0, 0, 0])
        #expect(throws: (any Error).self) { try runGraph([conv], inputs: ["x": x, "w": w], outputs: ["y"]) }
    }

    /// Found by the fuzzer: a Reshape whose target shape overflows when
    /// multiplied trapped; it is an error now, as is a warm-up input whose
    /// declared size cannot be counted.
    @Test func reshapeTargetsAreCountedWithOverflowChecks() throws {
        let x = AnyTensor.float(shape: [2, 3], [1, 2, 3, 4, 5, 6])
        for target: [Int64] in [[-1, 1 << 62, 4], [1 << 62, 1 << 62], [1 << 40, 1 << 40, 0]] {
            #expect(throws: (any Error).self, "\(target)") {
                _ = try runGraph([node("Reshape", ["x", "shape"], ["y"])], inputs: ["x": x],
                                 initializers: ["shape": .int64(shape: [target.count], target)], outputs: ["y"])
            }
        }
        let y = try runGraph([node("Reshape", ["x", "shape"], ["y"])], inputs: ["x": x],
                             initializers: ["shape": .int64(shape: [2], [-1, 2])], outputs: ["y"])
        #expect(y["y"]?.shape == [3, 2])
    }

    /// Found by the fuzzer: Slice steps of ±Int64.max overflowed.
    @Test func sliceStepsOfAnySizeAreSafe() throws {
        let x = AnyTensor.float(shape: [5], [0, 1, 2, 3, 4])
        for (step, expected): (Int64, [Float]) in [(.max, [0]), (.min, [4]), (-(1 << 62), [4]), (2, [0, 2, 4])] {
            let starts: Int64 = step < 0 ? -1 : 0, ends: Int64 = step < 0 ? .min : .max
            let y = try runGraph([node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])], inputs: ["x": x],
                                 initializers: ["starts": .int64(shape: [1], [starts]), "ends": .int64(shape: [1], [ends]),
                                                "axes": .int64(shape: [1], [0]), "steps": .int64(shape: [1], [step])],
                                 outputs: ["y"])
            guard case let .float32(t)? = y["y"] else { Issue.record("no output for step \(step)"); continue }
            #expect(t.scalars == expected, "step \(step)")
        }
    }
}
