import Foundation
import Testing
import TernFormats
import TernONNX
import TernTensor
import TernTesting

/// The PyTorch exports of `scripts/onnx_torch_fixtures.py` (ResNet-18- and
/// MobileNetV2-shaped CNNs, a 2-layer BERT-shaped encoder, a FLOAT16 CNN)
/// against ONNX Runtime's outputs in their sidecars.
///
/// FLOAT outputs must agree within 1e-4 relative, or 1e-5 absolute for
/// elements near zero (where a relative bound means nothing). FLOAT16
/// outputs carry 11 significant bits, so the bound is one FLOAT16 step
/// (2⁻¹⁰ relative) or 2⁻¹⁴ absolute: ONNX Runtime rounds to FLOAT16 where
/// its kernels do, which is not always after every node as Tern does.
@Suite struct ONNXPyTorchModelTests {
    static let models = ["torch_resnet18", "torch_mobilenetv2", "torch_bert_encoder", "torch_cnn_float16"]

    @Test(arguments: models)
    func matchesONNXRuntime(_ name: String) throws {
        let url = ONNXFixtures.modelDirectory.appendingPathComponent("\(name).onnx")
        let model = try ONNXModel(bytes: [UInt8](Data(contentsOf: url)))
        let fixture = try ONNXFixtures.load(url.deletingPathExtension().appendingPathExtension("json"))
        let outputs = try model.predict(fixture.inputs)
        #expect(!fixture.outputs.isEmpty)
        for (output, expected) in fixture.outputs.sorted(by: { $0.key < $1.key }) {
            let half = expected.dtype == .float16
            expectONNXClose(outputs[output], expected, "\(name): \(output)",
                            atol: half ? 0x1p-14 : 1e-5, rtol: half ? 0x1p-10 : 1e-4)
            print("ONNX \(name) \(output): max relative error \(maxRelativeError(outputs[output], expected)) (elements above 1e-3)")
        }
    }

    /// The declared types the server reads: INT64 token ids and mask with
    /// symbolic batch and sequence, FLOAT16 in and out for the half model.
    @Test func declaresTheirInputsAndOutputs() throws {
        func load(_ name: String) throws -> ONNXModel {
            try ONNXModel(bytes: [UInt8](Data(contentsOf: ONNXFixtures.modelDirectory.appendingPathComponent("\(name).onnx"))))
        }
        let bert = try load("torch_bert_encoder")
        #expect(bert.inputs == [TensorInfo(name: "input_ids", dtype: .int64, shape: [nil, nil]),
                                TensorInfo(name: "attention_mask", dtype: .int64, shape: [nil, nil])])
        #expect(bert.outputs.map(\.dtype) == [.float32, .float32])
        let half = try load("torch_cnn_float16")
        #expect(half.inputs == [TensorInfo(name: "input", dtype: .float16, shape: [nil, 2, 8, 8])])
        #expect(half.outputs == [TensorInfo(name: "probs", dtype: .float16, shape: [nil, 5])])
        #expect(half.platform == "onnx")
        #expect(half.memoryBytes == half.graph.initializers.values.reduce(0) { $0 + $1.bytes.count })
        let resnet = try load("torch_resnet18")
        #expect(resnet.memoryBytes > 100_000)
    }
}
