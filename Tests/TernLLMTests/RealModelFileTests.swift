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
