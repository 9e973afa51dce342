import Foundation
import Testing
import TernTensor
import TernNN
import TernFormats
import TernTesting

@Suite struct ArtifactTests {
    func smallModel() throws -> TernModel {
        try TernModel(spec: exampleSpec("mnist-cnn"), seed: 3)
    }

    @Test func saveThenLoadGivesIdenticalPredictions() throws {
        let model = try smallModel()
        let bytes = try model.artifactBytes()
        let loaded = try TernModel(artifact: bytes)
        let x = randomTensor([4, 28, 28], seed: 1, low: 0, high: 255)
        #expect(try loaded.predict(x) == model.predict(x))
        #expect(loaded.spec == model.spec)
        #expect(loaded.weightsChecksum == model.weightsChecksum)
        #expect(try loaded.artifactBytes() == bytes, "saving is deterministic")
    }

    @Test func savedFileRoundTrips() throws {
        let model = try smallModel()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tern-artifact-\(UUID().uuidString).tern")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let loaded = try TernModel(contentsOf: url)
        #expect(loaded.network.parameters.map(\.value) == model.network.parameters.map(\.value))
    }

    @Test func flippedWeightByteIsRefused() throws {
        var bytes = try smallModel().artifactBytes()
        bytes[bytes.count - 100] ^= 0x01
        let text = errorText { _ = try TernModel(artifact: bytes) }
        #expect(text.contains("checksum"), "\(text)")
    }

    /// Every byte of the file matters: flipping any one of a sample of
    /// positions (header and data) is refused, never loaded silently or crashing.
    @Test func anyFlippedByteIsRefused() throws {
        let bytes = try smallModel().artifactBytes()
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let i = Int(rng.next() % UInt64(bytes.count))
            var copy = bytes
            copy[i] ^= 0x04
            do {
                let loaded = try TernModel(artifact: copy)
                // A flip inside the JSON padding (spaces) is harmless only if nothing changed.
                #expect(loaded.weightsChecksum == (try smallModel().weightsChecksum), "flip at \(i) loaded different weights")
                #expect(loaded.spec == (try smallModel().spec), "flip at \(i) loaded a different spec")
            } catch {
                #expect(!String(describing: error).isEmpty)
            }
        }
    }

    @Test func truncatedAndForeignFilesAreRefused() throws {
        let bytes = try smallModel().artifactBytes()
        #expect(errorText { _ = try TernModel(artifact: Array(bytes.prefix(bytes.count / 2))) }.contains("artifact"))
        #expect(errorText { _ = try TernModel(artifact: Array(bytes.prefix(5))) }.contains("artifact"))
        #expect(errorText { _ = try TernModel(artifact: Array("hello world, not a model".utf8)) }.contains("artifact"))
    }

    @Test func artifactIsStandardSafetensors() throws {
        // Parse the layout by hand as another reader would: u64 LE header length, JSON header, data.
        let bytes = try smallModel().artifactBytes()
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        let kernel = try #require(header["conv2d/kernel"] as? [String: Any])
        #expect(kernel["dtype"] as? String == "F32")
        #expect(kernel["shape"] as? [Int] == [3, 3, 1, 32])
        let offsets = try #require(kernel["data_offsets"] as? [Int])
        #expect(offsets[1] - offsets[0] == 3 * 3 * 32 * 4)
        let meta = try #require(header["__metadata__"] as? [String: String])
        #expect(meta["format"] == "tern.model")
    }
}
