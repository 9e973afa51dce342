import TernTensor

/// Applies an ``Activation`` elementwise (softmax: over the last axis).
public struct ActivationLayer: Layer {
    public let name: String
    public let activation: Activation

    public init(name: String, activation: Activation) {
        self.name = name
        self.activation = activation
    }

    public mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter]) {
        (inputShape, [])
    }

    public func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float> {
        activation.forward(input)
    }

    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        let output = activation.forward(input)
        return (output, LayerCache(tensors: activation.backwardNeedsInput ? [output, input] : [output]))
    }

    public func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>? {
        guard needsInputGradient else { return nil }
        let output = cache.tensors[0]
        return try activation.backward(output: output, input: cache.tensors.count > 1 ? cache.tensors[1] : output, gradient: gradOutput)
    }
}
