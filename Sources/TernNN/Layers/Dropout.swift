import TernTensor

/// Inverted dropout: in training, zeroes each element with probability
/// `rate` and scales the rest by 1 / (1 - rate); the identity at inference.
public struct Dropout: Layer {
    public let name: String
    public let rate: Float

    public init(name: String, rate: Float) {
        self.name = name
        self.rate = rate
    }

    public mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter]) {
        (inputShape, [])
    }

    public func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float> { input }

    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        guard rate > 0 else { return (input, LayerCache()) }
        let keep = 1 - rate
        let scale = 1 / keep
        var mask = Tensor<Float>(uninitialized: input.shape)
        mask.withUnsafeMutableBufferPointer { m in
            for i in 0..<m.count { m[i] = rng.nextUnitFloat() < keep ? scale : 0 }
        }
        var output = input
        output.withUnsafeMutableBufferPointer { y in
            mask.withUnsafeBufferPointer { m in for i in 0..<y.count { y[i] *= m[i] } }
        }
        return (output, LayerCache(tensors: [mask]))
    }

    public func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>? {
        guard needsInputGradient else { return nil }
        guard let mask = cache.tensors.first else { return gradOutput }
        var grad = gradOutput
        grad.withUnsafeMutableBufferPointer { g in
            mask.withUnsafeBufferPointer { m in for i in 0..<g.count { g[i] *= m[i] } }
        }
        return grad
    }
}
