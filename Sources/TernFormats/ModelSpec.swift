import TernTensor
import TernNN
import TernData
import TernSupport

/// A model as a user writes it: input, preprocessing, layers, and how to
/// train it (Keras `compile` and `fit`), with optional random
/// `augmentation` of the training images. See `Examples/mnist-mlp.json` and
/// `Examples/mnist-cnn-augmented.json`.
public struct ModelSpec: Codable, Equatable, Sendable {
    public var name: String
    public var input: InputSpec
    public var preprocessing: [PreprocessingStep]
    /// Cleaning and preprocessing steps of a table model (fitted on the training rows).
    public var pipeline: [TabularStep] = []
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

    private enum Keys: String, CodingKey, CaseIterable { case name, input, preprocessing, pipeline, layers, compile, fit, augmentation }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let open = try decoder.container(keyedBy: JSONKey.self)
        let allowed = Set(Keys.allCases.map(\.rawValue))
        if let unknown = open.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw FormatError.invalidSpec("unknown top-level key '\(unknown)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "model"
        guard !name.isEmpty, name.count <= 128 else { throw FormatError.invalidSpec("'name' must be 1 to 128 characters") }
        guard c.contains(.input) else { throw FormatError.invalidSpec("the spec needs 'input' with 'shape' and 'dtype'") }
        input = try c.decode(InputSpec.self, forKey: .input)
        preprocessing = try c.decodeIfPresent([PreprocessingStep].self, forKey: .preprocessing) ?? []
        pipeline = try c.decodeIfPresent([TabularStep].self, forKey: .pipeline) ?? []
        if !pipeline.isEmpty, input.format != .table {
            throw FormatError.invalidSpec("'pipeline' is for table inputs (\"input\": {\"format\": \"table\", \"target\": ...}); images use 'preprocessing'")
        }
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
    public func checkAugmentation() throws {
        guard !augmentation.isEmpty else { return }
        do { try Augmentation(augmentation).validate(sampleShape: input.shape) } catch {
            throw FormatError.invalidSpec(error.description)
        }
    }

    /// Encodes every key; `pipeline` and `augmentation` only when there is
    /// some, so specs without them read as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encode(input, forKey: .input)
        try c.encode(preprocessing, forKey: .preprocessing)
        if !pipeline.isEmpty { try c.encode(pipeline, forKey: .pipeline) }
        try c.encode(layers, forKey: .layers)
        try c.encode(compile, forKey: .compile)
        try c.encode(fit, forKey: .fit)
        if !augmentation.isEmpty { try c.encode(augmentation, forKey: .augmentation) }
    }
}

/// The raw input a model accepts, per sample: a tensor (`shape`, `dtype`),
/// or a table (`{"format": "table", "target": "survived"}`) whose rows go
/// through the spec's tabular `pipeline`; a table model's `shape` is the
/// feature count, filled in when the pipeline is fitted.
public struct InputSpec: Codable, Equatable, Sendable {
    public enum Format: String, Codable, Sendable { case tensor, table }

    public var format: Format
    public var shape: Shape
    public var dtype: DType
    /// The column to predict (tables only).
    public var target: String?
    /// Whether the target is a class (tables only; nil: inferred from the data).
    public var classification: Bool?

    public init(shape: Shape, dtype: DType) {
        self.format = .tensor
        self.shape = shape
        self.dtype = dtype
    }

    public init(tableTarget target: String, classification: Bool? = nil) {
        self.format = .table
        self.shape = []
        self.dtype = .float32
        self.target = target
        self.classification = classification
    }

    private enum Keys: String, CodingKey, CaseIterable { case format, shape, dtype, target, classification }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let open = try decoder.container(keyedBy: JSONKey.self)
        let allowed = Set(Keys.allCases.map(\.rawValue))
        if let unknown = open.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw FormatError.invalidSpec("input has no option '\(unknown)'")
        }
        let formatName = try c.decodeIfPresent(String.self, forKey: .format) ?? "tensor"
        guard let format = Format(rawValue: formatName) else {
            throw FormatError.invalidSpec("input 'format' must be tensor or table, got '\(formatName)'")
        }
        self.format = format
        if format == .table {
            guard let target = try c.decodeIfPresent(String.self, forKey: .target), !target.isEmpty else {
                throw FormatError.invalidSpec("a table input needs 'target', the column to predict")
            }
            self.target = target
            classification = try c.decodeIfPresent(Bool.self, forKey: .classification)
            dtype = .float32
            shape = try c.decodeIfPresent([Int].self, forKey: .shape).map { try InputSpec.validShape($0) } ?? []
            return
        }
        guard c.contains(.shape) else { throw FormatError.invalidSpec("input needs 'shape' (or \"format\": \"table\")") }
        shape = try InputSpec.validShape(try c.decode([Int].self, forKey: .shape))
        let name = try c.decodeIfPresent(String.self, forKey: .dtype) ?? "float32"
        switch name.lowercased() {
        case "uint8", "u8": dtype = .uint8
        case "float32", "f32", "float": dtype = .float32
        default: throw FormatError.invalidSpec("input 'dtype' must be uint8 or float32, got '\(name)'")
        }
    }

    static func validShape(_ dims: [Int]) throws -> Shape {
        guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
            throw FormatError.invalidSpec("input 'shape' must list positive dimensions, got \(dims)")
        }
        do { return try Shape(dims).validated(limit: 1 << 26) } catch {
            throw FormatError.invalidSpec("input 'shape' \(dims) is too large")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        if format == .table {
            try c.encode(format.rawValue, forKey: .format)
            try c.encodeIfPresent(target, forKey: .target)
            try c.encodeIfPresent(classification, forKey: .classification)
            if !shape.dimensions.isEmpty { try c.encode(shape.dimensions, forKey: .shape) }
            return
        }
        try c.encode(shape.dimensions, forKey: .shape)
        try c.encode(dtype == .uint8 ? "uint8" : "float32", forKey: .dtype)
    }
}

