import Foundation
import Synchronization
import Testing
import TernFormats
import TernServing
import TernTensor

/// A deterministic image batch `(n, 28, 28)`.
private func images(_ n: Int, seed: Int) throws -> Tensor<UInt8> {
    try Tensor(shape: [n, 28, 28], scalars: (0..<(n * 784)).map { UInt8(($0 * 31 + seed * 97) % 256) })
}

/// Rows `(n, k)` of floats; a toy model sums each row, refusing rows that hold -1.
private struct Poisoned: Error, Equatable {}
private func rowSums(_ input: NamedTensors) throws -> NamedTensors {
    guard case let .float32(t)? = input["x"] else { throw Poisoned() }
    if t.scalars.contains(-1) { throw Poisoned() }
    let n = t.shape[0], k = t.count / max(n, 1)
    let sums: [Float] = (0..<n).map { r in t.scalars[(r * k)..<(r * k + k)].reduce(0, +) }
    return ["sum": .float32(try Tensor(shape: [n, 1], scalars: sums))]
}

private func rows(_ values: [[Float]]) throws -> NamedTensors {
    ["x": .float32(try Tensor(shape: [values.count, values[0].count], scalars: values.flatMap { $0 }))]
}

/// The row sums a batcher answered.
private func sums(_ output: NamedTensors) -> [Float] {
    guard case let .float32(t)? = output["sum"] else { return [] }
    return t.scalars
}

@Suite struct BatcherTests {
    @Test func concurrentRequestsRunInFewerBatchesWithTheirOwnExactRows() async throws {
        let (model, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        let batching = BatchingConfiguration(maxBatchSize: 32, maxQueueDelayMicroseconds: 50_000)
        let loaded = try await runtime.load(model: "m", version: 1, artifact: artifact, batching: batching)
        #expect(loaded.batching == batching)
        let results = try await withThrowingTaskGroup(of: (Int, Tensor<Float>).self) { group in
            for i in 0..<32 {
                group.addTask { (i, try await runtime.predict(loaded, .uint8(try images(1, seed: i)))) }
            }
            return try await group.reduce(into: [Int: Tensor<Float>]()) { $0[$1.0] = $1.1 }
        }
        for i in 0..<32 {
            #expect(results[i] == (try model.predict(try images(1, seed: i))), "request \(i)")
        }
        let stats = try #require(await runtime.batchingStats(model: "m", version: 1))
        #expect(stats.requests == 32 && stats.retriedRequests == 0 && stats.queued == 0)
        #expect(stats.predictCalls < 32, "\(stats)")
        #expect(stats.largestBatch > 1)
    }

    @Test func mixedRequestsEachGetWhatTheyWouldAlone() async throws {
        let (model, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        let loaded = try await runtime.load(model: "m", version: 1, artifact: artifact,
                                            batching: BatchingConfiguration(maxBatchSize: 8, maxQueueDelayMicroseconds: 20_000))
        // Several samples per request, uint8 and float32, flat (784) and (28, 28) shapes.
        let inputs: [AnyTensor] = try (0..<12).map { i in
            let pixels = try images(1 + i % 3, seed: i)
            switch i % 3 {
            case 0: return .uint8(pixels)
            case 1: return .float32(Tensor<Float>(pixels))
            default: return .uint8(try pixels.reshaped([pixels.shape[0], 784]))
            }
        }
        let results = try await withThrowingTaskGroup(of: (Int, Tensor<Float>).self) { group in
            for (i, input) in inputs.enumerated() { group.addTask { (i, try await runtime.predict(loaded, input)) } }
            return try await group.reduce(into: [Int: Tensor<Float>]()) { $0[$1.0] = $1.1 }
        }
        for (i, input) in inputs.enumerated() {
            let expected: Tensor<Float>
            switch input {
            case let .uint8(t): expected = try model.predict(t)
            case let .float32(t): expected = try model.predict(t)
            default: Issue.record("unexpected input"); continue
            }
            #expect(results[i] == expected, "request \(i)")
        }
    }

    @Test func aBadShapeFailsBeforeQueuing() async throws {
        let (_, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        let loaded = try await runtime.load(model: "m", version: 1, artifact: artifact,
                                            batching: BatchingConfiguration(maxQueueDelayMicroseconds: 1000))
        let wrong = try Tensor<UInt8>(shape: [1, 5], scalars: [1, 2, 3, 4, 5])
        await #expect(throws: ModelInputError.self) { try await runtime.predict(loaded, .uint8(wrong)) }
        #expect(await runtime.batchingStats(model: "m", version: 1)?.requests == 0)
    }

    @Test func aFailingRequestInABatchFailsAlone() async throws {
        let limiter = InferenceLimiter(maxConcurrent: 2, maxQueued: 64)
        // The batch leaves at exactly 6 samples (preferred), well before the delay.
        let batcher = Batcher(configuration: BatchingConfiguration(maxBatchSize: 8, maxQueueDelayMicroseconds: 600_000_000,
                                                                   preferredBatchSizes: [6]),
                              limiter: limiter, run: rowSums)
        let requests: [[[Float]]] = [[[1, 2]], [[3, 4], [5, 6]], [[-1, 0]], [[7, 8]], [[9, 10]]]
        let results = await withTaskGroup(of: (Int, Result<NamedTensors, any Error>).self) { group in
            for (i, request) in requests.enumerated() {
                group.addTask {
                    do { return (i, .success(try await batcher.submit(try rows(request)))) } catch { return (i, .failure(error)) }
                }
            }
            return await group.reduce(into: [Int: Result<NamedTensors, any Error>]()) { $0[$1.0] = $1.1 }
        }
        #expect(throws: Poisoned.self) { try results[2]?.get() }
        #expect(sums(try #require(results[0]).get()) == [3])
        #expect(sums(try #require(results[1]).get()) == [7, 11])
        #expect(sums(try #require(results[3]).get()) == [15])
        #expect(sums(try #require(results[4]).get()) == [19])
        // Requests are answered before the batch's counts reach the actor.
        try await eventually { await batcher.stats.predictCalls == 6 }
        let stats = await batcher.stats
        #expect(stats.batches == 1 && stats.retriedRequests == 5 && stats.predictCalls == 6, "\(stats)")
    }

    @Test func aFullQueueRefusesWithTheOverloadError() async throws {
        let gate = Gate()
        let limiter = InferenceLimiter(maxConcurrent: 1, maxQueued: 8)
        let batcher = Batcher(configuration: BatchingConfiguration(maxBatchSize: 1, maxQueueDelayMicroseconds: 1, maxQueueSize: 2),
                              limiter: limiter) { input in
            gate.wait()
            return try rowSums(input)
        }
        let running = Task { try await batcher.submit(try rows([[1]])) }
        try await eventually { await batcher.stats.batches == 1 }
        let waiting = (2...3).map { i in Task { try await batcher.submit(try rows([[Float(i)]])) } }
        try await eventually { await batcher.stats.queued == 2 }
        await #expect(throws: InferenceLimiterError.overloaded(running: 1, queued: 2)) {
            try await batcher.submit(try rows([[4]]))
        }
        gate.open(3)
        #expect(sums(try await running.value) == [1])
        for (i, task) in waiting.enumerated() { #expect(sums(try await task.value) == [Float(i + 2)]) }
        let stats = await batcher.stats
        #expect(stats.rejected == 1 && stats.requests == 3 && stats.queued == 0)
    }

    @Test func aCancelledCallerLeavesTheQueue() async throws {
        // A delay far longer than a slow machine needs to see the request queued
        // (the batcher is built directly, past the API's one-second limit).
        let batcher = Batcher(configuration: BatchingConfiguration(maxQueueDelayMicroseconds: 600_000_000),
                              limiter: InferenceLimiter(), run: rowSums)
        let task = Task { try await batcher.submit(try rows([[1]])) }
        try await eventually { await batcher.stats.queued == 1 }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let stats = await batcher.stats
        #expect(stats.queued == 0 && stats.batches == 0)
    }

    @Test func batchingOffRunsEachRequestAsBefore() async throws {
        let (model, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        let loaded = try await runtime.load(model: "m", version: 1, artifact: artifact)
        #expect(loaded.batching == .disabled)
        #expect(await runtime.batchingStats(model: "m", version: 1) == nil)
        let input = try images(3, seed: 1)
        #expect(try await runtime.predict(loaded, .uint8(input)) == model.predict(input))
        // A delay of 0 keeps batching off whatever the other fields say.
        let zero = try await runtime.load(model: "m", version: 2, artifact: artifact,
                                          batching: BatchingConfiguration(maxBatchSize: 4, preferredBatchSizes: [2]))
        #expect(await runtime.batchingStats(model: "m", version: 2) == nil)
        #expect(try await runtime.predict(zero, .uint8(input)) == model.predict(input))
        await #expect(throws: BatchingConfigurationError.self) {
            try await runtime.load(model: "m", version: 3, artifact: artifact, batching: BatchingConfiguration(maxBatchSize: 0))
        }
    }
}
