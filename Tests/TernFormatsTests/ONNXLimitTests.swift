import Foundation
import Testing
import TernFormats

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
        let column = ONNXValue.float(shape: [200_000, 1], [Float](repeating: 1, count: 200_000))
        let row = ONNXValue.float(shape: [1, 200_000], [Float](repeating: 1, count: 200_000))
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
}
