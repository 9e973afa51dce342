import CZlib
import Foundation

/// Errors from ``Gzip``.
public enum GzipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The decompressed data would exceed the caller's cap (a likely zip bomb).
    case outputTooLarge(limit: Int)
    /// The compressed stream ended before its end marker and checksum.
    case truncated
    /// The stream is not valid gzip/deflate data; `reason` is zlib's message.
    case corrupt(reason: String)
    /// Bytes that are not another gzip member follow the end of the stream.
    case trailingBytes(count: Int)
    /// The input is larger than zlib can take in one buffer (4 GiB).
    case inputTooLarge(byteCount: Int)
    /// zlib failed for a reason unrelated to the data (for example no memory).
    case zlibFailure(code: Int32, reason: String)

    public var description: String {
        switch self {
        case let .outputTooLarge(limit):
            return "gzip: decompressed data exceeds the limit of \(limit) bytes"
        case .truncated:
            return "gzip: the compressed data is truncated"
        case let .corrupt(reason):
            return "gzip: the compressed data is corrupt (\(reason))"
        case let .trailingBytes(count):
            return "gzip: \(count) unexpected bytes follow the end of the compressed stream"
        case let .inputTooLarge(byteCount):
            return "gzip: input of \(byteCount) bytes is too large"
        case let .zlibFailure(code, reason):
            return "gzip: zlib failed with code \(code) (\(reason))"
        }
    }
}

/// gzip decompression (and compression) through the system zlib.
///
/// Decompression streams into a growing buffer and stops with
/// ``GzipError/outputTooLarge(limit:)`` as soon as the output would pass the
/// cap, so a small hostile file cannot exhaust memory.
public enum Gzip {
    private static let chunkSize = 64 * 1024

    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        var it = bytes.makeIterator()
        return it.next() == 0x1F && it.next() == 0x8B
    }

    /// Decompresses gzip data; bytes without the gzip magic are returned as they are.
    ///
    /// Concatenated gzip members are decompressed one after another.
    /// - Parameters:
    ///   - data: the file contents.
    ///   - maxOutputBytes: the most bytes the result may hold (also applied to
    ///     data passed through uncompressed).
    /// - Throws: ``GzipError``.
    public static func decompress(_ data: [UInt8], maxOutputBytes: Int) throws -> [UInt8] {
        guard isGzip(data) else {
            guard data.count <= maxOutputBytes else { throw GzipError.outputTooLarge(limit: maxOutputBytes) }
            return data
        }
        guard data.count <= Int(UInt32.max) else { throw GzipError.inputTooLarge(byteCount: data.count) }
        return try data.withUnsafeBufferPointer { input in
            try inflateAll(input, maxOutputBytes: maxOutputBytes)
        }
    }

    /// ``decompress(_:maxOutputBytes:)`` for `Data`.
    public static func decompress(_ data: Data, maxOutputBytes: Int) throws -> [UInt8] {
        try decompress([UInt8](data), maxOutputBytes: maxOutputBytes)
    }

    /// Compresses `data` into a single gzip member.
    /// - Parameter level: zlib compression level, 0 (none) to 9 (best).
    /// - Throws: ``GzipError`` when zlib fails or the input is over 4 GiB.
    public static func compress(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        guard data.count <= Int(UInt32.max) else { throw GzipError.inputTooLarge(byteCount: data.count) }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        let level = min(max(level, 0), 9)
        // windowBits 15 + 16 asks zlib for a gzip wrapper; memLevel 8 is zlib's default.
        let initStatus = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw failure(initStatus, stream) }
        defer { deflateEnd(stream) }

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        try data.withUnsafeBufferPointer { input in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.pointee.avail_in = uInt(input.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let status = deflate(stream, Z_FINISH)
                    return (status, out.count - Int(stream.pointee.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END { return }
                guard status == Z_OK || status == Z_BUF_ERROR else { throw failure(status, stream) }
            }
        }
        return output
    }

    private static func inflateAll(_ input: UnsafeBufferPointer<UInt8>, maxOutputBytes: Int) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // windowBits 15 + 32: the largest window, with gzip/zlib header auto-detection.
        let initStatus = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw failure(initStatus, stream) }
        defer { inflateEnd(stream) }

        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.pointee.avail_in = uInt(input.count)
        var output: [UInt8] = []
        output.reserveCapacity(min(maxOutputBytes, max(input.count * 4, chunkSize)))
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let (status, produced) = chunk.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                let status = inflate(stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.pointee.avail_out))
            }
            if produced > 0 {
                guard produced <= maxOutputBytes - output.count else {
                    throw GzipError.outputTooLarge(limit: maxOutputBytes)
                }
                output.append(contentsOf: chunk[0..<produced])
            }
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let remaining = Int(stream.pointee.avail_in)
                if remaining == 0 { return output }
                let rest = UnsafeBufferPointer(start: stream.pointee.next_in, count: remaining)
                guard isGzip(rest) else { throw GzipError.trailingBytes(count: remaining) }
                guard inflateReset(stream) == Z_OK else { throw failure(Z_STREAM_ERROR, stream) }
            case Z_BUF_ERROR:
                // No progress was possible although there was room for output:
                // the input ran out before the stream ended.
                throw GzipError.truncated
            case Z_DATA_ERROR, Z_NEED_DICT:
                throw GzipError.corrupt(reason: message(stream) ?? "invalid compressed data")
            default:
                throw failure(status, stream)
            }
        }
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String? {
        stream.pointee.msg.map { String(cString: $0) }
    }

    private static func failure(_ code: Int32, _ stream: UnsafeMutablePointer<z_stream>) -> GzipError {
        let reason: String
        switch code {
        case Z_MEM_ERROR: reason = "out of memory"
        case Z_VERSION_ERROR: reason = "incompatible zlib version"
        case Z_STREAM_ERROR: reason = "inconsistent stream state"
        default: reason = message(stream) ?? "unexpected status"
        }
        return .zlibFailure(code: code, reason: reason)
    }
}
