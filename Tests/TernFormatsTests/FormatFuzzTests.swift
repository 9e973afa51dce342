import Foundation
import Testing
import TernFormats
import TernTensor
import TernTesting

/// Mutated valid files through the model readers: every case is either
/// read or refused with an error, never a crash, and nothing a file
/// declares is allocated past the limits (``Mutator`` explains the cases;
/// `TERN_FUZZ_CASES=100000 swift test --filter FormatFuzzTests` for a long run).
@Suite struct FormatFuzzTests {
    /// A Tern artifact (safetensors with the spec in its metadata) of a
    /// small table-shaped network.
    @Test func safetensorsArtifacts() throws {
        let spec = try JSONDecoder().decode(ModelSpec.self, from: Data("""
            {"input": {"shape": [4]}, "layers": [{"type": "dense", "units": 8, "activation": "relu"},
              {"type": "dense", "units": 3, "activation": "softmax"}],
             "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"}}
            """.utf8))
        let valid = try TernModel(spec: spec, seed: 1).artifactBytes()
        var mutator = Mutator(seed: 11)
        var (read, refused) = (0, 0)
        for _ in 0..<Mutator.cases() {
            let bytes = mutator.mutate(valid)
            _ = try? SafeTensorsFile.decode(bytes)
            do {
                let model = try TernModel(artifact: bytes)
                _ = try model.predict(Tensor<Float>(zeros: [2, 4]))
                read += 1
            } catch {
                refused += 1
            }
        }
        print("fuzz safetensors: \(read + refused) cases, \(read) read, \(refused) refused")
        #expect(refused > 0)
    }
}
