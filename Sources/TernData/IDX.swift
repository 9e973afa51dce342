import Foundation
import TernTensor

extension DType {
    /// The IDX type code of this element type (the third magic byte), nil
    /// for types IDX cannot hold.
    public var idxCode: UInt8? {
        switch self {
        case .uint8: return 0x08
        case .int8: return 0x09
        case .int16: return 0x0B
        case .int32: return 0x0C
        case .float32: return 0x0D
        case .float64: return 0x0E
        default: return nil
        }
    }

    /// The element type of an IDX type code.
    public init?(idxCode: UInt8) {
        guard let type = DType.allCases.first(where: { $0.idxCode == idxCode }) else { return nil }
        self = type
    }

    /// The name the IDX description uses (`ubyte`, `int`, `float`, ...).
    public var idxName: String {
        switch self {
        case .uint8: return "ubyte"
        case .int8: return "byte"
        case .int16: return "short"
        case .int32: return "int"
        case .float32: return "float"
        case .float64: return "double"
        default: return rawValue
        }
    }
}

extension AnyTensor {
    /// The tensor as `Scalar`s, as an IDX file must hold them.
    /// - Throws: ``IDXError/unexpectedDataType(expected:actual:)`` naming
    ///   both types otherwise.
    public func idxTensor<Scalar: TensorScalar>(of _: Scalar.Type) throws -> Tensor<Scalar> {
        guard let t = tensor(of: Scalar.self) else {
            throw IDXError.unexpectedDataType(expected: Scalar.dtype.idxName, actual: dtype.idxName)
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
    public static func read(contentsOf url: URL, maxBytes: Int = defaultMaxBytes) throws -> AnyTensor {
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

    /// Parses IDX bytes (already decompressed): a tensor of the file's
    /// element type (every IDX type: ubyte, byte, short, int, float, double).
    /// - Throws: ``IDXError`` for a wrong magic, unknown type, bad rank,
    ///   zero or absurd dimensions, truncated data or trailing bytes.
    public static func parse(_ bytes: [UInt8]) throws -> AnyTensor {
        guard bytes.count >= 4 else { throw IDXError.truncatedHeader(byteCount: bytes.count, needed: 4) }
        guard bytes[0] == 0, bytes[1] == 0 else { throw IDXError.badMagic(bytes[0], bytes[1]) }
        guard let type = DType(idxCode: bytes[2]) else {
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

        // Big-endian elements: reversed into a little-endian copy once.
        var little = Array(bytes[headerSize...])
        let size = type.byteSize
        if size > 1 {
            for start in stride(from: 0, to: little.count, by: size) { little[start..<start + size].reverse() }
        }
        return little.withUnsafeBytes { AnyTensor.fromLittleEndian($0, dtype: type, shape: Shape(dims)) }
    }

    /// Encodes a byte tensor as IDX (uncompressed), e.g. for writing test fixtures.
    /// - Throws: ``IDXError`` when the rank or a dimension cannot be represented.
    public static func encode(_ tensor: Tensor<UInt8>) throws -> [UInt8] {
        let dims = tensor.shape.dimensions
        guard dims.count >= 1, dims.count <= maxRank else { throw IDXError.invalidRank(dims.count) }
        var out: [UInt8] = [0, 0, DType.uint8.idxCode ?? 0x08, UInt8(dims.count)]
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
