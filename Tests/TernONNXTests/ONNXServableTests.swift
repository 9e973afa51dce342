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

    /// A graph cannot say in advance how its tensors grow with the batch:
    /// it reports no bound (so the server does not chunk it) and checks each
    /// tensor against the element limit instead (the next test).
    @Test func aGraphReportsNoPredictionBound() throws {
        let mlp = try Self.model("mnist_mlp_gemm.onnx")
        #expect(mlp.predictionBytes(batch: 1) == nil)
        #expect(mlp.predictionBytes(batch: 4000) == nil)
        #expect(mlp.executor.peakLiveValues >= 2)
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
