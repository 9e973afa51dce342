import Foundation
import Testing
import TernData

@Suite struct GzipTests {
    let sample: [UInt8] = Array("the quick brown fox jumps over the lazy dog, again and again and again".utf8)

    @Test func roundTripsThroughCompress() throws {
        let compressed = try Gzip.compress(sample)
        #expect(Gzip.isGzip(compressed))
        #expect(try Gzip.decompress(compressed, maxOutputBytes: 1000) == sample)
        #expect(try Gzip.decompress(Data(compressed), maxOutputBytes: 1000) == sample)
    }

    @Test func passesRawBytesThrough() throws {
        #expect(try Gzip.decompress(sample, maxOutputBytes: 1000) == sample)
        #expect(try Gzip.decompress([], maxOutputBytes: 0) == [])
        #expect(throws: GzipError.outputTooLarge(limit: 10)) { try Gzip.decompress(sample, maxOutputBytes: 10) }
    }

    @Test func decompressesConcatenatedMembers() throws {
        let two = try Gzip.compress(Array("abc".utf8)) + Gzip.compress(Array("def".utf8))
        #expect(try Gzip.decompress(two, maxOutputBytes: 100) == Array("abcdef".utf8))
    }

    @Test func decompressesAHandWrittenStoredMember() throws {
        // A gzip member with one stored (uncompressed) deflate block holding "hi":
        // header, BFINAL=1 BTYPE=00, LEN 2, NLEN ~2, data, CRC-32 of "hi", ISIZE 2.
        let bytes: [UInt8] = [
            0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF,
            0x01, 0x02, 0x00, 0xFD, 0xFF, 0x68, 0x69,
            0xAC, 0x2A, 0x93, 0xD8, 0x02, 0x00, 0x00, 0x00,
        ]
        #expect(try Gzip.decompress(bytes, maxOutputBytes: 2) == Array("hi".utf8))
    }

    @Test func rejectsTruncatedStreams() throws {
        let compressed = try Gzip.compress(sample)
        for cut in [2, 5, 10, compressed.count - 4, compressed.count - 1] {
            #expect(throws: GzipError.truncated) {
                try Gzip.decompress(Array(compressed.prefix(cut)), maxOutputBytes: 1000)
            }
        }
    }

    @Test func rejectsCorruptStreams() throws {
        var compressed = try Gzip.compress(sample)
        compressed[2] = 0x07  // compression method other than deflate
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed, maxOutputBytes: 1000) }

        var badChecksum = try Gzip.compress(sample)
        badChecksum[badChecksum.count - 6] ^= 0xFF  // inside the CRC-32
        #expect(throws: GzipError.self) { try Gzip.decompress(badChecksum, maxOutputBytes: 1000) }
        do {
            _ = try Gzip.decompress(badChecksum, maxOutputBytes: 1000)
        } catch let error as GzipError {
            guard case .corrupt = error else { Issue.record("expected corrupt, got \(error)"); return }
            #expect("\(error)".contains("corrupt"))
        }

        let garbage: [UInt8] = [0x1F, 0x8B] + [UInt8](repeating: 0xFF, count: 64)
        #expect(throws: GzipError.self) { try Gzip.decompress(garbage, maxOutputBytes: 1000) }
    }

    @Test func rejectsTrailingGarbage() throws {
        let compressed = try Gzip.compress(sample) + [1, 2, 3]
        #expect(throws: GzipError.trailingBytes(count: 3)) { try Gzip.decompress(compressed, maxOutputBytes: 1000) }
    }

    @Test func stopsABombAtTheCap() throws {
        // 16 MiB of zeros compress to about 16 KiB.
        let bomb = try Gzip.compress([UInt8](repeating: 0, count: 16 << 20), level: 9)
        #expect(bomb.count < 100_000)
        #expect(throws: GzipError.outputTooLarge(limit: 1 << 20)) {
            try Gzip.decompress(bomb, maxOutputBytes: 1 << 20)
        }
        #expect(try Gzip.decompress(bomb, maxOutputBytes: 16 << 20).count == 16 << 20)
        #expect(throws: GzipError.outputTooLarge(limit: (16 << 20) - 1)) {
            try Gzip.decompress(bomb, maxOutputBytes: (16 << 20) - 1)
        }
    }
}
