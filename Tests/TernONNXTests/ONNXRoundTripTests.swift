import Foundation
import Testing
import TernTesting
import TernTensor
import TernData
import TernFormats
import TernTraining
import TernONNX

/// Tern-trained MNIST models exported to ONNX and imported back give the
/// original's predictions: same classes, outputs within 1e-5. (ONNX
/// Runtime's side of the round trip is `scripts/make_onnx_fixtures.py --check`
/// on the exported file; see scripts/README.md.)
@Suite(.serialized) struct ONNXRoundTripTests {
    @Test(arguments: ["mnist-mlp", "mnist-cnn"])
    func exportedThenImportedPredictsAsTheOriginal(_ example: String) throws {
        let data = try #require(mnist, "MNIST files not found at \(mnistDirectory.path)")
        let model = try TernModel.train(spec: try exampleSpec(example), train: try data.slice(0..<1000), validation: nil,
                                        overrides: FitOverrides(epochs: 1, seed: 3))
        let imported = try ONNXModel(bytes: try model.onnxBytes())
        let input = try #require(imported.inputs.first)
        #expect(imported.inputs.count == 1 && input.dtype == .uint8)
        let images = try data.slice(8000..<8200).images
        let expected = try model.predict(images)
        let sampleDims = model.spec.input.shape.dimensions
        let fed = AnyTensor.uint8(try images.reshaped(Shape([200] + sampleDims)))
        let outputs = try imported.predict([input.name: fed])
        let outputName = try #require(imported.outputs.first).name
        let got = try #require(outputs[outputName]?.testFloats)
        #expect(got.shape == expected.shape)
        var worst: Float = 0
        for i in 0..<expected.count { worst = max(worst, abs(got[flat: i] - expected[flat: i])) }
        #expect(worst <= 1e-5, "max |difference| \(worst)")
        func classes(_ t: Tensor<Float>) -> [Int] {
            (0..<200).map { row in (0..<10).max { t[flat: row * 10 + $0] < t[flat: row * 10 + $1] }! }
        }
        #expect(classes(got) == classes(expected))
    }
}
