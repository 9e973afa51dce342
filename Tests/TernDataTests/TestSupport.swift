import Foundation
import TernTesting

/// The MNIST directory: `Data/mnist` (or `$TERN_DATA_DIR/mnist`).
let sharedMNISTDirectory = TestPaths.mnistDirectory

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tern-data-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// An IDX header: magic, type code, rank and big-endian dimensions.
func idxHeader(type: UInt8 = 0x08, dims: [UInt32]) -> [UInt8] {
    var out: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { out += [UInt8(d >> 24), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return out
}
