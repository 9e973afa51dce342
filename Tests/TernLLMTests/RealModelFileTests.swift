import Foundation
import Testing
@testable import TernLLM

/// The real model files of issue 13 (fetched by `scripts/fetch_models.sh`,
/// which `.ci/run` calls): their headers read, and every tensor's bytes lie
/// inside the file. Skipped, saying so, when a file is not in the cache.
@Suite struct RealModelFileTests {
    static let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["TERN_MODELS_DIR"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".tern/models").path)

    static func file(_ name: String) -> URL? {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            print("⚠️  \(name) is not in \(directory.path): run scripts/fetch_models.sh; the test reading it is skipped")
            return nil
        }
        return url
    }

    @Test(.enabled(if: file("SmolLM2-135M-Instruct.Q4_1.gguf") != nil))
    func smolLM2() throws {
        let gguf = try GGUFFile(contentsOf: try #require(Self.file("SmolLM2-135M-Instruct.Q4_1.gguf")))
        #expect(gguf.architecture == "llama")
        #expect(gguf.metadata["llama.block_count"]?.int == 30)
        #expect(gguf.metadata["llama.embedding_length"]?.int == 576)
        #expect(gguf.metadata["llama.attention.head_count"]?.int == 9)
        #expect(gguf.metadata["llama.attention.head_count_kv"]?.int == 3)
        #expect(gguf.metadata["llama.feed_forward_length"]?.int == 1536)
        #expect(gguf.metadata["llama.rope.freq_base"]?.double == 100_000)
        #expect(gguf.metadata["tokenizer.ggml.tokens"]?.array?.count == 49_152)
        #expect(gguf.metadata["tokenizer.chat_template"]?.string?.contains("<|im_start|>") == true)
        let types = Set(gguf.tensors.map(\.type))
        #expect(types.isSubset(of: [.q4_1, .q8_0, .f32]), "\(types)")
        #expect(gguf.tensor("token_embd.weight")?.type == .q8_0)
        #expect(gguf.tensor("token_embd.weight")?.dimensions == [576, 49_152])
        #expect(gguf.tensors.count == 30 * 9 + 2)
    }

    @Test(.enabled(if: file("gemma-3-270m-q4_k_m.gguf") != nil))
    func gemma3() throws {
        let gguf = try GGUFFile(contentsOf: try #require(Self.file("gemma-3-270m-q4_k_m.gguf")))
        #expect(gguf.architecture == "gemma3")
        #expect(gguf.metadata["gemma3.block_count"]?.int == 18)
        let types = Set(gguf.tensors.map(\.type))
        // As gguf-py 0.19.0 reads the file: 236 tensors, F32 109, Q5_0 81, Q4_K 27, Q8_0 10, Q6_K 9.
        #expect(types == [.q4_K, .q6_K, .q5_0, .q8_0, .f32], "\(types)")
        #expect(gguf.tensors.count == 236)
        #expect(gguf.tensors.filter { $0.type == .q5_0 }.count == 81)
    }
}

/// One tensor of each type in the real files, dequantized by Tern's
/// reference loops, against gguf-py 0.19.0 (`scripts/make_gguf_fixtures.py`
/// wrote its first values and sums).
@Suite struct RealTensorDequantizeTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var tensor: String
        var first: [Float]
        var sum: Double
        var absSum: Double
        var description: String { "\(file) \(tensor)" }
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/real_tensors.json")
        guard let data = try? Data(contentsOf: url), let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.compactMap { e in
            guard let file = e["file"] as? String, let tensor = e["tensor"] as? String, let first = e["first"] as? [Double],
                  let sum = e["sum"] as? Double, let absSum = e["abs_sum"] as? Double else { return nil }
            return Case(file: file, tensor: tensor, first: first.map(Float.init), sum: sum, absSum: absSum)
        }
    }()

    @Test func theFixtureCoversEveryTypeOfBothModels() {
        #expect(Self.cases.count == 6)
    }

    @Test(arguments: cases)
    func matchesGGUFPy(_ c: Case) throws {
        guard let url = RealModelFileTests.file(c.file) else { return }
        let gguf = try GGUFFile(contentsOf: url)
        let info = try #require(gguf.tensor(c.tensor))
        let values = gguf.withBytes(of: info) { info.type.dequantize($0) }
        #expect(values.count == info.elementCount)
        for (i, (g, e)) in zip(values, c.first).enumerated() {
            #expect(abs(g - e) <= 1e-6 * max(1, abs(e)), "\(c) [\(i)]: \(g) vs \(e)")
        }
        let sum = values.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sum - c.sum) <= 1e-6 * c.absSum, "\(c): sum \(sum) vs \(c.sum)")
    }
}
