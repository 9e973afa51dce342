import Testing
import TernTensor
import TernTesting
@testable import TernNN

/// Finite-difference checks of every layer's backward pass: the loss is
/// L = Σ output ⊙ R for a fixed random R, so dL/doutput = R.
@Suite struct LayerGradientTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let specs: [LayerSpec]
        let input: Shape
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "dense", specs: [.dense(units: 5, activation: .linear, useBias: true)], input: [7]),
        Case(label: "dense without bias", specs: [.dense(units: 3, activation: .linear, useBias: false)], input: [4]),
        Case(label: "dense relu", specs: [.dense(units: 6, activation: .relu, useBias: true)], input: [5]),
        Case(label: "dense sigmoid", specs: [.dense(units: 4, activation: .sigmoid, useBias: true)], input: [5]),
        Case(label: "dense tanh", specs: [.dense(units: 4, activation: .tanh, useBias: true)], input: [5]),
        Case(label: "dense softmax", specs: [.dense(units: 4, activation: .softmax, useBias: true)], input: [5]),
        Case(label: "dense gelu", specs: [.dense(units: 4, activation: .gelu, useBias: true)], input: [5]),
        Case(label: "dense leaky relu", specs: [.dense(units: 4, activation: .leakyRelu, useBias: true)], input: [5]),
        Case(label: "flatten + dense", specs: [.flatten, .dense(units: 3, activation: .linear, useBias: true)], input: [2, 3]),
        Case(label: "conv2d valid", specs: [.conv2D(filters: 3, kernelSize: [3, 3], strides: [1, 1], padding: .valid, activation: .linear, useBias: true)], input: [5, 6, 2]),
        Case(label: "conv2d same stride 2", specs: [.conv2D(filters: 2, kernelSize: [3, 2], strides: [2, 2], padding: .same, activation: .relu, useBias: true)], input: [5, 5, 3]),
        Case(label: "max pooling", specs: [.maxPooling2D(poolSize: [2, 2], strides: nil, padding: .valid)], input: [4, 6, 2]),
        Case(label: "max pooling same", specs: [.maxPooling2D(poolSize: [3, 3], strides: [2, 2], padding: .same)], input: [5, 5, 2]),
        Case(label: "average pooling", specs: [.averagePooling2D(poolSize: [2, 2], strides: nil, padding: .valid)], input: [4, 4, 3]),
        Case(label: "average pooling same", specs: [.averagePooling2D(poolSize: [2, 2], strides: [1, 1], padding: .same)], input: [3, 3, 2]),
        Case(label: "dropout", specs: [.dropout(rate: 0.4)], input: [12]),
        Case(label: "batch normalization", specs: [.batchNormalization(momentum: 0.99, epsilon: 0.001)], input: [4]),
        Case(label: "batch normalization on images", specs: [.batchNormalization(momentum: 0.9, epsilon: 0.001)], input: [2, 2, 3]),
        Case(label: "activation layer", specs: [.activation(.tanh)], input: [6]),
    ]

    @Test(arguments: cases)
    func backwardMatchesFiniteDifferences(_ c: Case) throws {
        let batch = 3
        var network = try Network(inputShape: c.input, layers: c.specs, seed: 11)
        // Move biases and batch-norm scales off their initial 0/1 so their gradients are exercised.
        for i in network.parameters.indices where network.parameters[i].trainable {
            network.parameters[i].value = randomTensor(network.parameters[i].value.shape, seed: UInt64(100 + i), low: -0.5, high: 0.5)
        }
        let x = randomTensor(c.input.batched(batch), seed: 5)
        let outShape = try network.predict(x).shape
        let r = randomTensor(outShape, seed: 9)

        func loss(_ input: Tensor<Float>, _ parameters: [Parameter]) throws -> Double {
            var net = network
            net.parameters = parameters
            var rng = SeededGenerator(seed: 77)
            var out = input
            for i in net.layers.indices {
                out = try net.layers[i].trainingForward(out, parameters: &net.parameters, offset: net.offsets[i], rng: &rng).output
            }
            return zip(out.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        // Analytic gradients through the layers' backward passes.
        var params = network.parameters
        var rng = SeededGenerator(seed: 77)
        var caches: [LayerCache] = []
        var out = x
        for i in network.layers.indices {
            let step = try network.layers[i].trainingForward(out, parameters: &params, offset: network.offsets[i], rng: &rng)
            caches.append(step.cache)
            out = step.output
        }
        var gradients = network.parameters.map { Tensor<Float>(zeros: $0.value.shape) }
        var grad = r
        for i in network.layers.indices.reversed() {
            grad = try network.layers[i].backward(grad, cache: caches[i], parameters: network.parameters, offset: network.offsets[i],
                                                  gradients: &gradients, needsInputGradient: true) ?? grad
        }
        try checkGradient("\(c.label) input", of: { try loss($0, network.parameters) }, at: x, analytic: grad, step: 1e-3, tolerance: 2e-2)
        for (i, p) in network.parameters.enumerated() where p.trainable {
            try checkGradient("\(c.label) \(p.name)", of: { value in
                var ps = network.parameters
                ps[i].value = value
                return try loss(x, ps)
            }, at: p.value, analytic: gradients[i], step: 1e-3, tolerance: 2e-2)
        }
    }
}
