import TernTensor

/// Collapses every dimension but the batch into one.
public struct Flatten: Layer {
    public let name: String
    private var outputSize = 0

    public init(name: String) { self.name = name }

    public mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter]) {
        outputSize = inputShape.count
        return ([outputSize], [])
    }

    public func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float> {
        try input.reshaped([input.shape[0], outputSize])
    }

    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        (try forward(input, parameters: parameters, offset: offset), LayerCache(tensors: [], indices: input.shape.dimensions.map { Int32($0) }))
    }

    public func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>? {
        guard needsInputGradient else { return nil }
        return try gradOutput.reshaped(Shape(cache.indices.map(Int.init)))
    }
}
