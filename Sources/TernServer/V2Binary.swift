import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernFormats
import TernServing
import TernSupport
import TernTensor

extension HTTPField.Name {
    /// The binary tensor data extension's header: how many leading bytes of
    /// the body are the JSON part.
    static let inferenceHeaderContentLength = HTTPField.Name("Inference-Header-Content-Length")!
}

/// A V2 inference body: the JSON request and, with the binary tensor data
/// extension, the raw bytes that follow it.
struct V2InferBody {
    var json: JSONValue
    var binary: BinarySections?
}

/// Reads a V2 inference body.
///
/// Without `Inference-Header-Content-Length` the whole body is JSON (within
/// ``ServerConfiguration/maxJSONBodyBytes``). With it, the first N bytes are
/// the JSON request and the rest is binary tensor data (the whole body
/// within ``ServerConfiguration/maxBodyBytes``).
/// - Throws: 400 for a header that is not a number or exceeds the body,
///   413 past the limits.
func readInferBody(_ request: Request, _ services: ServerServices) async throws -> V2InferBody {
    guard let header = request.headers[.inferenceHeaderContentLength] else {
        return V2InferBody(json: try await readJSON(request, services), binary: nil)
    }
    let configuration = services.configuration
    guard !header.isEmpty, header.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let jsonLength = Int(header) else {
        throw APIError(.badRequest, "Inference-Header-Content-Length must be a non-negative integer, got '\(header.prefix(32))'")
    }
    guard jsonLength <= configuration.maxJSONBodyBytes else {
        throw APIError(.contentTooLarge, "the JSON part of the request is larger than \(configuration.maxJSONBodyBytes) bytes")
    }
    var buffer = try await request.collectBody(limit: max(configuration.maxBodyBytes, configuration.maxJSONBodyBytes))
    guard jsonLength <= buffer.readableBytes, let jsonBytes = buffer.readBytes(length: jsonLength) else {
        throw APIError(.badRequest, "Inference-Header-Content-Length (\(jsonLength)) is larger than the body (\(buffer.readableBytes) bytes)")
    }
    return V2InferBody(json: try await parseJSON(jsonBytes, services), binary: BinarySections(buffer))
}

/// The binary part of a request body, consumed in input order.
struct BinarySections {
    private var buffer: ByteBuffer

    init(_ buffer: ByteBuffer) { self.buffer = buffer }

    /// Bytes not yet taken.
    var remaining: Int { buffer.readableBytes }

    /// The next `count` bytes (no copy).
    /// - Throws: 400 when fewer remain.
    mutating func take(_ count: Int, field: String) throws -> ByteBuffer {
        guard count >= 0, count <= buffer.readableBytes, let slice = buffer.readSlice(length: count) else {
            throw V2Codec.bad("'\(field)' declares \(count) bytes of binary data but only \(buffer.readableBytes) remain in the body")
        }
        return slice
    }

    /// Checks every byte was taken.
    /// - Throws: 400 for trailing bytes.
    func finish() throws {
        guard remaining == 0 else {
            throw V2Codec.bad("the body has \(remaining) bytes of binary data after the last binary input")
        }
    }
}

enum V2Binary {
    /// A tensor's `parameters.binary_data_size`, nil when absent.
    /// - Throws: 400 unless it is a non-negative integer.
    static func declaredSize(_ parameters: JSONValue?, field: String) throws -> Int? {
        guard case let .object(members)? = parameters, let value = members["binary_data_size"] else { return nil }
        guard case let .int(size) = value, size >= 0, size <= Int64(Int.max) else {
            throw V2Codec.bad("'\(field).binary_data_size' must be a non-negative integer")
        }
        return Int(size)
    }

    /// The next `size` bytes of `binary` for a tensor that declared them,
    /// checking the tensor has no `data` and the body carries binary data.
    static func section(_ size: Int, hasData: Bool, binary: inout BinarySections?, field: String) throws -> ByteBuffer {
        guard !hasData else { throw V2Codec.bad("'\(field)' has both 'data' and 'parameters.binary_data_size'") }
        guard var sections = binary else {
            throw V2Codec.bad("'\(field)' declares binary_data_size but the request has no Inference-Header-Content-Length header")
        }
        let bytes = try sections.take(size, field: "\(field).parameters")
        binary = sections
        return bytes
    }

    /// Checks `size` is `count` elements of `datatype` (a fixed-size type).
    static func checkSize(_ size: Int, count: Int, datatype: DType, shape: [Int], field: String) throws {
        let (expected, overflow) = count.multipliedReportingOverflow(by: datatype.byteSize)
        guard !overflow, expected == size else {
            throw V2Codec.bad("'\(field).binary_data_size' is \(size) bytes but shape \(shape) of \(datatype.v2Name) needs \(overflow ? "more than \(Int.max)" : String(expected))")
        }
    }

    /// A fixed-size section (already checked to hold `shape`'s elements)
    /// as a tensor, copied straight from the bytes; BOOL bytes must be 0 or
    /// 1 and floats finite.
    static func tensor(_ bytes: ByteBuffer, dtype: DType, shape: Shape, field: String) throws -> AnyTensor {
        let tensor = bytes.withUnsafeReadableBytes { AnyTensor.fromLittleEndian($0, dtype: dtype, shape: shape) }
        var invalid: Int?
        switch tensor {
        case .bool:
            let raw = Array(bytes.readableBytesView)
            if let i = raw.firstIndex(where: { $0 > 1 }) {
                throw V2Codec.bad("'\(field)' element \(i) is a BOOL byte \(raw[i]); expected 0 or 1")
            }
        case let .float16(t): invalid = t.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
        case let .float32(t): invalid = t.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
        case let .float64(t): invalid = t.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
        default: break
        }
        if let invalid { throw V2Codec.bad("'\(field)' element \(invalid) is not a finite number") }
        return tensor
    }

    /// `count` BYTES elements, each a 4-byte little-endian length then the
    /// bytes (UTF-8 text), filling the section exactly.
    /// - Throws: 400 for a length past the section, invalid UTF-8 or
    ///   leftover bytes.
    static func strings(_ bytes: ByteBuffer, count: Int, field: String) throws -> [String] {
        guard count <= bytes.readableBytes / 4 else {
            throw V2Codec.bad("'\(field)' has \(bytes.readableBytes) bytes, too few for \(count) BYTES elements")
        }
        var buffer = bytes
        var out: [String] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            guard let length = buffer.readInteger(endianness: .little, as: UInt32.self), Int(length) <= buffer.readableBytes,
                  let text = buffer.readSlice(length: Int(length)) else {
                throw V2Codec.bad("'\(field)' element \(i) runs past its binary section")
            }
            guard let string = String(validating: text.readableBytesView, as: UTF8.self) else {
                throw V2Codec.bad("'\(field)' element \(i) is not valid UTF-8")
            }
            out.append(string)
        }
        guard buffer.readableBytes == 0 else {
            throw V2Codec.bad("'\(field)' has \(buffer.readableBytes) bytes after its \(count) BYTES elements")
        }
        return out
    }
}
