import Foundation
import Testing
import TernONNX
import TernTensor
import TernTesting

/// Mutated ONNX fixtures through the loader and executor: every case is
/// either run or refused with an error, never a crash (``Mutator`` explains
/// the cases; `TERN_FUZZ_CASES=100000 swift test --filter ONNXFuzzTests`).
@Suite struct ONNXFuzzTests {
    /// Every small ONNX fixture, mutated; a graph that still loads is run
    /// on zeros under a 1 Mi-element limit per tensor. `TERN_FUZZ_TRACE=1`
    /// prints each case before it runs and keeps its bytes in
    /// `$TMPDIR/tern-fuzz-case.onnx`, so a crash leaves its input behind.
    @Test func onnxModels() throws {
        let files = try FileManager.default.contentsOfDirectory(at: ONNXFixtures.modelDirectory, includingPropertiesForKeys: [.fileSizeKey])
            .filter { $0.pathExtension == "onnx" && ((try? $0.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? .max) < 32_768 }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let valid = try files.map { Array(try Data(contentsOf: $0)) }
        #expect(valid.count > 50)
        var mutator = Mutator(seed: 12)
        var (read, ran, refused) = (0, 0, 0)
        let cases = Mutator.cases()
        for i in 0..<cases {
            let bytes = mutator.mutate(valid[i % valid.count])
            ONNXLimits.$maxElements.withValue(1 << 20) {
                do {
                    let model = try ONNXModel(bytes: bytes)
                    read += 1
                    if ProcessInfo.processInfo.environment["TERN_FUZZ_TRACE"] != nil {
                        FileHandle.standardError.write(Data("case \(i) \(files[i % files.count].lastPathComponent)\n".utf8))
                        try? Data(bytes).write(to: FileManager.default.temporaryDirectory.appendingPathComponent("tern-fuzz-case.onnx"))
                    }
                    if let zeros = model.zeroInputs() {
                        _ = try model.predict(zeros)
                        ran += 1
                    }
                } catch {
                    refused += 1
                }
            }
        }
        print("fuzz onnx: \(cases) cases over \(valid.count) models, \(read) loaded (\(ran) ran), \(refused) refused")
        #expect(refused > 0 && read > 0)
    }
}
