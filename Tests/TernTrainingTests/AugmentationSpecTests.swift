import Foundation
import Testing
import TernTesting
import TernTensor
import TernNN
import TernData
import TernFormats
import TernTraining

/// The spec's `augmentation` key, and augmentation in training only.
@Suite(.serialized) struct AugmentationSpecTests {
    static let layers = #""layers": [{"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]"#
    static let compile = #""compile": {"loss": "sparse_categorical_crossentropy"}"#

    @Test func augmentedExampleParsesAndRoundTrips() throws {
        let spec = try exampleSpec("mnist-cnn-augmented")
        #expect(!spec.augmentation.isEmpty)
        #expect(!spec.augmentation.contains { if case .randomFlip = $0 { true } else { false } }, "digits must not be flipped")
        let encoded = try JSONEncoder().encode(spec)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"augmentation\""))
        #expect(try JSONDecoder().decode(ModelSpec.self, from: encoded) == spec)
    }

    @Test func specsWithoutAugmentationEncodeAsBefore() throws {
        let spec = try exampleSpec("mnist-mlp")
        #expect(spec.augmentation.isEmpty)
        #expect(!String(decoding: try JSONEncoder().encode(spec), as: UTF8.self).contains("augmentation"))
    }

    @Test func augmentationNeedsImageInputs() {
        let text = errorText {
            _ = try decodeSpec(#"{"input": {"shape": [784]}, \#(Self.layers), \#(Self.compile), "augmentation": [{"type": "random_shift", "max_pixels": 2}]}"#)
        }
        #expect(text.contains("(784)") && text.contains("height, width"), "\(text)")
        let bad = errorText {
            _ = try decodeSpec(#"{"input": {"shape": [28, 28]}, \#(Self.layers), \#(Self.compile), "augmentation": [{"type": "shear"}]}"#)
        }
        #expect(bad.contains("'shear'"), "\(bad)")
        let misspelt = errorText { _ = try decodeSpec(#"{"input": {"shape": [28, 28]}, \#(Self.layers), \#(Self.compile), "augmentations": []}"#) }
        #expect(misspelt.contains("'augmentations'") && misspelt.contains("augmentation,"), "\(misspelt)")
    }

    @Test func sameSeedSameWeightsAndAugmentationChangesThem() throws {
        let data = try #require(mnist, "MNIST files not found at \(mnistDirectory.path)")
        let train = try data.slice(0..<256)
        var spec = try exampleSpec("mnist-mlp")
        let plain = try TernModel.train(spec: spec, train: train, validation: nil, overrides: FitOverrides(epochs: 1, seed: 3))
        spec.augmentation = [.randomShift(maxPixels: 2), .randomRotation(degrees: 10)]
        let a = try TernModel.train(spec: spec, train: train, validation: nil, overrides: FitOverrides(epochs: 1, seed: 3))
        let b = try TernModel.train(spec: spec, train: train, validation: nil, overrides: FitOverrides(epochs: 1, seed: 3))
        #expect(a.network.parameters.map(\.value) == b.network.parameters.map(\.value))
        #expect(a.network.parameters.map(\.value) != plain.network.parameters.map(\.value))
        #expect(a.spec.augmentation == spec.augmentation)
    }

    @Test func evaluationAndPredictionIgnoreAugmentation() throws {
        let data = try #require(mnist)
        var spec = try exampleSpec("mnist-cnn-augmented")
        let model = try TernModel.train(spec: spec, train: data.slice(0..<256), validation: data.slice(8000..<8200),
                                        overrides: FitOverrides(epochs: 1, seed: 1))
        var without = model
        spec.augmentation = []
        without.spec = spec
        let held = try data.slice(8000..<8200)
        #expect(try model.predict(held.images) == without.predict(held.images))
        #expect(try model.evaluate(held) == without.evaluate(held))
        // The validation metrics recorded in training are the unaugmented ones.
        let recorded = try #require(model.training?.finalMetrics["accuracy"])
        #expect(abs(recorded - (try model.evaluate(held))["accuracy"]!) < 1e-9)
        // Saved and reloaded, the spec keeps its augmentation.
        let reloaded = try TernModel(artifact: model.artifactBytes())
        #expect(reloaded.spec.augmentation == model.spec.augmentation)
    }

    @Test func trainerTransformsTrainingBatchesOnly() throws {
        let network = try Network(inputShape: [2, 2], layers: [.flatten, .dense(units: 2, activation: .softmax, useBias: true)], seed: 1)
        var trainer = try Trainer(network: network, compile: CompileSpec(optimizer: OptimizerSpec(type: "adam"), loss: .sparseCategoricalCrossentropy))
        let x = randomTensor(count: 10), labels = Tensor<Int32>((0..<10).map { Int32($0 % 2) })
        let seen = RowCounter()
        _ = try trainer.fit(x: x, y: .classes(labels), validation: (x: randomTensor(count: 7), y: .classes(Tensor<Int32>([0, 1, 0, 1, 0, 1, 0]))),
                            options: FitSpec(epochs: 3, batchSize: 4), batchTransform: { batch, _ in seen.add(batch.shape[0]) })
        #expect(seen.total == 30)
    }

    func randomTensor(count: Int) -> Tensor<Float> {
        var rng = SeededGenerator(seed: UInt64(count))
        var t = Tensor<Float>(zeros: [count, 2, 2])
        t.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] = rng.nextUnitFloat() } }
        return t
    }
}

/// Counts rows seen by a batch transform.
final class RowCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var rows = 0
    func add(_ n: Int) { lock.withLock { rows += n } }
    var total: Int { lock.withLock { rows } }
}
