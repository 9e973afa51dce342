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
    public let inputInfos: [ONNXValueInfo]
    public let outputInfos: [ONNXValueInfo]

    /// Parses and validates a `.onnx` file.
    /// - Throws: ``ONNXError`` for a malformed or unsafe file,
    ///   ``ONNXRuntimeError`` for a graph Tern cannot run.
    public init(bytes: [UInt8]) throws {
        try self.init(graph: try ONNXModelFile.parse(bytes))
    }

    public init(graph: ONNXGraph) throws {
        executor = try ONNXExecutor(graph: graph)
        inputInfos = graph.inputs.filter { graph.initializers[$0.name] == nil }
        outputInfos = graph.outputs
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

    /// All-zero inputs with every symbolic dimension set to 1 (for warm-up),
    /// or nil when an input declares no shape. Unlike the default
    /// ``ServableModel/warmUpInputs``, a graph input declared as a scalar
    /// (rank 0) gets one: ``TensorInfo`` cannot tell it from an undeclared shape.
    public func zeroInputs() -> [String: AnyTensor]? {
        var values: [String: AnyTensor] = [:]
        for input in inputInfos {
            guard let dims = input.dimensions, input.dtype != .string else { return nil }
            let shape = dims.map { $0 < 0 ? 1 : $0 }
            // Declared by the file: too large to count or to hold means no warm-up.
            guard (try? ONNXLimits.elementCount(shape)) != nil else { return nil }
            values[input.name] = AnyTensor.zeros(input.dtype, Shape(shape))
        }
        return values
    }
}
