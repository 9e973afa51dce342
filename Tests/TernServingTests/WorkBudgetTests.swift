import Foundation
import Testing
import TernFormats
import TernServing
import TernTensor

/// One request's prediction stays within the runtime's work budget: a
/// large batch runs in chunks with the same answers, and a batch whose
/// output alone is over the budget is refused before anything is allocated.
@Suite struct WorkBudgetTests {
    @Test func theModelReportsWhatABatchCosts() throws {
        let (model, _) = try exampleModel()
        // Flatten (784 in, 784 out) is the widest step of the 784-128-10 MLP;
        // the input is held twice (as floats and after the pipeline).
        #expect(model.network.inferenceFloatsPerSample == 784 + 784)
        #expect((model.predictionBytes(batch: 1) as Int) == (2 * 784 + 1568) * 4)
        #expect((model.predictionBytes(batch: 1000) as Int) == 1000 * (2 * 784 + 1568) * 4)
        #expect((model.predictionBytes(batch: Int.max / 2) as Int) == Int.max)
    }

    @Test func aConvolutionCountsItsIm2colMatrix() throws {
        let spec = try JSONDecoder().decode(ModelSpec.self, from: Data("""
            {"input": {"shape": [28, 28, 1]}, "layers": [
              {"type": "conv2d", "filters": 8, "kernel_size": [3, 3], "activation": "relu"},
              {"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}],
             "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"}}
            """.utf8))
        let model = try TernModel(spec: spec, seed: 1)
        // 26·26 output positions × 3·3·1 taps, plus the 784 input and 26·26·8 output.
        #expect(model.network.inferenceFloatsPerSample == 26 * 26 * 9 + 784 + 26 * 26 * 8)
    }

    @Test func aLargeBatchRunsInChunksWithTheSameAnswers() async throws {
        let (_, artifact) = try exampleModel()
        let small = ModelRuntime(workBudget: 1 << 20)
        let whole = ModelRuntime()
        let a = try await small.load(model: "m", version: 1, artifact: artifact)
        let b = try await whole.load(model: "m", version: 1, artifact: artifact)
        let model = try #require(a.servable as? TernModel)
        let chunk = try small.workBudget.chunkSize(model, batch: 300)
        #expect(chunk == (1 << 20) / (model.predictionBytes(batch: 1) as Int))
        #expect(chunk < 300)
        var rng = SystemRandomNumberGenerator()
        let input = try Tensor<UInt8>(shape: [300, 784], scalars: (0..<300 * 784).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let chunked = try await small.predict(a, .uint8(input))
        let direct = try await whole.predict(b, .uint8(input))
        #expect(chunked.shape == [300, 10])
        #expect(chunked.scalars == direct.scalars)
    }

    @Test func anOutputOverTheBudgetIsRefusedFirst() async throws {
        let (_, artifact) = try exampleModel()
        let runtime = ModelRuntime(workBudget: 1 << 20)
        let loaded = try await runtime.load(model: "m", version: 1, artifact: artifact)
        // 30,000 rows × 10 outputs × 4 bytes = 1.2 MB > 1 MiB.
        let input = Tensor<UInt8>(zeros: [30_000, 784])
        await #expect(throws: WorkBudgetError.self) { _ = try await runtime.predict(loaded, .uint8(input)) }
        let message = "\(WorkBudgetError.exceeded(what: "x", bytes: 3 << 20, limit: 1 << 20))"
        #expect(message.contains("3 MiB") && message.contains("1 MiB") && message.contains("--max-request-work-mb"))
    }
}
