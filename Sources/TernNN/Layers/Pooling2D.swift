import TernTensor

/// Max or average pooling over NHWC inputs (Keras `MaxPooling2D`,
/// `AveragePooling2D`).
public struct Pooling2D: Layer {
    public enum Kind: Sendable { case max, average }

    public let name: String
    public let kind: Kind
    public let poolSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    private var inputShape: Shape = []

    public init(name: String, kind: Kind, poolSize: [Int], strides: [Int], padding: Padding) {
        self.name = name
        self.kind = kind
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
    }

    private func geometry(batch: Int) throws -> Pool2DGeometry {
        try Pool2DGeometry(batch: batch, inH: inputShape[0], inW: inputShape[1], channels: inputShape[2],
                           poolH: poolSize[0], poolW: poolSize[1], strideH: strides[0], strideW: strides[1], padding: padding)
    }

    public mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter]) {
        guard inputShape.rank == 3 else {
            throw NNError.incompatibleShape(layer: name, reason: "pooling expects (height, width, channels) per sample, got \(inputShape)")
        }
        self.inputShape = inputShape
        do { return (try geometry(batch: 1).outputShape.droppingFirst, []) } catch let e as TensorError {
            throw NNError.incompatibleShape(layer: name, reason: e.description)
        }
    }

    public func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float> {
        let g = try geometry(batch: input.shape[0])
        switch kind {
        case .max: return try maxPool2DForward(input, geometry: g).output
        case .average: return try avgPool2DForward(input, geometry: g)
        }
    }

    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        let g = try geometry(batch: input.shape[0])
        switch kind {
        case .max:
            let (output, argmax) = try maxPool2DForward(input, geometry: g)
            return (output, LayerCache(tensors: [], indices: [Int32(input.shape[0])] + argmax))
        case .average:
            return (try avgPool2DForward(input, geometry: g), LayerCache(tensors: [], indices: [Int32(input.shape[0])]))
        }
    }

    public func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>? {
        guard needsInputGradient else { return nil }
        let g = try geometry(batch: Int(cache.indices[0]))
        switch kind {
        case .max: return try maxPool2DBackward(gradOutput: gradOutput, argmax: Array(cache.indices.dropFirst()), inputShape: g.inputShape)
        case .average: return try avgPool2DBackward(gradOutput: gradOutput, geometry: g)
        }
    }
}
