import TernTensor

/// One named tensor a model takes or gives: its element type and shape
/// (nil for a dimension of any size; the first is usually the batch).
public struct TensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int?]
    /// Whether a request may leave this input out (Triton's `optional`):
    /// the model then runs without it (a table column it ignores).
    public var optional: Bool

    public init(name: String, dtype: DType, shape: [Int?], optional: Bool = false) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.optional = optional
    }

    /// The dimensions after the first (one sample's), nil when one of them
    /// is dynamic or the tensor declares no shape.
    public var sampleShape: [Int]? {
        guard !shape.isEmpty else { return nil }
        var dims: [Int] = []
        for d in shape.dropFirst() {
            guard let d else { return nil }
            dims.append(d)
        }
        return dims
    }

    /// Elements per sample (the product of every dimension after the
    /// first), nil when one of them is dynamic.
    public var sampleCount: Int? { sampleShape?.reduce(1, *) }
}

/// What a request may feed an input beside its declared element type.
public enum InputConversion: Sendable, Equatable {
    /// Only the declared element type.
    case exact
    /// Any numeric or boolean element type: the model converts (a Tern
    /// network computes on float32 and reads uint8 pixels as they are).
    case anyNumber
    /// Any element type, strings included, and missing elements (JSON
    /// `null`): NaN in a floating-point tensor, nil in a ``StringTensor``.
    /// The model converts and imputes (a table column).
    case anyWithMissing
}

/// An input a model refuses when it runs (a value it cannot convert, a
/// shape its operators cannot take): the request's fault.
public struct ModelInputError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Bounds on what one prediction may compute, bound by the server around a
/// load or a run (`PredictionLimits.$maxElements.withValue(n) { ... }`).
public enum PredictionLimits {
    /// Most elements one computed tensor may hold: by default 2^28 (1 GiB
    /// of float32). A model that cannot say in advance what a prediction
    /// allocates (``ServableModel/predictionBytes(batch:)`` nil) checks
    /// each tensor against it before allocating; the binding holds on the
    /// thread that runs the model.
    @TaskLocal public static var maxElements = 1 << 28
}

/// Anything Tern can serve: named, typed tensors in and out.
///
/// Tern networks, tabular pipelines and ONNX graphs conform. The wire
/// protocols (KServe V2 JSON and binary, TF Serving row and columnar) are
/// written once against this interface; a new kind of model is one
/// conformance plus, if it has an API of its own, its routes.
public protocol ServableModel: Sendable {
    /// The platform name in V2 model metadata (`tern`, `onnx`).
    var platform: String { get }
    /// The inputs a request feeds, in order.
    var inputs: [TensorInfo] { get }
    /// The outputs a prediction answers, in order.
    var outputs: [TensorInfo] { get }
    /// Bytes the model holds in memory (its weights).
    var memoryBytes: Int { get }
    /// Whether concurrent requests may be stacked along the first dimension
    /// and run as one batch (dynamic batching): the rows answered for a
    /// batch equal those answered for each request alone.
    var supportsBatching: Bool { get }
    /// The class names a classifier's outputs stand for, in output order
    /// (nil for other models).
    var classLabels: [String]? { get }
    /// What an input accepts beside its declared element type.
    func conversion(for input: String) -> InputConversion
    /// Bytes a prediction on `batch` samples allocates at most (saturating
    /// at `Int.max`): what the server checks against its work budget, and
    /// runs a large batch in chunks to stay within. Nil when the model
    /// cannot say in advance; it then checks every tensor it computes
    /// against ``PredictionLimits/maxElements`` instead.
    func predictionBytes(batch: Int) -> Int?
    /// One sample of inputs that a warm-up after loading runs (nil: no
    /// warm-up).
    var warmUpInputs: [String: AnyTensor]? { get }
    /// Runs the model on one tensor per input given (checked against
    /// ``inputs`` by the caller: names, accepted element types, sample
    /// shapes, one batch size) and answers every output.
    /// - Throws: ``ModelInputError`` for an input it cannot take.
    func predict(_ inputs: [String: AnyTensor]) throws -> [String: AnyTensor]
}

extension ServableModel {
    public var supportsBatching: Bool { false }
    public var classLabels: [String]? { nil }
    public func conversion(for input: String) -> InputConversion { .exact }

    /// All-zero inputs of one sample (every dynamic dimension 1), or nil
    /// when an input takes strings, declares no shape or holds more than
    /// ``PredictionLimits/maxElements`` elements.
    public var warmUpInputs: [String: AnyTensor]? {
        var values: [String: AnyTensor] = [:]
        for input in inputs where !input.optional {
            guard !input.shape.isEmpty, input.dtype != .string else { return nil }
            let shape = input.shape.map { $0 ?? 1 }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: max(d, 0))
                guard !overflow, product <= PredictionLimits.maxElements else { return nil }
                count = product
            }
            values[input.name] = AnyTensor.zeros(input.dtype, Shape(shape))
        }
        return values
    }
}

extension ServableModel {
    /// `inputs` checked against ``inputs``: every name known and every
    /// required input given; each element type the declared one or one
    /// its ``conversion(for:)`` accepts; each shape of the declared rank
    /// with the declared fixed dimensions. A tensor of another shape with
    /// one sample's element count per row (`[n, 784]` for `[n, 28, 28]`)
    /// is reshaped to the declared sample shape.
    /// - Throws: ``ModelInputError`` naming the input.
    public func checkedInputs(_ given: [String: AnyTensor]) throws -> [String: AnyTensor] {
        let declared = inputs
        var checked: [String: AnyTensor] = [:]
        for (name, tensor) in given {
            guard let info = declared.first(where: { $0.name == name }) else {
                throw ModelInputError("unknown input '\(name.prefix(64))'; the model takes \(Self.names(declared))")
            }
            checked[name] = try check(tensor, info)
        }
        if let missing = declared.first(where: { !$0.optional && given[$0.name] == nil }) {
            throw ModelInputError("missing input '\(missing.name)'; the model takes \(Self.names(declared))")
        }
        return checked
    }

    private func check(_ tensor: AnyTensor, _ info: TensorInfo) throws -> AnyTensor {
        let accepted: Bool
        switch conversion(for: info.name) {
        case .exact: accepted = tensor.dtype == info.dtype
        case .anyNumber: accepted = tensor.dtype != .string
        case .anyWithMissing: accepted = true
        }
        guard accepted else {
            throw ModelInputError("input '\(info.name)' takes \(info.dtype.rawValue) elements, got \(tensor.dtype.rawValue)")
        }
        guard !info.shape.isEmpty else { return tensor }
        let dims = tensor.shape.dimensions
        if dims.count == info.shape.count, zip(info.shape, dims).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) {
            return tensor
        }
        if let sample = info.sampleShape, dims.count >= 1, info.shape[0] == nil || info.shape[0] == dims[0],
           dims.dropFirst().reduce(1, *) == sample.reduce(1, *) || (dims[0] == 0 && tensor.count == 0) {
            return try tensor.reshaped(Shape([dims[0]] + sample))
        }
        let want = "[" + info.shape.map { $0.map(String.init) ?? "-1" }.joined(separator: ", ") + "]"
        let perSample = info.sampleCount.map { " (\($0) values per sample)" } ?? ""
        throw ModelInputError("input '\(info.name)' has shape \(want)\(perSample); got \(dims)")
    }

    private static func names(_ infos: [TensorInfo]) -> String {
        infos.filter { !$0.optional }.map { "'\($0.name)'" }.joined(separator: ", ")
    }
}

extension DType {
    /// The KServe V2 / Triton datatype name ("FP32", "INT64", "BYTES").
    public var v2Name: String {
        switch self {
        case .bool: return "BOOL"
        case .uint8: return "UINT8"
        case .uint16: return "UINT16"
        case .uint32: return "UINT32"
        case .uint64: return "UINT64"
        case .int8: return "INT8"
        case .int16: return "INT16"
        case .int32: return "INT32"
        case .int64: return "INT64"
        case .float16: return "FP16"
        case .float32: return "FP32"
        case .float64: return "FP64"
        case .string: return "BYTES"
        }
    }

    /// The element type of a V2 datatype name.
    public init?(v2Name: String) {
        guard let match = DType.allCases.first(where: { $0.v2Name == v2Name }) else { return nil }
        self = match
    }
}
