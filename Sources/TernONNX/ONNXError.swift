/// Errors reading or writing ONNX models. Each message is one line naming
/// what is wrong (the node, tensor, attribute or value involved).
public enum ONNXError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is larger than the loader accepts.
    case fileTooLarge(byteCount: Int, limit: Int)
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The bytes are not a valid protobuf `ModelProto` (truncated, wrong wire
    /// types, nested too deeply, invalid UTF-8...).
    case malformed(String)
    /// The model uses a feature Tern does not read (an opset version, a
    /// domain, a data type, external data, subgraphs...).
    case unsupported(String)
    /// A constant tensor (initializer or tensor attribute) is inconsistent:
    /// bad dimensions, data of the wrong size, values out of range.
    case invalidTensor(name: String, reason: String)
    /// The graph's structure is invalid: duplicate or missing values, a cycle.
    case invalidGraph(String)
    /// Tern cannot write this model as ONNX.
    case exportUnsupported(String)

    public var description: String {
        switch self {
        case let .fileTooLarge(byteCount, limit):
            return "ONNX model is \(byteCount) bytes, larger than the \(limit)-byte limit"
        case let .unreadable(path, reason): return "cannot read ONNX model '\(path)': \(reason)"
        case let .malformed(reason): return "not a valid ONNX model: \(reason)"
        case let .unsupported(reason): return "unsupported ONNX model: \(reason)"
        case let .invalidTensor(name, reason): return "invalid ONNX tensor '\(name)': \(reason)"
        case let .invalidGraph(reason): return "invalid ONNX graph: \(reason)"
        case let .exportUnsupported(reason): return "cannot export to ONNX: \(reason)"
        }
    }
}
