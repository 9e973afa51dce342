import TernTensor

/// One named tensor a model takes or gives: its element type and shape
/// (nil for a dimension of any size; the first is usually the batch).
public struct TensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int?]

    public init(name: String, dtype: DType, shape: [Int?]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Elements per sample (the product of every dimension after the
    /// first), nil when one of them is dynamic.
    public var sampleCount: Int? {
        var total = 1
        for d in shape.dropFirst() {
            guard let d else { return nil }
            total *= d
        }
        return total
    }
}

/// What a request may feed an input beside its declared element type.
public enum InputConversion: Sendable, Equatable {
    /// Only the declared element type.
    case exact
    /// Also `float32`, for an input declared `uint8` that the model scales
    /// itself (a Tern network taking raw pixels accepts floats too).
    case orFloat32
}

/// Anything Tern can serve: named, typed tensors in and out.
///
/// Tern networks, tabular pipelines and ONNX graphs conform. The wire
/// protocols (KServe V2 JSON and binary, TF Serving row and columnar) are
/// written once against this interface; a new kind of model is one
/// conformance plus, if it has an API of its own, its routes.
public protocol ServableModel: Sendable {
    /// The platform name in V2 model metadata (`tern`, `onnxruntime_onnx`).
    var platform: String { get }
    /// The inputs a request feeds, in order.
    var inputs: [TensorInfo] { get }
    /// The outputs a prediction answers, in order.
    var outputs: [TensorInfo] { get }
    /// Bytes the model holds in memory (its weights).
    var memoryBytes: Int { get }
    /// Whether concurrent requests may be stacked along the first dimension
    /// and run as one batch (dynamic batching).
    var supportsBatching: Bool { get }
    /// What an input accepts beside its declared element type.
    func conversion(for input: String) -> InputConversion
    /// Bytes a prediction on `batch` samples allocates at most (saturating
    /// at `Int.max`): what the server checks against its work budget.
    func predictionBytes(batch: Int) -> Int
    /// Runs the model on one tensor per input (checked against ``inputs``
    /// by the caller: names, element types, sample shapes, one batch size)
    /// and answers every output.
    /// - Throws: the model's error for an input it cannot take.
    func predict(_ inputs: [String: AnyTensor]) throws -> [String: AnyTensor]
}

extension ServableModel {
    public var supportsBatching: Bool { false }
    public func conversion(for input: String) -> InputConversion { .exact }
}
