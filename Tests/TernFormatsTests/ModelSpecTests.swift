import Foundation
import Testing
import TernTesting
import TernTensor
import TernNN
import TernFormats

@Suite struct ModelSpecTests {
    @Test(arguments: ["mnist-mlp", "mnist-cnn"])
    func examplesParseAndRoundTrip(_ name: String) throws {
        let spec = try exampleSpec(name)
        let encoded = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(ModelSpec.self, from: encoded) == spec)
        let model = try TernModel(spec: spec)
        #expect(model.network.outputShape == [10])
    }

    @Test func mlpHasKerasParameterCounts() throws {
        let model = try TernModel(spec: exampleSpec("mnist-mlp"))
        // Keras summary(): Flatten 0, Dense(128) 784*128+128 = 100,480, Dense(10) 1,290.
        #expect(model.network.parameterCounts(ofSpecLayer: 1).trainable == 100_480)
        #expect(model.network.parameterCounts(ofSpecLayer: 2).trainable == 1_290)
        #expect(model.parameterCount.trainable == 101_770)
        #expect(model.network.parameters.map(\.name) == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"])
    }

    @Test func cnnHasKerasParameterCounts() throws {
        let model = try TernModel(spec: exampleSpec("mnist-cnn"))
        // Conv2D(32, 3x3) on 1 channel: 3*3*1*32 + 32 = 320; 13*13*32 = 5408 inputs to Dense(10): 54,090.
        #expect(model.network.specOutputShapes == [[26, 26, 32], [13, 13, 32], [5408], [10]])
        #expect(model.parameterCount.trainable == 320 + 54_090)
    }

    static let base = #"""
    "input": {"shape": [28, 28], "dtype": "uint8"},
    "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    """#

    @Test func unknownLayerTypeIsNamed() {
        let text = errorText { _ = try decodeSpec(#"{\#(Self.base), "layers": [{"type": "flatten"}, {"type": "dense2", "units": 3}]}"#) }
        #expect(text.contains("unknown layer type 'dense2'"), "\(text)")
    }

    @Test func misspelledOptionIsNamed() {
        let text = errorText { _ = try decodeSpec(#"{\#(Self.base), "layers": [{"type": "flatten"}, {"type": "dense", "unit": 3}]}"#) }
        #expect(text.contains("'unit'"), "\(text)")
    }

    @Test func denseAfterConvWithoutFlattenIsRejected() throws {
        let spec = try decodeSpec(#"""
        {"input": {"shape": [28, 28, 1], "dtype": "uint8"},
         "layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3}, {"type": "dense", "units": 10, "activation": "softmax"}],
         "compile": {"loss": "sparse_categorical_crossentropy"}}
        """#)
        let text = errorText { _ = try TernModel(spec: spec) }
        #expect(text.contains("dense") && text.contains("flatten"), "\(text)")
    }

    @Test func convOnTwoDimensionalInputSuggestsChannelAxis() throws {
        let spec = try decodeSpec(#"{\#(Self.base), "layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3}]}"#)
        let text = errorText { _ = try TernModel(spec: spec) }
        #expect(text.contains("(28, 28, 1)"), "\(text)")
    }

    @Test func oversizedKernelIsRejected() throws {
        let spec = try decodeSpec(#"""
        {"input": {"shape": [4, 4, 1]}, "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 5}, {"type": "flatten"}, {"type": "dense", "units": 2}],
         "compile": {"loss": "sparse_categorical_crossentropy"}}
        """#)
        #expect(errorText { _ = try TernModel(spec: spec) }.contains("conv2d"))
    }

    @Test func badOptimizerLossAndMetricAreNamed() {
        let layers = #""layers": [{"type": "flatten"}, {"type": "dense", "units": 10}]"#
        #expect(errorText { _ = try decodeSpec(#"{"input": {"shape": [2]}, \#(layers), "compile": {"optimizer": "adamm", "loss": "mse"}}"#) }.contains("adamm"))
        #expect(errorText { _ = try decodeSpec(#"{"input": {"shape": [2]}, \#(layers), "compile": {"loss": "hinge"}}"#) }.contains("hinge"))
        #expect(errorText { _ = try decodeSpec(#"{"input": {"shape": [2]}, \#(layers), "compile": {"loss": "mse", "metrics": ["auc"]}}"#) }.contains("auc"))
        #expect(errorText { _ = try decodeSpec(#"{"input": {"shape": [0]}, \#(layers), "compile": {"loss": "mse"}}"#) }.contains("shape"))
        #expect(errorText { _ = try decodeSpec(#"{"input": {"shape": [2]}, \#(layers), "compile": {"loss": "mse"}, "fit": {"epochs": 0}}"#) }.contains("epochs"))
        #expect(errorText { _ = try decodeSpec(#"{"input": {"shape": [2]}, \#(layers), "compile": {"loss": "mse"}, "extra": 1}"#) }.contains("extra"))
    }

    @Test func optimizerOptionsAndSchedulesParse() throws {
        let spec = try decodeSpec(#"""
        {"input": {"shape": [2]}, "layers": [{"type": "dense", "units": 1}],
         "compile": {"loss": "mse", "optimizer": {"type": "sgd", "momentum": 0.9, "nesterov": true,
                     "learning_rate": {"type": "cosine", "initial_learning_rate": 0.1, "decay_steps": 100}}}}
        """#)
        let sgd = try #require(try spec.compile.optimizer.makeOptimizer() as? SGD)
        #expect(sgd.configuration.momentum == 0.9 && sgd.configuration.nesterov)
        #expect(sgd.configuration.learningRate == .cosine(initial: 0.1, decaySteps: 100, alpha: 0))
    }
}

@Suite struct SpecRoundTripTests {
    /// Every learning-rate form encodes and decodes back (a constant rate
    /// inside an optimizer object once crashed the encoder).
    @Test(arguments: [
        #"{"type": "adam", "learning_rate": 0.003}"#,
        #"{"type": "sgd", "learning_rate": {"type": "step", "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}"#,
        #"{"type": "rmsprop", "learning_rate": {"type": "exponential", "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}"#,
        #"{"type": "adamw", "learning_rate": {"type": "cosine", "initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 0.1}}"#,
    ])
    func optimizerRoundTrips(_ optimizer: String) throws {
        let spec = try decodeSpec(#"{"input": {"shape": [2]}, "layers": [{"type": "dense", "units": 1}], "compile": {"loss": "mse", "optimizer": \#(optimizer)}}"#)
        let again = try JSONDecoder().decode(ModelSpec.self, from: JSONEncoder().encode(spec))
        #expect(again == spec)
    }
}
