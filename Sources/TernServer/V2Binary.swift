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

extension V2DataType {
    /// Bytes per element in binary form; nil for BYTES (length-prefixed).
    var byteSize: Int? {
        switch self {
        case .BOOL, .UINT8, .INT8: return 1
        case .UINT16, .INT16, .FP16: return 2
        case .UINT32, .INT32, .FP32: return 4
        case .UINT64, .INT64, .FP64: return 8
        case .BYTES: return nil
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

    /// Checks `size` is `count` elements of `datatype`.
    static func checkSize(_ size: Int, count: Int, datatype: V2DataType, shape: [Int], field: String) throws {
        guard let width = datatype.byteSize else { return }
        let (expected, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, expected == size else {
            throw V2Codec.bad("'\(field).binary_data_size' is \(size) bytes but shape \(shape) of \(datatype.rawValue) needs \(overflow ? "more than \(Int.max)" : String(expected))")
        }
    }

    /// A tensor model's input from its binary section: UINT8 bytes and FP32
    /// values go straight into the tensor; other numeric types convert as
    /// the JSON path converts them.
    static func modelInput(_ bytes: ByteBuffer, datatype: V2DataType, batch: Int, model: TernModel, field: String) throws -> ModelInput {
        let shape = model.spec.input.shape.batched(batch)
        let count = shape.count
        if datatype == .UINT8, model.spec.input.dtype == .uint8 {
            var tensor = Tensor<UInt8>(uninitialized: shape)
            if count > 0 {
                tensor.withUnsafeMutableBufferPointer { dst in
                    bytes.withUnsafeReadableBytes { src in _ = UnsafeMutableRawBufferPointer(dst).copyBytes(from: src.prefix(count)) }
                }
            }
            return .uint8(tensor)
        }
        if datatype == .FP32 { return .float32(try floats(bytes, shape: shape, field: field)) }
        let values = try doubles(bytes, datatype: datatype, field: field)
        try V2Codec.checkValues(values, datatype: datatype, field: field)
        let integral = datatype == .BOOL || datatype.integerRange != nil
        return try TensorJSON.modelInput(values, batch: batch, model: model, preferBytes: integral, field: field)
    }

    /// An FP32 section (already checked to hold `shape`'s elements) as a
    /// tensor, refusing NaN and infinities.
    static func floats(_ bytes: ByteBuffer, shape: Shape, field: String) throws -> Tensor<Float> {
        var tensor = Tensor<Float>(uninitialized: shape)
        let count = shape.count
        var invalid: Int?
        if count > 0 {
            tensor.withUnsafeMutableBufferPointer { dst in
                bytes.withUnsafeReadableBytes { src in
                    for i in 0..<count {
                        let value = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                        guard value.isFinite else { invalid = i; return }
                        dst[i] = value
                    }
                }
            }
        }
        if let invalid { throw V2Codec.bad("'\(field)' element \(invalid) is not a finite number") }
        return tensor
    }

    /// The elements of a fixed-size numeric section as doubles (BOOL must
    /// be 0 or 1).
    /// - Throws: 400 for FP16, BYTES or a BOOL byte other than 0 and 1.
    static func doubles(_ bytes: ByteBuffer, datatype: V2DataType, field: String) throws -> [Double] {
        guard let width = datatype.byteSize, datatype != .FP16 else {
            throw V2Codec.bad("binary \(datatype.rawValue) data is not supported for '\(field)'")
        }
        let count = bytes.readableBytes / width
        return try bytes.withUnsafeReadableBytes { src in
            var out = [Double]()
            out.reserveCapacity(count)
            for i in 0..<count {
                let offset = i * width
                func load<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: src.loadUnaligned(fromByteOffset: offset, as: T.self)) }
                switch datatype {
                case .BOOL:
                    let b = src[offset]
                    guard b <= 1 else { throw V2Codec.bad("'\(field)' element \(i) is a BOOL byte \(b); expected 0 or 1") }
                    out.append(Double(b))
                case .UINT8: out.append(Double(src[offset]))
                case .INT8: out.append(Double(Int8(bitPattern: src[offset])))
                case .UINT16: out.append(Double(load(UInt16.self)))
                case .INT16: out.append(Double(load(Int16.self)))
                case .UINT32: out.append(Double(load(UInt32.self)))
                case .INT32: out.append(Double(load(Int32.self)))
                case .UINT64: out.append(Double(load(UInt64.self)))
                case .INT64: out.append(Double(load(Int64.self)))
                case .FP32: out.append(Double(Float(bitPattern: load(UInt32.self))))
                case .FP64: out.append(Double(bitPattern: load(UInt64.self)))
                case .FP16, .BYTES: break
                }
            }
            return out
        }
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
