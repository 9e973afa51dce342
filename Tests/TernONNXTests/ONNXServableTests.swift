import Foundation
import Testing
import TernFormats
import TernONNX
import TernTensor
import TernTesting

/// ``ONNXModel`` as a ``ServableModel``: declared inputs and outputs, the
/// weights' size, the prediction bound and runs under the element limit.
@Suite struct ONNXServableTests {
    static func model(_ file: String) throws -> ONNXModel {
        try ONNXModel(bytes: [UInt8](Data(contentsOf: ONNXFixtures.modelDirectory.appendingPathComponent(file))))
    }

    @Test func describesTheGraph() throws {
        let mlp = try Self.model("mnist_mlp_gemm.onnx")
        #expect(mlp.platform == "onnx")
        #expect(mlp.inputs == [TensorInfo(name: "input", dtype: .float32, shape: [nil, 1, 28, 28])])
        #expect(mlp.outputs == [TensorInfo(name: "output", dtype: .float32, shape: [nil, 10])])
        #expect(mlp.memoryBytes == (784 * 128 + 128 + 128 * 10 + 10) * 4)
    }

    /// The bound scales with the element limit in force, ignores the batch
    /// (a graph cannot say how its tensors grow) and saturates.
    @Test func predictionBytesIsASaturatingBound() throws {
        let mlp = try Self.model("mnist_mlp_gemm.onnx")
        let live = mlp.executor.peakLiveValues
        #expect(live >= 2)
        let bound = ONNXLimits.$maxElements.withValue(1000) { mlp.predictionBytes(batch: 4) }
        #expect(bound == (live + 3) * 1000 * 8)
        #expect(ONNXLimits.$maxElements.withValue(1000) { mlp.predictionBytes(batch: 4000) } == bound)
        #expect(ONNXLimits.$maxElements.withValue(Int.max / 2) { mlp.predictionBytes(batch: 1) } == Int.max)
    }

    /// predict runs under the limit its caller binds: a batch whose hidden
    /// layer is over it is refused naming the limit, and fits without it.
    @Test func predictHonoursTheBoundLimit() throws {
        let mlp = try Self.model("mnist_mlp_gemm.onnx")
        let input = AnyTensor.float(shape: [4, 1, 28, 28], [Float](repeating: 0.5, count: 4 * 784))
        let error = errorText { _ = try ONNXLimits.$maxElements.withValue(256) { try mlp.predict(["input": input]) } }
        #expect(error.contains("limit of 256"), "\(error)")
        let output = try #require(try mlp.predict(["input": input])["output"])
        #expect(output.shape == [4, 10] && output.dtype == .float32)
    }
}
