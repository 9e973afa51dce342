import TernTensor

/// A step applied to raw inputs before the network, stored in the model so
/// serving applies exactly what training did. Written like a layer:
/// `{"type": "rescale", "scale": 0.00392156862745098, "offset": 0}`.
public enum PreprocessingStep: Equatable, Sendable {
    /// `x * scale + offset` (Keras `Rescaling`).
    case rescale(scale: Float, offset: Float)
}

extension PreprocessingStep: Codable {
    private enum Keys: String, CodingKey { case type, scale, offset }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type.lowercased() {
        case "rescale", "rescaling":
            let scale = try c.decode(Float.self, forKey: .scale)
            let offset = try c.decodeIfPresent(Float.self, forKey: .offset) ?? 0
            guard scale.isFinite, offset.isFinite else { throw DataError.invalidPipeline("rescale needs finite 'scale' and 'offset'") }
            self = .rescale(scale: scale, offset: offset)
        default:
            throw DataError.invalidPipeline("unknown preprocessing step '\(type)' (known: rescale)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .rescale(scale, offset):
            try c.encode("rescale", forKey: .type)
            try c.encode(scale, forKey: .scale)
            if offset != 0 { try c.encode(offset, forKey: .offset) }
        }
    }
}

/// An ordered list of preprocessing steps.
public struct Pipeline: Sendable, Equatable {
    public var steps: [PreprocessingStep]

    public init(_ steps: [PreprocessingStep]) { self.steps = steps }

    /// Converts raw bytes to floats and applies every step.
    public func apply(_ input: Tensor<UInt8>) -> Tensor<Float> {
        apply(Tensor<Float>(input))
    }

    /// Applies every step to float inputs.
    public func apply(_ input: Tensor<Float>) -> Tensor<Float> {
        var x = input
        for step in steps {
            switch step {
            case let .rescale(scale, offset):
                x.withUnsafeMutableBufferPointer { b in
                    for i in 0..<b.count { b[i] = b[i] * scale + offset }
                }
            }
        }
        return x
    }
}

/// Errors from reading or transforming data.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidPipeline(String)

    public var description: String {
        switch self {
        case let .invalidPipeline(reason): return "preprocessing: \(reason)"
        }
    }
}
