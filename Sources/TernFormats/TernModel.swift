import TernTensor
import TernNN
import TernData

/// A model ready to run: its spec, the network with its weights, and how it
/// was trained. Raw inputs go through the spec's preprocessing first, so
/// callers hand it what the spec's `input` describes (e.g. uint8 pixels).
public struct TernModel: Sendable {
    public var spec: ModelSpec
    public var network: Network
    public var training: TrainingRecord?
    /// The fitted tabular pipeline of a table model.
    public var tabular: FittedTabularPipeline?

    /// Builds the network of `spec` with fresh weights from `seed`
    /// (default: the spec's `fit.seed`).
    /// - Throws: ``FormatError/invalidSpec(_:)`` naming the layer that
    ///   cannot accept its input.
    public init(spec: ModelSpec, seed: UInt64? = nil) throws {
        if spec.input.format == .table, spec.input.shape.dimensions.isEmpty {
            throw FormatError.invalidSpec("a table model's input width is known once its pipeline is fitted: train it on a table")
        }
        self.spec = spec
        do {
            network = try Network(inputShape: spec.input.shape, layers: spec.layers, seed: seed ?? spec.fit.seed)
        } catch let error as NNError {
            throw FormatError.invalidSpec(error.description)
        }
        try TernModel.checkOutput(network.outputShape, loss: spec.compile.loss)
    }

    static func checkOutput(_ shape: Shape, loss: Loss) throws {
        guard shape.rank == 1 else {
            throw FormatError.invalidSpec("the last layer outputs \(shape) per sample; \(loss.rawValue) needs a flat output (add flatten and dense layers)")
        }
        if loss == .sparseCategoricalCrossentropy || loss == .categoricalCrossentropy, shape[0] < 2 {
            throw FormatError.invalidSpec("\(loss.rawValue) needs at least 2 output units, got \(shape[0])")
        }
    }

    public var pipeline: Pipeline { Pipeline(spec.preprocessing) }

    /// Bytes a prediction on `batch` samples (or table rows) allocates at
    /// most: the input as floats and after the pipeline, then the network's
    /// largest layer step (``Network/inferenceFloatsPerSample``). Saturates
    /// at `Int.max` instead of overflowing, so a huge batch is simply "too much".
    public func predictionBytes(batch: Int) -> Int {
        TernModel.floatBytes(2 * network.inputShape.count + network.inferenceFloatsPerSample, times: batch)
    }

    /// Bytes of `count` groups of `floats` floats, or `Int.max` when that
    /// cannot be counted (sizes from requests are untrusted).
    public static func floatBytes(_ floats: Int, times count: Int) -> Int {
        let (total, overflow) = floats.multipliedReportingOverflow(by: max(0, count))
        guard !overflow, total <= Int.max / MemoryLayout<Float>.size else { return .max }
        return total * MemoryLayout<Float>.size
    }

    /// Outputs (e.g. class probabilities) for raw uint8 inputs `(n, input.shape...)`.
    public func predict(_ raw: Tensor<UInt8>) throws -> Tensor<Float> {
        // No preprocessing or one rescale: the network converts the bytes as it reads them.
        switch spec.preprocessing.count {
        case 0: return try network.predict(conform(raw), scale: 1)
        case 1: if case let .rescale(scale, offset) = spec.preprocessing[0] { return try network.predict(conform(raw), scale: scale, offset: offset) }
        default: break
        }
        return try network.predict(pipeline.apply(conform(raw)))
    }

    /// Outputs for raw float inputs `(n, input.shape...)`.
    public func predict(_ raw: Tensor<Float>) throws -> Tensor<Float> {
        try network.predict(pipeline.apply(conform(raw)))
    }

    /// `raw` viewed as `(n, input.shape...)`: samples with the same number
    /// of elements are accepted, so (n, 28, 28) images feed a (28, 28, 1) input.
    /// - Throws: ``FormatError/invalidSpec(_:)`` when the sizes differ.
    public func conform<S>(_ raw: Tensor<S>) throws -> Tensor<S> {
        let sample = spec.input.shape
        guard raw.rank >= 1, raw.shape.droppingFirst.count == sample.count else {
            throw FormatError.invalidSpec("the model takes inputs of shape \(sample) per sample, got \(raw.shape.rank >= 1 ? raw.shape.droppingFirst : raw.shape)")
        }
        return raw.shape.droppingFirst == sample ? raw : try raw.reshaped(sample.batched(raw.shape[0]))
    }

    /// Total trainable and non-trainable parameter counts.
    public var parameterCount: (trainable: Int, nonTrainable: Int) {
        network.parameters.reduce(into: (0, 0)) { acc, p in
            if p.trainable { acc.0 += p.value.count } else { acc.1 += p.value.count }
        }
    }
}

/// How a model was trained: its lineage as stored in the artifact.
public struct TrainingRecord: Codable, Equatable, Sendable {
    public var history: [EpochRecord]
    public var dataset: DatasetDescription?
    public var seed: UInt64
    public var epochs: Int
    public var batchSize: Int
    /// Final metrics on the validation data (or training data without it).
    public var finalMetrics: [String: Double]
    public var trainedAt: String
    public var seconds: Double

    public init(history: [EpochRecord], dataset: DatasetDescription?, seed: UInt64, epochs: Int, batchSize: Int,
                finalMetrics: [String: Double], trainedAt: String, seconds: Double) {
        self.history = history
        self.dataset = dataset
        self.seed = seed
        self.epochs = epochs
        self.batchSize = batchSize
        self.finalMetrics = finalMetrics
        self.trainedAt = trainedAt
        self.seconds = seconds
    }
}

/// The data a model was trained on.
public struct DatasetDescription: Codable, Equatable, Sendable {
    public var name: String
    public var trainRows: String
    public var validationRows: String?
    public var trainSamples: Int
    public var validationSamples: Int
    /// SHA-256 of the training inputs and labels as used.
    public var sha256: String?

    public init(name: String, trainRows: String, validationRows: String?, trainSamples: Int, validationSamples: Int, sha256: String?) {
        self.name = name
        self.trainRows = trainRows
        self.validationRows = validationRows
        self.trainSamples = trainSamples
        self.validationSamples = validationSamples
        self.sha256 = sha256
    }
}
