import TernTensor

/// A sequential network built from layer specs: the layers, their
/// parameters (in one flat list) and the shapes between them.
///
/// A spec layer with an activation (`dense` with `relu`) becomes two
/// internal layers, the linear part and an ``ActivationLayer``, so the
/// training loop can fuse a final softmax or sigmoid with its loss.
public struct Network: Sendable {
    public let specs: [LayerSpec]
    public let inputShape: Shape
    public private(set) var layers: [any Layer]
    /// The spec layer each internal layer comes from.
    public let specIndex: [Int]
    /// Index of each internal layer's first parameter.
    public let offsets: [Int]
    /// Output shape (per sample) of each spec layer.
    public let specOutputShapes: [Shape]
    /// Keras-style names of the spec layers (`dense`, `dense_1`, ...).
    public let specNames: [String]
    public var parameters: [Parameter]
    /// The most floats per sample live at once during ``predict(_:)``: the
    /// largest input + output + scratch of any layer. A batch of `n` needs
    /// about `n` times this; servers bound requests by it.
    public let inferenceFloatsPerSample: Int
    /// The fused dense-chain inference path, built on first use (see ``InferenceCache``).
    let inference = InferenceCache()

    public var outputShape: Shape { specOutputShapes.last ?? inputShape }

    /// Builds the network and initialises its weights from `seed`.
    /// - Throws: ``NNError`` naming the first layer whose input shape it
    ///   cannot accept.
    public init(inputShape: Shape, layers specs: [LayerSpec], seed: UInt64) throws {
        guard !specs.isEmpty else { throw NNError.invalidConfiguration("a model needs at least one layer") }
        _ = try inputShape.validated()
        var rng = SeededGenerator(seed: seed)
        var counters: [String: Int] = [:]
        var layers: [any Layer] = [], specIndex: [Int] = [], offsets: [Int] = [], names: [String] = []
        var outputs: [Shape] = [], parameters: [Parameter] = []
        var shape = inputShape
        var perSample = inputShape.count
        for (index, spec) in specs.enumerated() {
            let stem = spec.typeName
            let n = counters[stem, default: 0]
            counters[stem] = n + 1
            let name = n == 0 ? stem : "\(stem)_\(n)"
            names.append(name)
            for var layer in Network.makeLayers(spec, name: name) {
                let (out, params) = try layer.build(inputShape: shape, rng: &rng)
                _ = try out.validated()
                offsets.append(parameters.count)
                parameters += params
                layers.append(layer)
                specIndex.append(index)
                perSample = max(perSample, shape.count + out.count + layer.inferenceScratchPerSample)
                shape = out
            }
            outputs.append(shape)
        }
        self.specs = specs
        self.inputShape = inputShape
        self.layers = layers
        self.specIndex = specIndex
        self.offsets = offsets
        self.specOutputShapes = outputs
        self.specNames = names
        self.parameters = parameters
        self.inferenceFloatsPerSample = perSample
    }

    static func makeLayers(_ spec: LayerSpec, name: String) -> [any Layer] {
        func withActivation(_ layer: any Layer, _ activation: Activation) -> [any Layer] {
            activation == .linear ? [layer] : [layer, ActivationLayer(name: "\(name)/activation", activation: activation)]
        }
        switch spec {
        case let .dense(units, activation, useBias):
            return withActivation(Dense(name: name, units: units, useBias: useBias), activation)
        case .flatten:
            return [Flatten(name: name)]
        case let .conv2D(filters, kernelSize, strides, padding, activation, useBias):
            return withActivation(Conv2D(name: name, filters: filters, kernelSize: kernelSize, strides: strides,
                                         padding: padding, useBias: useBias), activation)
        case let .maxPooling2D(poolSize, strides, padding):
            return [Pooling2D(name: name, kind: .max, poolSize: poolSize, strides: strides ?? poolSize, padding: padding)]
        case let .averagePooling2D(poolSize, strides, padding):
            return [Pooling2D(name: name, kind: .average, poolSize: poolSize, strides: strides ?? poolSize, padding: padding)]
        case let .dropout(rate):
            return [Dropout(name: name, rate: rate)]
        case let .batchNormalization(momentum, epsilon):
            return [BatchNormalization(name: name, momentum: momentum, epsilon: epsilon)]
        case let .activation(activation):
            return [ActivationLayer(name: name, activation: activation)]
        }
    }

    /// Number of scalars in the parameters of spec layer `index`, split into
    /// trainable and non-trainable.
    public func parameterCounts(ofSpecLayer index: Int) -> (trainable: Int, nonTrainable: Int) {
        var trainable = 0, frozen = 0
        for (i, layer) in layers.enumerated() where specIndex[i] == index {
            let end = i + 1 < layers.count ? offsets[i + 1] : parameters.count
            for p in parameters[offsets[i]..<end] {
                if p.trainable { trainable += p.value.count } else { frozen += p.value.count }
            }
            _ = layer
        }
        return (trainable, frozen)
    }

    /// Runs the network in inference mode on a batch `(n, inputShape...)`.
    /// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` when the
    ///   input's per-sample shape is not ``inputShape``.
    public func predict(_ input: Tensor<Float>) throws -> Tensor<Float> {
        guard input.rank == inputShape.rank + 1, input.shape.droppingFirst == inputShape else {
            throw TensorError.shapeMismatch(op: "predict", expected: inputShape.batched(input.rank > 0 ? input.shape[0] : 0), actual: input.shape)
        }
        if let chain = inference.chain(for: self) { return try chain.predict(input) }
        return try forward(input, upTo: layers.count)
    }

    /// Runs the network on byte inputs `(n, inputShape...)`, each converted
    /// as `Float(byte) · scale + offset` (a uint8 input followed by a
    /// rescale): the same outputs as ``predict(_:)-(Tensor<Float>)`` on
    /// `Tensor<Float>(input, scale: scale, offset: offset)`. A dense network
    /// converts the bytes as it reads them instead of making a float copy.
    /// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` when the
    ///   input's per-sample shape is not ``inputShape``.
    public func predict(_ input: Tensor<UInt8>, scale: Float, offset: Float = 0) throws -> Tensor<Float> {
        guard input.rank == inputShape.rank + 1, input.shape.droppingFirst == inputShape else {
            throw TensorError.shapeMismatch(op: "predict", expected: inputShape.batched(input.rank > 0 ? input.shape[0] : 0), actual: input.shape)
        }
        if let chain = inference.chain(for: self) { return try chain.predict(input, scale: scale, offset: offset) }
        return try forward(Tensor<Float>(input, scale: scale, offset: offset), upTo: layers.count)
    }

    /// The layer-by-layer inference pass, without the fused dense chain: the
    /// reference the fast path is tested against.
    public func predictLayerByLayer(_ input: Tensor<Float>) throws -> Tensor<Float> {
        guard input.rank == inputShape.rank + 1, input.shape.droppingFirst == inputShape else {
            throw TensorError.shapeMismatch(op: "predict", expected: inputShape.batched(input.rank > 0 ? input.shape[0] : 0), actual: input.shape)
        }
        return try forward(input, upTo: layers.count)
    }

    /// Inference through the first `count` internal layers.
    func forward(_ input: Tensor<Float>, upTo count: Int) throws -> Tensor<Float> {
        var x = input
        for i in 0..<count { x = try layers[i].forward(x, parameters: parameters, offset: offsets[i]) }
        return x
    }

    /// Replaces the parameters with `loaded`, matched by name and shape.
    /// - Throws: ``NNError/missingParameter(_:)`` or
    ///   ``NNError/parameterMismatch(name:expected:actual:)``.
    public mutating func load(parameters loaded: [String: Tensor<Float>]) throws {
        for i in parameters.indices {
            let name = parameters[i].name
            guard let value = loaded[name] else { throw NNError.missingParameter(name) }
            guard value.shape == parameters[i].value.shape else {
                throw NNError.parameterMismatch(name: name, expected: parameters[i].value.shape, actual: value.shape)
            }
            parameters[i].value = value
        }
        let known = Set(parameters.map(\.name))
        if let extra = loaded.keys.sorted().first(where: { !known.contains($0) }) {
            throw NNError.invalidConfiguration("unexpected parameter '\(extra)' for this architecture")
        }
    }
}
