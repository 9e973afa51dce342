import Foundation
import TernTensor

/// Errors from reading IDX files (``IDX``).
///
/// Messages name the problem and, for files, the file name (never its full
/// path).
public indirect enum IDXError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file with this name exists where it was looked for.
    case fileNotFound(name: String)
    /// The file exists but could not be read (for example it is a directory).
    case unreadable(name: String, reason: String)
    /// An error while parsing the named file.
    case inFile(name: String, IDXError)
    /// The data is shorter than the header it announces.
    case truncatedHeader(byteCount: Int, needed: Int)
    /// The first two bytes are not `00 00`.
    case badMagic(UInt8, UInt8)
    /// The element type code is unknown or not supported by this reader.
    case unsupportedDataType(code: UInt8)
    /// The rank is 0 or above ``IDX/maxRank``.
    case invalidRank(Int)
    /// A dimension is zero.
    case zeroDimension(axis: Int, dimensions: [Int])
    /// The dimensions describe more elements than ``IDX/maxElements``.
    case tooManyElements(dimensions: [Int], limit: Int)
    /// Fewer data bytes follow the header than the dimensions require.
    case truncatedData(expectedBytes: Int, actualBytes: Int)
    /// More bytes follow the data than the dimensions account for.
    case trailingBytes(count: Int)
    /// The file's contents are larger than the caller's limit.
    case tooLarge(byteCount: Int, limit: Int)
    /// The gzip layer failed.
    case decompression(GzipError)
    /// The data holds a different element type than the caller asked for.
    case unexpectedDataType(expected: String, actual: String)

    public var description: String {
        switch self {
        case let .fileNotFound(name):
            return "IDX file '\(name)' not found"
        case let .unreadable(name, reason):
            return "IDX file '\(name)' could not be read: \(reason)"
        case let .inFile(name, error):
            return "\(name): \(error)"
        case let .truncatedHeader(byteCount, needed):
            return "IDX header truncated: \(byteCount) bytes, at least \(needed) needed"
        case let .badMagic(b0, b1):
            return "not an IDX file: magic bytes are \(hex(b0)) \(hex(b1)), expected 0x00 0x00"
        case let .unsupportedDataType(code):
            let supported = DType.allCases.compactMap { t in t.idxCode.map { String(format: "0x%02X %@", $0, t.idxName) } }
            return "unsupported IDX element type code \(hex(code)); supported: \(supported.joined(separator: ", "))"
        case let .invalidRank(rank):
            return "invalid IDX rank \(rank): must be 1 to \(IDX.maxRank)"
        case let .zeroDimension(axis, dims):
            return "IDX dimension \(axis) of \(dims) is zero"
        case let .tooManyElements(dims, limit):
            return "IDX dimensions \(dims) describe more than \(limit) elements"
        case let .truncatedData(expected, actual):
            return "IDX data truncated: \(expected) bytes expected after the header, \(actual) present"
        case let .trailingBytes(count):
            return "IDX data followed by \(count) unexpected trailing bytes"
        case let .tooLarge(byteCount, limit):
            return "IDX data of \(byteCount) bytes exceeds the limit of \(limit) bytes"
        case let .decompression(error):
            return "\(error)"
        case let .unexpectedDataType(expected, actual):
            return "IDX data holds \(actual) elements, expected \(expected)"
        }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "0x" + (digits.count < 2 ? "0" + digits : digits)
}
