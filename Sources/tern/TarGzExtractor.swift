import CZlib
import Foundation

/// Reads a gzip file as a stream of decompressed bytes.
final class GzipInputStream {
    private let handle: FileHandle
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var input = Data()
    private var output = [UInt8](repeating: 0, count: 256 * 1024)
    private var outputStart = 0, outputEnd = 0
    private var ended = false
    private let path: String

    init(url: URL) throws {
        path = url.lastPathComponent
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw CLIError("cannot read \(url.path)") }
        self.handle = handle
        stream.initialize(to: z_stream())
        // windowBits 15 + 16: gzip wrapper only.
        guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw CLIError("\(path): zlib could not start")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        try? handle.close()
    }

    /// Fills `buffer` completely; returns the bytes read, fewer only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            if outputStart == outputEnd {
                if ended { break }
                try refill()
                continue
            }
            let n = min(buffer.count - filled, outputEnd - outputStart)
            output.withUnsafeBytes { src in
                (buffer.baseAddress! + filled).copyMemory(from: src.baseAddress! + outputStart, byteCount: n)
            }
            outputStart += n
            filled += n
        }
        return filled
    }

    private func refill() throws {
        outputStart = 0
        outputEnd = 0
        while outputEnd == 0 && !ended {
            if input.isEmpty {
                input = try handle.read(upToCount: 256 * 1024) ?? Data()
                if input.isEmpty { throw CLIError("\(path): the gzip stream is truncated") }
            }
            let (status, consumed, produced) = input.withUnsafeMutableBytes { inBytes in
                output.withUnsafeMutableBytes { outBytes in
                    stream.pointee.next_in = inBytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_in = uInt(inBytes.count)
                    stream.pointee.next_out = outBytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(outBytes.count)
                    let status = inflate(stream, Z_NO_FLUSH)
                    return (status, inBytes.count - Int(stream.pointee.avail_in), outBytes.count - Int(stream.pointee.avail_out))
                }
            }
            input.removeFirst(consumed)
            outputEnd = produced
            switch status {
            case Z_OK: continue
            case Z_STREAM_END: ended = true
            case Z_BUF_ERROR where consumed == 0 && produced == 0 && !input.isEmpty:
                throw CLIError("\(path): zlib made no progress")
            case Z_BUF_ERROR: continue
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "code \(status)"
                throw CLIError("\(path): the gzip data is corrupt (\(reason))")
            }
        }
    }
}

/// Extracts chosen regular files from a `.tar.gz` (ustar/GNU tar) into a
/// directory, by their base names. Entries with absolute paths or `..`
/// components make it fail; links, devices and other members are skipped.
enum TarGzExtractor {
    /// - Returns: the names extracted.
    @discardableResult
    static func extract(_ archive: URL, members wanted: Set<String>, into directory: URL) throws -> [String] {
        let gzip = try GzipInputStream(url: archive)
        let archiveName = archive.lastPathComponent
        var header = [UInt8](repeating: 0, count: 512)
        var extracted: [String] = []
        var zeroBlocks = 0
        var longName: String?
        var paxPath: String?
        while true {
            let n = try header.withUnsafeMutableBytes { try gzip.read(into: $0) }
            if n == 0 { break }
            guard n == 512 else { throw CLIError("\(archiveName): the tar archive is truncated") }
            if header.allSatisfy({ $0 == 0 }) {
                zeroBlocks += 1
                if zeroBlocks == 2 { break }
                continue
            }
            zeroBlocks = 0
            guard checksumMatches(header) else { throw CLIError("\(archiveName): a tar header is corrupt") }
            let size = try parseNumber(header[124..<136], archive: archiveName)
            let type = header[156]
            switch type {
            case UInt8(ascii: "L"):
                longName = cString(try readData(gzip, size, archiveName))
                continue
            case UInt8(ascii: "x"):
                paxPath = paxValue("path", in: try readData(gzip, size, archiveName))
                continue
            case UInt8(ascii: "g"):
                _ = try readData(gzip, size, archiveName)
                continue
            default:
                break
            }
            var path = cString(Array(header[0..<100]))
            let magic = cString(Array(header[257..<263]))
            if magic == "ustar" {
                let prefix = cString(Array(header[345..<500]))
                if !prefix.isEmpty { path = prefix + "/" + path }
            }
            if let name = paxPath ?? longName { path = name }
            longName = nil
            paxPath = nil

            let components = path.split(separator: "/", omittingEmptySubsequences: true)
            guard !path.hasPrefix("/"), !components.contains("..") else {
                throw CLIError("\(archiveName): refusing the unsafe archive entry '\(path)'")
            }
            let isRegular = type == UInt8(ascii: "0") || type == 0
            if isRegular, let base = components.last.map(String.init), wanted.contains(base) {
                try extractFile(gzip, size: size, to: directory.appendingPathComponent(base), in: directory, archive: archiveName)
                extracted.append(base)
            } else {
                try skip(gzip, padded(size), archiveName)
            }
        }
        let missing = wanted.subtracting(extracted)
        guard missing.isEmpty else {
            throw CLIError("\(archiveName) does not contain \(missing.sorted().joined(separator: ", "))")
        }
        return extracted
    }

    private static func padded(_ size: Int64) -> Int64 { (size + 511) / 512 * 512 }

    private static func extractFile(_ gzip: GzipInputStream, size: Int64, to final: URL, in directory: URL, archive: String) throws {
        let part = directory.appendingPathComponent(final.lastPathComponent + ".part")
        let fd = open(part.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIError("cannot write \(part.path): \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var remaining = padded(size)
        var toWrite = size
        do {
            while remaining > 0 {
                let want = Int(min(Int64(buffer.count), remaining))
                let got = try buffer.withUnsafeMutableBytes { try gzip.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
                guard got == want else { throw CLIError("\(archive): the tar archive is truncated") }
                remaining -= Int64(got)
                let keep = Int(min(Int64(got), toWrite))
                toWrite -= Int64(keep)
                var done = 0
                while done < keep {
                    let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, keep - done) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw CLIError("cannot write \(part.path): \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
            }
            close(fd)
            try commit(part, to: final, in: directory)
        } catch {
            close(fd)
            try? FileManager.default.removeItem(at: part)
            throw error
        }
    }

    private static func readData(_ gzip: GzipInputStream, _ size: Int64, _ archive: String) throws -> [UInt8] {
        guard size <= 1 << 20 else { throw CLIError("\(archive): a tar metadata entry is too large") }
        var data = [UInt8](repeating: 0, count: Int(padded(size)))
        let got = try data.withUnsafeMutableBytes { try gzip.read(into: $0) }
        guard got == data.count else { throw CLIError("\(archive): the tar archive is truncated") }
        return Array(data[0..<Int(size)])
    }

    private static func skip(_ gzip: GzipInputStream, _ count: Int64, _ archive: String) throws {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var remaining = count
        while remaining > 0 {
            let want = Int(min(Int64(buffer.count), remaining))
            let got = try buffer.withUnsafeMutableBytes { try gzip.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            guard got == want else { throw CLIError("\(archive): the tar archive is truncated") }
            remaining -= Int64(got)
        }
    }

    private static func checksumMatches(_ header: [UInt8]) -> Bool {
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard let stored = try? parseNumber(header[148..<156], archive: "") else { return false }
        return Int64(sum) == stored
    }

    /// Octal (NUL/space terminated), or GNU base-256 when the high bit is set.
    private static func parseNumber(_ field: ArraySlice<UInt8>, archive: String) throws -> Int64 {
        if let first = field.first, first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x7F)
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else { throw CLIError("\(archive): a tar size is too large") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        let text = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int64(text, radix: 8), value >= 0 else { throw CLIError("\(archive): a tar header has a bad number '\(text)'") }
        return value
    }

    private static func cString(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The value of `key` in pax extended header records (`len key=value\n`).
    private static func paxValue(_ key: String, in data: [UInt8]) -> String? {
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                  index + length <= data.count else { return nil }
            let record = String(decoding: data[(space + 1)..<(index + length)], as: UTF8.self)
            if let eq = record.firstIndex(of: "="), record[..<eq] == key {
                var value = String(record[record.index(after: eq)...])
                if value.hasSuffix("\n") { value.removeLast() }
                return value
            }
            index += length
        }
        return nil
    }
}
