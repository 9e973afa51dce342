import TernTensor
import TernSupport

/// A layer as written in a model spec, Keras style:
/// `{"type": "dense", "units": 128, "activation": "relu"}`.
///
/// Decoding is strict: an unknown `type` or an unknown key is an error that
/// names it, so a typo never silently falls back to a default.
public enum LayerSpec: Equatable, Sendable {
    case dense(units: Int, activation: Activation, useBias: Bool)
    case flatten
    case conv2D(filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, activation: Activation, useBias: Bool)
    case maxPooling2D(poolSize: [Int], strides: [Int]?, padding: Padding)
    case averagePooling2D(poolSize: [Int], strides: [Int]?, padding: Padding)
    case dropout(rate: Float)
    case batchNormalization(momentum: Float, epsilon: Float)
    case activation(Activation)

    /// The Keras type name, also the stem of default layer names.
    public var typeName: String {
        switch self {
        case .dense: return "dense"
        case .flatten: return "flatten"
        case .conv2D: return "conv2d"
        case .maxPooling2D: return "max_pooling2d"
        case .averagePooling2D: return "average_pooling2d"
        case .dropout: return "dropout"
        case .batchNormalization: return "batch_normalization"
        case .activation: return "activation"
        }
    }

    static let allowedKeys: [String: Set<String>] = [
        "dense": ["units", "activation", "use_bias"],
        "flatten": [],
        "conv2d": ["filters", "kernel_size", "strides", "padding", "activation", "use_bias"],
        "max_pooling2d": ["pool_size", "strides", "padding"],
        "average_pooling2d": ["pool_size", "strides", "padding"],
        "dropout": ["rate"],
        "batch_normalization": ["momentum", "epsilon"],
        "activation": ["activation"],
    ]

    static let aliases: [String: String] = [
        "conv2D": "conv2d", "maxpool2d": "max_pooling2d", "max_pool2d": "max_pooling2d",
        "maxpooling2d": "max_pooling2d", "avgpool2d": "average_pooling2d", "average_pool2d": "average_pooling2d",
        "averagepooling2d": "average_pooling2d", "batchnorm": "batch_normalization",
        "batchnormalization": "batch_normalization",
    ]
}

extension LayerSpec: Codable {

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKey.self)
        let rawType = try c.decode(String.self, forKey: JSONKey("type"))
        let type = LayerSpec.aliases[rawType.lowercased()] ?? rawType.lowercased()
        guard let allowed = LayerSpec.allowedKeys[type] else {
            let known = LayerSpec.allowedKeys.keys.sorted().joined(separator: ", ")
            throw NNError.invalidConfiguration("unknown layer type '\(rawType)' (known: \(known))")
        }
        for key in c.allKeys where key.stringValue != "type" && key.stringValue != "name" && !allowed.contains(key.stringValue) {
            throw NNError.invalidConfiguration("layer type '\(type)' has no option '\(key.stringValue)'")
        }
        func int(_ key: String) throws -> Int? { try c.decodeIfPresent(Int.self, forKey: JSONKey(key)) }
        func float(_ key: String) throws -> Float? { try c.decodeIfPresent(Float.self, forKey: JSONKey(key)) }
        func pair(_ key: String) throws -> [Int]? {
            if let n = try? c.decodeIfPresent(Int.self, forKey: JSONKey(key)) { return [n, n] }
            guard let list = try c.decodeIfPresent([Int].self, forKey: JSONKey(key)) else { return nil }
            guard list.count == 2 else { throw NNError.invalidConfiguration("'\(key)' of \(type) must be an integer or two integers") }
            return list
        }
        func positive(_ value: Int?, _ key: String) throws -> Int {
            guard let value else { throw NNError.invalidConfiguration("layer type '\(type)' needs '\(key)'") }
            guard value > 0, value <= 1 << 20 else { throw NNError.invalidConfiguration("'\(key)' of \(type) must be between 1 and 1048576, got \(value)") }
            return value
        }
        func positivePair(_ value: [Int]?, _ key: String) throws -> [Int]? {
            guard let value else { return nil }
            for v in value { _ = try positive(v, key) }
            return value
        }
        func activation() throws -> Activation {
            guard let name = try c.decodeIfPresent(String.self, forKey: JSONKey("activation")) else { return .linear }
            guard let a = Activation(rawValue: name.lowercased()) ?? (name.lowercased() == "leakyrelu" ? .leakyRelu : nil) else {
                let known = Activation.allCases.map(\.rawValue).joined(separator: ", ")
                throw NNError.invalidConfiguration("unknown activation '\(name)' (known: \(known))")
            }
            return a
        }
        func padding() throws -> Padding {
            guard let name = try c.decodeIfPresent(String.self, forKey: JSONKey("padding")) else { return .valid }
            guard let p = Padding(rawValue: name.lowercased()) else {
                throw NNError.invalidConfiguration("padding must be 'valid' or 'same', got '\(name)'")
            }
            return p
        }
        let useBias = try c.decodeIfPresent(Bool.self, forKey: JSONKey("use_bias")) ?? true
        switch type {
        case "dense":
            self = .dense(units: try positive(int("units"), "units"), activation: try activation(), useBias: useBias)
        case "flatten":
            self = .flatten
        case "conv2d":
            self = .conv2D(
                filters: try positive(int("filters"), "filters"),
                kernelSize: try positivePair(pair("kernel_size"), "kernel_size") ?? { throw NNError.invalidConfiguration("layer type 'conv2d' needs 'kernel_size'") }(),
                strides: try positivePair(pair("strides"), "strides") ?? [1, 1],
                padding: try padding(), activation: try activation(), useBias: useBias)
        case "max_pooling2d", "average_pooling2d":
            let size = try positivePair(pair("pool_size"), "pool_size") ?? [2, 2]
            let strides = try positivePair(pair("strides"), "strides")
            self = type == "max_pooling2d"
                ? .maxPooling2D(poolSize: size, strides: strides, padding: try padding())
                : .averagePooling2D(poolSize: size, strides: strides, padding: try padding())
        case "dropout":
            guard let rate = try float("rate"), rate >= 0, rate < 1 else {
                throw NNError.invalidConfiguration("dropout needs 'rate' in [0, 1)")
            }
            self = .dropout(rate: rate)
        case "batch_normalization":
            let momentum = try float("momentum") ?? 0.99
            let epsilon = try float("epsilon") ?? 0.001
            guard momentum >= 0, momentum < 1, epsilon > 0 else {
                throw NNError.invalidConfiguration("batch_normalization needs momentum in [0, 1) and epsilon > 0")
            }
            self = .batchNormalization(momentum: momentum, epsilon: epsilon)
        default: // "activation"
            guard c.contains(JSONKey("activation")) else { throw NNError.invalidConfiguration("layer type 'activation' needs 'activation'") }
            self = .activation(try activation())
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(typeName, forKey: JSONKey("type"))
        switch self {
        case let .dense(units, activation, useBias):
            try c.encode(units, forKey: JSONKey("units"))
            try c.encode(activation.rawValue, forKey: JSONKey("activation"))
            if !useBias { try c.encode(false, forKey: JSONKey("use_bias")) }
        case .flatten: break
        case let .conv2D(filters, kernelSize, strides, padding, activation, useBias):
            try c.encode(filters, forKey: JSONKey("filters"))
            try c.encode(kernelSize, forKey: JSONKey("kernel_size"))
            try c.encode(strides, forKey: JSONKey("strides"))
            try c.encode(padding.rawValue, forKey: JSONKey("padding"))
            try c.encode(activation.rawValue, forKey: JSONKey("activation"))
            if !useBias { try c.encode(false, forKey: JSONKey("use_bias")) }
        case let .maxPooling2D(poolSize, strides, padding), let .averagePooling2D(poolSize, strides, padding):
            try c.encode(poolSize, forKey: JSONKey("pool_size"))
            try c.encodeIfPresent(strides, forKey: JSONKey("strides"))
            try c.encode(padding.rawValue, forKey: JSONKey("padding"))
        case let .dropout(rate):
            try c.encode(rate, forKey: JSONKey("rate"))
        case let .batchNormalization(momentum, epsilon):
            try c.encode(momentum, forKey: JSONKey("momentum"))
            try c.encode(epsilon, forKey: JSONKey("epsilon"))
        case let .activation(a):
            try c.encode(a.rawValue, forKey: JSONKey("activation"))
        }
    }
}
