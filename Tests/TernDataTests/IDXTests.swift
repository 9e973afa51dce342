import Foundation
import Testing
import TernData
import TernTensor

@Suite struct IDXTests {
    @Test func parsesUnsignedBytes() throws {
        let bytes = idxHeader(dims: [2, 3]) + [1, 2, 3, 4, 5, 6]
        let array = try IDX.parse(bytes)
        #expect(array.shape == [2, 3])
        #expect(array.dtype == .uint8)
        #expect(try array.idxTensor(of: UInt8.self).scalars == [1, 2, 3, 4, 5, 6])
        #expect(throws: IDXError.unexpectedDataType(expected: "float", actual: "ubyte")) { try array.idxTensor(of: Float.self) }
    }

    @Test func parsesBigEndianFloatsAndInts() throws {
        // 1.0 = 0x3F800000, -2.5 = 0xC0200000
        let floats = try IDX.parse(idxHeader(type: 0x0D, dims: [2]) + [0x3F, 0x80, 0, 0, 0xC0, 0x20, 0, 0])
        #expect(try floats.idxTensor(of: Float.self).scalars == [1.0, -2.5])
        let ints = try IDX.parse(idxHeader(type: 0x0C, dims: [2]) + [0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFE])
        #expect(ints == .int32(Tensor<Int32>([256, -2])))
    }

    @Test func encodeThenParseRoundTrips() throws {
        let t = try Tensor<UInt8>(shape: [2, 2, 3], scalars: (0..<12).map { UInt8($0 * 20) })
        #expect(try IDX.parse(IDX.encode(t)) == .uint8(t))
    }

    @Test func rejectsHostileHeaders() {
        #expect(throws: IDXError.truncatedHeader(byteCount: 0, needed: 4)) { try IDX.parse([]) }
        #expect(throws: IDXError.truncatedHeader(byteCount: 3, needed: 4)) { try IDX.parse([0, 0, 8]) }
        #expect(throws: IDXError.badMagic(0x1F, 0x8B)) { try IDX.parse([0x1F, 0x8B, 8, 1, 0, 0, 0, 1, 0]) }
        #expect(throws: IDXError.badMagic(0x00, 0x01)) { try IDX.parse([0, 1, 8, 1, 0, 0, 0, 1, 0]) }
        #expect(throws: IDXError.invalidRank(0)) { try IDX.parse([0, 0, 8, 0]) }
        #expect(throws: IDXError.invalidRank(5)) { try IDX.parse(idxHeader(dims: [1, 1, 1, 1, 1]) + [0]) }
        #expect(throws: IDXError.truncatedHeader(byteCount: 10, needed: 16)) {
            try IDX.parse(Array(idxHeader(dims: [10, 28, 28]).prefix(10)))
        }
        #expect(throws: IDXError.zeroDimension(axis: 1, dimensions: [3, 0])) { try IDX.parse(idxHeader(dims: [3, 0])) }
        #expect(throws: IDXError.tooManyElements(dimensions: [0xFFFF_FFFF], limit: IDX.maxElements)) {
            try IDX.parse(idxHeader(dims: [0xFFFF_FFFF]) + [1, 2, 3])
        }
        #expect(throws: IDXError.tooManyElements(dimensions: [0x10000, 0x10000], limit: IDX.maxElements)) {
            try IDX.parse(idxHeader(dims: [0x10000, 0x10000]))
        }
        // Large but within the element limit: rejected because the data is not there.
        #expect(throws: IDXError.truncatedData(expectedBytes: 4 * 60_000_000, actualBytes: 0)) {
            try IDX.parse(idxHeader(type: 0x0D, dims: [60_000_000]))
        }
    }

    /// Every IDX element type reads, big-endian, into the tensor of its type.
    @Test func readsEveryElementType() throws {
        #expect(try IDX.parse(idxHeader(type: 0x09, dims: [2]) + [0xFF, 0x02]) == .int8(Tensor([-1, 2])))
        #expect(try IDX.parse(idxHeader(type: 0x0B, dims: [1]) + [0xFF, 0xFE]) == .int16(Tensor([-2])))
        #expect(try IDX.parse(idxHeader(type: 0x0E, dims: [1]) + [0x3F, 0xF8, 0, 0, 0, 0, 0, 0]) == .float64(Tensor([1.5])))
    }

    @Test func namesUnsupportedTypeCodes() {
        for code: UInt8 in [0x01, 0x0A, 0xFF] {
            #expect(throws: IDXError.unsupportedDataType(code: code)) { try IDX.parse(idxHeader(type: code, dims: [1]) + [0]) }
        }
        let message = "\(IDXError.unsupportedDataType(code: 0x42))"
        #expect(message.contains("0x42") && message.contains("0x0E double"), "\(message)")
    }

    @Test func rejectsTruncatedDataAndTrailingBytes() {
        #expect(throws: IDXError.truncatedData(expectedBytes: 6, actualBytes: 5)) {
            try IDX.parse(idxHeader(dims: [2, 3]) + [1, 2, 3, 4, 5])
        }
        #expect(throws: IDXError.truncatedData(expectedBytes: 8, actualBytes: 7)) {
            try IDX.parse(idxHeader(type: 0x0D, dims: [2]) + [0, 0, 0, 0, 0, 0, 0])
        }
        #expect(throws: IDXError.trailingBytes(count: 2)) {
            try IDX.parse(idxHeader(dims: [2, 3]) + [1, 2, 3, 4, 5, 6, 7, 8])
        }
    }

    @Test func readsRawAndGzipFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let bytes = idxHeader(dims: [2, 2]) + [9, 8, 7, 6]
        let raw = try dir.write(bytes, to: "a-idx2-ubyte")
        let gz = try dir.write(try Gzip.compress(bytes), to: "a-idx2-ubyte.gz")
        #expect(try IDX.read(contentsOf: raw) == IDX.parse(bytes))
        #expect(try IDX.read(contentsOf: gz) == IDX.parse(bytes))
    }

    @Test func fileErrorsNameTheFileButNotThePath() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let missing = dir.url.appendingPathComponent("nope-idx1-ubyte")
        #expect(throws: IDXError.fileNotFound(name: "nope-idx1-ubyte")) { try IDX.read(contentsOf: missing) }
        #expect(!"\(IDXError.fileNotFound(name: "nope-idx1-ubyte"))".contains(dir.url.path))
        #expect(throws: IDXError.unreadable(name: dir.url.lastPathComponent, reason: "it is a directory")) {
            try IDX.read(contentsOf: dir.url)
        }

        let empty = try dir.write([], to: "empty.idx")
        #expect(throws: IDXError.inFile(name: "empty.idx", .truncatedHeader(byteCount: 0, needed: 4))) {
            try IDX.read(contentsOf: empty)
        }
        let compressed = try Gzip.compress(idxHeader(dims: [2, 3]) + [1, 2, 3, 4, 5, 6])
        let corrupt = try dir.write(Array(compressed.prefix(compressed.count - 5)), to: "cut.gz")
        #expect(throws: IDXError.inFile(name: "cut.gz", .decompression(.truncated))) { try IDX.read(contentsOf: corrupt) }
        let error = IDXError.inFile(name: "cut.gz", .decompression(.truncated))
        #expect("\(error)" == "cut.gz: gzip: the compressed data is truncated")
    }

    @Test func aGzipBombStopsAtTheLimit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let bomb = idxHeader(dims: [8 << 20]) + [UInt8](repeating: 0, count: 8 << 20)
        let file = try dir.write(try Gzip.compress(bomb, level: 9), to: "bomb-idx1-ubyte.gz")
        #expect(throws: IDXError.inFile(name: "bomb-idx1-ubyte.gz", .decompression(.outputTooLarge(limit: 1 << 20)))) {
            try IDX.read(contentsOf: file, maxBytes: 1 << 20)
        }
        let big = try dir.write([UInt8](repeating: 0, count: 2048), to: "big")
        #expect(throws: IDXError.inFile(name: "big", .tooLarge(byteCount: 2048, limit: 1024))) {
            try IDX.read(contentsOf: big, maxBytes: 1024)
        }
    }
}
