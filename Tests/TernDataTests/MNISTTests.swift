import Foundation
import Testing
import TernTesting
import TernData
import TernTensor

@Suite struct MNISTTests {
    @Test func loadsTheSharedTestSet() throws {
        let data = try MNIST.load(directory: sharedMNISTDirectory)
        #expect(data.count == 10_000)
        #expect(data.images.shape == [10_000, 28, 28])
        #expect(data.labels.shape == [10_000])
        #expect(Array(data.labels.scalars.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        #expect(data.labels[flat: 9_999] == 6)
        // Checksums computed independently (Python's gzip module).
        let first = data.images.scalars.prefix(784).reduce(0) { $0 + Int($1) }
        #expect(first == 18_454)
        #expect(data.images.scalars.reduce(0) { $0 + Int($1) } == 264_923_200)
        #expect(data.labels.scalars.reduce(0) { $0 + Int($1) } == 44_434)
    }

    @Test func findsUncompressedFilesAndChecksCounts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let images = idxHeader(dims: [2, 28, 28]) + [UInt8](repeating: 5, count: 2 * 784)
        _ = try dir.write(images, to: "train-images-idx3-ubyte")
        _ = try dir.write(idxHeader(dims: [2]) + [3, 9], to: "train-labels-idx1-ubyte")
        let data = try MNIST.load(directory: dir.url, split: "train")
        #expect(data.labels.scalars == [3, 9])

        _ = try dir.write(idxHeader(dims: [3]) + [3, 9, 1], to: "train-labels-idx1-ubyte")
        #expect(throws: DatasetError.countMismatch(images: 2, labels: 3)) { try MNIST.load(directory: dir.url, split: "train") }

        _ = try dir.write(idxHeader(dims: [2]) + [3, 10], to: "train-labels-idx1-ubyte")
        #expect(throws: DatasetError.labelOutOfRange(index: 1, value: 10, classCount: 10)) {
            try MNIST.load(directory: dir.url, split: "train")
        }

        _ = try dir.write(idxHeader(dims: [2, 3, 3]) + [UInt8](repeating: 0, count: 18), to: "small-images-idx3-ubyte")
        _ = try dir.write(idxHeader(dims: [2]) + [0, 1], to: "small-labels-idx1-ubyte")
        #expect(throws: DatasetError.invalidShape(role: "MNIST images", shape: [2, 3, 3], expected: "(n, 28, 28)")) {
            try MNIST.load(directory: dir.url, split: "small")
        }
    }

    @Test func reportsMissingFilesAndBadSplits() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let expected = DatasetError.missingFile(name: "t10k-images-idx3-ubyte", directory: dir.url.lastPathComponent)
        #expect(throws: expected) { try MNIST.load(directory: dir.url) }
        #expect(!"\(expected)".contains(FileManager.default.temporaryDirectory.path))
        for split in ["", "../t10k", "a/b", "t10k "] {
            #expect(throws: DatasetError.invalidSplit(split)) { try MNIST.load(directory: dir.url, split: split) }
        }
    }

    @Test func dataLocationHonoursTheEnvironment() {
        let cwd = URL(fileURLWithPath: "/tmp/project", isDirectory: true)
        // No checkout among the candidates: Data/ in the working directory.
        #expect(DataLocation.directory(environment: [:], currentDirectory: cwd, candidates: []).path == "/tmp/project/Data")
        #expect(DataLocation.directory(environment: ["TERN_DATA_DIR": ""], currentDirectory: cwd, candidates: []).path == "/tmp/project/Data")
        // The checkout's Data/ wherever the command runs (it holds SHA256SUMS).
        #expect(DataLocation.directory(environment: [:], currentDirectory: cwd, candidates: [URL(fileURLWithPath: "/nonexistent"), packageRoot]).path
                == packageRoot.appendingPathComponent("Data").path)
        #expect(DataLocation.defaultDirectory.path == packageRoot.appendingPathComponent("Data").path
                || ProcessInfo.processInfo.environment["TERN_DATA_DIR"] != nil)
        #expect(DataLocation.directory(environment: ["TERN_DATA_DIR": "/data/x"], currentDirectory: cwd).path == "/data/x")
        #expect(DataLocation.directory(environment: ["TERN_DATA_DIR": "rel"], currentDirectory: cwd).path == "/tmp/project/rel")
        #expect(DataLocation.mnistDirectory.lastPathComponent == "mnist")
    }
}
