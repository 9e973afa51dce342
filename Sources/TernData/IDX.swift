import Foundation
import TernTensor

/// The element type codes of the IDX format (the third magic byte).
public enum IDXDataType: UInt8, Sendable, CaseIterable {
    case uint8 = 0x08
    case int8 = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    /// The name used in the IDX description (`ubyte`, `int`, `float`, ...).
    public var name: String {
        switch self {
        case .uint8: return "ubyte"
        case .int8: return "byte"
        case .int16: return "short"
        case .int32: return "int"
        case .float32: return "float"
        case .float64: return "double"
        }
    }

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// Whether ``IDX`` can read this type into a tensor.
    public var isSupported: Bool { self == .uint8 || self == .int32 || self == .float32 }
}

/// The contents of an IDX file: a tensor of its element type.
public enum IDXArray: Sendable, Equatable {
    /// Type code 0x08 (`ubyte`).
    case uint8(Tensor<UInt8>)
    /// Type code 0x0C (`int`).
    case int32(Tensor<Int32>)
    /// Type code 0x0D (`float`).
    case float32(Tensor<Float>)

    /// The dimensions read from the header.
    public var shape: Shape {
        switch self {
        case let .uint8(t): return t.shape
        case let .int32(t): return t.shape
        case let .float32(t): return t.shape
        }
    }

    /// The element type code the file declared.
    public var dataType: IDXDataType {
        switch self {
        case .uint8: return .uint8
        case .int32: return .int32
        case .float32: return .float32
        }
    }

    /// The tensor, if the file holds unsigned bytes.
    /// - Throws: ``IDXError/unexpectedDataType(expected:actual:)`` otherwise.
    public func uint8Tensor() throws -> Tensor<UInt8> {
        guard case let .uint8(t) = self else {
            throw IDXError.unexpectedDataType(expected: IDXDataType.uint8.name, actual: dataType.name)
        }
        return t
    }

    /// The tensor, if the file holds 32-bit floats.
    /// - Throws: ``IDXError/unexpectedDataType(expected:actual:)`` otherwise.
    public func float32Tensor() throws -> Tensor<Float> {
        guard case let .float32(t) = self else {
            throw IDXError.unexpectedDataType(expected: IDXDataType.float32.name, actual: dataType.name)
        }
        return t
    }
}

/// Reader for the IDX format used by MNIST: the magic bytes `00 00`, a type
/// code, the rank, one big-endian `UInt32` per dimension, then the elements
/// in row-major order, big-endian. Files may be gzip-compressed.
public enum IDX {
    /// The largest rank accepted.
    public static let maxRank = 4
    /// The most elements an IDX array may hold (2^31 - 1).
    public static let maxElements = Int(Int32.max)
    /// The default cap on the (decompressed) size of a file: 1 GiB.
    public static let defaultMaxBytes = 1 << 30

    /// Reads an IDX file, decompressing it if it is gzip data.
    /// - Parameters:
    ///   - url: the file.
    ///   - maxBytes: the largest file, and the largest decompressed content,
    ///     accepted (protects against zip bombs).
    /// - Throws: ``IDXError``; parse errors are wrapped in
    ///   ``IDXError/inFile(name:_:)`` naming the file.
    public static func read(contentsOf url: URL, maxBytes: Int = defaultMaxBytes) throws -> IDXArray {
        let name = url.lastPathComponent
        let raw = try readFile(url, maxBytes: maxBytes)
        do {
            let bytes: [UInt8]
            do {
                bytes = try Gzip.decompress(raw, maxOutputBytes: maxBytes)
            } catch let error as GzipError {
                throw IDXError.decompression(error)
            }
            return try parse(bytes)
        } catch let error as IDXError {
            throw IDXError.inFile(name: name, error)
        }
    }

    /// Parses IDX bytes (already decompressed).
    /// - Throws: ``IDXError`` for a wrong magic, unsupported type, bad rank,
    ///   zero or absurd dimensions, truncated data or trailing bytes.
    public static func parse(_ bytes: [UInt8]) throws -> IDXArray {
        guard bytes.count >= 4 else { throw IDXError.truncatedHeader(byteCount: bytes.count, needed: 4) }
        guard bytes[0] == 0, bytes[1] == 0 else { throw IDXError.badMagic(bytes[0], bytes[1]) }
        guard let type = IDXDataType(rawValue: bytes[2]), type.isSupported else {
            throw IDXError.unsupportedDataType(code: bytes[2])
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= maxRank else { throw IDXError.invalidRank(rank) }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw IDXError.truncatedHeader(byteCount: bytes.count, needed: headerSize)
        }
        let dims = (0..<rank).map { Int(readBigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        var count = 1
        for (axis, d) in dims.enumerated() {
            guard d > 0 else { throw IDXError.zeroDimension(axis: axis, dimensions: dims) }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElements else {
                throw IDXError.tooManyElements(dimensions: dims, limit: maxElements)
            }
            count = product
        }
        let dataBytes = count * type.byteSize
        let available = bytes.count - headerSize
        guard available >= dataBytes else {
            throw IDXError.truncatedData(expectedBytes: dataBytes, actualBytes: available)
        }
        guard available == dataBytes else { throw IDXError.trailingBytes(count: available - dataBytes) }

        let shape = Shape(dims)
        switch type {
        case .uint8:
            var t = Tensor<UInt8>(uninitialized: shape)
            t.withUnsafeMutableBufferPointer { dst in
                bytes.withUnsafeBufferPointer { src in
                    for i in 0..<count { dst[i] = src[headerSize + i] }
                }
            }
            return .uint8(t)
        case .int32:
            var t = Tensor<Int32>(uninitialized: shape)
            t.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count { dst[i] = Int32(bitPattern: readBigEndianUInt32(bytes, at: headerSize + 4 * i)) }
            }
            return .int32(t)
        case .float32:
            var t = Tensor<Float>(uninitialized: shape)
            t.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count { dst[i] = Float(bitPattern: readBigEndianUInt32(bytes, at: headerSize + 4 * i)) }
            }
            return .float32(t)
        case .int8, .int16, .float64:
            throw IDXError.unsupportedDataType(code: type.rawValue)
        }
    }

    /// Encodes a byte tensor as IDX (uncompressed), e.g. for writing test fixtures.
    /// - Throws: ``IDXError`` when the rank or a dimension cannot be represented.
    public static func encode(_ tensor: Tensor<UInt8>) throws -> [UInt8] {
        let dims = tensor.shape.dimensions
        guard dims.count >= 1, dims.count <= maxRank else { throw IDXError.invalidRank(dims.count) }
        var out: [UInt8] = [0, 0, IDXDataType.uint8.rawValue, UInt8(dims.count)]
        for (axis, d) in dims.enumerated() {
            guard d > 0 else { throw IDXError.zeroDimension(axis: axis, dimensions: dims) }
            guard let value = UInt32(exactly: d) else {
                throw IDXError.tooManyElements(dimensions: dims, limit: maxElements)
            }
            out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        tensor.withUnsafeBufferPointer { out.append(contentsOf: $0) }
        return out
    }

    /// Reads the raw file bytes with the file name (not the path) in errors.
    static func readFile(_ url: URL, maxBytes: Int) throws -> [UInt8] {
        let name = url.lastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw IDXError.fileNotFound(name: name)
        }
        guard !isDirectory.boolValue else { throw IDXError.unreadable(name: name, reason: "it is a directory") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int, size > maxBytes {
            throw IDXError.inFile(name: name, .tooLarge(byteCount: size, limit: maxBytes))
        }
        guard let data = try? Data(contentsOf: url) else {
            throw IDXError.unreadable(name: name, reason: "permission denied or I/O error")
        }
        return [UInt8](data)
    }

    private static func readBigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
