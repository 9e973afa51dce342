import Foundation
import TernData

/// Extracts chosen regular files from a `.tar.gz` (ustar/GNU tar) into a
/// directory, by their base names. Entries with absolute paths or `..`
/// components make it fail; links, devices and other members are skipped.
/// The archive is inflated in memory by ``Gzip`` (at most 1 GiB, so CIFAR's
/// 180 MB tar fits and a bomb does not).
enum TarGzExtractor {
    /// - Returns: the names extracted.
    @discardableResult
    static func extract(_ archive: URL, members wanted: Set<String>, into directory: URL) throws -> [String] {
        let archiveName = archive.lastPathComponent
        guard let compressed = FileManager.default.contents(atPath: archive.path) else {
            throw CLIError("cannot read \(archive.path)")
        }
        let tar: [UInt8]
        do { tar = try Gzip.decompress(compressed, maxOutputBytes: IDX.defaultMaxBytes) } catch let error as GzipError {
            throw CLIError("\(archiveName): \(error.description)")
        }
        var offset = 0
        /// The next `size` bytes of the archive, then skips its padding to 512.
        func take(_ size: Int64) throws -> ArraySlice<UInt8> {
            guard size >= 0, size <= Int64(tar.count - offset) else { throw CLIError("\(archiveName): the tar archive is truncated") }
            let data = tar[offset..<(offset + Int(size))]
            offset = min(tar.count, offset + Int(padded(size)))
            return data
        }
        var extracted: [String] = []
        var zeroBlocks = 0
        var longName: String?
        var paxPath: String?
        while offset < tar.count {
            let header = Array(try take(512))
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
                longName = cString(Array(try metadata(take(size), archiveName)))
                continue
            case UInt8(ascii: "x"):
                paxPath = paxValue("path", in: Array(try metadata(take(size), archiveName)))
                continue
            case UInt8(ascii: "g"):
                _ = try take(size)
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
            let data = try take(size)
            let isRegular = type == UInt8(ascii: "0") || type == 0
            if isRegular, let base = components.last.map(String.init), wanted.contains(base) {
                try write(data, to: directory.appendingPathComponent(base), in: directory)
                extracted.append(base)
            }
        }
        let missing = wanted.subtracting(extracted)
        guard missing.isEmpty else {
            throw CLIError("\(archiveName) does not contain \(missing.sorted().joined(separator: ", "))")
        }
        return extracted
    }

    private static func padded(_ size: Int64) -> Int64 { (size + 511) / 512 * 512 }

    /// A long-name or pax record, refused past 1 MiB.
    private static func metadata(_ data: ArraySlice<UInt8>, _ archive: String) throws -> ArraySlice<UInt8> {
        guard data.count <= 1 << 20 else { throw CLIError("\(archive): a tar metadata entry is too large") }
        return data
    }

    /// Writes `data` to `final.part`, then ``commit(_:to:in:)`` syncs and renames it.
    private static func write(_ data: ArraySlice<UInt8>, to final: URL, in directory: URL) throws {
        let part = directory.appendingPathComponent(final.lastPathComponent + ".part")
        do {
            try Data(data).write(to: part)
            try commit(part, to: final, in: directory)
        } catch {
            try? FileManager.default.removeItem(at: part)
            throw error as? CLIError ?? CLIError("cannot write \(part.path)")
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
