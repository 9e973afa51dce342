import TernFormats
import TernTensor

/// An ONNX model ready to run: the validated graph and its executor. Tern
/// serves it beside its own models (``TernModel``); every check happens in
/// ``init(bytes:)``, so an unsupported operator or attribute is refused at
/// upload or load time, naming the node, never at the first request.
public struct ONNXModel: Sendable {
    public let executor: ONNXExecutor
    public var graph: ONNXGraph { executor.graph }
    /// The inputs a caller feeds, in graph order.
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]

    /// Parses and validates a `.onnx` file.
    /// - Throws: ``ONNXError`` for a malformed or unsafe file,
    ///   ``ONNXRuntimeError`` for a graph Tern cannot run.
    public init(bytes: [UInt8]) throws {
        try self.init(graph: try ONNXModelFile.parse(bytes))
    }

    public init(graph: ONNXGraph) throws {
        executor = try ONNXExecutor(graph: graph)
        inputs = graph.inputs
        outputs = graph.outputs
    }

    /// Whether `bytes` should be read as ONNX rather than as a Tern
    /// artifact. A Tern artifact is a safetensors file: an 8-byte
    /// little-endian header length, then a JSON object (`{`). An ONNX file
    /// is a protobuf `ModelProto`, whose first byte is a field tag.
    public static func isONNX(_ bytes: [UInt8]) -> Bool {
        if bytes.count > 8, bytes[8] == UInt8(ascii: "{") { return false }
        return !bytes.isEmpty
    }

    /// Bytes held by the constant tensors (the weights).
    public var parameterBytes: Int { graph.initializers.values.reduce(0) { $0 + $1.bytes.count } }

    /// Runs the graph on named inputs and answers every graph output.
    public func run(_ inputs: [String: ONNXValue]) throws -> [String: ONNXValue] {
        try executor.run(inputs)
    }

    /// Runs the graph on one value per input in ``inputs`` order; answers
    /// the outputs in ``outputs`` order.
    public func run(ordered inputs: [ONNXValue]) throws -> [ONNXValue] {
        try executor.run(ordered: inputs)
    }

    /// The first dimension of the first input: the batch size of a request
    /// (1 for an input without dimensions).
    public static func batchSize(_ inputs: [String: ONNXValue]) -> Int {
        inputs.values.first.map { $0.rank > 0 ? $0.shape[0] : 1 } ?? 0
    }

    /// All-zero inputs with every symbolic dimension set to 1 (for warm-up),
    /// or nil when an input declares no shape.
    public func zeroInputs() -> [String: ONNXValue]? {
        var values: [String: ONNXValue] = [:]
        for input in inputs {
            guard let dims = input.dimensions else { return nil }
            let shape = dims.map { $0 < 0 ? 1 : $0 }
            // Declared by the file: too large to count or to hold means no warm-up.
            guard let count = try? ONNXLimits.elementCount(shape) else { return nil }
            switch input.dataType {
            case .float: values[input.name] = .float(Tensor(zeros: Shape(shape)))
            case .double: values[input.name] = .double(ONNXArray(shape: shape, scalars: Array(repeating: 0, count: count)))
            case .int64: values[input.name] = .int64(ONNXArray(shape: shape, scalars: Array(repeating: 0, count: count)))
            case .int32: values[input.name] = .int32(ONNXArray(shape: shape, scalars: Array(repeating: 0, count: count)))
            case .uint8: values[input.name] = .uint8(ONNXArray(shape: shape, scalars: Array(repeating: 0, count: count)))
            case .bool: values[input.name] = .bool(ONNXArray(shape: shape, scalars: Array(repeating: false, count: count)))
            default: return nil
            }
        }
        return values
    }
}

extension ONNXDataType {
    /// The KServe V2 / Triton datatype name ("FP32", "INT64", ...).
    public var v2Name: String {
        switch self {
        case .float: return "FP32"
        case .double: return "FP64"
        case .float16: return "FP16"
        case .bool: return "BOOL"
        case .string: return "BYTES"
        default: return name
        }
    }
}
