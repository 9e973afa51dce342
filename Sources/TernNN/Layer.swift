import TernTensor

/// A named tensor owned by a network: a weight (trainable) or layer state
/// such as a batch-norm moving mean (not trainable).
public struct Parameter: Sendable {
    /// Keras-style path, e.g. `dense/kernel`.
    public var name: String
    public var value: Tensor<Float>
    public var trainable: Bool

    public init(name: String, value: Tensor<Float>, trainable: Bool = true) {
        self.name = name
        self.value = value
        self.trainable = trainable
    }
}

/// What a layer saves during a training forward pass for its backward pass.
public struct LayerCache: Sendable {
    public var tensors: [Tensor<Float>] = []
    public var indices: [Int32] = []
    public init(tensors: [Tensor<Float>] = [], indices: [Int32] = []) {
        self.tensors = tensors
        self.indices = indices
    }
}

/// One step of a network. A layer is a configuration value; its weights
/// live in the network's parameter list, at `offset`, in the order `build`
/// declared them. Each layer carries its own backward pass.
///
/// Shapes passed to `build` exclude the batch dimension; tensors passed to
/// `forward`/`backward` include it.
public protocol Layer: Sendable {
    /// The unique name within its network, e.g. `dense_1`.
    var name: String { get }

    /// Fixes the layer's geometry for `inputShape` and declares its
    /// parameters, initialised from `rng`.
    /// - Returns: the output shape and the new parameters.
    /// - Throws: ``NNError/incompatibleShape(layer:reason:)`` when the layer
    ///   cannot accept `inputShape`.
    mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter])

    /// The inference pass.
    func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float>

    /// Floats per sample the inference pass allocates besides its input and
    /// output (a convolution's im2col matrix); 0 for most layers. Valid
    /// after `build`.
    var inferenceScratchPerSample: Int { get }

    /// The training pass: may draw from `rng` (dropout) and update
    /// non-trainable state (batch norm); saves what `backward` needs.
    func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache)

    /// Writes the gradients of this layer's trainable parameters into
    /// `gradients[offset...]` (overwriting) and returns the gradient with
    /// respect to the input when `needsInputGradient`.
    func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>?
}

extension Layer {
    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        let output = try forward(input, parameters: parameters, offset: offset)
        return (output, LayerCache(tensors: [input, output]))
    }
}

/// Errors from building or running a network.
public enum NNError: Error, Equatable, Sendable, CustomStringConvertible {
    case incompatibleShape(layer: String, reason: String)
    case invalidConfiguration(String)
    case invalidTargets(String)
    case parameterMismatch(name: String, expected: Shape, actual: Shape)
    case missingParameter(String)
    case cancelled

    public var description: String {
        switch self {
        case let .incompatibleShape(layer, reason): return "layer '\(layer)': \(reason)"
        case let .invalidConfiguration(reason): return reason
        case let .invalidTargets(reason): return "invalid targets: \(reason)"
        case let .parameterMismatch(name, expected, actual):
            return "parameter '\(name)': expected shape \(expected), got \(actual)"
        case let .missingParameter(name): return "missing parameter '\(name)'"
        case .cancelled: return "training cancelled"
        }
    }
}

extension Layer {
    public var inferenceScratchPerSample: Int { 0 }
}
