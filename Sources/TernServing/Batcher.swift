import Metrics
import TernTensor

/// Counts kept by a ``Batcher``, for tests and diagnostics.
public struct BatchingStats: Sendable, Equatable {
    /// Requests accepted into the queue.
    public var requests = 0
    /// Requests refused because the queue was full.
    public var rejected = 0
    /// Batches dispatched.
    public var batches = 0
    /// Runs of the model: one per batch, plus one per request retried alone.
    public var predictCalls = 0
    /// Requests run again alone after their batch failed.
    public var retriedRequests = 0
    /// The most samples in one batch so far.
    public var largestBatch = 0
    /// Requests waiting now.
    public var queued = 0

    public init() {}
}

/// The dynamic batcher of one loaded model version.
///
/// ``submit(_:)`` queues a request (refusing it with
/// ``InferenceLimiterError/overloaded(running:queued:)`` when
/// ``BatchingConfiguration/maxQueueSize`` requests already wait); a
/// ``BatchScheduler`` decides when queued requests leave together. A batch
/// is concatenated along its first axis and run once through the shared
/// ``InferenceLimiter``, on a task of its own (a large batch on a worker
/// thread), never on the actor, and its output rows go back to each request. If a batch of
/// several requests fails for a reason other than overload or
/// cancellation, each of its requests runs again alone, so only a request
/// that fails by itself gets an error.
///
/// Metrics (through the `MetricsFactory` given): the histogram
/// `tern_inference_batch_size` (samples per run of the model) and the
/// gauge `tern_inference_queue_depth` (requests waiting), both with
/// `model` and `version` dimensions.
public actor Batcher {
    /// Runs the model on a batch (on the batch's task or a limiter worker thread).
    public typealias Run = @Sendable (NamedTensors) throws -> NamedTensors

    private struct Waiter {
        var input: NamedTensors
        var continuation: CheckedContinuation<NamedTensors, any Error>
    }

    public nonisolated let configuration: BatchingConfiguration
    private let limiter: InferenceLimiter
    private let run: Run
    private var scheduler: BatchScheduler
    private var waiters: [UInt64: Waiter] = [:]
    private var nextID: UInt64 = 0
    private var timerGeneration: UInt64 = 0
    private var timerDeadline: ContinuousClock.Instant?
    private var counts = BatchingStats()
    private nonisolated let batchSize: Recorder
    private let queueDepth: Gauge

    /// - Parameters:
    ///   - configuration: the batching settings (assumed validated).
    ///   - limiter: where each run of the model waits for a slot.
    ///   - maxInFlight: batches running at once (default: the limiter's concurrency).
    ///   - dimensions: metric dimensions, e.g. `[("model", "mnist"), ("version", "3")]`.
    ///   - metricsFactory: where the metrics go (default: the bootstrapped `MetricsSystem`).
    ///   - run: the model.
    public init(configuration: BatchingConfiguration, limiter: InferenceLimiter, maxInFlight: Int? = nil,
                dimensions: [(String, String)] = [], metricsFactory: (any MetricsFactory)? = nil, run: @escaping Run) {
        self.configuration = configuration
        self.limiter = limiter
        self.run = run
        scheduler = BatchScheduler(configuration: configuration, maxInFlight: maxInFlight ?? limiter.maxConcurrent)
        let factory = metricsFactory ?? MetricsSystem.factory
        batchSize = Recorder(label: "tern_inference_batch_size", dimensions: dimensions, aggregate: true, factory: factory)
        queueDepth = Gauge(label: "tern_inference_queue_depth", dimensions: dimensions, factory: factory)
    }

    /// The counts so far.
    public var stats: BatchingStats {
        var snapshot = counts
        snapshot.queued = scheduler.queued
        return snapshot
    }

    /// Queues `input` (tensors of n ≥ 1 samples each, already checked
    /// against the model) and answers its own n rows of every output.
    /// - Throws: ``InferenceLimiterError/overloaded(running:queued:)`` when
    ///   the queue is full, `CancellationError` if the caller is cancelled
    ///   while queued, or the model's error for this input.
    public func submit(_ input: NamedTensors) async throws -> NamedTensors {
        try Task.checkCancellation()
        let id = nextID
        nextID += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<NamedTensors, any Error>) in
                let entry = BatchScheduler.Entry(id: id, key: input.batchKey, samples: input.batchSize, enqueued: .now)
                guard scheduler.enqueue(entry) else {
                    counts.rejected += 1
                    continuation.resume(throwing: InferenceLimiterError.overloaded(running: scheduler.inFlight, queued: scheduler.queued))
                    return
                }
                counts.requests += 1
                waiters[id] = Waiter(input: input, continuation: continuation)
                schedule()
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Dispatches every batch that should leave now and arms the timer for
    /// the next deadline.
    private func schedule() {
        while true {
            switch scheduler.next(now: .now) {
            case let .dispatch(ids, samples):
                let batch = ids.compactMap { waiters.removeValue(forKey: $0) }
                counts.batches += 1
                counts.largestBatch = max(counts.largestBatch, samples)
                Task { await self.execute(batch) }
            case let .wait(deadline):
                arm(deadline)
                queueDepth.record(scheduler.queued)
                return
            case .idle:
                queueDepth.record(scheduler.queued)
                return
            }
        }
    }

    private func arm(_ deadline: ContinuousClock.Instant) {
        if let current = timerDeadline, current <= deadline { return }
        timerGeneration += 1
        timerDeadline = deadline
        let generation = timerGeneration
        Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self.timerFired(generation)
        }
    }

    private func timerFired(_ generation: UInt64) {
        guard generation == timerGeneration else { return }
        timerDeadline = nil
        schedule()
    }

    private func cancel(_ id: UInt64) {
        guard scheduler.remove(id: id), let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(throwing: CancellationError())
        queueDepth.record(scheduler.queued)
    }

    /// Runs one batch on a task of its own (off the actor, so requests keep
    /// queuing meanwhile), answers its requests there, then lets the next
    /// batch leave. A batch of up to ``inlineSampleLimit`` samples runs on
    /// that task; a larger one goes to a limiter worker thread.
    private nonisolated func execute(_ batch: [Waiter]) async {
        let inputs = batch.map(\.input)
        let samples = inputs.reduce(0) { $0 + $1.batchSize }
        let run = self.run
        var predictCalls = 1
        var retried = 0
        batchSize.record(samples)
        do {
            let outputs = try await limiter.run(inline: samples <= Batcher.inlineSampleLimit) {
                try run(NamedTensors.joined(inputs)).splittingRows(inputs.map(\.batchSize))
            }
            for (waiter, output) in zip(batch, outputs) { waiter.continuation.resume(returning: output) }
        } catch let error where batch.count > 1 && !(error is InferenceLimiterError) && !(error is CancellationError) {
            retried = batch.count
            predictCalls += batch.count
            await retryAlone(batch)
        } catch {
            for waiter in batch { waiter.continuation.resume(throwing: error) }
        }
        await finished(predictCalls: predictCalls, retried: retried)
    }

    /// Batches of up to this many samples run on the batch's own task
    /// (tens of microseconds for an MNIST MLP) rather than a worker thread.
    public static let inlineSampleLimit = 64

    private func finished(predictCalls: Int, retried: Int) {
        counts.predictCalls += predictCalls
        counts.retriedRequests += retried
        scheduler.finished()
        schedule()
    }

    /// Runs each request of a failed batch by itself, one after another.
    private nonisolated func retryAlone(_ batch: [Waiter]) async {
        let run = self.run
        for waiter in batch {
            let input = waiter.input
            batchSize.record(input.batchSize)
            do {
                let output = try await limiter.run(inline: input.batchSize <= Batcher.inlineSampleLimit) {
                    try run(input).splittingRows([input.batchSize])[0]
                }
                waiter.continuation.resume(returning: output)
            } catch {
                waiter.continuation.resume(throwing: error)
            }
        }
    }
}
