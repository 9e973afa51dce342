import TernTensor

/// Errors from reading and writing safetensors files. Messages name the
/// tensor or header field at fault, and files by name only (never a path).
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file with this name exists.
    case fileNotFound(name: String)
    /// The file exists but could not be read.
    case unreadable(name: String, reason: String)
    /// The file could not be written.
    case writeFailed(name: String)
    /// Fewer than the 8 bytes of the header length.
    case fileTooShort(byteCount: Int)
    /// The declared header length is above ``SafeTensorsFile/maxHeaderBytes``.
    case headerTooLarge(length: UInt64, limit: Int)
    /// The declared header length runs past the end of the file.
    case headerPastEnd(length: UInt64, available: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header is not valid JSON; `offset` is the byte position in the header.
    case invalidJSON(reason: String, offset: Int)
    /// The header's JSON value is not an object.
    case headerNotObject(found: String)
    /// A tensor name occurs twice (in the header, or in a file being encoded).
    case duplicateName(String)
    /// A tensor may not be called `__metadata__`.
    case reservedName(String)
    /// A tensor's header entry is malformed.
    case invalidEntry(tensor: String, reason: String)
    /// A tensor's dtype is not one this engine stores.
    case unsupportedDType(tensor: String, dtype: String)
    /// A tensor's shape and dtype need a different number of bytes than its offsets span.
    case sizeMismatch(tensor: String, dtype: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// A tensor's data ends past the end of the data section.
    case offsetsOutOfBounds(tensor: String, end: Int, dataBytes: Int)
    /// A tensor's data starts before the previous tensor's data ends.
    case overlappingTensors(tensor: String, previous: String)
    /// Unused bytes precede a tensor's data.
    case gapBeforeTensor(tensor: String, bytes: Int)
    /// Unused bytes follow the last tensor's data.
    case trailingBytes(count: Int)
    /// The `__metadata__` entry is not an object of strings.
    case invalidMetadata(key: String?, reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(name):
            return "safetensors file '\(name)' not found"
        case let .unreadable(name, reason):
            return "safetensors file '\(name)' could not be read: \(reason)"
        case let .writeFailed(name):
            return "safetensors file '\(name)' could not be written"
        case let .fileTooShort(byteCount):
            return "safetensors data of \(byteCount) bytes is too short: it must start with an 8-byte header length"
        case let .headerTooLarge(length, limit):
            return "safetensors header length \(length) exceeds the limit of \(limit) bytes"
        case let .headerPastEnd(length, available):
            return "safetensors header length \(length) runs past the end of the file (\(available) bytes follow the length)"
        case .headerNotUTF8:
            return "safetensors header is not valid UTF-8"
        case let .invalidJSON(reason, offset):
            return "safetensors header is not valid JSON: \(reason) at byte \(offset)"
        case let .headerNotObject(found):
            return "safetensors header must be a JSON object, found \(found)"
        case let .duplicateName(name):
            return "tensor name '\(name)' occurs more than once"
        case let .reservedName(name):
            return "'\(name)' is reserved for metadata and cannot name a tensor"
        case let .invalidEntry(tensor, reason):
            return "tensor '\(tensor)': \(reason)"
        case let .unsupportedDType(tensor, dtype):
            let supported = DType.allCases.filter { $0 != .string }.map(\.rawValue).joined(separator: ", ")
            return "tensor '\(tensor)' has unsupported dtype '\(dtype)' (supported: \(supported))"
        case let .sizeMismatch(tensor, dtype, shape, expected, actual):
            return "tensor '\(tensor)': shape \(shape) of \(dtype) needs \(expected) bytes but its data_offsets span \(actual)"
        case let .offsetsOutOfBounds(tensor, end, dataBytes):
            return "tensor '\(tensor)': data ends at offset \(end), past the data section of \(dataBytes) bytes"
        case let .overlappingTensors(tensor, previous):
            return "tensor '\(tensor)' overlaps the data of tensor '\(previous)'"
        case let .gapBeforeTensor(tensor, bytes):
            return "\(bytes) unused bytes precede the data of tensor '\(tensor)'"
        case let .trailingBytes(count):
            return "\(count) unused bytes follow the last tensor's data"
        case let .invalidMetadata(key, reason):
            if let key { return "metadata entry '\(key)': \(reason)" }
            return "metadata: \(reason)"
        }
    }
}
