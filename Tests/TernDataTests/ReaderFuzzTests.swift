import Foundation
import Testing
import TernData
import TernTesting

/// Mutated valid files through the data readers (CSV, IDX raw and gzip):
/// every case is read or refused with an error, never a crash; sizes an
/// IDX header declares are checked against the bytes present before
/// anything is allocated, and inflating stops at its output limit.
@Suite struct ReaderFuzzTests {
    @Test func csv() throws {
        let iris = try String(contentsOf: TestPaths.tabularDirectory.appendingPathComponent("iris.csv"), encoding: .utf8)
        let penguins = try String(contentsOf: TestPaths.tabularDirectory.appendingPathComponent("penguins.csv"), encoding: .utf8)
        // Heads of two real files (numbers, categories, missing values) and a quoted one.
        let valid = [iris, penguins].map { text in
            Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(25).joined(separator: "\n").utf8)
        } + [Array("name,note,count\n\"Smith, J\",\"said \"\"hi\"\"\",3\n\"a\nb\",,-2.5e3\nplain,x,\n".utf8)]
        var mutator = Mutator(seed: 21)
        var (read, refused) = (0, 0)
        let cases = Mutator.cases()
        for i in 0..<cases {
            let bytes = mutator.mutate(valid[i % valid.count])
            do {
                let (table, _) = try CSVReader.parse(bytes)
                _ = table.rowCount
                read += 1
            } catch {
                refused += 1
            }
        }
        print("fuzz csv: \(cases) cases, \(read) read, \(refused) refused")
        #expect(read > 0)
    }

    /// A 3-image 5×4 IDX file and its labels, raw and gzip-compressed.
    @Test func idx() throws {
        var images: [UInt8] = [0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 4]
        images += (0..<60).map { UInt8($0 * 4) }
        let labels: [UInt8] = [0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]
        let floats: [UInt8] = [0, 0, 0x0D, 2, 0, 0, 0, 2, 0, 0, 0, 2] + [Float](arrayLiteral: 1, -2, 0.5, 3).flatMap { value in
            withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) }
        }
        let valid = [images, labels, floats]
        let compressed = try valid.map { try Gzip.compress($0) }
        var mutator = Mutator(seed: 22)
        var (read, refused, inflated) = (0, 0, 0)
        let cases = Mutator.cases()
        for i in 0..<cases {
            let useGzip = i % 2 == 1
            let bytes = mutator.mutate(useGzip ? compressed[i % 3] : valid[i % 3])
            do {
                let raw = useGzip ? try Gzip.decompress(bytes, maxOutputBytes: 1 << 20) : bytes
                if useGzip { inflated += 1 }
                _ = try IDX.parse(raw)
                read += 1
            } catch {
                refused += 1
            }
        }
        print("fuzz idx: \(cases) cases (half gzip, \(inflated) inflated), \(read) read, \(refused) refused")
        #expect(read > 0 && refused > 0)
    }
}
