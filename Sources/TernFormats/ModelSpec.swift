import TernTensor
import TernNN
import TernData

/// A model as a user writes it: input, preprocessing, layers, and how to
/// train it (Keras `compile` and `fit`), with optional random
/// `augmentation` of the training images. See `Examples/mnist-mlp.json` and
/// `Examples/mnist-cnn-augmented.json`.
public struct ModelSpec: Codable, Equatable, Sendable {
    public var name: String
    public var input: InputSpec
    public var preprocessing: [PreprocessingStep]
    public var layers: [LayerSpec]
    public var compile: CompileSpec
    public var fit: FitSpec
    /// Random transforms of the training batches (empty: none). They run
    /// on the network's input, after `preprocessing`, and only in training:
    /// validation, evaluation and inference see the images unchanged.
    public var augmentation: [AugmentationStep]

    public init(name: String, input: InputSpec, preprocessing: [PreprocessingStep] = [], layers: [LayerSpec],
                compile: CompileSpec, fit: FitSpec = FitSpec(), augmentation: [AugmentationStep] = []) {
        self.name = name
        self.input = input
        self.preprocessing = preprocessing
        self.layers = layers
        self.compile = compile
        self.fit = fit
        self.augmentation = augmentation
    }

    private enum Keys: String, CodingKey, CaseIterable { case name, input, preprocessing, layers, compile, fit, augmentation }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let open = try decoder.container(keyedBy: OpenKey.self)
        let allowed = Set(Keys.allCases.map(\.rawValue))
        if let unknown = open.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw FormatError.invalidSpec("unknown top-level key '\(unknown)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "model"
        guard !name.isEmpty, name.count <= 128 else { throw FormatError.invalidSpec("'name' must be 1 to 128 characters") }
        guard c.contains(.input) else { throw FormatError.invalidSpec("the spec needs 'input' with 'shape' and 'dtype'") }
        input = try c.decode(InputSpec.self, forKey: .input)
        preprocessing = try c.decodeIfPresent([PreprocessingStep].self, forKey: .preprocessing) ?? []
        guard c.contains(.layers) else { throw FormatError.invalidSpec("the spec needs 'layers'") }
        layers = try c.decode([LayerSpec].self, forKey: .layers)
        guard c.contains(.compile) else { throw FormatError.invalidSpec("the spec needs 'compile' with at least 'loss'") }
        compile = try c.decode(CompileSpec.self, forKey: .compile)
        fit = try c.decodeIfPresent(FitSpec.self, forKey: .fit) ?? FitSpec()
        augmentation = try c.decodeIfPresent([AugmentationStep].self, forKey: .augmentation) ?? []
        try checkAugmentation()
    }

    /// Rejects augmentation of inputs that are not images.
    /// - Throws: ``FormatError/invalidSpec(_:)``.
    func checkAugmentation() throws {
        guard !augmentation.isEmpty else { return }
        do { try Augmentation(augmentation).validate(sampleShape: input.shape) } catch {
            throw FormatError.invalidSpec(error.description)
        }
    }

    /// Encodes every key; `augmentation` only when there is some, so specs
    /// without it read as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encode(input, forKey: .input)
        try c.encode(preprocessing, forKey: .preprocessing)
        try c.encode(layers, forKey: .layers)
        try c.encode(compile, forKey: .compile)
        try c.encode(fit, forKey: .fit)
        if !augmentation.isEmpty { try c.encode(augmentation, forKey: .augmentation) }
    }
}

/// The raw input a model accepts, per sample.
public struct InputSpec: Codable, Equatable, Sendable {
    public var shape: Shape
    public var dtype: DType

    public init(shape: Shape, dtype: DType) {
        self.shape = shape
        self.dtype = dtype
    }

    private enum Keys: String, CodingKey { case shape, dtype }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let dims = try c.decode([Int].self, forKey: .shape)
        guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
            throw FormatError.invalidSpec("input 'shape' must list positive dimensions, got \(dims)")
        }
        do { shape = try Shape(dims).validated(limit: 1 << 26) } catch {
            throw FormatError.invalidSpec("input 'shape' \(dims) is too large")
        }
        let name = try c.decodeIfPresent(String.self, forKey: .dtype) ?? "float32"
        switch name.lowercased() {
        case "uint8", "u8": dtype = .uint8
        case "float32", "f32", "float": dtype = .float32
        default: throw FormatError.invalidSpec("input 'dtype' must be uint8 or float32, got '\(name)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(shape.dimensions, forKey: .shape)
        try c.encode(dtype == .uint8 ? "uint8" : "float32", forKey: .dtype)
    }
}

struct OpenKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
